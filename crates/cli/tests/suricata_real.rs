//! A real Suricata EVE log (`fixtures/netlogs/real/suricata-eve.json`: the
//! first six records of Tenzir's Suricata test data, Suricata run over a
//! CTU-13 botnet capture; see `fixtures/netlogs/SOURCES.md`) through the
//! binary: what `haboob events` makes of every line, and the victim signal
//! for indicators planted for names and addresses that really occur in it.

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn real() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/netlogs/real")
}

fn eve() -> PathBuf {
    real().join("suricata-eve.json")
}

/// Line by line: 1 `alert`, 3 `fileinfo`, 4 `flow` and 6 `netflow` are
/// read and are no event haboob uses (no object, not rejected); 2 (`dns`
/// query) and 5 (`http` request) are the two events below, exactly. The
/// summary accounts for all six lines.
#[test]
fn every_line_of_a_real_eve_log_through_events() {
    let path = eve();
    let file = path.to_str().unwrap();
    let o = run(&["events", file], None);
    exited(&o, 0);
    let got = jsonl(&o.stdout);
    let want = [
        json!({
            "@timestamp": "2011-08-12T12:55:22.154Z",
            "event.category": "network",
            "event.dataset": "suricata.dns",
            "network.protocol": "dns",
            "source.ip": "147.32.84.165",
            "destination.ip": "147.32.80.9",
            "dns.question.name": "irc.freenode.net",
            "haboob.log_format": "suricata",
            "log.file.path": file,
            "log.line": 2
        }),
        json!({
            "@timestamp": "2011-08-12T13:00:36.378Z",
            "event.category": "network",
            "event.dataset": "suricata.http",
            "network.protocol": "http",
            "source.ip": "147.32.84.165",
            "destination.ip": "74.125.232.202",
            "destination.domain": "cr-tools.clients.google.com",
            "url.original": "/service/check2?appid=%7B430FD4D0-B729-4F61-AA34-91526481799D%7D&appversion=1.3.21.65&applang=&machine=0&version=1.3.21.65&osversion=5.1&servicepack=Service%20Pack%202",
            "http.request.method": "GET",
            "user_agent.original": "Google Update/1.3.21.65;winhttp",
            "haboob.log_format": "suricata",
            "log.file.path": file,
            "log.line": 5
        }),
    ];
    assert_eq!(got, want);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("6 lines, 6 parsed, 0 rejected, 1 files"),
        "{err}"
    );
}

fn alerts(out: &[Value]) -> usize {
    out.iter().filter(|a| a["kind"] == "alert").count()
}

/// With `freenode.net` (a parent of the name the CTU host resolved) and
/// `74.125.232.202` (the address it sent an HTTP request to) planted in a
/// list, that host is the victim of each, and nothing else is raised: the
/// decoys of the same list (`reenode.net`, no label boundary;
/// `freenode.org`; the neighbour address `74.125.232.203`) match nothing.
/// Without the planted lines the hunt raises no alert.
#[test]
fn planted_indicators_in_a_real_eve_log_give_the_exact_victims() {
    let list = real().join("suricata-listed.txt");
    let o = hunt_with_intel(&list, &[&eve()]);
    exited(&o, 1);
    let out = jsonl(&o.stdout);
    let host = "147.32.84.165".to_owned();
    assert_eq!(
        victims(&out),
        [
            (host.clone(), None, vec!["irc.freenode.net".to_owned()], 1),
            (
                host,
                Some("74.125.232.202".to_owned()),
                vec!["74.125.232.202".to_owned()],
                1
            ),
        ]
    );
    assert_eq!(alerts(&out), 2);
    let summary = out.iter().find(|x| x["kind"] == "summary").unwrap();
    assert_eq!(
        (&summary["lines"], &summary["rejected"]),
        (&json!(6), &json!(0))
    );

    let decoys = tempfile::tempdir().unwrap();
    let only_decoys = decoys.path().join("decoys.txt");
    let text = std::fs::read_to_string(&list).unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| !l.contains("planted")).collect();
    assert_eq!(kept.len(), text.lines().count() - 2);
    std::fs::write(&only_decoys, kept.join("\n")).unwrap();
    let o = hunt_with_intel(&only_decoys, &[Path::new(&eve())]);
    exited(&o, 0);
    assert_eq!(alerts(&jsonl(&o.stdout)), 0);
}
