//! Simulator ground truth for `web.sweep` (scenario `web-sweep`): the
//! distributed sweep is found with exactly its sources, on each site and as
//! one campaign; the single-source probes are found by their detectors; no
//! benign source is in any alert. Two seeds.

use haboob_hunt::{hunt, HuntOptions, HuntReport, Targets};
use haboob_simulate::{read_labels, simulate, Label, LabelKind, Scenario, SimOptions};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

fn hunt_sim(dir: &Path, seed: u64) -> (HuntReport, Vec<Label>) {
    let mut o = SimOptions::new(Scenario::WebSweep, dir);
    o.days = 2;
    o.seed = seed;
    simulate(&o).expect("simulate");
    let labels = read_labels(&dir.join("labels.jsonl")).expect("labels");
    let opts = HuntOptions {
        targets: Targets::load(&dir.join("targets.toml")).expect("targets"),
        ..HuntOptions::default()
    };
    let inputs = haboob_ingest::discover(&[
        dir.join("shop").display().to_string(),
        dir.join("vhosts").display().to_string(),
    ])
    .expect("inputs");
    (hunt(&inputs, &opts, &|_| {}), labels)
}

fn ips(a: &haboob_model::Alert) -> BTreeSet<IpAddr> {
    a.source
        .ip
        .into_iter()
        .chain(a.source.members.iter().copied())
        .collect()
}

fn check(seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let (report, labels) = hunt_sim(dir.path(), seed);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.stats.rejected, 0, "{:?}", report.stats.samples);
    assert!(report.stats.parsed > 40_000);

    let sweep_on = |site: &str| -> BTreeSet<IpAddr> {
        labels
            .iter()
            .filter(|l| l.role == "distributed_sweep" && l.site == site)
            .map(|l| l.source_ip)
            .collect()
    };
    let alerts = report.alerts.to_vec();
    let all_sweeps: Vec<&haboob_model::Alert> = alerts
        .iter()
        .filter(|a| a.detector == "web.sweep")
        .collect();
    // The sweep borrowing Googlebot's User-Agent: one alert with exactly its
    // sources, saying whose agent it borrows (the 30 real Googlebot
    // addresses asking a stale backup link stay quiet, below).
    let forged: BTreeSet<IpAddr> = labels
        .iter()
        .filter(|l| l.role == "forged_crawler_sweep")
        .map(|l| l.source_ip)
        .collect();
    assert_eq!(forged.len(), 40);
    let (borrowed, sweeps): (Vec<&haboob_model::Alert>, Vec<_>) = all_sweeps
        .iter()
        .partition(|a| !a.details["fingerprint"]["borrowed_crawler_agent"].is_null());
    assert_eq!(borrowed.len(), 1, "{borrowed:#?}");
    assert_eq!(ips(borrowed[0]), forged);
    assert_eq!(borrowed[0].target, "shop.example.org");
    assert_eq!(
        borrowed[0].details["fingerprint"]["borrowed_crawler_agent"],
        "Googlebot"
    );
    assert_eq!(borrowed[0].details["fingerprint"]["method"], "GET");
    assert!(
        borrowed[0]
            .title
            .contains("Googlebot's user agent from outside its networks"),
        "{}",
        borrowed[0].title
    );
    // One alert per site, each with exactly that site's sweep sources.
    assert_eq!(sweeps.len(), 2, "{sweeps:#?}");
    for site in ["shop.example.org", "blog.example.net"] {
        let want = sweep_on(site);
        assert!(want.len() >= 60, "{site}: {}", want.len());
        let a: Vec<_> = sweeps.iter().filter(|a| a.target == site).collect();
        assert_eq!(a.len(), 1, "{site}");
        assert_eq!(ips(a[0]), want, "{site}");
        assert_eq!(a[0].details["sources_total"], want.len() as u64);
        assert_eq!(a[0].details["fingerprint"]["method"], "HEAD");
        assert!(a[0].details["site_derived_requests"].as_u64().unwrap() > 0);
        assert_eq!(a[0].severity, haboob_model::Severity::Medium);
    }
    assert_eq!(sweep_on("shop.example.org").len(), 340);

    // One campaign holds every sweep source and nothing else.
    let all: BTreeSet<IpAddr> = labels
        .iter()
        .filter(|l| l.role == "distributed_sweep")
        .map(|l| l.source_ip)
        .collect();
    let camps: Vec<_> = report
        .campaigns
        .iter()
        .filter(|c| c.detectors.iter().any(|d| d == "web.sweep"))
        .filter(|c| c.sources.iter().any(|s| all.contains(s)))
        .collect();
    assert_eq!(camps.len(), 1);
    let got: BTreeSet<IpAddr> = camps[0].sources.iter().copied().collect();
    assert_eq!(got, all);
    // Each sweep source's own requests are below every threshold but name
    // backups and secrets: a low `web.probe` each, in the same campaign.
    assert_eq!(camps[0].detectors, ["web.probe", "web.sweep"]);
    let probed: BTreeSet<IpAddr> = alerts
        .iter()
        .filter(|a| a.detector == "web.probe")
        .filter(|a| a.severity == haboob_model::Severity::Low)
        .flat_map(ips)
        .collect();
    // All but the few that asked only for a year-named archive
    // (`/2026.zip`: the sweep's classifier knows year stems, `web.sensitive`
    // does not list them).
    let not_forged: BTreeSet<IpAddr> = probed.difference(&forged).copied().collect();
    assert!(
        not_forged.is_subset(&all),
        "{:?}",
        not_forged.difference(&all)
    );
    // The forged sweep's campaign holds its sources and nothing else.
    let forged_camps: Vec<_> = report
        .campaigns
        .iter()
        .filter(|c| c.sources.iter().any(|s| forged.contains(s)))
        .collect();
    assert_eq!(forged_camps.len(), 1);
    let got: BTreeSet<IpAddr> = forged_camps[0].sources.iter().copied().collect();
    assert_eq!(got, forged);
    let probed_sweep = probed.intersection(&all).count();
    assert!(
        probed_sweep * 10 >= all.len() * 9,
        "{} of {}",
        probed_sweep,
        all.len()
    );
    assert_eq!(camps[0].targets.len(), 2);

    // The single-source probes are found by their detectors, not as sweeps.
    for l in labels.iter().filter(|l| {
        l.kind == LabelKind::Attack
            && !matches!(
                l.role.as_str(),
                "distributed_sweep" | "forged_crawler_sweep"
            )
    }) {
        let det = l
            .detector
            .as_deref()
            .expect("attack labels name a detector");
        assert!(
            report
                .alerts
                .iter()
                .any(|a| a.detector == det && a.target == l.site && ips(&a).contains(&l.source_ip)),
            "missed {} {} {}",
            l.role,
            det,
            l.source_ip
        );
        assert!(!sweeps.iter().any(|a| ips(a).contains(&l.source_ip)));
    }

    // No benign source in any alert (crawlers with a stale backup link, CDN
    // health checks, monitors, security.txt fetchers, link previewers).
    let benign: BTreeSet<IpAddr> = labels
        .iter()
        .filter(|l| l.kind == LabelKind::Benign)
        .map(|l| l.source_ip)
        .collect();
    assert!(benign.len() > 200);
    for role in [
        "cdn_health",
        "crawler",
        "monitor",
        "wellknown",
        "link_preview",
    ] {
        assert!(labels.iter().any(|l| l.role == role), "{role}");
    }
    let attackers: BTreeSet<IpAddr> = labels
        .iter()
        .filter(|l| l.kind == LabelKind::Attack)
        .map(|l| l.source_ip)
        .collect();
    for a in &report.alerts {
        assert!(
            ips(&a)
                .iter()
                .all(|ip| attackers.contains(ip) && !benign.contains(ip)),
            "{} {} {}",
            a.detector,
            a.target,
            a.title
        );
    }
}

#[test]
fn web_sweep_seed_42() {
    check(42);
}

#[test]
fn web_sweep_seed_7() {
    check(7);
}
