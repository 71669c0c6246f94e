//! Detection lanes (`[hunt] detection_lanes`, `lanes_min_mb`): one stream's
//! detection sharded by source network over lanes gives byte-identical JSON
//! Lines (alerts, campaigns, background) on 1 and 2 threads, and the same as
//! without lanes (no cap on tracked sources binds on these files). Lanes are
//! forced on for these small files with `lanes_min_mb = 0`.

mod common;

use common::{haboob, run};
use std::path::Path;

fn simulate(out: &Path, args: &[&str]) {
    let mut a = vec!["simulate", "--seed", "5", "--out", out.to_str().unwrap()];
    a.extend_from_slice(args);
    let o = run(&a, None);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// JSON Lines of `haboob --threads T hunt` with the given `[hunt]` settings.
fn hunt(dir: &Path, threads: &str, hunt_cfg: &str, inputs: &[&Path]) -> Vec<u8> {
    let cfg = dir.join(format!("lanes-{threads}-{}.toml", hunt_cfg.len()));
    std::fs::write(&cfg, format!("[hunt]\n{hunt_cfg}\n")).unwrap();
    let mut c = haboob();
    c.args(["--quiet", "--threads", threads, "hunt", "-O", "jsonl", "-c"])
        .arg(&cfg)
        .args(["--exclude", "*.toml", "--exclude", "labels.jsonl"])
        .args(inputs);
    let out = c.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Every record kind in the output, and how many alerts.
fn kinds(jsonl: &[u8]) -> (Vec<String>, usize) {
    let mut kinds: Vec<String> = Vec::new();
    let mut alerts = 0;
    for line in jsonl.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        let k = v["kind"].as_str().unwrap_or("").to_string();
        alerts += usize::from(k == "alert");
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    kinds.sort();
    (kinds, alerts)
}

fn same_everywhere(dir: &Path, inputs: &[&Path], min_alerts: usize) {
    let off = hunt(dir, "1", "detection_lanes = 1", inputs);
    let (k, n) = kinds(&off);
    assert!(n >= min_alerts, "{n} alerts, {k:?}");
    for threads in ["1", "2"] {
        for cfg in ["lanes_min_mb = 0", "lanes_min_mb = 0\ndetection_lanes = 3"] {
            let on = hunt(dir, threads, cfg, inputs);
            assert!(
                on == off,
                "--threads {threads}, {cfg:?}: output differs from one lane:\n{}\n---\n{}",
                String::from_utf8_lossy(&off),
                String::from_utf8_lossy(&on)
            );
        }
    }
}

/// The election scenario: web logs of several formats, sign-ins (the
/// shared lane's auth engine), campaigns across sites.
#[test]
fn election_scenario_is_identical_on_lanes_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    simulate(&sim, &["--days", "3"]);
    same_everywhere(dir.path(), &[&sim], 10);
}

/// A file where nearly every request comes from a new address, and the
/// distributed-sweep scenario (sources of one sweep in different lanes).
#[test]
fn many_sources_and_sweep_are_identical_on_lanes_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new");
    simulate(
        &new,
        &[
            "--scenario",
            "web-volume",
            "--bytes",
            "6000000",
            "--sources",
            "0",
        ],
    );
    same_everywhere(dir.path(), &[&new.join("access.log")], 3);
    let sweep = dir.path().join("sweep");
    simulate(&sweep, &["--scenario", "web-sweep", "--days", "2"]);
    let off = hunt(dir.path(), "1", "detection_lanes = 1", &[&sweep]);
    assert!(
        String::from_utf8_lossy(&off).contains("\"web.sweep\""),
        "the sweep scenario gives a web.sweep alert"
    );
    same_everywhere(dir.path(), &[&sweep], 4);
}
