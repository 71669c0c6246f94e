//! Intel alerts on sign-in activity join the account campaign they belong
//! to. `intel.*` alerts are grouped with the web family by default; one
//! raised on the sign-ins of an address that an account campaign already
//! holds, against the same organisation (tenant, domain), is evidence about
//! that campaign: it joins it (its id, detector, time span and severity),
//! so that attribution sees the listed infrastructure of the spray rather
//! than a separate campaign per /24 of the same actor.

use haboob_model::{Alert, Campaign};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Whether `a` is an intelligence alert (`intel.match`, `intel.victim`, …).
pub(crate) fn is_intel(a: &Alert) -> bool {
    a.detector.starts_with("intel.")
}

/// Moves each intel alert of `alerts` whose source and target belong to
/// exactly one campaign of `account` into that campaign, and returns the
/// alerts left (for the web grouping). Campaign ids are kept: they name
/// the account activity, with or without intel loaded.
pub(crate) fn join_account_campaigns<'a>(
    account: &mut [Campaign],
    alerts: Vec<&'a Alert>,
) -> Vec<&'a Alert> {
    // (source, target) -> campaigns holding both.
    let mut by_key: BTreeMap<(IpAddr, &str), BTreeSet<usize>> = BTreeMap::new();
    for (i, c) in account.iter().enumerate() {
        for s in &c.sources {
            for t in &c.targets {
                by_key.entry((*s, t.name.as_str())).or_default().insert(i);
            }
        }
    }
    let mut joined: BTreeMap<usize, Vec<&Alert>> = BTreeMap::new();
    let mut rest = Vec::with_capacity(alerts.len());
    for a in alerts {
        let home = match (is_intel(a), a.source.ip) {
            (true, Some(ip)) => by_key
                .get(&(ip, a.target.as_str()))
                .filter(|set| set.len() == 1)
                .and_then(|set| set.first().copied()),
            _ => None,
        };
        match home {
            Some(i) => joined.entry(i).or_default().push(a),
            None => rest.push(a),
        }
    }
    drop(by_key);
    for (i, members) in joined {
        let c = &mut account[i];
        let mut detectors: BTreeSet<String> = c.detectors.drain(..).collect();
        let mut techniques: BTreeSet<String> = c.techniques.drain(..).collect();
        let sources: BTreeSet<IpAddr> = members.iter().filter_map(|a| a.source.ip).collect();
        for a in &members {
            c.alerts.push(a.id.clone());
            detectors.insert(a.detector.clone());
            techniques.extend(a.techniques.iter().cloned());
            c.first_seen = c.first_seen.min(a.first_seen);
            c.last_seen = c.last_seen.max(a.last_seen);
            c.severity = c.severity.max(a.severity);
        }
        c.alerts.sort();
        c.detectors = detectors.into_iter().collect();
        c.techniques = techniques.into_iter().collect();
        c.reasons.push(format!(
            "{} of its sources matched threat intelligence ({} alerts)",
            sources.len(),
            members.len()
        ));
    }
    rest
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use haboob_model::{AlertSource, Severity, Target, Ts};
    use std::collections::BTreeMap as Map;

    fn alert(id: &str, detector: &str, ip: &str, target: &str) -> Alert {
        Alert {
            id: id.into(),
            detector: detector.into(),
            title: String::new(),
            techniques: vec![],
            severity: Severity::High,
            source: AlertSource {
                ip: Some(ip.parse().unwrap()),
                ..Default::default()
            },
            target: target.into(),
            user: None,
            first_seen: Ts(10),
            last_seen: Ts(20),
            count: 1,
            details: Default::default(),
            evidence: vec![],
        }
    }

    pub(crate) fn campaign(id: &str, sources: &[&str], targets: &[&str]) -> Campaign {
        Campaign {
            id: id.into(),
            summary: String::new(),
            severity: Severity::Medium,
            sources: sources.iter().map(|s| s.parse().unwrap()).collect(),
            targets: targets
                .iter()
                .map(|t| Target {
                    name: t.to_string(),
                    organisation: None,
                    sector: Default::default(),
                    region: None,
                })
                .collect(),
            alerts: vec!["al-a".into()],
            detectors: vec!["auth.spray".into()],
            techniques: vec![],
            reasons: vec![],
            first_seen: Ts(15),
            last_seen: Ts(30),
            funnel: None,
            funnel_by_target: Map::new(),
            compromised: vec![],
            actors: vec![],
            attribution: vec![],
            stages: Vec::new(),
            tools: Vec::new(),
        }
    }

    #[test]
    fn intel_alerts_join_the_account_campaign_of_their_source_and_target() {
        let mut cs = vec![
            campaign("cp-1", &["192.0.2.1", "192.0.2.2"], &["tenant-a"]),
            campaign("cp-2", &["198.51.100.9"], &["tenant-b"]),
        ];
        let alerts = [
            // Joins cp-1: its source and target.
            alert("al-i1", "intel.match", "192.0.2.2", "tenant-a"),
            // Same source, other target: a web hit, stays apart.
            alert("al-i2", "intel.match", "192.0.2.2", "www.example"),
            // Not an intel alert.
            alert("al-w", "web.scan", "192.0.2.1", "tenant-a"),
            // Source of cp-2 but target of cp-1: no campaign holds both.
            alert("al-i3", "intel.match", "198.51.100.9", "tenant-a"),
        ];
        let rest = join_account_campaigns(&mut cs, alerts.iter().collect());
        let left: Vec<&str> = rest.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(left, ["al-i2", "al-w", "al-i3"]);
        assert_eq!(cs[0].id, "cp-1");
        assert_eq!(cs[0].alerts, ["al-a", "al-i1"]);
        assert_eq!(cs[0].detectors, ["auth.spray", "intel.match"]);
        assert_eq!((cs[0].first_seen, cs[0].last_seen), (Ts(10), Ts(30)));
        assert_eq!(cs[0].severity, Severity::High);
        assert_eq!(
            cs[0].reasons,
            ["1 of its sources matched threat intelligence (1 alerts)"]
        );
        assert_eq!(cs[1].alerts, ["al-a"]);
        assert!(cs[1].reasons.is_empty());
    }

    #[test]
    fn a_source_in_two_account_campaigns_of_one_target_joins_neither() {
        let mut cs = vec![
            campaign("cp-1", &["192.0.2.1"], &["tenant-a"]),
            campaign("cp-2", &["192.0.2.1"], &["tenant-a"]),
        ];
        let a = alert("al-i", "intel.match", "192.0.2.1", "tenant-a");
        let rest = join_account_campaigns(&mut cs, vec![&a]);
        assert_eq!(rest.len(), 1);
        assert_eq!((cs[0].alerts.len(), cs[1].alerts.len()), (1, 1));
    }
}
