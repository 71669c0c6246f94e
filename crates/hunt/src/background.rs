//! Background exploitation: one-off commodity probes from unrelated sources
//! (a single exploit request, a single scanner hit) are counted per class,
//! at low severity, instead of each being a campaign.
//!
//! A web campaign is background when it has one source address (not a
//! cluster), one target, at most [`MAX_REQUESTS`] matching requests in all,
//! no link to another source (any such link makes it a campaign; naming
//! the scanner tool is not a link), and no stage past an exploitation
//! attempt (an exploit that worked, records taken or a page changed is
//! always a campaign). Its
//! alerts stay in the report's alerts.

use haboob_model::{Alert, Campaign, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// At most this many matching requests make a one-off probe.
pub const MAX_REQUESTS: u64 = 3;

/// One class of background probes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BackgroundClass {
    /// Detector, e.g. `web.exploit`.
    pub detector: String,
    /// The detector's class (`web.exploit` category such as `log4shell`,
    /// `web.scanner_ua` tool), or the detector again.
    pub class: String,
    /// Alerts of this class.
    pub alerts: u64,
    /// Distinct sources.
    pub sources: u64,
    /// Distinct targets.
    pub targets: u64,
    /// Matching requests.
    pub requests: u64,
}

/// The background summary of a hunt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Background {
    /// Always `low`: background is context, not an incident.
    pub severity: Severity,
    /// Alerts summarised.
    pub alerts: u64,
    /// Distinct sources.
    pub sources: u64,
    /// Distinct targets.
    pub targets: u64,
    /// Per detector and class, sorted by detector then class.
    pub classes: Vec<BackgroundClass>,
    /// Ids of the alerts summarised (sorted).
    pub alert_ids: Vec<String>,
}

impl Background {
    /// Whether nothing was summarised.
    pub fn is_empty(&self) -> bool {
        self.alerts == 0
    }
}

/// Whether a campaign is a one-off probe (see the module documentation).
pub fn is_one_off(c: &Campaign, requests: u64) -> bool {
    c.funnel.is_none()
        && c.sources.len() == 1
        && c.targets.len() == 1
        && c.detectors.iter().all(|d| d.starts_with("web."))
        && requests <= MAX_REQUESTS
        && c.reasons
            .iter()
            .all(|r| r.starts_with("same source ") || r.starts_with("tool: "))
        && c.stages
            .iter()
            .all(|s| s.stage <= haboob_model::StageKind::ExploitationAttempt)
}

/// Alerts, sources, targets and matching requests of one class.
#[derive(Default)]
struct ClassTally {
    alerts: u64,
    sources: BTreeSet<IpAddr>,
    targets: BTreeSet<String>,
    requests: u64,
}

/// Inserts `s` into `set` unless it holds it (a copy only when new).
fn insert_new(set: &mut BTreeSet<String>, s: &str) {
    if !set.contains(s) {
        set.insert(s.to_string());
    }
}

/// The background summary built one campaign at a time: each one-off probe
/// is counted as soon as it is built ([`Tally::add`]) and need not be held,
/// nor its alerts (the tally keeps copies of the few names it counts).
#[derive(Default)]
pub struct Tally {
    /// By detector, then class.
    classes: BTreeMap<String, BTreeMap<String, ClassTally>>,
    sources: BTreeSet<IpAddr>,
    targets: BTreeSet<String>,
    alert_ids: Vec<String>,
}

impl Tally {
    /// Counts campaign `c` (whose alerts are `members`) into the summary
    /// when it is a one-off probe ([`is_one_off`]): true then, and the
    /// caller drops the campaign; false, and nothing is counted, otherwise.
    pub fn add<'m, I>(&mut self, c: &Campaign, members: I) -> bool
    where
        I: IntoIterator<Item = &'m Alert>,
        I::IntoIter: Clone,
    {
        let members = members.into_iter();
        if !is_one_off(c, members.clone().map(|a| a.count).sum()) {
            return false;
        }
        for a in members {
            if !self.classes.contains_key(&a.detector) {
                self.classes.insert(a.detector.clone(), BTreeMap::new());
            }
            let by_class = self.classes.get_mut(&a.detector).expect("inserted above");
            let e = by_class.entry(class_of(a)).or_default();
            e.alerts += 1;
            e.sources.extend(a.source.ip);
            insert_new(&mut e.targets, &a.target);
            e.requests += a.count;
            self.sources.extend(a.source.ip);
            insert_new(&mut self.targets, &a.target);
            self.alert_ids.push(a.id.clone());
        }
        true
    }

    /// The summary of every one-off probe counted.
    pub fn finish(mut self) -> Background {
        self.alert_ids.sort();
        Background {
            severity: Severity::Low,
            alerts: self.alert_ids.len() as u64,
            sources: self.sources.len() as u64,
            targets: self.targets.len() as u64,
            classes: self
                .classes
                .into_iter()
                .flat_map(|(detector, by_class)| {
                    by_class.into_iter().map(move |(class, t)| BackgroundClass {
                        detector: detector.clone(),
                        class,
                        alerts: t.alerts,
                        sources: t.sources.len() as u64,
                        targets: t.targets.len() as u64,
                        requests: t.requests,
                    })
                })
                .collect(),
            alert_ids: self.alert_ids,
        }
    }
}

/// Split one-off campaigns from `campaigns` into a background summary;
/// `alerts` holds every campaign's alerts (found by id). The hunt itself
/// counts each campaign as it is built instead
/// ([`crate::campaign::group_split`]).
pub fn split(campaigns: Vec<Campaign>, alerts: &[Alert]) -> (Vec<Campaign>, Background) {
    let by_id: BTreeMap<&str, &Alert> = alerts.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut tally = Tally::default();
    let keep = campaigns
        .into_iter()
        .filter(|c| {
            let members = c
                .alerts
                .iter()
                .filter_map(|id| by_id.get(id.as_str()).copied());
            !tally.add(c, members)
        })
        .collect();
    (keep, tally.finish())
}

/// The class of an alert for the summary: the first `web.exploit` category,
/// the `web.scanner_ua` tool, the `web.probe` family, else the detector.
pub fn class_of(a: &Alert) -> String {
    let first = |k: &str| -> Option<String> {
        match a.details.get(k)? {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Array(v) => v.first()?.as_str().map(str::to_string),
            _ => None,
        }
    };
    let c = match a.detector.as_str() {
        "web.exploit" => first("categories"),
        "web.scanner_ua" => first("tool"),
        "web.probe" => first("family"),
        _ => None,
    };
    // Attacker-influenced text (a tool name): bounded.
    let mut c = c.unwrap_or_else(|| a.detector.clone());
    haboob_model::truncate_bounded(&mut c, 64);
    c
}
