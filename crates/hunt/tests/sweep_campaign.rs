//! A `web.sweep` alert in campaign grouping: its members link by address
//! (every member counts), never by the /24 of its lowest member.

use haboob_hunt::campaign::group;
use haboob_hunt::{HuntConfig, Targets};
use haboob_model::{Alert, AlertSource, Severity, Ts};
use std::net::IpAddr;

fn alert(det: &str, ip: &str, members: &[&str], first: i64) -> Alert {
    Alert {
        id: format!("al-{det}-{ip}-{first}"),
        detector: det.into(),
        title: "t".into(),
        techniques: vec!["T1595.003".into()],
        severity: Severity::Medium,
        source: AlertSource {
            ip: Some(ip.parse().unwrap()),
            prefix: None,
            members: members.iter().map(|m| m.parse().unwrap()).collect(),
        },
        target: "shop.example.org".into(),
        user: None,
        first_seen: Ts::from_secs(first),
        last_seen: Ts::from_secs(first + 60),
        count: 2,
        details: Default::default(),
        evidence: Vec::new(),
    }
}

#[test]
fn sweep_members_link_by_address_not_by_neighbourhood() {
    let sweep = alert(
        "web.sweep",
        "1.2.3.4",
        &["1.2.3.4", "77.88.99.10", "203.0.113.50"],
        0,
    );
    // A neighbour of the lowest member, an hour later: not the same actor.
    let neighbour = alert("web.scan", "1.2.3.77", &[], 3_600);
    // A member seen again by another detector: the same actor.
    let member = alert("web.sensitive", "203.0.113.50", &[], 86_400 * 3);
    let c = group(
        &[sweep, neighbour, member],
        &Targets::default(),
        &HuntConfig::default(),
        None,
    );
    assert_eq!(c.len(), 2);
    let s = c
        .iter()
        .find(|c| c.detectors.iter().any(|d| d == "web.sweep"))
        .unwrap();
    let want: Vec<IpAddr> = ["1.2.3.4", "77.88.99.10", "203.0.113.50"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(s.sources, want);
    assert_eq!(s.detectors, ["web.sensitive", "web.sweep"]);
    assert_eq!(s.reasons, ["same source 203.0.113.50"]);
}
