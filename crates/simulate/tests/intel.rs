//! The ISAC intel written beside the logs: published values of the seeded
//! actors are in the logs, decoys never are; labels name the expected actor.

mod common;

use common::*;
use haboob_simulate::{read_labels, simulate, LabelKind, Scenario, SimOptions};
use std::path::Path;

fn logs_text(dir: &Path) -> String {
    let mut s = String::new();
    for p in log_files(dir) {
        s.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap()));
    }
    s
}

fn bundle(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("intel/isac.stix.json")).unwrap()).unwrap()
}

/// Indicator values of the bundle: (value, indicates an intrusion set).
fn indicators(b: &serde_json::Value) -> Vec<(String, bool)> {
    let objs = b["objects"].as_array().unwrap();
    objs.iter()
        .filter(|o| o["type"] == "indicator")
        .map(|o| {
            let p = o["pattern"].as_str().unwrap();
            let v = p.split(" = '").nth(1).unwrap().trim_end_matches("']");
            let linked = objs
                .iter()
                .any(|r| r["type"] == "relationship" && r["source_ref"] == o["id"]);
            (v.to_string(), linked)
        })
        .collect()
}

fn run(scenario: Scenario, dir: &Path) {
    let o = SimOptions {
        days: 3,
        rate: 100,
        ..SimOptions::new(scenario, dir)
    };
    simulate(&o).unwrap();
}

#[test]
fn election_recon_publishes_actor_a_and_decoys() {
    let dir = tempfile::tempdir().unwrap();
    run(Scenario::ElectionRecon, dir.path());
    let text = logs_text(dir.path());
    let inds = indicators(&bundle(dir.path()));
    assert_eq!(inds.len(), 5);
    for (v, linked) in &inds {
        // Published infrastructure is in the logs; decoys never are.
        assert_eq!(text.contains(v.as_str()), *linked, "{v}");
    }
    assert_eq!(
        inds.iter()
            .filter(|(_, l)| *l)
            .map(|(v, _)| v.as_str())
            .collect::<Vec<_>>(),
        ["198.51.100.23"]
    );
    let list = std::fs::read_to_string(dir.path().join("intel/isac-list.txt")).unwrap();
    assert!(list.contains("# actor: Emennet Pasargad\n"));
    assert!(!text.contains("192.88.99."), "decoy range in the logs");
    assert!(text.contains("192.0.2.1"), "distributed scan range");
    let labels = read_labels(&dir.path().join("labels.jsonl")).unwrap();
    for l in &labels {
        let want =
            (l.kind == LabelKind::Attack && l.actor == "actor-a").then_some("Cotton Sandstorm");
        assert_eq!(l.attributed_to.as_deref(), want, "{l:?}");
    }
    assert!(labels.iter().any(|l| l.attributed_to.is_some()));
}

#[test]
fn account_campaign_names_the_attacker_mint_sandstorm() {
    let dir = tempfile::tempdir().unwrap();
    run(Scenario::AccountCampaign, dir.path());
    let text = std::fs::read_to_string(dir.path().join("labels.jsonl")).unwrap();
    let mut attackers = 0;
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        if v["kind"] == "source" {
            let want = if v["role"] == "attacker" {
                attackers += 1;
                serde_json::json!("Mint Sandstorm")
            } else {
                serde_json::Value::Null
            };
            assert_eq!(v["attributed_to"], want, "{v}");
        }
    }
    assert!(attackers > 0);
    let b = bundle(dir.path());
    let set = b["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["type"] == "intrusion-set")
        .unwrap();
    assert_eq!(set["name"], "Charming Kitten");
    assert_eq!(set["aliases"], serde_json::json!(["APT35", "Phosphorus"]));
    let logs: String = ["entra_signin.jsonl", "m365_audit.jsonl"]
        .iter()
        .map(|f| std::fs::read_to_string(dir.path().join(f)).unwrap())
        .collect();
    assert!(logs.contains("Chrome/108.0.0.0"));
    assert!(logs.contains("198.18.91."));
    assert!(!logs.contains("DecoyRecon") && !logs.contains("192.88.99."));
}
