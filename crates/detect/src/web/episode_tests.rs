//! Tests of episodes, evidence buffers and the tracker.

use super::*;

#[derive(Debug, Default, PartialEq)]
struct St(Vec<u8>);
impl Recycle for St {}

fn origin(raw: &str) -> Origin<'_> {
    Origin {
        file: "x.log",
        line: 1,
        raw,
    }
}

#[test]
fn ended_unfired_slots_are_reused_as_new_and_never_flushed() {
    let a: IpAddr = "192.0.2.1".parse().unwrap();
    let b: IpAddr = "198.51.100.7".parse().unwrap();
    let mut t: Tracker<St> = Tracker::new(10, 100);
    let mut flushed: Vec<IpAddr> = Vec::new();
    let s = t.entry((a, 1), a, "old.example", Ts(1_000), &mut |s| {
        flushed.push(s.ep.ip)
    });
    s.ep.hit(Ts(1_000), &origin("GET /a"), 10);
    s.ep.sample("/a");
    s.ep.severity = Severity::High;
    s.st.0.push(9);
    // 20 s later `a` is idle: swept, not flushed (it never fired), pooled.
    t.maintain(Ts(21_000), &mut |s| flushed.push(s.ep.ip));
    assert_eq!((t.len(), t.pool.len()), (0, 1));
    t.entry((b, 2), b, "new.example", Ts(22_000), &mut |s| {
        flushed.push(s.ep.ip)
    });
    assert_eq!(t.pool.len(), 0);
    let s = &mut t.map.get_mut(&(b, 2)).unwrap().slot;
    let new = Episode::new(b, "new.example", Ts(22_000));
    assert_eq!(format!("{:?}", s.st), format!("{:?}", St::default()));
    assert_eq!(
        (s.ep.ip, s.ep.prefix, &*s.ep.site),
        (b, None, "new.example")
    );
    assert_eq!(
        (s.ep.first, s.ep.last, s.ep.touched),
        (new.first, new.last, new.touched)
    );
    assert_eq!(
        (s.ep.count, s.ep.fired, s.ep.severity),
        (0, false, Severity::Low)
    );
    assert_eq!((s.ep.evidence.len(), s.ep.samples.len()), (0, 0));
    s.ep.hit(Ts(22_000), &origin("GET /b"), 10);
    s.ep.sample("/b");
    s.ep.fired = true;
    assert_eq!(
        s.ep.evidence.to_vec(),
        vec![Evidence::from_origin(&origin("GET /b"))]
    );
    assert_eq!(s.ep.samples, vec!["/b".to_string()]);
    // A fired episode is flushed when it ends.
    t.maintain(Ts(40_000), &mut |s| flushed.push(s.ep.ip));
    assert_eq!(flushed, vec![b]);
    assert_eq!(t.pool.len(), 0);
}

#[test]
fn evidence_buf_matches_evidence_from_origin() {
    let long = "é".repeat(haboob_model::MAX_EVIDENCE_BYTES); // cut mid-character
    let origins = [
        Origin {
            file: "a.log",
            line: 3,
            raw: "first line",
        },
        Origin {
            file: "b.log",
            line: 9,
            raw: &long,
        },
        Origin {
            file: "a.log",
            line: 12,
            raw: "",
        },
    ];
    let mut buf = EvidenceBuf::default();
    for o in &origins {
        buf.push(o);
    }
    let want: Vec<Evidence> = origins.iter().map(Evidence::from_origin).collect();
    assert_eq!(buf.len(), 3);
    assert_eq!(buf.to_vec(), want);
    assert!(buf.to_vec()[1].raw.len() < long.len());
    buf.clear();
    assert_eq!(buf.len(), 0);
    buf.push(&origins[2]);
    assert_eq!(buf.to_vec(), vec![Evidence::from_origin(&origins[2])]);
}

#[test]
fn late_events_never_put_first_after_last() {
    let a: IpAddr = "192.0.2.1".parse().unwrap();
    let mut ep = Episode::new(a, "s.example", Ts(100_000));
    // Slightly out of order (within the ingest tolerance): one late line.
    for t in [100_000, 160_000, 40_000, 120_000] {
        ep.hit(Ts(t), &origin("GET /x"), 10);
    }
    assert_eq!((ep.first, ep.last, ep.count), (Ts(40_000), Ts(160_000), 4));
}
