//! `web.crawl`: aggressive crawling of non-static pages.
//!
//! **What it detects.** One source fetching ≥ 40 distinct non-static paths
//! (GET/HEAD) within 30 s, as CrowdSec's `http-crawl-non_statics`, or a
//! sustained ≥ 40 within 2 minutes (a page every 3 s). User agents
//! in `crawl.allow_user_agents` (a search engine you welcome) are exempt.
//!
//! **Why it matters.** Mirroring a site's pages maps its content, staff pages and
//! document links ahead of targeting; humans do not read 40 pages in 30 s.
//!
//! **Example.** `/page-01` … `/page-41` within one second.
//!
//! **ATT&CK.** T1595 Active Scanning, T1594 Search Victim-Owned Websites.

use super::config::CrawlConfig;
use super::episode::{insert_capped, Key, Recycle, Slot, Tracker};
use super::fxhash::FxSet;
use super::method::method_is;
use super::request::Req;
use super::scan::secs_ms;
use super::WebRule;
use aho_corasick::AhoCorasick;
use haboob_model::{Alert, Origin, Severity, Ts, WebEvent};
use std::collections::VecDeque;

const ID: &str = "web.crawl";
const TECHNIQUES: &[&str] = &["T1595", "T1594"];

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct CrawlState {
    window: VecDeque<(Ts, u64)>,
    distinct: FxSet,
}

impl Recycle for CrawlState {
    fn recycle(&mut self) {
        // A small window buffer is kept; a large one (or any distinct set,
        // which only a fired episode fills) is freed.
        if self.window.capacity() <= 64 {
            self.window.clear();
        } else {
            self.window = VecDeque::new();
        }
        self.distinct = FxSet::default();
    }
}

/// The `web.crawl` detector.
#[derive(Debug)]
pub(crate) struct WebCrawl {
    min: usize,
    window_ms: i64,
    /// Sustained variant: (distinct paths, window ms); `None` when off.
    sustained: Option<(usize, i64)>,
    /// Entries are kept for the longer of the two windows.
    keep_ms: i64,
    allow: Option<AhoCorasick>,
    max_evidence: usize,
    t: Tracker<CrawlState>,
}

impl WebCrawl {
    pub fn new(c: &CrawlConfig, max_evidence: usize, max_sources: usize) -> Self {
        let allow = super::substring_matcher(&c.allow_user_agents);
        let sustained = (c.sustained_min_paths > 0)
            .then(|| (c.sustained_min_paths, secs_ms(c.sustained_window_secs)));
        let window_ms = secs_ms(c.window_secs);
        let keep_ms = sustained.map_or(window_ms, |(_, ms)| ms.max(window_ms));
        let quiet = if sustained.is_some() {
            c.window_secs.max(c.sustained_window_secs)
        } else {
            c.window_secs
        };
        WebCrawl {
            min: c.min_paths.max(1),
            window_ms,
            sustained,
            keep_ms,
            allow,
            max_evidence,
            t: Tracker::new(quiet, max_sources),
        }
    }
}

fn emit(s: Slot<CrawlState>, out: &mut Vec<Alert>) {
    if !s.ep.fired {
        return;
    }
    let mut d = haboob_model::Details::new();
    d.insert("distinct_paths".into(), (s.st.distinct.len() as u64).into());
    let secs = (s.ep.last.0 - s.ep.first.0) as f64 / 1000.0;
    d.insert("duration_secs".into(), secs.into());
    let title = format!(
        "{} non-static page requests in {:.0} s from {}",
        s.ep.count,
        secs,
        s.ep.who_where()
    );
    out.push(s.ep.alert(ID, title, TECHNIQUES, d, &[]));
}

impl WebRule for WebCrawl {
    fn id(&self) -> &'static str {
        "web.crawl"
    }

    fn save(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of("web.crawl", &self.t)
    }

    fn restore(&mut self, s: crate::DetectorState) -> Result<(), crate::StateError> {
        self.t = s.into("web.crawl")?;
        Ok(())
    }

    /// The quick part (inlined into the rule set's loop); the rest only
    /// for a request this rule counts.
    #[inline(always)]
    fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        self.t.maintain(w.ts, &mut |s| emit(s, out));
        if req.is_static
            || !(w.method.is_empty() || method_is(w.method, b"get") || method_is(w.method, b"head"))
        {
            return;
        }
        if let Some(a) = &self.allow {
            if a.is_match(&w.user_agent.as_bytes()[..w.user_agent.len().min(1024)]) {
                return;
            }
        }
        self.page(w, req, o, out);
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        self.t.drain(&mut |s| emit(s, out));
    }
}

impl WebCrawl {
    /// One page request of an agent not allowed.
    #[inline(never)]
    fn page(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        let key: Key = (w.source_ip, req.site_hash);
        let slot = self
            .t
            .entry(key, w.source_ip, w.site, w.ts, &mut |s| emit(s, out));
        let st = &mut slot.st;
        slot.ep.hit(w.ts, o, self.max_evidence);
        if slot.ep.fired {
            if insert_capped(&mut st.distinct, req.path_hash) {
                slot.ep.sample(&req.path_lossy());
            }
            return;
        }
        while let Some(&(t, _)) = st.window.front() {
            if w.ts.0.saturating_sub(t.0) > self.keep_ms {
                st.window.pop_front();
            } else {
                break;
            }
        }
        if st.window.is_empty() && slot.ep.count > 1 {
            // Nothing left of the previous burst: start the episode over.
            slot.ep.restart(w.ts);
            slot.ep.hit(w.ts, o, self.max_evidence);
        }
        if !st.window.iter().any(|(_, h)| *h == req.path_hash) {
            st.window.push_back((w.ts, req.path_hash));
            if slot.ep.samples.len() < super::episode::MAX_SAMPLES {
                slot.ep.sample(&req.path_lossy());
            }
        }
        let recent = st
            .window
            .iter()
            .rev()
            .take_while(|(t, _)| w.ts.0.saturating_sub(t.0) <= self.window_ms)
            .count();
        let sustained = self
            .sustained
            .is_some_and(|(min, _)| st.window.len() >= min);
        if recent >= self.min || sustained {
            slot.ep.fired = true;
            slot.ep.severity = Severity::Low;
            st.distinct = st.window.iter().map(|(_, h)| *h).collect();
            st.window = VecDeque::new();
        }
    }
}
