//! Plain lists kept compact in the index (`ListBatch`,
//! `IntelIndex::build_with_lists`) give exactly the matches, hits and
//! accounting of building their indicators one by one (`read_list` +
//! `IntelIndex::build`), on random lists with duplicates, bad lines,
//! labels, headers and expiry.

use haboob_intel::sources::list::{read_list, read_list_batch, ListKind};
use haboob_intel::{BuildOptions, ImportOptions, IntelHit, IntelIndex, IntelLookup, Observed, Tlp};
use haboob_model::Ts;
use proptest::prelude::*;

const VALUES: &[&str] = &[
    "203.0.113.7",
    "203.0.113.8",
    "198.51.100.0/24",
    "198.51.100.77/30",
    "10.0.0.0/8",
    "2001:db8::1",
    "2001:db8:1::/48",
    "::ffff:192.0.2.9",
    "Evil.Example",
    "login.evil.example",
    "*.other.example.",
    "https://cdn.example/payload/",
    "https://cdn.example/a.php?x=1",
    "HXXPS://bad[.]example/login",
    "spy@evil.example",
    "d41d8cd98f00b204e9800998ecf8427e",
    "not a value",
    "300.1.2.3",
    "EvilBot/1.0",
];

const LABELS: &[&str] = &["", "\tseized VPS", " # hosting", "\t", "\tCotton"];

const HEADERS: &[&str] = &[
    "",
    "# tlp: amber\n# confidence: 80\n",
    "# actor: Cotton Sandstorm\n# valid-until: 2026-01-01T00:00:00Z\n",
    "# kind: user-agent\n",
    "# tlp: purple\n",
];

fn list_text(header: usize, lines: &[(usize, usize)]) -> String {
    let mut t = String::from(HEADERS[header]);
    for (v, l) in lines {
        t.push_str(VALUES[*v]);
        t.push_str(LABELS[*l]);
        t.push('\n');
    }
    t
}

fn probes() -> Vec<Observed<'static>> {
    let ips = [
        "203.0.113.7",
        "203.0.113.9",
        "198.51.100.200",
        "198.51.100.78",
        "10.1.2.3",
        "11.0.0.1",
        "2001:db8::1",
        "2001:db8:1:2::5",
        "192.0.2.9",
    ];
    let mut v: Vec<Observed<'static>> = ips
        .iter()
        .map(|s| Observed {
            src_ip: Some(s.parse().unwrap()),
            ..Observed::default()
        })
        .collect();
    for d in [
        "evil.example",
        "a.login.evil.example",
        "x.other.example",
        "example",
    ] {
        v.push(Observed {
            domain: Some(d),
            ..Observed::default()
        });
    }
    for u in [
        "https://cdn.example/payload/x.exe",
        "https://cdn.example/a.php?x=1&y=2",
        "https://bad.example/login",
        "https://cdn.example/other",
    ] {
        v.push(Observed {
            url: Some(u),
            ..Observed::default()
        });
    }
    for ua in ["EvilBot/1.0", "evilbot/1.0"] {
        v.push(Observed {
            user_agent: Some(ua),
            ..Observed::default()
        });
    }
    v.push(Observed {
        email: Some("SPY@evil.example"),
        ..Observed::default()
    });
    v
}

fn hits(idx: &IntelIndex, obs: &Observed<'_>, ts: Ts) -> Vec<IntelHit> {
    let mut out = Vec::new();
    idx.lookup(obs, ts, &mut out);
    out.sort_by(|a, b| (&a.indicator, &a.field).cmp(&(&b.indicator, &b.field)));
    out
}

/// A list: its header, whether its source is shared, its (value, label) lines.
type List = (usize, bool, Vec<(usize, usize)>);

fn check(lists: &[List], cut: Option<Ts>) {
    let opts = ImportOptions {
        imported: Ts::from_secs(1_700_000_000),
        tlp: Some(Tlp::Green),
        ..ImportOptions::default()
    };
    let bopts = BuildOptions {
        drop_expired_before: cut,
    };
    let mut all = Vec::new();
    let mut batches = Vec::new();
    for (n, (header, same_source, lines)) in lists.iter().enumerate() {
        let text = list_text(*header, lines);
        let file = format!("l{n}.txt");
        let source = if *same_source {
            "list:shared".to_string()
        } else {
            format!("list:{file}")
        };
        let a = read_list(text.as_bytes(), &file, &source, &opts).unwrap();
        let (b, summary) = read_list_batch(text.as_bytes(), &file, &source, &opts).unwrap();
        assert_eq!(a.summary, summary);
        assert_eq!(b.len(), a.indicators.len());
        for (k, ind) in a.indicators.iter().enumerate() {
            assert_eq!(b.indicator(k).as_ref(), Some(ind));
        }
        all.extend(a.indicators);
        batches.push(b);
    }
    let (one, r1) = IntelIndex::build(all.clone(), &bopts);
    let (compact, r2) = IntelIndex::build_with_lists(Vec::new(), batches.clone(), &bopts);
    assert_eq!(r1, r2);
    assert_eq!(one.len(), compact.len());
    let ids = |idx: &IntelIndex| {
        let mut v: Vec<String> = (0..idx.len() as u32)
            .map(|i| idx.indicator(i).unwrap().id.clone())
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(&one), ids(&compact));
    for (i, _) in (0..compact.len()).enumerate() {
        let i = i as u32;
        assert_eq!(
            compact.indicator_id(i).as_deref(),
            compact.indicator(i).map(|x| x.id.clone()).as_deref()
        );
    }
    for obs in probes() {
        for ts in [Ts::from_secs(1_000), Ts::from_secs(1_800_000_000)] {
            assert_eq!(
                hits(&one, &obs, ts),
                hits(&compact, &obs, ts),
                "{obs:?} at {ts:?}"
            );
        }
    }
    // The same values stored before (materialised) and given as lists: the
    // lists' copies replace the stored ones.
    let (again, r3) = IntelIndex::build_with_lists(all, batches, &bopts);
    assert_eq!(again.len(), compact.len());
    // Every stored copy that is not expired is replaced.
    assert_eq!(r3.expired, 2 * r2.expired);
    assert_eq!(r3.duplicates, 2 * r2.duplicates + r2.indicators);
    for obs in probes() {
        let ts = Ts::from_secs(1_000);
        assert_eq!(hits(&again, &obs, ts), hits(&compact, &obs, ts));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn compact_lists_match_like_their_indicators(
        lists in proptest::collection::vec(
            (0..HEADERS.len(), any::<bool>(),
             proptest::collection::vec((0..VALUES.len(), 0..LABELS.len()), 0..30)),
            1..4),
        cut in proptest::option::of(prop_oneof![Just(Ts::from_secs(1_000)), Just(Ts::from_secs(1_900_000_000))]),
    ) {
        check(&lists, cut);
    }
}

#[test]
fn every_value_kind_and_a_duplicate() {
    let lines: Vec<(usize, usize)> = (0..VALUES.len()).map(|v| (v, v % LABELS.len())).collect();
    let mut twice = lines.clone();
    twice.push((0, 1));
    check(
        &[(0, false, twice), (3, false, vec![(18, 0), (18, 1)])],
        None,
    );
    // 16 of the 19 values are valid in a list of any kind; the user agent
    // only in a user-agent list.
    let (b, s) = read_list_batch(
        list_text(0, &lines).as_bytes(),
        "x.txt",
        "list:x",
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(b.len(), 16);
    assert_eq!(s.rejected, 3);
    let ua = read_list_batch(
        list_text(0, &[(18, 0)]).as_bytes(),
        "u.txt",
        "list:u",
        &ImportOptions {
            list_kind: Some(ListKind::UserAgent),
            ..ImportOptions::default()
        },
    )
    .unwrap();
    assert_eq!((ua.0.len(), ua.1.rejected), (1, 0));
}
