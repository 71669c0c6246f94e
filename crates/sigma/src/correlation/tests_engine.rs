//! Exact hits and near misses per correlation type, on fake base-rule hit
//! streams (the base rules themselves are matched elsewhere).

use super::*;
use haboob_model::{FieldView, Ts, Value};
use std::path::Path;

/// Fields of a fake event.
pub(super) struct F(pub Vec<(&'static str, Value<'static>)>);

impl FieldView for F {
    fn field(&self, name: &str) -> Option<Value<'_>> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }
    fn for_each_field(&self, f: &mut dyn FnMut(&str, Value<'_>)) {
        for (n, v) in &self.0 {
            f(n, v.clone());
        }
    }
}

/// Text fields.
pub(super) fn f(pairs: &[(&'static str, &'static str)]) -> F {
    F(pairs.iter().map(|(n, v)| (*n, Value::from(*v))).collect())
}

pub(super) fn rule(yaml: &str) -> CorrelationRule {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(yaml).expect("test YAML");
    parse(&doc, Path::new("test.yml")).expect("test rule parses")
}

/// A correlator over `yamls`, base rules named (and with the id) `bases`.
pub(super) fn correlator(yamls: &[&str], bases: &[&str], opts: Options) -> Correlator {
    let rules = yamls.iter().map(|y| rule(y)).collect();
    let base: Vec<RuleRef> = bases
        .iter()
        .map(|b| RuleRef {
            id: Some(format!("id-{b}")),
            name: Some((*b).to_owned()),
        })
        .collect();
    let (c, errors) = Correlator::new(rules, &base, opts);
    assert!(errors.is_empty(), "{errors:?}");
    c
}

/// Feeds a hit of base rule `name` at `secs` for event `key`.
pub(super) fn hit(
    c: &mut Correlator,
    name: &str,
    secs: i64,
    fields: &F,
    key: u64,
) -> Vec<CorrelationHit> {
    c.on_hit(
        &format!("id-{name}"),
        Some(name),
        Ts::from_secs(secs),
        fields,
        EventKey(key),
    )
}

fn keys(h: &CorrelationHit) -> Vec<u64> {
    h.events.iter().map(|k| k.0).collect()
}

const COUNT5: &str = "
title: five failures
id: c-count
correlation:
  type: event_count
  rules: [failed]
  group-by: [User]
  timespan: 5m
  condition: {gte: 5}
";

#[test]
fn event_count_exact_hit_and_one_short() {
    let mut c = correlator(&[COUNT5], &["failed"], Options::default());
    let alice = f(&[("User", "alice")]);
    let bob = f(&[("User", "bob")]);
    let mut hits = Vec::new();
    for i in 0..5 {
        hits.extend(hit(&mut c, "failed", i * 60, &alice, i as u64));
        if i < 4 {
            hits.extend(hit(&mut c, "failed", i * 60 + 1, &bob, 100 + i as u64));
        }
    }
    hits.extend(c.finish());
    assert_eq!(hits.len(), 1, "{hits:?}");
    let h = &hits[0];
    assert_eq!(h.id.as_deref(), Some("c-count"));
    assert_eq!(h.title, "five failures");
    assert_eq!(h.group, vec![("User".to_owned(), Some("alice".to_owned()))]);
    assert_eq!(
        (h.first, h.last, h.at),
        (Ts::from_secs(0), Ts::from_secs(240), Ts::from_secs(240))
    );
    assert_eq!(h.count, 5);
    assert_eq!(keys(h), vec![0, 1, 2, 3, 4]);
    assert_eq!(h.events_total, 5);
}

#[test]
fn event_count_timespan_is_inclusive_and_one_second_outside_misses() {
    let u = f(&[("User", "u")]);
    let mut inside = correlator(&[COUNT5], &["failed"], Options::default());
    let mut n = 0;
    for s in [0, 60, 120, 180, 300] {
        n += hit(&mut inside, "failed", s, &u, 0).len();
    }
    assert_eq!(n, 1, "300 s after the first is within 5m");
    let mut outside = correlator(&[COUNT5], &["failed"], Options::default());
    let mut n = 0;
    for s in [0, 60, 120, 180, 301] {
        n += hit(&mut outside, "failed", s, &u, 0).len();
    }
    n += outside.finish().len();
    assert_eq!(n, 0, "301 s after the first is outside 5m");
}

#[test]
fn event_count_fires_once_per_timespan_not_per_event() {
    let u = f(&[("User", "u")]);
    let mut c = correlator(&[COUNT5], &["failed"], Options::default());
    let mut at = Vec::new();
    let mut feed = |c: &mut Correlator, s: i64| {
        for h in hit(c, "failed", s, &u, 0) {
            at.push(h.at.secs());
        }
    };
    // A flood, one every 10 s for 1000 s: a hit at the 5th, then quiet
    // until its events have left the window (> 40 + 300), and so on.
    for i in 0..100 {
        feed(&mut c, i * 10);
    }
    // A burst after a gap: one hit.
    for s in 2000..2005 {
        feed(&mut c, s);
    }
    // A stream at the threshold's rate (5 in any 300 s, 61 s apart): still
    // quiet until 2004 + 300, then one more hit.
    for s in [2301, 2302, 2303, 2304, 2305, 2366] {
        feed(&mut c, s);
    }
    assert_eq!(at, vec![40, 350, 660, 970, 2004, 2305]);
}

#[test]
fn event_count_gt_needs_one_more() {
    let gt = COUNT5.replace("gte: 5", "gt: 3");
    let mut c = correlator(&[&gt], &["failed"], Options::default());
    let u = f(&[("User", "u")]);
    let counts: Vec<usize> = (0..4)
        .map(|i| hit(&mut c, "failed", i, &u, 0).len())
        .collect();
    assert_eq!(counts, vec![0, 0, 0, 1]);
}

#[test]
fn missing_and_empty_group_fields_group_under_null() {
    let mut c = correlator(&[COUNT5], &["failed"], Options::default());
    let mut hits = Vec::new();
    hits.extend(hit(&mut c, "failed", 0, &f(&[]), 1));
    hits.extend(hit(&mut c, "failed", 1, &F(vec![("User", Value::Null)]), 2));
    hits.extend(hit(&mut c, "failed", 2, &f(&[("User", "")]), 3));
    hits.extend(hit(&mut c, "failed", 3, &f(&[("Other", "x")]), 4));
    hits.extend(hit(&mut c, "failed", 4, &f(&[("User", "x")]), 5));
    assert!(hits.is_empty());
    hits.extend(hit(&mut c, "failed", 5, &f(&[]), 6));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].group, vec![("User".to_owned(), None)]);
    assert_eq!(keys(&hits[0]), vec![1, 2, 3, 4, 6]);
}

#[test]
fn integer_and_text_values_are_one_group() {
    let by_type = COUNT5.replace("[User]", "[LogonType]");
    let mut c = correlator(&[&by_type], &["failed"], Options::default());
    let mut n = 0;
    for i in 0..5 {
        let v = if i % 2 == 0 {
            Value::Int(3)
        } else {
            Value::from("3")
        };
        n += hit(&mut c, "failed", i, &F(vec![("LogonType", v)]), 0).len();
    }
    assert_eq!(n, 1);
}

#[test]
fn no_group_by_is_one_group() {
    let global = COUNT5.replace("  group-by: [User]\n", "");
    let mut c = correlator(&[&global], &["failed"], Options::default());
    let mut hits = Vec::new();
    for (i, u) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
        hits.extend(hit(
            &mut c,
            "failed",
            i as i64,
            &F(vec![("User", Value::from(u))]),
            0,
        ));
    }
    assert_eq!(hits.len(), 1);
    assert!(hits[0].group.is_empty());
}

const VALUES3: &str = "
title: three users from one address
id: c-values
correlation:
  type: value_count
  rules: [failed]
  group-by: [IpAddress]
  timespan: 5m
  condition: {gte: 3, field: TargetUserName}
";

fn ip_user(ip: &'static str, user: &'static str) -> F {
    f(&[("IpAddress", ip), ("TargetUserName", user)])
}

#[test]
fn value_count_distinct_not_repeated() {
    let mut c = correlator(&[VALUES3], &["failed"], Options::default());
    let mut hits = Vec::new();
    for (i, u) in ["a", "b", "a", "a", "b", "b"].into_iter().enumerate() {
        hits.extend(hit(
            &mut c,
            "failed",
            i as i64,
            &ip_user("10.0.0.1", u),
            i as u64,
        ));
    }
    // Repeats of two values, and a third value from another address.
    hits.extend(hit(&mut c, "failed", 10, &ip_user("10.0.0.2", "c"), 10));
    assert!(hits.is_empty(), "{hits:?}");
    hits.extend(hit(&mut c, "failed", 11, &ip_user("10.0.0.1", "c"), 11));
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    assert_eq!(h.count, 3);
    assert_eq!(
        h.group,
        vec![("IpAddress".to_owned(), Some("10.0.0.1".to_owned()))]
    );
    // The latest event of each value.
    assert_eq!(keys(h), vec![3, 5, 11]);
    assert_eq!(h.first, Ts::from_secs(3));
}

#[test]
fn value_count_window_edges_and_refreshed_values() {
    let mut c = correlator(&[VALUES3], &["failed"], Options::default());
    let ip = "10.0.0.9";
    assert!(hit(&mut c, "failed", 0, &ip_user(ip, "a"), 0).is_empty());
    assert!(hit(&mut c, "failed", 200, &ip_user(ip, "b"), 1).is_empty());
    // `a` at 0 is 301 s before: outside.
    assert!(hit(&mut c, "failed", 301, &ip_user(ip, "c"), 2).is_empty());
    // `a` seen again at 302: a, b, c within [2, 302].
    let h = hit(&mut c, "failed", 302, &ip_user(ip, "a"), 3);
    assert_eq!(h.len(), 1);
    assert_eq!(keys(&h[0]), vec![1, 2, 3]);
}

#[test]
fn value_count_skips_null_values_and_counts_tuples() {
    let mut c = correlator(&[VALUES3], &["failed"], Options::default());
    let mut n = 0;
    n += hit(&mut c, "failed", 0, &ip_user("h", "a"), 0).len();
    n += hit(&mut c, "failed", 1, &ip_user("h", "b"), 0).len();
    n += hit(&mut c, "failed", 2, &f(&[("IpAddress", "h")]), 0).len();
    n += hit(&mut c, "failed", 3, &ip_user("h", ""), 0).len();
    assert_eq!(n, 0, "null and missing values add no value");
    let pairs = VALUES3.replace(
        "field: TargetUserName",
        "field: [TargetUserName, LogonType]",
    );
    let mut c = correlator(&[&pairs], &["failed"], Options::default());
    let ev = |u, t| f(&[("IpAddress", "h"), ("TargetUserName", u), ("LogonType", t)]);
    let mut n = Vec::new();
    for (i, (u, t)) in [("a", "3"), ("a", "3"), ("a", "10"), ("b", "3")]
        .into_iter()
        .enumerate()
    {
        n.push(hit(&mut c, "failed", i as i64, &ev(u, t), 0).len());
    }
    assert_eq!(n, vec![0, 0, 0, 1], "three distinct (user, type) pairs");
}

const TEMPORAL: &str = "
title: recon
id: c-recon
correlation:
  type: temporal
  rules: [a, b, c]
  group-by: [Host]
  timespan: 5m
";

#[test]
fn temporal_any_order_within_timespan() {
    let h1 = f(&[("Host", "h1")]);
    let h2 = f(&[("Host", "h2")]);
    let mut c = correlator(&[TEMPORAL], &["a", "b", "c"], Options::default());
    assert!(hit(&mut c, "c", 0, &h1, 1).is_empty());
    assert!(hit(&mut c, "a", 10, &h1, 2).is_empty());
    assert!(hit(&mut c, "b", 15, &h2, 3).is_empty(), "another host");
    let hits = hit(&mut c, "b", 20, &h1, 4);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].count, 3);
    assert_eq!(keys(&hits[0]), vec![1, 2, 4]);
    assert!(hit(&mut c, "b", 30, &h1, 5).is_empty(), "same episode");
    // One second outside: a at 400, b at 500, c at 701 (a left at 700).
    let mut c = correlator(&[TEMPORAL], &["a", "b", "c"], Options::default());
    assert!(hit(&mut c, "a", 400, &h1, 1).is_empty());
    assert!(hit(&mut c, "b", 500, &h1, 2).is_empty());
    assert!(hit(&mut c, "c", 701, &h1, 3).is_empty());
    assert_eq!(
        hit(&mut c, "a", 702, &h1, 4).len(),
        1,
        "a again, b and c still in"
    );
}

#[test]
fn temporal_with_a_count_condition() {
    let two = TEMPORAL.replace("timespan: 5m", "timespan: 5m\n  condition: {gte: 2}");
    let mut c = correlator(&[&two], &["a", "b", "c"], Options::default());
    let h = f(&[("Host", "h")]);
    assert!(hit(&mut c, "a", 0, &h, 1).is_empty());
    assert!(
        hit(&mut c, "a", 1, &h, 2).is_empty(),
        "the same rule twice is one"
    );
    assert_eq!(hit(&mut c, "c", 2, &h, 3)[0].count, 2);
}

const ORDERED: &str = "
title: recon in order
id: c-ordered
correlation:
  type: temporal_ordered
  rules: [a, b, c]
  group-by: [Host]
  timespan: 5m
";

fn ordered_hits(seq: &[(&str, i64)]) -> Vec<CorrelationHit> {
    let mut c = correlator(&[ORDERED], &["a", "b", "c"], Options::default());
    let h = f(&[("Host", "h")]);
    let mut out = Vec::new();
    for (i, (r, s)) in seq.iter().enumerate() {
        out.extend(hit(&mut c, r, *s, &h, i as u64));
    }
    out.extend(c.finish());
    out
}

#[test]
fn temporal_ordered_needs_the_listed_order() {
    let ok = ordered_hits(&[("a", 0), ("b", 10), ("c", 20)]);
    assert_eq!(ok.len(), 1);
    assert_eq!((ok[0].count, keys(&ok[0])), (3, vec![0, 1, 2]));
    assert!(ordered_hits(&[("c", 0), ("b", 10), ("a", 20)]).is_empty());
    assert!(ordered_hits(&[("a", 0), ("c", 10), ("b", 20)]).is_empty());
    assert!(ordered_hits(&[("b", 0), ("a", 10), ("c", 20)]).is_empty());
    // Same time keeps arrival order.
    assert_eq!(ordered_hits(&[("a", 5), ("b", 5), ("c", 5)]).len(), 1);
    // First to last 301 s: outside; 300 s: inside.
    assert!(ordered_hits(&[("a", 0), ("b", 10), ("c", 301)]).is_empty());
    assert_eq!(ordered_hits(&[("a", 0), ("b", 10), ("c", 300)]).len(), 1);
    // A later `a` can start a sequence that fits where the first does not.
    let late = ordered_hits(&[("a", 0), ("a", 200), ("b", 250), ("c", 450)]);
    assert_eq!(keys(&late[0]), vec![1, 2, 3]);
    // Each hit consumes its sequence.
    assert_eq!(
        ordered_hits(&[("a", 0), ("b", 1), ("c", 2), ("c", 3)]).len(),
        1
    );
    let twice = [("a", 0), ("b", 1), ("c", 2), ("a", 3), ("b", 4), ("c", 5)];
    assert_eq!(ordered_hits(&twice).len(), 2);
}

const LT3: &str = "
title: few
id: c-few
correlation:
  type: event_count
  rules: [r]
  group-by: [User]
  timespan: 5m
  condition: {lt: 3}
";

#[test]
fn upper_bounds_are_judged_when_the_window_closes() {
    let mut c = correlator(&[LT3], &["r", "other"], Options::default());
    let (a, b, d) = (
        f(&[("User", "a")]),
        f(&[("User", "b")]),
        f(&[("User", "d")]),
    );
    let mut hits = Vec::new();
    for (s, u, k) in [
        (0, &a, 1),
        (10, &b, 2),
        (20, &a, 3),
        (30, &b, 4),
        (40, &b, 5),
        (300, &a, 6),
    ] {
        hits.extend(hit(&mut c, "r", s, u, k));
    }
    assert!(hits.is_empty(), "windows still open: {hits:?}");
    // Any hit past a window's end closes it: a's [0, 300] has 3 (no), b's
    // [10, 310] has 3 (no)... then d's window stays open until finish.
    hits.extend(hit(&mut c, "other", 301, &f(&[]), 7));
    assert!(hits.is_empty(), "{hits:?}");
    hits.extend(hit(&mut c, "r", 500, &d, 8));
    hits.extend(hit(&mut c, "r", 501, &a, 9));
    hits.extend(hit(&mut c, "other", 900, &f(&[]), 10));
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].group[0].1.as_deref(), Some("d"));
    assert_eq!(
        (hits[0].count, hits[0].at, keys(&hits[0])),
        (1, Ts::from_secs(800), vec![8])
    );
    assert_eq!(hits[1].group[0].1.as_deref(), Some("a"));
    assert_eq!(hits[1].at, Ts::from_secs(801));
    assert!(hit(&mut c, "r", 1000, &b, 11).is_empty());
    let end = c.finish();
    assert_eq!(end.len(), 1, "finish judges the open window");
    assert_eq!((end[0].at, end[0].count), (Ts::from_secs(1000), 1));
    assert_eq!(c.memory().groups, 0);
}

#[test]
fn ranges_eq_and_neq() {
    let counts_hit = |cond: &str| -> Vec<u64> {
        let y = LT3.replace("{lt: 3}", cond);
        let mut c = correlator(&[&y], &["r"], Options::default());
        let mut out = Vec::new();
        for (u, n) in [("two", 2), ("three", 3), ("four", 4), ("five", 5)] {
            let fu = F(vec![("User", Value::from(u))]);
            for i in 0..n {
                out.extend(hit(&mut c, "r", i, &fu, 0));
            }
        }
        out.extend(c.finish());
        let mut n: Vec<u64> = out.iter().map(|h| h.count).collect();
        n.sort_unstable();
        n
    };
    assert_eq!(counts_hit("{gt: 2, lte: 4}"), vec![3, 4]);
    assert_eq!(counts_hit("{eq: 3}"), vec![3]);
    assert_eq!(counts_hit("{neq: 3}"), vec![2, 4, 5]);
    assert_eq!(counts_hit("{lte: 2}"), vec![2]);
}

#[test]
fn group_cap_evicts_and_counts() {
    let opts = Options { max_groups: 2 };
    let mut c = correlator(&[COUNT5], &["failed"], opts);
    for (i, u) in ["a", "b", "c", "a", "d"].into_iter().enumerate() {
        hit(
            &mut c,
            "failed",
            i as i64,
            &F(vec![("User", Value::from(u))]),
            0,
        );
        assert!(c.memory().groups <= 2);
    }
    // c evicts a (window ends first), a evicts b, d evicts c.
    assert_eq!(c.memory().evicted_groups, 3);
    assert_eq!(c.memory().groups, 2);
}

#[test]
fn windows_empty_groups_are_dropped() {
    let mut c = correlator(
        &[COUNT5, VALUES3, TEMPORAL],
        &["failed", "a", "b", "c"],
        Options::default(),
    );
    hit(&mut c, "failed", 0, &ip_user("1", "x"), 0);
    hit(&mut c, "a", 0, &f(&[("Host", "h")]), 0);
    assert_eq!(c.memory().groups, 3);
    hit(&mut c, "failed", 300, &f(&[("User", "y")]), 0);
    assert_eq!(
        c.memory().groups,
        5,
        "at 300 s the first windows still hold"
    );
    hit(&mut c, "b", 601, &f(&[("Host", "h2")]), 0);
    assert_eq!(c.memory().groups, 1, "only the group just fed");
    assert_eq!(c.memory().evicted_groups, 0);
}

#[test]
fn long_values_are_bounded_but_distinct() {
    let mut c = correlator(&[VALUES3], &["failed"], Options::default());
    let long_a: &'static str = Box::leak(format!("{}a", "x".repeat(5000)).into_boxed_str());
    let long_b: &'static str = Box::leak(format!("{}b", "x".repeat(5000)).into_boxed_str());
    let mut n = 0;
    for (i, u) in [long_a, long_b, long_a, "short"].into_iter().enumerate() {
        n += hit(&mut c, "failed", i as i64, &ip_user(long_a, u), 0).len();
    }
    assert_eq!(n, 1);
    let mut c = correlator(&[VALUES3], &["failed"], Options::default());
    let h = (0..3).flat_map(|i| {
        hit(
            &mut c,
            "failed",
            i,
            &ip_user(long_a, ["p", "q", "r"][i as usize]),
            0,
        )
    });
    let h: Vec<_> = h.collect();
    let ip = h[0].group[0].1.as_deref().unwrap_or_default();
    assert!(ip.len() <= 256 + 32, "{}", ip.len());
}

#[test]
fn hits_out_of_time_order_do_not_break_anything() {
    let bases = ["failed", "r", "a", "b", "c"];
    let mut c = correlator(&[COUNT5, LT3, ORDERED], &bases, Options::default());
    let u = f(&[("User", "u"), ("Host", "h")]);
    let mut n = 0;
    for (i, s) in [1000, 10, 5000, 0, 4000, 3, 2, 1, 6000, 7000]
        .into_iter()
        .enumerate()
    {
        for r in ["failed", "r", "c", "b", "a"] {
            n += hit(&mut c, r, s, &u, i as u64).len();
        }
    }
    n += c.finish().len();
    assert!(n > 0);
    assert_eq!(c.memory().groups, 0);
}

#[test]
fn a_correlator_can_move_to_another_thread() {
    fn send<T: Send + 'static>(_: &T) {}
    let c = correlator(&[COUNT5], &["failed"], Options::default());
    send(&c);
    let handle = std::thread::spawn(move || {
        let mut c = c;
        let u = f(&[("User", "u")]);
        (0..5)
            .map(|i| hit(&mut c, "failed", i, &u, 0).len())
            .sum::<usize>()
    });
    assert_eq!(handle.join().ok(), Some(1));
}
