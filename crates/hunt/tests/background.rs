//! Background versus campaign on a fixture (two sites, a folder each):
//! one-off probes from unrelated sources (three single exploit requests, one
//! Nikto hit, two sqlmap requests) are counted as background at low
//! severity; a sensitive-file sweep, a source probing two sites, and a source
//! sending four exploit requests stay campaigns.

use haboob_hunt::{hunt, HuntOptions};
use haboob_model::Severity;
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

#[test]
fn one_off_probes_are_background_with_exact_counts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/background");
    let inputs = haboob_ingest::discover(&[dir.display().to_string()]).unwrap();
    let r = hunt(&inputs, &HuntOptions::default(), &|_| {});
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!((r.stats.lines, r.stats.parsed), (20, 20));
    let b = &r.background;
    assert_eq!(b.severity, Severity::Low);
    assert_eq!((b.alerts, b.sources, b.targets), (5, 5, 2));
    let by_det = |d: &str| -> (u64, u64) {
        b.classes
            .iter()
            .filter(|c| c.detector == d)
            .fold((0, 0), |(a, q), c| (a + c.alerts, q + c.requests))
    };
    assert_eq!(by_det("web.exploit"), (3, 3));
    assert_eq!(by_det("web.scanner_ua"), (2, 3));
    let tools: Vec<(&str, u64, u64)> = b
        .classes
        .iter()
        .filter(|c| c.detector == "web.scanner_ua")
        .map(|c| (c.class.as_str(), c.alerts, c.requests))
        .collect();
    assert_eq!(tools, vec![("Nikto", 1, 1), ("sqlmap", 1, 2)]);
    // The background's alerts are exactly those of the five one-off sources.
    let ips = |v: &[&str]| -> BTreeSet<IpAddr> { v.iter().map(|s| s.parse().unwrap()).collect() };
    let bg_sources: BTreeSet<IpAddr> = r
        .alerts
        .iter()
        .filter(|a| b.alert_ids.contains(&a.id))
        .filter_map(|a| a.source.ip)
        .collect();
    assert_eq!(
        bg_sources,
        ips(&[
            "185.10.0.1",
            "185.20.0.2",
            "185.30.0.3",
            "185.40.0.4",
            "185.50.0.5"
        ])
    );
    // The rest are campaigns, one each.
    let campaigns: BTreeSet<IpAddr> = r.campaigns.iter().flat_map(|c| c.sources.clone()).collect();
    assert_eq!(r.campaigns.len(), 3);
    assert_eq!(
        campaigns,
        ips(&["192.0.2.77", "198.18.1.88", "198.51.100.9"])
    );
    // Every alert is either in a campaign or in the background.
    let in_campaigns: usize = r.campaigns.iter().map(|c| c.alerts.len()).sum();
    assert_eq!(in_campaigns + b.alert_ids.len(), r.alerts.len());
}
