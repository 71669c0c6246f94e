//! Sigma over Windows event logs through the whole hunt: a SigmaHQ rule on
//! its SigmaHQ regression case (exactly the expected record), and the three
//! Hayabusa correlation rules over the DeepBlueCLI samples (exactly one
//! password-guessing and one password-spray hit; none on a file of neither).

mod common;

use common::{haboob, jsonl};
use std::path::Path;

fn sigma_alerts(rules: &Path, logs: &[&Path], timeline: Option<&Path>) -> Vec<serde_json::Value> {
    let mut c = haboob();
    c.args(["hunt", "-q", "-O", "jsonl", "--rules"]).arg(rules);
    if let Some(t) = timeline {
        c.arg("--timeline").arg(t);
    }
    let out = c.args(logs).output().unwrap();
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::sigma_alerts(&out.stdout)
}

#[test]
fn a_sigmahq_rule_matches_exactly_its_regression_record() {
    let Some(corpus) = haboob_testdata::corpus_or_skip("sigma_evtx_regression") else {
        return;
    };
    let hq = corpus.join("sigma/SigmaHQ-sigma");
    let case = "windows/builtin/security/win_security_susp_scheduled_task_delete_or_disable";
    let rule = hq.join(format!("rules/{case}.yml"));
    let evtx = hq.join(format!(
        "regression_data/rules/{case}/7595ba94-cf3b-4471-aa03-4f6baa9e5fad.evtx"
    ));
    let dir = tempfile::tempdir().unwrap();
    let tl = dir.path().join("t.jsonl");
    let alerts = sigma_alerts(&rule, &[&evtx], Some(&tl));
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(
        alerts[0]["details"]["rule_id"],
        "7595ba94-cf3b-4471-aa03-4f6baa9e5fad"
    );
    assert_eq!(alerts[0]["count"], 1);
    let rows = jsonl(&std::fs::read(&tl).unwrap());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["event_id"], 4701);
    assert_eq!(rows[0]["family"], "windows");
    assert_eq!(rows[0]["timestamp"], "2026-03-11T05:16:41.816Z");
    // The same rule over other Windows logs: no hit.
    let other = corpus.join("evtx/DeepBlueCLI/evtx/password-spray.evtx");
    assert!(sigma_alerts(&rule, &[&other], None).is_empty());
}

#[test]
fn hayabusa_correlations_over_deepbluecli() {
    let Some(corpus) = haboob_testdata::corpus_or_skip("sigma_evtx_correlations") else {
        return;
    };
    let rules = corpus.join("sigma/correlation/hayabusa-rules");
    let d = corpus.join("evtx/DeepBlueCLI/evtx");
    let guessing = d.join("smb-password-guessing-security.evtx");
    let spray = d.join("password-spray.evtx");
    let mut got: Vec<(String, String, String)> = sigma_alerts(&rules, &[&guessing, &spray], None)
        .iter()
        .map(|a| {
            (
                a["title"].as_str().unwrap().to_owned(),
                a["source"]["ip"].as_str().unwrap_or("").to_owned(),
                a["details"]["correlation"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "PW Guessing".into(),
                "192.168.198.149".into(),
                "event_count".into()
            ),
            (
                "PW Spray".into(),
                "172.16.144.128".into(),
                "value_count".into()
            ),
        ]
    );
    // A file with neither attack: nothing.
    let quiet = d.join("new-user-security.evtx");
    assert!(sigma_alerts(&rules, &[&quiet], None).is_empty());
}
