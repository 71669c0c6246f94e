//! Property tests: on random hit streams the correlator gives the hits of
//! a naive model that keeps every event, and its memory stays within the
//! group cap.

use super::tests_engine::{correlator, F};
use super::*;
use haboob_model::Value;
use proptest::prelude::*;

const SPAN: i64 = 60_000;
const BASES: [&str; 3] = ["r0", "r1", "r2"];

/// (name, YAML) of the correlations under test; all over `User`, 60 s.
fn rules() -> Vec<String> {
    let c = |id: &str, kind: &str, rules: &str, cond: &str| {
        format!(
            "title: {id}\nid: {id}\ncorrelation:\n  type: {kind}\n  rules: [{rules}]\n  \
             group-by: [User]\n  timespan: 60s\n{cond}"
        )
    };
    vec![
        c("ec", "event_count", "r0, r1", "  condition: {gte: 3}\n"),
        c(
            "vc",
            "value_count",
            "r0",
            "  condition: {gte: 3, field: V}\n",
        ),
        c("tp", "temporal", "r0, r1, r2", ""),
        c("to", "temporal_ordered", "r0, r1, r2", ""),
        c("fx", "event_count", "r2", "  condition: {lt: 3}\n"),
    ]
}

#[derive(Debug, Clone)]
struct Ev {
    rule: usize,
    user: u8,
    val: Option<u8>,
    t: i64,
}

fn stream(raw: &[(u8, u8, u8, i64)]) -> Vec<Ev> {
    let mut t = 0;
    raw.iter()
        .map(|&(rule, user, val, dt)| {
            t += dt * 1000;
            Ev {
                rule: usize::from(rule % 3),
                user: user % 4,
                val: (val < 4).then_some(val),
                t,
            }
        })
        .collect()
}

fn fields(e: &Ev) -> F {
    let user: &'static str = ["u0", "u1", "u2", "u3"][usize::from(e.user)];
    let mut v = vec![("User", Value::from(user))];
    if let Some(x) = e.val {
        v.push(("V", Value::from(["v0", "v1", "v2", "v3"][usize::from(x)])));
    }
    F(v)
}

/// (correlation id, user, completion time in ms, count), sorted.
type Summary = Vec<(String, String, i64, u64)>;

fn run(evs: &[Ev], opts: Options) -> (Summary, Correlator) {
    let yamls = rules();
    let refs: Vec<&str> = yamls.iter().map(String::as_str).collect();
    let mut c = correlator(&refs, &BASES, opts);
    let mut hits = Vec::new();
    for (i, e) in evs.iter().enumerate() {
        let ts = haboob_model::Ts(e.t);
        hits.extend(c.on_hit(BASES[e.rule], None, ts, &fields(e), EventKey(i as u64)));
    }
    hits.extend(c.finish());
    (summarise(&hits), c)
}

fn summarise(hits: &[CorrelationHit]) -> Summary {
    let mut s: Summary = hits
        .iter()
        .map(|h| {
            let user = h.group[0].1.clone().unwrap_or_default();
            (h.id.clone().unwrap_or_default(), user, h.at.0, h.count)
        })
        .collect();
    s.sort();
    s
}

/// The naive model: every event kept, each rule's semantics recomputed
/// from scratch at each arrival.
fn model(evs: &[Ev]) -> Summary {
    let mut out = Vec::new();
    let in_window = |i: usize, user: u8, rules: &[usize]| -> Vec<&Ev> {
        let now = evs[i].t;
        evs[..=i]
            .iter()
            .filter(|e| e.user == user && rules.contains(&e.rule) && e.t >= now - SPAN)
            .collect()
    };
    let mut quiet: std::collections::HashMap<(&str, u8), i64> = Default::default();
    let mut reset: std::collections::HashMap<u8, usize> = Default::default();
    let mut fx: std::collections::BTreeMap<u8, (i64, u64)> = Default::default();
    let user = |u: u8| format!("u{u}");
    for (i, e) in evs.iter().enumerate() {
        // Fixed windows that ended before this hit close first.
        let ended: Vec<u8> = fx
            .iter()
            .filter(|(_, (s, _))| s + SPAN < e.t)
            .map(|(u, _)| *u)
            .collect();
        for u in ended {
            let (s, n) = fx.remove(&u).unwrap_or_default();
            if n < 3 {
                out.push(("fx".to_owned(), user(u), s + SPAN, n));
            }
        }
        let mut sliding = |id: &'static str, rules: &[usize], count: u64, k: u64| {
            let q = quiet.entry((id, e.user)).or_insert(i64::MIN);
            if rules.contains(&e.rule) && e.t > *q && count >= k {
                *q = e.t + SPAN;
                out.push((id.to_owned(), user(e.user), e.t, count.min(k)));
            }
        };
        let ec = in_window(i, e.user, &[0, 1]).len() as u64;
        sliding("ec", &[0, 1], ec, 3);
        let mut vals: Vec<u8> = in_window(i, e.user, &[0])
            .iter()
            .filter_map(|e| e.val)
            .collect();
        vals.sort_unstable();
        vals.dedup();
        sliding("vc", &[0], vals.len() as u64, 3);
        let mut seen: Vec<usize> = in_window(i, e.user, &[0, 1, 2])
            .iter()
            .map(|e| e.rule)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        sliding("tp", &[0, 1, 2], seen.len() as u64, 3);
        // temporal_ordered: r0, r1, r2 in arrival order since the last hit,
        // ending now, the latest-starting such sequence within the span.
        if e.rule == 2 {
            let from = reset.get(&e.user).copied().unwrap_or(0);
            let mine: Vec<(usize, &Ev)> = (from..i)
                .map(|j| (j, &evs[j]))
                .filter(|(_, x)| x.user == e.user)
                .collect();
            let mut want = 1;
            let mut start = None;
            for (_, x) in mine.iter().rev() {
                if x.rule == want {
                    if want == 0 {
                        start = Some(x.t);
                        break;
                    }
                    want -= 1;
                }
            }
            if start.is_some_and(|s| s >= e.t - SPAN) {
                out.push(("to".to_owned(), user(e.user), e.t, 3));
                reset.insert(e.user, i + 1);
            }
        }
        if e.rule == 2 {
            fx.entry(e.user).or_insert((e.t, 0)).1 += 1;
        }
    }
    let now = evs.last().map_or(0, |e| e.t);
    for (u, (s, n)) in fx {
        if n < 3 {
            out.push(("fx".to_owned(), user(u), (s + SPAN).min(now), n));
        }
    }
    out.sort();
    out
}

fn raw() -> impl Strategy<Value = Vec<(u8, u8, u8, i64)>> {
    proptest::collection::vec((0u8..3, 0u8..4, 0u8..5, 0i64..8), 0..160)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn hits_equal_the_naive_model(raw in raw()) {
        let evs = stream(&raw);
        let (got, c) = run(&evs, Options::default());
        prop_assert_eq!(got, model(&evs));
        prop_assert_eq!(c.memory().groups, 0);
    }

    #[test]
    fn memory_stays_within_the_cap(raw in raw()) {
        let evs = stream(&raw);
        let cap = 2;
        let yamls = rules();
        let refs: Vec<&str> = yamls.iter().map(String::as_str).collect();
        let mut c = correlator(&refs, &BASES, Options { max_groups: cap });
        let users: std::collections::HashSet<u8> = evs.iter().map(|e| e.user).collect();
        for (i, e) in evs.iter().enumerate() {
            c.on_hit(BASES[e.rule], None, haboob_model::Ts(e.t), &fields(e), EventKey(i as u64));
            let m = c.memory();
            prop_assert!(m.groups <= cap * 5, "{:?}", m);
            // Per group at most: 3 hits (ec), 3 values + their order
            // (vc, order ≤ 2·3 + 64 + 1), 3 rules (tp), 1 + 2 hits in
            // sequences (to), 32 listed hits (fx).
            prop_assert!(m.entries <= cap * (3 + 3 + 71 + 3 + 3 + 32), "{:?}", m);
        }
        if users.len() <= cap {
            prop_assert_eq!(c.memory().evicted_groups, 0);
        }
    }
}

/// The streams the properties draw from do reach every correlation (the
/// comparison above is not vacuous).
#[test]
fn streams_like_the_random_ones_hit_every_correlation() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    let raw: Vec<(u8, u8, u8, i64)> = (0..400)
        .map(|_| (next(3) as u8, next(4) as u8, next(5) as u8, next(8) as i64))
        .collect();
    let evs = stream(&raw);
    let (got, _) = run(&evs, Options::default());
    assert_eq!(got, model(&evs));
    for id in ["ec", "vc", "tp", "to", "fx"] {
        assert!(got.iter().any(|h| h.0 == id), "no {id} hit in {got:?}");
    }
}
