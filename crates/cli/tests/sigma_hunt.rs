//! `haboob hunt --rules`: Sigma hits on a web log become alerts (detector
//! `sigma`, one per rule, source and site) and rows of the timeline, in
//! time order, with exact hits and exact misses.

mod common;

use common::{haboob, jsonl, write_fixture};
use std::path::Path;

const RULES: &str = r#"title: Dotfile requested
id: 11111111-1111-4111-8111-111111111111
status: test
level: medium
tags:
    - attack.reconnaissance
    - attack.t1595.003
logsource:
    category: webserver
detection:
    selection:
        cs-uri-stem|startswith: '/.'
    filter:
        cs-uri-stem: '/.DS_Store'
    condition: selection and not filter
---
title: Curl client
id: 22222222-2222-4222-8222-222222222222
level: low
logsource:
    category: webserver
detection:
    selection:
        cs-user-agent|startswith: 'curl/'
        sc-status: 404
    condition: selection
---
title: Never matches
id: 33333333-3333-4333-8333-333333333333
level: high
logsource:
    category: webserver
detection:
    selection:
        cs-method: DELETE
    condition: selection
"#;

fn write_rules(dir: &Path) -> String {
    let p = dir.join("rules.yml");
    std::fs::write(&p, RULES).unwrap();
    p.display().to_string()
}

#[test]
fn sigma_hits_are_alerts_and_timeline_rows() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_fixture(dir.path());
    let rules = write_rules(dir.path());
    let timeline = dir.path().join("timeline.jsonl");
    let out = haboob()
        .args(["hunt", "-q", "-O", "jsonl", "--rules", &rules, "--timeline"])
        .arg(&timeline)
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts: Vec<_> = common::sigma_alerts(&out.stdout);
    let mut got: Vec<(String, u64, String)> = alerts
        .iter()
        .map(|a| {
            (
                a["details"]["rule_id"].as_str().unwrap().to_owned(),
                a["count"].as_u64().unwrap(),
                a["source"]["ip"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    // /.env /.git/config /.htpasswd /.aws/credentials: 4 dotfiles (not
    // /.DS_Store, filtered); curl's 10 requests all got 404.
    assert_eq!(
        got,
        vec![
            (
                "11111111-1111-4111-8111-111111111111".into(),
                4,
                "203.0.113.9".into()
            ),
            (
                "22222222-2222-4222-8222-222222222222".into(),
                10,
                "203.0.113.9".into()
            ),
        ]
    );
    let dot = alerts
        .iter()
        .find(|a| a["details"]["rule_id"] == "11111111-1111-4111-8111-111111111111")
        .unwrap();
    assert_eq!(dot["severity"], "medium");
    assert_eq!(dot["title"], "Dotfile requested");
    assert_eq!(dot["techniques"], serde_json::json!(["T1595.003"]));

    let rows = jsonl(&std::fs::read(&timeline).unwrap());
    assert_eq!(rows.len(), 14);
    let times: Vec<&str> = rows
        .iter()
        .map(|r| r["timestamp"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "timeline in time order");
    let dot_lines: Vec<u64> = rows
        .iter()
        .filter(|r| r["rule_id"] == "11111111-1111-4111-8111-111111111111")
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    // Lines 6.. are the sweep: /.env (6), /.git/config (7), /.htpasswd (12),
    // /.aws/credentials (13); /.DS_Store (15) is filtered out.
    assert_eq!(dot_lines, vec![6, 7, 12, 13]);
    assert!(rows.iter().all(|r| r["source"] == "203.0.113.9"));
    assert!(!rows
        .iter()
        .any(|r| r["rule_id"] == "33333333-3333-4333-8333-333333333333"));
}

#[test]
fn csv_timeline_and_rule_summary_under_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_fixture(dir.path());
    let rules = write_rules(dir.path());
    let timeline = dir.path().join("timeline.csv");
    let out = haboob()
        .args(["hunt", "-q", "--rules", &rules, "--timeline"])
        .arg(&timeline)
        .arg(&log)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("Sigma rules that matched (2):"), "{stdout}");
    let csv = std::fs::read_to_string(&timeline).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "timestamp,rule_id,rule_title,level,family,event_id,source,target,user,file,line"
    );
    assert_eq!(lines.count(), 14);
}

#[test]
fn a_rules_path_with_nothing_loadable_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_fixture(dir.path());
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "title: x\ndetection: {}\n").unwrap();
    let out = haboob()
        .args(["hunt", "--rules"])
        .arg(&bad)
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yml"), "{err}");
    assert!(err.contains("no rule loaded"), "{err}");
}

const CORRELATION: &str = r#"title: Curl client
id: 22222222-2222-4222-8222-222222222222
name: curl_404
level: low
logsource:
    category: webserver
detection:
    selection:
        cs-user-agent|startswith: 'curl/'
        sc-status: 404
    condition: selection
---
title: Many curl misses from one address
id: 44444444-4444-4444-8444-444444444444
level: high
correlation:
    type: event_count
    rules:
        - curl_404
    group-by:
        - c-ip
    timespan: 1m
    condition:
        gte: THRESHOLD
"#;

fn hunt_correlation(threshold: u32) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let log = write_fixture(dir.path());
    let rules = dir.path().join("corr.yml");
    std::fs::write(
        &rules,
        CORRELATION.replace("THRESHOLD", &threshold.to_string()),
    )
    .unwrap();
    let out = haboob()
        .args(["hunt", "-q", "-O", "jsonl", "--rules"])
        .arg(&rules)
        .arg(&log)
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::sigma_alerts(&out.stdout)
}

#[test]
fn an_event_count_correlation_fires_once_and_mutes_its_base_rule() {
    // curl's 10 misses span 45 s: one window of 1 minute holds them all.
    let alerts = hunt_correlation(10);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(
        a["details"]["rule_id"],
        "44444444-4444-4444-8444-444444444444"
    );
    assert_eq!(a["details"]["group"]["c-ip"], "203.0.113.9");
    assert_eq!(a["source"]["ip"], "203.0.113.9");
    assert_eq!(a["severity"], "high");
    assert_eq!(a["count"], 10);
    // The base rule feeds the correlation only (generate: false).
    // One more than there are: nothing.
    assert!(hunt_correlation(11).is_empty());
}

#[test]
fn sigma_results_are_the_same_with_detection_lanes() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_fixture(dir.path());
    let rules = write_rules(dir.path());
    let cfg = dir.path().join("lanes.toml");
    std::fs::write(&cfg, "[hunt]\nlanes_min_mb = 0\ndetection_lanes = 3\n").unwrap();
    let run = |extra: &[&str], timeline: &str| {
        let tl = dir.path().join(timeline);
        let out = haboob()
            .args(["hunt", "-q", "-O", "jsonl", "--rules", &rules])
            .args(extra)
            .arg("--timeline")
            .arg(&tl)
            .arg(&log)
            .output()
            .unwrap();
        (out.stdout, std::fs::read(&tl).unwrap())
    };
    let one = run(&[], "one.jsonl");
    let lanes = run(&["-c", cfg.to_str().unwrap()], "lanes.jsonl");
    assert!(!one.1.is_empty());
    assert_eq!(one, lanes);
}

#[test]
fn no_builtin_leaves_only_the_rules_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_fixture(dir.path());
    let rules = write_rules(dir.path());
    let detectors = |extra: &[&str]| {
        let out = haboob()
            .args(["hunt", "-q", "-O", "jsonl", "--rules", &rules])
            .args(extra)
            .arg(&log)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let mut d: Vec<String> = jsonl(&out.stdout)
            .iter()
            .filter(|v| v["kind"] == "alert")
            .map(|a| a["detector"].as_str().unwrap().to_owned())
            .collect();
        d.sort();
        d.dedup();
        d
    };
    let all = detectors(&[]);
    assert!(all.iter().any(|d| d != "sigma"), "{all:?}");
    assert_eq!(detectors(&["--no-builtin"]), ["sigma"]);
}
