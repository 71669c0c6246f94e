use super::*;

fn o(line: u64) -> Origin<'static> {
    Origin {
        file: "access.log",
        line,
        raw: "",
    }
}

#[test]
fn tolerance_edges() {
    let mut g = OrderGuard::new(300);
    assert!(g.admit(Ts(1_000_000), &o(1)));
    // Exactly the tolerance back: admitted.
    assert!(g.admit(Ts(1_000_000 - 300_000), &o(2)));
    // Forward again, then 1 ms more than the tolerance back: disorder.
    assert!(g.admit(Ts(2_000_000), &o(3)));
    assert!(g.admit(Ts(2_000_000 - 300_000), &o(4)));
    assert!(g.disorder().is_none());
    assert!(!g.admit(Ts(2_000_000 - 300_001), &o(5)));
    assert_eq!(
        g.disorder(),
        Some(&Disorder {
            file: "access.log".into(),
            line: 5,
            behind_ms: 300_001
        })
    );
    // Once disordered, nothing more is fed and the first place is kept.
    assert!(!g.admit(Ts(3_000_000), &o(6)));
    assert!(!g.admit(Ts(0), &o(7)));
    assert_eq!(g.disorder().map(|d| d.line), Some(5));
}

#[test]
fn zero_tolerance_and_equal_times() {
    let mut g = OrderGuard::new(0);
    assert!(g.admit(Ts(5), &o(1)));
    assert!(g.admit(Ts(5), &o(2)));
    assert!(!g.admit(Ts(4), &o(3)));
    // A huge tolerance never trips, even from the far past.
    let mut g = OrderGuard::new(u64::MAX);
    assert!(g.admit(Ts(i64::MAX), &o(1)));
    assert!(g.admit(Ts(i64::MIN), &o(2)));
    assert!(g.disorder().is_none());
}

#[test]
fn first_record_can_be_any_time() {
    let mut g = OrderGuard::new(300);
    assert!(g.admit(Ts(i64::MIN), &o(1)));
    assert!(g.admit(Ts(-5), &o(2)));
    assert!(g.disorder().is_none());
}

#[test]
fn newest_first_needs_nine_steps_back_in_ten() {
    let dir = |ts: &[i64]| {
        let mut d = Direction::default();
        for &t in ts {
            d.step(Ts(t));
        }
        d
    };
    assert!(dir(&[9, 9, 8, 7, 7, 6, 5, 4, 3, 2, 1]).newest_first());
    assert!(!dir(&[1, 2, 3, 4, 5]).newest_first());
    assert!(!dir(&[5, 5, 5, 5]).newest_first());
    assert!(!dir(&[5, 4]).newest_first(), "one step is not enough");
    // 9 back and 1 forward: newest first; 8 and 2: shuffled.
    assert!(dir(&[20, 19, 18, 17, 18, 16, 15, 14, 13, 12, 11]).newest_first());
    assert!(!dir(&[20, 19, 18, 19, 17, 16, 17, 15, 14, 13, 12]).newest_first());
    // Only the first records count.
    let mut long: Vec<i64> = (0..PROBE_EVENTS as i64).rev().collect();
    long.extend(0..10_000);
    assert!(dir(&long).newest_first());
}
