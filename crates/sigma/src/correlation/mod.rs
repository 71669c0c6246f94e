//! Sigma correlation rules (Sigma v2: `event_count`, `value_count`,
//! `temporal`, `temporal_ordered`), windowed per group key with bounded
//! memory.
//!
//! A correlation does not read events: it reads *hits* of the rules it
//! references (base rules, matched elsewhere, or other correlations). The
//! caller feeds every base-rule hit to [`Correlator::on_hit`] in time order
//! (the hunt guarantees it) and gets back the correlation hits that
//! complete; [`Correlator::finish`] at the end of input.
//!
//! # Semantics (what haboob decided where the specification is silent)
//!
//! - **Timespan.** Two hits are within the timespan when their times differ
//!   by at most the timespan (inclusive): with `timespan: 5m`, hits at 0 s
//!   and 300 s are together, 0 s and 301 s are not.
//! - **Group-by.** Hits are counted per distinct tuple of group-by values.
//!   A field the event does not have, or leaves empty, groups under *null*
//!   (one group, as SQL's `GROUP BY` does with NULL), distinct from every
//!   non-empty value. A correlation without `group-by` has one group (as
//!   pySigma reads it; the specification's schema asks for `group-by`).
//!   Values are compared as text (`4625` the integer equals `"4625"`);
//!   values longer than 256 bytes are kept as a prefix and a hash.
//! - **Aliases.** A `group-by` name that is an alias reads, for the hits of
//!   each referenced rule, the field the alias names for that rule (the
//!   name itself where the alias has no entry for the rule). Aliases apply
//!   to `condition.field` too.
//! - **value_count** counts distinct non-null values of `condition.field`
//!   (a list of fields counts distinct tuples; a hit missing one of them
//!   adds no value, as SQL's `COUNT(DISTINCT …)` skips NULL).
//! - **temporal** counts the distinct referenced rules seen in the window;
//!   without a condition it needs all of them (`gte: <number of rules>`, as
//!   pySigma). **temporal_ordered** needs all of them in the listed order
//!   (arrival order; equal times keep arrival order) with the first and the
//!   last within the timespan. A condition on `temporal_ordered` other
//!   than "all of them" is reported unsupported.
//! - **When a hit is emitted (lower bounds only: `gt`, `gte`).** The count
//!   is taken over a sliding window, the hits of the group within the
//!   timespan before and at the current hit, and tested as each hit
//!   arrives. A hit is emitted when the condition holds; the group then
//!   stays quiet until every event of that hit has left the window (one
//!   timespan after the hit), so a group yields at most one hit per
//!   timespan: a burst gives one hit, a flood one per timespan, never one
//!   per additional event. (Re-arming as soon as the count dips would fire
//!   on every event of a stream whose rate sits at the threshold.)
//!   `temporal_ordered` starts over after each hit (every hit consumes its
//!   sequence).
//! - **When a hit is emitted (any upper bound: `lt`, `lte`, `eq`, `neq`,
//!   or a range).** A count that may still grow cannot be judged while the
//!   window is open, so these windows are fixed: a group's window opens at
//!   its first hit and closes one timespan later; the condition is tested
//!   on the final count when the window closes, that is when a later hit
//!   (of any rule) arrives past its end, or at [`Correlator::finish`]. The
//!   next hit of the group opens a new window.
//! - **Correlations of correlations.** A correlation's hit is one hit of
//!   the correlations that reference it, at the hit's completion time
//!   ([`CorrelationHit::at`]), whose fields are the group-by values of the
//!   hit (by their group-by names).
//! - **generate.** By default (`generate: false`) the rules a correlation
//!   references do not report their own hits (they only feed it); see
//!   [`Correlator::reports`]. This applies to referenced correlations too:
//!   their hits feed the outer correlation and are not returned.
//! - **Memory.** Per group only what the condition can still use: at most
//!   the threshold's number of hits (or distinct values) of the window,
//!   the latest hit per referenced rule (temporal), the open sequences
//!   (temporal_ordered). Groups are dropped when their window empties; a
//!   cap on live groups per correlation ([`Options::max_groups`]) evicts
//!   the group whose window ends first, counted in
//!   [`MemoryStats::evicted_groups`].

mod engine;
mod parse;
mod resolve;
mod state;

#[cfg(test)]
mod tests_chain;
#[cfg(test)]
mod tests_engine;
#[cfg(test)]
mod tests_parse;
#[cfg(test)]
mod tests_prop;

pub use engine::{Correlator, MemoryStats, Options, RuleRef};
pub use parse::parse;

use haboob_model::Ts;
use std::path::PathBuf;

/// At most this many event references are listed in a hit
/// ([`CorrelationHit::events`]); [`CorrelationHit::events_total`] counts all.
pub const MAX_HIT_EVENTS: usize = 32;

/// The kind of a correlation (`correlation.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CorrelationType {
    /// Number of hits in the timespan.
    EventCount,
    /// Number of distinct values of `condition.field` in the timespan.
    ValueCount,
    /// All (or `condition`-many) referenced rules within the timespan.
    Temporal,
    /// All referenced rules within the timespan, in the listed order.
    TemporalOrdered,
    /// Sum of a numeric field (specification 2.1; parsed, not run).
    ValueSum,
    /// Average of a numeric field (specification 2.1; parsed, not run).
    ValueAvg,
    /// Percentile of a field's values (specification 2.1; parsed, not run).
    ValuePercentile,
}

impl CorrelationType {
    /// The name as written in rules.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrelationType::EventCount => "event_count",
            CorrelationType::ValueCount => "value_count",
            CorrelationType::Temporal => "temporal",
            CorrelationType::TemporalOrdered => "temporal_ordered",
            CorrelationType::ValueSum => "value_sum",
            CorrelationType::ValueAvg => "value_avg",
            CorrelationType::ValuePercentile => "value_percentile",
        }
    }

    /// Whether `condition.field` is required (the `value_*` types).
    pub fn needs_field(self) -> bool {
        matches!(
            self,
            CorrelationType::ValueCount
                | CorrelationType::ValueSum
                | CorrelationType::ValueAvg
                | CorrelationType::ValuePercentile
        )
    }

    /// Whether the type is `temporal` or `temporal_ordered`.
    pub fn is_temporal(self) -> bool {
        matches!(
            self,
            CorrelationType::Temporal | CorrelationType::TemporalOrdered
        )
    }
}

/// `correlation.condition`: bounds on the count, all of which must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Condition {
    /// `gt`: count > value.
    pub gt: Option<f64>,
    /// `gte`: count ≥ value.
    pub gte: Option<f64>,
    /// `lt`: count < value.
    pub lt: Option<f64>,
    /// `lte`: count ≤ value.
    pub lte: Option<f64>,
    /// `eq`: count = value.
    pub eq: Option<f64>,
    /// `neq`: count ≠ value.
    pub neq: Option<f64>,
    /// `field`: the field(s) whose values are counted (`value_*` types).
    pub field: Vec<String>,
}

impl Condition {
    /// Whether a count satisfies every bound.
    pub fn holds(&self, n: f64) -> bool {
        self.gt.is_none_or(|v| n > v)
            && self.gte.is_none_or(|v| n >= v)
            && self.lt.is_none_or(|v| n < v)
            && self.lte.is_none_or(|v| n <= v)
            && self.eq.is_none_or(|v| n == v)
            && self.neq.is_none_or(|v| n != v)
    }

    /// Whether a bound can turn false as the count grows (`lt`, `lte`,
    /// `eq`, `neq`): such conditions are judged when a window closes.
    pub fn has_upper_bound(&self) -> bool {
        self.lt.is_some() || self.lte.is_some() || self.eq.is_some() || self.neq.is_some()
    }

    /// The smallest whole count that satisfies a condition of lower bounds
    /// only (at least 1: a group exists once it has one hit).
    pub(crate) fn min_count(&self) -> u64 {
        let mut n: f64 = 1.0;
        if let Some(v) = self.gte {
            n = n.max(v.ceil());
        }
        if let Some(v) = self.gt {
            n = n.max(v.floor() + 1.0);
        }
        // Counts above u32::MAX hits per group are not representable in a
        // window anyway; saturate.
        n.min(f64::from(u32::MAX)) as u64
    }

    /// The count past which the condition's truth no longer changes (the
    /// largest threshold, plus one).
    pub(crate) fn saturation(&self) -> u64 {
        let m = [self.gt, self.gte, self.lt, self.lte, self.eq, self.neq]
            .into_iter()
            .flatten()
            .fold(0.0_f64, f64::max);
        (m.floor() + 1.0).clamp(1.0, f64::from(u32::MAX)) as u64
    }
}

/// `correlation.timespan`: the text as written and its length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timespan {
    /// As written (`5m`).
    pub spec: String,
    /// In milliseconds.
    pub ms: i64,
}

/// One `aliases` entry: a group-by name and, per referenced rule (as
/// written in `correlation.rules`), the field it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The name used in `group-by`.
    pub name: String,
    /// (rule reference, field name) pairs.
    pub fields: Vec<(String, String)>,
}

/// A parsed correlation rule (one YAML document with a `correlation`
/// section).
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationRule {
    /// The file it was read from.
    pub path: PathBuf,
    /// `id`.
    pub id: Option<String>,
    /// `name` (how other correlations may reference it).
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `status`.
    pub status: Option<String>,
    /// `level`.
    pub level: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `correlation.type`.
    pub kind: CorrelationType,
    /// `correlation.rules`: referenced rules, by id or name, as written.
    pub rules: Vec<String>,
    /// `correlation.group-by`.
    pub group_by: Vec<String>,
    /// `correlation.timespan`.
    pub timespan: Timespan,
    /// `correlation.condition` (for temporal types without one: all rules).
    pub condition: Condition,
    /// `correlation.aliases`.
    pub aliases: Vec<Alias>,
    /// `correlation.generate`: whether referenced rules also report their
    /// own hits (default false).
    pub generate: bool,
}

impl CorrelationRule {
    /// The id, or the title when the rule has none (for messages).
    pub fn label(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.title)
    }
}

/// An opaque reference to one event, chosen by the caller (record number,
/// offset, …); correlation hits list the events they group by these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKey(pub u64);

/// A correlation that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationHit {
    /// Index of the correlation in [`Correlator::rules`].
    pub rule: usize,
    /// Its id.
    pub id: Option<String>,
    /// Its title.
    pub title: String,
    /// Its level.
    pub level: Option<String>,
    /// The group: each `group-by` name with its value (`None`: null or
    /// missing).
    pub group: Vec<(String, Option<String>)>,
    /// Time of the earliest event grouped (through correlations of
    /// correlations, the earliest base event).
    pub first: Ts,
    /// Time of the latest hit grouped.
    pub last: Ts,
    /// When the correlation was complete: the time of the hit that made
    /// the condition true (lower bounds), the window's end for windows
    /// judged when they close.
    pub at: Ts,
    /// The count the condition was tested on: hits (event_count), distinct
    /// values (value_count), distinct referenced rules (temporal, and for
    /// temporal_ordered the length of the sequence).
    pub count: u64,
    /// The first [`MAX_HIT_EVENTS`] events grouped.
    pub events: Vec<EventKey>,
    /// How many events the hit groups in all (those counted, or for
    /// value_count and temporal the latest event of each value or rule).
    pub events_total: u64,
}
