//! STIX patterns in the index: indicators whose condition is a pattern
//! that is more than an `OR` of equalities (`AND` inside an observation,
//! `MATCHES`, `LIKE`, `!=`, ports, several observations, qualifiers).
//!
//! - A pattern with anchors ([`Pattern::anchors`]: observables one of which
//!   every event of a match carries) is looked up by them, in an index of
//!   its own, so only events that hit an anchor evaluate it.
//! - A pattern without anchors (e.g. only `MATCHES` on a URL) is evaluated
//!   on every event that carries a field it reads; at most
//!   [`MAX_UNANCHORED`] of them are accepted, the rest are reported as
//!   unsupported ("no anchor"), never dropped silently.
//! - Stateless patterns (one observation, or observations joined by `OR`,
//!   without qualifiers) are decided by one event ([`Pattern::matches`]).
//!   Stateful ones (`AND`/`FOLLOWEDBY` of observations, `WITHIN`,
//!   `REPEATS`, `START`/`STOP`) need a [`PatternStates`] that the caller
//!   keeps across the events of a stream (the index itself is immutable
//!   and shared): one [`PatternState`](crate::PatternState) per pattern
//!   touched, at most [`MAX_OPEN_STATES`]; a state idle longer than the
//!   pattern's `WITHIN` (or [`DEFAULT_HORIZON_SECS`] without one) is
//!   dropped, and over the cap the least recently used go.
//! - A state keeps the evidence of the latest [`MAX_STEP_EVIDENCE`] events
//!   that took part in it (satisfied one of its observations) within the
//!   pattern's horizon; a match's hit carries those of them within the
//!   match's time span ([`PatternHit::earlier`]).
//! - The states carry over to a later run (an incremental hunt) as
//!   [`SavedPatternStates`], keyed by indicator id and a hash of the
//!   pattern's text: a later index restores the states of the patterns it
//!   still holds unchanged and drops the others.

use super::{BuildOptions, IntelIndex};
use crate::pattern::{first_value, observed_mask, NodeSnapshot, Pattern, PatternState};
use crate::{Indicator, IndicatorCondition, Observable, Observed, Provenance};
use haboob_model::{Evidence, Fnv64, Ts};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};

/// Most patterns without an anchor accepted in one index (each is
/// evaluated on every event that carries a field it reads).
pub const MAX_UNANCHORED: usize = 256;
/// Most stateful patterns with an open state per [`PatternStates`].
pub const MAX_OPEN_STATES: usize = 10_000;
/// How long the partial match of a stateful pattern without a `WITHIN` on
/// the whole pattern is kept without a new event: a day.
pub const DEFAULT_HORIZON_SECS: i64 = 86_400;
/// Most events whose evidence a stateful pattern's state keeps (the latest
/// that took part in it).
pub const MAX_STEP_EVIDENCE: usize = 4;

/// A pattern indicator of the index.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Indicator number in the index.
    pub ind: u32,
    pub pattern: Pattern,
    pub stateless: bool,
    /// Fields read (a mask, see `pattern::fields`).
    pub reads: u32,
    /// Partial matches idle longer than this are dropped, ms.
    pub horizon_ms: i64,
}

/// What the build does with a pattern.
pub(crate) enum Prepared {
    /// Only an `OR` of equalities: indexed as these observables.
    Any(Vec<Observable>),
    /// Evaluated: the pattern and its anchors, if any.
    Eval(Pattern, Option<Vec<Observable>>),
}

/// Parse a pattern indicator's text and decide how to index it; the error
/// is the reason it is unsupported.
pub(crate) fn prepare(text: &str) -> Result<Prepared, String> {
    let p = Pattern::parse(text).map_err(|e| format!("pattern {e}"))?;
    if let crate::Support::NotOnLogs(reason) = p.support() {
        return Err(reason);
    }
    if let Some(obs) = p.as_any() {
        return Ok(Prepared::Any(obs));
    }
    let anchors = p.anchors().filter(|a| !a.is_empty());
    Ok(Prepared::Eval(p, anchors))
}

/// The pattern indicators of an index.
#[derive(Debug, Default)]
pub(crate) struct PatternSet {
    entries: Vec<Entry>,
    /// Anchor values → entry numbers (an index whose indicator `n` is
    /// entry `n`).
    anchors: Option<Box<IntelIndex>>,
    /// Entries without anchors.
    unanchored: Vec<u32>,
}

/// The events of one match, in a hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternHit {
    /// Indicator number in the index.
    pub indicator: u32,
    /// The value of the event that hit the pattern's anchor (or, without
    /// anchors, the first value of a field the pattern reads).
    pub matched: String,
    /// A stateful pattern's match: the evidence of the earlier events that
    /// took part in it (within its time span, oldest first, at most
    /// [`MAX_STEP_EVIDENCE`]), when the caller gave the events' evidence
    /// ([`IntelIndex::pattern_matches_with`]).
    pub earlier: Vec<Evidence>,
    /// A stateful pattern's match: the time of its earliest event (None for
    /// a stateless pattern: the event's own).
    pub start: Option<Ts>,
}

impl PatternSet {
    /// The set of `patterns`: (indicator number, pattern, anchors).
    pub(crate) fn build(patterns: Vec<(u32, Pattern, Option<Vec<Observable>>)>) -> PatternSet {
        let mut set = PatternSet::default();
        let mut anchor_inds = Vec::new();
        for (n, (ind, pattern, anchors)) in patterns.into_iter().enumerate() {
            let n = n as u32;
            let horizon_ms = pattern
                .within_secs()
                .map_or(DEFAULT_HORIZON_SECS * 1000, |s| (s * 1000.0).ceil() as i64);
            match anchors {
                Some(a) => anchor_inds.push(Indicator {
                    id: n.to_string(),
                    name: String::new(),
                    condition: IndicatorCondition::Any(a),
                    valid_from: None,
                    valid_until: None,
                    labels: Vec::new(),
                    actors: Vec::new(),
                    provenance: Provenance {
                        source: String::new(),
                        imported: Ts(0),
                        confidence: None,
                        tlp: None,
                        reference: None,
                    },
                }),
                None => set.unanchored.push(n),
            }
            set.entries.push(Entry {
                ind,
                stateless: pattern.is_stateless(),
                reads: pattern.reads(),
                pattern,
                horizon_ms,
            });
        }
        // An anchor indicator's id is its entry number (unique: none is
        // replaced by the build).
        if !anchor_inds.is_empty() {
            let (idx, _) = IntelIndex::build(anchor_inds, &BuildOptions::default());
            set.anchors = Some(Box::new(idx));
        }
        set
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries an event may match, with the value that made it a
    /// candidate; sorted by entry, each once.
    fn candidates(&self, o: &Observed<'_>, out: &mut Vec<(u32, String)>) {
        if let Some(a) = &self.anchors {
            // Anchor indicators have no validity: any time will do.
            let t = Ts(0);
            let mut ids = Vec::new();
            a.walk(o, t, &mut ids, |_, v, ids| {
                for &i in ids {
                    // Anchor indicator i is named by its entry number.
                    let Some(e) = a.indicator(i).and_then(|x| x.id.parse::<u32>().ok()) else {
                        continue;
                    };
                    if !out.iter().any(|(x, _)| *x == e) {
                        out.push((e, v.text().into_owned()));
                    }
                }
            });
        }
        if !self.unanchored.is_empty() {
            let mask = observed_mask(o);
            for &n in &self.unanchored {
                let e = &self.entries[n as usize];
                if e.reads & mask != 0 {
                    // The value is named only when it matches.
                    out.push((n, String::new()));
                }
            }
        }
        out.sort_by_key(|(n, _)| *n);
    }
}

impl IntelIndex {
    /// Whether the index evaluates STIX patterns (callers may skip building
    /// an [`Observed`] otherwise).
    pub fn has_patterns(&self) -> bool {
        !self.patterns.is_empty()
    }

    /// Pattern indicators valid at `ts` that the event `o` matches:
    /// stateless patterns always, stateful ones when `states` (kept by the
    /// caller across the events of a stream, in time order) is given.
    /// Appends to `out`.
    pub fn pattern_matches(
        &self,
        o: &Observed<'_>,
        ts: Ts,
        states: Option<&mut PatternStates>,
        out: &mut Vec<PatternHit>,
    ) {
        self.matches_in(o, ts, states, &mut || None, out);
    }

    /// [`IntelIndex::pattern_matches`] with stateful patterns, keeping the
    /// evidence of the events that take part in them (`evidence` is called
    /// only for those): a match's hit names the earlier events of the match
    /// ([`PatternHit::earlier`]).
    pub fn pattern_matches_with(
        &self,
        o: &Observed<'_>,
        ts: Ts,
        states: &mut PatternStates,
        evidence: &mut dyn FnMut() -> Evidence,
        out: &mut Vec<PatternHit>,
    ) {
        self.matches_in(o, ts, Some(states), &mut || Some(evidence()), out);
    }

    fn matches_in(
        &self,
        o: &Observed<'_>,
        ts: Ts,
        mut states: Option<&mut PatternStates>,
        evidence: &mut dyn FnMut() -> Option<Evidence>,
        out: &mut Vec<PatternHit>,
    ) {
        if self.patterns.is_empty() {
            return;
        }
        let mut cands = Vec::new();
        self.patterns.candidates(o, &mut cands);
        for (n, matched) in cands {
            let e = &self.patterns.entries[n as usize];
            let Some(ind) = self.indicator(e.ind) else {
                continue;
            };
            if ind.valid_from.is_some_and(|f| ts < f) || ind.valid_until.is_some_and(|u| ts > u) {
                continue;
            }
            let (hit, earlier, start) = if e.stateless {
                (e.pattern.matches(o), Vec::new(), None)
            } else if let Some(st) = states.as_deref_mut() {
                match st.observe(n, e, o, ts, evidence) {
                    Some((start, earlier)) => (true, earlier, Some(start)),
                    None => (false, Vec::new(), None),
                }
            } else {
                (false, Vec::new(), None)
            };
            if hit {
                out.push(PatternHit {
                    indicator: e.ind,
                    matched: if matched.is_empty() {
                        first_value(e.reads, o).unwrap_or_default()
                    } else {
                        matched
                    },
                    earlier,
                    start,
                });
            }
        }
        if let Some(st) = states {
            st.tick(ts, &self.patterns);
        }
    }
}

#[derive(Debug)]
struct Open {
    state: PatternState,
    last: Ts,
    /// The latest events that took part, oldest first.
    events: VecDeque<(Ts, Evidence)>,
}

/// The partial matches of stateful patterns over one stream of events
/// (kept by the caller: a detector per lane). Bounded: see the module docs.
#[derive(Debug)]
pub struct PatternStates {
    open: HashMap<u32, Open>,
    cap: usize,
    seen: u64,
}

impl Default for PatternStates {
    fn default() -> Self {
        PatternStates::with_cap(MAX_OPEN_STATES)
    }
}

impl PatternStates {
    /// Empty, holding at most `cap` open states.
    pub fn with_cap(cap: usize) -> PatternStates {
        PatternStates {
            open: HashMap::new(),
            cap: cap.max(1),
            seen: 0,
        }
    }

    /// Patterns with an open state.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// Whether no state is open.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// Feeds entry `n` one event; on a match, its start and the evidence of
    /// its earlier events (none when `evidence` gives none).
    fn observe(
        &mut self,
        n: u32,
        e: &Entry,
        o: &Observed<'_>,
        ts: Ts,
        evidence: &mut dyn FnMut() -> Option<Evidence>,
    ) -> Option<(Ts, Vec<Evidence>)> {
        let open = self.open.entry(n).or_insert_with(|| Open {
            state: e.pattern.state(),
            last: ts,
            events: VecDeque::new(),
        });
        if ts.0 - open.last.0 > e.horizon_ms {
            // Every partial match is older than any match may span.
            open.state = e.pattern.state();
            open.events.clear();
        }
        open.last = open.last.max(ts);
        let step = open.state.step(o, ts);
        let earlier = step.matched.map(|(start, end)| {
            let evs = open
                .events
                .iter()
                .filter(|(t, _)| start <= *t && *t <= end)
                .map(|(_, ev)| ev.clone())
                .collect();
            (start, evs)
        });
        if let Some(ev) = step.seen.then(evidence).flatten() {
            open.events.retain(|(t, _)| ts.0 - t.0 <= e.horizon_ms);
            if open.events.len() >= MAX_STEP_EVIDENCE {
                open.events.pop_front();
            }
            open.events.push_back((ts, ev));
        }
        earlier
    }

    /// Drop idle states now and then, and the least recently used over the
    /// cap.
    fn tick(&mut self, now: Ts, set: &PatternSet) {
        self.seen += 1;
        if self.seen.is_multiple_of(4096) {
            self.open.retain(|n, o| {
                let h = set.entries.get(*n as usize).map_or(0, |e| e.horizon_ms);
                now.0 - o.last.0 <= h
            });
        }
        self.trim();
    }

    /// Over the cap, the least recently used go (down to 9/10 of it).
    fn trim(&mut self) {
        if self.open.len() > self.cap {
            let mut by_age: Vec<(Ts, u32)> = self.open.iter().map(|(n, o)| (o.last, *n)).collect();
            by_age.sort_unstable();
            let over = self.open.len() - self.cap * 9 / 10;
            for (_, n) in by_age.into_iter().take(over) {
                self.open.remove(&n);
            }
            tracing::debug!(
                cap = self.cap,
                "STIX pattern states over the cap: the least recently used dropped."
            );
        }
    }
}

/// The states of a [`PatternStates`] saved for a later run (an incremental
/// hunt's checkpoint), keyed by indicator id and a hash of the pattern's
/// text (as written back by the parser, so spacing does not count):
/// [`IntelIndex::save_pattern_states`], [`IntelIndex::restore_pattern_states`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPatternStates {
    states: Vec<SavedState>,
    seen: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SavedState {
    indicator: String,
    pattern: u64,
    /// Latest event time, ms.
    last: i64,
    state: NodeSnapshot,
    events: Vec<(i64, Evidence)>,
}

impl SavedPatternStates {
    /// States saved.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether no state was saved.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }
}

/// A saved pattern state that does not fit the pattern it is keyed to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the saved state of STIX pattern indicator {indicator} does not fit its pattern: {reason}")]
pub struct PatternStateError {
    /// The indicator's id.
    pub indicator: String,
    /// What does not fit.
    pub reason: String,
}

fn pattern_hash(p: &Pattern) -> u64 {
    Fnv64::default().field(&p.to_string()).finish()
}

impl IntelIndex {
    /// The open states of `st` (states of this index's patterns), saved for
    /// a later run; sorted by indicator id.
    pub fn save_pattern_states(&self, st: &PatternStates) -> SavedPatternStates {
        let mut states: Vec<SavedState> = st
            .open
            .iter()
            .filter_map(|(n, o)| {
                let e = self.patterns.entries.get(*n as usize)?;
                Some(SavedState {
                    indicator: self.indicator_id(e.ind)?.to_string(),
                    pattern: pattern_hash(&e.pattern),
                    last: o.last.0,
                    state: o.state.snapshot(),
                    events: o.events.iter().map(|(t, ev)| (t.0, ev.clone())).collect(),
                })
            })
            .collect();
        states.sort_by(|a, b| a.indicator.cmp(&b.indicator));
        SavedPatternStates {
            states,
            seen: st.seen,
        }
    }

    /// The states `saved` (by an index of an earlier run) of the patterns
    /// this index holds with the same indicator id and text, and how many
    /// were dropped (their pattern was removed or changed). A state that
    /// does not fit the pattern it is keyed to is an error naming the
    /// indicator.
    pub fn restore_pattern_states(
        &self,
        saved: SavedPatternStates,
    ) -> Result<(PatternStates, usize), PatternStateError> {
        let mut st = PatternStates {
            seen: saved.seen,
            ..PatternStates::default()
        };
        if saved.states.is_empty() {
            return Ok((st, 0));
        }
        let mut by_key: HashMap<(String, u64), u32> = HashMap::new();
        for (n, e) in self.patterns.entries.iter().enumerate() {
            if let (false, Some(id)) = (e.stateless, self.indicator_id(e.ind)) {
                by_key.insert((id.to_string(), pattern_hash(&e.pattern)), n as u32);
            }
        }
        let mut dropped = 0;
        for s in saved.states {
            let Some(&n) = by_key.get(&(s.indicator.clone(), s.pattern)) else {
                dropped += 1;
                continue;
            };
            let e = &self.patterns.entries[n as usize];
            let state = PatternState::restore(e.pattern.clone(), s.state).map_err(|reason| {
                PatternStateError {
                    indicator: s.indicator.clone(),
                    reason,
                }
            })?;
            let skip = s.events.len().saturating_sub(MAX_STEP_EVIDENCE);
            let events = s
                .events
                .into_iter()
                .skip(skip)
                .map(|(t, ev)| (Ts(t), ev))
                .collect();
            st.open.insert(
                n,
                Open {
                    state,
                    last: Ts(s.last),
                    events,
                },
            );
        }
        st.trim();
        Ok((st, dropped))
    }
}
