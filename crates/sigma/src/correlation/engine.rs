//! The correlator: resolves references, keeps per-group windows, emits
//! correlation hits (semantics in the module documentation).

use super::resolve::{resolve, Resolved};
use super::state::{gather, Counted, Gathered, Occ, Refs, State};
use super::{CorrelationHit, CorrelationRule, CorrelationType, EventKey};
use crate::LoadError;
use haboob_model::{FieldView, Ts, Value};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

/// Group-by and counted values longer than this are kept as a prefix and
/// a hash of the whole (attacker-controlled text stays bounded).
const MAX_VALUE_BYTES: usize = 256;

/// Limits of a [`Correlator`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Live groups per correlation at most; past it the group whose window
    /// ends first is evicted (not judged) and counted.
    pub max_groups: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_groups: 100_000,
        }
    }
}

/// A loaded base (non-correlation) rule correlations may reference, by id
/// or by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleRef {
    /// `id`.
    pub id: Option<String>,
    /// `name`.
    pub name: Option<String>,
}

/// What the correlator holds now, and what it dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryStats {
    /// Live groups, all correlations.
    pub groups: usize,
    /// Hits and values held in them.
    pub entries: usize,
    /// Groups evicted because a correlation reached
    /// [`Options::max_groups`] (since the start).
    pub evicted_groups: u64,
}

type GroupKey = Box<[Option<Box<str>>]>;

struct Group {
    key: GroupKey,
    deadline: Ts,
    /// After a hit, the group is quiet until every event of that hit has
    /// left the window: hits need `ts > quiet_until`.
    quiet_until: Ts,
    state: State,
}

/// The groups of one correlation: a slab, an index by key, and the groups
/// ordered by the time their window ends.
#[derive(Default)]
struct Table {
    slots: Vec<Option<Group>>,
    free: Vec<usize>,
    index: HashMap<GroupKey, usize>,
    deadlines: BTreeSet<(Ts, usize)>,
    evicted: u64,
}

impl Table {
    fn remove(&mut self, slot: usize) -> Option<Group> {
        let g = self.slots.get_mut(slot)?.take()?;
        self.deadlines.remove(&(g.deadline, slot));
        self.index.remove(&g.key);
        self.free.push(slot);
        Some(g)
    }

    fn insert(&mut self, g: Group) -> usize {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        self.deadlines.insert((g.deadline, slot));
        self.index.insert(g.key.clone(), slot);
        self.slots[slot] = Some(g);
        slot
    }
}

/// One loaded correlation, ready to run.
struct Compiled {
    node: usize,
    /// Judged when a fixed window closes (condition has an upper bound).
    fixed: bool,
    /// Smallest satisfying count (sliding) or saturation (fixed).
    keep: u64,
    /// Per referenced position: the fields read for group-by.
    group_fields: Vec<Vec<String>>,
    /// Per referenced position: the fields counted (value_count).
    value_fields: Vec<Vec<String>>,
    table: Table,
}

/// Runs correlation rules over the hits of the rules they reference.
pub struct Correlator {
    rules: Vec<CorrelationRule>,
    compiled: Vec<Compiled>,
    /// Rule id or name → node (base rules first, then correlations).
    keys: HashMap<String, usize>,
    base_nodes: usize,
    /// Node → (correlation, position in its `rules`) fed by its hits.
    subs: Vec<Vec<(usize, usize)>>,
    /// Node → referenced by a correlation without `generate: true`.
    muted: Vec<bool>,
    now: Ts,
    opts: Options,
}

impl Correlator {
    /// Builds a correlator over `rules`, whose references resolve against
    /// `base` (the loaded base rules) and each other. A correlation that
    /// references an unknown rule, one that did not load, or takes part in
    /// a reference cycle is left out and reported, as are the types and
    /// forms haboob does not run (`value_sum`, `value_avg`,
    /// `value_percentile`, a `temporal_ordered` condition other than all
    /// rules).
    pub fn new(
        rules: Vec<CorrelationRule>,
        base: &[RuleRef],
        opts: Options,
    ) -> (Correlator, Vec<LoadError>) {
        let base_nodes = base.len();
        let Resolved { keys, kept, errors } = resolve(rules, base);
        let nodes = base_nodes + kept.len();
        let mut subs = vec![Vec::new(); nodes];
        let mut muted = vec![false; nodes];
        let mut compiled = Vec::with_capacity(kept.len());
        let mut out_rules = Vec::with_capacity(kept.len());
        for (c, (r, nodes_ref)) in kept.into_iter().enumerate() {
            for (pos, &n) in nodes_ref.iter().enumerate() {
                subs[n].push((c, pos));
                muted[n] |= !r.generate;
            }
            let fixed = r.condition.has_upper_bound();
            let alias_of = |field: &str, reference: &str| -> String {
                r.aliases
                    .iter()
                    .find(|a| a.name == field)
                    .and_then(|a| a.fields.iter().find(|(rr, _)| rr == reference))
                    .map_or_else(|| field.to_owned(), |(_, f)| f.clone())
            };
            let per_pos = |names: &[String]| -> Vec<Vec<String>> {
                r.rules
                    .iter()
                    .map(|reference| names.iter().map(|g| alias_of(g, reference)).collect())
                    .collect()
            };
            compiled.push(Compiled {
                node: base_nodes + c,
                fixed,
                keep: if fixed {
                    r.condition.saturation()
                } else {
                    r.condition.min_count()
                },
                group_fields: per_pos(&r.group_by),
                value_fields: per_pos(&r.condition.field),
                table: Table::default(),
            });
            out_rules.push(r);
        }
        let correlator = Correlator {
            rules: out_rules,
            compiled,
            keys,
            base_nodes,
            subs,
            muted,
            now: Ts(i64::MIN),
            opts,
        };
        (correlator, errors)
    }

    /// The correlations that loaded (a hit's [`CorrelationHit::rule`]
    /// indexes this).
    pub fn rules(&self) -> &[CorrelationRule] {
        &self.rules
    }

    /// Whether a base rule reports its own hits: false when a correlation
    /// without `generate: true` references it (it only feeds the
    /// correlation), true otherwise.
    pub fn reports(&self, rule_id: &str, rule_name: Option<&str>) -> bool {
        self.node(rule_id, rule_name).is_none_or(|n| !self.muted[n])
    }

    /// Whether any correlation references this base rule.
    pub fn is_referenced(&self, rule_id: &str, rule_name: Option<&str>) -> bool {
        self.node(rule_id, rule_name)
            .is_some_and(|n| !self.subs[n].is_empty())
    }

    fn node(&self, rule_id: &str, rule_name: Option<&str>) -> Option<usize> {
        self.keys
            .get(rule_id)
            .or_else(|| rule_name.and_then(|n| self.keys.get(n)))
            .copied()
            .filter(|&n| n < self.base_nodes)
    }

    /// A base rule fired on one event at `ts` (hits come in time order).
    /// `fields` answers the group-by and counted fields; `event` is how the
    /// caller will recognise the event in hits. Returns the correlation
    /// hits that complete now, including windows closed by time passing.
    pub fn on_hit(
        &mut self,
        rule_id: &str,
        rule_name: Option<&str>,
        ts: Ts,
        fields: &dyn FieldView,
        event: EventKey,
    ) -> Vec<CorrelationHit> {
        let mut out = Vec::new();
        if self.compiled.is_empty() {
            return out;
        }
        self.now = self.now.max(ts);
        self.advance(ts, None, &mut out);
        if let Some(node) = self.node(rule_id, rule_name) {
            let occ = Occ {
                ts,
                first: ts,
                refs: Refs::One(event),
                total: 1,
            };
            self.feed(node, fields, &occ, &mut out);
        }
        out
    }

    /// End of input: judges the windows still open (conditions with an
    /// upper bound) and forgets every group.
    pub fn finish(&mut self) -> Vec<CorrelationHit> {
        let mut out = Vec::new();
        let clock = self.now;
        self.advance(Ts(i64::MAX), Some(clock), &mut out);
        out
    }

    /// What is held now and what was evicted.
    pub fn memory(&self) -> MemoryStats {
        let mut m = MemoryStats::default();
        for c in &self.compiled {
            m.groups += c.table.index.len();
            m.evicted_groups += c.table.evicted;
            m.entries += c
                .table
                .slots
                .iter()
                .flatten()
                .map(|g| g.state.entries())
                .sum::<usize>();
        }
        m
    }

    /// Moves the clock to `now`: drops groups whose window has emptied and
    /// judges fixed windows that ended, in order of their end. `clock`
    /// (at finish) caps the completion time of windows judged early.
    fn advance(&mut self, now: Ts, clock: Option<Ts>, out: &mut Vec<CorrelationHit>) {
        loop {
            let next = self
                .compiled
                .iter()
                .enumerate()
                .filter_map(|(c, comp)| comp.table.deadlines.first().map(|&(d, s)| (d, c, s)))
                .filter(|&(d, _, _)| d < now)
                .min();
            let Some((deadline, c, slot)) = next else {
                break;
            };
            let Some(group) = self.compiled[c].table.remove(slot) else {
                break;
            };
            if matches!(group.state, State::Window(_)) {
                let kind = self.rules[c].kind;
                let count = group.state.count(kind);
                let measure = group.state.measure(kind);
                if let Some(value) = measure.filter(|v| self.rules[c].condition.holds(*v)) {
                    let gathered = group.state.gather();
                    let at = clock.map_or(deadline, |k| deadline.min(k.max(gathered.last)));
                    let hit = self.hit(c, &group.key, (count, value), gathered, at);
                    self.emit(hit, out);
                }
            }
        }
    }

    /// Feeds one hit of `node` to every correlation that references it.
    fn feed(
        &mut self,
        node: usize,
        fields: &dyn FieldView,
        occ: &Occ,
        out: &mut Vec<CorrelationHit>,
    ) {
        for i in 0..self.subs[node].len() {
            let (c, pos) = self.subs[node][i];
            if let Some(hit) = self.occur(c, pos, fields, occ.clone()) {
                self.emit(hit, out);
            }
        }
    }

    /// A correlation hit: feeds the correlations over it, then reports it
    /// unless a correlation without `generate` references it.
    fn emit(&mut self, hit: CorrelationHit, out: &mut Vec<CorrelationHit>) {
        let node = self.compiled[hit.rule].node;
        if !self.subs[node].is_empty() {
            let occ = Occ {
                ts: hit.at,
                first: hit.first,
                refs: Refs::Many(Arc::from(hit.events.as_slice())),
                total: hit.events_total,
            };
            self.feed(node, &HitFields(&hit), &occ, out);
        }
        if !self.muted[node] {
            out.push(hit);
        }
    }

    /// One hit at referenced position `pos` of correlation `c`.
    fn occur(
        &mut self,
        c: usize,
        pos: usize,
        fields: &dyn FieldView,
        occ: Occ,
    ) -> Option<CorrelationHit> {
        let rule = &self.rules[c];
        let comp = &mut self.compiled[c];
        let ts = occ.ts;
        let span = rule.timespan.ms;
        let key: GroupKey = comp.group_fields[pos]
            .iter()
            .map(|f| bounded(fields.field(f)))
            .collect();
        let value = match rule.kind {
            CorrelationType::ValueCount => {
                tuple(&comp.value_fields[pos], fields).map_or(Counted::Nothing, Counted::Text)
            }
            CorrelationType::ValueSum | CorrelationType::ValueAvg => comp.value_fields[pos]
                .first()
                .and_then(|f| number(fields.field(f)))
                .map_or(Counted::Nothing, Counted::Number),
            _ => Counted::Nothing,
        };
        let slot = match comp.table.index.get(&key) {
            Some(&s) => s,
            None => {
                if comp.table.index.len() >= self.opts.max_groups.max(1) {
                    if let Some(&(_, victim)) = comp.table.deadlines.first() {
                        comp.table.remove(victim);
                        comp.table.evicted += 1;
                    }
                }
                let state = State::new(rule.kind, comp.fixed, rule.rules.len(), comp.keep, ts);
                comp.table.insert(Group {
                    key: key.clone(),
                    deadline: Ts(ts.0.saturating_add(span)),
                    quiet_until: Ts(i64::MIN),
                    state,
                })
            }
        };
        let table = &mut comp.table;
        let group = table.slots[slot].as_mut()?;
        if comp.fixed {
            group.state.push(pos, occ, value);
            return None;
        }
        group.state.evict(Ts(ts.0.saturating_sub(span)));
        let mut fired: Option<((u64, f64), Gathered)> = None;
        if rule.kind == CorrelationType::TemporalOrdered {
            if let Some(seq) = group.state.push_ordered(pos, occ) {
                let n = seq.len() as u64;
                fired = Some(((n, n as f64), gather(&seq)));
            }
        } else {
            group.state.push(pos, occ, value);
            let count = group.state.count(rule.kind);
            let measure = group.state.measure(rule.kind);
            if let Some(v) = measure.filter(|v| ts > group.quiet_until && rule.condition.holds(*v))
            {
                group.quiet_until = Ts(ts.0.saturating_add(span));
                fired = Some(((count, v), group.state.gather()));
            }
        }
        let deadline = Ts(ts.0.saturating_add(span));
        if deadline != group.deadline {
            table.deadlines.remove(&(group.deadline, slot));
            group.deadline = deadline;
            table.deadlines.insert((deadline, slot));
        }
        let (count, gathered) = fired?;
        // The hit that completed it (for value_count it may carry no value
        // and so not be among the events listed).
        let at = ts;
        let key = group.key.clone();
        Some(self.hit(c, &key, count, gathered, at))
    }

    fn hit(
        &self,
        c: usize,
        key: &GroupKey,
        (count, value): (u64, f64),
        g: Gathered,
        at: Ts,
    ) -> CorrelationHit {
        let r = &self.rules[c];
        CorrelationHit {
            rule: c,
            id: r.id.clone(),
            title: r.title.clone(),
            level: r.level.clone(),
            group: r
                .group_by
                .iter()
                .zip(key.iter())
                .map(|(n, v)| (n.clone(), v.as_deref().map(str::to_owned)))
                .collect(),
            first: g.first,
            last: g.last,
            at,
            count,
            value,
            events: g.events,
            events_total: g.total,
        }
    }
}

/// A field's value as a group-by or counted value: `None` for null,
/// missing or empty; long text as a prefix and a hash.
fn bounded(v: Option<Value<'_>>) -> Option<Box<str>> {
    let s: Cow<'_, str> = match v? {
        Value::Null => return None,
        Value::Int(n) => Cow::Owned(n.to_string()),
        Value::Str(s) => s,
    };
    if s.is_empty() {
        return None;
    }
    if s.len() <= MAX_VALUE_BYTES {
        return Some(s.into());
    }
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    let kept = haboob_model::bounded(&s, MAX_VALUE_BYTES - 24);
    Some(format!("{kept}…#{:016x}", h.finish()).into())
}

/// A field's value as a number to add (value_sum, value_avg): integers,
/// and text that reads as a finite number; `None` otherwise.
fn number(v: Option<Value<'_>>) -> Option<f64> {
    match v? {
        Value::Int(n) => Some(n as f64),
        Value::Str(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        Value::Null => None,
    }
}

/// The counted value of a hit: one field's value, or the tuple of several
/// (`None` when any is null).
fn tuple(names: &[String], fields: &dyn FieldView) -> Option<Box<str>> {
    if let [one] = names {
        return bounded(fields.field(one));
    }
    let mut parts = Vec::with_capacity(names.len());
    for n in names {
        parts.push(bounded(fields.field(n))?);
    }
    Some(parts.join("\u{1f}").into())
}

/// The fields of a correlation hit fed to a correlation over it: its
/// group-by values by their names.
struct HitFields<'a>(&'a CorrelationHit);

impl FieldView for HitFields<'_> {
    fn field(&self, name: &str) -> Option<Value<'_>> {
        self.0
            .group
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| match v {
                Some(s) => Value::from(s.as_str()),
                None => Value::Null,
            })
    }

    fn for_each_field(&self, f: &mut dyn FnMut(&str, Value<'_>)) {
        for (n, v) in &self.0.group {
            f(n, v.as_deref().map_or(Value::Null, Value::from));
        }
    }
}
