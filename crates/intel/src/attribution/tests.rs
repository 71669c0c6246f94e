use super::*;
use haboob_model::intel::{IntelHit, ReasonKind, DETAILS_KEY};
use haboob_model::{AlertSource, Severity, Target, TargetSector, Ts};

const HOUR: i64 = 3_600_000;

fn alert(id: &str, at_ms: i64, details: serde_json::Value) -> Alert {
    Alert {
        id: id.into(),
        detector: "web.scan".into(),
        title: "t".into(),
        techniques: vec!["T1595.002".into()],
        severity: Severity::Medium,
        source: AlertSource {
            ip: Some("203.0.113.7".parse().unwrap()),
            ..AlertSource::default()
        },
        target: "vote.example.gov".into(),
        user: None,
        first_seen: Ts(at_ms),
        last_seen: Ts(at_ms + 60_000),
        count: 10,
        details: serde_json::from_value(details).unwrap(),
        evidence: Vec::new(),
    }
}

fn hit(ind: &str, actors: &[&str], source: &str, confidence: Option<u8>, field: &str) -> IntelHit {
    IntelHit {
        indicator: ind.into(),
        name: format!("name of {ind}"),
        matched: "203.0.113.7".into(),
        field: field.into(),
        source: source.into(),
        confidence,
        tlp: None,
        actors: actors.iter().map(|s| s.to_string()).collect(),
        labels: Vec::new(),
    }
}

fn intel(hits: &[IntelHit]) -> serde_json::Value {
    serde_json::json!({ DETAILS_KEY: hits })
}

fn campaign(techniques: &[&str], targets: &[(TargetSector, &str)]) -> Campaign {
    Campaign {
        id: "c1".into(),
        summary: "s".into(),
        severity: Severity::Medium,
        sources: vec!["203.0.113.7".parse().unwrap()],
        targets: targets
            .iter()
            .enumerate()
            .map(|(i, (sector, region))| Target {
                name: format!("site{i}.example"),
                organisation: Some(format!("org{i}")),
                sector: *sector,
                region: Some(region.to_string()),
            })
            .collect(),
        alerts: Vec::new(),
        detectors: vec!["web.scan".into()],
        techniques: techniques.iter().map(|s| s.to_string()).collect(),
        reasons: Vec::new(),
        first_seen: Ts(0),
        last_seen: Ts(HOUR),
        funnel: None,
        funnel_by_target: Default::default(),
        compromised: Vec::new(),
        actors: Vec::new(),
        attribution: Vec::new(),
        stages: Vec::new(),
        tools: Vec::new(),
    }
}

fn kinds(a: &Attribution) -> Vec<(ReasonKind, i32)> {
    a.reasons.iter().map(|r| (r.kind, r.weight)).collect()
}

#[test]
fn an_alias_in_the_intel_attributes_to_the_canonical_actor_with_all_aliases() {
    let db = ActorDb::builtin();
    let c = campaign(&["T1110.003"], &[(TargetSector::Campaign, "PA")]);
    let a = alert(
        "a1",
        0,
        intel(&[hit("indicator--1", &["APT35"], "isac", Some(80), "src_ip")]),
    );
    let got = attribute(&c, &[&a], &db, &AttributionOptions::default());
    assert_eq!(got.len(), 1, "{got:#?}");
    let m = &got[0];
    assert_eq!(m.actor, "Mint Sandstorm");
    for alias in ["APT35", "Charming Kitten", "Phosphorus", "TA453", "G0059"] {
        assert!(
            m.aliases.iter().any(|x| x == alias),
            "{alias}: {:?}",
            m.aliases
        );
    }
    // 80 × 40 % = 32; T1110.003 counts for Mint's T1110 (10); campaign
    // sector (5); PA is in the US (5).
    assert_eq!(
        kinds(m),
        [
            (ReasonKind::Infrastructure, 32),
            (ReasonKind::Technique, 10),
            (ReasonKind::Targeting, 5),
            (ReasonKind::Targeting, 5),
        ]
    );
    assert_eq!(m.confidence, 52);
    assert_eq!(
        m.reasons[0].text,
        "src_ip 203.0.113.7 matched indicator \"name of indicator--1\" (indicator--1) from isac, confidence 80"
    );
}

#[test]
fn a_commodity_scanner_on_election_sites_stays_unattributed() {
    let db = ActorDb::builtin();
    // Cotton Sandstorm scans election sites with T1595.002 in the US: the
    // overlap is total, and still no evidence.
    let c = campaign(
        &["T1595.002", "T1190"],
        &[
            (TargetSector::Election, "AZ"),
            (TargetSector::Election, "PA"),
        ],
    );
    let alerts: Vec<Alert> = (0..5)
        .map(|i| {
            alert(
                &format!("a{i}"),
                i * HOUR,
                serde_json::json!({"tool": "Nuclei", "user_agent": "Nuclei - Open-source project"}),
            )
        })
        .collect();
    let refs: Vec<&Alert> = alerts.iter().collect();
    assert!(attribute(&c, &refs, &db, &AttributionOptions::default()).is_empty());
    // Intel about someone else's infrastructure without actors is no
    // evidence either.
    let a = alert(
        "x",
        0,
        intel(&[hit("indicator--9", &[], "isac", Some(90), "src_ip")]),
    );
    assert!(attribute(&c, &[&a], &db, &AttributionOptions::default()).is_empty());
}

#[test]
fn candidates_rank_by_evidence_with_exact_reasons() {
    let db = ActorDb::builtin();
    let c = campaign(&["T1595.002", "T1190"], &[(TargetSector::Election, "AZ")]);
    let a1 = alert(
        "a1",
        0,
        intel(&[
            hit(
                "indicator--c1",
                &["Emennet Pasargad"],
                "ei-isac",
                Some(90),
                "src_ip",
            ),
            hit(
                "indicator--f1",
                &["Fancy Bear"],
                "vendor",
                Some(60),
                "src_ip",
            ),
        ]),
    );
    // The same indicator again in another alert counts once.
    let a2 = alert(
        "a2",
        HOUR,
        intel(&[
            hit(
                "indicator--c1",
                &["Cotton Sandstorm"],
                "ei-isac",
                Some(90),
                "src_ip",
            ),
            hit(
                "indicator--c2",
                &["Neptunium"],
                "vendor",
                Some(70),
                "domain",
            ),
        ]),
    );
    let got = attribute(&c, &[&a1, &a2], &db, &AttributionOptions::default());
    let names: Vec<(&str, u8)> = got
        .iter()
        .map(|a| (a.actor.as_str(), a.confidence))
        .collect();
    assert_eq!(names, [("Cotton Sandstorm", 75), ("Forest Blizzard", 34)]);
    assert_eq!(
        kinds(&got[0]),
        [
            (ReasonKind::Infrastructure, 36),
            (ReasonKind::Infrastructure, 14),
            (ReasonKind::Technique, 10),
            (ReasonKind::Infrastructure, 5),
            (ReasonKind::Targeting, 5),
            (ReasonKind::Targeting, 5),
        ]
    );
    assert_eq!(
        got[0].reasons[3].text,
        "indicators from 2 sources agree: ei-isac, vendor"
    );
    assert_eq!(
        kinds(&got[1]),
        [
            (ReasonKind::Infrastructure, 24),
            (ReasonKind::Targeting, 5),
            (ReasonKind::Targeting, 5),
        ]
    );
    let one = attribute(
        &c,
        &[&a1, &a2],
        &db,
        &AttributionOptions { max_candidates: 1 },
    );
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].actor, "Cotton Sandstorm");
}

#[test]
fn an_actor_unknown_to_the_database_is_named_as_the_intel_names_it() {
    let db = ActorDb::builtin();
    let c = campaign(&[], &[]);
    let a = alert(
        "a",
        0,
        intel(&[hit("indicator--u", &["Storm-9999"], "isac", None, "domain")]),
    );
    let got = attribute(&c, &[&a], &db, &AttributionOptions::default());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].actor, "Storm-9999");
    assert!(got[0].aliases.is_empty());
    // No confidence given: 50 × 40 % = 20.
    assert_eq!(kinds(&got[0]), [(ReasonKind::Infrastructure, 20)]);
    assert!(
        got[0].reasons[0].text.ends_with("no confidence given"),
        "{}",
        got[0].reasons[0].text
    );
}

const PROFILE: &str = r#"
[[actor]]
name = "Test Bear"
aliases = ["TB-1"]
sources = ["https://example.org/report"]
utc_offset = 3
work_hours = [8, 18]
fingerprints = [{ user_agent_contains = "EvilBot/", note = "EvilBot recon client" }]
"#;

#[test]
fn tooling_fingerprints_attribute_and_timing_only_adds() {
    let db = ActorDb::from_profiles(PROFILE, "t.toml").unwrap();
    let c = campaign(&[], &[]);
    // 06:00-08:00 UTC is 09:00-11:00 at UTC+3: within working hours.
    let alerts: Vec<Alert> = (0..3)
        .map(|i| {
            alert(
                &format!("a{i}"),
                6 * HOUR + i * HOUR / 2,
                serde_json::json!({"user_agent": "Mozilla/5.0 evilbot/2.1"}),
            )
        })
        .collect();
    let refs: Vec<&Alert> = alerts.iter().collect();
    let got = attribute(&c, &refs, &db, &AttributionOptions::default());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].actor, "Test Bear");
    assert_eq!(
        kinds(&got[0]),
        [(ReasonKind::Tooling, 25), (ReasonKind::Timing, 5)]
    );
    assert_eq!(
        got[0].reasons[1].text,
        "3 of 3 alerts began within the actor's working hours (08-18 UTC+3)"
    );
    // The same hours without the fingerprint: timing alone never attributes.
    let plain: Vec<Alert> = (0..3)
        .map(|i| alert(&format!("b{i}"), 6 * HOUR, serde_json::json!({})))
        .collect();
    let refs: Vec<&Alert> = plain.iter().collect();
    assert!(attribute(&c, &refs, &db, &AttributionOptions::default()).is_empty());
    // Night-time activity counts against: 25 − 5.
    let night: Vec<Alert> = (0..3)
        .map(|i| {
            alert(
                &format!("n{i}"),
                22 * HOUR,
                serde_json::json!({"user_agent": "EvilBot/2"}),
            )
        })
        .collect();
    let refs: Vec<&Alert> = night.iter().collect();
    let got = attribute(&c, &refs, &db, &AttributionOptions::default());
    assert_eq!(
        kinds(&got[0]),
        [(ReasonKind::Tooling, 25), (ReasonKind::Timing, -5)]
    );
    assert_eq!(got[0].confidence, 20);
}

#[test]
fn a_user_agent_indicator_is_tooling_and_bad_entries_are_ignored() {
    let db = ActorDb::builtin();
    let c = campaign(&[], &[]);
    let mut ua = hit("indicator--ua", &["TA453"], "isac", Some(100), "user_agent");
    ua.matched = "x".repeat(500);
    let mut details = intel(&[ua]);
    details[DETAILS_KEY]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"not": "a hit"}));
    let a = alert("a", 0, details);
    let b = alert("b", 0, serde_json::json!({ DETAILS_KEY: "garbage" }));
    let got = attribute(&c, &[&a, &b], &db, &AttributionOptions::default());
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].actor, "Mint Sandstorm");
    assert_eq!(kinds(&got[0]), [(ReasonKind::Tooling, 35)]);
    // The quoted value is bounded.
    assert!(
        got[0].reasons[0].text.len() < 300,
        "{}",
        got[0].reasons[0].text.len()
    );
}
