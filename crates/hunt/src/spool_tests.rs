use super::*;
use haboob_model::{AuthEvent, AuthOutcome, FailureClass, GeoPoint, Ts, WafEvent, WebEvent};
use std::borrow::Cow;

fn web(ts: i64, ip: &str, path: &'static str) -> WebEvent<'static> {
    WebEvent {
        ts: Ts(ts),
        source_ip: ip.parse().unwrap(),
        method: "GET",
        path,
        query: "q=1",
        status: 404,
        bytes: 12,
        user_agent: "curl/8.0",
        referrer: "",
        site: "votes.example.gov",
        user: "",
        forwarded: "203.0.113.9",
        protocol: "",
    }
}

/// Push `(ts, line)` pairs of file 0 and return the delivered (ts, line)s.
fn sort(items: &[(i64, u64)], run_bytes: usize) -> (Vec<(i64, u64)>, usize) {
    let mut s = Sorter::new(run_bytes);
    for &(ts, line) in items {
        let raw = format!("line {line}");
        let o = Origin {
            file: "a.log",
            line,
            raw: &raw,
        };
        s.push(0, line, &EventRef::Web(web(ts, "192.0.2.1", "/x")), &o)
            .unwrap();
    }
    let runs = s.spilled_runs();
    let mut out = Vec::new();
    s.finish(&["a.log".to_string()], &mut |k, ev, o| {
        assert_eq!(k.ts, ev.ts().0);
        assert_eq!(o.raw, format!("line {}", o.line));
        assert_eq!(o.file, "a.log");
        out.push((ev.ts().0, o.line));
    })
    .unwrap();
    (out, runs)
}

#[test]
fn sorts_in_memory_and_across_spilled_runs_alike() {
    // A reproducible shuffle of 5,000 records over 50 distinct times.
    let mut items: Vec<(i64, u64)> = (1..=5000u64)
        .map(|l| (((l * 7919) % 50) as i64 * 1000, l))
        .collect();
    let mut x = 12345u64;
    for i in (1..items.len()).rev() {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        items.swap(i, (x >> 33) as usize % (i + 1));
    }
    let mut want = items.clone();
    want.sort();
    let (mem, runs) = sort(&items, 1 << 30);
    assert_eq!(runs, 0);
    assert_eq!(mem, want);
    // Runs of ~4 KiB: dozens of runs, and more than MAX_FANIN so the
    // merge goes in rounds.
    let (spilled, runs) = sort(&items, 4096);
    assert!(runs > MAX_FANIN, "{runs} runs");
    assert_eq!(spilled, want);
}

#[test]
fn equal_keys_keep_insertion_order() {
    // Same time, same file, same line key: insertion order decides.
    let mut s = Sorter::new(200);
    let lines = [5u64, 3, 9, 1, 7, 2];
    for &l in &lines {
        let raw = l.to_string();
        let o = Origin {
            file: "a",
            line: l,
            raw: &raw,
        };
        s.push(0, 0, &EventRef::Web(web(1000, "192.0.2.1", "/")), &o)
            .unwrap();
    }
    assert!(s.spilled_runs() >= 2);
    let mut got = Vec::new();
    s.finish(&["a".into()], &mut |_, _, o| got.push(o.line))
        .unwrap();
    assert_eq!(got, lines);
}

#[test]
fn run_size_is_bounded_by_bytes() {
    let mut s = Sorter::new(64 * 1024);
    let raw = "x".repeat(1000);
    for l in 0..1000u64 {
        let o = Origin {
            file: "a",
            line: l,
            raw: &raw,
        };
        s.push(0, l, &EventRef::Web(web(l as i64, "192.0.2.1", "/")), &o)
            .unwrap();
        assert!(s.run_bytes < 64 * 1024, "run of {} bytes", s.run_bytes);
    }
    // ~1.1 KB per record: about 18 runs of 64 KiB.
    assert!(
        (15..=20).contains(&s.spilled_runs()),
        "{}",
        s.spilled_runs()
    );
}

#[test]
fn every_field_survives_a_spill() {
    let w = web(1_700_000_000_123, "2001:db8::7", "/wp-login.php");
    let a = AuthEvent {
        ts: Ts(1_700_000_000_000),
        dataset: "auth.okta",
        source_ip: Some("198.51.100.4".parse().unwrap()),
        user: Cow::Borrowed("alice@example.org"),
        domain: Cow::Borrowed("example.org"),
        tenant: Cow::Borrowed("t-1"),
        host: Cow::Borrowed("mail01.example.org"),
        outcome: AuthOutcome::Challenge,
        failure: Some(FailureClass::MfaDenied),
        app: Cow::Borrowed("Okta Verify"),
        client: Cow::Borrowed("Mozilla/5.0 ✓"),
        country: Cow::Borrowed("RO"),
        asn: Some(64500),
        location: Some(GeoPoint {
            lat: 48.85,
            lon: 2.35,
            radius_km: 20,
        }),
    };
    let b = AuthEvent {
        dataset: "auth.windows",
        source_ip: None,
        outcome: AuthOutcome::Probe,
        failure: None,
        asn: None,
        location: None,
        ..a.clone()
    };
    let f = WafEvent {
        ts: Ts(1_700_000_000_500),
        source_ip: "203.0.113.50".parse().unwrap(),
        site: "news.example",
        method: "POST",
        path: "/search",
        engine: "naxsi",
        rule: "1000",
        message: "$SQL",
        blocked: true,
    };
    // The raw text is held up to MAX_HELD_RAW_BYTES (it was cut to the
    // 2 KiB of evidence before field views read whole records from it).
    let long = "é".repeat(MAX_HELD_RAW_BYTES); // 2 bytes each: cut on a boundary
    let mut s = Sorter::new(1);
    let evs = [
        EventRef::Auth(a.clone()),
        EventRef::Web(w.clone()),
        EventRef::Auth(b.clone()),
        EventRef::Waf(f.clone()),
    ];
    for (i, ev) in evs.iter().enumerate() {
        let o = Origin {
            file: "f",
            line: i as u64 + 1,
            raw: &long,
        };
        s.push(1, i as u64, ev, &o).unwrap();
    }
    assert_eq!(s.spilled_runs(), 4);
    let mut got = Vec::new();
    s.finish(&["e".into(), "f".into()], &mut |_, ev, o| {
        assert_eq!(o.file, "f");
        assert_eq!(o.raw.len(), MAX_HELD_RAW_BYTES);
        assert!(long.starts_with(o.raw));
        got.push(match ev {
            EventRef::Web(x) => format!("{x:?}"),
            EventRef::Auth(x) => format!("{x:?}"),
            EventRef::Waf(x) => format!("{x:?}"),
            EventRef::Win(x) => format!("{x:?}"),
            EventRef::Net(x) => format!("{x:?}"),
            EventRef::Audit(x) => format!("{:?} {}", x.ts, x.text),
            EventRef::Cloud(x) => format!("{x:?}"),
        });
    })
    .unwrap();
    // Sorted by time: the two auth events (equal time, by line key), then
    // web, then the firewall event.
    assert_eq!(
        got,
        [
            format!("{a:?}"),
            format!("{b:?}"),
            format!("{w:?}"),
            format!("{f:?}")
        ]
    );
}
