//! The compiled rule set and its dispatch: rules bucketed by family and,
//! for Windows, by `EventID` (read once per event; only that bucket and the
//! rules without an `EventID` constraint run).

use crate::compile::Detection;
use crate::eval::Item;
use crate::mapping::Family;
use crate::prefilter::{needles, Cnf, Pre, MIN_RULES};
use haboob_model::{FieldView, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Index of a rule in its [`RuleSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleIdx(pub u32);

/// A rule's `level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `informational`
    Informational,
    /// `low`
    Low,
    /// `medium` (also when the rule gives none)
    Medium,
    /// `high`
    High,
    /// `critical`
    Critical,
}

impl Level {
    /// The level named `s` (Sigma's spelling), `None` for anything else.
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "informational" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }

    /// Sigma's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

/// What a loaded rule is: identity, metadata, origin.
#[derive(Debug, Clone)]
pub struct RuleMeta {
    /// `id` (empty when the rule has none).
    pub id: String,
    /// `name` (Sigma 2; correlations may refer to it).
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `level` (medium when absent).
    pub level: Level,
    /// `status` (empty when absent).
    pub status: String,
    /// `tags` as written.
    pub tags: Vec<String>,
    /// ATT&CK technique ids from the tags (`attack.t1110.003` → `T1110.003`).
    pub techniques: Vec<String>,
    /// `description`.
    pub description: String,
    /// The file.
    pub path: PathBuf,
    /// 1-based line of the rule's document in the file.
    pub line: usize,
    /// The records the rule runs on.
    pub family: Family,
}

/// A correlation document (Sigma 2), handed as parsed YAML to the
/// correlation engine.
#[derive(Debug, Clone)]
pub struct CorrelationDoc {
    /// The file.
    pub path: PathBuf,
    /// 1-based line of the document in the file.
    pub line: usize,
    /// The document (with a collection's `global` part merged in).
    pub doc: serde_yaml_ng::Value,
}

/// One compiled (rule, mapping variant).
#[derive(Debug, Clone)]
pub(crate) struct Program {
    pub(crate) rule: RuleIdx,
    /// The variant's conditions (`Channel`, `EventID`).
    pub(crate) pre: Vec<Item>,
    pub(crate) det: Detection,
}

impl Program {
    fn eval(&self, ev: &dyn FieldView) -> bool {
        self.pre.iter().all(|i| i.eval(ev)) && self.det.cond.eval(&self.det.sels, ev)
    }
}

/// Programs run for one dispatch key, with their prefilter.
#[derive(Debug, Clone, Default)]
struct List {
    progs: Vec<u32>,
    pre: Option<LazyPre>,
}

/// A prefilter built on the list's first event: the lists of event ids a
/// set of logs never holds cost nothing (building the automata of every
/// list was most of the loading time of the SigmaHQ Windows rules).
#[derive(Debug, Clone)]
struct LazyPre {
    /// Each program's needles (same order as the list's programs).
    cnfs: Vec<Cnf>,
    built: OnceLock<Option<Pre>>,
}

impl LazyPre {
    fn get(&self) -> Option<&Pre> {
        self.built.get_or_init(|| Pre::build(&self.cnfs)).as_ref()
    }
}

#[derive(Debug, Clone, Default)]
struct Bucket {
    by_eid: HashMap<i64, List>,
    any: List,
}

/// Loaded, compiled rules; `Send + Sync`, shared by the workers.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    metas: Vec<RuleMeta>,
    progs: Vec<Program>,
    buckets: [Bucket; Family::ALL.len()],
    corr: Vec<CorrelationDoc>,
}

/// `EventID` of a Windows record as a number.
fn event_id(ev: &dyn FieldView) -> Option<i64> {
    match ev.field("EventID")? {
        Value::Int(n) => Some(n),
        Value::Str(s) => s.trim().parse().ok(),
        Value::Null => None,
    }
}

impl RuleSet {
    pub(crate) fn push_rule(&mut self, meta: RuleMeta, progs: Vec<(Program, Option<Vec<i64>>)>) {
        let family = meta.family;
        self.metas.push(meta);
        for (p, eids) in progs {
            let i = u32::try_from(self.progs.len()).unwrap_or(u32::MAX);
            let b = &mut self.buckets[family.index()];
            match eids {
                Some(ids) if family.by_event_id() && !ids.is_empty() => {
                    let mut ids = ids;
                    ids.sort_unstable();
                    ids.dedup();
                    for id in ids {
                        b.by_eid.entry(id).or_default().progs.push(i);
                    }
                }
                _ => b.any.progs.push(i),
            }
            self.progs.push(p);
        }
    }

    /// Builds the prefilters once every rule is in.
    pub(crate) fn finish(&mut self) {
        self.rebuild_prefilter(MIN_RULES);
    }

    /// Rebuilds the prefilters, for every dispatch list with at least
    /// `min_rules` rules that have needles (tests force it on small sets).
    #[doc(hidden)]
    pub fn rebuild_prefilter(&mut self, min_rules: usize) {
        let progs = &self.progs;
        let build = |l: &mut List| {
            let cnfs: Vec<Cnf> = l
                .progs
                .iter()
                .map(|&p| {
                    let d = &progs[p as usize].det;
                    needles(&d.cond, &d.sels)
                })
                .collect();
            let with = cnfs.iter().filter(|c| !c.is_empty()).count();
            l.pre = (with > 0 && with >= min_rules).then(|| LazyPre {
                cnfs,
                built: OnceLock::new(),
            });
        };
        for b in &mut self.buckets {
            b.by_eid.values_mut().for_each(build);
            build(&mut b.any);
        }
    }

    /// Drops the prefilters: every rule of a dispatch list is evaluated
    /// (for tests that compare both ways, and measurements).
    #[doc(hidden)]
    pub fn without_prefilter(&mut self) {
        for b in &mut self.buckets {
            b.by_eid.values_mut().for_each(|l| l.pre = None);
            b.any.pre = None;
        }
    }

    pub(crate) fn push_correlation(&mut self, c: CorrelationDoc) {
        self.corr.push(c);
    }

    pub(crate) fn next_idx(&self) -> RuleIdx {
        RuleIdx(u32::try_from(self.metas.len()).unwrap_or(u32::MAX))
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.metas.len()
    }

    /// True when no rule loaded.
    pub fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }

    /// Indices of the rules that match this event, pushed to `out` in
    /// increasing order, each once (`out` is cleared by the caller).
    pub fn matches(&self, family: Family, ev: &dyn FieldView, out: &mut Vec<RuleIdx>) {
        let b = &self.buckets[family.index()];
        let start = out.len();
        let mut run = |list: &List| {
            let mut one = |i: usize| {
                let p = &self.progs[list.progs[i] as usize];
                if out.last() != Some(&p.rule) && p.eval(ev) {
                    out.push(p.rule);
                }
            };
            match list.pre.as_ref().and_then(LazyPre::get) {
                Some(pre) => pre.each_candidate(ev, &mut one),
                None => (0..list.progs.len()).for_each(one),
            }
        };
        if !b.by_eid.is_empty() {
            if let Some(list) = event_id(ev).and_then(|id| b.by_eid.get(&id)) {
                run(list);
            }
        }
        run(&b.any);
        let new = &mut out[start..];
        new.sort_unstable();
        let mut w = start;
        for r in start..out.len() {
            if w == start || out[w - 1] != out[r] {
                out[w] = out[r];
                w += 1;
            }
        }
        out.truncate(w);
    }

    /// A rule's identity and metadata.
    pub fn meta(&self, i: RuleIdx) -> &RuleMeta {
        &self.metas[i.0 as usize]
    }

    /// Every rule's metadata, by index.
    pub fn metas(&self) -> &[RuleMeta] {
        &self.metas
    }

    /// The rule whose `id` or `name` is `s` (correlations refer to rules so).
    pub fn find(&self, s: &str) -> Option<RuleIdx> {
        self.metas
            .iter()
            .position(|m| m.id == s || m.name.as_deref() == Some(s))
            .and_then(|i| u32::try_from(i).ok())
            .map(RuleIdx)
    }

    /// The correlation documents, for the correlation engine.
    pub fn correlation_docs(&self) -> &[CorrelationDoc] {
        &self.corr
    }
}

/// ATT&CK technique ids in tags: `attack.t1110.003` → `T1110.003`.
pub fn techniques(tags: &[String]) -> Vec<String> {
    tags.iter()
        .filter_map(|t| {
            let rest = t.strip_prefix("attack.")?;
            let b = rest.as_bytes();
            let ok = b.len() >= 5
                && (b[0] == b't' || b[0] == b'T')
                && b[1..5].iter().all(u8::is_ascii_digit)
                && (b.len() == 5
                    || (b.len() == 9 && b[5] == b'.' && b[6..].iter().all(u8::is_ascii_digit)));
            ok.then(|| rest.to_ascii_uppercase())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_ids_from_tags() {
        let tags: Vec<String> = [
            "attack.t1110.003",
            "attack.credential-access",
            "attack.T1078",
            "attack.t1",
            "car.2013-05-004",
            "attack.t1110.0x3",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(techniques(&tags), ["T1110.003", "T1078"]);
    }

    #[test]
    fn rule_set_is_send_and_sync() {
        fn both<T: Send + Sync>() {}
        both::<RuleSet>();
    }
}
