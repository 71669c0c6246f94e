use super::*;
use haboob_model::{Funnel, TargetSector, Ts};
use std::collections::BTreeMap;

fn campaign() -> Campaign {
    let f = |probed, compromised| Funnel {
        attempts: 10,
        probed,
        identified: probed,
        attacked: probed,
        compromised,
    };
    Campaign {
        id: "cp-1".into(),
        summary: "2 sources made 20 attempts".into(),
        severity: Severity::Critical,
        sources: vec!["203.0.113.1".parse().unwrap()],
        targets: vec![
            Target {
                name: "0b1e5a4e-tenant".into(),
                organisation: Some(
                    "Example 2026 presidential campaign (campaign2026.example)".into(),
                ),
                sector: TargetSector::Campaign,
                region: None,
            },
            Target {
                name: "unknown.example".into(),
                organisation: None,
                sector: TargetSector::Other,
                region: None,
            },
        ],
        alerts: vec!["al-1".into()],
        detectors: vec!["auth.spray".into()],
        techniques: vec!["T1110.003".into()],
        reasons: vec![],
        first_seen: Ts(0),
        last_seen: Ts(1000),
        funnel: Some(f(7, 1)),
        funnel_by_target: BTreeMap::from([
            ("0b1e5a4e-tenant".to_string(), f(5, 1)),
            ("unknown.example".to_string(), f(2, 0)),
        ]),
        compromised: vec!["a@campaign2026.example".into()],
        actors: Vec::new(),
        attribution: Vec::new(),
        stages: Vec::new(),
        tools: Vec::new(),
    }
}

/// The table of a report holding only `c`.
fn table_of(c: Campaign) -> String {
    let r = HuntReport {
        campaigns: vec![c],
        ..HuntReport::default()
    };
    let mut out = Vec::new();
    write_table(&r, &TableOptions::default(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn funnel_rows_name_the_organisation_when_known() {
    let text = table_of(campaign());
    let rows: Vec<&str> = text.lines().filter(|l| l.contains(" probed, ")).collect();
    assert_eq!(
        rows,
        vec![
            "    Example 2026 presidential campaign (campaign2026.example) 5 probed, 5 identified, 5 attacked, 1 compromised",
            "    unknown.example                                           2 probed, 2 identified, 2 attacked, 0 compromised",
        ],
        "{text}"
    );
    assert!(!text.contains("0b1e5a4e-tenant  "), "{text}");
}

#[test]
fn stages_are_rows_in_order_with_escaped_sites() {
    use haboob_model::{Stage, StageKind};
    let mut c = campaign();
    let stage = |stage, site: &str, secs, n: usize| Stage {
        stage,
        site: site.into(),
        first_seen: Ts::from_secs(secs),
        evidence: (0..n).map(|i| format!("al-{i}")).collect(),
    };
    c.stages = vec![
        stage(StageKind::Reconnaissance, "a.example", 0, 2),
        stage(StageKind::ExploitationSuccess, "a.example", 3600, 1),
        stage(StageKind::Defacement, "b\x1b[31m.example", 7200, 1),
    ];
    let text = table_of(c);
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("  stages"))
        .take(3)
        .collect();
    assert_eq!(
        rows,
        [
            "  stages      reconnaissance       1970-01-01T00:00:00.000Z  a.example (2 alerts)",
            "              exploitation success 1970-01-01T01:00:00.000Z  a.example (1 alert)",
            "              defacement           1970-01-01T02:00:00.000Z  b\\u{1b}[31m.example (1 alert)",
        ],
        "{text}"
    );
    assert!(!text.contains('\x1b'), "{text}");
}

#[test]
fn sources_line_names_actors_without_an_address() {
    let mut c = campaign();
    c.sources.clear();
    c.actors = vec!["ws1\\eve".into()];
    let text = table_of(c);
    let rows: Vec<&str> = text.lines().filter(|l| l.contains("  sources ")).collect();
    assert_eq!(rows, vec!["  sources     ws1\\eve"], "{text}");
}

#[test]
fn actor_line_shows_the_best_candidate_or_unattributed() {
    use haboob_model::intel::{Attribution, AttributionReason};
    let reason = |kind, text: &str, weight| AttributionReason {
        kind,
        text: text.into(),
        weight,
    };
    let mut c = campaign();
    let text_of = |c: &Campaign| table_of(c.clone());
    assert!(text_of(&c).contains("\n  actor       unattributed\n"));
    c.attribution = vec![
        Attribution {
            actor: "Mint Sandstorm".into(),
            aliases: vec!["APT35".into(), "Phosphorus".into()],
            confidence: 52,
            reasons: vec![
                reason(
                    ReasonKind::Infrastructure,
                    "src_ip 203.0.113.7 matched \x1b[31m",
                    32,
                ),
                reason(ReasonKind::Technique, "1 of 1", 10),
                reason(ReasonKind::Targeting, "campaign", 5),
                reason(ReasonKind::Timing, "hours", -5),
            ],
        },
        Attribution {
            actor: "APT42".into(),
            aliases: vec![],
            confidence: 20,
            reasons: vec![],
        },
    ];
    let text = text_of(&c);
    let start = text.find("  actor ").unwrap();
    let block: Vec<&str> = text[start..].lines().take(6).collect();
    assert_eq!(
        block,
        [
            "  actor       Mint Sandstorm (confidence 52) aka APT35, Phosphorus",
            "     +32 infrastructure: src_ip 203.0.113.7 matched \\u{1b}[31m",
            "     +10 technique: 1 of 1",
            "      +5 targeting: campaign",
            "    (+1 more reasons)",
            "  or          APT42 (20)",
        ],
        "{text}"
    );
}
