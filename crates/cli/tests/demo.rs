//! `haboob demo`, the README's first command: every simulated scenario is in
//! it and its main findings come out.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn demo_reports_each_scenarios_attack() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("demo");
    let out = run(
        &[
            "--quiet",
            "demo",
            "--days",
            "3",
            "-f",
            "jsonl",
            "--keep",
            keep.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for sub in ["web", "signin", "actor", "sweep"] {
        assert!(keep.join(sub).join("labels.jsonl").is_file(), "{sub}");
    }
    let v = jsonl(&out.stdout);
    let alerts: Vec<&Value> = v.iter().filter(|o| o["kind"] == "alert").collect();
    let by = |d: &str| alerts.iter().filter(|a| a["detector"] == d).count();
    // The distributed sweep: one alert per swept site, hundreds of members.
    let sweeps: Vec<&&Value> = alerts
        .iter()
        .filter(|a| a["detector"] == "web.sweep")
        .collect();
    assert!(!sweeps.is_empty());
    let members = |a: &Value| a["source"]["members"].as_array().map_or(0, Vec::len);
    assert!(sweeps.iter().any(|a| members(a) >= 100), "{sweeps:?}");
    // The account campaign's takeovers and the web reconnaissance.
    assert!(by("auth.takeover") > 0);
    assert!(by("web.scan") > 0);
    assert!(v.iter().any(|o| o["kind"] == "campaign"));
}
