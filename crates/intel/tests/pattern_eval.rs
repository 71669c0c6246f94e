//! STIX patterns evaluated by the index on hand-written events: the
//! specification's examples that apply to logs (from the corpus file
//! `intel/patterns/stix21-patterns.tsv`) and compound patterns (`AND` with
//! a port, `MATCHES`, `LIKE`, `FOLLOWEDBY … WITHIN`), with exact hits and
//! exact misses; a bundle with compound patterns and decoys; the bounds
//! (patterns without an anchor, open states, idle states).

mod common;
use common::ind;
use haboob_intel::index::patterns::{PatternStates, MAX_UNANCHORED};
use haboob_intel::{BuildOptions, HashAlgo, Indicator, IntelIndex, IntelLookup, Observed};
use haboob_model::Ts;
use std::io::BufRead;

/// A stream of events through one index and one state: the ids matched at
/// each event.
struct Stream {
    idx: IntelIndex,
    states: PatternStates,
}

impl Stream {
    fn new(inds: Vec<Indicator>) -> Stream {
        let (idx, report) = IntelIndex::build(inds, &BuildOptions::default());
        assert!(report.unsupported.is_empty(), "{:?}", report.unsupported);
        Stream {
            idx,
            states: PatternStates::default(),
        }
    }

    fn ids(&mut self, o: &Observed<'_>, secs: i64) -> Vec<String> {
        let mut hits = Vec::new();
        self.idx
            .pattern_matches(o, Ts::from_secs(secs), Some(&mut self.states), &mut hits);
        // Equalities the index holds directly (an OR of them).
        let mut direct = Vec::new();
        self.idx.lookup(o, Ts::from_secs(secs), &mut direct);
        let mut v: Vec<String> = hits
            .iter()
            .filter_map(|h| self.idx.indicator(h.indicator).map(|i| i.id.clone()))
            .chain(direct.into_iter().map(|h| h.indicator))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// The valid lines of the corpus file, by a prefix of their text.
fn spec_pattern(test: &str, prefix: &str) -> Option<String> {
    let path = haboob_testdata::corpus_file_or_skip(test, "intel/patterns/stix21-patterns.tsv")?;
    let f = std::fs::File::open(path).expect("open corpus file");
    for line in std::io::BufReader::new(f).lines() {
        let line = line.expect("read");
        let mut cols = line.splitn(3, '\t');
        if let (Some("valid"), Some(_), Some(text)) = (cols.next(), cols.next(), cols.next()) {
            if text.starts_with(prefix) {
                return Some(text.to_string());
            }
        }
    }
    panic!("no valid corpus pattern starts with {prefix}");
}

fn file<'a>(h: &'a [(HashAlgo, &'a str)]) -> Observed<'a> {
    Observed {
        hashes: h,
        ..Observed::default()
    }
}

const SHA_A: &str = "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f";
const SHA_B: &str = "bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c";

#[test]
fn spec_examples_on_events() {
    let t = "spec_examples_on_events";
    let Some(sha) = spec_pattern(t, "[file:hashes.'SHA-256' = 'aec07") else {
        return;
    };
    let Some(two_files) = spec_pattern(t, "[file:hashes.'SHA-256' = 'bf07") else {
        return;
    };
    let Some(dst) = spec_pattern(t, "[network-traffic:dst_ref.type = 'ipv4-addr'") else {
        return;
    };
    let Some(repeats) = spec_pattern(t, "[network-traffic:dst_ref.type = 'domain-name'") else {
        return;
    };
    let Some(subset) = spec_pattern(t, "[network-traffic:dst_ref.value ISSUBSET") else {
        return;
    };
    let Some(urls) = spec_pattern(t, "[url:value") else {
        return;
    };
    let Some(ua) = spec_pattern(
        t,
        "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'",
    ) else {
        return;
    };
    let mut s = Stream::new(vec![
        ind("sha", &sha),
        ind("two-files", &two_files),
        ind("dst", &dst),
        ind("repeats", &repeats),
        ind("subset", &subset),
        ind("urls", &urls),
        ind("ua", &ua),
    ]);
    let none: Vec<String> = Vec::new();
    // One file hash: a hit; another hash: nothing.
    let a = [(HashAlgo::Sha256, SHA_A)];
    let b = [(HashAlgo::Sha256, SHA_B)];
    let zeros = "0".repeat(64);
    let other = [(HashAlgo::Sha256, zeros.as_str())];
    assert_eq!(s.ids(&file(&other), 0), none);
    // `[bf07… OR cead…] AND [aec07…]`: two events; the first alone is not
    // a match, the second completes it (and is itself `sha`).
    assert_eq!(s.ids(&file(&b), 10), none);
    assert_eq!(s.ids(&file(&a), 20), ["sha", "two-files"]);
    // Destination address 203.0.113.33: as destination only.
    let dst_ev = Observed {
        dst_ip: Some("203.0.113.33".parse().unwrap()),
        ..Observed::default()
    };
    let src_ev = Observed {
        src_ip: Some("203.0.113.33".parse().unwrap()),
        ..Observed::default()
    };
    assert_eq!(s.ids(&dst_ev, 30), ["dst"]);
    assert_eq!(s.ids(&src_ev, 31), none);
    // ISSUBSET an IPv6 /64: destination inside; the next /64 and the
    // source side miss.
    let v6 = |dst: &str, src: bool| {
        let ip = Some(dst.parse().unwrap());
        if src {
            Observed {
                src_ip: ip,
                ..Observed::default()
            }
        } else {
            Observed {
                dst_ip: ip,
                ..Observed::default()
            }
        }
    };
    assert_eq!(s.ids(&v6("2001:db8:dead:beef::7", false), 40), ["subset"]);
    assert_eq!(s.ids(&v6("2001:db8:dead:bef0::7", false), 41), none);
    assert_eq!(s.ids(&v6("2001:db8:dead:beef::7", true), 42), none);
    // URL OR URL (indexed as equalities); user agent.
    let url = |u| Observed {
        url: Some(u),
        ..Observed::default()
    };
    assert_eq!(s.ids(&url("http://example.com/bar"), 50), ["urls"]);
    assert_eq!(s.ids(&url("http://example.org/bar"), 51), none);
    let agent = |u| Observed {
        user_agent: Some(u),
        ..Observed::default()
    };
    assert_eq!(s.ids(&agent("Mozilla Firefox"), 60), ["ua"]);
    assert_eq!(s.ids(&agent("Mozilla Firefox/1"), 61), none);
    // Contacting example.com 5 times within 1800 s; 4 times is not enough,
    // and the fifth of a run spread over more than 1800 s is no match.
    let dom = Observed {
        domain: Some("example.com"),
        ..Observed::default()
    };
    for i in 0..4 {
        assert_eq!(s.ids(&dom, 1000 + i * 400), none, "contact {i}");
    }
    // 1000, 1400, 1800, 2200, then 2900: span 1900 s > 1800.
    assert_eq!(s.ids(&dom, 2900), none);
    // 1400 … 3000: five within 1600 s.
    assert_eq!(s.ids(&dom, 3000), ["repeats"]);
    // A sub-domain is not the domain of an equality inside a compound.
    let sub = Observed {
        domain: Some("www.example.com"),
        ..Observed::default()
    };
    for i in 0..5 {
        assert_eq!(s.ids(&sub, 5000 + i), none);
    }
}

const AND_PORT: &str = "[ipv4-addr:value = '198.51.100.7' AND network-traffic:dst_port = 443]";
const LIKE_NET: &str = "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' LIKE 'python-requests/%' AND ipv4-addr:value ISSUBSET '203.0.113.0/24']";
const MATCHES_URL: &str = "[url:value MATCHES '^https?://[^/]+/wp-admin/[a-z-]+\\\\.php$']";
const FOLLOWED: &str = "([ipv4-addr:value = '203.0.113.9' AND network-traffic:extensions.'http-request-ext'.request_value = '/login'] FOLLOWEDBY [ipv4-addr:value = '203.0.113.9' AND network-traffic:extensions.'http-request-ext'.request_value LIKE '/admin%']) WITHIN 300 SECONDS";

fn web<'a>(src: &str, path: &'a str, ua: &'a str, port: Option<u16>) -> Observed<'a> {
    Observed {
        src_ip: Some(src.parse().unwrap()),
        dst_ip: Some("192.0.2.80".parse().unwrap()),
        http_path: Some(path),
        user_agent: Some(ua),
        dst_port: port,
        ..Observed::default()
    }
}

#[test]
fn compound_patterns_exact_hits_and_misses() {
    let mut s = Stream::new(vec![
        ind("and-port", AND_PORT),
        ind("like-net", LIKE_NET),
        ind("matches-url", MATCHES_URL),
        ind("followed", FOLLOWED),
    ]);
    let none: Vec<String> = Vec::new();
    // AND with a port: the right port hits, the wrong one and none miss.
    assert_eq!(
        s.ids(&web("198.51.100.7", "/", "x", Some(443)), 0),
        ["and-port"]
    );
    assert_eq!(s.ids(&web("198.51.100.7", "/", "x", Some(8443)), 1), none);
    assert_eq!(s.ids(&web("198.51.100.7", "/", "x", None), 2), none);
    assert_eq!(s.ids(&web("198.51.100.8", "/", "x", Some(443)), 3), none);
    // LIKE and ISSUBSET: both parts needed.
    assert_eq!(
        s.ids(
            &web("203.0.113.200", "/", "python-requests/2.31.0", None),
            4
        ),
        ["like-net"]
    );
    assert_eq!(
        s.ids(&web("203.0.113.200", "/", "python-urllib/3", None), 5),
        none
    );
    assert_eq!(
        s.ids(&web("198.18.0.1", "/", "python-requests/2.31.0", None), 6),
        none
    );
    // MATCHES on a URL (no anchor: evaluated on every event with a URL).
    let url = |u| Observed {
        url: Some(u),
        ..Observed::default()
    };
    assert_eq!(
        s.ids(&url("https://shop.example/wp-admin/admin-ajax.php"), 7),
        ["matches-url"]
    );
    assert_eq!(
        s.ids(&url("https://shop.example/wp-admin/admin-ajax.php?x=1"), 8),
        none
    );
    assert_eq!(
        s.ids(&url("https://shop.example/wp-content/a.php"), 9),
        none
    );
    // FOLLOWEDBY … WITHIN 300 SECONDS: out of order, no match; another
    // source, no match; in order but 301 s apart, no match; in order
    // within 300 s, a match at the second event.
    let ua = "Mozilla/5.0";
    let mut f = Stream::new(vec![ind("followed", FOLLOWED)]);
    assert_eq!(
        f.ids(&web("203.0.113.9", "/admin/users", ua, None), 100),
        none
    );
    assert_eq!(f.ids(&web("203.0.113.9", "/login", ua, None), 110), none);
    assert_eq!(
        f.ids(&web("203.0.113.10", "/admin/users", ua, None), 120),
        none
    );
    assert_eq!(
        f.ids(&web("203.0.113.9", "/admin/users", ua, None), 411),
        none
    );
    assert_eq!(f.ids(&web("203.0.113.9", "/login", ua, None), 500), none);
    assert_eq!(
        f.ids(&web("203.0.113.9", "/admin/", ua, None), 799),
        ["followed"]
    );
    // Without a state (IntelLookup::lookup), a pattern over two events
    // never matches; a one-event pattern does.
    let mut out = Vec::new();
    f.idx.lookup(
        &web("203.0.113.9", "/admin/", ua, None),
        Ts::from_secs(800),
        &mut out,
    );
    assert!(out.is_empty());
    s.idx.lookup(
        &web("198.51.100.7", "/", "x", Some(443)),
        Ts::from_secs(900),
        &mut out,
    );
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].indicator.as_str(), out[0].field.as_str()),
        ("and-port", "pattern")
    );
    assert_eq!(out[0].matched, "198.51.100.7");
}

#[test]
fn bundle_with_compound_patterns_and_decoys() {
    let bundle = serde_json::json!({"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "indicator", "id": "indicator--and-port", "pattern": AND_PORT, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"},
        {"type": "indicator", "id": "indicator--decoy-port", "pattern": "[ipv4-addr:value = '198.51.100.7' AND network-traffic:dst_port = 22]", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"},
        {"type": "indicator", "id": "indicator--like-net", "pattern": LIKE_NET, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"},
        {"type": "indicator", "id": "indicator--decoy-like", "pattern": "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' LIKE 'Go-http-client/%' AND ipv4-addr:value ISSUBSET '203.0.113.0/24']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"},
        {"type": "indicator", "id": "indicator--later", "pattern": LIKE_NET, "pattern_type": "stix", "valid_from": "2027-01-01T00:00:00Z"},
        {"type": "indicator", "id": "indicator--registry", "pattern": "[windows-registry-key:key = 'HKLM\\\\Run' AND ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"},
    ]});
    let opts = haboob_intel::ImportOptions::default();
    let imp = haboob_intel::stix::import_value(&bundle, "b.json", "stix:b.json", &opts).unwrap();
    assert_eq!(imp.indicators.len(), 5);
    assert_eq!(imp.summary.by_kind.get("pattern"), Some(&5));
    let (idx, report) = IntelIndex::build(imp.indicators, &BuildOptions::default());
    assert_eq!(
        (report.indicators, report.by_kind.get("pattern")),
        (5, Some(&5))
    );
    assert!(report.unsupported.is_empty());
    let at = Ts::parse_rfc3339("2026-06-01T00:00:00Z").unwrap();
    let events = [
        web("198.51.100.7", "/", "curl/8", Some(443)),
        web("203.0.113.5", "/", "python-requests/2.31.0", Some(443)),
        web("198.51.100.9", "/", "Go-http-client/1.1", Some(22)),
    ];
    let mut got = Vec::new();
    for e in &events {
        idx.lookup(e, at, &mut got);
    }
    let ids: Vec<&str> = got.iter().map(|h| h.indicator.as_str()).collect();
    assert_eq!(ids, ["indicator--and-port", "indicator--like-net"]);
    assert!(got
        .iter()
        .all(|h| h.field == "pattern" && h.source == "stix:b.json"));
}

#[test]
fn bounds_are_kept_and_reported() {
    // Patterns without an anchor: MAX_UNANCHORED accepted, the rest
    // reported as unsupported with the reason.
    let inds: Vec<Indicator> = (0..MAX_UNANCHORED + 3)
        .map(|i| {
            ind(
                &format!("m{i}"),
                &format!("[url:value MATCHES '^http://x{i}\\\\.example/']"),
            )
        })
        .collect();
    let (idx, report) = IntelIndex::build(inds, &BuildOptions::default());
    assert_eq!(report.indicators, MAX_UNANCHORED);
    assert_eq!(report.unsupported.len(), 3);
    assert_eq!(report.unsupported[0].0, format!("m{MAX_UNANCHORED}"));
    assert!(
        report.unsupported[0].1.starts_with("no anchor"),
        "{}",
        report.unsupported[0].1
    );
    let mut out = Vec::new();
    idx.lookup(
        &Observed {
            url: Some("http://x7.example/a"),
            ..Observed::default()
        },
        Ts(0),
        &mut out,
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].indicator, "m7");

    // Open states: at most the cap, least recently used dropped.
    let pats: Vec<Indicator> = (0..5)
        .map(|i| ind(&format!("f{i}"), &format!("[domain-name:value = 'a{i}.example'] FOLLOWEDBY [domain-name:value = 'b{i}.example']")))
        .collect();
    let (idx, _) = IntelIndex::build(pats, &BuildOptions::default());
    let mut st = PatternStates::with_cap(3);
    let mut hits = Vec::new();
    let names: Vec<String> = (0..5).map(|i| format!("a{i}.example")).collect();
    for (i, n) in names.iter().enumerate() {
        let o = Observed {
            domain: Some(n),
            ..Observed::default()
        };
        idx.pattern_matches(&o, Ts::from_secs(i as i64), Some(&mut st), &mut hits);
        assert!(st.len() <= 3, "{} open", st.len());
    }
    // f4's first step is still open: its second step matches; f0's was
    // dropped.
    let b = |n: &'static str| Observed {
        domain: Some(n),
        ..Observed::default()
    };
    idx.pattern_matches(
        &b("b4.example"),
        Ts::from_secs(10),
        Some(&mut st),
        &mut hits,
    );
    idx.pattern_matches(
        &b("b0.example"),
        Ts::from_secs(11),
        Some(&mut st),
        &mut hits,
    );
    let got: Vec<String> = hits
        .iter()
        .filter_map(|h| idx.indicator_id(h.indicator))
        .map(|id| id.into_owned())
        .collect();
    assert_eq!(got, ["f4"]);

    // Idle states: a pattern without WITHIN keeps a partial match for a
    // day (DEFAULT_HORIZON_SECS), not longer.
    let mut st = PatternStates::default();
    let mut hits = Vec::new();
    let a1 = Observed {
        domain: Some("a1.example"),
        ..Observed::default()
    };
    idx.pattern_matches(&a1, Ts::from_secs(0), Some(&mut st), &mut hits);
    idx.pattern_matches(
        &b("b1.example"),
        Ts::from_secs(86_401),
        Some(&mut st),
        &mut hits,
    );
    assert!(hits.is_empty());
    idx.pattern_matches(&a1, Ts::from_secs(90_000), Some(&mut st), &mut hits);
    idx.pattern_matches(
        &b("b1.example"),
        Ts::from_secs(90_000 + 86_000),
        Some(&mut st),
        &mut hits,
    );
    assert_eq!(hits.len(), 1);
}

/// The one path table both ways: the pattern written for an observable
/// (the STIX export's) reads back as exactly that observable, and a hit's
/// field and value name the observable.
#[test]
fn observable_patterns_round_trip() {
    use haboob_intel::pattern::{hit_observable, observable_pattern, Pattern};
    use haboob_intel::Observable;
    let all = [
        Observable::Ip("198.51.100.7/32".parse().unwrap()),
        Observable::Ip("2001:db8::/32".parse().unwrap()),
        Observable::Ip("2001:db8::1/128".parse().unwrap()),
        Observable::Domain("evil.example".into()),
        Observable::Url("http://evil.example/it's\\here".into()),
        Observable::Email("spy@evil.example".into()),
        Observable::Account("svc-backup".into()),
        Observable::UserAgent("Mozilla/5.0 'quoted'".into()),
        Observable::Hash(HashAlgo::Md5, "cead3f77f6cda6ec00f57d76c9a69faa".into()),
        Observable::Hash(HashAlgo::Sha1, "a".repeat(40)),
        Observable::Hash(HashAlgo::Sha256, SHA_A.into()),
        Observable::Hash(HashAlgo::Sha512, "b".repeat(128)),
    ];
    for o in &all {
        let text = observable_pattern(o);
        let p = Pattern::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(p.as_any(), Some(vec![o.clone()]), "{text}");
    }
    assert_eq!(
        observable_pattern(&all[0]),
        "[ipv4-addr:value = '198.51.100.7']"
    );
    assert_eq!(
        observable_pattern(&all[1]),
        "[ipv6-addr:value ISSUBSET '2001:db8::/32']"
    );
    assert_eq!(
        observable_pattern(&all[10]),
        format!("[file:hashes.'SHA-256' = '{SHA_A}']")
    );
    assert_eq!(
        observable_pattern(&all[7]),
        "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'Mozilla/5.0 \\'quoted\\'']"
    );
    for (field, value, want) in [
        ("src_ip", "198.51.100.7", Some(&all[0])),
        ("dst_ip", "2001:db8::1", Some(&all[2])),
        ("domain", "Evil.Example.", Some(&all[3])),
        ("email", "Spy@Evil.Example", Some(&all[5])),
        ("hash", "CEAD3F77F6CDA6EC00F57D76C9A69FAA", Some(&all[8])),
        ("hash", "not-a-hash", None),
        ("src_ip", "not-an-address", None),
        ("pattern", "anything", None),
    ] {
        assert_eq!(
            hit_observable(field, value).as_ref(),
            want,
            "{field} {value}"
        );
    }
}
