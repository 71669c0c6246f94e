//! `web.admin_enum`: admin panel and login page enumeration.
//!
//! **What it detects.** One source trying many distinct admin or login paths
//! (`/wp-login.php`, `/administrator`, `/phpmyadmin`, `/manager/html`, …; list in
//! [`super::lists::ADMIN_PATHS`]): ≥ 5 distinct within 10 min, mostly answered
//! 3xx/4xx (the source is guessing, not navigating a site it knows).
//!
//! **Why it matters.** Finding the management interface is the step before
//! credential attacks against it.
//!
//! **Example.** `/admin` 404, `/administrator` 404, `/phpmyadmin` 404,
//! `/wp-login.php` 404, `/manager/html` 404.
//!
//! **ATT&CK.** T1595.003 Wordlist Scanning.

use super::cache::VerdictCache;
use super::config::AdminEnumConfig;
use super::crawlers::Crawlers;
use super::episode::{insert_capped, ratio, Key, Slot, Tracker};
use super::fxhash::FxSet;
use super::lists::{ADMIN_PATHS, PRODUCT_ADMIN_PATHS};
use super::pathset::PathSet;
use super::probe::{self, Family};
use super::request::Req;
use super::scan::secs_ms;
use super::WebRule;
use haboob_model::{Alert, Origin, Severity, WebEvent};

const ID: &str = "web.admin_enum";
const TECHNIQUES: &[&str] = &["T1595.003"];

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct AdminState {
    distinct: FxSet,
    failures: u64,
    /// The episode fired only as a `web.probe` (a product's admin page
    /// answered 404 or 410, from no crawler): it ends as that alert unless
    /// the threshold is crossed.
    #[serde(default)]
    single: bool,
}

impl super::episode::Recycle for AdminState {}

#[derive(Debug, Clone)]
struct Params {
    min_paths: usize,
    min_failure_ratio: f64,
    window_ms: i64,
    on_single: bool,
    max_evidence: usize,
}

/// The `web.admin_enum` detector.
#[derive(Debug)]
pub(crate) struct WebAdminEnum {
    p: Params,
    set: PathSet,
    cache: VerdictCache<bool>,
    /// [`PRODUCT_ADMIN_PATHS`]: what makes a `web.probe`.
    products: PathSet,
    crawlers: Crawlers,
    t: Tracker<AdminState>,
}

impl WebAdminEnum {
    /// `crawlers`: configured crawler user agents (beside the built-in ones).
    pub fn new(
        c: &AdminEnumConfig,
        crawlers: Crawlers,
        max_evidence: usize,
        max_sources: usize,
    ) -> Self {
        WebAdminEnum {
            p: Params {
                min_paths: c.min_paths.max(1),
                min_failure_ratio: c.min_failure_ratio,
                window_ms: secs_ms(c.window_secs),
                on_single: c.alert_on_single_probe,
                max_evidence,
            },
            set: PathSet::new(ADMIN_PATHS, &c.extra_admin_paths),
            products: PathSet::new(PRODUCT_ADMIN_PATHS, &[]),
            crawlers,
            cache: VerdictCache::default(),
            t: Tracker::new(c.window_secs, max_sources),
        }
    }
}

fn emit(s: Slot<AdminState>, out: &mut Vec<Alert>) {
    if !s.ep.fired {
        return;
    }
    if s.st.single {
        out.push(single(&s.ep, &s.st));
        return;
    }
    let mut d = haboob_model::Details::new();
    d.insert("distinct_paths".into(), (s.st.distinct.len() as u64).into());
    d.insert("failure_ratio".into(), ratio(s.st.failures, s.ep.count));
    let title = format!(
        "{} admin/login page probes ({}) from {}",
        s.ep.count,
        s.ep.title_samples(),
        s.ep.who_where()
    );
    out.push(s.ep.alert(ID, title, TECHNIQUES, d, &[]));
}

/// The `web.probe` alert of an episode that fired only as one.
fn single(ep: &super::episode::Episode, st: &AdminState) -> Alert {
    probe::alert(ep, Family::Admin, st.distinct.len())
}

impl WebRule for WebAdminEnum {
    fn id(&self) -> &'static str {
        "web.admin_enum"
    }

    fn save(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of("web.admin_enum", &self.t)
    }

    fn restore(&mut self, s: crate::DetectorState) -> Result<(), crate::StateError> {
        self.t = s.into("web.admin_enum")?;
        Ok(())
    }

    /// The quick part (inlined into the rule set's loop); the rest only
    /// for a request this rule counts.
    #[inline(always)]
    fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        self.t.maintain(w.ts, &mut |s| emit(s, out));
        if !self
            .set
            .matches_cached(&mut self.cache, req.path(), req.path_id)
        {
            return;
        }
        self.probe(w, req, o, out);
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        self.t.drain(&mut |s| emit(s, out));
    }
}

impl WebAdminEnum {
    /// One request for an admin or login page.
    #[inline(never)]
    fn probe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        let p = &self.p;
        let key: Key = (w.source_ip, req.site_hash);
        let slot = self
            .t
            .entry(key, w.source_ip, w.site, w.ts, &mut |s| emit(s, out));
        // A lone probe's episode ends with its window, as an unfired one
        // restarts (its alert now).
        if (!slot.ep.fired || slot.st.single) && slot.ep.window_passed(w.ts, p.window_ms) {
            if slot.st.single {
                out.push(single(&slot.ep, &slot.st));
            }
            slot.ep.restart(w.ts);
            slot.st = AdminState::default();
        }
        let new = insert_capped(&mut slot.st.distinct, req.path_hash);
        slot.ep.hit(w.ts, o, p.max_evidence);
        if new {
            slot.ep.sample(&req.path_lossy());
        }
        if matches!(w.status_class(), 3 | 4) {
            slot.st.failures += 1;
        }
        if (!slot.ep.fired || slot.st.single)
            && slot.st.distinct.len() >= p.min_paths
            && slot.st.failures as f64 >= p.min_failure_ratio * slot.ep.count as f64
        {
            slot.ep.fired = true;
            slot.st.single = false;
            slot.ep.severity = Severity::Medium;
        } else if !slot.ep.fired
            && p.on_single
            && matches!(w.status, 404 | 410)
            && self.products.matches(req.path())
            && !self.crawlers.matches(w.user_agent.as_bytes(), w.source_ip)
        {
            slot.ep.fired = true;
            slot.st.single = true;
        }
    }
}
