//! `intel.victim` in the hunt: the victim signal of
//! [`haboob_intel::VictimSignal`] (an internal host resolving or contacting
//! listed infrastructure) run as a detector of every stream, and what the
//! campaign builder needs to know of its alerts.
//!
//! **Lanes.** Network observations go to the source lane of their client
//! address ([`crate::lanes`]): one host's episodes stay in one lane. Windows
//! DNS client events (Sysmon 22) go to the shared lane, as every Windows
//! event does. Each event is looked up once.
//!
//! **Campaigns.** A victim alert's target is the internal host and its
//! source the listed address reached (if an address matched): the host is
//! never an attacker source. Victim alerts that reached the same listed
//! indicator are one campaign ([`infrastructure_keys`]); its summary names
//! the victims and the infrastructure ([`summary`]).

use haboob_detect::{Detector, DetectorState, Part, StateError};
use haboob_intel::victim::{DETECTOR, INFRASTRUCTURE_KEY, ROLE};
use haboob_intel::{IntelHit, IntelIndex, VictimConfig, VictimSignal};
use haboob_model::{Alert, EventRef, Origin, Target};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Arc;

/// The `intel.victim` detector of one lane.
pub struct Victim {
    index: Arc<IntelIndex>,
    signal: VictimSignal,
    /// Network observations are looked up here.
    net: bool,
    /// Windows DNS client events are looked up here.
    win: bool,
}

impl Victim {
    /// The detector over `index` for the events `part` of a stream sees
    /// (see the module docs for the lanes); the cap on open episodes is
    /// divided among source lanes.
    pub fn new(index: Arc<IntelIndex>, part: Part) -> Victim {
        let base = VictimConfig::default();
        let (net, win, cap) = match part {
            Part::All => (true, true, base.max_episodes),
            Part::BySource { lanes } => (true, false, base.max_episodes / lanes.max(1)),
            Part::Shared => (false, true, base.max_episodes),
        };
        Victim {
            index,
            signal: VictimSignal::new(VictimConfig {
                max_episodes: cap.max(1),
                ..base
            }),
            net,
            win,
        }
    }
}

impl Detector for Victim {
    fn name(&self) -> &'static str {
        DETECTOR
    }

    fn reads(&self) -> haboob_detect::Kinds {
        haboob_detect::Kinds::NET.with(haboob_detect::Kinds::WIN)
    }

    fn observe(&mut self, ev: &EventRef<'_>, origin: &Origin<'_>, out: &mut Vec<Alert>) {
        let wanted = match ev {
            EventRef::Net(_) => self.net,
            EventRef::Win(w) => self.win && w.event_id == 22,
            _ => false,
        };
        if wanted {
            self.signal.observe(&*self.index, ev, origin, out);
        }
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        self.signal.finish(out);
    }

    fn save_state(&self) -> Result<DetectorState, StateError> {
        DetectorState::of(DETECTOR, &self.signal.save_state())
    }

    fn restore_state(&mut self, state: DetectorState) -> Result<(), StateError> {
        self.signal.restore_state(state.into(DETECTOR)?);
        Ok(())
    }
}

/// Whether an alert is a victim signal (an internal host, not a source).
pub fn is_victim(a: &Alert) -> bool {
    a.detector == DETECTOR && a.details.get("role").and_then(|r| r.as_str()) == Some(ROLE)
}

fn hits(a: &Alert) -> Vec<IntelHit> {
    a.details
        .get(haboob_intel::DETAILS_KEY)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// The listed indicators a victim alert reached, as campaign link keys
/// (victims of the same infrastructure are one campaign); none for other
/// alerts.
pub(crate) fn infrastructure_keys(a: &Alert) -> Vec<String> {
    if !is_victim(a) {
        return Vec::new();
    }
    hits(a)
        .into_iter()
        .map(|h| format!("{} ({})", h.name, h.indicator))
        .collect()
}

/// The listed infrastructure of a victim alert (`details.infrastructure`).
fn infrastructure(a: &Alert) -> Vec<String> {
    a.details
        .get(INFRASTRUCTURE_KEY)
        .and_then(|v| v.as_array())
        .map(|v| {
            v.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The listed names (not addresses: those are the campaign's sources)
/// that the victims among `members` reached, sorted: the attacker side of a
/// victim campaign without an address (`Campaign::actors`).
pub(crate) fn named_infrastructure(members: &[&Alert]) -> Vec<String> {
    let names: BTreeSet<String> = members
        .iter()
        .filter(|a| is_victim(a))
        .flat_map(|a| infrastructure(a))
        .filter(|v| v.parse::<IpAddr>().is_err())
        .collect();
    names.into_iter().collect()
}

/// Most names listed in a summary.
const LISTED: usize = 3;

fn list(items: &BTreeSet<String>) -> String {
    let mut s: Vec<&str> = items.iter().take(LISTED).map(String::as_str).collect();
    let more = items.len().saturating_sub(LISTED);
    let more = format!("+{more} more");
    if items.len() > LISTED {
        s.push(&more);
    }
    s.join(", ")
}

/// The summary of a campaign with victim alerts among `members`, or `None`
/// when it has none. Victims only: "2 internal hosts (10.0.0.5, 10.0.0.7)
/// contacted listed infrastructure (evil.example)". With attacker alerts
/// too (the listed address also appeared as a source): what the attacker
/// alerts alone would be summarised as, then "; its infrastructure was
/// contacted by 1 internal host (10.0.0.5)".
pub(crate) fn summary(
    members: &[&Alert],
    sources: &[IpAddr],
    targets: &[Target],
) -> Option<String> {
    let (victims, attacks): (Vec<&Alert>, Vec<&Alert>) =
        members.iter().copied().partition(|a| is_victim(a));
    if victims.is_empty() {
        return None;
    }
    let hosts: BTreeSet<String> = victims.iter().map(|a| a.target.clone()).collect();
    let who = format!(
        "{} internal host{} ({})",
        hosts.len(),
        if hosts.len() == 1 { "" } else { "s" },
        list(&hosts)
    );
    if attacks.is_empty() {
        let infra: BTreeSet<String> = victims.iter().flat_map(|a| infrastructure(a)).collect();
        return Some(format!(
            "{who} contacted listed infrastructure ({})",
            list(&infra)
        ));
    }
    let attacked: BTreeSet<&str> = attacks.iter().map(|a| a.target.as_str()).collect();
    let targets: Vec<Target> = targets
        .iter()
        .filter(|t| attacked.contains(t.name.as_str()))
        .cloned()
        .collect();
    let detectors: BTreeSet<String> = attacks.iter().map(|a| a.detector.clone()).collect();
    let attacker = crate::campaign::summarize(sources, &targets, &detectors);
    Some(format!(
        "{attacker}; its infrastructure was contacted by {who}"
    ))
}

/// The victims of a campaign's members, for its reasons: one line per
/// internal host.
pub(crate) fn reasons(members: &[&Alert]) -> Vec<String> {
    let mut by_host: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in members.iter().filter(|a| is_victim(a)) {
        by_host
            .entry(a.target.clone())
            .or_default()
            .extend(infrastructure(a));
    }
    by_host
        .into_iter()
        .map(|(host, infra)| {
            format!(
                "victim: internal host {host} contacted listed infrastructure {} (likely compromised)",
                list(&infra)
            )
        })
        .collect()
}
