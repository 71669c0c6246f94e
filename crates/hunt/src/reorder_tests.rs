//! Unit tests of the reorder buffer: exact order out, memory bound.

use super::Reorder;
use haboob_model::{EventRef, Origin, Ts, WebEvent};

fn web(ts: i64) -> WebEvent<'static> {
    WebEvent {
        ts: Ts(ts),
        source_ip: "192.0.2.1".parse().unwrap(),
        method: "GET",
        path: "/x",
        query: "",
        status: 200,
        bytes: 1,
        user_agent: "ua",
        referrer: "",
        site: "s",
        user: "",
        forwarded: "",
        protocol: "HTTP/1.1",
    }
}

/// Push records with these times (line = index + 1); the (time, line) fed.
fn run(times: &[i64], window_secs: u64, max_bytes: usize) -> (Vec<(i64, u64)>, Reorder) {
    let mut r = Reorder::new(window_secs, max_bytes);
    let mut fed = Vec::new();
    for (i, &t) in times.iter().enumerate() {
        let raw = format!("line {}", i + 1);
        let o = Origin {
            file: "a.log",
            line: i as u64 + 1,
            raw: &raw,
        };
        r.push(&EventRef::Web(web(t)), &o, &mut |ev, o| {
            assert_eq!(o.file, "a.log");
            assert_eq!(o.raw, format!("line {}", o.line));
            fed.push((ev.ts().0, o.line));
        });
    }
    r.drain(&mut |ev, o| fed.push((ev.ts().0, o.line)));
    (fed, r)
}

#[test]
fn in_order_passes_straight_through() {
    let (fed, r) = run(&[0, 1000, 1000, 5000], 300, 64 << 20);
    assert_eq!(fed, vec![(0, 1), (1000, 2), (1000, 3), (5000, 4)]);
    assert!(!r.engaged());
}

#[test]
fn late_records_after_the_first_are_put_in_place() {
    // 3 s is read before 2 s (the first late record: 3 s was already fed);
    // from then on everything is held and released in time order, equal
    // times in the order read.
    let times = [1000, 3000, 2000, 6000, 4000, 5000, 5000, 4500, 9000];
    let (fed, r) = run(&times, 300, 64 << 20);
    let ts: Vec<i64> = fed.iter().map(|f| f.0).collect();
    assert_eq!(ts, [1000, 3000, 2000, 4000, 4500, 5000, 5000, 6000, 9000]);
    assert_eq!(fed[5], (5000, 6));
    assert_eq!(fed[6], (5000, 7));
    assert!(r.engaged());
    assert_eq!(r.released_early(), 0);
}

#[test]
fn records_are_released_once_the_window_has_passed() {
    let mut r = Reorder::new(10, 64 << 20);
    let mut fed = Vec::new();
    let o = Origin {
        file: "a.log",
        line: 1,
        raw: "",
    };
    for t in [20_000, 15_000, 25_000, 30_000] {
        r.push(&EventRef::Web(web(t)), &o, &mut |ev, _| fed.push(ev.ts().0));
    }
    // 20 s fed at once (in order then); 15 s and 25 s held; at 30 s the
    // window (10 s) has passed 15 s only.
    assert_eq!(fed, [20_000, 15_000]);
    r.push(&EventRef::Web(web(40_000)), &o, &mut |ev, _| {
        fed.push(ev.ts().0)
    });
    assert_eq!(fed, [20_000, 15_000, 25_000, 30_000]);
}

#[test]
fn a_full_buffer_releases_the_oldest_early_and_counts_them() {
    // One late record engages the buffer; 200,000 more records of growing
    // time within a window that never passes, in the least memory allowed
    // (4 MiB, about 100 bytes a record).
    let mut times = vec![10_000, 0];
    times.extend((0..200_000).map(|i| 10_000 + i));
    let (fed, r) = run(&times, 1_000_000, 1);
    assert_eq!(fed.len(), times.len());
    assert!(r.released_early() > 0);
    assert!(r.released_early() < 200_000);
    // Still in time order after the engagement.
    assert!(fed[1..].windows(2).all(|w| w[0].0 <= w[1].0));
    // Storage chunks are reused, not piled up.
    assert!(r.chunks.len() <= 5, "{} chunks", r.chunks.len());
}

/// A JSON sign-in record held by the buffer keeps its fields past the
/// 2 KiB of evidence: a rule reads `Status.errorCode` from the raw text
/// of an Entra record that a long `userAgent` pushed to byte 4,000+.
#[test]
fn a_held_json_record_keeps_its_fields() {
    use haboob_model::{AuthEvent, AuthOutcome, FieldView, JsonView, MAX_EVIDENCE_BYTES};
    let raw = format!(
        r#"{{"createdDateTime":"2026-09-01T10:00:00Z","userPrincipalName":"a@x.example","userAgent":"{}","status":{{"errorCode":50126}}}}"#,
        "Mozilla/5.0 ".repeat(350)
    );
    assert!(raw.find("errorCode").unwrap() > 2 * MAX_EVIDENCE_BYTES);
    let mut r = Reorder::new(300, 64 << 20);
    let mut fed = Vec::new();
    for (i, t) in [3000, 2000, 2500, 1000].into_iter().enumerate() {
        let ev = EventRef::Auth(AuthEvent::empty(Ts(t), "auth.entra", AuthOutcome::Failure));
        let o = Origin {
            file: "signins.json",
            line: i as u64 + 1,
            raw: &raw,
        };
        let mut out = |ev: &EventRef<'_>, o: &Origin<'_>| {
            let code = JsonView::new(o.raw)
                .field("status.errorCode")
                .map(|v| v.to_string());
            fed.push((ev.ts().0, o.line, code, o.raw.len()));
        };
        r.push(&ev, &o, &mut out);
    }
    r.drain(&mut |ev, o| {
        let code = JsonView::new(o.raw)
            .field("status.errorCode")
            .map(|v| v.to_string());
        fed.push((ev.ts().0, o.line, code, o.raw.len()));
    });
    assert!(r.engaged());
    let code = Some("50126".to_string());
    let n = raw.len();
    assert_eq!(
        fed,
        [
            // Fed at once; then 2000 s engages the buffer, which holds
            // and releases every later record in time order.
            (3000, 1, code.clone(), n),
            (1000, 4, code.clone(), n),
            (2000, 2, code.clone(), n),
            (2500, 3, code, n),
        ]
    );
}
