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

use haboob_model::{Campaign, Severity};
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

/// What the summary needs of one alert: detector, class, source, target and
/// matching requests.
pub type AlertFacts<'a> = (&'a str, String, Option<IpAddr>, &'a str, u64);

/// Alerts, requests, sources and targets of one class.
type Tally = (u64, BTreeSet<IpAddr>, BTreeSet<String>, u64);

/// Split one-off campaigns from `campaigns` into a background summary.
/// `alerts` gives each alert id's facts.
pub fn split(
    campaigns: Vec<Campaign>,
    alerts: &BTreeMap<&str, AlertFacts<'_>>,
) -> (Vec<Campaign>, Background) {
    let mut keep = Vec::new();
    let mut bg = Background {
        severity: Severity::Low,
        ..Background::default()
    };
    let mut classes: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let (mut sources, mut targets) = (BTreeSet::new(), BTreeSet::new());
    for c in campaigns {
        let requests: u64 = c
            .alerts
            .iter()
            .filter_map(|id| alerts.get(id.as_str()))
            .map(|a| a.4)
            .sum();
        if !is_one_off(&c, requests) {
            keep.push(c);
            continue;
        }
        for id in &c.alerts {
            let Some((det, class, ip, target, n)) = alerts.get(id.as_str()) else {
                continue;
            };
            let e = classes.entry((det.to_string(), class.clone())).or_default();
            e.0 += 1;
            e.1.extend(*ip);
            e.2.insert(target.to_string());
            e.3 += n;
            sources.extend(*ip);
            targets.insert(target.to_string());
            bg.alert_ids.push(id.clone());
        }
    }
    bg.alert_ids.sort();
    bg.alerts = bg.alert_ids.len() as u64;
    bg.sources = sources.len() as u64;
    bg.targets = targets.len() as u64;
    bg.classes = classes
        .into_iter()
        .map(|((detector, class), (n, s, t, r))| BackgroundClass {
            detector,
            class,
            alerts: n,
            sources: s.len() as u64,
            targets: t.len() as u64,
            requests: r,
        })
        .collect();
    (keep, bg)
}

/// The class of an alert for the summary: the first `web.exploit` category,
/// the `web.scanner_ua` tool, else the detector.
pub fn class_of(a: &haboob_model::Alert) -> String {
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
        _ => None,
    };
    // Attacker-influenced text (a tool name): bounded.
    let mut c = c.unwrap_or_else(|| a.detector.clone());
    haboob_model::truncate_bounded(&mut c, 64);
    c
}
