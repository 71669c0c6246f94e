//! The tracker against its previous definition: the map of boxed slots whose
//! sweep collected the idle keys into a vector and removed them one by one,
//! reading each slot's `touched` through its box. Same events, same ends:
//! the same episodes flushed in the same order, the same map, pool and saved
//! bytes, on generated streams (late events, time jumps, a small cap).

use super::*;
use proptest::prelude::*;

#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct St(u32);
impl Recycle for St {}

/// The tracker as it was (the reference; its pool boxed as the tracker's).
#[allow(clippy::vec_box)]
#[derive(Debug, serde::Serialize)]
struct Old {
    map: HashMap<Key, Box<Slot<St>>, FxBuild>,
    #[serde(skip)]
    pool: Vec<Box<Slot<St>>>,
    idle_ms: i64,
    max: usize,
    since_sweep: u32,
    last_sweep: Ts,
}

impl Old {
    fn new(idle_secs: u64, max: usize) -> Self {
        Old {
            map: HashMap::with_hasher(FxBuild),
            pool: Vec::new(),
            idle_ms: i64::try_from(idle_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
            max: max.max(1),
            since_sweep: 0,
            last_sweep: Ts(i64::MIN),
        }
    }

    fn entry(
        &mut self,
        key: Key,
        ip: IpAddr,
        site: &str,
        now: Ts,
        flush: &mut impl FnMut(Slot<St>),
    ) -> &mut Slot<St> {
        if self.map.len() >= self.max && !self.map.contains_key(&key) {
            self.evict_oldest(flush);
        }
        let pool = &mut self.pool;
        let slot = match self.map.entry(key) {
            Entry::Occupied(o) => {
                let slot = o.into_mut();
                if now.0.saturating_sub(slot.ep.touched.0) > self.idle_ms {
                    let old = std::mem::replace(slot, fresh(pool, ip, site, now));
                    retire(old, pool, &mut |s| flush(*s));
                }
                slot
            }
            Entry::Vacant(v) => v.insert(fresh(pool, ip, site, now)),
        };
        slot.ep.touched = slot.ep.touched.max(now);
        slot
    }

    fn get_live(&mut self, key: &Key, now: Ts) -> Option<&mut Slot<St>> {
        let idle = self.idle_ms;
        let s = self
            .map
            .get_mut(key)
            .filter(|s| now.0.saturating_sub(s.ep.touched.0) <= idle)?;
        s.ep.touched = s.ep.touched.max(now);
        Some(&mut **s)
    }

    fn maintain(&mut self, now: Ts, flush: &mut impl FnMut(Slot<St>)) {
        self.since_sweep += 1;
        if self.since_sweep < SWEEP_EVERY && now.0.saturating_sub(self.last_sweep.0) <= self.idle_ms
        {
            return;
        }
        self.since_sweep = 0;
        self.last_sweep = now;
        let idle = self.idle_ms;
        let mut fired: Vec<Box<Slot<St>>> = Vec::new();
        let keys: Vec<Key> = self
            .map
            .iter()
            .filter(|(_, s)| now.0.saturating_sub(s.ep.touched.0) > idle)
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            if let Some(s) = self.map.remove(&k) {
                retire(s, &mut self.pool, &mut |s| fired.push(s));
            }
        }
        flush_sorted(fired, flush);
    }

    fn evict_oldest(&mut self, flush: &mut impl FnMut(Slot<St>)) {
        let mut lasts: Vec<(Ts, Key)> = self.map.iter().map(|(k, s)| (s.ep.touched, *k)).collect();
        let n = (lasts.len() / 8).max(1);
        lasts.select_nth_unstable_by_key(n - 1, |(t, _)| *t);
        let mut fired: Vec<Box<Slot<St>>> = Vec::new();
        for (_, k) in &lasts[..n] {
            if let Some(s) = self.map.remove(k) {
                retire(s, &mut self.pool, &mut |s| fired.push(s));
            }
        }
        flush_sorted(fired, flush);
    }

    fn drain(&mut self, flush: &mut impl FnMut(Slot<St>)) {
        let gone: Vec<Box<Slot<St>>> = self
            .map
            .drain()
            .map(|(_, s)| s)
            .filter(|s| s.ep.fired)
            .collect();
        self.pool = Vec::new();
        flush_sorted(gone, flush);
    }
}

/// What a flush hands over, as text.
fn ended(s: &Slot<St>) -> String {
    format!(
        "{} {} {:?} {:?} {:?} {} {} {:?} {}",
        s.ep.ip,
        s.ep.site,
        s.ep.first,
        s.ep.last,
        s.ep.touched,
        s.ep.count,
        s.ep.fired,
        s.ep.samples,
        s.st.0
    )
}

/// One generated event: time step (ms, may be negative), key, what is done.
type Step = (i64, u8, u8);

fn step() -> impl Strategy<Value = Step> {
    (
        // Steps of 125 ms: times often exactly the idle time apart.
        prop_oneof![
            20 => 0i64..4,
            2 => -24i64..0,
            1 => 40i64..320,
            1 => -480i64..-40,
        ]
        .prop_map(|n| n * 125),
        0u8..24,
        0u8..8,
    )
}

/// Feed the same stream to the tracker and the reference; every flush,
/// every size and the saved bytes must agree.
fn agree(idle_secs: u64, max: usize, steps: &[Step], every: usize) -> Result<(), TestCaseError> {
    let mut new: Tracker<St> = Tracker::new(idle_secs, max);
    let mut old = Old::new(idle_secs, max);
    let (mut a, mut b): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let mut now = 1_000_000i64;
    let o = Origin {
        file: "t.log",
        line: 1,
        raw: "GET /",
    };
    for (i, &(dt, k, op)) in steps.iter().cycle().take(steps.len() * every).enumerate() {
        now += dt;
        let ts = Ts(now);
        let ip = IpAddr::from([192, 0, 2, k % 12]);
        let key: Key = (ip, u64::from(k / 12));
        let site = if k < 12 { "a.example" } else { "b.example" };
        new.maintain(ts, &mut |s| a.push(ended(&s)));
        old.maintain(ts, &mut |s| b.push(ended(&s)));
        let (sa, sb) = if op < 6 {
            (
                Some(new.entry(key, ip, site, ts, &mut |s| a.push(ended(&s)))),
                Some(old.entry(key, ip, site, ts, &mut |s| b.push(ended(&s)))),
            )
        } else {
            (new.get_live(&key, ts), old.get_live(&key, ts))
        };
        prop_assert_eq!(sa.is_some(), sb.is_some(), "event {}", i);
        if let (Some(sa), Some(sb)) = (sa, sb) {
            for s in [sa, sb] {
                s.ep.hit(ts, &o, 2);
                s.st.0 += 1;
                if s.ep.count >= 3 {
                    s.ep.fired = true;
                }
            }
        }
        prop_assert_eq!(&a, &b, "event {}", i);
        prop_assert_eq!(
            (new.map.len(), new.pool.len()),
            (old.map.len(), old.pool.len())
        );
        for (k, h) in &new.map {
            prop_assert_eq!(h.touched, h.slot.ep.touched, "{:?}", k);
        }
        if i % 997 == 0 {
            let (mut x, mut y) = (Vec::new(), Vec::new());
            ciborium::into_writer(&new, &mut x).unwrap();
            ciborium::into_writer(&old, &mut y).unwrap();
            prop_assert_eq!(x, y, "saved bytes, event {}", i);
        }
    }
    new.drain(&mut |s| a.push(ended(&s)));
    old.drain(&mut |s| b.push(ended(&s)));
    prop_assert_eq!(a, b);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Streams long enough for the count-driven sweep (every 4,096
    /// events) as well as the time-driven one, with and without the cap.
    #[test]
    fn sweep_and_cap_agree_with_the_reference(
        steps in proptest::collection::vec(step(), 1..400),
        idle in 1u64..8,
        max in prop_oneof![1usize..6, 6usize..30, Just(1_000_000)],
    ) {
        agree(idle, max, &steps, 5_000 / steps.len() + 1)?;
    }
}

/// A restored tracker sweeps and ends as the one that was saved.
#[test]
fn restored_tracker_goes_on_as_the_saved_one() {
    let mut t: Tracker<St> = Tracker::new(5, 1_000);
    let o = Origin {
        file: "t.log",
        line: 1,
        raw: "GET /",
    };
    for i in 0..200u8 {
        let ip = IpAddr::from([198, 51, 100, i]);
        let s = t.entry(
            (ip, 1),
            ip,
            "s.example",
            Ts(i64::from(i) * 100),
            &mut |_| {},
        );
        s.ep.hit(Ts(i64::from(i) * 100), &o, 2);
        s.ep.fired = i % 3 == 0;
    }
    let mut bytes = Vec::new();
    ciborium::into_writer(&t, &mut bytes).unwrap();
    let mut back: Tracker<St> = ciborium::from_reader(&bytes[..]).unwrap();
    for (k, h) in &back.map {
        assert_eq!(h.touched, t.map[k].touched);
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    t.maintain(Ts(19_000), &mut |s| a.push(ended(&s)));
    back.maintain(Ts(19_000), &mut |s| b.push(ended(&s)));
    assert_eq!(a.len(), 47, "{a:?}");
    assert_eq!(a, b);
    assert_eq!(t.map.len(), back.map.len());
}

/// A tracker restored mid-stream (its due time not known) sweeps at the
/// same events as the one that was saved, by count and by time, with
/// events late and in time jumps.
#[test]
fn restored_tracker_sweeps_when_the_saved_one_does() {
    let o = Origin {
        file: "t.log",
        line: 1,
        raw: "GET /",
    };
    let mut t: Tracker<St> = Tracker::new(3, 1_000_000);
    let mut old = Old::new(3, 1_000_000);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut now = 5_000i64;
    for i in 0..12_000u32 {
        // Mostly 1 ms apart, now and then late or 4 s later.
        now += match i % 97 {
            0 => 4_000,
            1 => -2_500,
            _ => 1,
        };
        let ts = Ts(now);
        if i % 1_500 == 700 {
            let mut bytes = Vec::new();
            ciborium::into_writer(&t, &mut bytes).unwrap();
            t = ciborium::from_reader(&bytes[..]).unwrap();
            assert_eq!(t.due, i64::MIN);
        }
        t.maintain(ts, &mut |s| a.push(ended(&s)));
        old.maintain(ts, &mut |s| b.push(ended(&s)));
        assert_eq!(
            (t.since_sweep, t.last_sweep),
            (old.since_sweep, old.last_sweep),
            "event {i}"
        );
        let ip = IpAddr::from([203, 0, 113, (i % 50) as u8]);
        for s in [
            &mut t.entry((ip, 1), ip, "s.example", ts, &mut |s| a.push(ended(&s))),
            &mut old.entry((ip, 1), ip, "s.example", ts, &mut |s| b.push(ended(&s))),
        ] {
            s.ep.hit(ts, &o, 2);
            s.ep.fired |= s.ep.count >= 3;
        }
        assert_eq!(a, b, "event {i}");
    }
}
