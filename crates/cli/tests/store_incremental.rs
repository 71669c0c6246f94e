//! `haboob hunt --store` over logs that keep growing, as from cron: hunted
//! in three steps (each file appended to between hunts) the simulator's
//! logs give exactly the alerts (ids and content), campaigns and funnels of
//! one hunt over the whole files; a hunt killed with SIGKILL before it
//! saves loses nothing and duplicates nothing when run again.

mod common;

use common::*;
use haboob_simulate::{simulate, Scenario, SimOptions};
use haboob_store::Store;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Log files of a simulator folder (not its metadata).
fn logs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(dir, &mut |p| {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".toml") && name != "labels.jsonl" {
            out.push(p.to_path_buf());
        }
    });
    out.sort();
    out
}

/// Every file under `dir`.
fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, f);
        } else {
            f(&p);
        }
    }
}

/// Copy `from` to `to` with every log file cut to the first `num/den` of
/// its lines (the metadata whole). Called with growing fractions, each log
/// grows by appending, as a live log does.
fn grow(from: &Path, to: &Path, num: usize, den: usize) {
    let logs = logs(from);
    walk(from, &mut |p| {
        let dst = to.join(p.strip_prefix(from).unwrap());
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        if !logs.iter().any(|l| l == p) {
            std::fs::copy(p, &dst).unwrap();
        }
    });
    for src in logs {
        let text = std::fs::read_to_string(&src).unwrap();
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        // A rotated file (`access.log.1`) is complete when it appears; the
        // live file grows.
        let rotated = src
            .extension()
            .is_some_and(|e| e.to_string_lossy().bytes().all(|b| b.is_ascii_digit()));
        let upto = if rotated {
            lines.len()
        } else {
            lines.len() * num / den
        };
        let dst = to.join(src.strip_prefix(from).unwrap());
        let have = std::fs::read(&dst).map(|b| b.len()).unwrap_or(0);
        let want: String = lines[..upto].concat();
        assert!(want.len() >= have, "logs only grow");
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&dst)
            .unwrap();
        f.write_all(&want.as_bytes()[have..]).unwrap();
    }
}

fn hunt_jsonl(args: &[&str]) -> Vec<Value> {
    let o = run(args, None);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    jsonl(&o.stdout)
}

/// Alerts by id and campaigns by id (whole objects), from JSON Lines.
fn by_kind(v: &[Value]) -> (BTreeMap<String, Value>, BTreeMap<String, Value>) {
    let pick = |kind: &str| {
        v.iter()
            .filter(|o| o["kind"] == kind)
            .map(|o| (o["id"].as_str().unwrap().to_string(), o.clone()))
            .collect()
    };
    (pick("alert"), pick("campaign"))
}

fn sim(scenario: Scenario, dir: &Path, days: u32) {
    let mut o = SimOptions::new(scenario, dir);
    o.days = days;
    o.rate = 300;
    simulate(&o).expect("simulate");
}

#[test]
fn growing_logs_hunted_in_steps_equal_one_hunt() {
    for (scenario, days) in [(Scenario::ElectionRecon, 6), (Scenario::AccountCampaign, 6)] {
        let dir = tempfile::tempdir().unwrap();
        let full = dir.path().join("full");
        sim(scenario, &full, days);
        let live = dir.path().join("live");
        let url = format!("sqlite:{}", dir.path().join("haboob.db").display());
        let live_s = live.to_str().unwrap();
        let mut last = Vec::new();
        for step in 1..=3 {
            grow(&full, &live, step, 3);
            last = hunt_jsonl(&["hunt", "-q", "--store", &url, "-O", "jsonl", live_s]);
        }
        // One hunt over the whole files, without a store.
        let batch = hunt_jsonl(&["hunt", "-q", "-O", "jsonl", live_s]);
        let (inc_alerts, inc_campaigns) = by_kind(&last);
        let (alerts, campaigns) = by_kind(&batch);
        assert!(alerts.len() > 3 && !campaigns.is_empty(), "{scenario:?}");
        assert_eq!(
            inc_alerts.keys().collect::<Vec<_>>(),
            alerts.keys().collect::<Vec<_>>(),
            "{scenario:?}: alert ids"
        );
        assert_eq!(inc_alerts, alerts, "{scenario:?}: alert contents");
        assert_eq!(
            inc_campaigns, campaigns,
            "{scenario:?}: campaigns and funnels"
        );
        // The store holds exactly that: retracted provisional alerts are gone.
        let stored: Vec<String> = Store::open(&url)
            .unwrap()
            .all_alerts()
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect();
        let mut stored = stored;
        stored.sort();
        assert_eq!(stored, alerts.keys().cloned().collect::<Vec<_>>());
    }
}

#[test]
fn a_hunt_killed_before_it_saves_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    sim(Scenario::ElectionRecon, &full, 8);
    let live = dir.path().join("live");
    let live_s = live.to_str().unwrap();
    let url = format!("sqlite:{}", dir.path().join("haboob.db").display());
    grow(&full, &live, 1, 2);
    hunt_jsonl(&["hunt", "-q", "--store", &url, "-O", "jsonl", live_s]);
    grow(&full, &live, 2, 2);
    // The second hunt is killed part-way (or, on a fast machine, may end
    // first: the store must be right either way).
    let mut child = haboob()
        .args(["hunt", "-q", "--store", &url, "-O", "jsonl", live_s])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    let killed = child.try_wait().unwrap().is_none();
    child.kill().unwrap(); // SIGKILL on unix
    child.wait().unwrap();
    eprintln!("killed before the end: {killed}");
    let after = hunt_jsonl(&["hunt", "-q", "--store", &url, "-O", "jsonl", live_s]);
    let again = hunt_jsonl(&["hunt", "-q", "--store", &url, "-O", "jsonl", live_s]);
    let batch = hunt_jsonl(&["hunt", "-q", "-O", "jsonl", live_s]);
    assert_eq!(by_kind(&after), by_kind(&batch));
    // A rerun with nothing new changes nothing.
    assert_eq!(by_kind(&again), by_kind(&batch));
    let mut stored: Vec<String> = Store::open(&url)
        .unwrap()
        .all_alerts()
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    stored.sort();
    assert_eq!(
        stored,
        by_kind(&batch).0.keys().cloned().collect::<Vec<_>>()
    );
}

#[test]
fn from_scratch_rereads_and_a_foreign_checkpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    sim(Scenario::ElectionRecon, &full, 3);
    let s = full.to_str().unwrap();
    let url = format!("sqlite:{}", dir.path().join("haboob.db").display());
    hunt_jsonl(&["hunt", "-q", "--store", &url, "-O", "jsonl", s]);
    // Another configuration: the saved windows do not fit it.
    let cfg = dir.path().join("other.toml");
    std::fs::write(&cfg, "[web.scan]\nfast_min_paths = 11\n").unwrap();
    let o = run(
        &[
            "hunt",
            "-q",
            "--store",
            &url,
            "--config",
            cfg.to_str().unwrap(),
            s,
        ],
        None,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("another configuration") && err.contains("--from-scratch"),
        "{err}"
    );
    let o = run(
        &[
            "hunt",
            "-q",
            "--store",
            &url,
            "--from-scratch",
            "--config",
            cfg.to_str().unwrap(),
            "-O",
            "jsonl",
            s,
        ],
        None,
    );
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
