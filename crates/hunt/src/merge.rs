//! Merging alerts from parallel streams, and suppressing allowed sources.

use crate::config::Cidr;
use haboob_model::Alert;

fn rule_of(a: &Alert) -> Option<&str> {
    a.details.get("rule_id").and_then(|v| v.as_str())
}

fn source_key(a: &Alert) -> String {
    match (&a.source.prefix, a.source.ip) {
        (Some(p), _) => p.clone(),
        (None, Some(ip)) => ip.to_string(),
        (None, None) => String::new(),
    }
}

/// Merge alerts of the same detector, source, target and user whose episodes
/// touch (gap ≤ `gap_ms`), e.g. one scan split across two rotated files.
/// The result is sorted by first_seen, detector, id: deterministic.
pub fn merge_alerts(alerts: Vec<Alert>, gap_ms: i64) -> Vec<Alert> {
    // Each alert's source key is built once, not once per comparison (an
    // address formatted twice in every comparison was most of a flood's
    // merge time).
    let mut keyed: Vec<(String, Alert)> = alerts.into_iter().map(|a| (source_key(&a), a)).collect();
    keyed.sort_by(|(ka, a), (kb, b)| {
        (
            &a.detector,
            &a.target,
            ka,
            &a.user,
            rule_of(a),
            a.first_seen,
            &a.id,
        )
            .cmp(&(
                &b.detector,
                &b.target,
                kb,
                &b.user,
                rule_of(b),
                b.first_seen,
                &b.id,
            ))
    });
    let mut out: Vec<Alert> = Vec::with_capacity(keyed.len());
    // The source key of `out`'s last alert (merging never changes it).
    let mut cur_key = String::new();
    for (key, a) in keyed {
        if let Some(cur) = out.last_mut() {
            // A `web.sweep` alert keys on its fingerprint, not on its first
            // member: two fingerprints sharing a member stay apart; Sigma
            // alerts of different rules stay apart.
            let same = cur.detector == a.detector
                && cur.target == a.target
                && cur.user == a.user
                && cur_key == key
                && cur.details.get("fingerprint") == a.details.get("fingerprint")
                && cur.details.get("rule_id") == a.details.get("rule_id");
            if same && a.first_seen.0 <= cur.last_seen.0.saturating_add(gap_ms) {
                let keep = cur.evidence.len().max(a.evidence.len());
                cur.count += a.count;
                cur.last_seen = cur.last_seen.max(a.last_seen);
                cur.severity = cur.severity.max(a.severity);
                cur.evidence.extend(a.evidence);
                cur.evidence.truncate(keep);
                for ip in a.source.members {
                    if !cur.source.members.contains(&ip) {
                        cur.source.members.push(ip);
                    }
                }
                cur.source.members.sort();
                union_lists(&mut cur.details, &a.details);
                for t in a.techniques {
                    if !cur.techniques.contains(&t) {
                        cur.techniques.push(t);
                    }
                }
                let n = cur
                    .details
                    .get("merged_alerts")
                    .and_then(|v| v.as_u64())
                    .unwrap_or(1);
                cur.details
                    .insert("merged_alerts".into(), serde_json::json!(n + 1));
                continue;
            }
        }
        out.push(a);
        cur_key = key;
    }
    out.sort_by(|a, b| (a.first_seen, &a.detector, &a.id).cmp(&(b.first_seen, &b.detector, &b.id)));
    out
}

/// Entries kept in a merged `details` list.
const MAX_MERGED_ENTRIES: usize = 64;

/// What two merged alerts list in `details` is kept from both: the intel
/// hits (`intel`, one per indicator and field: attribution reads them) and
/// the listed infrastructure a victim reached (`infrastructure`).
fn union_lists(into: &mut haboob_model::Details, from: &haboob_model::Details) {
    let same_hit = |x: &serde_json::Value, y: &serde_json::Value| {
        x.get("indicator") == y.get("indicator") && x.get("field") == y.get("field")
    };
    for (key, hits) in [
        (haboob_model::intel::DETAILS_KEY, true),
        ("infrastructure", false),
    ] {
        let (Some(serde_json::Value::Array(cur)), Some(serde_json::Value::Array(add))) =
            (into.get_mut(key), from.get(key))
        else {
            continue;
        };
        for v in add {
            if cur.len() >= MAX_MERGED_ENTRIES {
                break;
            }
            let known = if hits {
                cur.iter().any(|c| same_hit(c, v))
            } else {
                cur.contains(v)
            };
            if !known {
                cur.push(v.clone());
            }
        }
    }
}

/// Drop alerts whose source lies in the allow list; returns how many.
pub fn suppress(alerts: &mut Vec<Alert>, allow: &[Cidr]) -> u64 {
    if allow.is_empty() {
        return 0;
    }
    let before = alerts.len();
    alerts.retain(|a| {
        let allowed = |ip| allow.iter().any(|c| c.contains(ip));
        match a.source.ip {
            Some(ip) if allowed(ip) => {
                // A cluster alert stays if any member is not allowed.
                !a.source.members.is_empty() && !a.source.members.iter().all(|m| allowed(*m))
            }
            _ => true,
        }
    });
    (before - alerts.len()) as u64
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use haboob_model::{AlertSource, Evidence, Severity, Ts};

    pub(crate) fn alert(det: &str, ip: &str, target: &str, first: i64, last: i64) -> Alert {
        Alert {
            id: format!("al-{det}-{ip}-{target}-{first}"),
            detector: det.into(),
            title: "t".into(),
            techniques: vec!["T1595.002".into()],
            severity: Severity::Medium,
            source: AlertSource {
                ip: Some(ip.parse().unwrap()),
                prefix: None,
                members: vec![],
            },
            target: target.into(),
            user: None,
            first_seen: Ts::from_secs(first),
            last_seen: Ts::from_secs(last),
            count: 10,
            details: Default::default(),
            evidence: vec![Evidence {
                file: "f".into(),
                line: first as u64,
                raw: "r".into(),
            }],
        }
    }

    #[test]
    fn touching_episodes_merge_distant_ones_do_not() {
        let v = merge_alerts(
            vec![
                alert("web.scan", "192.0.2.1", "a", 100, 200),
                alert("web.scan", "192.0.2.1", "a", 250, 300),
                alert("web.scan", "192.0.2.1", "a", 5000, 5100),
                alert("web.scan", "192.0.2.1", "b", 260, 300),
                alert("web.sensitive", "192.0.2.1", "a", 260, 300),
            ],
            60_000,
        );
        assert_eq!(v.len(), 4);
        assert_eq!(v[0].first_seen, Ts::from_secs(100));
        assert_eq!(v[0].last_seen, Ts::from_secs(300));
        assert_eq!(v[0].count, 20);
        assert_eq!(v[0].evidence.len(), 1);
        assert_eq!(v[0].details["merged_alerts"], 2);
        assert_eq!(v[3].first_seen, Ts::from_secs(5000));
    }

    #[test]
    fn different_fingerprints_do_not_merge() {
        let mut a = alert("web.sweep", "192.0.2.1", "a", 100, 200);
        let mut b = alert("web.sweep", "192.0.2.1", "a", 150, 300);
        let mut c = alert("web.sweep", "192.0.2.1", "a", 250, 400);
        a.details
            .insert("fingerprint".into(), serde_json::json!({"method": "HEAD"}));
        b.details
            .insert("fingerprint".into(), serde_json::json!({"method": "GET"}));
        c.details
            .insert("fingerprint".into(), serde_json::json!({"method": "GET"}));
        let v = merge_alerts(vec![a, b, c], 60_000);
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].details["merged_alerts"], 2);
    }

    #[test]
    fn suppression_by_cidr() {
        let mut v = vec![
            alert("web.scan", "198.51.100.7", "a", 1, 2),
            alert("web.scan", "198.51.100.8", "a", 1, 2),
        ];
        let n = suppress(&mut v, &[Cidr::parse("198.51.100.7").unwrap()]);
        assert_eq!(n, 1);
        assert_eq!(v[0].source.ip, Some("198.51.100.8".parse().unwrap()));
    }
}
