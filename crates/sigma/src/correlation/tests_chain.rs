//! Aliases, correlations of correlations, `generate`, and how references
//! resolve (or do not).

use super::tests_engine::{correlator, f, hit, rule, F};
use super::*;
use crate::LoadError;
use haboob_model::{Ts, Value};

/// The specification's alias example (Field Name Aliases Example).
const ALIASES: &str = "
title: internal error then connection between the same two addresses
id: c-alias
correlation:
  type: temporal
  rules: [internal_error, new_network_connection]
  group-by: [internal_ip, remote_ip]
  timespan: 10s
  aliases:
    internal_ip:
      internal_error: destination.ip
      new_network_connection: source.ip
    remote_ip:
      internal_error: source.ip
      new_network_connection: destination.ip
";

fn net(src: &'static str, dst: &'static str) -> F {
    f(&[("source.ip", src), ("destination.ip", dst)])
}

#[test]
fn aliases_map_one_group_by_name_to_a_field_per_rule() {
    let bases = ["internal_error", "new_network_connection"];
    let mut c = correlator(&[ALIASES], &bases, Options::default());
    // Error seen on 10.0.0.5 from 198.51.100.7; then 10.0.0.5 connects out
    // to 198.51.100.7.
    assert!(hit(
        &mut c,
        "internal_error",
        0,
        &net("198.51.100.7", "10.0.0.5"),
        1
    )
    .is_empty());
    // Same addresses, wrong directions: another group.
    assert!(hit(
        &mut c,
        "new_network_connection",
        2,
        &net("198.51.100.7", "10.0.0.5"),
        2
    )
    .is_empty());
    let hits = hit(
        &mut c,
        "new_network_connection",
        3,
        &net("10.0.0.5", "198.51.100.7"),
        3,
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].group,
        vec![
            ("internal_ip".to_owned(), Some("10.0.0.5".to_owned())),
            ("remote_ip".to_owned(), Some("198.51.100.7".to_owned())),
        ]
    );
    assert_eq!(hits[0].events, vec![EventKey(1), EventKey(3)]);
    // 11 s later: outside 10s.
    assert!(hit(
        &mut c,
        "internal_error",
        20,
        &net("203.0.113.1", "10.0.0.6"),
        4
    )
    .is_empty());
    assert!(hit(
        &mut c,
        "new_network_connection",
        31,
        &net("10.0.0.6", "203.0.113.1"),
        5
    )
    .is_empty());
}

/// The specification's example: failed logins followed by a success.
const OUTER: &str = "
title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
  type: temporal_ordered
  rules: [multiple_failed_login, successful_login]
  group-by: [User]
  timespan: 10m
level: high
";
const INNER: &str = "
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [User]
  timespan: 10m
  condition: {gte: 10}
";
const LOGINS: [&str; 2] = ["failed_login", "successful_login"];

#[test]
fn correlation_of_a_correlation() {
    let mut c = correlator(&[OUTER, INNER], &LOGINS, Options::default());
    let bob = f(&[("User", "bob")]);
    let eve = f(&[("User", "eve")]);
    let mut hits = Vec::new();
    for i in 0..10 {
        hits.extend(hit(&mut c, "failed_login", i, &bob, i as u64));
    }
    assert!(hits.is_empty(), "the inner hit feeds the outer one only");
    hits.extend(hit(&mut c, "successful_login", 60, &eve, 99));
    hits.extend(hit(&mut c, "successful_login", 61, &bob, 100));
    assert_eq!(hits.len(), 1, "{hits:?}");
    let h = &hits[0];
    assert_eq!(
        h.title,
        "Correlation - Multiple Failed Logins Followed by Successful Login"
    );
    assert_eq!(h.level.as_deref(), Some("high"));
    assert_eq!(h.group, vec![("User".to_owned(), Some("bob".to_owned()))]);
    assert_eq!(h.count, 2);
    let expected: Vec<EventKey> = (0..10).chain([100]).map(EventKey).collect();
    assert_eq!(h.events, expected);
    assert_eq!(h.events_total, 11);
    assert_eq!((h.first, h.last), (Ts::from_secs(0), Ts::from_secs(61)));
    assert!(!c.reports("id-failed_login", None));
    assert!(!c.reports("nope", Some("successful_login")));
    assert!(c.reports("unreferenced", None));
}

#[test]
fn correlation_of_a_correlation_near_misses() {
    let bob = f(&[("User", "bob")]);
    // Nine failures.
    let mut c = correlator(&[OUTER, INNER], &LOGINS, Options::default());
    let mut n = 0;
    for i in 0..9 {
        n += hit(&mut c, "failed_login", i, &bob, 0).len();
    }
    n += hit(&mut c, "successful_login", 30, &bob, 0).len();
    assert_eq!(n, 0);
    // Success first, failures after.
    let mut c = correlator(&[OUTER, INNER], &LOGINS, Options::default());
    let mut n = hit(&mut c, "successful_login", 0, &bob, 0).len();
    for i in 0..10 {
        n += hit(&mut c, "failed_login", 10 + i, &bob, 0).len();
    }
    n += c.finish().len();
    assert_eq!(n, 0);
}

#[test]
fn generate_true_lets_referenced_rules_report() {
    let outer = OUTER.replace("  timespan: 10m\n", "  timespan: 10m\n  generate: true\n");
    let mut c = correlator(&[&outer, INNER], &LOGINS, Options::default());
    assert!(c.reports("id-successful_login", None));
    assert!(
        !c.reports("id-failed_login", None),
        "the inner one has no generate"
    );
    let bob = f(&[("User", "bob")]);
    let mut titles = Vec::new();
    for i in 0..10 {
        titles.extend(
            hit(&mut c, "failed_login", i, &bob, 0)
                .into_iter()
                .map(|h| h.title),
        );
    }
    titles.extend(
        hit(&mut c, "successful_login", 20, &bob, 0)
            .into_iter()
            .map(|h| h.title),
    );
    assert_eq!(titles.len(), 2);
    assert_eq!(titles[0], "Multiple failed logons");
}

#[test]
fn windows_closed_by_time_feed_the_outer_correlation() {
    let few = "
title: one lone attempt
name: lone
correlation:
  type: event_count
  rules: [attempt]
  group-by: [User]
  timespan: 5m
  condition: {lt: 2}
";
    let repeated = "
title: lone attempts twice
id: c-twice
correlation:
  type: event_count
  rules: [lone]
  group-by: [User]
  timespan: 10m
  condition: {gte: 2}
";
    let mut c = correlator(&[repeated, few], &["attempt", "tick"], Options::default());
    let a = f(&[("User", "a")]);
    let mut hits = hit(&mut c, "attempt", 0, &a, 1);
    hits.extend(hit(&mut c, "attempt", 400, &a, 2));
    assert!(hits.is_empty());
    hits.extend(hit(&mut c, "tick", 700, &f(&[]), 3));
    assert!(hits.is_empty(), "a's second window ends at 700, inclusive");
    hits.extend(hit(&mut c, "tick", 701, &f(&[]), 4));
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].id.as_deref(), Some("c-twice"));
    assert_eq!(hits[0].events, vec![EventKey(1), EventKey(2)]);
    assert_eq!(
        (hits[0].first, hits[0].at),
        (Ts::from_secs(0), Ts::from_secs(700))
    );
}

#[test]
fn references_by_id_and_integer_fields_from_chained_hits() {
    let by_id = "
title: by id
correlation:
  type: event_count
  rules: [id-failed]
  group-by: [LogonType]
  timespan: 1m
  condition: {gte: 2}
";
    let mut c = correlator(&[by_id], &["failed"], Options::default());
    let t3 = F(vec![("LogonType", Value::Int(3))]);
    assert!(hit(&mut c, "failed", 0, &t3, 0).is_empty());
    let h = hit(&mut c, "failed", 1, &t3, 0);
    assert_eq!(
        h[0].group,
        vec![("LogonType".to_owned(), Some("3".to_owned()))]
    );
}

fn load(yamls: &[&str]) -> (Correlator, Vec<LoadError>) {
    let rules = yamls.iter().map(|y| rule(y)).collect();
    let base = [RuleRef {
        id: Some("b-1".into()),
        name: Some("base_one".into()),
    }];
    Correlator::new(rules, &base, Options::default())
}

fn reasons(errors: &[LoadError]) -> Vec<String> {
    errors
        .iter()
        .map(|e| match e {
            LoadError::Invalid { reason, .. } => format!("invalid: {reason}"),
            LoadError::Unsupported { rule, feature, .. } => {
                format!("unsupported {rule}: {feature}")
            }
            LoadError::Io { reason, .. } => format!("io: {reason}"),
        })
        .collect()
}

fn corr(id: &str, kind: &str, rules: &str, extra: &str) -> String {
    format!(
        "title: {id}\nid: {id}\nname: n-{id}\ncorrelation:\n  type: {kind}\n  rules: [{rules}]\n  \
         group-by: [User]\n  timespan: 1h\n{extra}"
    )
}

#[test]
fn unresolved_cyclic_and_unsupported_correlations_are_reported() {
    let gte = "  condition: {gte: 2}\n";
    let good = corr("good", "event_count", "base_one", gte);
    let by_id = corr("by-id", "event_count", "b-1", gte);
    let unknown = corr("unknown", "event_count", "base_one, nope", gte);
    let over_unknown = corr("over-unknown", "temporal", "n-unknown, base_one", "");
    let cycle_a = corr("cyc-a", "temporal", "n-cyc-b, base_one", "");
    let cycle_b = corr("cyc-b", "temporal", "n-cyc-a, base_one", "");
    let self_ref = corr("self", "event_count", "n-self", gte);
    let sum = corr(
        "sum",
        "value_sum",
        "base_one",
        "  condition: {gt: 9, field: Bytes}\n",
    );
    let ordered = corr(
        "ord",
        "temporal_ordered",
        "base_one, n-good",
        "  condition: {gte: 1}\n",
    );
    let dup = corr("good", "event_count", "base_one", gte);
    let twice = corr("twice", "temporal", "base_one, b-1", "");
    let all = [
        &twice,
        &good,
        &by_id,
        &unknown,
        &over_unknown,
        &cycle_a,
        &cycle_b,
        &self_ref,
        &sum,
        &ordered,
        &dup,
    ];
    let (c, errors) = load(&all.map(String::as_str));
    let loaded: Vec<&str> = c.rules().iter().map(|r| r.label()).collect();
    assert_eq!(loaded, vec!["good", "by-id"]);
    assert_eq!(
        reasons(&errors),
        vec![
            "unsupported sum: correlation type value_sum",
            "unsupported ord: a temporal_ordered condition other than all referenced rules",
            "invalid: correlation good: `good` is already the id or name of correlation good",
            "invalid: correlation twice: `correlation.rules`: `b-1` is a rule referenced already (by its other id or name)",
            "invalid: correlation unknown: `correlation.rules`: no loaded rule has the id or name `nope`",
            "invalid: correlation over-unknown: references correlation unknown, which did not load",
            "invalid: correlation cyc-a: takes part in a cycle of correlations referencing each other",
            "invalid: correlation cyc-b: takes part in a cycle of correlations referencing each other",
            "invalid: correlation self: takes part in a cycle of correlations referencing each other",
        ]
    );
}
