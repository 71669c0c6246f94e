//! `web.sensitive`: sensitive file probing.
//!
//! **What it detects.** Requests for secrets, VCS metadata, backups and status
//! pages (`/.env`, `/.git/config`, `wp-config.php.bak`, `dump.sql`,
//! `server-status`, …; list in [`super::lists::SENSITIVE_PATHS`]), matched
//! case-insensitively on the percent-decoded path. Fires on ≥ 3 distinct such
//! paths within 5 min (severity medium), or on a single one answered 2xx
//! (severity high: the file may have been served).
//!
//! **Why it matters.** A leaked `.env` or `.git` hands over credentials and
//! source code; probing for them is a staple of targeted reconnaissance.
//!
//! **Example.** `GET /.env` 404, `GET /.git/HEAD` 404, `GET /backup.zip` 404.
//!
//! **ATT&CK.** T1595.003 Wordlist Scanning.

use super::cache::VerdictCache;
use super::config::SensitiveConfig;
use super::episode::{insert_capped, FxSet, Key, Slot, Tracker};
use super::habits::Habits;
use super::lists::SENSITIVE_PATHS;
use super::pathset::PathSet;
use super::request::Req;
use super::scan::secs_ms;
use super::WebRule;
use haboob_model::{Alert, Origin, Severity, WebEvent};
use std::collections::BTreeMap;

const ID: &str = "web.sensitive";
const TECHNIQUES: &[&str] = &["T1595.003"];

#[derive(Debug, Default)]
pub(crate) struct SensitiveState {
    distinct: FxSet,
    served: Vec<String>,
    /// Tool habits (the alert's `fingerprint`).
    habits: Habits,
}

impl super::episode::Recycle for SensitiveState {}

#[derive(Debug, Clone)]
struct Params {
    min_paths: usize,
    window_ms: i64,
    on_served: bool,
    max_evidence: usize,
}

/// The `web.sensitive` detector.
#[derive(Debug)]
pub(crate) struct WebSensitive {
    p: Params,
    set: PathSet,
    cache: VerdictCache<bool>,
    t: Tracker<SensitiveState>,
}

impl WebSensitive {
    pub fn new(c: &SensitiveConfig, max_evidence: usize, max_sources: usize) -> Self {
        WebSensitive {
            p: Params {
                min_paths: c.min_paths.max(1),
                window_ms: secs_ms(c.window_secs),
                on_served: c.alert_on_served,
                max_evidence,
            },
            set: PathSet::new(SENSITIVE_PATHS, &c.extra_sensitive_paths),
            cache: VerdictCache::default(),
            t: Tracker::new(c.window_secs, max_sources),
        }
    }
}

fn emit(s: Slot<SensitiveState>, out: &mut Vec<Alert>) {
    if !s.ep.fired {
        return;
    }
    let mut d = BTreeMap::new();
    d.insert("distinct_paths".into(), (s.st.distinct.len() as u64).into());
    if !s.st.served.is_empty() {
        d.insert("served_paths".into(), s.st.served.clone().into());
    }
    d.insert("fingerprint".into(), s.st.habits.details());
    let what = if s.st.served.is_empty() {
        "sensitive-file probes"
    } else {
        "sensitive-file probes, some answered 2xx,"
    };
    let title = format!(
        "{} {what} ({}) from {}",
        s.ep.count,
        s.ep.title_samples(),
        s.ep.who_where()
    );
    out.push(s.ep.alert(ID, title, TECHNIQUES, d, &[]));
}

impl WebRule for WebSensitive {
    fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        self.t.maintain(w.ts, &mut |s| emit(s, out));
        if !self
            .set
            .matches_cached(&mut self.cache, req.path(), req.path_hash)
        {
            return;
        }
        let p = &self.p;
        let key: Key = (w.source_ip, req.site_hash);
        let slot = self
            .t
            .entry(key, w.source_ip, w.site, w.ts, &mut |s| emit(s, out));
        if slot.ep.restart_if_expired(w.ts, p.window_ms) {
            slot.st.distinct.clear();
            slot.st.habits.clear();
        }
        let new = insert_capped(&mut slot.st.distinct, req.path_hash);
        slot.st.habits.observe(w, req.path_hash, new);
        slot.ep.hit(w.ts, o, p.max_evidence);
        if new {
            slot.ep.sample(&req.path_lossy());
        }
        let served = w.status_class() == 2 && p.on_served;
        if served {
            if new && slot.st.served.len() < super::episode::MAX_SAMPLES {
                slot.st
                    .served
                    .push(super::episode::bounded(&req.path_lossy()));
            }
            slot.ep.fired = true;
            slot.ep.severity = Severity::High;
        } else if slot.st.distinct.len() >= p.min_paths && !slot.ep.fired {
            slot.ep.fired = true;
            slot.ep.severity = slot.ep.severity.max(Severity::Medium);
        }
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        self.t.drain(&mut |s| emit(s, out));
    }
}
