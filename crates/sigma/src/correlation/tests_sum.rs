//! value_sum and value_avg: exact hits and near misses.

use super::tests_engine::{correlator, hit, F};
use super::*;
use haboob_model::{Ts, Value};

const SUM: &str = "
title: Possible Exfiltration to Website
id: c-sum
correlation:
  type: value_sum
  rules: [website_access]
  group-by: [SourceIP, User]
  timespan: 1h
  condition: {field: bytes_sent, gt: 1000000}
";

fn sent(user: &'static str, bytes: Value<'static>) -> F {
    F(vec![
        ("SourceIP", Value::from("10.1.1.1")),
        ("User", Value::from(user)),
        ("bytes_sent", bytes),
    ])
}

#[test]
fn value_sum_over_the_sliding_window() {
    let mut c = correlator(&[SUM], &["website_access"], Options::default());
    let mut hits = Vec::new();
    // 400 kB at 0 s, "300000" (text) at 10 min, junk and null skipped,
    // 300 kB at 1 h: 1,000,000, not more.
    hits.extend(hit(
        &mut c,
        "website_access",
        0,
        &sent("amy", Value::Int(400_000)),
        1,
    ));
    hits.extend(hit(
        &mut c,
        "website_access",
        600,
        &sent("amy", Value::from("300000")),
        2,
    ));
    hits.extend(hit(
        &mut c,
        "website_access",
        700,
        &sent("amy", Value::from("lots")),
        3,
    ));
    hits.extend(hit(
        &mut c,
        "website_access",
        800,
        &sent("amy", Value::Null),
        4,
    ));
    hits.extend(hit(
        &mut c,
        "website_access",
        900,
        &sent("ben", Value::Int(2_000_000)),
        5,
    ));
    hits.extend(hit(
        &mut c,
        "website_access",
        3600,
        &sent("amy", Value::Int(300_000)),
        6,
    ));
    assert_eq!(hits.len(), 1, "only ben: {hits:?}");
    assert_eq!((hits[0].value, hits[0].count), (2_000_000.0, 1));
    // One byte more, at 1 h: over, with the first still inside (inclusive).
    let h = hit(
        &mut c,
        "website_access",
        3600,
        &sent("amy", Value::Int(1)),
        7,
    );
    assert_eq!(h.len(), 1);
    assert_eq!((h[0].value, h[0].count), (1_000_001.0, 4));
    assert_eq!(
        h[0].events.iter().map(|k| k.0).collect::<Vec<_>>(),
        vec![1, 2, 6, 7]
    );
    // One second later the 400 kB leave the window.
    let mut c = correlator(&[SUM], &["website_access"], Options::default());
    hit(
        &mut c,
        "website_access",
        0,
        &sent("amy", Value::Int(400_000)),
        1,
    );
    hit(
        &mut c,
        "website_access",
        10,
        &sent("amy", Value::Int(600_000)),
        2,
    );
    assert!(hit(
        &mut c,
        "website_access",
        3601,
        &sent("amy", Value::Int(1)),
        3
    )
    .is_empty());
}

#[test]
fn value_avg_and_a_fixed_window_sum() {
    let avg = SUM
        .replace("value_sum", "value_avg")
        .replace("gt: 1000000", "gte: 500");
    let mut c = correlator(&[&avg], &["website_access"], Options::default());
    let mut values = Vec::new();
    for (s, b) in [(0, 100), (1, 800), (2, 500), (3, 1200)] {
        values.extend(
            hit(&mut c, "website_access", s, &sent("amy", Value::Int(b)), 0)
                .into_iter()
                .map(|h| h.value),
        );
    }
    // 100, 450, 466.7, then 650: one hit.
    assert_eq!(values, vec![650.0]);
    // Null only: no average, no hit even for `lte`.
    let low = SUM
        .replace("value_sum", "value_avg")
        .replace("gt: 1000000", "lte: 10");
    let mut c = correlator(&[&low], &["website_access"], Options::default());
    hit(&mut c, "website_access", 0, &sent("amy", Value::Null), 0);
    hit(&mut c, "website_access", 1, &sent("ben", Value::Int(4)), 0);
    let end = c.finish();
    assert_eq!(end.len(), 1);
    assert_eq!(
        (end[0].group[1].1.as_deref(), end[0].value, end[0].at),
        (Some("ben"), 4.0, Ts::from_secs(1))
    );
    // Upper bound on a sum: judged when the hour closes.
    let capped = SUM.replace("gt: 1000000", "gt: 10, lte: 100");
    let mut c = correlator(&[&capped], &["website_access"], Options::default());
    let mut hits = Vec::new();
    for (s, b) in [(0, 50), (10, 50), (20, 5)] {
        hits.extend(hit(
            &mut c,
            "website_access",
            s,
            &sent("amy", Value::Int(b)),
            0,
        ));
    }
    hits.extend(hit(
        &mut c,
        "website_access",
        30,
        &sent("ben", Value::Int(60)),
        0,
    ));
    hits.extend(hit(
        &mut c,
        "website_access",
        3700,
        &sent("cat", Value::Int(1)),
        0,
    ));
    assert_eq!(
        hits.len(),
        1,
        "amy's 105 is over 100; ben's 60 closes at 3630"
    );
    assert_eq!((hits[0].value, hits[0].at), (60.0, Ts::from_secs(3630)));
}

#[test]
fn sums_over_several_fields_are_refused() {
    let two = SUM.replace("field: bytes_sent", "field: [bytes_sent, bytes_received]");
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&two).expect("YAML");
    let r = parse(&doc, std::path::Path::new("t.yml")).expect("parses");
    let (c, errors) = Correlator::new(
        vec![r],
        &[RuleRef {
            id: None,
            name: Some("website_access".into()),
        }],
        Options::default(),
    );
    assert!(c.rules().is_empty());
    assert!(
        matches!(&errors[..], [crate::LoadError::Unsupported { feature, .. }] if feature == "value_sum over more than one field")
    );
}
