//! `web.scan`: vulnerability and wordlist scanning.
//!
//! **What it detects.** One source requesting many distinct non-static paths that
//! the server answers with 4xx (429 excepted): a fast variant (≥ 10 distinct in
//! 10 s, as CrowdSec's `http-probing`) and a slow variant (≥ 30 distinct 4xx paths
//! with an error ratio ≥ 0.5 within 10 min). A WordPress variant fires sooner,
//! at ≥ 4 distinct WordPress component probes answered 4xx within 60 s
//! (`/wp-….php`, or `.php`/`.txt`/`.md` files under `/wp-content/plugins/` or
//! `/themes/`, as vulnerable-plugin hunters request; browsers fetch only the
//! static assets of plugins, which never count). Also per /24 or /64 when a
//! scan is spread over neighbouring addresses and no single one crosses the
//! threshold.
//!
//! **Why it matters.** Wordlist and vulnerability scanning is the reconnaissance
//! step before exploitation of a public-facing application.
//!
//! **Example.** `GET /admin.bak`, `/old/`, `/test/`, `/db/` … all 404 within seconds.
//!
//! **ATT&CK.** T1595.002 Vulnerability Scanning, T1595.003 Wordlist Scanning.

use super::config::ScanConfig;
use super::episode::{insert_capped, ratio, Key, Slot, Tracker, MAX_MEMBERS};
use super::fxhash::FxSet;
use super::habits::Habits;
use super::request::Req;
use super::WebRule;
use haboob_model::{ip_prefix, Alert, Origin, Severity, Ts, WebEvent};
use std::collections::VecDeque;
use std::net::IpAddr;

const ID: &str = "web.scan";
const TECHNIQUES: &[&str] = &["T1595.002", "T1595.003"];

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct ScanState {
    /// Distinct 4xx paths in the fast window (cleared once fired).
    fast: VecDeque<(Ts, u64)>,
    /// Distinct 4xx WordPress probes in their window (cleared once fired).
    wordpress: VecDeque<(Ts, u64)>,
    /// Distinct 4xx WordPress probes of the episode.
    wordpress_total: u64,
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
    /// Tool habits of the 4xx requests (the alert's `fingerprint`).
    habits: Habits,
}

/// Capacity a recycled slot keeps in each collection: a new source's first
/// 4xx then reuses it instead of allocating a window and a set, while a
/// scanner's thousands of paths are not held by the pool.
const KEEP: usize = 64;

/// Clear `v`, keeping its buffer when it is at most [`KEEP`] long.
macro_rules! clear_small {
    ($v:expr) => {
        if $v.capacity() <= KEEP {
            $v.clear();
        } else {
            $v = Default::default();
        }
    };
}

impl super::episode::Recycle for ScanState {
    fn recycle(&mut self) {
        // Every field named: a new one must be reset here too.
        let ScanState {
            fast,
            wordpress,
            wordpress_total,
            slow_start,
            distinct,
            total,
            errors,
            members,
            member_fired,
            habits,
        } = self;
        clear_small!(*fast);
        clear_small!(*wordpress);
        clear_small!(*distinct);
        clear_small!(*members);
        *wordpress_total = 0;
        *slow_start = Ts::default();
        *total = 0;
        *errors = 0;
        *member_fired = false;
        habits.clear();
    }
}

#[derive(Debug, Clone)]
struct Params {
    fast_min: usize,
    fast_ms: i64,
    slow_min: usize,
    slow_ratio: f64,
    slow_ms: i64,
    min_members: usize,
    wp_min: usize,
    wp_ms: i64,
    max_evidence: usize,
}

/// The `web.scan` detector.
#[derive(Debug)]
pub(crate) struct WebScan {
    p: Params,
    ips: Tracker<ScanState>,
    prefixes: Option<Tracker<ScanState>>,
}

/// Saved state of [`WebScan`]: the per-address and per-prefix trackers.
type ScanSaved = (Tracker<ScanState>, Option<Tracker<ScanState>>);

impl WebScan {
    fn saved(&self) -> (&Tracker<ScanState>, &Option<Tracker<ScanState>>) {
        (&self.ips, &self.prefixes)
    }

    fn restored(&mut self, (ips, prefixes): ScanSaved) {
        self.ips = ips;
        self.prefixes = prefixes;
    }

    pub fn new(c: &ScanConfig, max_evidence: usize, max_sources: usize) -> WebScan {
        let p = Params {
            fast_min: c.fast_min_paths.max(1),
            fast_ms: secs_ms(c.fast_window_secs),
            slow_min: c.slow_min_paths.max(1),
            slow_ratio: c.slow_min_error_ratio,
            slow_ms: secs_ms(c.slow_window_secs),
            min_members: c.prefix_min_members.max(2),
            wp_min: c.wordpress_min_paths,
            wp_ms: secs_ms(c.wordpress_window_secs),
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

/// A WordPress component probe: a `wp-*` path segment and a `.php` file, or
/// a `.php`/`.txt`/`.md` file of a plugin or theme (decoded, lower-case path).
pub(crate) fn is_wordpress_probe(path: &[u8]) -> bool {
    let wp_segment = memchr::memmem::find(path, b"/wp-").is_some();
    if !wp_segment {
        return false;
    }
    if path.ends_with(b".php") {
        return true;
    }
    let component = memchr::memmem::find(path, b"/wp-content/plugins/").is_some()
        || memchr::memmem::find(path, b"/wp-content/themes/").is_some();
    component && (path.ends_with(b".txt") || path.ends_with(b".md"))
}

/// Keep the distinct (time, path) pairs of the last `window` ms and add `h`;
/// returns how many remain.
fn window_distinct(q: &mut VecDeque<(Ts, u64)>, now: Ts, h: u64, window: i64) -> usize {
    while let Some(&(t, _)) = q.front() {
        if now.0.saturating_sub(t.0) > window {
            q.pop_front();
        } else {
            break;
        }
    }
    if !q.iter().any(|(_, x)| *x == h) {
        q.push_back((now, h));
    }
    q.len()
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
        st.wordpress_total = 0;
        st.members.clear();
        st.member_fired = false;
        st.habits.clear();
    }
    st.total += 1;
    if !is_err {
        return false;
    }
    st.errors += 1;
    let new = insert_capped(&mut st.distinct, req.path_hash);
    st.habits.observe(w, req.path_hash, new);
    slot.ep.hit(now, o, p.max_evidence);
    if new {
        slot.ep.sample(&req.path_lossy());
    }
    if slot.ep.fired {
        return false;
    }
    let fast = window_distinct(&mut st.fast, now, req.path_hash, p.fast_ms) >= p.fast_min;
    let slow =
        st.distinct.len() >= p.slow_min && st.errors as f64 >= p.slow_ratio * st.total as f64;
    let mut wordpress = false;
    if p.wp_min > 0 && is_wordpress_probe(req.path()) {
        if new {
            st.wordpress_total += 1;
        }
        wordpress = window_distinct(&mut st.wordpress, now, req.path_hash, p.wp_ms) >= p.wp_min;
    }
    if fast || slow || wordpress {
        slot.ep.fired = true;
        slot.ep.severity = Severity::Medium;
        st.fast = VecDeque::new();
        st.wordpress = VecDeque::new();
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
    let mut d = haboob_model::Details::new();
    d.insert("distinct_paths".into(), (s.st.distinct.len() as u64).into());
    d.insert("error_ratio".into(), ratio(s.st.errors, s.st.total));
    d.insert("requests".into(), s.st.total.into());
    if s.st.wordpress_total > 0 {
        d.insert("wordpress_probes".into(), s.st.wordpress_total.into());
    }
    d.insert("fingerprint".into(), s.st.habits.details());
    let title = format!(
        "{} distinct 4xx probes ({}) from {}",
        s.st.distinct.len(),
        s.ep.title_samples(),
        s.ep.who_where()
    );
    out.push(s.ep.alert(ID, title, TECHNIQUES, d, &s.st.members));
}

impl WebRule for WebScan {
    fn id(&self) -> &'static str {
        "web.scan"
    }

    fn save(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of("web.scan", &self.saved())
    }

    fn restore(&mut self, s: crate::DetectorState) -> Result<(), crate::StateError> {
        self.restored(s.into("web.scan")?);
        Ok(())
    }

    /// The quick part (inlined into the rule set's loop); the rest only
    /// for a request this rule counts.
    #[inline(always)]
    fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        let p = &self.p;
        self.ips.maintain(w.ts, &mut |s| emit(p, s, out));
        if let Some(pt) = &mut self.prefixes {
            pt.maintain(w.ts, &mut |s| emit(p, s, out));
        }
        if req.is_static {
            return;
        }
        self.page(w, req, o, out);
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        let p = &self.p;
        self.ips.drain(&mut |s| emit(p, s, out));
        if let Some(pt) = &mut self.prefixes {
            pt.drain(&mut |s| emit(p, s, out));
        }
    }
}

impl WebScan {
    /// One non-static request.
    #[inline(never)]
    fn page(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        let p = &self.p;
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
}

#[cfg(test)]
mod tests {
    use super::is_wordpress_probe as wp;

    #[test]
    fn wordpress_probes_and_near_misses() {
        assert!(wp(b"/wp-content/plugins/adminimize/adminimize_page.php"));
        assert!(wp(
            b"/activate/wp-content/plugins/x/admin-panel/download-file.php"
        ));
        assert!(wp(b"/smth/wp-admin/admin-ajax.php"));
        assert!(wp(b"/wp-content/plugins/blocksy-companion/readme.txt"));
        assert!(wp(b"/wp-content/themes/astra/readme.md"));
        assert!(wp(b"/wp-login.php"));
        // Plugin assets, other text files, non-WordPress PHP, lookalike names.
        assert!(!wp(b"/wp-content/plugins/x/style.css"));
        assert!(!wp(b"/wp-content/uploads/notes.txt"));
        assert!(!wp(b"/index.php"));
        assert!(!wp(b"/blog/wp-guide.html"));
        assert!(!wp(b"/mywp-admin/x.php"));
    }
}

#[cfg(test)]
mod recycle_tests {
    use super::super::episode::Recycle;
    use super::*;

    #[test]
    fn a_recycled_state_equals_a_new_one_and_keeps_only_small_buffers() {
        let mut st = ScanState::default();
        for i in 0..10u64 {
            st.fast.push_back((Ts(i as i64), i));
            st.distinct.insert(i);
        }
        st.total = 10;
        st.errors = 9;
        st.member_fired = true;
        st.members.push("192.0.2.1".parse().unwrap());
        st.recycle();
        assert_eq!(format!("{st:?}"), format!("{:?}", ScanState::default()));
        assert!(st.fast.capacity() >= 10 && st.distinct.capacity() >= 10);
        // A scanner's thousand paths are not kept by the pool.
        for i in 0..1000u64 {
            st.distinct.insert(i);
        }
        st.recycle();
        assert_eq!(st.distinct.capacity(), 0);
        assert_eq!(format!("{st:?}"), format!("{:?}", ScanState::default()));
    }
}
