//! The background summary as analysts read it: the JSON Lines record (after
//! the campaigns, before the alerts, its alerts marked `"campaign":
//! "background"`) and the table's BACKGROUND section, on the hunt crate's
//! background fixture (five one-off sources over two sites, three campaigns;
//! see `crates/hunt/tests/background.rs` for the counts through the library).

mod common;

use common::{exited, run, run_jsonl};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn fixture() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../hunt/tests/fixtures/background")
        .display()
        .to_string()
}

#[test]
fn jsonl_background_record_and_its_alerts() {
    let out = run_jsonl(&["hunt", "-O", "jsonl", &fixture()], 1);
    let kinds: Vec<&str> = out.iter().map(|v| v["kind"].as_str().unwrap()).collect();
    // Campaigns, then one background record, then alerts, then the summary.
    let first_bg = kinds.iter().position(|k| *k == "background").unwrap();
    assert_eq!(kinds.iter().filter(|k| **k == "background").count(), 1);
    assert!(kinds[..first_bg].iter().all(|k| *k == "campaign"));
    assert_eq!(kinds[..first_bg].len(), 3);
    assert!(kinds[first_bg + 1..]
        .iter()
        .all(|k| *k == "alert" || *k == "summary"));
    let bg = &out[first_bg];
    assert_eq!(bg["severity"], "low");
    assert_eq!(
        (&bg["alerts"], &bg["sources"], &bg["targets"]),
        (&Value::from(5), &Value::from(5), &Value::from(2))
    );
    let ids: BTreeSet<&str> = bg["alert_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 5);
    // Exactly those alerts say "background"; every other alert names a
    // campaign of this output.
    let campaigns: BTreeSet<&str> = out
        .iter()
        .filter(|v| v["kind"] == "campaign")
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    for a in out.iter().filter(|v| v["kind"] == "alert") {
        let id = a["id"].as_str().unwrap();
        let c = a["campaign"].as_str().unwrap();
        if ids.contains(id) {
            assert_eq!(c, "background", "{a}");
        } else {
            assert!(campaigns.contains(c), "{a}");
        }
    }
}

#[test]
fn table_background_section_counts_per_class() {
    let o = run(&["hunt", &fixture()], None);
    exited(&o, 1);
    let text = String::from_utf8(o.stdout).unwrap();
    let start = text.find("BACKGROUND\n").expect("a BACKGROUND section");
    let section: Vec<&str> = text[start..]
        .lines()
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(
        section[1],
        "[LOW] 5 alerts from 5 sources against 2 targets (one-off commodity probes, not campaigns)"
    );
    let rows: Vec<String> = section[2..]
        .iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert!(rows
        .iter()
        .any(|r| r == "web.scanner_ua sqlmap 1 alert from 1 source, 1 target, 2 requests"));
    assert!(rows
        .iter()
        .any(|r| r == "web.scanner_ua Nikto 1 alert from 1 source, 1 target, 1 request"));
    let exploit: Vec<&String> = rows
        .iter()
        .filter(|r| r.starts_with("web.exploit "))
        .collect();
    let exploit_alerts: u64 = exploit
        .iter()
        .map(|r| {
            let n = r.split(" alert").next().unwrap();
            n.rsplit(' ').next().unwrap().parse::<u64>().unwrap()
        })
        .sum();
    assert_eq!(exploit_alerts, 3);
    // No other row: the two scanner tools and the exploit classes.
    assert_eq!(rows.len(), 2 + exploit.len());
}
