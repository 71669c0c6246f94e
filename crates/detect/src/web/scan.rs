//! `web.scan`: vulnerability and wordlist scanning.
//!
//! **What it detects.** One source requesting many distinct non-static paths that
//! the server answers with 4xx (429 excepted): a fast variant (≥ 10 distinct in
//! 10 s, as CrowdSec's `http-probing`) and a slow variant (≥ 30 distinct 4xx paths
//! with an error ratio ≥ 0.5 within 10 min). Also per /24 or /64 when a scan is
//! spread over neighbouring addresses and no single one crosses the threshold.
//!
//! **Why it matters.** Wordlist and vulnerability scanning is the reconnaissance
//! step before exploitation of a public-facing application.
//!
//! **Example.** `GET /admin.bak`, `/old/`, `/test/`, `/db/` … all 404 within seconds.
//!
//! **ATT&CK.** T1595.002 Vulnerability Scanning, T1595.003 Wordlist Scanning.

use super::config::ScanConfig;
use super::episode::{insert_capped, ratio, FxSet, Key, Slot, Tracker, MAX_MEMBERS};
use super::request::Req;
use super::WebRule;
use haboob_model::{ip_prefix, Alert, Origin, Severity, Ts, WebEvent};
use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

const ID: &str = "web.scan";
const TECHNIQUES: &[&str] = &["T1595.002", "T1595.003"];

#[derive(Debug, Default)]
pub(crate) struct ScanState {
    /// Distinct 4xx paths in the fast window (cleared once fired).
    fast: VecDeque<(Ts, u64)>,
    /// Start of the current slow window.
    slow_start: Ts,
    /// Distinct 4xx paths of the episode.
    distinct: FxSet,
    /// Non-static requests and 4xx among them (episode).
    total: u64,
    errors: u64,
    /// Prefix episodes: member addresses.
    members: Vec<IpAddr>,
    /// Prefix episodes: a member fired on its own (the prefix alert is redundant).
    member_fired: bool,
}

#[derive(Debug, Clone)]
struct Params {
    fast_min: usize,
    fast_ms: i64,
    slow_min: usize,
    slow_ratio: f64,
    slow_ms: i64,
    min_members: usize,
    max_evidence: usize,
}

/// The `web.scan` detector.
#[derive(Debug)]
pub(crate) struct WebScan {
    p: Params,
    ips: Tracker<ScanState>,
    prefixes: Option<Tracker<ScanState>>,
}

impl WebScan {
    pub fn new(c: &ScanConfig, max_evidence: usize, max_sources: usize) -> WebScan {
        let p = Params {
            fast_min: c.fast_min_paths.max(1),
            fast_ms: secs_ms(c.fast_window_secs),
            slow_min: c.slow_min_paths.max(1),
            slow_ratio: c.slow_min_error_ratio,
            slow_ms: secs_ms(c.slow_window_secs),
            min_members: c.prefix_min_members.max(2),
            max_evidence,
        };
        let idle = c.slow_window_secs.max(c.fast_window_secs);
        WebScan {
            p,
            ips: Tracker::new(idle, max_sources),
            prefixes: c
                .prefix_aggregation
                .then(|| Tracker::new(idle, max_sources)),
        }
    }

    #[cfg(test)]
    pub fn tracked(&self) -> usize {
        self.ips.len()
    }
}

pub(crate) fn secs_ms(s: u64) -> i64 {
    i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// Update one episode with a 4xx or other non-static request; returns true when
/// the episode fired with this event.
fn update(
    p: &Params,
    slot: &mut Slot<ScanState>,
    w: &WebEvent<'_>,
    req: &Req,
    o: &Origin<'_>,
) -> bool {
    let now = w.ts;
    let st = &mut slot.st;
    let is_err = w.status_class() == 4 && w.status != 429;
    if !slot.ep.fired && now.0.saturating_sub(st.slow_start.0) > p.slow_ms {
        // The slow window passed without firing: start over.
        slot.ep.restart(now);
        st.slow_start = now;
        st.distinct.clear();
        st.total = 0;
        st.errors = 0;
        st.members.clear();
        st.member_fired = false;
    }
    st.total += 1;
    if !is_err {
        return false;
    }
    st.errors += 1;
    let new = insert_capped(&mut st.distinct, req.path_hash);
    slot.ep.hit(now, o, p.max_evidence);
    if new {
        slot.ep.sample(&req.path_lossy());
    }
    if slot.ep.fired {
        return false;
    }
    while let Some(&(t, _)) = st.fast.front() {
        if now.0.saturating_sub(t.0) > p.fast_ms {
            st.fast.pop_front();
        } else {
            break;
        }
    }
    if !st.fast.iter().any(|(_, h)| *h == req.path_hash) {
        st.fast.push_back((now, req.path_hash));
    }
    let fast = st.fast.len() >= p.fast_min;
    let slow =
        st.distinct.len() >= p.slow_min && st.errors as f64 >= p.slow_ratio * st.total as f64;
    if fast || slow {
        slot.ep.fired = true;
        slot.ep.severity = Severity::Medium;
        st.fast = VecDeque::new();
        return true;
    }
    false
}

fn emit(p: &Params, s: Slot<ScanState>, out: &mut Vec<Alert>) {
    if !s.ep.fired {
        return;
    }
    if s.ep.prefix.is_some() && (s.st.member_fired || s.st.members.len() < p.min_members) {
        return;
    }
    let mut d = BTreeMap::new();
    d.insert("distinct_paths".into(), (s.st.distinct.len() as u64).into());
    d.insert("error_ratio".into(), ratio(s.st.errors, s.st.total));
    d.insert("requests".into(), s.st.total.into());
    let title = format!(
        "{} distinct 4xx probes ({}) from {}",
        s.st.distinct.len(),
        s.ep.title_samples(),
        s.ep.who_where()
    );
    out.push(s.ep.alert(ID, title, TECHNIQUES, d, &s.st.members));
}

impl WebRule for WebScan {
    fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        let p = &self.p;
        self.ips.maintain(w.ts, &mut |s| emit(p, s, out));
        if let Some(pt) = &mut self.prefixes {
            pt.maintain(w.ts, &mut |s| emit(p, s, out));
        }
        if req.is_static {
            return;
        }
        let is_err = w.status_class() == 4 && w.status != 429;
        let key: Key = (w.source_ip, req.site_hash);
        let fired = if is_err {
            let slot = self
                .ips
                .entry(key, w.source_ip, w.site, w.ts, &mut |s| emit(p, s, out));
            update(p, slot, w, req, o)
        } else {
            match self.ips.get_live(&key, w.ts) {
                Some(slot) => update(p, slot, w, req, o),
                None => false,
            }
        };
        let Some(pt) = &mut self.prefixes else { return };
        let prefix = ip_prefix(w.source_ip);
        let pkey: Key = (prefix.network, req.site_hash);
        let slot = if is_err {
            let s = pt.entry(pkey, w.source_ip, w.site, w.ts, &mut |s| emit(p, s, out));
            s.ep.prefix = Some(prefix);
            Some(s)
        } else {
            pt.get_live(&pkey, w.ts)
        };
        if let Some(slot) = slot {
            update(p, slot, w, req, o);
            if fired {
                slot.st.member_fired = true;
            }
            if is_err
                && slot.st.members.len() < MAX_MEMBERS
                && !slot.st.members.contains(&w.source_ip)
            {
                slot.st.members.push(w.source_ip);
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        let p = &self.p;
        self.ips.drain(&mut |s| emit(p, s, out));
        if let Some(pt) = &mut self.prefixes {
            pt.drain(&mut |s| emit(p, s, out));
        }
    }
}
