//! [`compose`]: one campaign and one organisation → the [`Notification`]
//! that organisation receives. Pure: no I/O, no clock.
//!
//! Only what concerns the organisation goes in: its own targets, the alerts
//! on them, the accounts named in those alerts. The campaign's summary line
//! is not used, because it names every compromised account of every
//! organisation the campaign touched.

use crate::text;
use haboob_model::{Alert, Campaign, Funnel, Severity, Ts};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Version tag of the JSON notification (generic webhooks).
pub const SCHEMA: &str = "haboob.notification/1";

/// Accounts listed per stage at most (the counts are always complete).
pub const MAX_ACCOUNTS: usize = 50;
/// Source addresses listed at most.
pub const MAX_SOURCES: usize = 20;
/// Evidence lines quoted at most.
pub const MAX_EVIDENCE_LINES: usize = 5;
/// Characters kept of an evidence line.
pub const MAX_EVIDENCE_CHARS: usize = 300;
/// Characters kept of an account, target or organisation name.
pub const MAX_NAME_CHARS: usize = 128;

/// Who sends the notification and how to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sender {
    /// Signature (`[notify] sender`).
    pub name: String,
    /// How to reach the sender (`[notify] reply_to`); may be empty.
    pub reply_to: String,
}

/// A targeted site or tenant of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetLine {
    /// Site host name or tenant.
    pub name: String,
    /// Sector (`election`, `news`, …).
    pub sector: String,
    /// Region, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// One kind of activity seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityLine {
    /// Detector id (`auth.spray`).
    pub detector: String,
    /// What it means, in plain words.
    pub description: String,
    /// Alerts of this detector on the organisation.
    pub alerts: u64,
}

/// The organisation's accounts by the furthest stage they reached; each
/// account is in one list only.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Accounts {
    /// Taken over.
    pub compromised: Vec<String>,
    /// Received password attempts, not taken over.
    pub attacked: Vec<String>,
    /// Confirmed to exist, not attacked further.
    pub identified: Vec<String>,
    /// Accounts in each list before the lists were cut to
    /// [`MAX_ACCOUNTS`]: compromised, attacked, identified.
    pub totals: [u64; 3],
}

/// A quoted log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceLine {
    /// Input file.
    pub file: String,
    /// Line or record number.
    pub line: u64,
    /// The line, cleaned and bounded.
    pub text: String,
}

/// What the organisation is told, before rendering for a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// [`SCHEMA`].
    pub schema: String,
    /// Campaign id.
    pub campaign_id: String,
    /// Campaign revision described.
    pub revision: i64,
    /// The organisation told.
    pub organisation: String,
    /// Highest severity of the alerts on the organisation.
    pub severity: Severity,
    /// The organisation's sites and tenants that were targeted.
    pub targets: Vec<TargetLine>,
    /// First activity against the organisation.
    pub first_seen: Ts,
    /// Last activity against the organisation.
    pub last_seen: Ts,
    /// What was seen.
    pub activity: Vec<ActivityLine>,
    /// MITRE ATT&CK techniques.
    pub techniques: Vec<String>,
    /// Source addresses (at most [`MAX_SOURCES`]).
    pub sources: Vec<String>,
    /// Source addresses in all.
    pub sources_total: u64,
    /// Sign-in funnel against the organisation's tenants, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funnel: Option<Funnel>,
    /// The organisation's accounts seen.
    pub accounts: Accounts,
    /// Alerts on the organisation.
    pub alerts: u64,
    /// Log records those alerts matched.
    pub events: u64,
    /// A few evidence lines.
    pub evidence: Vec<EvidenceLine>,
    /// What to do now, in order.
    pub actions: Vec<String>,
    /// Signature.
    pub sender: String,
    /// How to reach the sender.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reply_to: String,
}

/// A detector id in plain words.
pub fn plain_words(detector: &str) -> String {
    let s = match detector {
        "web.scan" => "scanning of the site for pages and files (many requests for pages that do not exist)",
        "web.sensitive" => "requests for secret, configuration or backup files (credentials, database dumps, source control)",
        "web.probe" => "single requests for secret, source-control or backup files that were not served",
        "web.scanner_ua" => "requests from known scanning and attack tools",
        "web.exploit" => "attempts to exploit known vulnerabilities or to reach setup and administration endpoints",
        "web.admin_enum" => "searching for administration panels and login pages",
        "web.crawl" => "aggressive automated crawling of the site",
        "web.login_bf" => "many failed logins to the web site",
        "web.user_enum" => "listing of the site's user accounts",
        "web.sweep" => "a distributed sweep: many addresses requesting the same sensitive paths",
        "web.flood" => "a flood of requests against the site",
        "web.waf_block" => "requests that the web application firewall blocked",
        "auth.enumeration" => "checking which account names exist",
        "auth.spray" => "password spraying: a few common passwords tried against many accounts",
        "auth.stuffing" => "credential stuffing: leaked name and password pairs tried",
        "auth.brute_force" => "many password guesses against single accounts",
        "auth.burst" => "bursts of password guesses",
        "auth.takeover" => "successful sign-ins by the attacking sources (account takeover)",
        "auth.mfa_fatigue" => "repeated multi-factor prompts pushed to a user (MFA fatigue)",
        "auth.ssh_probe" => "probing of SSH servers",
        "auth.impossible_travel" => "sign-ins to one account from places too far apart for the time between them",
        "sigma" => "matches of Sigma detection rules",
        other => return format!("detector {}", text::line(other, 64)),
    };
    s.to_string()
}

fn list<'a>(a: &'a Alert, key: &str) -> impl Iterator<Item = &'a str> {
    a.details
        .get(key)
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
}

fn capped(set: &BTreeSet<String>) -> Vec<String> {
    set.iter().take(MAX_ACCOUNTS).cloned().collect()
}

/// Whether a campaign target belongs to `organisation`.
pub fn owns(target: &haboob_model::Target, organisation: &str) -> bool {
    target.organisation.as_deref().map(str::trim) == Some(organisation.trim())
}

/// The notification `organisation` receives about revision `revision` of
/// `campaign`, whose member alerts are `alerts` (others are ignored), or
/// `None` when none of the campaign's targets belongs to the organisation.
pub fn compose(
    campaign: &Campaign,
    revision: i64,
    alerts: &[Alert],
    organisation: &str,
    sender: &Sender,
) -> Option<Notification> {
    let targets: Vec<&haboob_model::Target> = campaign
        .targets
        .iter()
        .filter(|t| owns(t, organisation))
        .collect();
    if targets.is_empty() {
        return None;
    }
    let ours = |name: &str| targets.iter().any(|t| t.name.eq_ignore_ascii_case(name));
    let members: BTreeSet<&str> = campaign.alerts.iter().map(String::as_str).collect();
    let mut mine: Vec<&Alert> = alerts
        .iter()
        .filter(|a| members.contains(a.id.as_str()) && ours(&a.target))
        .collect();
    mine.sort_by(|a, b| (b.severity, a.first_seen, &a.id).cmp(&(a.severity, b.first_seen, &b.id)));

    // Accounts: the lists of the alerts on this organisation only.
    let (mut comp, mut att, mut ident) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let name = |u: &str| text::line(u, MAX_NAME_CHARS);
    for a in &mine {
        comp.extend(list(a, "users_compromised").map(name));
        att.extend(list(a, "users_attacked").map(name));
        ident.extend(list(a, "users_identified").map(name));
        if let Some(u) = a.user.as_deref().filter(|u| !u.is_empty()) {
            if a.detector == "auth.takeover" {
                comp.insert(name(u));
            } else if a.detector.starts_with("auth.") {
                att.insert(name(u));
            }
        }
    }
    att.retain(|u| !comp.contains(u));
    ident.retain(|u| !comp.contains(u) && !att.contains(u));
    let accounts = Accounts {
        compromised: capped(&comp),
        attacked: capped(&att),
        identified: capped(&ident),
        totals: [comp.len() as u64, att.len() as u64, ident.len() as u64],
    };

    let mut funnel: Option<Funnel> = None;
    for (t, f) in &campaign.funnel_by_target {
        if ours(t) {
            let s = funnel.get_or_insert_with(Funnel::default);
            s.attempts += f.attempts;
            s.probed += f.probed;
            s.identified += f.identified;
            s.attacked += f.attacked;
            s.compromised += f.compromised;
        }
    }

    let mut sources: BTreeSet<std::net::IpAddr> =
        mine.iter().flat_map(|a| a.source.addresses()).collect();
    if sources.is_empty() {
        sources.extend(campaign.sources.iter().copied());
    }
    let mut activity: Vec<ActivityLine> = Vec::new();
    let detectors: BTreeSet<&str> = mine.iter().map(|a| a.detector.as_str()).collect();
    for d in detectors {
        activity.push(ActivityLine {
            detector: text::line(d, 64),
            description: plain_words(d),
            alerts: mine.iter().filter(|a| a.detector == d).count() as u64,
        });
    }
    let techniques: BTreeSet<String> = mine
        .iter()
        .flat_map(|a| a.techniques.iter().map(|t| text::line(t, 32)))
        .collect();
    let evidence: Vec<EvidenceLine> = mine
        .iter()
        .flat_map(|a| a.evidence.iter())
        .take(MAX_EVIDENCE_LINES)
        .map(|e| EvidenceLine {
            file: text::line(&e.file, MAX_NAME_CHARS),
            line: e.line,
            text: text::line(&e.raw, MAX_EVIDENCE_CHARS),
        })
        .collect();
    let first_seen = mine.iter().map(|a| a.first_seen).min();
    let last_seen = mine.iter().map(|a| a.last_seen).max();
    let mut n = Notification {
        schema: SCHEMA.into(),
        campaign_id: text::line(&campaign.id, MAX_NAME_CHARS),
        revision,
        organisation: text::line(organisation, MAX_NAME_CHARS),
        severity: mine
            .iter()
            .map(|a| a.severity)
            .max()
            .unwrap_or(campaign.severity),
        targets: targets
            .iter()
            .map(|t| TargetLine {
                name: text::line(&t.name, MAX_NAME_CHARS),
                sector: format!("{:?}", t.sector).to_lowercase(),
                region: t.region.as_deref().map(|r| text::line(r, 64)),
            })
            .collect(),
        first_seen: first_seen.unwrap_or(campaign.first_seen),
        last_seen: last_seen.unwrap_or(campaign.last_seen),
        activity,
        techniques: techniques.into_iter().collect(),
        sources_total: sources.len() as u64,
        sources: sources
            .iter()
            .take(MAX_SOURCES)
            .map(|s| s.to_string())
            .collect(),
        funnel,
        accounts,
        alerts: mine.len() as u64,
        events: mine.iter().map(|a| a.count).sum(),
        evidence,
        actions: Vec::new(),
        sender: text::line(&sender.name, 200),
        reply_to: text::line(&sender.reply_to, 200),
    };
    n.actions = actions(&n);
    Some(n)
}

fn names(list: &[String], total: u64) -> String {
    let mut s = list.join(", ");
    if total > list.len() as u64 {
        s.push_str(&format!(" and {} more", total - list.len() as u64));
    }
    s
}

/// What to do now, most urgent first.
fn actions(n: &Notification) -> Vec<String> {
    let a = &n.accounts;
    let mut out = Vec::new();
    if !a.compromised.is_empty() {
        out.push(format!(
            "Reset the passwords of the compromised accounts and revoke all their sessions and refresh tokens now: {}.",
            names(&a.compromised, a.totals[0])
        ));
        out.push(
            "In the compromised mailboxes, look for inbox rules, forwarding addresses, delegates and application consents the attacker may have added, and remove them.".into(),
        );
    }
    if !a.attacked.is_empty() || !a.compromised.is_empty() {
        out.push(format!(
            "Require phishing-resistant multi-factor authentication (FIDO2 security keys or passkeys) for the attacked accounts{}.",
            if a.attacked.is_empty() {
                String::new()
            } else {
                format!(": {}", names(&a.attacked, a.totals[1]))
            }
        ));
    }
    if !a.identified.is_empty() {
        out.push("Tell the owners of the identified accounts that they are being targeted and to expect phishing.".into());
    }
    if n.activity.iter().any(|l| l.detector.starts_with("web.")) {
        out.push("Check that your sites did not serve the files and endpoints probed (answers 200 in the evidence), and patch the products named.".into());
    }
    out.push(format!(
        "Block or watch the source addresses above at your perimeter and identity provider ({} in all).",
        n.sources_total
    ));
    out.push(format!(
        "Preserve the logs from {} to {} (web servers, sign-ins, mail, VPN): keep them from rotating away, they are the evidence.",
        n.first_seen, n.last_seen
    ));
    out.push(if n.reply_to.is_empty() {
        format!(
            "Reply to this message with questions, quoting campaign {}.",
            n.campaign_id
        )
    } else {
        format!(
            "Contact {} with questions, quoting campaign {}.",
            n.reply_to, n.campaign_id
        )
    });
    out
}
