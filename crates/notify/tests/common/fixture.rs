//! A campaign against two organisations, with hostile strings.

use haboob_model::{
    Alert, AlertSource, Campaign, Evidence, Funnel, Severity, Target, TargetSector, Ts,
};
use serde_json::json;
use std::collections::BTreeMap;

pub const OHIO: &str = "Ohio Secretary of State";
pub const PLANET: &str = "Daily Planet";
/// An attacked account of Ohio whose name tries to add a mail header.
pub const HOSTILE_USER: &str = "eve\r\nBcc: attacker@evil.example";

pub fn ts(s: &str) -> Ts {
    Ts::parse_rfc3339(s).unwrap()
}

fn target(name: &str, org: &str, sector: TargetSector, region: Option<&str>) -> Target {
    Target {
        name: name.into(),
        organisation: Some(org.into()),
        sector,
        region: region.map(str::to_string),
    }
}

#[allow(clippy::too_many_arguments)]
fn alert(
    id: &str,
    detector: &str,
    severity: Severity,
    ip: &str,
    target: &str,
    user: Option<&str>,
    details: serde_json::Value,
    first: &str,
    last: &str,
    evidence: &[&str],
) -> Alert {
    let details: haboob_model::Details = serde_json::from_value(details).unwrap();
    Alert {
        id: id.into(),
        detector: detector.into(),
        title: format!("{detector} on {target}"),
        techniques: match detector {
            "auth.spray" => vec!["T1110.003".into()],
            "auth.takeover" => vec!["T1078".into()],
            _ => vec!["T1595.003".into()],
        },
        severity,
        source: AlertSource {
            ip: Some(ip.parse().unwrap()),
            prefix: None,
            members: vec![],
        },
        target: target.into(),
        user: user.map(str::to_string),
        first_seen: ts(first),
        last_seen: ts(last),
        count: 40,
        details,
        evidence: evidence
            .iter()
            .enumerate()
            .map(|(i, raw)| Evidence {
                file: "signin/entra.json".into(),
                line: 100 + i as u64,
                raw: raw.to_string(),
            })
            .collect(),
    }
}

/// The campaign, its alerts; revision is the caller's.
pub fn campaign() -> (Campaign, Vec<Alert>) {
    let alerts = vec![
        alert(
            "al-oh-spray",
            "auth.spray",
            Severity::High,
            "203.0.113.7",
            "login.oh.example",
            None,
            json!({
                "users_identified": ["alice@oh.example", "bob@oh.example", "carol@oh.example", "dave@oh.example", HOSTILE_USER],
                "users_attacked": ["alice@oh.example", "bob@oh.example", "carol@oh.example", HOSTILE_USER],
                "users_compromised": [],
            }),
            "2026-10-01T02:00:00Z",
            "2026-10-03T04:00:00Z",
            &["{\"userPrincipalName\":\"bob@oh.example\",\"ipAddress\":\"203.0.113.7\",\"status\":{\"errorCode\":50126}}"],
        ),
        alert(
            "al-oh-takeover",
            "auth.takeover",
            Severity::Critical,
            "203.0.113.7",
            "login.oh.example",
            Some("alice@oh.example"),
            json!({ "users_compromised": ["alice@oh.example"] }),
            "2026-10-03T03:59:00Z",
            "2026-10-03T03:59:00Z",
            &["{\"userPrincipalName\":\"alice@oh.example\",\"ipAddress\":\"203.0.113.7\",\"status\":{\"errorCode\":0},\"userAgent\":\"\u{1b}[31mpwn\r\nX-Evil: 1 <script>alert(1)</script>\"}"],
        ),
        alert(
            "al-oh-web",
            "web.sensitive",
            Severity::High,
            "203.0.113.8",
            "elections.oh.example",
            None,
            json!({}),
            "2026-09-30T23:00:00Z",
            "2026-09-30T23:05:00Z",
            &["203.0.113.8 - - [30/Sep/2026:23:00:00 +0000] \"GET /.env HTTP/1.1\" 404 162 \"-\" \"curl/8.0\""],
        ),
        alert(
            "al-planet-spray",
            "auth.spray",
            Severity::High,
            "198.51.100.9",
            "mail.planet.example",
            None,
            json!({
                "users_identified": ["lois@planet.example", "clark@planet.example"],
                "users_attacked": ["lois@planet.example", "clark@planet.example"],
                "users_compromised": ["clark@planet.example"],
            }),
            "2026-10-02T01:00:00Z",
            "2026-10-02T05:00:00Z",
            &["{\"userPrincipalName\":\"clark@planet.example\",\"ipAddress\":\"198.51.100.9\",\"status\":{\"errorCode\":0}}"],
        ),
    ];
    let mut funnel_by_target = BTreeMap::new();
    funnel_by_target.insert(
        "login.oh.example".to_string(),
        Funnel {
            attempts: 1200,
            probed: 300,
            identified: 5,
            attacked: 4,
            compromised: 1,
        },
    );
    funnel_by_target.insert(
        "mail.planet.example".to_string(),
        Funnel {
            attempts: 80,
            probed: 20,
            identified: 2,
            attacked: 2,
            compromised: 1,
        },
    );
    let campaign = Campaign {
        id: "cp-0123456789abcdef".into(),
        // The hunt's summary names every organisation's accounts: it must
        // not reach a notification.
        summary: "2 sources made 1,280 attempts against 2 organisations (alice@oh.example, clark@planet.example)".into(),
        severity: Severity::Critical,
        sources: vec![
            "198.51.100.9".parse().unwrap(),
            "203.0.113.7".parse().unwrap(),
            "203.0.113.8".parse().unwrap(),
        ],
        targets: vec![
            target("elections.oh.example", OHIO, TargetSector::Election, Some("OH")),
            target("login.oh.example", OHIO, TargetSector::Election, Some("OH")),
            target("mail.planet.example", PLANET, TargetSector::News, None),
            Target {
                name: "unowned.example".into(),
                organisation: None,
                sector: TargetSector::Other,
                region: None,
            },
        ],
        alerts: alerts.iter().map(|a| a.id.clone()).collect(),
        detectors: vec!["auth.spray".into(), "auth.takeover".into(), "web.sensitive".into()],
        techniques: vec!["T1078".into(), "T1110.003".into(), "T1595.003".into()],
        reasons: vec!["alerts sharing a source address".into()],
        first_seen: ts("2026-09-30T23:00:00Z"),
        last_seen: ts("2026-10-03T04:00:00Z"),
        funnel: Some(Funnel { attempts: 1280, probed: 320, identified: 7, attacked: 6, compromised: 2 }),
        funnel_by_target,
        compromised: vec!["alice@oh.example".into(), "clark@planet.example".into()],
        actors: vec![],
        attribution: vec![],
        stages: Vec::new(),
        tools: Vec::new(),
    };
    (campaign, alerts)
}
