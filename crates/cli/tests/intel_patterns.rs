//! `haboob hunt --intel bundle.json` with STIX patterns beyond equalities,
//! on the shared web-log fixture (a benign browser at 192.0.2.10; a sweep
//! by 203.0.113.9 with `curl/8.4.0`: `/.env` at 09:10:00, `/.git/config`
//! at :05, …, `/.aws/credentials` at :35): the compound and the
//! `FOLLOWEDBY … WITHIN` patterns give an `intel.match` alert for the
//! sweep, the decoys none.

mod common;

use common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn indicator(id: &str, pattern: &str) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": id, "name": id,
           "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
           "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"})
}

#[test]
fn compound_and_followedby_patterns_match_the_sweep_decoys_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_fixture(dir.path());
    let path = "network-traffic:extensions.'http-request-ext'.request_value";
    let ua = "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'";
    let objects = vec![
        // Hits.
        indicator(
            "indicator--a0000000-0000-4000-8000-000000000001",
            &format!("[ipv4-addr:value = '203.0.113.9' AND {ua} LIKE 'curl/%' AND {path} MATCHES '^/\\\\.git/']"),
        ),
        indicator(
            "indicator--a0000000-0000-4000-8000-000000000002",
            &format!("([{path} = '/.env'] FOLLOWEDBY [{path} = '/.aws/credentials']) WITHIN 60 SECONDS"),
        ),
        // Decoys: another user agent; the same steps in the other order;
        // the steps 35 s apart but WITHIN 20; a port web logs do not have;
        // the benign browser's address with the sweep's path.
        indicator(
            "indicator--d0000000-0000-4000-8000-000000000001",
            &format!("[ipv4-addr:value = '203.0.113.9' AND {ua} LIKE 'python-requests/%']"),
        ),
        indicator(
            "indicator--d0000000-0000-4000-8000-000000000002",
            &format!("[{path} = '/.aws/credentials'] FOLLOWEDBY [{path} = '/.env']"),
        ),
        indicator(
            "indicator--d0000000-0000-4000-8000-000000000003",
            &format!("([{path} = '/.env'] FOLLOWEDBY [{path} = '/.aws/credentials']) WITHIN 20 SECONDS"),
        ),
        indicator(
            "indicator--d0000000-0000-4000-8000-000000000004",
            "[ipv4-addr:value = '203.0.113.9' AND network-traffic:dst_port = 443]",
        ),
        indicator(
            "indicator--d0000000-0000-4000-8000-000000000005",
            &format!("[ipv4-addr:value = '192.0.2.10' AND {path} = '/.env']"),
        ),
    ];
    let bundle = dir.path().join("bundle.json");
    std::fs::write(
        &bundle,
        json!({"type": "bundle", "id": "bundle--b0000000-0000-4000-8000-000000000001", "objects": objects})
            .to_string(),
    )
    .unwrap();
    let o = hunt_with_intel(&bundle, &[&log]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("7 values imported (pattern 7)"), "{err}");
    assert!(!err.contains("cannot be evaluated"), "{err}");
    let alerts = alerts_of(&o.stdout, Some("intel.match"));
    assert_eq!(alerts.len(), 1, "{alerts:#?}\n{err}");
    let a = &alerts[0];
    assert_eq!(a["source"]["ip"], "203.0.113.9");
    // /.git/config (the compound) and /.aws/credentials (the second step).
    assert_eq!(a["count"], 2);
    let hits = a["details"]["intel"].as_array().unwrap();
    let ids: BTreeSet<&str> = hits
        .iter()
        .filter_map(|h| h["indicator"].as_str())
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from([
            "indicator--a0000000-0000-4000-8000-000000000001",
            "indicator--a0000000-0000-4000-8000-000000000002",
        ])
    );
    for h in hits {
        assert_eq!(h["field"], "pattern");
    }
    let matched: BTreeSet<&str> = hits.iter().filter_map(|h| h["matched"].as_str()).collect();
    assert_eq!(
        matched,
        BTreeSet::from(["203.0.113.9", "/.aws/credentials"])
    );
}
