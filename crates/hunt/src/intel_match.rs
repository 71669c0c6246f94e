//! `intel.match`: a source that matches loaded threat intelligence.
//!
//! **What it detects.** Web requests, firewall denials and sign-ins whose
//! source address, user agent, requested URL (site + path), or account /
//! e-mail address matches an indicator that is valid at the event's time
//! ([`haboob_intel::IntelIndex`]). One alert per (source, target) episode:
//! events of the same source at the same site or tenant less than
//! [`WINDOW_SECS`] apart; with the count, first and last time, evidence
//! lines and, under `details["intel"]`, every indicator that matched (as
//! [`haboob_intel::IntelHit`]s, read by attribution and export).
//!
//! **Severity.** High when an indicator names an actor, has confidence ≥ 80,
//! or is labelled `attribution`, `apt`, `seized` or `nation-state`; Low
//! when every indicator has confidence < 40 (or is context only); Medium
//! otherwise.
//!
//! **Lanes.** Web requests and firewall denials are matched in their
//! source lane, sign-ins in the shared lane: each event is matched once.
//! STIX patterns over several events (`FOLLOWEDBY`, `WITHIN`, `REPEATS`,
//! observation `AND`) match the events of one lane (all events of a source
//! are in one lane). The alert of such a match carries the evidence of the
//! match's earlier events too ([`haboob_intel::PatternHit::earlier`]), and
//! its first time is the match's first event's.
//!
//! **Across runs.** The open episodes and the partial matches of those
//! patterns are saved with the other detectors' state
//! ([`Detector::save_state`]), the latter keyed by indicator id and pattern
//! text: an incremental hunt finds a match whose events fall in two runs,
//! judged by the events' times as in one run. A pattern removed or changed
//! between runs loses its partial matches; a state saved before they were
//! saved restores its episodes with none.

use haboob_detect::{Detector, DetectorState, Kinds, Part, StateError};
use haboob_intel::observe::{observed, ObservedBuf};
use haboob_intel::{IntelHit, IntelIndex, PatternHit, PatternStates, SavedPatternStates};
use haboob_model::{content_id, Alert, AlertSource, EventRef, Evidence, Origin, Severity, Ts};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Detector id.
pub const ID: &str = "intel.match";
/// Events of one source and target further apart than this start a new alert.
pub const WINDOW_SECS: i64 = 3600;
/// Most (source, target) episodes held per stream (divided among source
/// lanes); over it the least recently seen are emitted.
pub const MAX_TRACKED: usize = 50_000;
/// Evidence lines per alert.
pub const MAX_EVIDENCE: usize = 10;
/// Distinct indicators listed per alert.
pub const MAX_HITS: usize = 64;
/// Slots of the negative address cache.
const CACHE_SLOTS: usize = 4096;
/// An empty slot of the negative address cache (the key of
/// `ffff:ffff:…:ffff`, which is therefore never cached).
const NO_KEY: u128 = u128::MAX;

/// An address as one number for the negative cache: IPv6 as is, IPv4 as
/// its IPv4-mapped IPv6 form. The two forms of an IPv4 address share a
/// key, and the index answers them alike (it canonicalises), so the key
/// is exact.
#[inline]
fn ip_key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(a.to_ipv6_mapped()),
        IpAddr::V6(a) => u128::from(a),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Episode {
    ip: Option<IpAddr>,
    target: String,
    user: Option<String>,
    first: Ts,
    last: Ts,
    count: u64,
    hits: Vec<IntelHit>,
    evidence: Vec<Evidence>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    open: HashMap<(Option<IpAddr>, String), Episode>,
    /// Time of the last sweep for episodes past the window.
    swept: Option<Ts>,
}

/// The saved form of [`State`] and the pattern states (a state saved before
/// the pattern states were has no `patterns`).
#[derive(Serialize)]
struct SaveRef<'a> {
    open: &'a HashMap<(Option<IpAddr>, String), Episode>,
    swept: Option<Ts>,
    patterns: SavedPatternStates,
}

#[derive(Deserialize)]
struct Saved {
    open: HashMap<(Option<IpAddr>, String), Episode>,
    swept: Option<Ts>,
    #[serde(default)]
    patterns: SavedPatternStates,
}

/// The `intel.match` detector.
pub struct IntelMatch {
    index: Arc<IntelIndex>,
    web: bool,
    auth: bool,
    /// Most episodes held.
    cap: usize,
    st: State,
    ids: Vec<u32>,
    /// Addresses known to match no indicator at any time, by [`ip_key`]
    /// ([`NO_KEY`]: an empty slot), direct-mapped.
    miss: Vec<u128>,
    /// The last address looked up when it matched no indicator at any
    /// time (most events of a source come in a row: one compare, no
    /// probe of the cache or the index).
    last_miss: u128,
    /// The last site of a web request that no URL indicator names.
    url_miss: String,
    /// STIX patterns over several events: their partial matches in this
    /// lane (saved with the state), the event's view, the hits.
    patterns: (PatternStates, ObservedBuf, Vec<PatternHit>),
}

impl IntelMatch {
    /// No indicator to look for and no open episode: events change nothing.
    fn idle(&self) -> bool {
        self.index.is_empty() && self.st.open.is_empty()
    }

    /// The detector over `index` for the events `part` of a stream sees
    /// (see the module docs for the lanes).
    pub fn new(index: Arc<IntelIndex>, part: Part) -> IntelMatch {
        let (web, auth, cap) = match part {
            Part::All => (true, true, MAX_TRACKED),
            Part::BySource { lanes } => (true, false, MAX_TRACKED / lanes.max(1)),
            Part::Shared => (false, true, MAX_TRACKED),
        };
        let index_empty = index.is_empty();
        IntelMatch {
            index,
            web,
            auth,
            cap: cap.max(1),
            st: State::default(),
            ids: Vec::new(),
            miss: if index_empty {
                Vec::new()
            } else {
                vec![NO_KEY; CACHE_SLOTS]
            },
            last_miss: NO_KEY,
            url_miss: String::new(),
            patterns: Default::default(),
        }
    }

    fn slot(k: u128) -> usize {
        let x = (k as u64) ^ ((k >> 64) as u64);
        (x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 52) as usize % CACHE_SLOTS
    }

    /// Indicators of `ip` at `ts` into `self.ids`, with the negative cache.
    #[inline]
    fn ip(&mut self, ip: IpAddr, ts: Ts) {
        let k = ip_key(ip);
        if k == self.last_miss {
            return;
        }
        let s = Self::slot(k);
        if self.miss.get(s) == Some(&k) {
            self.last_miss = k;
            return;
        }
        if !self.index.ip_ids(ip, ts, &mut self.ids) && k != NO_KEY {
            if let Some(m) = self.miss.get_mut(s) {
                *m = k;
            }
            self.last_miss = k;
        }
    }

    fn sweep(&mut self, ts: Ts, out: &mut Vec<Alert>) {
        let due = self
            .st
            .swept
            .is_none_or(|s| ts.0 - s.0 >= WINDOW_SECS * 250 || ts.0 < s.0);
        if !due && self.st.open.len() <= self.cap {
            return;
        }
        self.st.swept = Some(ts);
        let cut = ts.0 - WINDOW_SECS * 1000;
        let mut closed: Vec<(Option<IpAddr>, String)> = self
            .st
            .open
            .iter()
            .filter(|(_, e)| e.last.0 < cut)
            .map(|(k, _)| k.clone())
            .collect();
        if self.st.open.len() - closed.len() > self.cap {
            // Over the cap: the least recently seen go too, down to 9/10 of
            // it (not one per new source).
            let mut rest: Vec<_> = self
                .st
                .open
                .iter()
                .filter(|(_, e)| e.last.0 >= cut)
                .map(|(k, e)| (e.last, k.clone()))
                .collect();
            rest.sort();
            let over = self.st.open.len() - closed.len() - self.cap * 9 / 10;
            closed.extend(rest.into_iter().take(over).map(|(_, k)| k));
        }
        closed.sort();
        for k in closed {
            if let Some(e) = self.st.open.remove(&k) {
                out.push(emit(e));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        ts: Ts,
        ip: Option<IpAddr>,
        target: &str,
        user: Option<&str>,
        matched: &[(u32, &'static str, &str)],
        earlier: &(Vec<Evidence>, Ts),
        o: &Origin<'_>,
        out: &mut Vec<Alert>,
    ) {
        let key = (ip, haboob_model::bounded(target, 256).to_string());
        if let Some(e) = self.st.open.get(&key) {
            if ts.0 - e.last.0 > WINDOW_SECS * 1000 {
                if let Some(e) = self.st.open.remove(&key) {
                    out.push(emit(e));
                }
            }
        }
        let e = self.st.open.entry(key.clone()).or_insert_with(|| Episode {
            ip,
            target: key.1.clone(),
            user: user.map(|u| haboob_model::bounded(u, 256).to_string()),
            first: ts,
            last: ts,
            count: 0,
            hits: Vec::new(),
            evidence: Vec::new(),
        });
        e.count += 1;
        e.first = e.first.min(ts).min(earlier.1);
        e.last = e.last.max(ts);
        if e.user.as_deref() != user {
            e.user = None;
        }
        // A multi-event pattern's earlier events first (each once).
        for ev in &earlier.0 {
            if e.evidence.len() < MAX_EVIDENCE
                && !e
                    .evidence
                    .iter()
                    .any(|x| x.line == ev.line && x.file == ev.file)
            {
                e.evidence.push(ev.clone());
            }
        }
        if e.evidence.len() < MAX_EVIDENCE {
            e.evidence.push(Evidence::from_origin(o));
        }
        for (i, field, value) in matched {
            if e.hits.len() >= MAX_HITS {
                break;
            }
            let Some(id) = self.index.indicator_id(*i) else {
                continue;
            };
            if e.hits
                .iter()
                .any(|h| h.indicator == id && h.field == *field)
            {
                continue;
            }
            e.hits.extend(self.index.hit(*i, field, value));
        }
    }
}

/// Severity from the indicators that matched (see the module docs).
pub fn severity(hits: &[IntelHit]) -> Severity {
    let strong = hits.iter().any(|h| {
        !h.actors.is_empty()
            || h.confidence.is_some_and(|c| c >= 80)
            || h.labels.iter().any(|l| {
                matches!(
                    l.to_ascii_lowercase().as_str(),
                    "attribution" | "apt" | "seized" | "nation-state"
                )
            })
    });
    if strong {
        return Severity::High;
    }
    let weak = hits
        .iter()
        .all(|h| h.confidence.is_some_and(|c| c < 40) || h.labels.iter().any(|l| l == "context"));
    if weak {
        Severity::Low
    } else {
        Severity::Medium
    }
}

fn emit(e: Episode) -> Alert {
    let src = e.ip.map_or_else(|| "-".to_string(), |i| i.to_string());
    let mut names: Vec<&str> = e.hits.iter().map(|h| h.name.as_str()).collect();
    names.dedup();
    names.truncate(3);
    let distinct: std::collections::BTreeSet<&str> =
        e.hits.iter().map(|h| h.indicator.as_str()).collect();
    let who = match (&e.ip, &e.user) {
        (Some(_), _) => src.clone(),
        (None, Some(u)) => u.clone(),
        (None, None) => "-".into(),
    };
    let title = format!(
        "{who} matched {} intel indicator{} ({}) in {} event{} at {}",
        distinct.len(),
        if distinct.len() == 1 { "" } else { "s" },
        names.join(", "),
        e.count,
        if e.count == 1 { "" } else { "s" },
        e.target
    );
    let mut details = haboob_model::Details::new();
    details.insert(
        haboob_intel::DETAILS_KEY.to_string(),
        serde_json::to_value(&e.hits).unwrap_or_default(),
    );
    Alert {
        id: content_id("al", &[ID, &src, &e.target, &e.first.to_string()]),
        detector: ID.to_string(),
        title,
        techniques: Vec::new(),
        severity: severity(&e.hits),
        source: AlertSource {
            ip: e.ip,
            prefix: None,
            members: Vec::new(),
        },
        target: e.target,
        user: e.user,
        first_seen: e.first,
        last_seen: e.last,
        count: e.count,
        details,
        evidence: e.evidence,
    }
}

impl Detector for IntelMatch {
    fn name(&self) -> &'static str {
        ID
    }

    /// Nothing without indicators and open episodes (the feed asks again
    /// after a restore).
    fn reads(&self) -> Kinds {
        if self.idle() {
            Kinds::NONE
        } else {
            Kinds::ALL
        }
    }

    fn observe(&mut self, ev: &EventRef<'_>, o: &Origin<'_>, out: &mut Vec<Alert>) {
        if self.idle() {
            return;
        }
        self.ids.clear();
        let has = self.index.has();
        let mut matched: Vec<(u32, &'static str, &str)> = Vec::new();
        let ts = ev.ts();
        let push = |ids: &mut Vec<u32>,
                    field: &'static str,
                    v: &str,
                    m: &mut Vec<(u32, &'static str, String)>| {
            for i in ids.drain(..) {
                m.push((i, field, v.to_string()));
            }
        };
        // Owned only when something matched (rare).
        let mut found: Vec<(u32, &'static str, String)> = Vec::new();
        // A multi-event pattern's match: its earlier events, its start.
        let mut earlier: (Vec<Evidence>, Ts) = (Vec::new(), ts);
        let (ip, target, user) = match ev {
            EventRef::Web(w) if self.web => {
                if has.ip {
                    self.ip(w.source_ip, ts);
                    if !self.ids.is_empty() {
                        push(
                            &mut self.ids,
                            "src_ip",
                            &w.source_ip.to_string(),
                            &mut found,
                        );
                    }
                }
                if has.user_agent {
                    self.index.user_agent_ids(w.user_agent, ts, &mut self.ids);
                    push(&mut self.ids, "user_agent", w.user_agent, &mut found);
                }
                if has.url && !w.site.is_empty() && self.url_miss != w.site {
                    if !self.index.url_host_listed(w.site) {
                        // Most requests go to a few sites: remember the
                        // last one no URL indicator names.
                        self.url_miss.clear();
                        self.url_miss.push_str(w.site);
                    }
                    self.index
                        .url_parts_ids(w.site, w.path, w.query, ts, &mut self.ids);
                    if !self.ids.is_empty() {
                        let u = format!(
                            "{}{}{}{}",
                            w.site,
                            w.path,
                            if w.query.is_empty() { "" } else { "?" },
                            w.query
                        );
                        push(&mut self.ids, "url", &u, &mut found);
                    }
                }
                if has.account && !w.user.is_empty() {
                    self.index.account_ids(w.user, ts, &mut self.ids);
                    push(&mut self.ids, "account", w.user, &mut found);
                    if w.user.contains('@') {
                        self.index.email_ids(w.user, ts, &mut self.ids);
                        push(&mut self.ids, "email", w.user, &mut found);
                    }
                }
                (
                    Some(w.source_ip),
                    w.site,
                    (!w.user.is_empty()).then_some(w.user),
                )
            }
            EventRef::Waf(w) if self.web => {
                if has.ip {
                    self.ip(w.source_ip, ts);
                    if !self.ids.is_empty() {
                        push(
                            &mut self.ids,
                            "src_ip",
                            &w.source_ip.to_string(),
                            &mut found,
                        );
                    }
                }
                if has.url {
                    let (path, query) = w.path.split_once('?').unwrap_or((w.path, ""));
                    self.index
                        .url_parts_ids(w.site, path, query, ts, &mut self.ids);
                    push(
                        &mut self.ids,
                        "url",
                        &format!("{}{}", w.site, w.path),
                        &mut found,
                    );
                }
                (Some(w.source_ip), w.site, None)
            }
            EventRef::Auth(a) if self.auth => {
                if let (true, Some(ip)) = (has.ip, a.source_ip) {
                    self.ip(ip, ts);
                    if !self.ids.is_empty() {
                        push(&mut self.ids, "src_ip", &ip.to_string(), &mut found);
                    }
                }
                if has.user_agent && !a.client.is_empty() {
                    self.index.user_agent_ids(&a.client, ts, &mut self.ids);
                    push(&mut self.ids, "user_agent", &a.client, &mut found);
                }
                if has.account && !a.user.is_empty() {
                    self.index.account_ids(&a.user, ts, &mut self.ids);
                    push(&mut self.ids, "account", &a.user, &mut found);
                    if a.user.contains('@') {
                        self.index.email_ids(&a.user, ts, &mut self.ids);
                        push(&mut self.ids, "email", &a.user, &mut found);
                    }
                }
                let target = a.target();
                (
                    a.source_ip,
                    target,
                    (!a.user.is_empty()).then_some(a.user.as_ref()),
                )
            }
            _ => return,
        };
        if self.index.has_patterns() {
            // STIX patterns (compound, MATCHES, several events): by anchor.
            let (states, buf, hits) = &mut self.patterns;
            if let Some(obs) = observed(ev, buf) {
                let mut evidence = || Evidence::from_origin(o);
                self.index
                    .pattern_matches_with(&obs, ts, states, &mut evidence, hits);
            }
            for h in hits.drain(..) {
                found.push((h.indicator, "pattern", h.matched));
                earlier.0.extend(h.earlier);
                earlier.1 = earlier.1.min(h.start.unwrap_or(ts));
            }
        }
        self.sweep(ts, out);
        if found.is_empty() {
            return;
        }
        for (i, f, v) in &found {
            matched.push((*i, f, v.as_str()));
        }
        self.record(ts, ip, target, user, &matched, &earlier, o, out);
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        let mut all: Vec<_> = self.st.open.drain().collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(all.into_iter().map(|(_, e)| emit(e)));
    }

    fn save_state(&self) -> Result<DetectorState, StateError> {
        let saved = SaveRef {
            open: &self.st.open,
            swept: self.st.swept,
            patterns: self.index.save_pattern_states(&self.patterns.0),
        };
        DetectorState::of(ID, &saved)
    }

    /// The episodes, and the partial matches of the patterns the index
    /// still holds unchanged (the others are dropped, said on stderr); a
    /// partial match that does not fit its pattern is an error naming the
    /// rule and the indicator.
    fn restore_state(&mut self, state: DetectorState) -> Result<(), StateError> {
        let s: Saved = state.into(ID)?;
        let (patterns, dropped) = self
            .index
            .restore_pattern_states(s.patterns)
            .map_err(|e| StateError::Decode(ID, e.to_string()))?;
        if dropped > 0 {
            tracing::info!(
                dropped,
                "intel.match: partial matches of STIX patterns removed or changed since the last run dropped"
            );
        }
        self.st = State {
            open: s.open,
            swept: s.swept,
        };
        self.patterns.0 = patterns;
        Ok(())
    }
}

#[cfg(test)]
#[path = "intel_match_tests.rs"]
mod tests;
