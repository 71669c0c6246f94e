//! Sigma rules in the hunt: every event of a stream is matched against the
//! loaded rules (dispatched by family, see `haboob_sigma`), each hit becomes
//! a row of the timeline and counts towards an alert per (rule, source,
//! target, user), the same shape as the built-in detectors' alerts, so
//! campaigns group them by source, host and user.
//!
//! Memory: an alert in the making is flushed once it has been quiet for the
//! hunt's merge gap while more than [`MAX_OPEN`] are open (the merge step
//! joins the pieces again); timeline rows are kept up to
//! `SigmaOptions::max_timeline_rows`, the rest counted.

use crate::sigma_corr::{Correlations, Held};
use haboob_model::{
    Alert, AlertSource, EventRef, Evidence, FieldView, JsonView, Origin, Severity, Ts, Value,
};
use haboob_sigma::{Family, Level, RuleIdx, RuleSet};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Alerts in the making per stream before quiet ones are flushed.
const MAX_OPEN: usize = 50_000;
/// Evidence records kept per alert.
const MAX_EVIDENCE: usize = 5;

/// Sigma rules for a hunt.
#[derive(Clone)]
pub struct SigmaOptions {
    /// The compiled rules.
    pub rules: Arc<RuleSet>,
    /// Keep a timeline row per hit.
    pub timeline: bool,
    /// At most this many timeline rows (the rest are counted).
    pub max_timeline_rows: usize,
    /// The rule set's correlations, when it has any.
    pub correlations: Option<Arc<Correlations>>,
}

impl std::fmt::Debug for SigmaOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigmaOptions")
            .field("rules", &self.rules.len())
            .field("timeline", &self.timeline)
            .field("max_timeline_rows", &self.max_timeline_rows)
            .field("correlations", &self.correlations)
            .finish()
    }
}

/// One rule hit on one event: a row of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TimelineRow {
    /// Event time.
    pub timestamp: Ts,
    /// Rule id (its title when it has none).
    pub rule_id: String,
    /// Rule title.
    pub rule_title: String,
    /// Rule level.
    pub level: String,
    /// The event's family (`windows`, `web`, `okta`, …).
    pub family: String,
    /// Source address, when the event has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<IpAddr>,
    /// Site, tenant or computer.
    pub target: String,
    /// Account, when the event names one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Windows event id, for Windows events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<u32>,
    /// Input file.
    pub file: String,
    /// 1-based line or record number.
    pub line: u64,
}

/// Hits of one rule over the hunt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleSummary {
    /// Rule id.
    pub rule_id: String,
    /// Rule title.
    pub title: String,
    /// Rule level.
    pub level: String,
    /// Events matched.
    pub hits: u64,
    /// First and last matching event.
    pub first_seen: Ts,
    /// Last matching event.
    pub last_seen: Ts,
}

/// What the rules found, beside the alerts.
#[derive(Debug, Clone, Default)]
pub struct SigmaReport {
    /// Rows by time (then file, line, rule).
    pub timeline: Vec<TimelineRow>,
    /// Rows beyond `max_timeline_rows`, not kept.
    pub timeline_dropped: u64,
    /// Hits of rules correlations read that were not kept for them (past
    /// `sigma_corr::MAX_HELD`).
    pub correlation_dropped: u64,
    /// Per rule, most hits first.
    pub rules: Vec<RuleSummary>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    rule: RuleIdx,
    source: Option<IpAddr>,
    target: String,
    user: String,
}

struct Open {
    first: Ts,
    last: Ts,
    count: u64,
    evidence: Vec<Evidence>,
}

/// One stream's Sigma state.
pub(crate) struct SigmaFeed<'o> {
    opts: &'o SigmaOptions,
    gap_ms: i64,
    scratch: Vec<RuleIdx>,
    open: HashMap<Key, Open>,
    alerts: Vec<Alert>,
    timeline: Vec<TimelineRow>,
    dropped: u64,
    per_rule: HashMap<RuleIdx, (u64, Ts, Ts)>,
    held: Vec<Held>,
    held_dropped: u64,
    /// Open alerts above which quiet ones are flushed.
    flush_at: usize,
}

/// What a Windows event, a sign-in or a web request says about who did what
/// where, for the alert's key.
struct Who {
    source: Option<IpAddr>,
    target: String,
    user: String,
    event_id: Option<u32>,
}

fn text(v: Option<Value<'_>>) -> String {
    match v {
        Some(Value::Str(s)) if s != "-" => s.into_owned(),
        Some(Value::Int(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Who did what where, read only for events some rule matched.
fn who(ev: &EventRef<'_>) -> Who {
    match ev {
        EventRef::Web(w) => Who {
            source: Some(w.source_ip),
            target: w.site.to_owned(),
            user: w.user.to_owned(),
            event_id: None,
        },
        EventRef::Auth(a) => Who {
            source: a.source_ip,
            target: a.target().to_string(),
            user: a.user.to_string(),
            event_id: None,
        },
        EventRef::Win(w) => {
            let mut user = text(w.field("TargetUserName"));
            if user.is_empty() {
                user = text(w.field("SubjectUserName"));
            }
            Who {
                source: text(w.field("IpAddress")).parse().ok(),
                target: w.computer.to_string(),
                user,
                event_id: Some(w.event_id),
            }
        }
        EventRef::Waf(w) => Who {
            source: Some(w.source_ip),
            target: w.site.to_owned(),
            user: String::new(),
            event_id: None,
        },
        EventRef::Net(n) => Who {
            source: n.client,
            target: n.domain.to_string(),
            user: String::new(),
            event_id: None,
        },
        EventRef::Audit(a) => {
            // The login user: enriched name, else the number.
            let mut user = text(a.field("AUID"));
            if user.is_empty() {
                user = text(a.field("auid"));
            }
            Who {
                source: None,
                target: a.node.to_owned(),
                user,
                event_id: None,
            }
        }
        EventRef::Cloud(c) => Who {
            source: c.source_ip,
            target: c.account.to_string(),
            user: c.user.to_string(),
            event_id: None,
        },
    }
}

/// The family of a sign-in record, from its dataset.
fn auth_family(dataset: &str) -> Option<Family> {
    Some(match dataset {
        "auth.entra" => Family::AzureSignin,
        "auth.okta" => Family::Okta,
        "auth.m365" => Family::M365,
        "auth.google" => Family::GWorkspace,
        _ => return None,
    })
}

/// The family of a cloud audit record, from its dataset.
fn cloud_family(dataset: &str) -> Option<Family> {
    Some(match dataset {
        "cloud.aws.cloudtrail" => Family::AwsCloudTrail,
        "cloud.azure.activitylogs" => Family::AzureActivity,
        "cloud.azure.riskdetection" => Family::AzureRisk,
        "cloud.gcp.audit" => Family::GcpAudit,
        _ => return None,
    })
}

impl<'o> SigmaFeed<'o> {
    pub(crate) fn new(opts: &'o SigmaOptions, gap_ms: i64) -> SigmaFeed<'o> {
        SigmaFeed {
            opts,
            gap_ms,
            scratch: Vec::new(),
            open: HashMap::new(),
            alerts: Vec::new(),
            timeline: Vec::new(),
            dropped: 0,
            per_rule: HashMap::new(),
            held: Vec::new(),
            held_dropped: 0,
            flush_at: MAX_OPEN,
        }
    }

    /// Match one event.
    pub(crate) fn observe(&mut self, ev: &EventRef<'_>, origin: &Origin<'_>) {
        match ev {
            EventRef::Web(w) => self.run(Family::Web, w, ev, origin),
            EventRef::Auth(a) => {
                if let (Some(family), true) = (auth_family(a.dataset), origin.raw.starts_with('{'))
                {
                    self.run(family, &JsonView::new(origin.raw), ev, origin);
                }
            }
            EventRef::Win(w) if w.channel == haboob_model::LINUX_SYSMON_CHANNEL => {
                self.run(Family::LinuxSysmon, w, ev, origin)
            }
            EventRef::Win(w) => self.run(Family::Windows, w, ev, origin),
            EventRef::Audit(a) => self.run(Family::Auditd, a, ev, origin),
            // A console sign-in's `Auth` view is not dispatched (auth.aws):
            // its rules run once, on this record.
            EventRef::Cloud(c) => {
                if let (Some(family), true) = (cloud_family(c.dataset), origin.raw.starts_with('{'))
                {
                    self.run(family, &JsonView::new(origin.raw), ev, origin);
                }
            }
            // No Sigma log source maps network observations yet.
            EventRef::Waf(_) | EventRef::Net(_) => {}
        }
    }

    /// Match one event through its field view.
    fn run(
        &mut self,
        family: Family,
        view: &dyn FieldView,
        ev: &EventRef<'_>,
        origin: &Origin<'_>,
    ) {
        self.scratch.clear();
        self.opts.rules.matches(family, view, &mut self.scratch);
        if self.scratch.is_empty() {
            return;
        }
        let who = who(ev);
        let ts = ev.ts();
        let hits = std::mem::take(&mut self.scratch);
        for &rule in &hits {
            if let Some(c) = &self.opts.correlations {
                if c.referenced(rule) {
                    if self.held.len() < crate::sigma_corr::MAX_HELD {
                        self.held.push(c.hold(rule, ts, view, origin));
                    } else {
                        self.held_dropped += 1;
                    }
                }
                if !c.reports(rule) {
                    continue;
                }
            }
            self.hit(rule, family, ts, &who, origin);
        }
        self.scratch = hits;
        if self.open.len() > self.flush_at {
            self.flush_quiet(ts);
            // Scan again only once as many more are open: when few are
            // quiet, a scan per event would cost the whole map each time.
            self.flush_at = MAX_OPEN.max(self.open.len().saturating_mul(2));
        }
    }

    fn hit(&mut self, rule: RuleIdx, family: Family, ts: Ts, who: &Who, origin: &Origin<'_>) {
        let e = self.per_rule.entry(rule).or_insert((0, ts, ts));
        e.0 += 1;
        e.1 = e.1.min(ts);
        e.2 = e.2.max(ts);
        if self.opts.timeline {
            if self.timeline.len() < self.opts.max_timeline_rows {
                let meta = self.opts.rules.meta(rule);
                self.timeline.push(TimelineRow {
                    timestamp: ts,
                    rule_id: meta.id.clone(),
                    rule_title: meta.title.clone(),
                    level: meta.level.name().to_owned(),
                    family: family.name().to_owned(),
                    source: who.source,
                    target: who.target.clone(),
                    user: who.user.clone(),
                    event_id: who.event_id,
                    file: origin.file.to_owned(),
                    line: origin.line,
                });
            } else {
                self.dropped += 1;
            }
        }
        let key = Key {
            rule,
            source: who.source,
            target: who.target.clone(),
            user: who.user.clone(),
        };
        let open = self.open.entry(key).or_insert_with(|| Open {
            first: ts,
            last: ts,
            count: 0,
            evidence: Vec::new(),
        });
        open.count += 1;
        open.first = open.first.min(ts);
        open.last = open.last.max(ts);
        if open.evidence.len() < MAX_EVIDENCE {
            open.evidence.push(Evidence::from_origin(origin));
        }
    }

    /// Turn alerts in the making that have been quiet for the gap into alerts.
    fn flush_quiet(&mut self, now: Ts) {
        let gap = self.gap_ms;
        let quiet: Vec<Key> = self
            .open
            .iter()
            .filter(|(_, o)| o.last.0.saturating_add(gap) < now.0)
            .map(|(k, _)| k.clone())
            .collect();
        for k in quiet {
            if let Some(o) = self.open.remove(&k) {
                self.alerts.push(alert(&self.opts.rules, &k, o));
            }
        }
    }

    /// End of stream: the alerts, the timeline rows and per-rule counts.
    pub(crate) fn finish(mut self) -> (Vec<Alert>, StreamSigma) {
        let mut open: Vec<(Key, Open)> = self.open.drain().collect();
        open.sort_by(|(ka, a), (kb, b)| {
            (a.first, ka.rule, ka.source, &ka.target, &ka.user)
                .cmp(&(b.first, kb.rule, kb.source, &kb.target, &kb.user))
        });
        for (k, o) in open {
            self.alerts.push(alert(&self.opts.rules, &k, o));
        }
        (
            self.alerts,
            StreamSigma {
                timeline: self.timeline,
                dropped: self.dropped,
                per_rule: self.per_rule,
                held: self.held,
                held_dropped: self.held_dropped,
            },
        )
    }
}

/// One stream's timeline and counts, merged across streams at the end.
#[derive(Default)]
pub(crate) struct StreamSigma {
    timeline: Vec<TimelineRow>,
    dropped: u64,
    per_rule: HashMap<RuleIdx, (u64, Ts, Ts)>,
    held: Vec<Held>,
    held_dropped: u64,
}

impl StreamSigma {
    /// Adds what another lane of the same stream found (web requests are
    /// matched in their source's lane when no correlation is loaded).
    pub(crate) fn absorb(&mut self, o: StreamSigma) {
        self.timeline.extend(o.timeline);
        self.dropped += o.dropped;
        for (r, (n, first, last)) in o.per_rule {
            let e = self.per_rule.entry(r).or_insert((0, first, last));
            e.0 += n;
            e.1 = e.1.min(first);
            e.2 = e.2.max(last);
        }
        self.held.extend(o.held);
        self.held_dropped += o.held_dropped;
    }
}

/// Rule level → alert severity (`informational` is low).
pub fn severity(level: Level) -> Severity {
    match level {
        Level::Critical => Severity::Critical,
        Level::High => Severity::High,
        Level::Medium => Severity::Medium,
        Level::Low | Level::Informational => Severity::Low,
    }
}

fn alert(rules: &RuleSet, k: &Key, o: Open) -> Alert {
    let meta = rules.meta(k.rule);
    let src = k.source.map(|ip| ip.to_string()).unwrap_or_default();
    let first = o.first.0.to_string();
    let id = haboob_model::content_id("al", &["sigma", &meta.id, &src, &k.target, &k.user, &first]);
    let mut details = haboob_model::Details::new();
    details.insert(
        "rule_id".to_owned(),
        serde_json::Value::from(meta.id.clone()),
    );
    details.insert(
        "level".to_owned(),
        serde_json::Value::from(meta.level.name()),
    );
    if !meta.status.is_empty() {
        details.insert(
            "status".to_owned(),
            serde_json::Value::from(meta.status.clone()),
        );
    }
    if let Some(p) = meta.path.to_str() {
        details.insert("rule_file".to_owned(), serde_json::Value::from(p));
    }
    Alert {
        id,
        detector: "sigma".to_owned(),
        title: meta.title.clone(),
        techniques: meta.techniques.clone(),
        severity: severity(meta.level),
        source: AlertSource {
            ip: k.source,
            prefix: None,
            members: Vec::new(),
        },
        target: k.target.clone(),
        user: (!k.user.is_empty()).then(|| k.user.clone()),
        first_seen: o.first,
        last_seen: o.last,
        count: o.count,
        details,
        evidence: o.evidence,
    }
}

/// Merge the streams' timelines and counts (in stream order, then sorted:
/// the result does not depend on thread scheduling), and run the
/// correlations over every stream's hits; their alerts are returned apart.
pub(crate) fn merge(opts: &SigmaOptions, parts: Vec<StreamSigma>) -> (SigmaReport, Vec<Alert>) {
    let rules = &opts.rules;
    let max_rows = opts.max_timeline_rows;
    let mut timeline = Vec::new();
    let mut dropped = 0;
    let mut per_rule: HashMap<RuleIdx, (u64, Ts, Ts)> = HashMap::new();
    let mut held = Vec::new();
    let mut held_dropped = 0;
    for p in parts {
        timeline.extend(p.timeline);
        dropped += p.dropped;
        for (r, (n, first, last)) in p.per_rule {
            let e = per_rule.entry(r).or_insert((0, first, last));
            e.0 += n;
            e.1 = e.1.min(first);
            e.2 = e.2.max(last);
        }
        held_dropped += p.held_dropped as usize;
        let room = crate::sigma_corr::MAX_HELD.saturating_sub(held.len());
        held_dropped += p.held.len().saturating_sub(room);
        held.extend(p.held.into_iter().take(room));
    }
    let corr_alerts = match &opts.correlations {
        Some(c) => c.run(rules, held),
        None => Vec::new(),
    };
    timeline.sort_by(|a, b| {
        (a.timestamp, &a.file, a.line, &a.rule_id).cmp(&(b.timestamp, &b.file, b.line, &b.rule_id))
    });
    if timeline.len() > max_rows {
        dropped += (timeline.len() - max_rows) as u64;
        timeline.truncate(max_rows);
    }
    let mut rules_out: Vec<RuleSummary> = per_rule
        .into_iter()
        .map(|(r, (hits, first_seen, last_seen))| {
            let m = rules.meta(r);
            RuleSummary {
                rule_id: m.id.clone(),
                title: m.title.clone(),
                level: m.level.name().to_owned(),
                hits,
                first_seen,
                last_seen,
            }
        })
        .collect();
    rules_out.sort_by(|a, b| b.hits.cmp(&a.hits).then_with(|| a.rule_id.cmp(&b.rule_id)));
    (
        SigmaReport {
            timeline,
            timeline_dropped: dropped,
            correlation_dropped: held_dropped as u64,
            rules: rules_out,
        },
        corr_alerts,
    )
}
