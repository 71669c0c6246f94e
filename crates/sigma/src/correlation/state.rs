//! What one group of one correlation remembers, per correlation type, and
//! how it counts.

use super::{CorrelationType, EventKey, MAX_HIT_EVENTS};
use haboob_model::Ts;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// The events behind one hit fed to a correlation: one base event, or the
/// events a lower correlation's hit listed.
#[derive(Debug, Clone)]
pub(super) enum Refs {
    /// A base-rule hit.
    One(EventKey),
    /// A correlation hit (at most [`MAX_HIT_EVENTS`]).
    Many(Arc<[EventKey]>),
}

/// One hit fed to a correlation.
#[derive(Debug, Clone)]
pub(super) struct Occ {
    /// When (a correlation hit: when it completed).
    pub ts: Ts,
    /// When its earliest event happened (`ts` for a base event).
    pub first: Ts,
    /// The events it stands for (listed).
    pub refs: Refs,
    /// How many events it stands for in all.
    pub total: u64,
}

impl Occ {
    fn refs(&self) -> &[EventKey] {
        match &self.refs {
            Refs::One(k) => std::slice::from_ref(k),
            Refs::Many(ks) => ks,
        }
    }
}

/// The events of a hit: the first [`MAX_HIT_EVENTS`] references, the
/// total, and the first and last times.
pub(super) struct Gathered {
    pub events: Vec<EventKey>,
    pub total: u64,
    pub first: Ts,
    pub last: Ts,
}

/// Gathers occurrences given in time order.
pub(super) fn gather<'a>(occs: impl IntoIterator<Item = &'a Occ>) -> Gathered {
    let mut g = Gathered {
        events: Vec::new(),
        total: 0,
        first: Ts(i64::MAX),
        last: Ts(i64::MIN),
    };
    for o in occs {
        g.first = g.first.min(o.first);
        g.last = g.last.max(o.ts);
        g.total = g.total.saturating_add(o.total);
        let room = MAX_HIT_EVENTS - g.events.len();
        g.events.extend(o.refs().iter().take(room));
    }
    g
}

/// Distinct values in a sliding window: per value its latest hit, at most
/// `keep` values (the most recent; older ones cannot change a lower-bound
/// condition's outcome once `keep` newer ones are in the window).
#[derive(Debug)]
pub(super) struct Values {
    latest: HashMap<Box<str>, Occ>,
    /// (time, value) in arrival order; an entry is stale when the value's
    /// latest time differs (it was seen again).
    order: VecDeque<(Ts, Box<str>)>,
    keep: usize,
}

impl Values {
    fn evict(&mut self, cutoff: Ts) {
        while let Some((ts, v)) = self.order.front() {
            if *ts >= cutoff && self.latest.len() <= self.keep {
                // Nothing to drop (a stale entry here waits its turn).
                break;
            }
            let live = self.latest.get(v).is_some_and(|o| o.ts == *ts);
            if live && *ts >= cutoff && self.latest.len() <= self.keep {
                break;
            }
            if live {
                self.latest.remove(v);
            }
            self.order.pop_front();
        }
    }

    fn push(&mut self, value: Box<str>, occ: Occ) {
        self.order.push_back((occ.ts, value.clone()));
        self.latest.insert(value, occ);
        if self.order.len() > 2 * self.latest.len() + 64 {
            // Many repeats of the same values: rebuild the order from the
            // live entries (amortised, keeps `order` proportional).
            let mut live: Vec<(Ts, Box<str>)> =
                self.latest.iter().map(|(v, o)| (o.ts, v.clone())).collect();
            live.sort();
            self.order = live.into();
        }
    }
}

/// A temporal_ordered sequence in progress: it ends with the rule at this
/// position, started at `start`.
#[derive(Debug)]
pub(super) struct Chain {
    start: Ts,
    occs: Vec<Occ>,
}

/// A fixed window (conditions with an upper bound): opened by a group's
/// first hit, judged when it closes.
#[derive(Debug)]
pub(super) struct Window {
    pub start: Ts,
    events: u64,
    /// Distinct values (value_count), at most `saturation`.
    values: HashSet<Box<str>>,
    /// Referenced rules seen (temporal).
    seen: Vec<bool>,
    /// The first hits, until [`MAX_HIT_EVENTS`] references are listed.
    occs: Vec<Occ>,
    listed: usize,
    total: u64,
    last: Ts,
    saturation: u64,
}

/// Per-group state.
#[derive(Debug)]
pub(super) enum State {
    /// event_count, sliding: the latest `keep` hits in the window.
    Count { occs: VecDeque<Occ>, keep: usize },
    /// value_count, sliding.
    Values(Values),
    /// temporal, sliding: the latest hit of each referenced rule.
    Temporal { latest: Vec<Option<Occ>> },
    /// temporal_ordered: per position, the latest-starting sequence that
    /// ends there.
    Ordered { chains: Vec<Option<Chain>> },
    /// Any type with an upper-bounded condition.
    Window(Window),
}

impl State {
    /// A new group's state. `keep` is the condition's smallest satisfying
    /// count (sliding) or its saturation (window).
    pub fn new(kind: CorrelationType, fixed: bool, positions: usize, keep: u64, at: Ts) -> State {
        let keep_n = usize::try_from(keep).unwrap_or(usize::MAX);
        if fixed {
            return State::Window(Window {
                start: at,
                events: 0,
                values: HashSet::new(),
                seen: vec![false; positions],
                occs: Vec::new(),
                listed: 0,
                total: 0,
                last: at,
                saturation: keep,
            });
        }
        match kind {
            CorrelationType::ValueCount => State::Values(Values {
                latest: HashMap::new(),
                order: VecDeque::new(),
                keep: keep_n,
            }),
            CorrelationType::Temporal => State::Temporal {
                latest: vec![None; positions],
            },
            CorrelationType::TemporalOrdered => State::Ordered {
                chains: (0..positions).map(|_| None).collect(),
            },
            _ => State::Count {
                occs: VecDeque::new(),
                keep: keep_n.max(1),
            },
        }
    }

    /// Forgets what lies before `cutoff` (sliding states).
    pub fn evict(&mut self, cutoff: Ts) {
        match self {
            State::Count { occs, .. } => {
                while occs.front().is_some_and(|o| o.ts < cutoff) {
                    occs.pop_front();
                }
            }
            State::Values(v) => v.evict(cutoff),
            State::Temporal { latest } => {
                for slot in latest.iter_mut() {
                    if slot.as_ref().is_some_and(|o| o.ts < cutoff) {
                        *slot = None;
                    }
                }
            }
            State::Ordered { chains } => {
                for slot in chains.iter_mut() {
                    if slot.as_ref().is_some_and(|c| c.start < cutoff) {
                        *slot = None;
                    }
                }
            }
            State::Window(_) => {}
        }
    }

    /// The count the condition is tested on.
    pub fn count(&self, kind: CorrelationType) -> u64 {
        match self {
            State::Count { occs, .. } => occs.len() as u64,
            State::Values(v) => v.latest.len() as u64,
            State::Temporal { latest } => latest.iter().flatten().count() as u64,
            State::Ordered { .. } => 0,
            State::Window(w) => match kind {
                CorrelationType::ValueCount => w.values.len() as u64,
                CorrelationType::Temporal | CorrelationType::TemporalOrdered => {
                    w.seen.iter().filter(|s| **s).count() as u64
                }
                _ => w.events,
            },
        }
    }

    /// Adds a hit at referenced position `pos`; `value` is the counted
    /// value (value_count; `None` when null). Not for temporal_ordered.
    pub fn push(&mut self, pos: usize, occ: Occ, value: Option<Box<str>>) {
        match self {
            State::Count { occs, keep } => {
                occs.push_back(occ);
                while occs.len() > *keep {
                    occs.pop_front();
                }
            }
            State::Values(v) => {
                if let Some(value) = value {
                    v.push(value, occ);
                    if v.latest.len() > v.keep {
                        v.evict(Ts(i64::MIN));
                    }
                }
            }
            State::Temporal { latest } => {
                if let Some(slot) = latest.get_mut(pos) {
                    *slot = Some(occ);
                }
            }
            State::Ordered { .. } => {}
            State::Window(w) => {
                w.events = w.events.saturating_add(1);
                w.last = w.last.max(occ.ts);
                if let Some(seen) = w.seen.get_mut(pos) {
                    *seen = true;
                }
                if let Some(value) = value {
                    if (w.values.len() as u64) < w.saturation {
                        w.values.insert(value);
                    }
                }
                w.total = w.total.saturating_add(occ.total);
                if w.listed < MAX_HIT_EVENTS {
                    w.listed += occ.refs().len();
                    w.occs.push(occ);
                }
            }
        }
    }

    /// temporal_ordered: adds a hit of position `pos` of `n`; returns the
    /// completed sequence (and starts over) when `pos` is the last.
    pub fn push_ordered(&mut self, pos: usize, occ: Occ) -> Option<Vec<Occ>> {
        let State::Ordered { chains } = self else {
            return None;
        };
        let n = chains.len();
        let chain = if pos == 0 {
            Chain {
                start: occ.ts,
                occs: vec![occ],
            }
        } else {
            let prev = chains.get(pos - 1)?.as_ref()?;
            let mut occs = prev.occs.clone();
            occs.push(occ);
            Chain {
                start: prev.start,
                occs,
            }
        };
        if pos + 1 == n {
            chains.iter_mut().for_each(|c| *c = None);
            return Some(chain.occs);
        }
        if let Some(slot) = chains.get_mut(pos) {
            *slot = Some(chain);
        }
        None
    }

    /// The hits a correlation hit lists, in time order.
    pub fn gather(&self) -> Gathered {
        match self {
            State::Count { occs, .. } => gather(occs),
            State::Values(v) => {
                let mut occs: Vec<&Occ> = v.latest.values().collect();
                occs.sort_by_key(|o| o.ts);
                gather(occs)
            }
            State::Temporal { latest } => {
                let mut occs: Vec<&Occ> = latest.iter().flatten().collect();
                occs.sort_by_key(|o| o.ts);
                gather(occs)
            }
            State::Ordered { .. } => gather(None),
            State::Window(w) => {
                let mut g = gather(&w.occs);
                g.total = w.total;
                g.first = w.start;
                g.last = w.last;
                g
            }
        }
    }

    /// How many hits (or values) the state holds: the memory measure.
    pub fn entries(&self) -> usize {
        match self {
            State::Count { occs, .. } => occs.len(),
            State::Values(v) => v.latest.len() + v.order.len(),
            State::Temporal { latest } => latest.iter().flatten().count(),
            State::Ordered { chains } => chains.iter().flatten().map(|c| c.occs.len()).sum(),
            State::Window(w) => w.values.len() + w.occs.len(),
        }
    }
}
