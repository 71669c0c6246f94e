//! Alerts (one detector firing on one source and target) and campaigns
//! (alerts grouped by actor).

use crate::Ts;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Alert severity, ordered from least to most severe.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look.
    #[default]
    Low,
    /// Likely hostile.
    Medium,
    /// Hostile and targeted.
    High,
    /// An account or system was taken over.
    Critical,
}

impl Severity {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One line (or record) of evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Input file.
    pub file: String,
    /// 1-based line or record number.
    pub line: u64,
    /// Raw text, truncated to a bounded length.
    pub raw: String,
}

/// Maximum bytes of a raw line kept as evidence.
pub const MAX_EVIDENCE_BYTES: usize = 2048;

impl Evidence {
    /// Evidence from an event origin, bounding the raw text.
    pub fn from_origin(o: &crate::Origin<'_>) -> Evidence {
        Evidence {
            file: o.file.to_string(),
            line: o.line,
            raw: crate::bounded(o.raw, MAX_EVIDENCE_BYTES).to_string(),
        }
    }
}

/// Who acted: one address, or a cluster of addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AlertSource {
    /// The source address (the first member for a cluster).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    /// The network the alert keys on when it is a /24 or /64 (e.g. `198.51.100.0/24`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// All member addresses of a cluster (sorted, bounded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<IpAddr>,
}

impl AlertSource {
    /// The address, then every member (a cluster's address is also one of
    /// its members, so it may come twice).
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.ip.into_iter().chain(self.members.iter().copied())
    }
}

/// A detector firing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Content-hash id, stable across runs.
    pub id: String,
    /// Detector id, e.g. `web.scan`.
    pub detector: String,
    /// One-line human summary.
    pub title: String,
    /// MITRE ATT&CK technique ids.
    pub techniques: Vec<String>,
    /// Severity.
    pub severity: Severity,
    /// Who acted.
    pub source: AlertSource,
    /// What was targeted: the site (web) or organisation/tenant (sign-in).
    pub target: String,
    /// The account concerned, for single-account alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// First matching event.
    pub first_seen: Ts,
    /// Last matching event.
    pub last_seen: Ts,
    /// Number of matching events.
    pub count: u64,
    /// Detector-specific figures (distinct paths, error ratio, tool, …).
    #[serde(default, skip_serializing_if = "crate::Details::is_empty")]
    pub details: crate::Details,
    /// Up to N evidence lines.
    pub evidence: Vec<Evidence>,
}

/// What kind of organisation a target is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum TargetSector {
    /// Election office or authority.
    Election,
    /// News organisation.
    News,
    /// Political campaign.
    Campaign,
    /// Government other than elections.
    Government,
    /// Anything else, or unknown.
    #[default]
    Other,
}

impl TargetSector {
    /// Every sector, in declaration order.
    pub const ALL: [TargetSector; 5] = [
        TargetSector::Election,
        TargetSector::News,
        TargetSector::Campaign,
        TargetSector::Government,
        TargetSector::Other,
    ];

    /// The lower-case name, as serialized (`election`, `news`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            TargetSector::Election => "election",
            TargetSector::News => "news",
            TargetSector::Campaign => "campaign",
            TargetSector::Government => "government",
            TargetSector::Other => "other",
        }
    }
}

/// A targeted site or organisation, enriched from `targets.toml`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Target {
    /// Site host name or tenant/organisation key as seen in the logs.
    pub name: String,
    /// Organisation owning it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// Sector.
    #[serde(default)]
    pub sector: TargetSector,
    /// Region (e.g. a US state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// Someone to tell when an organisation is targeted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Contact {
    /// Organisation name as in `targets.toml`.
    pub organisation: String,
    /// Channel: `email`, `slack`, `teams` or `webhook`.
    pub channel: String,
    /// Address: an email address or a webhook URL.
    pub address: String,
}

/// The account-attack funnel: identified → attacked → compromised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Funnel {
    /// Authentication attempts by the campaign.
    pub attempts: u64,
    /// Distinct accounts probed (names tried).
    pub probed: u64,
    /// Accounts confirmed to exist.
    pub identified: u64,
    /// Accounts that received password attempts.
    pub attacked: u64,
    /// Accounts taken over.
    pub compromised: u64,
}

/// Alerts grouped by actor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// Content-hash id, stable across runs.
    pub id: String,
    /// One-line human summary ("one source scanned 5 election sites in 3 states …").
    pub summary: String,
    /// Highest alert severity.
    pub severity: Severity,
    /// Source addresses (sorted).
    pub sources: Vec<IpAddr>,
    /// Targets (sorted by name).
    pub targets: Vec<Target>,
    /// Member alert ids.
    pub alerts: Vec<String>,
    /// Detectors that fired.
    pub detectors: Vec<String>,
    /// ATT&CK techniques seen.
    pub techniques: Vec<String>,
    /// Why these alerts were grouped.
    pub reasons: Vec<String>,
    /// First activity.
    pub first_seen: Ts,
    /// Last activity.
    pub last_seen: Ts,
    /// Account funnel (sign-in campaigns only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funnel: Option<Funnel>,
    /// Funnel per targeted organisation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub funnel_by_target: BTreeMap<String, Funnel>,
    /// Compromised account names (sorted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compromised: Vec<String>,
    /// Actors that are not addresses (sorted), e.g. the `computer\account`
    /// presenting explicit credentials (Windows 4648), which logs no address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actors: Vec<String>,
    /// Candidate actors, best first; empty means unattributed.
    #[serde(default)]
    pub attribution: Vec<crate::intel::Attribution>,
    /// The stages the campaign reached, per site, in stage order (see
    /// [`StageKind`]); empty for sign-in campaigns and older records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<Stage>,
    /// Tools the member alerts name (`details.tool`: scanner and attack-tool
    /// fingerprints such as `sqlmap` or `Nuclei`), sorted, at most
    /// [`MAX_CAMPAIGN_TOOLS`]; empty when none does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
}

/// Most tools a [`Campaign`] lists.
pub const MAX_CAMPAIGN_TOOLS: usize = 8;

/// How far an intrusion got, in order: reconnaissance → exploitation attempt
/// → exploitation success → collection → defacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// Scanning, probing, enumeration.
    Reconnaissance,
    /// Exploit requests sent (not known to have worked).
    ExploitationAttempt,
    /// An exploit that worked (the server answered as a vulnerable one does).
    ExploitationSuccess,
    /// Records or data taken (scripted harvesting).
    Collection,
    /// A public page changed by the actor.
    Defacement,
}

impl StageKind {
    /// Snake-case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Reconnaissance => "reconnaissance",
            StageKind::ExploitationAttempt => "exploitation_attempt",
            StageKind::ExploitationSuccess => "exploitation_success",
            StageKind::Collection => "collection",
            StageKind::Defacement => "defacement",
        }
    }
}

/// Alert ids kept as one stage's evidence.
pub const MAX_STAGE_EVIDENCE: usize = 8;

/// One stage of a campaign on one site: when it was first reached, and the
/// alerts that show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// Which stage.
    pub stage: StageKind,
    /// The site (alert target).
    pub site: String,
    /// The first time the stage was reached on the site.
    pub first_seen: Ts,
    /// Evidence: the ids of the alerts that show the stage on the site,
    /// earliest first (at most [`MAX_STAGE_EVIDENCE`]).
    pub evidence: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::TargetSector;

    #[test]
    fn sector_names_are_the_serialized_ones() {
        for s in TargetSector::ALL {
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
    }
}
