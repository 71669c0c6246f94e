//! The stages of one campaign, per site: reconnaissance → exploitation
//! attempt → exploitation success → collection → defacement, each with the
//! first time it was reached and the alerts that show it.
//!
//! A stage comes from the detector that fired, in one table ([`STAGES`]);
//! Sigma alerts count as an exploitation attempt when their rule is tagged
//! with T1190 (Exploit Public-Facing Application). Detectors of no stage
//! (`web.flood`, the sign-in detectors, which have their own funnel) add
//! none. A campaign that reached exploitation success, collection or
//! defacement on any site is critical ([`apply`]).

use haboob_model::{Alert, Campaign, Severity, Stage, StageKind, MAX_STAGE_EVIDENCE};
use std::collections::BTreeMap;

/// Detector id → stage. Detectors not listed mark no stage.
pub const STAGES: &[(&str, StageKind)] = &[
    // Reconnaissance (ATT&CK TA0043): scanning, probing, enumeration.
    ("web.scan", StageKind::Reconnaissance),
    ("web.sensitive", StageKind::Reconnaissance),
    ("web.probe", StageKind::Reconnaissance),
    ("web.scanner_ua", StageKind::Reconnaissance),
    ("web.admin_enum", StageKind::Reconnaissance),
    ("web.crawl", StageKind::Reconnaissance),
    ("web.sweep", StageKind::Reconnaissance),
    ("web.user_enum", StageKind::Reconnaissance),
    // Exploitation attempts (T1190): exploit requests, requests a WAF
    // stopped, and password guessing against a web login (T1110, an
    // attempt at initial access).
    ("web.exploit", StageKind::ExploitationAttempt),
    ("web.waf_block", StageKind::ExploitationAttempt),
    ("web.login_bf", StageKind::ExploitationAttempt),
    // Outcomes.
    ("web.exploit_success", StageKind::ExploitationSuccess),
    ("web.harvest", StageKind::Collection),
    ("web.defacement", StageKind::Defacement),
];

/// The Sigma alert detector id.
const SIGMA: &str = "sigma";

/// The stage an alert marks, if any.
pub fn stage_of(a: &Alert) -> Option<StageKind> {
    if a.detector == SIGMA {
        let exploit = a.techniques.iter().any(|t| {
            t.eq_ignore_ascii_case("T1190") || t.to_ascii_uppercase().starts_with("T1190.")
        });
        return exploit.then_some(StageKind::ExploitationAttempt);
    }
    STAGES
        .iter()
        .find(|(d, _)| *d == a.detector)
        .map(|(_, s)| *s)
}

/// The stages of a campaign's member alerts, per site, ordered by stage,
/// then first time reached, then site.
pub fn stages(members: &[&Alert]) -> Vec<Stage> {
    let mut by: BTreeMap<(StageKind, &str), Vec<&Alert>> = BTreeMap::new();
    for a in members {
        if let Some(s) = stage_of(a) {
            by.entry((s, a.target.as_str())).or_default().push(a);
        }
    }
    let mut out: Vec<Stage> = by
        .into_iter()
        .map(|((stage, site), mut alerts)| {
            alerts.sort_by(|x, y| (x.first_seen, &x.id).cmp(&(y.first_seen, &y.id)));
            alerts.dedup_by(|x, y| x.id == y.id);
            Stage {
                stage,
                site: site.to_string(),
                first_seen: alerts[0].first_seen,
                evidence: alerts
                    .iter()
                    .take(MAX_STAGE_EVIDENCE)
                    .map(|a| a.id.clone())
                    .collect(),
            }
        })
        .collect();
    out.sort_by(|x, y| (x.stage, x.first_seen, &x.site).cmp(&(y.stage, y.first_seen, &y.site)));
    out
}

/// The furthest stage reached on any site.
pub fn furthest(stages: &[Stage]) -> Option<StageKind> {
    stages.iter().map(|s| s.stage).max()
}

/// Set a campaign's stages from its members; a campaign that reached
/// exploitation success, collection or defacement becomes critical, with a
/// reason naming the stage and site. The campaign id is not touched.
pub fn apply(c: &mut Campaign, members: &[&Alert]) {
    c.stages = stages(members);
    let Some(top) = furthest(&c.stages) else {
        return;
    };
    if top >= StageKind::ExploitationSuccess && c.severity < Severity::Critical {
        c.severity = Severity::Critical;
        let site = c
            .stages
            .iter()
            .find(|s| s.stage == top)
            .map(|s| s.site.as_str())
            .unwrap_or_default();
        c.reasons.push(format!(
            "raised to critical: reached {} on {}",
            top.as_str().replace('_', " "),
            haboob_model::bounded(site, 200)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::tests::alert;

    fn ids(s: &Stage) -> Vec<&str> {
        s.evidence.iter().map(String::as_str).collect()
    }

    #[test]
    fn stages_are_ordered_with_first_time_per_site() {
        let mut sigma = alert("sigma", "203.0.113.5", "b.oh", 50, 60);
        sigma.techniques = vec!["T1190".into()];
        let mut other_sigma = alert("sigma", "203.0.113.5", "b.oh", 10, 20);
        other_sigma.techniques = vec!["T1059.004".into()];
        let v = vec![
            alert("web.harvest", "203.0.113.5", "a.oh", 900, 990),
            alert("web.scan", "203.0.113.5", "a.oh", 100, 150),
            alert("web.scanner_ua", "203.0.113.5", "a.oh", 40, 150),
            alert("web.exploit", "203.0.113.5", "a.oh", 300, 310),
            alert("web.exploit_success", "203.0.113.5", "a.oh", 305, 305),
            alert("web.scan", "203.0.113.5", "b.oh", 20, 30),
            alert("web.defacement", "203.0.113.5", "b.oh", 2000, 2100),
            alert("web.flood", "203.0.113.5", "b.oh", 5, 6),
            sigma,
            other_sigma,
        ];
        let refs: Vec<&Alert> = v.iter().collect();
        let s = stages(&refs);
        let got: Vec<(StageKind, &str, i64)> = s
            .iter()
            .map(|s| (s.stage, s.site.as_str(), s.first_seen.0 / 1000))
            .collect();
        use StageKind::*;
        assert_eq!(
            got,
            [
                (Reconnaissance, "b.oh", 20),
                (Reconnaissance, "a.oh", 40),
                (ExploitationAttempt, "b.oh", 50),
                (ExploitationAttempt, "a.oh", 300),
                (ExploitationSuccess, "a.oh", 305),
                (Collection, "a.oh", 900),
                (Defacement, "b.oh", 2000),
            ]
        );
        // Recon on a.oh: both alerts, earliest first.
        assert_eq!(
            ids(&s[1]),
            [
                "al-web.scanner_ua-203.0.113.5-a.oh-40",
                "al-web.scan-203.0.113.5-a.oh-100"
            ]
        );
        assert_eq!(ids(&s[2]), ["al-sigma-203.0.113.5-b.oh-50"]);
        assert_eq!(furthest(&s), Some(Defacement));
    }

    #[test]
    fn json_shape_and_older_records_without_stages() {
        let v = [alert("web.exploit", "192.0.2.1", "a.oh", 1, 2)];
        let refs: Vec<&Alert> = v.iter().collect();
        let s = stages(&refs);
        let j = serde_json::to_value(&s).unwrap();
        assert_eq!(
            j,
            serde_json::json!([{
                "stage": "exploitation_attempt",
                "site": "a.oh",
                "first_seen": "1970-01-01T00:00:01.000Z",
                "evidence": ["al-web.exploit-192.0.2.1-a.oh-1"]
            }])
        );
    }

    fn campaign(alerts: &[Alert]) -> Campaign {
        let c = crate::campaign::group(
            alerts,
            &crate::targets::Targets::default(),
            &crate::config::HuntConfig::default(),
            None,
        );
        assert_eq!(c.len(), 1);
        c.into_iter().next().unwrap()
    }

    #[test]
    fn severity_follows_the_furthest_stage() {
        let recon = alert("web.scan", "198.51.100.7", "a.oh", 0, 10);
        let attempt = alert("web.exploit", "198.51.100.7", "a.oh", 20, 30);
        // Reconnaissance and attempts keep the alerts' severity (Medium).
        let c = campaign(&[recon.clone(), attempt.clone()]);
        assert_eq!(c.severity, Severity::Medium);
        assert_eq!(c.stages.len(), 2);
        for (det, stage) in [
            ("web.exploit_success", "exploitation success"),
            ("web.harvest", "collection"),
            ("web.defacement", "defacement"),
        ] {
            let outcome = alert(det, "198.51.100.7", "b.oh", 40, 50);
            let c = campaign(&[recon.clone(), attempt.clone(), outcome]);
            assert_eq!(c.severity, Severity::Critical, "{det}");
            assert!(
                c.reasons
                    .contains(&format!("raised to critical: reached {stage} on b.oh")),
                "{:?}",
                c.reasons
            );
        }
    }

    #[test]
    fn stages_do_not_change_the_campaign_id() {
        let a = alert("web.scan", "198.51.100.7", "a.oh", 0, 10);
        let b = alert("web.scan", "198.51.100.7", "b.oh", 0, 10);
        let c1 = campaign(&[a.clone(), b.clone()]);
        let mut c2 = c1.clone();
        c2.stages.clear();
        let ids: Vec<&str> = c1.alerts.iter().map(String::as_str).collect();
        assert_eq!(c1.id, haboob_model::content_id("cp", &ids));
        assert_eq!(c1.id, c2.id);
        // A campaign stored before stages existed still reads.
        let mut j = serde_json::to_value(&c1).unwrap();
        j.as_object_mut().unwrap().remove("stages");
        let back: Campaign = serde_json::from_value(j).unwrap();
        assert!(back.stages.is_empty());
        // Sign-in style campaigns (no stage) serialise without the key.
        assert!(!serde_json::to_string(&c2).unwrap().contains("\"stages\""));
    }
}
