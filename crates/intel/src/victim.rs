//! The victim signal (`intel.victim`): an internal host that resolves or
//! contacts listed infrastructure (a seized, sinkholed or C2 domain, address
//! or URL) is reported as a likely compromised host, distinct from the
//! attacker sources `intel.match` reports.
//!
//! Input: network observations ([`EventRef::Net`]: Zeek, Suricata, Squid)
//! and Windows DNS client events (Sysmon event 22, read from the
//! [`EventRef::Win`] record: `QueryName`, `QueryResults`, `Image`). Each is
//! seen as an [`Observed`] (server and every answered address as `dst_ip`,
//! the name as `domain`, the URL, the user agent) and looked up. The client
//! address is not looked up: a listed client is not a victim signal (the
//! host is the attacker there: `intel.match`), and leaving it out keeps an
//! indicator that covers both ends (a listed network) matching the server.
//!
//! One alert per (internal host, set of indicators matched): count, first
//! and last time, up to [`MAX_EVIDENCE`] evidence lines, `details["intel"]`
//! (the [`IntelHit`]s), `details["role"] = "victim"`, `details["host"]`,
//! `details["infrastructure"]` (the listed names and addresses reached).
//! The alert's `target` is the victim (the client address, or the computer
//! of a Sysmon event); its `source` is the attacker side: the listed
//! address reached when an address matched, else none (a listed name has
//! no address to put there). The internal host is never an alert source.
//! Severity is high;
//! critical when an indicator is labelled `c2` or `malicious-activity` and
//! the host contacted it again after the first hit (two or more events at
//! different times).
//!
//! State is bounded: an episode idle for [`VictimConfig::idle_ms`] is closed
//! (its alert emitted) and at most [`VictimConfig::max_episodes`] are open
//! (the least recently active is closed first).

use crate::{IntelHit, IntelLookup, Observed, DETAILS_KEY};
use haboob_model::{
    content_id, Alert, AlertSource, EventRef, Evidence, NetEvent, Origin, Severity, Ts, WinEvent,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;

/// Detector id.
pub const DETECTOR: &str = "intel.victim";
/// `details["role"]` of a victim alert.
pub const ROLE: &str = "victim";
/// `details` key of the listed infrastructure a victim reached (the
/// distinct matched values).
pub const INFRASTRUCTURE_KEY: &str = "infrastructure";
/// Evidence lines kept per alert.
pub const MAX_EVIDENCE: usize = 5;
/// Answered addresses looked up per DNS event.
const MAX_ANSWER_LOOKUPS: usize = 8;
/// Bytes of a matched value kept in an alert.
const MAX_VALUE_BYTES: usize = 256;
/// Labels that make a repeated contact critical.
const CRITICAL_LABELS: [&str; 2] = ["c2", "malicious-activity"];

/// Settings of the victim signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VictimConfig {
    /// An episode with no new event for this long is closed (ms).
    pub idle_ms: i64,
    /// Most open episodes kept.
    pub max_episodes: usize,
}

impl Default for VictimConfig {
    fn default() -> Self {
        VictimConfig {
            idle_ms: 24 * 3600 * 1000,
            max_episodes: 10_000,
        }
    }
}

/// One (host, indicator set) episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Episode {
    host: String,
    client: Option<IpAddr>,
    hits: Vec<IntelHit>,
    first: Ts,
    last: Ts,
    count: u64,
    kinds: Vec<String>,
    evidence: Vec<Evidence>,
}

/// The saved windowed state (see `save_state`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VictimState {
    episodes: Vec<Episode>,
}

/// The `intel.victim` detector.
#[derive(Debug, Default)]
pub struct VictimSignal {
    cfg: VictimConfig,
    open: HashMap<(String, String), Episode>,
    hits: Vec<IntelHit>,
    url: String,
    seen: u64,
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// The addresses of a Sysmon `QueryResults` (`type: 5 a.example;::ffff:192.0.2.1;`).
fn sysmon_results(r: &str) -> impl Iterator<Item = IpAddr> + '_ {
    r.split(';').filter_map(|p| {
        let p = p.trim();
        let p = p.strip_prefix("::ffff:").unwrap_or(p);
        p.parse::<IpAddr>().ok()
    })
}

impl VictimSignal {
    /// A detector with these settings.
    pub fn new(cfg: VictimConfig) -> VictimSignal {
        VictimSignal {
            cfg,
            ..VictimSignal::default()
        }
    }

    /// Observe one event: look it up and fold hits into its host's episode.
    /// Alerts of episodes closed by idleness or capacity go to `out`.
    pub fn observe(
        &mut self,
        lookup: &dyn IntelLookup,
        ev: &EventRef<'_>,
        origin: &Origin<'_>,
        out: &mut Vec<Alert>,
    ) {
        if lookup.is_empty() {
            return;
        }
        self.hits.clear();
        let (host, client, kind) = match ev {
            EventRef::Net(n) => {
                let Some(c) = n.client else { return };
                self.lookup_net(lookup, n);
                (c.to_string(), Some(c), n.kind.name())
            }
            EventRef::Win(w) if w.event_id == 22 && w.channel.contains("Sysmon") => {
                self.lookup_sysmon(lookup, w);
                (
                    format!("computer:{}", haboob_model::bounded(&w.computer, 255)),
                    None,
                    "dns",
                )
            }
            _ => return,
        };
        let ts = ev.ts();
        if self.hits.is_empty() {
            self.tick(ts, out);
            return;
        }
        self.hits.sort_by(|a, b| a.indicator.cmp(&b.indicator));
        self.hits.dedup_by(|a, b| a.indicator == b.indicator);
        let set: Vec<&str> = self.hits.iter().map(|h| h.indicator.as_str()).collect();
        let key = (host, set.join("\u{1f}"));
        // An episode idle for longer than the window is over, whenever the
        // sweep would have closed it: the alerts do not depend on how many
        // events (of other hosts) came between.
        if let Some(e) = self.open.get(&key) {
            if ts.0 - e.last.0 > self.cfg.idle_ms {
                if let Some(e) = self.open.remove(&key) {
                    out.push(alert(e));
                }
            }
        }
        let e = self
            .open
            .entry(key)
            .or_insert_with_key(|(host, _)| Episode {
                host: host.clone(),
                client,
                hits: Vec::new(),
                first: ts,
                last: ts,
                count: 0,
                kinds: Vec::new(),
                evidence: Vec::new(),
            });
        for h in &self.hits {
            if !e.hits.iter().any(|x| x.indicator == h.indicator) {
                let mut h = h.clone();
                haboob_model::truncate_bounded(&mut h.matched, MAX_VALUE_BYTES);
                e.hits.push(h);
            }
        }
        e.first = e.first.min(ts);
        e.last = e.last.max(ts);
        e.count += 1;
        if !e.kinds.iter().any(|k| k == kind) {
            e.kinds.push(kind.to_owned());
        }
        if e.evidence.len() < MAX_EVIDENCE {
            e.evidence.push(Evidence::from_origin(origin));
        }
        self.tick(ts, out);
    }

    fn lookup_net(&mut self, lookup: &dyn IntelLookup, n: &NetEvent<'_>) {
        let domain = lower(&n.domain);
        self.url.clear();
        let url = if n.url.contains("://") {
            Some(&*n.url)
        } else if n.url.starts_with('/') && !domain.is_empty() {
            let scheme = if n.kind == haboob_model::NetKind::Tls {
                "https"
            } else {
                "http"
            };
            self.url.push_str(scheme);
            self.url.push_str("://");
            self.url.push_str(&domain);
            self.url.push_str(&n.url);
            Some(self.url.as_str())
        } else {
            None
        };
        let (path, ua, method) = (
            n.url.find('/').map(|i| &n.url[i..]),
            &*n.user_agent,
            &*n.method,
        );
        let obs = Observed {
            dst_ip: n.server,
            domain: (!domain.is_empty()).then_some(&*domain),
            url,
            http_method: (!method.is_empty()).then_some(method),
            http_path: path.filter(|_| n.url.starts_with('/')),
            user_agent: (!ua.is_empty()).then_some(ua),
            ..Observed::default()
        };
        lookup.lookup(&obs, n.ts, &mut self.hits);
        for ip in n.answer_ips().take(MAX_ANSWER_LOOKUPS) {
            let obs = Observed {
                dst_ip: Some(ip),
                ..Observed::default()
            };
            lookup.lookup(&obs, n.ts, &mut self.hits);
        }
    }

    fn lookup_sysmon(&mut self, lookup: &dyn IntelLookup, w: &WinEvent<'_>) {
        use haboob_model::{FieldView, Value};
        let text = |v: Option<Value<'_>>| match v {
            Some(Value::Str(s)) => s.into_owned(),
            _ => String::new(),
        };
        let name = text(w.field("QueryName"));
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if !name.is_empty() {
            let obs = Observed {
                domain: Some(&name),
                ..Observed::default()
            };
            lookup.lookup(&obs, w.ts, &mut self.hits);
        }
        let results = text(w.field("QueryResults"));
        for ip in sysmon_results(&results).take(MAX_ANSWER_LOOKUPS) {
            let obs = Observed {
                dst_ip: Some(ip),
                ..Observed::default()
            };
            lookup.lookup(&obs, w.ts, &mut self.hits);
        }
    }

    /// Close idle episodes now and then, and the oldest when over capacity.
    fn tick(&mut self, now: Ts, out: &mut Vec<Alert>) {
        self.seen += 1;
        if self.seen.is_multiple_of(4096) {
            let idle = self.cfg.idle_ms;
            let closed: Vec<_> = self
                .open
                .iter()
                .filter(|(_, e)| now.0 - e.last.0 > idle)
                .map(|(k, _)| k.clone())
                .collect();
            for k in closed {
                if let Some(e) = self.open.remove(&k) {
                    out.push(alert(e));
                }
            }
        }
        while self.open.len() > self.cfg.max_episodes {
            let Some(k) = self
                .open
                .iter()
                .min_by_key(|(k, e)| (e.last, (*k).clone()))
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = self.open.remove(&k) {
                out.push(alert(e));
            }
        }
    }

    /// End of stream: every open episode becomes its alert (sorted by host,
    /// then first time).
    pub fn finish(&mut self, out: &mut Vec<Alert>) {
        let mut eps: Vec<Episode> = self.open.drain().map(|(_, e)| e).collect();
        eps.sort_by(|a, b| (&a.host, a.first).cmp(&(&b.host, b.first)));
        out.extend(eps.into_iter().map(alert));
    }

    /// The open episodes, to carry to a later run over the same stream.
    pub fn save_state(&self) -> VictimState {
        let mut episodes: Vec<Episode> = self.open.values().cloned().collect();
        episodes.sort_by(|a, b| (&a.host, a.first).cmp(&(&b.host, b.first)));
        VictimState { episodes }
    }

    /// Restore what [`VictimSignal::save_state`] saved.
    pub fn restore_state(&mut self, state: VictimState) {
        for e in state.episodes {
            let set: Vec<&str> = e.hits.iter().map(|h| h.indicator.as_str()).collect();
            self.open.insert((e.host.clone(), set.join("\u{1f}")), e);
        }
    }
}

/// The listed infrastructure an episode reached: the distinct matched
/// values (names, addresses, URLs), in indicator order.
fn infrastructure(hits: &[IntelHit]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for h in hits {
        if !out.contains(&h.matched) {
            out.push(h.matched.clone());
        }
    }
    out
}

fn alert(e: Episode) -> Alert {
    let critical = e.count >= 2
        && e.last > e.first
        && e.hits.iter().any(|h| {
            h.labels
                .iter()
                .any(|l| CRITICAL_LABELS.iter().any(|c| l.eq_ignore_ascii_case(c)))
        });
    let infra = infrastructure(&e.hits);
    // The victim: the client address, or the computer of a Sysmon event.
    let victim = e.client.map_or_else(
        || {
            haboob_model::bounded(e.host.strip_prefix("computer:").unwrap_or(&e.host), 255)
                .to_owned()
        },
        |c| c.to_string(),
    );
    // The attacker side, when it is an address: the first listed address
    // contacted or answered.
    let attacker = e
        .hits
        .iter()
        .filter(|h| h.field == "dst_ip")
        .find_map(|h| h.matched.parse::<IpAddr>().ok());
    let names: Vec<&str> = e.hits.iter().map(|h| h.name.as_str()).collect();
    let title = format!(
        "internal host {} contacted listed infrastructure {} ({}; {} event{})",
        victim,
        haboob_model::bounded(infra.first().map_or("", String::as_str), MAX_VALUE_BYTES),
        haboob_model::bounded(&names.join(", "), 200),
        e.count,
        if e.count == 1 { "" } else { "s" },
    );
    let ids: Vec<&str> = e.hits.iter().map(|h| h.indicator.as_str()).collect();
    let first = e.first.0.to_string();
    let mut parts = vec![DETECTOR, e.host.as_str(), first.as_str()];
    parts.extend(ids.iter().copied());
    let mut details = haboob_model::Details::new();
    details.insert(
        DETAILS_KEY.to_owned(),
        serde_json::to_value(&e.hits).unwrap_or_default(),
    );
    details.insert("role".to_owned(), serde_json::Value::from(ROLE));
    details.insert("host".to_owned(), serde_json::Value::from(e.host.clone()));
    details.insert(
        INFRASTRUCTURE_KEY.to_owned(),
        serde_json::Value::from(infra),
    );
    details.insert(
        "observed".to_owned(),
        serde_json::Value::from(e.kinds.clone()),
    );
    Alert {
        id: content_id("al", &parts),
        detector: DETECTOR.to_owned(),
        title,
        techniques: vec!["T1071".to_owned()],
        severity: if critical {
            Severity::Critical
        } else {
            Severity::High
        },
        source: AlertSource {
            ip: attacker,
            ..AlertSource::default()
        },
        target: victim,
        user: None,
        first_seen: e.first,
        last_seen: e.last,
        count: e.count,
        details,
        evidence: e.evidence,
    }
}
