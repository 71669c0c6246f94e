//! Research-scanner labels on campaigns built from alerts, with the
//! built-in fingerprint file's published networks (Censys's).

use super::*;
use crate::campaign::group_all;
use crate::config::HuntConfig;
use crate::merge::tests::alert;
use crate::targets::Targets;
use haboob_model::Alert;

fn targets() -> Targets {
    let mut t = String::new();
    for (name, region) in [("a.oh", "OH"), ("b.oh", "OH"), ("c.ga", "GA")] {
        t.push_str(&format!(
            "[[target]]\nname = \"{name}\"\nsector = \"election\"\nregion = \"{region}\"\n"
        ));
    }
    Targets::parse(&t, Path::new("/"), "t").unwrap()
}

fn nets() -> ResearchNets {
    ResearchNets::new(scanners::builtin())
}

fn with_tool(mut a: Alert, tool: &str) -> Alert {
    a.details.insert("tool".into(), tool.into());
    a
}

fn campaigns(alerts: &[Alert]) -> Vec<Campaign> {
    group_all(alerts, &targets(), &HuntConfig::default(), None, &nets())
}

/// Three election offices probed from two addresses of one published
/// Censys /24 (not the simulator's).
fn censys_sweep() -> Vec<Alert> {
    vec![
        alert("web.scan", "167.94.138.10", "a.oh", 0, 60),
        alert("web.exploit", "167.94.138.10", "b.oh", 3_600, 3_660),
        alert("web.scan", "167.94.138.20", "c.ga", 7_200, 7_260),
    ]
}

#[test]
fn a_research_scanner_across_election_offices_is_low_and_says_why() {
    let c = campaigns(&censys_sweep());
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].sources.len(), 2);
    assert_eq!(c[0].severity, Severity::Low);
    assert_eq!(
        c[0].summary,
        "research scanner (CensysInspect): 2 sources scanned and sent exploit probes to \
         3 election sites in 2 states (GA, OH)"
    );
    assert!(
        !c[0].reasons.iter().any(|r| r.starts_with("raised to high")),
        "{:?}",
        c[0].reasons
    );
    assert_eq!(
        c[0].reasons.last().map(String::as_str),
        Some(
            "research scanner: every source is in the scanning networks published for \
             CensysInspect; high lowered to low"
        )
    );
}

#[test]
fn the_same_probes_from_outside_the_networks_stay_high() {
    // One address past the published /24: an ordinary sector-wide scan.
    let alerts: Vec<Alert> = censys_sweep()
        .into_iter()
        .map(|mut a| {
            a.source.ip = Some("167.94.139.10".parse().unwrap());
            a
        })
        .collect();
    let c = campaigns(&alerts);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].severity, Severity::High);
    assert!(c[0].reasons.iter().all(|r| !r.contains("research")));
    assert!(!c[0].summary.contains("research"));
}

#[test]
fn a_research_network_past_an_exploitation_attempt_keeps_its_severity() {
    let mut alerts = censys_sweep();
    alerts.push(alert(
        "web.exploit_success",
        "167.94.138.10",
        "b.oh",
        3_700,
        3_760,
    ));
    let c = campaigns(&alerts);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].severity, Severity::Critical);
    assert!(c[0].reasons.contains(
        &"research scanner networks (CensysInspect), but it went past an exploitation \
          attempt: severity kept"
            .to_string()
    ));
}

#[test]
fn a_borrowed_tool_name_is_noted_and_not_lowered() {
    // The scanner's User-Agent from a published address and from one
    // outside: linked by the tool, not all in its networks.
    let alerts = vec![
        with_tool(
            alert("web.scanner_ua", "162.142.125.9", "a.oh", 0, 60),
            "CensysInspect",
        ),
        with_tool(
            alert("web.scanner_ua", "203.0.113.5", "b.oh", 600, 660),
            "CensysInspect",
        ),
        with_tool(
            alert("web.scanner_ua", "203.0.113.5", "c.ga", 900, 960),
            "CensysInspect",
        ),
    ];
    let c = campaigns(&alerts);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].severity, Severity::High);
    assert!(
        c[0].reasons.contains(
            &"claims to be CensysInspect, but 1 of its 2 sources are outside \
              CensysInspect's published networks"
                .to_string()
        ),
        "{:?}",
        c[0].reasons
    );
}

#[test]
fn account_campaigns_are_left_alone() {
    let mut a = alert("auth.spray", "167.94.138.10", "t-oh", 0, 600);
    a.user = Some("clerk@oh.example".into());
    let c = campaigns(&[a]);
    assert_eq!(c.len(), 1);
    assert!(c[0].reasons.iter().all(|r| !r.contains("research")));
}

#[test]
fn a_user_file_adds_networks() {
    let f = ScannerFile::parse(
        "[[scanner]]\ntool = \"Survey\"\nnetworks = [\"192.0.2.0/25\"]\n",
        "u.toml",
    )
    .unwrap();
    let nets = ResearchNets::new(scanners::builtin().iter().chain(&f.scanner));
    assert_eq!(nets.tool_of("192.0.2.100".parse().unwrap()), Some("Survey"));
    assert_eq!(nets.tool_of("192.0.2.200".parse().unwrap()), None);
    assert_eq!(
        nets.tool_of("2602:80d:1000:b0cc:e::7".parse().unwrap()),
        Some("CensysInspect")
    );
}
