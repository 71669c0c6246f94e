//! `haboob export stix|misp` from a store holding a real hunt (the
//! simulator's election reconnaissance) in which one alert carries intel
//! hits and one campaign an attribution: exact objects, sightings of the
//! matched indicators, no victim data, deterministic ids, and the bundle
//! passes the OASIS STIX 2.1 validator (`stix2-validator`, installed by
//! `scripts/ci/stix.sh`).

mod common;

use common::*;
use haboob_model::intel::{Attribution, AttributionReason, IntelHit, ReasonKind};
use haboob_simulate::{simulate, Scenario, SimOptions};
use haboob_store::{CampaignQuery, HuntWrite, Store};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const STIX_ID: &str = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
const UA: &str = "Mozilla/5.0 'quoted' \\ agent";

struct Setup {
    _dir: tempfile::TempDir,
    url: String,
    out: PathBuf,
    campaign: String,
    sources: Vec<String>,
    secrets: Vec<String>,
    live: usize,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let mut o = SimOptions::new(Scenario::ElectionRecon, &sim);
    o.days = 2;
    o.rate = 300;
    simulate(&o).expect("simulate");
    let url = format!("sqlite:{}", dir.path().join("haboob.db").display());
    let h = run(&["hunt", "--store", &url, sim.to_str().unwrap()], None);
    assert_eq!(
        h.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&h.stderr)
    );
    let store = Store::open(&url).unwrap();
    let rows = store
        .campaigns(&CampaignQuery {
            min_severity: Some(haboob_model::Severity::Medium),
            limit: 500,
            ..Default::default()
        })
        .unwrap();
    let live = rows.items.len();
    let detail = store.campaign(&rows.items[0].id).unwrap().unwrap();
    let mut campaign = detail.campaign.clone();
    campaign.alerts = detail.alerts.iter().map(|a| a.id.clone()).collect();
    let mut alert = detail.alerts[0].clone();
    let hit = |indicator: &str, matched: &str, field: &str| IntelHit {
        indicator: indicator.into(),
        name: format!("isac {field}"),
        matched: matched.into(),
        field: field.into(),
        source: "isac-feed".into(),
        confidence: Some(80),
        tlp: None,
        actors: vec!["APT35".into()],
        labels: vec![],
    };
    let src = campaign.sources[0].to_string();
    alert.details.insert(
        haboob_intel::DETAILS_KEY.into(),
        serde_json::to_value(vec![
            hit(STIX_ID, &src, "src_ip"),
            hit("list--0f0f", UA, "user_agent"),
        ])
        .unwrap(),
    );
    campaign.attribution = vec![Attribution {
        actor: "Mint Sandstorm".into(),
        aliases: vec!["APT35".into(), "Charming Kitten".into()],
        confidence: 70,
        reasons: vec![AttributionReason {
            kind: ReasonKind::Infrastructure,
            text: format!("source {src} is listed by isac-feed"),
            weight: 60,
        }],
    }];
    // Tools its requests named (one with a quote, as a user's scanner file
    // may give).
    campaign.tools = vec!["Nuclei \"v3\"".into(), "sqlmap".into()];
    let alerts = haboob_model::Alerts::from(vec![alert]);
    let campaigns = vec![campaign.clone()];
    store
        .save_hunt(&HuntWrite {
            ran_at: haboob_model::Ts(0),
            alerts: &alerts,
            retract_alerts: &[],
            campaigns: &campaigns,
            campaigns_complete: false,
            targets: &[],
            contacts: &[],
            checkpoints: &[],
        })
        .unwrap();
    // What must never leave: targeted sites and organisations, accounts, log lines.
    let mut secrets: Vec<String> = campaign.targets.iter().map(|t| t.name.clone()).collect();
    secrets.extend(
        campaign
            .targets
            .iter()
            .filter_map(|t| t.organisation.clone()),
    );
    secrets.extend(detail.alerts.iter().filter_map(|a| a.user.clone()));
    secrets.extend(
        detail
            .alerts
            .iter()
            .flat_map(|a| a.evidence.iter().map(|e| e.raw.clone())),
    );
    Setup {
        out: dir.path().join("out.json"),
        _dir: dir,
        url,
        campaign: campaign.id.clone(),
        sources: campaign.sources.iter().map(|s| s.to_string()).collect(),
        secrets,
        live,
    }
}

fn export(s: &Setup, format: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "export",
        format,
        "--store",
        &s.url,
        "-o",
        s.out.to_str().unwrap(),
    ];
    args.extend(extra);
    let o = run(&args, None);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&s.out).unwrap();
    for secret in &s.secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{secret:?} leaked into the export"
        );
    }
    serde_json::from_str(&text).unwrap()
}

fn of_type<'a>(b: &'a Value, t: &str) -> Vec<&'a Value> {
    b["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == t)
        .collect()
}

fn validator() -> Option<PathBuf> {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ci-python/bin/stix2_validator");
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "stix2_validator missing under CI (scripts/ci/stix.sh installs it)"
    );
    eprintln!("skipped: stix2_validator not installed (run scripts/ci/stix.sh)");
    None
}

#[test]
fn stix_bundle_has_sightings_attribution_and_validates() {
    let s = setup();
    let b = export(&s, "stix", &["--tlp", "green", "--campaign", &s.campaign]);
    assert_eq!(b["type"], "bundle");
    let green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
    let markings = of_type(&b, "marking-definition");
    assert_eq!(markings.len(), 1);
    assert_eq!(markings[0]["id"], green);
    assert_eq!(of_type(&b, "identity").len(), 1);
    assert_eq!(of_type(&b, "campaign").len(), 1);
    // One indicator per attacker source, plus one for the list hit (the
    // STIX hit refers to the feed's own indicator).
    let inds = of_type(&b, "indicator");
    let patterns: BTreeSet<String> = inds
        .iter()
        .map(|i| i["pattern"].as_str().unwrap().to_string())
        .collect();
    let mut want: BTreeSet<String> = s
        .sources
        .iter()
        .map(|ip| {
            let kind = if ip.contains(':') {
                "ipv6-addr"
            } else {
                "ipv4-addr"
            };
            format!("[{kind}:value = '{ip}']")
        })
        .collect();
    want.insert(
        "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = \
         'Mozilla/5.0 \\'quoted\\' \\\\ agent']"
            .into(),
    );
    assert_eq!(patterns, want);
    let sightings = of_type(&b, "sighting");
    let of: BTreeSet<&str> = sightings
        .iter()
        .map(|x| x["sighting_of_ref"].as_str().unwrap())
        .collect();
    let list_ind = inds
        .iter()
        .find(|i| i["external_references"][0]["external_id"] == "list--0f0f")
        .expect("indicator for the list hit");
    assert_eq!(
        of,
        BTreeSet::from([STIX_ID, list_ind["id"].as_str().unwrap()])
    );
    let sets = of_type(&b, "intrusion-set");
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0]["name"], "Mint Sandstorm");
    assert_eq!(
        sets[0]["aliases"],
        serde_json::json!(["APT35", "Charming Kitten"])
    );
    let rels = of_type(&b, "relationship");
    let attributed: Vec<_> = rels
        .iter()
        .filter(|r| r["relationship_type"] == "attributed-to")
        .collect();
    assert_eq!(attributed.len(), 1);
    assert_eq!(attributed[0]["target_ref"], sets[0]["id"]);
    assert_eq!(attributed[0]["confidence"], 70);
    assert_eq!(
        rels.iter()
            .filter(|r| r["relationship_type"] == "indicates")
            .count(),
        s.sources.len()
    );
    // The tools: one object each, used by the campaign.
    let tools = of_type(&b, "tool");
    let names: BTreeSet<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, BTreeSet::from(["Nuclei \"v3\"", "sqlmap"]));
    let campaign_id = of_type(&b, "campaign")[0]["id"].clone();
    let uses: BTreeSet<&str> = rels
        .iter()
        .filter(|r| r["relationship_type"] == "uses")
        .inspect(|r| assert_eq!(r["source_ref"], campaign_id))
        .map(|r| r["target_ref"].as_str().unwrap())
        .collect();
    assert_eq!(
        uses,
        tools.iter().map(|t| t["id"].as_str().unwrap()).collect()
    );
    // Every SDO and SRO is marked.
    for o in b["objects"].as_array().unwrap() {
        let t = o["type"].as_str().unwrap();
        if !["marking-definition", "ipv4-addr", "ipv6-addr"].contains(&t) {
            assert_eq!(o["object_marking_refs"], serde_json::json!([green]), "{t}");
        }
    }
    // Same store, same ids.
    let again = export(&s, "stix", &["--tlp", "green", "--campaign", &s.campaign]);
    let ids = |b: &Value| -> BTreeSet<String> {
        b["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&b), ids(&again));
    if let Some(v) = validator() {
        let o = std::process::Command::new(v).arg(&s.out).output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success() && !text.contains("[X]"),
            "validator:\n{text}"
        );
    }
}

#[test]
fn whole_store_exports_every_live_campaign_and_amber_strict_validates() {
    let s = setup();
    let b = export(&s, "stix", &["--tlp", "amber-strict"]);
    assert_eq!(of_type(&b, "campaign").len(), s.live);
    assert_eq!(
        of_type(&b, "marking-definition")[0]["id"],
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
    );
    if let Some(v) = validator() {
        let o = std::process::Command::new(v).arg(&s.out).output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success() && !text.contains("[X]"),
            "validator:\n{text}"
        );
    }
    let bad = run(
        &["export", "stix", "--store", &s.url, "--campaign", "cp-nope"],
        None,
    );
    assert_ne!(bad.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no campaign cp-nope"));
}

#[test]
fn misp_event_carries_sources_hits_tlp_and_actor() {
    let s = setup();
    let e = export(&s, "misp", &["--tlp", "green", "--campaign", &s.campaign]);
    let ev = &e["Event"];
    let attrs = ev["Attribute"].as_array().unwrap();
    let got: BTreeSet<(String, String)> = attrs
        .iter()
        .map(|a| {
            (
                a["type"].as_str().unwrap().to_string(),
                a["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut want: BTreeSet<(String, String)> = s
        .sources
        .iter()
        .map(|ip| ("ip-src".to_string(), ip.clone()))
        .collect();
    want.insert(("user-agent".into(), UA.into()));
    assert_eq!(got, want);
    let tags: BTreeSet<&str> = ev["Tag"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        BTreeSet::from([
            "tlp:green",
            "misp-galaxy:threat-actor=\"Mint Sandstorm\"",
            "haboob:tool=\"Nuclei 'v3'\"",
            "haboob:tool=\"sqlmap\"",
        ])
    );
    assert!(attrs.iter().all(|a| a["to_ids"] == true));
}
