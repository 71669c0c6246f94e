//! Parsing: the specification's schema test vectors, hand-written invalid
//! documents with their exact reasons, and the three real (Hayabusa)
//! correlation rules, parsed and run on fake base-rule hits.

use super::tests_engine::F;
use super::*;
use crate::LoadError;
use haboob_model::{Ts, Value};
use serde::Deserialize;
use std::path::Path;

const SCHEMA: &str = "sigma/sigma-specification/tests/schema";
const HAYABUSA: &str =
    "sigma/correlation/hayabusa-rules/hayabusa/builtin/Security/LogonLogoff/Logon";

fn docs(path: &Path) -> Vec<serde_yaml_ng::Value> {
    let text = std::fs::read_to_string(path).expect("corpus rule file");
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde_yaml_ng::Value::deserialize(d).expect("YAML document"))
        .collect()
}

fn parse_str(yaml: &str) -> Result<CorrelationRule, LoadError> {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(yaml).expect("test YAML");
    parse(&doc, Path::new("t.yml"))
}

#[test]
fn every_schema_vector_parses_and_the_four_types_load() {
    let test = "every_schema_vector_parses_and_the_four_types_load";
    let Some(dir) = haboob_testdata::corpus_file_or_skip(test, &format!("{SCHEMA}/correlation"))
    else {
        return;
    };
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("schema vectors")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    let mut seen = Vec::new();
    let mut loaded = Vec::new();
    for path in &names {
        let [doc] = docs(path).try_into().expect("one document");
        let r = parse(&doc, path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let file = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        seen.push((file, r.kind.as_str(), r.timespan.ms, r.group_by.len()));
        let base: Vec<RuleRef> = r
            .rules
            .iter()
            .map(|n| RuleRef {
                id: Some(n.clone()),
                name: None,
            })
            .collect();
        let (c, errors) = Correlator::new(vec![r.clone()], &base, Options::default());
        match errors.as_slice() {
            [] => loaded.push(c.rules()[0].kind.as_str()),
            [LoadError::Unsupported { feature, .. }] => {
                assert!(
                    r.kind.needs_field() && r.kind != CorrelationType::ValueCount,
                    "{feature}"
                )
            }
            other => panic!("{other:?}"),
        }
    }
    let h = 3_600_000;
    let expected = [
        ("event_count", "event_count", h, 1),
        ("event_count_ecs", "event_count", h, 1),
        ("temporal", "temporal", 300_000, 2),
        ("temporal_ordered", "temporal_ordered", 300_000, 2),
        ("value_avg", "value_avg", 24 * h, 2),
        ("value_count", "value_count", 24 * h, 2),
        ("value_percentile", "value_percentile", 24 * h, 1),
        ("value_sum", "value_sum", h, 2),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(f, k, t, g)| (f.to_string(), *k, *t, *g))
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(
        loaded,
        [
            "event_count",
            "event_count",
            "temporal",
            "temporal_ordered",
            "value_count"
        ]
    );
    // The rule and filter vectors are not correlations.
    for sub in ["rules/rule_1.yml", "filter/filter_1.yml"] {
        let Some(path) = haboob_testdata::corpus_file_or_skip(test, &format!("{SCHEMA}/{sub}"))
        else {
            return;
        };
        let [doc] = docs(&path).try_into().expect("one document");
        match parse(&doc, &path) {
            Err(LoadError::Invalid { reason, .. }) => {
                assert_eq!(reason, "no `correlation` section: not a correlation rule")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_value_count_vector_reads_exactly() {
    let r = parse_str(
        "title: Failed login\nid: 0e95725d-7320-415d-80f7-004da920fc12\ncorrelation:\n    type: value_count\n    rules:\n        - 5638f7c0-ac70-491d-8465-2a65075e0d86\n    group-by:\n        - ComputerName\n        - WorkstationName\n    timespan: 1d\n    condition:\n        field: User\n        gte: 100",
    )
    .expect("parses");
    assert_eq!(
        r.id.as_deref(),
        Some("0e95725d-7320-415d-80f7-004da920fc12")
    );
    assert_eq!(r.rules, ["5638f7c0-ac70-491d-8465-2a65075e0d86"]);
    assert_eq!(r.group_by, ["ComputerName", "WorkstationName"]);
    assert_eq!(
        r.timespan,
        Timespan {
            spec: "1d".into(),
            ms: 86_400_000
        }
    );
    let cond = Condition {
        gte: Some(100.0),
        field: vec!["User".into()],
        ..Condition::default()
    };
    assert_eq!(r.condition, cond);
    assert!(!r.generate);
    // Temporal types without a condition need all their rules.
    let t = parse_str(
        "title: t\ncorrelation: {type: temporal, rules: [x1, x2, x3], group-by: [H], timespan: 5m}",
    )
    .expect("parses");
    assert_eq!(
        t.condition,
        Condition {
            gte: Some(3.0),
            ..Condition::default()
        }
    );
}

#[test]
fn invalid_documents_say_why() {
    let base = "title: t\ncorrelation:\n  type: event_count\n  rules: [r1]\n  group-by: [U]\n  timespan: 5m\n  condition: {gte: 2}\n";
    let with = |from: &str, to: &str| base.replace(from, to);
    let cases: Vec<(String, &str)> = vec![
        ("- a list".into(), "a rule is a mapping, found a list"),
        (with("title: t\n", ""), "`title` is missing"),
        (with("title: t", "title: [x]"), "`title` is a string, found a list"),
        (with("title: t", &format!("title: {}", "x".repeat(257))), "`title` is 257 bytes long, at most 256 are allowed"),
        (with("title: t", "title: t\nlevel: severe"), "`level: severe` is not one of informational, low, medium, high, critical"),
        (with("title: t", "title: t\nstatus: done"), "`status: done` is not one of stable, test, experimental, deprecated, unsupported"),
        ("title: t\nlogsource: {product: windows}\ndetection: {sel: {a: 1}, condition: sel}".into(), "no `correlation` section: not a correlation rule"),
        ("title: t\ncorrelation: event_count".into(), "`correlation` is a mapping, found a string"),
        (with("  type: event_count\n", ""), "`correlation.type` is missing"),
        (with("event_count", "event_sum"), "`correlation.type: event_sum` is not one of event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile"),
        (with("  rules: [r1]\n", ""), "`correlation.rules` is missing"),
        (with("[r1]", "[]"), "`correlation.rules` is empty"),
        (with("[r1]", "[r1, r1]"), "`correlation.rules` lists `r1` twice"),
        (with("[r1]", "[r1, 7]"), "`correlation.rules` item 2 is a string, found a number"),
        (with("[U]", "[U, U]"), "`correlation.group-by` lists `U` twice"),
        (with("[U]", "{U: 1}"), "`correlation.group-by` is a list of strings, found a mapping"),
        (with("  timespan: 5m\n", ""), "`correlation.timespan` is missing"),
        (with("5m", "5x"), "`correlation.timespan: 5x` has an unknown unit: a number followed by s, m, h or d (`90m`)"),
        (with("5m", "0m"), "`correlation.timespan: 0m` is zero: a number followed by s, m, h or d (`90m`)"),
        (with("5m", "m"), "`correlation.timespan: m` is not: a number followed by s, m, h or d (`90m`)"),
        (with("5m", "1.5h"), "`correlation.timespan: 1.5h` is not: a number followed by s, m, h or d (`90m`)"),
        (with("5m", "300"), "`correlation.timespan` is a string, found a number"),
        (with("  condition: {gte: 2}\n", ""), "`correlation.condition` is missing (required for event_count)"),
        (with("{gte: 2}", "{}"), "`correlation.condition` has no bound (one or more of gt, gte, lt, lte, eq, neq)"),
        (with("{gte: 2}", "{gte: two}"), "`correlation.condition.gte` is a number, found a string"),
        (with("{gte: 2}", "{over: 2}"), "`correlation.condition.over` is not one of gt, gte, lt, lte, eq, neq, field"),
        (with("{gte: 2}", "{gte: 2, field: U}"), "`correlation.condition.field` does not apply to event_count (only to the value_* types)"),
        (with("event_count", "value_count"), "`correlation.condition.field` is missing (required for value_count)"),
        (with("{gte: 2}", "selection"), "`correlation.condition` is a mapping of gt/gte/lt/lte/eq/neq/field, found a string"),
        (with("  timespan: 5m\n", "  timespan: 5m\n  generate: yes please\n"), "`correlation.generate` is true or false, found a string"),
        (with("  timespan: 5m\n", "  timespan: 5m\n  aliases: {ip: {r2: src}}\n"), "`correlation.aliases.ip`: `r2` is not one of `correlation.rules`"),
        (with("  timespan: 5m\n", "  timespan: 5m\n  aliases: {ip: src}\n"), "`correlation.aliases.ip` maps rule names to field names, found a string"),
    ];
    for (yaml, want) in &cases {
        match parse_str(yaml) {
            Err(LoadError::Invalid { reason, path, .. }) => {
                assert_eq!(&reason, want, "{yaml}");
                assert_eq!(path, Path::new("t.yml"));
            }
            other => panic!("{yaml}\n=> {other:?}"),
        }
    }
    let expr = "title: t\ncorrelation: {type: temporal, rules: [a1, b1], group-by: [U], timespan: 5m, condition: a1 and b1}";
    assert!(matches!(
        parse_str(expr),
        Err(LoadError::Unsupported { .. })
    ));
}

/// A Hayabusa correlation file: the correlation and its base rule's
/// (id, name).
fn hayabusa(test: &str, file: &str) -> Option<(CorrelationRule, RuleRef)> {
    let path = haboob_testdata::corpus_file_or_skip(test, &format!("{HAYABUSA}/{file}"))?;
    let docs = docs(&path);
    assert_eq!(docs.len(), 2, "{file}: a correlation and its base rule");
    let r = parse(&docs[0], &path).unwrap_or_else(|e| panic!("{file}: {e}"));
    let text = |k: &str| docs[1].get(k).and_then(|v| v.as_str()).map(str::to_owned);
    Some((
        r,
        RuleRef {
            id: text("id"),
            name: text("name"),
        },
    ))
}

/// A 4625 record's fields (from the rule's sample-evtx), with overrides.
fn logon(over: &[(&'static str, &'static str)]) -> F {
    let mut fields: Vec<(&'static str, Value<'static>)> = [
        ("TargetUserName", "Administrator"),
        ("TargetDomainName", "."),
        ("IpAddress", "192.168.198.149"),
        ("ProcessName", "-"),
        ("LogonProcessName", "NtLmSsp"),
        ("WorkstationName", "z4lSo9BMWdcPLfLb"),
        ("Computer", "DESKTOP-M5SN04R"),
    ]
    .into_iter()
    .map(|(n, v)| (n, Value::from(v)))
    .collect();
    fields.push(("LogonType", Value::Int(3)));
    for (n, v) in over {
        fields.retain(|(m, _)| m != n);
        fields.push((n, Value::from(*v)));
    }
    F(fields)
}

fn run(r: &CorrelationRule, base: &RuleRef, events: &[F]) -> Vec<CorrelationHit> {
    let (mut c, errors) = Correlator::new(
        vec![r.clone()],
        std::slice::from_ref(base),
        Options::default(),
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        !c.reports(base.id.as_deref().unwrap_or_default(), None),
        "no generate: the base rule only feeds"
    );
    let id = base.id.as_deref().unwrap_or_default();
    let mut hits = Vec::new();
    for (i, e) in events.iter().enumerate() {
        hits.extend(c.on_hit(
            id,
            base.name.as_deref(),
            Ts::from_secs(i as i64 * 30),
            e,
            EventKey(i as u64),
        ));
    }
    hits.extend(c.finish());
    hits
}

#[test]
fn hayabusa_password_guessing() {
    let Some((r, base)) = hayabusa(
        "hayabusa_password_guessing",
        "Sec_4625_Med_LogonFail_WrongPW_PW-Guessing_Correlation.yml",
    ) else {
        return;
    };
    assert_eq!(
        (r.title.as_str(), r.kind, r.level.as_deref()),
        ("PW Guessing", CorrelationType::EventCount, Some("medium"))
    );
    assert_eq!(
        r.group_by,
        [
            "TargetUserName",
            "TargetDomainName",
            "IpAddress",
            "LogonType",
            "ProcessName",
            "LogonProcessName"
        ]
    );
    assert_eq!((r.timespan.ms, r.condition.gte), (300_000, Some(5.0)));
    assert_eq!(r.tags, ["attack.t1110.003", "attack.credential-access"]);
    assert_eq!(r.rules, ["incorrect_password"]);
    let same: Vec<F> = (0..5).map(|_| logon(&[])).collect();
    let hits = run(&r, &base, &same);
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].count, hits[0].events.len()), (5, 5));
    assert_eq!(
        hits[0].group[3],
        ("LogonType".to_owned(), Some("3".to_owned()))
    );
    // Four alike and one from another logon type.
    let mut mixed: Vec<F> = (0..4).map(|_| logon(&[])).collect();
    mixed.push(logon(&[("LogonType", "10")]));
    assert!(run(&r, &base, &mixed).is_empty());
}

#[test]
fn hayabusa_user_guessing() {
    let Some((r, base)) = hayabusa(
        "hayabusa_user_guessing",
        "Sec_4625_Med_LogonFail_UserGuessing_Correlation.yml",
    ) else {
        return;
    };
    assert_eq!(
        (r.kind, r.condition.gt, r.condition.field.as_slice()),
        (
            CorrelationType::ValueCount,
            Some(3.0),
            &["TargetUserName".to_owned()][..]
        )
    );
    assert_eq!(r.group_by.len(), 6);
    let users = |names: &[&'static str]| -> Vec<F> {
        names
            .iter()
            .map(|u| logon(&[("TargetUserName", u)]))
            .collect()
    };
    assert!(
        run(
            &r,
            &base,
            &users(&["NOUSER", "admin", "root", "admin", "root"])
        )
        .is_empty(),
        "three distinct"
    );
    let hits = run(
        &r,
        &base,
        &users(&["NOUSER", "admin", "root", "admin", "guest"]),
    );
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].count, hits[0].at), (4, Ts::from_secs(120)));
}

#[test]
fn hayabusa_password_spray() {
    let Some((r, base)) = hayabusa(
        "hayabusa_password_spray",
        "Sec_4648_Med_ExplicitLogon_PW-Spray_Correlation.yml",
    ) else {
        return;
    };
    assert_eq!(base.name.as_deref(), Some("explicit_logon"));
    assert_eq!(
        (r.kind, r.condition.gte, r.group_by.as_slice()),
        (
            CorrelationType::ValueCount,
            Some(5.0),
            &["IpAddress".to_owned(), "Computer".to_owned()][..]
        )
    );
    let spray: Vec<F> = ["a1", "a2", "a3", "a4", "a5"]
        .iter()
        .map(|u| logon(&[("TargetUserName", u)]))
        .collect();
    assert_eq!(run(&r, &base, &spray).len(), 1);
    // The same five names from two computers: four and one.
    let split: Vec<F> = ["a1", "a2", "a3", "a4", "a5"]
        .iter()
        .enumerate()
        .map(|(i, u)| {
            logon(&[
                ("TargetUserName", u),
                ("Computer", if i == 4 { "OTHER" } else { "DESKTOP-M5SN04R" }),
            ])
        })
        .collect();
    assert!(run(&r, &base, &split).is_empty());
}
