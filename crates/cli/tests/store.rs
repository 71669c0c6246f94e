//! `--store` on `haboob hunt` and `haboob demo`: the simulator's logs hunted
//! into a SQLite store twice add nothing the second time, and the stored
//! alert and campaign ids are exactly the JSONL output's.

mod common;

use common::*;
use haboob_simulate::{simulate, Scenario, SimOptions};
use haboob_store::{AlertQuery, CampaignQuery, Store};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn ids(v: &[Value], kind: &str) -> BTreeSet<String> {
    v.iter()
        .filter(|o| o["kind"] == kind)
        .map(|o| o["id"].as_str().expect("id").to_string())
        .collect()
}

fn stored_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    text.lines()
        .find(|l| l.starts_with("stored "))
        .unwrap_or_else(|| panic!("no 'stored' line in:\n{text}"))
        .to_string()
}

fn hunt(sim: &Path, store: &str, out: &Path) -> std::process::Output {
    let o = run(
        &[
            "hunt",
            "--store",
            store,
            "-O",
            "jsonl",
            "-o",
            out.to_str().unwrap(),
            sim.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

#[test]
fn hunting_twice_into_a_store_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let mut o = SimOptions::new(Scenario::ElectionRecon, &sim);
    o.days = 3;
    o.rate = 300;
    simulate(&o).expect("simulate");
    let db = dir.path().join("store").join("haboob.db");
    let url = format!("sqlite:{}", db.display());
    let first = hunt(&sim, &url, &dir.path().join("1.jsonl"));
    let v = jsonl(&std::fs::read(dir.path().join("1.jsonl")).unwrap());
    let (alerts, campaigns) = (ids(&v, "alert"), ids(&v, "campaign"));
    assert!(!alerts.is_empty() && !campaigns.is_empty());
    assert_eq!(
        stored_line(&first.stderr),
        format!(
            "stored {n} alerts ({n} new, 0 updated), {m} campaigns in {url}",
            n = alerts.len(),
            m = campaigns.len()
        )
    );
    let second = hunt(&sim, &url, &dir.path().join("2.jsonl"));
    assert_eq!(
        stored_line(&second.stderr),
        format!(
            "stored {} alerts (0 new, 0 updated), {} campaigns in {url}",
            alerts.len(),
            campaigns.len()
        )
    );
    let store = Store::open(&url).unwrap();
    let stored: BTreeSet<String> = store
        .all_alerts()
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(stored, alerts);
    let page = store
        .campaigns(&CampaignQuery {
            include_superseded: true,
            limit: 500,
            ..Default::default()
        })
        .unwrap();
    let stored: BTreeSet<String> = page.items.iter().map(|c| c.id.clone()).collect();
    assert_eq!(stored, campaigns);
    assert!(page
        .items
        .iter()
        .all(|c| c.state.revision == 1 && c.state.superseded_by.is_none()));
    // The declared targets are stored: the organisations of targets.toml.
    assert!(!store.organisations().unwrap().is_empty());
    assert_eq!(
        store.alerts(&AlertQuery::default()).unwrap().total,
        alerts.len() as u64
    );
}

#[test]
fn store_without_a_value_is_the_default_location() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_fixture(dir.path());
    let xdg = dir.path().join("xdg");
    let o = exits(
        haboob()
            .env("XDG_DATA_HOME", &xdg)
            .args(["hunt", log.to_str().unwrap(), "--store"]),
        1,
    );
    let db = xdg.join("haboob").join("haboob.db");
    assert!(db.is_file());
    let line = stored_line(&o.stderr);
    assert!(
        line.ends_with(&format!("in sqlite:{}", db.display())),
        "{line}"
    );
    let o = run(
        &["hunt", log.to_str().unwrap(), "--store", "mysql://h/db"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad store URL"));
}

/// `HABOOB_STORE` is what `default` stands for, on every command; an
/// explicit URL still wins.
#[test]
fn the_store_environment_variable_is_the_default_store() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_fixture(dir.path());
    let xdg = dir.path().join("xdg");
    let team = dir.path().join("team.db");
    let team_url = format!("sqlite:{}", team.display());
    let o = exits(
        haboob()
            .env("XDG_DATA_HOME", &xdg)
            .env("HABOOB_STORE", &team_url)
            .args(["hunt", log.to_str().unwrap(), "--store=default"]),
        1,
    );
    assert!(team.is_file());
    assert!(!xdg.join("haboob").join("haboob.db").exists());
    assert!(stored_line(&o.stderr).ends_with(&format!("in {team_url}")));
    // Another command finds the same store.
    exits(
        haboob()
            .env("HABOOB_STORE", &team_url)
            .args(["token", "create", "--role", "viewer", "--name", "env"]),
        0,
    );
    let store = haboob_store::Store::open(&team_url).unwrap();
    assert!(store.tokens().unwrap().iter().any(|t| t.name == "env"));
    // An explicit URL wins over the variable.
    let other = dir.path().join("other.db");
    exits(
        haboob().env("HABOOB_STORE", &team_url).args([
            "hunt",
            log.to_str().unwrap(),
            "--store",
            other.to_str().unwrap(),
        ]),
        1,
    );
    assert!(other.is_file());
}

#[test]
fn demo_fills_a_store_and_says_how_to_serve_it() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("demo");
    let o = run(
        &[
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
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let url = format!("sqlite:{}", keep.join("haboob-demo.db").display());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "serve the console on it: haboob serve --store {url}"
        )),
        "{err}"
    );
    let v = jsonl(&o.stdout);
    let store = Store::open(&url).unwrap();
    let page = store
        .campaigns(&CampaignQuery {
            limit: 500,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        page.items
            .into_iter()
            .map(|c| c.id)
            .collect::<BTreeSet<_>>(),
        ids(&v, "campaign")
    );
    assert!(page.total > 0);
}
