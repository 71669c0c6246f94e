//! Sharing back: campaigns and what matched, as a STIX 2.1 bundle or a
//! MISP event.
//!
//! What leaves: attacker addresses (as indicators and observed data),
//! sightings of the indicators that matched, campaigns with their time
//! span and techniques, and attributions (intrusion sets with the reasons).
//! What never leaves: account names, targeted organisations and log lines
//! (they identify the victims); a campaign's targets are described only by
//! sector. Every object carries the analyst's TLP marking.

mod misp;
mod stix;

pub use misp::misp_event;
pub use stix::stix_bundle;

use crate::{IntelHit, Tlp, DETAILS_KEY};
use haboob_model::{Alert, Campaign, TargetSector, Ts};
use std::collections::BTreeSet;

/// One campaign with its member alerts.
#[derive(Debug, Clone)]
pub struct ExportCampaign {
    /// The campaign.
    pub campaign: Campaign,
    /// Its alerts (intel hits are read from their details).
    pub alerts: Vec<Alert>,
}

/// How to mark and sign an export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Producer name (the STIX identity, the MISP organisation).
    pub producer: String,
    /// Marking of every exported object.
    pub tlp: Tlp,
    /// Creation time of the objects.
    pub created: Ts,
}

/// The intel hits of a campaign's alerts, one per (indicator, matched value),
/// in a stable order.
pub(crate) fn hits(c: &ExportCampaign) -> Vec<(IntelHit, &Alert)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for a in &c.alerts {
        let Some(v) = a.details.get(DETAILS_KEY) else {
            continue;
        };
        let Ok(list) = serde_json::from_value::<Vec<IntelHit>>(v.clone()) else {
            tracing::warn!(alert = %a.id, "intel details of an alert are not a list of hits; skipped");
            continue;
        };
        for h in list {
            if seen.insert((h.indicator.clone(), h.matched.clone())) {
                out.push((h, a));
            }
        }
    }
    out
}

/// Sectors of a campaign's targets, by name (never the targets themselves).
pub(crate) fn sectors(c: &Campaign) -> Vec<&'static str> {
    let set: BTreeSet<&'static str> = c
        .targets
        .iter()
        .map(|t| match t.sector {
            TargetSector::Election => "election",
            TargetSector::News => "news",
            TargetSector::Campaign => "political campaign",
            TargetSector::Government => "government",
            TargetSector::Other => "other",
        })
        .collect();
    set.into_iter().collect()
}

/// A deterministic UUID (version 5) for `name` in haboob's namespace, so an
/// export of the same campaign gives the same ids every time.
pub(crate) fn uuid_for(kind: &str, name: &str) -> uuid::Uuid {
    // uuid5(NAMESPACE_URL, "https://github.com/haboob/haboob")
    let ns = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        b"https://github.com/haboob/haboob",
    );
    uuid::Uuid::new_v5(&ns, format!("{kind}\n{name}").as_bytes())
}

/// Bound attacker-influenced text kept in an export.
pub(crate) use haboob_model::bounded;
