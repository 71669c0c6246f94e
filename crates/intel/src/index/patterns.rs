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

use super::{BuildOptions, IntelIndex};
use crate::pattern::{first_value, observed_mask, Pattern, PatternState};
use crate::{Indicator, IndicatorCondition, Observable, Observed, Provenance};
use haboob_model::Ts;
use std::collections::HashMap;

/// Most patterns without an anchor accepted in one index (each is
/// evaluated on every event that carries a field it reads).
pub const MAX_UNANCHORED: usize = 256;
/// Most stateful patterns with an open state per [`PatternStates`].
pub const MAX_OPEN_STATES: usize = 10_000;
/// How long the partial match of a stateful pattern without a `WITHIN` on
/// the whole pattern is kept without a new event: a day.
pub const DEFAULT_HORIZON_SECS: i64 = 86_400;

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
        mut states: Option<&mut PatternStates>,
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
            let hit = if e.stateless {
                e.pattern.matches(o)
            } else if let Some(st) = states.as_deref_mut() {
                st.observe(n, e, o, ts)
            } else {
                false
            };
            if hit {
                out.push(PatternHit {
                    indicator: e.ind,
                    matched: if matched.is_empty() {
                        first_value(e.reads, o).unwrap_or_default()
                    } else {
                        matched
                    },
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

    fn observe(&mut self, n: u32, e: &Entry, o: &Observed<'_>, ts: Ts) -> bool {
        let open = self.open.entry(n).or_insert_with(|| Open {
            state: e.pattern.state(),
            last: ts,
        });
        if ts.0 - open.last.0 > e.horizon_ms {
            // Every partial match is older than any match may span.
            open.state = e.pattern.state();
        }
        open.last = open.last.max(ts);
        open.state.observe(o, ts)
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
