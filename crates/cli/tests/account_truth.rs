//! Issue 3 end to end: the simulated month of sign-in logs
//! (`account-campaign`) hunted through the real pipeline (discovery, format
//! detection, the Entra and M365 parsers, the auth detectors, campaign
//! grouping, target enrichment). The campaign funnel equals the simulator's
//! ground truth in `labels.jsonl` exactly, overall and per organisation, and
//! no benign account or source appears in any alert.

use haboob_hunt::{hunt, HuntOptions, HuntReport, Targets};
use haboob_ingest::Input;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;

struct Truth {
    funnel: Value,
    funnel_by_tenant: BTreeMap<String, Value>,
    compromised: Vec<String>,
    tenants: BTreeMap<String, String>,
    attacker_ips: BTreeSet<IpAddr>,
    benign_ips: BTreeSet<IpAddr>,
    /// Names the attacker tried (the only names an alert may carry).
    probed: BTreeSet<String>,
}

fn read_truth(path: &Path) -> Truth {
    let text = std::fs::read_to_string(path).expect("labels");
    let mut t = Truth {
        funnel: Value::Null,
        funnel_by_tenant: BTreeMap::new(),
        compromised: Vec::new(),
        tenants: BTreeMap::new(),
        attacker_ips: BTreeSet::new(),
        benign_ips: BTreeSet::new(),
        probed: BTreeSet::new(),
    };
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("label json");
        match v["kind"].as_str() {
            Some("account") => {
                if v["probed"] == Value::Bool(true) {
                    t.probed.insert(v["user"].as_str().unwrap().to_string());
                }
            }
            Some("source") => {
                let ip: IpAddr = v["ip"].as_str().unwrap().parse().unwrap();
                match v["role"].as_str() {
                    Some("attacker") => t.attacker_ips.insert(ip),
                    _ => t.benign_ips.insert(ip),
                };
            }
            Some("summary") => {
                t.funnel = v["funnel"].clone();
                for (k, f) in v["funnel_by_tenant"].as_object().unwrap() {
                    t.funnel_by_tenant.insert(k.clone(), f.clone());
                }
                t.compromised = serde_json::from_value(v["compromised"].clone()).unwrap();
                t.tenants = serde_json::from_value(v["tenants"].clone()).unwrap();
            }
            other => panic!("unknown label kind {other:?}"),
        }
    }
    assert!(!t.funnel.is_null(), "labels.jsonl has no summary line");
    t
}

fn hunt_month(dir: &Path, seed: u64) -> HuntReport {
    haboob_simulate::account::write_account_campaign(dir, 30, seed).expect("simulate");
    let opts = HuntOptions {
        targets: Targets::load(&dir.join("targets.toml")).expect("targets"),
        ..HuntOptions::default()
    };
    let inputs: Vec<Input> = haboob_ingest::discover(&[dir.display().to_string()])
        .expect("inputs")
        .into_iter()
        .filter(|i| {
            !matches!(i, Input::File(p)
                if p.extension().is_some_and(|e| e == "toml") || p.ends_with("labels.jsonl"))
        })
        .collect();
    assert_eq!(inputs.len(), 2, "{inputs:?}");
    hunt(&inputs, &opts, &|_| {})
}

fn funnel_tuple(f: &haboob_model::Funnel) -> [u64; 5] {
    [
        f.attempts,
        f.probed,
        f.identified,
        f.attacked,
        f.compromised,
    ]
}

fn truth_tuple(v: &Value) -> [u64; 5] {
    [
        "attempts",
        "probed",
        "identified",
        "attacked",
        "compromised",
    ]
    .map(|k| v[k].as_u64().unwrap())
}

fn check(seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let report = hunt_month(dir.path(), seed);
    let truth = read_truth(&dir.path().join("labels.jsonl"));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.stats.rejected, 0, "{:?}", report.stats.samples);
    assert_eq!(report.stats.lines, report.stats.parsed);
    assert!(report.stats.lines > 10_000, "{}", report.stats.lines);

    // Precision: no benign source, no name the attacker never tried.
    for a in &report.alerts {
        for ip in a.source.ip.iter().chain(a.source.members.iter()) {
            assert!(
                truth.attacker_ips.contains(ip) && !truth.benign_ips.contains(ip),
                "seed {seed}: benign source {ip} in {} {}",
                a.detector,
                a.title
            );
        }
        if let Some(u) = &a.user {
            assert!(
                truth.probed.contains(u),
                "seed {seed}: benign account {u} in {}",
                a.detector
            );
        }
        for (key, v) in &a.details {
            if !key.starts_with("users_") {
                continue;
            }
            for u in v.as_array().into_iter().flatten() {
                let u = u.as_str().unwrap();
                assert!(
                    truth.probed.contains(u),
                    "seed {seed}: benign account {u} in {} {key}",
                    a.detector
                );
            }
        }
        assert!(a.detector.starts_with("auth."), "{}", a.detector);
    }
    let alerts = report.alerts.to_vec();
    let detectors: BTreeSet<&str> = alerts.iter().map(|a| a.detector.as_str()).collect();
    assert_eq!(
        detectors,
        BTreeSet::from(["auth.enumeration", "auth.spray", "auth.takeover"]),
        "seed {seed}"
    );

    // One campaign, whose funnel is the ground truth.
    assert_eq!(
        report.campaigns.len(),
        1,
        "seed {seed}: {:#?}",
        report.campaigns
    );
    let c = &report.campaigns[0];
    let f = c.funnel.expect("sign-in campaigns carry a funnel");
    assert_eq!(funnel_tuple(&f), truth_tuple(&truth.funnel), "seed {seed}");
    assert_eq!(f.attacked, 241);
    assert_eq!(f.compromised, 4);
    assert_eq!(c.compromised, truth.compromised, "seed {seed}");
    assert_eq!(c.compromised.len(), 4);
    let sources: BTreeSet<IpAddr> = c.sources.iter().copied().collect();
    assert_eq!(sources, truth.attacker_ips, "seed {seed}");
    assert_eq!(sources.len(), 40);

    // Per organisation: keyed by tenant id, exactly the truth.
    let got: BTreeMap<&str, [u64; 5]> = c
        .funnel_by_target
        .iter()
        .map(|(k, f)| (k.as_str(), funnel_tuple(f)))
        .collect();
    let want: BTreeMap<&str, [u64; 5]> = truth
        .funnel_by_tenant
        .iter()
        .map(|(k, f)| (k.as_str(), truth_tuple(f)))
        .collect();
    assert_eq!(got, want, "seed {seed}");
    assert_eq!(got.len(), 3);

    // The targets carry the organisation from targets.toml.
    let orgs: BTreeSet<(&str, Option<&str>)> = c
        .targets
        .iter()
        .map(|t| (t.name.as_str(), t.organisation.as_deref()))
        .collect();
    let want_orgs: BTreeSet<(&str, Option<&str>)> = want
        .keys()
        .map(|tenant| {
            let org = match truth.tenants[*tenant].as_str() {
                "campaign2026.example" => {
                    "Example 2026 presidential campaign (campaign2026.example)"
                }
                "gov.oh.example" => "State of Ohio (gov.oh.example)",
                "news.example" => "Example News (news.example)",
                other => panic!("untargeted organisation {other} in the truth"),
            };
            (*tenant, Some(org))
        })
        .collect();
    assert_eq!(orgs, want_orgs, "seed {seed}");
    assert!(
        !c.targets.iter().any(|t| t.name.contains("acme")
            || truth
                .tenants
                .get(&t.name)
                .is_some_and(|d| d == "acme-freight.example")),
        "the untargeted organisation is not a campaign target"
    );
}

#[test]
fn account_campaign_month_seed_42() {
    check(42);
}

#[test]
fn account_campaign_month_seed_7() {
    check(7);
}
