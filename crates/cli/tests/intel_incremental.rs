//! `haboob hunt --store URL --intel bundle.json` run twice over a growing
//! web log (the shared fixture: a sweep by 203.0.113.9 with `/.env` at
//! 09:10:00 on line 6 and `/.aws/credentials` at 09:10:35 on line 13): the
//! partial matches of stateful STIX patterns carry over from one run to
//! the next.
//! - `FOLLOWEDBY … WITHIN 60 SECONDS` with `/.env` in run 1 and
//!   `/.aws/credentials` in run 2: exactly one `intel.match` alert in run
//!   2, with both events' evidence; `WITHIN 20 SECONDS` (35 s apart): none;
//! - the pattern removed, or its text changed, between the runs: none;
//! - the log cut after any line: run 2 reports exactly the alerts of one
//!   hunt over the whole log.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

const PATH: &str = "network-traffic:extensions.'http-request-ext'.request_value";
const FOLLOWED: &str = "indicator--a0000000-0000-4000-8000-000000000002";

fn followed_by(within: u32) -> String {
    format!(
        "([{PATH} = '/.env'] FOLLOWEDBY [{PATH} = '/.aws/credentials']) WITHIN {within} SECONDS"
    )
}

/// A bundle of (id, pattern) indicators written to `dir/name`.
fn bundle(dir: &Path, name: &str, patterns: &[(&str, String)]) -> PathBuf {
    let objects: Vec<Value> = patterns
        .iter()
        .map(|(id, p)| {
            json!({"type": "indicator", "spec_version": "2.1", "id": id, "name": id,
                   "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                   "pattern": p, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"})
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(
        &path,
        json!({"type": "bundle", "id": "bundle--b0000000-0000-4000-8000-000000000002", "objects": objects})
            .to_string(),
    )
    .unwrap();
    path
}

/// A decoy that never matches the fixture, so that a bundle is never empty.
fn decoy() -> (&'static str, String) {
    (
        "indicator--d0000000-0000-4000-8000-000000000009",
        format!("[{PATH} = '/never'] FOLLOWEDBY [{PATH} = '/seen']"),
    )
}

/// The fixture's first `n` lines appended to `log` (which holds fewer).
fn grow_to(log: &Path, n: usize) {
    let text = fixture();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let want: String = lines[..n].concat();
    let have = std::fs::read(log).map(|b| b.len()).unwrap_or(0);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    f.write_all(&want.as_bytes()[have..]).unwrap();
}

/// Every alert of `hunt -O jsonl [--store URL] --intel BUNDLE LOG`.
fn hunt(store: Option<&str>, intel: &Path, log: &Path) -> Vec<Value> {
    let mut args = vec!["hunt", "-q", "-O", "jsonl"];
    if let Some(url) = store {
        args.extend(["--store", url]);
    }
    args.extend(["--intel", intel.to_str().unwrap(), log.to_str().unwrap()]);
    let o = run(&args, None);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    alerts_of(&o.stdout, None)
}

fn intel_alerts(all: &[Value]) -> Vec<Value> {
    all.iter()
        .filter(|a| a["detector"] == "intel.match")
        .cloned()
        .collect()
}

fn evidence_lines(a: &Value) -> Vec<u64> {
    a["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect()
}

/// Run 1 on the first `cut` lines with `first`, run 2 on the whole log with
/// `second`: run 2's `intel.match` alerts (run 1's must be none).
fn two_runs(url: &str, dir: &Path, cut: usize, first: &Path, second: &Path) -> Vec<Value> {
    let log = dir.join("access.log");
    grow_to(&log, cut);
    let run1 = hunt(Some(url), first, &log);
    assert!(intel_alerts(&run1).is_empty(), "{run1:#?}");
    grow_to(&log, fixture().lines().count());
    intel_alerts(&hunt(Some(url), second, &log))
}

fn split_followedby(url: &str, dir: &Path) {
    let intel = bundle(dir, "intel.json", &[(FOLLOWED, followed_by(60)), decoy()]);
    // Lines 1–6 (to `/.env`), then the rest.
    let got = two_runs(url, dir, 6, &intel, &intel);
    assert_eq!(got.len(), 1, "{got:#?}");
    let a = &got[0];
    assert_eq!(a["source"]["ip"], "203.0.113.9");
    assert_eq!(a["count"], 1);
    // The first step's line, then the second's; from the first step's time.
    assert_eq!(evidence_lines(a), [6, 13]);
    assert_eq!(a["first_seen"], "2026-09-01T14:10:00.000Z");
    assert_eq!(a["last_seen"], "2026-09-01T14:10:35.000Z");
    let hits = a["details"]["intel"].as_array().unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["indicator"], FOLLOWED);
    assert_eq!(hits[0]["matched"], "/.aws/credentials");
    // The same alert as one hunt over the whole log.
    let batch = intel_alerts(&hunt(None, &intel, &dir.join("access.log")));
    assert_eq!(got, batch);
}

#[test]
fn followedby_split_over_two_runs_raises_one_alert_with_both_events_on_sqlite() {
    on_sqlite(split_followedby);
}

#[test]
fn followedby_split_over_two_runs_raises_one_alert_with_both_events_on_postgres() {
    let Some(db) = haboob_store::testing::Scratch::postgres("cli_intel_split") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    split_followedby(&db.url, dir.path());
}

#[test]
fn followedby_split_past_its_window_raises_none() {
    on_sqlite(|url, dir| {
        // The steps are 35 s apart.
        let intel = bundle(dir, "intel.json", &[(FOLLOWED, followed_by(20)), decoy()]);
        let got = two_runs(url, dir, 6, &intel, &intel);
        assert!(got.is_empty(), "{got:#?}");
    });
}

#[test]
fn a_pattern_removed_or_changed_between_runs_raises_none() {
    // Removed: run 2's intel holds only the decoy.
    on_sqlite(|url, dir| {
        let first = bundle(dir, "first.json", &[(FOLLOWED, followed_by(60)), decoy()]);
        let second = bundle(dir, "second.json", &[decoy()]);
        let got = two_runs(url, dir, 6, &first, &second);
        assert!(got.is_empty(), "{got:#?}");
    });
    // Changed: the same id with another window (61 s would match in one
    // run, but the partial match of the 60 s pattern is not its own).
    on_sqlite(|url, dir| {
        let first = bundle(dir, "first.json", &[(FOLLOWED, followed_by(60)), decoy()]);
        let second = bundle(dir, "second.json", &[(FOLLOWED, followed_by(61)), decoy()]);
        let got = two_runs(url, dir, 6, &first, &second);
        assert!(got.is_empty(), "{got:#?}");
        // Unchanged, the same split matches (the control).
        let dir2 = tempfile::tempdir().unwrap();
        let url2 = format!("sqlite:{}", dir2.path().join("haboob.db").display());
        let got = two_runs(&url2, dir2.path(), 6, &second, &second);
        assert_eq!(got.len(), 1, "{got:#?}");
    });
}

#[test]
fn a_log_cut_after_any_line_gives_the_alerts_of_one_hunt() {
    let dir = tempfile::tempdir().unwrap();
    let intel = bundle(
        dir.path(),
        "intel.json",
        &[
            (FOLLOWED, followed_by(60)),
            (
                "indicator--a0000000-0000-4000-8000-000000000003",
                format!("[{PATH} LIKE '/.%'] REPEATS 2 TIMES WITHIN 6 SECONDS"),
            ),
            (
                "indicator--a0000000-0000-4000-8000-000000000004",
                format!("[ipv4-addr:value = '203.0.113.9'] AND [{PATH} = '/db.sql']"),
            ),
            (
                "indicator--d0000000-0000-4000-8000-000000000003",
                followed_by(20),
            ),
            decoy(),
        ],
    );
    let whole = dir.path().join("whole.log");
    grow_to(&whole, fixture().lines().count());
    let mut batch = hunt(None, &intel, &whole);
    let lines = fixture().lines().count();
    // One alert for the sweep (one source, one site): the FOLLOWEDBY, the
    // REPEATS (/.env then /.git/config, /.htpasswd then /.aws/credentials)
    // and the AND (/db.sql, then /.DS_Store), not the 20 s FOLLOWEDBY.
    let ia = intel_alerts(&batch);
    assert_eq!(ia.len(), 1, "{ia:#?}");
    let mut ids: Vec<&str> = ia[0]["details"]["intel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["indicator"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            FOLLOWED,
            "indicator--a0000000-0000-4000-8000-000000000003",
            "indicator--a0000000-0000-4000-8000-000000000004"
        ]
    );
    assert_eq!(evidence_lines(&ia[0]), [6, 7, 12, 13, 14, 15]);
    assert_eq!(ia[0]["count"], 4);
    assert_eq!(ia[0]["first_seen"], "2026-09-01T14:10:00.000Z");
    // Not after line 15: the second run would read only the malformed last
    // line, which an incremental hunt refuses as it does any input none of
    // whose lines parse (exit 2, unrelated to intel).
    for cut in (0..=lines).filter(|&c| c != lines - 1) {
        let d = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", d.path().join("haboob.db").display());
        let log = d.path().join("whole.log");
        grow_to(&log, cut);
        hunt(Some(&url), &intel, &log);
        grow_to(&log, lines);
        let mut got = hunt(Some(&url), &intel, &log);
        // Evidence names the file by its path: the same name in another
        // folder.
        let name = |v: &mut Vec<Value>, from: &Path| {
            let s = serde_json::to_string(v).unwrap();
            let s = s.replace(from.to_str().unwrap(), "LOG");
            *v = serde_json::from_str(&s).unwrap();
        };
        name(&mut got, &log);
        if cut == 0 {
            name(&mut batch, &whole);
        }
        assert_eq!(got, batch, "log cut after line {cut}");
    }
}

/// Run `test` on a fresh SQLite store in a temporary folder.
fn on_sqlite(test: fn(&str, &Path)) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("haboob.db").display());
    test(&url, dir.path());
}
