//! Simulator ground truth: every labelled attacker source is found by the
//! right detector on the right site, and nothing else is flagged.

use haboob_hunt::{hunt, Config, HuntOptions, HuntReport, Targets};
use haboob_simulate::{read_labels, simulate, Label, LabelKind, Scenario, SimOptions};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

fn hunt_sim(dir: &Path, days: u32, seed: u64) -> (HuntReport, Vec<Label>) {
    let mut o = SimOptions::new(Scenario::ElectionRecon, dir);
    o.days = days;
    o.seed = seed;
    simulate(&o).expect("simulate");
    let labels = read_labels(&dir.join("labels.jsonl")).expect("labels");
    let opts = HuntOptions {
        targets: Targets::load(&dir.join("targets.toml")).expect("targets"),
        config: Config::load(&dir.join("haboob.toml")).expect("config"),
        ..HuntOptions::default()
    };
    let inputs: Vec<_> = haboob_ingest::discover(&[dir.display().to_string()])
        .expect("inputs")
        .into_iter()
        .filter(|i| !matches!(i, haboob_ingest::Input::File(p) if p.extension().is_some_and(|e| e == "toml") || p.ends_with("labels.jsonl")))
        .collect();
    (hunt(&inputs, &opts, &|_| {}), labels)
}

fn alert_ips(a: &haboob_model::Alert) -> Vec<IpAddr> {
    a.source
        .ip
        .into_iter()
        .chain(a.source.members.iter().copied())
        .collect()
}

fn check(days: u32, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let (report, labels) = hunt_sim(dir.path(), days, seed);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.stats.rejected, 0, "{:?}", report.stats.samples);
    assert_eq!(report.stats.lines, report.stats.parsed);

    // Recall: every attack label is matched by an alert of its detector, site and source.
    let mut missed = Vec::new();
    for l in labels.iter().filter(|l| l.kind == LabelKind::Attack) {
        let det = l
            .detector
            .as_deref()
            .expect("attack labels name a detector");
        let hit = report.alerts.iter().any(|a| {
            a.detector == det
                && a.target == l.site
                && alert_ips(&a).contains(&l.source_ip)
                && l.technique
                    .as_ref()
                    .is_none_or(|t| a.techniques.contains(t))
                && match &l.prefix {
                    Some(p) => a.source.prefix.as_deref() == Some(p.as_str()),
                    None => true,
                }
        });
        if !hit {
            missed.push(format!("{} {} {} {}", l.role, det, l.source_ip, l.site));
        }
    }
    assert!(
        missed.is_empty(),
        "missed attack labels:\n{}",
        missed.join("\n")
    );

    // Precision: every alert's sources are labelled attackers.
    let attackers: BTreeSet<IpAddr> = labels
        .iter()
        .filter(|l| l.kind == LabelKind::Attack)
        .map(|l| l.source_ip)
        .collect();
    let false_pos: Vec<String> = report
        .alerts
        .iter()
        .filter(|a| alert_ips(a).iter().any(|ip| !attackers.contains(ip)))
        .map(|a| format!("{} {:?} {} {}", a.detector, a.source, a.target, a.title))
        .collect();
    assert!(
        false_pos.is_empty(),
        "benign sources flagged:\n{}",
        false_pos.join("\n")
    );

    // The declared pen-test was seen and suppressed, not reported.
    let pentest: Vec<IpAddr> = labels
        .iter()
        .filter(|l| l.kind == LabelKind::Benign && l.role == "pentest")
        .map(|l| l.source_ip)
        .collect();
    assert!(!pentest.is_empty());
    assert!(
        report.suppressed > 0,
        "the pen-test should have been detected, then suppressed"
    );

    // The main actor forms one campaign across the election sites and the news site.
    let main = &report.campaigns[0];
    assert!(
        main.summary.contains("5 election sites in 3 states")
            && main.summary.contains("1 news site"),
        "{}",
        main.summary
    );
}

#[test]
fn election_recon_30_days_seed_42() {
    check(30, 42);
}

#[test]
fn election_recon_other_seed_and_length() {
    check(9, 7);
}
