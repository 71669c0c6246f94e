//! web-volume: size, layout, labels, determinism.

mod common;

use common::*;
use haboob_simulate::{read_labels, simulate, LabelKind, Scenario, SimOptions};
use std::collections::BTreeMap;
use std::net::IpAddr;

fn opts(dir: &std::path::Path, seed: u64) -> SimOptions {
    SimOptions {
        days: 2,
        seed,
        bytes: 3_000_000,
        ..SimOptions::new(Scenario::WebVolume, dir)
    }
}

#[test]
fn volume_log_has_the_size_layout_and_labels_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let s = simulate(&opts(dir.path(), 42)).unwrap();
    let log = dir.path().join("access.log");
    let size = std::fs::metadata(&log).unwrap().len();
    assert_eq!(size, s.bytes);
    assert!((3_000_000..3_030_000).contains(&size), "{size}");
    let recs: Vec<Rec> = lines(&log)
        .iter()
        .map(|l| parse_combined("access.log", l, "www.example"))
        .collect();
    assert_eq!(recs.len() as u64, s.lines);
    assert!(recs.windows(2).all(|w| w[0].ts <= w[1].ts));
    let labels = read_labels(&dir.path().join("labels.jsonl")).unwrap();
    assert_eq!(labels.len() as u64, s.labels);
    let mut per_ip: BTreeMap<IpAddr, u64> = BTreeMap::new();
    for r in &recs {
        *per_ip.entry(r.ip).or_default() += 1;
    }
    for l in &labels {
        assert_eq!(l.kind, LabelKind::Attack);
        assert_eq!(per_ip[&l.source_ip], l.events, "{l:?}");
    }
    // Four bursts over two days (one per 12 h), cycling through the kinds.
    let roles: Vec<&str> = labels.iter().map(|l| l.role.as_str()).collect();
    assert_eq!(roles.len(), 4);
    let set: std::collections::BTreeSet<&str> = roles.into_iter().collect();
    assert_eq!(set, ["exploit", "scan", "scanner_ua", "sensitive"].into());
}

#[test]
fn volume_is_deterministic() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    simulate(&opts(a.path(), 1)).unwrap();
    simulate(&opts(b.path(), 1)).unwrap();
    simulate(&opts(c.path(), 2)).unwrap();
    assert_eq!(hash_tree(a.path()), hash_tree(b.path()));
    assert_ne!(
        hash_tree(a.path())["access.log"],
        hash_tree(c.path())["access.log"]
    );
}

/// `--sources 0 --probes 100`: every request but the labelled bursts' is a
/// hostile probe from a new address, each for a path no other asks for,
/// mostly answered 404 or 403, with several methods and user agents.
#[test]
fn probes_come_from_new_sources_for_distinct_paths() {
    let dir = tempfile::tempdir().unwrap();
    let s = simulate(&SimOptions {
        sources: 0,
        probes: 100,
        ..opts(dir.path(), 5)
    })
    .unwrap();
    let recs: Vec<Rec> = lines(&dir.path().join("access.log"))
        .iter()
        .map(|l| parse_combined("access.log", l, "www.example"))
        .collect();
    assert_eq!(recs.len() as u64, s.lines);
    let labels = read_labels(&dir.path().join("labels.jsonl")).unwrap();
    let burst: std::collections::BTreeSet<IpAddr> = labels.iter().map(|l| l.source_ip).collect();
    let probes: Vec<&Rec> = recs.iter().filter(|r| !burst.contains(&r.ip)).collect();
    assert!(probes.len() > 10_000, "{}", probes.len());
    let ips: std::collections::HashSet<IpAddr> = probes.iter().map(|r| r.ip).collect();
    let targets: std::collections::HashSet<&str> =
        probes.iter().map(|r| r.target.as_str()).collect();
    // Addresses are drawn from a 64-bit mix: a repeat is possible, not common.
    assert!(
        ips.len() * 1000 >= probes.len() * 999,
        "{} of {}",
        ips.len(),
        probes.len()
    );
    assert!(
        targets.len() * 1000 >= probes.len() * 999,
        "{} of {}",
        targets.len(),
        probes.len()
    );
    let client_errors = probes
        .iter()
        .filter(|r| matches!(r.status, 403 | 404))
        .count();
    assert!(
        client_errors * 10 >= probes.len() * 8,
        "{client_errors} of {}",
        probes.len()
    );
    let methods: std::collections::BTreeSet<&str> =
        probes.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["GET", "HEAD", "POST"].into());
    assert!(probes.iter().any(|r| r.ua.is_empty() || r.ua == "-"));
    assert!(probes.iter().any(|r| r.ua.starts_with("curl/")));
}
