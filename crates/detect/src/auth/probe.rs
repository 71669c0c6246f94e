//! `auth.ssh_probe`: SSH connections that never reach authentication
//! ([`AuthOutcome::Probe`]: key-exchange and banner failures, connections
//! closed before a user name was sent), counted per source address and per
//! /24 (/64).
//!
//! An episode of a key (address or prefix) starts at its first probe and
//! ends after `window_secs` without one. It fires (Low, T1595 / T1046) when
//! `min_probes` probes fall within one `window_secs` and:
//! - the probes outnumber the key's sign-in attempts in the episode (old
//!   OpenSSH closes every guessed password's connection with a
//!   `Connection closed by IP [preauth]` line too: a password guesser is the
//!   account detectors' business);
//! - no address of the key signed in during the episode or within
//!   `window_secs` before a probe (probes from an address that just signed
//!   in are not counted: an administrator's client with an outdated cipher
//!   list, a session closed abruptly);
//! - for a prefix, at least `prefix_min_members` addresses probed and none
//!   of them reached the bar alone (its own alert covers it).
//!
//! State: one entry per live key (times within the window up to
//! `min_probes`, up to `max_evidence` lines, up to [`MAX_CLIENTS`] client
//! offers, up to [`MAX_MEMBERS`] members), at most `max_sources` keys of
//! each kind; further keys are counted and ignored. Idle keys are closed by
//! a sweep every `window_secs / 4` of event time.

use super::config::{AuthConfig, SshProbeConfig};
use super::emit::{build, Draft};
use super::state::bounded;
use crate::Detector;
use haboob_model::{
    ip_prefix, Alert, AlertSource, AuthOutcome, EventRef, Evidence, IpPrefix, Origin, Severity,
};
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;

/// Distinct client offers listed per alert.
const MAX_CLIENTS: usize = 5;
/// Bytes kept of one client offer.
const MAX_CLIENT_BYTES: usize = 100;
/// Member addresses kept per prefix episode.
pub(crate) const MAX_MEMBERS: usize = 256;
/// Probe times kept per episode (`peak_in_window` saturates there).
const MAX_RECENT: usize = 4096;

/// What an address did besides probing, lately.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Seen {
    /// Its last sign-in event.
    last: i64,
    /// Its last successful sign-in.
    success: Option<i64>,
    /// Sign-in attempts since it was last idle for a window.
    attempts: u32,
}

/// One episode of an address or prefix.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Ep {
    first: i64,
    last: i64,
    /// Probe times within the window, until the bar is reached.
    recent: VecDeque<i64>,
    peak: usize,
    probes: u64,
    attempts: u64,
    signed_in: bool,
    evidence: VecDeque<(i64, Evidence)>,
    clients: Vec<String>,
    members: Vec<IpAddr>,
    /// Distinct members seen (also past [`MAX_MEMBERS`]).
    member_count: usize,
    /// A member reached the bar alone.
    member_fired: bool,
}

impl Ep {
    fn new(ts: i64) -> Ep {
        Ep {
            first: ts,
            last: ts,
            recent: VecDeque::new(),
            peak: 0,
            probes: 0,
            attempts: 0,
            signed_in: false,
            evidence: VecDeque::new(),
            clients: Vec::new(),
            members: Vec::new(),
            member_count: 0,
            member_fired: false,
        }
    }

    /// Count one probe; true when this probe brings the peak to `min`.
    fn probe(&mut self, ts: i64, p: &Params, client: &str, origin: &Origin<'_>) -> bool {
        self.last = ts;
        self.probes += 1;
        let before = self.peak;
        while self.recent.front().is_some_and(|&t| ts - t > p.window_ms) {
            self.recent.pop_front();
        }
        if self.recent.len() >= MAX_RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(ts);
        self.peak = self.peak.max(self.recent.len());
        if before < p.min {
            // Until the bar is reached, keep the lines of the current window.
            while self
                .evidence
                .front()
                .is_some_and(|e| ts - e.0 > p.window_ms)
            {
                self.evidence.pop_front();
            }
        }
        if self.evidence.len() < p.max_evidence {
            self.evidence.push_back((ts, Evidence::from_origin(origin)));
        }
        if !client.is_empty() && self.clients.len() < MAX_CLIENTS {
            let c = bounded(client, MAX_CLIENT_BYTES);
            if !self.clients.iter().any(|x| x == c) {
                self.clients.push(c.to_string());
            }
        }
        before < p.min && self.peak >= p.min
    }

    /// Add a member; true when it is new.
    fn add_member(&mut self, ip: IpAddr) -> bool {
        if self.members.contains(&ip) {
            return false;
        }
        self.member_count += 1;
        if self.members.len() < MAX_MEMBERS {
            self.members.push(ip);
        }
        true
    }
}

#[derive(Debug, Clone, Copy)]
struct Params {
    min: usize,
    window_ms: i64,
    max_evidence: usize,
    prefix_min_members: usize,
}

/// Live episodes of one kind of key, capped.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(bound(
    serialize = "K: serde::Serialize",
    deserialize = "K: serde::Deserialize<'de> + Eq + std::hash::Hash"
))]
struct Table<K> {
    live: HashMap<K, Ep>,
    cap: usize,
    /// Keys refused because the table was full.
    refused: u64,
}

impl<K: Hash + Eq + Copy> Table<K> {
    fn new(cap: usize) -> Self {
        Table {
            live: HashMap::new(),
            cap,
            refused: 0,
        }
    }

    /// The episode of `k` at `ts`; an episode idle past the window is
    /// returned in `ended` and a fresh one started.
    fn at(&mut self, k: K, ts: i64, window_ms: i64, ended: &mut Vec<(K, Ep)>) -> Option<&mut Ep> {
        if let Some(ep) = self.live.get(&k) {
            if ts - ep.last > window_ms {
                if let Some(old) = self.live.remove(&k) {
                    ended.push((k, old));
                }
            }
        }
        if !self.live.contains_key(&k) && self.live.len() >= self.cap {
            self.refused += 1;
            return None;
        }
        Some(self.live.entry(k).or_insert_with(|| Ep::new(ts)))
    }

    /// Remove every episode idle since before `cutoff`.
    fn idle(&mut self, cutoff: i64) -> Vec<(K, Ep)> {
        let keys: Vec<K> = self
            .live
            .iter()
            .filter(|(_, e)| e.last < cutoff)
            .map(|(k, _)| *k)
            .collect();
        keys.into_iter()
            .filter_map(|k| self.live.remove(&k).map(|e| (k, e)))
            .collect()
    }
}

/// The `auth.ssh_probe` detector for one stream (see the module docs).
#[derive(Debug)]
pub struct SshProbeDetector {
    p: Params,
    ips: Table<IpAddr>,
    prefixes: Option<Table<IpPrefix>>,
    /// Sign-in activity per address within the last window (bounded like
    /// the tables): attempts made before a probe episode starts count
    /// against it, and a recent success silences the address.
    seen: HashMap<IpAddr, Seen>,
    cap: usize,
    last_sweep: Option<i64>,
    /// Probes not counted because their address had just signed in.
    after_sign_in: u64,
    warned: bool,
}

impl SshProbeDetector {
    /// A fresh detector.
    pub fn new(cfg: &SshProbeConfig, auth: &AuthConfig) -> SshProbeDetector {
        let cap = cfg.max_sources.max(1);
        SshProbeDetector {
            p: Params {
                min: cfg.min_probes.max(1),
                window_ms: cfg.window_secs.max(1).saturating_mul(1000),
                max_evidence: auth.max_evidence,
                prefix_min_members: cfg.prefix_min_members.max(2),
            },
            ips: Table::new(cap),
            prefixes: cfg.prefix_aggregation.then(|| Table::new(cap)),
            seen: HashMap::new(),
            cap,
            last_sweep: None,
            after_sign_in: 0,
            warned: false,
        }
    }

    /// Live episodes (addresses and prefixes).
    pub fn live(&self) -> usize {
        self.ips.live.len() + self.prefixes.as_ref().map_or(0, |t| t.live.len())
    }

    fn sweep(&mut self, ts: i64, out: &mut Vec<Alert>) {
        let last = *self.last_sweep.get_or_insert(ts);
        if ts - last < (self.p.window_ms / 4).max(1000) {
            return;
        }
        self.last_sweep = Some(ts);
        let cutoff = ts - self.p.window_ms;
        for (ip, ep) in self.ips.idle(cutoff) {
            self.emit_ip(ip, ep, out);
        }
        if let Some(t) = self.prefixes.as_mut() {
            let ended = t.idle(cutoff);
            for (pfx, ep) in ended {
                self.emit_prefix(pfx, ep, out);
            }
        }
        self.seen.retain(|_, s| s.last >= cutoff);
    }

    fn warn_full(&mut self) {
        if !self.warned {
            self.warned = true;
            tracing::warn!(
                cap = self.cap,
                "SSH probe table full; probes from further sources are ignored."
            );
        }
    }

    fn emit_ip(&self, ip: IpAddr, ep: Ep, out: &mut Vec<Alert>) {
        if !self.qualifies(&ep) {
            return;
        }
        let source = AlertSource {
            ip: Some(ip),
            prefix: None,
            members: Vec::new(),
        };
        out.push(self.alert(ip.to_string(), source, ep, None));
    }

    fn emit_prefix(&self, pfx: IpPrefix, mut ep: Ep, out: &mut Vec<Alert>) {
        if !self.qualifies(&ep) || ep.member_fired || ep.member_count < self.p.prefix_min_members {
            return;
        }
        ep.members.sort_unstable();
        let source = AlertSource {
            ip: ep.members.first().copied(),
            prefix: Some(pfx.to_string()),
            members: std::mem::take(&mut ep.members),
        };
        let n = ep.member_count;
        out.push(self.alert(pfx.to_string(), source, ep, Some(n)));
    }

    fn qualifies(&self, ep: &Ep) -> bool {
        ep.peak >= self.p.min && ep.probes > ep.attempts && !ep.signed_in
    }

    fn alert(&self, who: String, source: AlertSource, ep: Ep, members: Option<usize>) -> Alert {
        let window_secs = self.p.window_ms / 1000;
        let mut details = haboob_model::Details::new();
        details.insert("probes".into(), json!(ep.probes));
        details.insert("peak_in_window".into(), json!(ep.peak));
        details.insert("window_secs".into(), json!(window_secs));
        details.insert("sign_in_attempts".into(), json!(ep.attempts));
        if !ep.clients.is_empty() {
            details.insert("client_offers".into(), json!(ep.clients));
        }
        let from = match members {
            Some(n) => {
                details.insert("member_count".into(), json!(n));
                format!("{n} addresses in {who}")
            }
            None => who.clone(),
        };
        build(Draft {
            detector: "auth.ssh_probe",
            techniques: &["T1595", "T1046"],
            severity: Severity::Low,
            title: format!(
                "{} SSH connections from {from} ended before authentication ({} within {})",
                ep.probes,
                ep.peak,
                human_secs(window_secs)
            ),
            source,
            target: String::new(),
            user: None,
            first: ep.first,
            last: ep.last,
            count: ep.probes,
            details,
            evidence: ep.evidence.into_iter().map(|e| e.1).collect(),
            keys: vec![who.as_str(), "ssh_probe"],
        })
    }

    fn observe_probe(
        &mut self,
        ip: IpAddr,
        ts: i64,
        client: &str,
        origin: &Origin<'_>,
        out: &mut Vec<Alert>,
    ) {
        let p = self.p;
        let seen = self
            .seen
            .get(&ip)
            .filter(|s| ts - s.last <= p.window_ms)
            .copied();
        if seen.is_some_and(|s| s.success.is_some_and(|t| ts - t <= p.window_ms)) {
            self.after_sign_in += 1;
            return;
        }
        let earlier = u64::from(seen.map_or(0, |s| s.attempts));
        let mut ended = Vec::new();
        let mut reached = false;
        let mut full = false;
        match self.ips.at(ip, ts, p.window_ms, &mut ended) {
            Some(ep) => {
                if ep.probes == 0 {
                    ep.attempts = earlier;
                }
                reached = ep.probe(ts, &p, client, origin);
            }
            None => full = true,
        }
        let mut ended_p = Vec::new();
        if let Some(t) = self.prefixes.as_mut() {
            match t.at(ip_prefix(ip), ts, p.window_ms, &mut ended_p) {
                Some(ep) => {
                    ep.probe(ts, &p, client, origin);
                    if ep.add_member(ip) {
                        // May count again an attempt the prefix episode
                        // already saw (quieter, never louder).
                        ep.attempts += earlier;
                    }
                    ep.member_fired |= reached;
                }
                None => full = true,
            }
        }
        if full {
            self.warn_full();
        }
        for (ip, ep) in ended {
            self.emit_ip(ip, ep, out);
        }
        for (pfx, ep) in ended_p {
            self.emit_prefix(pfx, ep, out);
        }
    }

    /// A sign-in event (not a probe) from `ip`.
    fn observe_sign_in(&mut self, ip: IpAddr, ts: i64, success: bool) {
        let w = self.p.window_ms;
        if self.seen.len() < self.cap || self.seen.contains_key(&ip) {
            let s = self.seen.entry(ip).or_insert(Seen {
                last: ts,
                success: None,
                attempts: 0,
            });
            if ts - s.last > w {
                s.attempts = 0;
            }
            s.last = s.last.max(ts);
            if success {
                s.success = Some(ts);
            } else {
                s.attempts = s.attempts.saturating_add(1);
            }
        }
        let pfx = self
            .prefixes
            .as_mut()
            .and_then(|t| t.live.get_mut(&ip_prefix(ip)));
        for ep in self.ips.live.get_mut(&ip).into_iter().chain(pfx) {
            if success {
                ep.signed_in = true;
            } else {
                ep.attempts += 1;
            }
        }
    }
}

/// `90 s`, `10 min`, `2 h`.
fn human_secs(s: i64) -> String {
    if s % 3600 == 0 {
        format!("{} h", s / 3600)
    } else if s % 60 == 0 {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

/// What [`Detector::save_state`] keeps of this detector.
type ProbeSaved = (
    Table<IpAddr>,
    Option<Table<IpPrefix>>,
    HashMap<IpAddr, Seen>,
    Option<i64>,
    u64,
    bool,
);

impl Detector for SshProbeDetector {
    fn name(&self) -> &'static str {
        "auth.ssh_probe"
    }

    fn save_state(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of(
            "auth.ssh_probe",
            &(
                &self.ips,
                &self.prefixes,
                &self.seen,
                &self.last_sweep,
                &self.after_sign_in,
                &self.warned,
            ),
        )
    }

    fn restore_state(&mut self, state: crate::DetectorState) -> Result<(), crate::StateError> {
        let (ips, prefixes, seen, last_sweep, after_sign_in, warned): ProbeSaved =
            state.into("auth.ssh_probe")?;
        self.ips = ips;
        self.prefixes = prefixes;
        self.seen = seen;
        self.last_sweep = last_sweep;
        self.after_sign_in = after_sign_in;
        self.warned = warned;
        Ok(())
    }

    fn reads(&self) -> crate::Kinds {
        crate::Kinds::AUTH
    }

    fn observe(&mut self, ev: &EventRef<'_>, origin: &Origin<'_>, out: &mut Vec<Alert>) {
        let EventRef::Auth(ev) = ev else {
            return;
        };
        let Some(ip) = ev.source_ip else {
            return;
        };
        let ts = ev.ts.0;
        self.sweep(ts, out);
        match ev.outcome {
            AuthOutcome::Probe => self.observe_probe(ip, ts, &ev.client, origin, out),
            AuthOutcome::Success => self.observe_sign_in(ip, ts, true),
            _ => self.observe_sign_in(ip, ts, false),
        }
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        let mut ips: Vec<(IpAddr, Ep)> = self.ips.live.drain().collect();
        ips.sort_by_key(|(ip, _)| *ip);
        for (ip, ep) in ips {
            self.emit_ip(ip, ep, out);
        }
        if let Some(t) = self.prefixes.as_mut() {
            let mut pf: Vec<(IpPrefix, Ep)> = t.live.drain().collect();
            pf.sort_by_key(|(p, _)| *p);
            for (p, ep) in pf {
                self.emit_prefix(p, ep, out);
            }
        }
        let refused = self.ips.refused + self.prefixes.as_ref().map_or(0, |t| t.refused);
        if refused > 0 || self.after_sign_in > 0 {
            tracing::debug!(
                refused,
                after_sign_in = self.after_sign_in,
                "SSH probes not counted (table full, or just after a sign-in from the address)."
            );
        }
    }
}
