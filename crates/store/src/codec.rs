//! Model values ↔ rows: enum names, size bounds, digests, and the column
//! lists of alerts and campaigns.

use crate::db::Row;
use crate::types::{AccountStage, NotificationState, Role, Status};
use crate::{Result, StoreError};
use haboob_model::{Alert, AlertSource, Campaign, Evidence, Funnel, Severity, TargetSector, Ts};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::net::IpAddr;

/// Longest text kept of any one alert field (title, target, user, each
/// string inside details, evidence file and raw line). Longer text is cut
/// at a character boundary.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Longest note kept.
pub const MAX_NOTE_BYTES: usize = 8 * 1024;
/// Longest notification body kept.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Longest delivery error kept.
pub const MAX_ERROR_BYTES: usize = 2 * 1024;
/// Longest name kept (token names, assignees, authors, subjects, addresses).
pub const MAX_NAME_BYTES: usize = 1024;

/// `s` cut to at most `max` bytes at a character boundary.
pub(crate) fn bound(s: &str, max: usize) -> &str {
    haboob_model::bounded(s, max)
}

fn json_too_long(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.len() > MAX_TEXT_BYTES,
        serde_json::Value::Array(a) => a.iter().any(json_too_long),
        serde_json::Value::Object(o) => o
            .iter()
            .any(|(k, v)| k.len() > MAX_TEXT_BYTES || json_too_long(v)),
        _ => false,
    }
}

fn json_bound(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            let keep = bound(s, MAX_TEXT_BYTES).len();
            s.truncate(keep);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(json_bound),
        serde_json::Value::Object(o) => {
            let old = std::mem::take(o);
            for (k, mut v) in old {
                json_bound(&mut v);
                o.insert(bound(&k, MAX_TEXT_BYTES).to_string(), v);
            }
        }
        _ => {}
    }
}

fn long(s: &str) -> bool {
    s.len() > MAX_TEXT_BYTES
}

/// The alert as the store keeps it: every text bounded.
pub(crate) fn bounded_alert(a: &Alert) -> Cow<'_, Alert> {
    let too_long = long(&a.id)
        || long(&a.detector)
        || long(&a.title)
        || long(&a.target)
        || a.user.as_deref().is_some_and(long)
        || a.source.prefix.as_deref().is_some_and(long)
        || a.techniques.iter().any(|t| long(t))
        || a.evidence.iter().any(|e| long(&e.file) || long(&e.raw))
        || a.details.iter().any(|(k, v)| long(k) || json_too_long(v));
    if !too_long {
        return Cow::Borrowed(a);
    }
    let cut = |s: &str| bound(s, MAX_TEXT_BYTES).to_string();
    let mut b = a.clone();
    b.id = cut(&a.id);
    b.detector = cut(&a.detector);
    b.title = cut(&a.title);
    b.target = cut(&a.target);
    b.user = a.user.as_deref().map(cut);
    b.source.prefix = a.source.prefix.as_deref().map(cut);
    b.techniques = a.techniques.iter().map(|t| cut(t)).collect();
    for e in &mut b.evidence {
        e.file = cut(&e.file);
        e.raw = cut(&e.raw);
    }
    b.details = a
        .details
        .iter()
        .map(|(k, v)| {
            let mut v = v.clone();
            json_bound(&mut v);
            (cut(k), v)
        })
        .collect();
    Cow::Owned(b)
}

/// SHA-256 of a value's JSON, hex: detects content changes.
pub(crate) fn digest<T: serde::Serialize>(v: &T) -> String {
    let json = serde_json::to_vec(v).unwrap_or_default();
    hex(&Sha256::digest(&json))
}

pub(crate) fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

pub(crate) fn unjson<T: DeserializeOwned>(url: &str, what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Database {
        url: url.to_string(),
        op: format!("decode {what}"),
        message: e.to_string(),
    })
}

pub(crate) fn severity_rank(s: Severity) -> i64 {
    match s {
        Severity::Low => 0,
        Severity::Medium => 1,
        Severity::High => 2,
        Severity::Critical => 3,
    }
}

pub(crate) fn severity_of(n: i64) -> Severity {
    match n {
        i64::MIN..=0 => Severity::Low,
        1 => Severity::Medium,
        2 => Severity::High,
        _ => Severity::Critical,
    }
}

/// The bit of a sector in `campaigns.sector_mask` (migration 2).
pub(crate) fn sector_bit(s: TargetSector) -> i64 {
    match s {
        TargetSector::Election => 1,
        TargetSector::News => 2,
        TargetSector::Campaign => 4,
        TargetSector::Government => 8,
        TargetSector::Other => 16,
    }
}

/// Every sector bit set: the largest `sector_mask`.
const ALL_SECTORS: i64 = 31;

/// Every `sector_mask` a campaign can have that includes `bit`: the sector
/// filter written as `sector_mask IN (…)`, so that it is an index key and
/// the planner's statistics on the column apply (a `sector_mask & bit`
/// test is neither).
pub(crate) fn masks_with(bit: i64) -> Vec<i64> {
    (1..=ALL_SECTORS).filter(|m| m & bit != 0).collect()
}

pub(crate) fn sector_of(s: &str) -> TargetSector {
    match s {
        "election" => TargetSector::Election,
        "news" => TargetSector::News,
        "campaign" => TargetSector::Campaign,
        "government" => TargetSector::Government,
        _ => TargetSector::Other,
    }
}

pub(crate) fn status_of(s: &str) -> Status {
    match s {
        "triaged" => Status::Triaged,
        "notified" => Status::Notified,
        "closed" => Status::Closed,
        _ => Status::New,
    }
}

pub(crate) fn role_of(s: &str) -> Role {
    match s {
        "admin" => Role::Admin,
        "analyst" => Role::Analyst,
        _ => Role::Viewer,
    }
}

pub(crate) fn state_name(s: NotificationState) -> &'static str {
    match s {
        NotificationState::Pending => "pending",
        NotificationState::Sent => "sent",
        NotificationState::Failed => "failed",
    }
}

pub(crate) fn state_of(s: &str) -> NotificationState {
    match s {
        "sent" => NotificationState::Sent,
        "failed" => NotificationState::Failed,
        _ => NotificationState::Pending,
    }
}

pub(crate) fn stage_rank(s: AccountStage) -> i64 {
    match s {
        AccountStage::Identified => 0,
        AccountStage::Attacked => 1,
        AccountStage::Compromised => 2,
    }
}

pub(crate) fn stage_of(n: i64) -> AccountStage {
    match n {
        i64::MIN..=0 => AccountStage::Identified,
        1 => AccountStage::Attacked,
        _ => AccountStage::Compromised,
    }
}

/// Accounts an alert names, with the furthest stage it shows for each.
pub(crate) fn alert_accounts(a: &Alert) -> std::collections::BTreeMap<&str, AccountStage> {
    let mut out = std::collections::BTreeMap::new();
    for (key, stage) in [
        ("users_identified", AccountStage::Identified),
        ("users_attacked", AccountStage::Attacked),
        ("users_compromised", AccountStage::Compromised),
    ] {
        let names = a.details.get(key).and_then(|v| v.as_array());
        for n in names.into_iter().flatten().filter_map(|v| v.as_str()) {
            let e = out.entry(n).or_insert(stage);
            *e = (*e).max(stage);
        }
    }
    out
}

/// Every address or prefix an alert names, as text.
pub(crate) fn alert_sources(s: &AlertSource) -> std::collections::BTreeSet<String> {
    let mut out: std::collections::BTreeSet<String> =
        s.members.iter().map(IpAddr::to_string).collect();
    out.extend(s.ip.map(|ip| ip.to_string()));
    out.extend(s.prefix.clone());
    out
}

/// Columns read by [`alert_from_row`], prefixable with a table alias.
pub(crate) const ALERT_COLS: &str = "a.id, a.detector, a.title, a.techniques, a.severity, \
     a.source_ip, a.source_prefix, a.source_members, a.target, a.user_name, a.first_seen, \
     a.last_seen, a.event_count, a.details";

pub(crate) fn alert_from_row(url: &str, mut r: Row) -> Result<Alert> {
    let ip = match r.opt_text(5) {
        Some(t) => Some(t.parse::<IpAddr>().map_err(|e| StoreError::Database {
            url: url.to_string(),
            op: "decode alert source".into(),
            message: format!("{t:?}: {e}"),
        })?),
        None => None,
    };
    Ok(Alert {
        id: r.text(0),
        detector: r.text(1),
        title: r.text(2),
        techniques: unjson(url, "alert techniques", &r.text(3))?,
        severity: severity_of(r.int(4)),
        source: AlertSource {
            ip,
            prefix: r.opt_text(6),
            members: unjson(url, "alert members", &r.text(7))?,
        },
        target: r.text(8),
        user: r.opt_text(9),
        first_seen: Ts(r.int(10)),
        last_seen: Ts(r.int(11)),
        count: r.uint(12),
        details: unjson(url, "alert details", &r.text(13))?,
        evidence: Vec::new(),
    })
}

pub(crate) fn evidence_from_row(mut r: Row) -> Evidence {
    Evidence {
        file: r.text(0),
        line: r.uint(1),
        raw: r.text(2),
    }
}

/// Columns read by [`campaign_from_row`] (alerts are read separately).
/// Unqualified: select them from `campaigns` alone.
pub(crate) const CAMPAIGN_COLS: &str = "id, summary, severity, sources, targets, \
     detectors, techniques, reasons, first_seen, last_seen, has_funnel, \
     funnel_attempts, funnel_probed, funnel_identified, funnel_attacked, \
     funnel_compromised, funnel_by_target, compromised, actors, \
     status, assignee, revision, updated_at, superseded_by, n_sources, n_alerts, attribution, stages, tools";

pub(crate) fn campaign_from_row(url: &str, r: &mut Row) -> Result<Campaign> {
    let funnel = (r.int(10) != 0).then(|| Funnel {
        attempts: r.uint(11),
        probed: r.uint(12),
        identified: r.uint(13),
        attacked: r.uint(14),
        compromised: r.uint(15),
    });
    Ok(Campaign {
        id: r.text(0),
        summary: r.text(1),
        severity: severity_of(r.int(2)),
        sources: unjson(url, "campaign sources", &r.text(3))?,
        targets: unjson(url, "campaign targets", &r.text(4))?,
        alerts: Vec::new(),
        detectors: unjson(url, "campaign detectors", &r.text(5))?,
        techniques: unjson(url, "campaign techniques", &r.text(6))?,
        reasons: unjson(url, "campaign reasons", &r.text(7))?,
        first_seen: Ts(r.int(8)),
        last_seen: Ts(r.int(9)),
        funnel,
        funnel_by_target: unjson(url, "campaign funnels", &r.text(16))?,
        compromised: unjson(url, "campaign compromised", &r.text(17))?,
        actors: unjson(url, "campaign actors", &r.text(18))?,
        attribution: unjson(url, "campaign attribution", &r.text(26))?,
        stages: unjson(url, "campaign stages", &r.text(27))?,
        tools: unjson(url, "campaign tools", &r.text(28))?,
    })
}

pub(crate) fn state_from_row(r: &mut Row) -> crate::CampaignState {
    crate::CampaignState {
        status: status_of(&r.text(19)),
        assignee: r.opt_text(20),
        revision: r.int(21),
        updated_at: Ts(r.int(22)),
        superseded_by: r.opt_text(23),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_cuts_at_a_char_boundary() {
        assert_eq!(bound("héllo", 2), "h");
        assert_eq!(bound("héllo", 3), "hé");
        assert_eq!(bound("abc", 10), "abc");
    }

    #[test]
    fn sector_masks_cover_every_combination() {
        let all = TargetSector::ALL;
        assert_eq!(all.iter().fold(0, |m, s| m | sector_bit(*s)), ALL_SECTORS);
        for s in all {
            let masks = masks_with(sector_bit(s));
            // Half of the 31 non-empty combinations hold a given sector.
            assert_eq!(masks.len(), 16, "{s:?}");
            for m in 0..=ALL_SECTORS {
                assert_eq!(masks.contains(&m), m & sector_bit(s) != 0, "{s:?} {m}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for s in TargetSector::ALL {
            assert_eq!(sector_of(s.as_str()), s);
            assert_eq!(json(&s), format!("\"{}\"", s.as_str()));
        }
        for s in [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ] {
            assert_eq!(severity_of(severity_rank(s)), s);
        }
        for s in [
            NotificationState::Pending,
            NotificationState::Sent,
            NotificationState::Failed,
        ] {
            assert_eq!(state_of(state_name(s)), s);
        }
    }
}
