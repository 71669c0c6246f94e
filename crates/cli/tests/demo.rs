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
    for sub in ["web", "signin", "actor", "sweep", "intrusion"] {
        assert!(keep.join(sub).join("labels.jsonl").is_file(), "{sub}");
    }
    let v = jsonl(&out.stdout);
    // election-intrusion: one campaign names the scanner and lists its
    // stages on the exploited site.
    let has_stage = |c: &Value, site: &str, stage: &str| {
        c["stages"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["site"] == site && s["stage"] == stage))
    };
    assert!(
        v.iter().any(|c| c["kind"] == "campaign"
            && has_stage(c, "elections.pa.example", "reconnaissance")
            && has_stage(c, "elections.pa.example", "exploitation_attempt")
            && c["reasons"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r == "tool: Acunetix"))),
        "no election-intrusion campaign with stages"
    );
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

/// The demo loads the ISAC intel the simulator wrote: each seeded actor
/// ranks first for its campaign with an infrastructure reason, and the
/// commodity scanners and the sweep stay unattributed.
#[test]
fn demo_attributes_the_seeded_actors_and_not_the_commodity_scanners() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("demo");
    let store = format!("sqlite:{}", dir.path().join("d.db").display());
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
            "--store",
            &store,
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = jsonl(&out.stdout);
    let campaigns: Vec<&Value> = v.iter().filter(|o| o["kind"] == "campaign").collect();
    let has = |c: &Value, ip: &str| c["sources"].as_array().unwrap().iter().any(|s| s == ip);
    let first = |c: &Value| c["attribution"][0]["actor"].as_str().map(str::to_string);
    let infra = |c: &Value| {
        c["attribution"][0]["reasons"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["kind"] == "infrastructure"))
    };
    for (ip, actor) in [
        ("198.51.100.23", "Cotton Sandstorm"),
        ("91.92.251.17", "Seashell Blizzard"),
    ] {
        let c = campaigns.iter().find(|c| has(c, ip)).unwrap();
        assert_eq!(first(c).as_deref(), Some(actor), "{c}");
        assert!(infra(c), "{c}");
    }
    // The account campaign itself (the funnel), not a campaign of its
    // listed addresses beside it: its intel alerts joined it.
    let funnel = campaigns
        .iter()
        .find(|c| c["funnel"]["attacked"].as_u64() > Some(0))
        .expect("account campaign");
    assert_eq!(first(funnel).as_deref(), Some("Mint Sandstorm"), "{funnel}");
    assert!(infra(funnel), "{funnel}");
    assert!(funnel["detectors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d == "intel.match"));
    let spray: Vec<&Value> = funnel["sources"].as_array().unwrap().iter().collect();
    for c in &campaigns {
        let only_intel = c["detectors"] == serde_json::json!(["intel.match"]);
        let srcs = c["sources"].as_array().unwrap();
        assert!(
            !(only_intel && srcs.iter().all(|s| spray.contains(&s))),
            "a campaign of the spray's own addresses beside it: {c}"
        );
    }
    // Commodity and background sources of election-actor, and the sweep.
    let mut commodity = std::collections::BTreeSet::new();
    for f in ["actor/labels.jsonl", "sweep/labels.jsonl"] {
        for l in std::fs::read_to_string(keep.join(f)).unwrap().lines() {
            let l: Value = serde_json::from_str(l).unwrap();
            if l["kind"] == "attack" && l["attributed_to"].is_null() {
                commodity.insert(l["source_ip"].as_str().unwrap().to_string());
            }
        }
    }
    let mut checked = 0;
    for c in &campaigns {
        let srcs = c["sources"].as_array().unwrap();
        if !srcs.is_empty() && srcs.iter().all(|s| commodity.contains(s.as_str().unwrap())) {
            assert_eq!(c["attribution"], serde_json::json!([]), "{c}");
            checked += 1;
        }
    }
    assert!(checked > 0);
}
