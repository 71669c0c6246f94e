//! Sigma correlations in the hunt. Streams run in parallel, and a
//! correlation may group hits from several of them (failed logons on two
//! domain controllers, one account sprayed in Entra and Okta), so each
//! stream keeps the hits of the rules correlations reference, with the few
//! fields correlations read; after the streams, all of them are fed to one
//! [`Correlator`] in time order. The result does not depend on thread order.
//!
//! Memory: one small record per referenced hit (time, rule, the fields
//! correlations read, file, line and a short piece of the record), at most
//! [`MAX_HELD`] in all; past it hits are counted and a notice says so.

use crate::sigma::severity;
use haboob_model::{Alert, AlertSource, Evidence, FieldView, Origin, Ts, Value};
use haboob_sigma::correlation::{
    CorrelationHit, CorrelationType, Correlator, EventKey, Options, RuleRef,
};
use haboob_sigma::{Level, LoadError, RuleIdx, RuleSet};
use std::fmt;
use std::net::IpAddr;
use std::sync::Mutex;

/// Referenced hits kept per hunt at most.
pub const MAX_HELD: usize = 2_000_000;
/// Bytes of the record kept with each held hit, for evidence.
const HELD_RAW: usize = 512;
/// Evidence records per correlation alert.
const MAX_EVIDENCE: usize = 5;

/// The correlations of a rule set, and what each base rule is to them.
pub struct Correlations {
    correlator: Mutex<Correlator>,
    /// Per base rule: some correlation reads its hits.
    referenced: Vec<bool>,
    /// Per base rule: it reports its own hits (no correlation without
    /// `generate: true` references it).
    reports: Vec<bool>,
    /// Field names correlations read (group-by, alias targets, counted).
    fields: Vec<String>,
}

impl fmt::Debug for Correlations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Correlations")
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

impl Correlations {
    /// Parse the rule set's correlation documents and resolve them against
    /// its rules; `None` when it has none. Documents that do not parse or
    /// resolve are returned as errors.
    pub fn build(rules: &RuleSet) -> (Option<Correlations>, Vec<LoadError>) {
        let mut errors = Vec::new();
        let mut parsed = Vec::new();
        for d in rules.correlation_docs() {
            match haboob_sigma::correlation::parse(&d.doc, &d.path) {
                Ok(r) => parsed.push(r),
                Err(e) => errors.push(e),
            }
        }
        if parsed.is_empty() {
            return (None, errors);
        }
        let base: Vec<RuleRef> = rules
            .metas()
            .iter()
            .map(|m| RuleRef {
                id: (!m.id.is_empty()).then(|| m.id.clone()),
                name: m.name.clone(),
            })
            .collect();
        let (correlator, errs) = Correlator::new(parsed, &base, Options::default());
        errors.extend(errs);
        if correlator.rules().is_empty() {
            return (None, errors);
        }
        let mut fields: Vec<String> = Vec::new();
        for r in correlator.rules() {
            fields.extend(r.group_by.iter().cloned());
            fields.extend(r.condition.field.iter().cloned());
            for a in &r.aliases {
                fields.extend(a.fields.iter().map(|(_, f)| f.clone()));
            }
        }
        fields.sort();
        fields.dedup();
        let referenced = rules
            .metas()
            .iter()
            .map(|m| correlator.is_referenced(&m.id, m.name.as_deref()))
            .collect();
        let reports = rules
            .metas()
            .iter()
            .map(|m| correlator.reports(&m.id, m.name.as_deref()))
            .collect();
        let c = Correlations {
            correlator: Mutex::new(correlator),
            referenced,
            reports,
            fields,
        };
        (Some(c), errors)
    }

    /// Whether correlations read this rule's hits.
    pub(crate) fn referenced(&self, r: RuleIdx) -> bool {
        self.referenced.get(r.0 as usize).copied().unwrap_or(false)
    }

    /// Whether this rule reports its own hits.
    pub(crate) fn reports(&self, r: RuleIdx) -> bool {
        self.reports.get(r.0 as usize).copied().unwrap_or(true)
    }

    /// The hit as correlations will read it.
    pub(crate) fn hold(
        &self,
        rule: RuleIdx,
        ts: Ts,
        ev: &dyn FieldView,
        origin: &Origin<'_>,
    ) -> Held {
        let fields = self
            .fields
            .iter()
            .filter_map(|n| match ev.field(n)? {
                Value::Null => None,
                v => Some((n.clone(), v.to_string())),
            })
            .collect();
        Held {
            ts,
            rule,
            fields,
            file: origin.file.to_owned(),
            line: origin.line,
            raw: haboob_model::bounded(origin.raw, HELD_RAW).to_owned(),
        }
    }

    /// Feed every held hit in time order; the correlation alerts.
    pub(crate) fn run(&self, rules: &RuleSet, mut held: Vec<Held>) -> Vec<Alert> {
        held.sort_by(|a, b| (a.ts, &a.file, a.line, a.rule).cmp(&(b.ts, &b.file, b.line, b.rule)));
        let mut c = self
            .correlator
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut hits = Vec::new();
        for (i, h) in held.iter().enumerate() {
            let m = rules.meta(h.rule);
            let view = HeldView(&h.fields);
            hits.extend(c.on_hit(&m.id, m.name.as_deref(), h.ts, &view, EventKey(i as u64)));
        }
        hits.extend(c.finish());
        hits.iter().map(|hit| alert(&c, hit, &held)).collect()
    }
}

/// A referenced hit kept for the correlation pass.
#[derive(Debug, Clone)]
pub(crate) struct Held {
    ts: Ts,
    rule: RuleIdx,
    fields: Vec<(String, String)>,
    file: String,
    line: u64,
    raw: String,
}

/// The kept fields of a held hit, as a field view.
struct HeldView<'a>(&'a [(String, String)]);

impl FieldView for HeldView<'_> {
    fn field(&self, name: &str) -> Option<Value<'_>> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| Value::from(v.as_str()))
    }

    fn for_each_field(&self, f: &mut dyn FnMut(&str, Value<'_>)) {
        for (n, v) in self.0 {
            f(n, Value::from(v.as_str()));
        }
    }
}

/// Group-by names that say who acted, where, and as whom.
fn is_user_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("user") || n == "actor.alternateid" || n == "targetusername"
}

fn is_target_field(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "computer" | "computername" | "cs-host" | "s-sitename" | "workstationname" | "hostname"
    )
}

fn alert(c: &Correlator, hit: &CorrelationHit, held: &[Held]) -> Alert {
    let rule = &c.rules()[hit.rule];
    let mut source: Option<IpAddr> = None;
    let mut user = None;
    let mut target = String::new();
    let mut group = serde_json::Map::new();
    for (name, value) in &hit.group {
        group.insert(
            name.clone(),
            value
                .clone()
                .map_or(serde_json::Value::Null, serde_json::Value::from),
        );
        let Some(v) = value else { continue };
        if let (None, Ok(ip)) = (source, v.parse::<IpAddr>()) {
            source = Some(ip);
        } else if user.is_none() && is_user_field(name) {
            user = Some(v.clone());
        } else if target.is_empty() && is_target_field(name) {
            target = v.clone();
        }
    }
    let events: Vec<&Held> = hit
        .events
        .iter()
        .filter_map(|k| held.get(usize::try_from(k.0).ok()?))
        .collect();
    let evidence = events
        .iter()
        .take(MAX_EVIDENCE)
        .map(|h| Evidence {
            file: h.file.clone(),
            line: h.line,
            raw: h.raw.clone(),
        })
        .collect();
    let level = rule
        .level
        .as_deref()
        .and_then(Level::parse)
        .unwrap_or(Level::Medium);
    let id_text = rule.label().to_owned();
    let first = hit.first.0.to_string();
    let group_text = serde_json::Value::Object(group.clone()).to_string();
    let mut details = haboob_model::Details::new();
    details.insert(
        "rule_id".to_owned(),
        serde_json::Value::from(id_text.clone()),
    );
    details.insert("level".to_owned(), serde_json::Value::from(level.name()));
    details.insert(
        "correlation".to_owned(),
        serde_json::Value::from(rule.kind.as_str()),
    );
    details.insert("group".to_owned(), serde_json::Value::Object(group));
    details.insert(
        "correlated_count".to_owned(),
        serde_json::Value::from(hit.count),
    );
    if matches!(
        rule.kind,
        CorrelationType::ValueSum | CorrelationType::ValueAvg
    ) {
        details.insert("correlated_value".to_owned(), serde_json::json!(hit.value));
    }
    details.insert(
        "events".to_owned(),
        serde_json::Value::from(
            events
                .iter()
                .map(|h| format!("{}:{}", h.file, h.line))
                .collect::<Vec<_>>(),
        ),
    );
    if let Some(p) = rule.path.to_str() {
        details.insert("rule_file".to_owned(), serde_json::Value::from(p));
    }
    Alert {
        id: haboob_model::content_id("al", &["sigma-correlation", &id_text, &group_text, &first]),
        detector: "sigma".to_owned(),
        title: rule.title.clone(),
        techniques: haboob_sigma::techniques(&rule.tags),
        severity: severity(level),
        source: AlertSource {
            ip: source,
            prefix: None,
            members: Vec::new(),
        },
        target,
        user,
        first_seen: hit.first,
        last_seen: hit.last,
        count: hit.events_total,
        details,
        evidence,
    }
}
