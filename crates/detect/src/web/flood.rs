//! `web.flood`: an HTTP request flood from one source.
//!
//! **What it detects.** One source (per site) sending non-static requests
//! far faster than a browser, in one of three shapes (CrowdSec's
//! `http-dos-*` behaviours):
//! - *focused*: ≥ `min_focused_requests` (30) within `window_secs` (1 s),
//!   at least `focus_share` (80 %) of them on one path — one URL hammered,
//!   also when every request carries a fresh random query string to bypass
//!   caches (`/?8890121518`);
//! - *rate*: ≥ `min_requests` (50) within `window_secs`, whatever the paths;
//! - *user-agent rotation*: ≥ `min_user_agents` (10) distinct user agents
//!   within `ua_window_secs` (10 s), with distinct agents at least half the
//!   requests (a tool switching agent per request; many users behind one
//!   NAT address repeat their agent over their pages).
//!
//! Static assets never count (a page load fetches dozens at once). The
//! alert reports the shape, the peak, the distinct paths and agents, the
//! requests without a user agent and the share of unique query strings
//! (`cache_bypass` when ≥ 80 % of the requests carry one never seen before).
//! The episode ends after 60 s without a request.
//!
//! **Why it matters.** Layer-7 floods (LOIC, mhddos, cc-attack) take a site
//! down or hide other activity in the noise.
//!
//! **ATT&CK.** T1498 Network Denial of Service, T1499.002 Service Exhaustion
//! Flood.

use super::config::FloodConfig;
use super::episode::{insert_capped, Key, Recycle, Slot, Tracker};
use super::fxhash::{hash_bytes, FxSet};
use super::request::Req;
use super::WebRule;
use haboob_model::{Alert, Origin, Severity, Ts, WebEvent};
use std::collections::VecDeque;

const ID: &str = "web.flood";
const TECHNIQUES: &[&str] = &["T1498", "T1499.002"];
/// Quiet time that ends an episode, seconds.
const IDLE_SECS: u64 = 60;

/// Which shape crossed its threshold first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
enum Shape {
    #[default]
    Focused,
    Rate,
    UserAgents,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Focused => "focused",
            Shape::Rate => "rate",
            Shape::UserAgents => "user_agent_rotation",
        }
    }
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct FloodState {
    /// Recent non-static requests: (time, (path hash, target hash, no user
    /// agent)), at most the larger request threshold.
    recent: VecDeque<(Ts, (u64, u64, bool))>,
    /// The first user agent seen (hash); `agents` starts only when another
    /// one shows up, so single-agent sources keep no agent history.
    first_ua: Option<u64>,
    /// Recent (time, user-agent hash) once a second agent was seen.
    agents: VecDeque<(Ts, u64)>,
    shape: Shape,
    peak: usize,
    // After firing: what the flood looked like (bounded sets).
    paths: FxSet,
    uas: FxSet,
    targets: FxSet,
    tracked: u64,
    with_query: u64,
    new_queries: u64,
    no_ua: u64,
}

impl Recycle for FloodState {
    fn recycle(&mut self) {
        if self.recent.capacity() <= 64 {
            self.recent.clear();
        } else {
            self.recent = VecDeque::new();
        }
        if self.agents.capacity() <= 64 {
            self.agents.clear();
        } else {
            self.agents = VecDeque::new();
        }
        self.first_ua = None;
        self.shape = Shape::default();
        self.peak = 0;
        self.paths = FxSet::default();
        self.uas = FxSet::default();
        self.targets = FxSet::default();
        (self.tracked, self.with_query, self.new_queries, self.no_ua) = (0, 0, 0, 0);
    }
}

/// The `web.flood` detector.
#[derive(Debug)]
pub(crate) struct WebFlood {
    min_requests: usize,
    min_focused: usize,
    focus_share: f64,
    window_ms: i64,
    min_agents: usize,
    ua_window_ms: i64,
    max_evidence: usize,
    t: Tracker<FloodState>,
}

impl WebFlood {
    pub fn new(c: &FloodConfig, max_evidence: usize, max_sources: usize) -> Self {
        let ms = |s: u64| i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX);
        WebFlood {
            min_requests: if c.min_requests == 0 {
                usize::MAX
            } else {
                c.min_requests
            },
            min_focused: if c.min_focused_requests == 0 {
                usize::MAX
            } else {
                c.min_focused_requests
            },
            focus_share: c.focus_share,
            window_ms: ms(c.window_secs),
            min_agents: if c.min_user_agents == 0 {
                usize::MAX
            } else {
                c.min_user_agents
            },
            ua_window_ms: ms(c.ua_window_secs),
            max_evidence,
            t: Tracker::new(IDLE_SECS, max_sources),
        }
    }

    /// Requests kept in the rate window.
    fn rate_cap(&self) -> usize {
        let a = if self.min_requests == usize::MAX {
            0
        } else {
            self.min_requests
        };
        let b = if self.min_focused == usize::MAX {
            0
        } else {
            self.min_focused
        };
        a.max(b)
    }

    /// Agent history kept (the requests the distinct-agent share is taken
    /// over): eight times the agents asked for.
    fn agent_cap(&self) -> usize {
        if self.min_agents == usize::MAX {
            0
        } else {
            self.min_agents.saturating_mul(8)
        }
    }
}

fn emit(s: Slot<FloodState>, out: &mut Vec<Alert>) {
    if !s.ep.fired {
        return;
    }
    let st = &s.st;
    let mut d = haboob_model::Details::new();
    d.insert("shape".into(), st.shape.name().into());
    d.insert("peak_requests".into(), (st.peak as u64).into());
    d.insert("distinct_paths".into(), (st.paths.len() as u64).into());
    d.insert("user_agents".into(), (st.uas.len() as u64).into());
    d.insert("no_user_agent".into(), st.no_ua.into());
    d.insert("requests_with_query".into(), st.with_query.into());
    // Cache bypass: ≥ 80 % of the flood's requests carry a query string
    // never seen before on that path.
    let bypass = st.with_query > 0 && st.new_queries * 5 >= st.tracked * 4;
    d.insert("cache_bypass".into(), bypass.into());
    let secs = (s.ep.last.0 - s.ep.first.0) as f64 / 1000.0;
    d.insert("duration_secs".into(), secs.into());
    let what = match st.shape {
        Shape::UserAgents => format!("{} user agents", st.uas.len()),
        _ if bypass => "cache-busting queries".to_string(),
        _ => format!("{} paths", st.paths.len()),
    };
    let title = format!(
        "HTTP flood ({}): {} requests in {:.0} s, {} from {}",
        st.shape.name(),
        s.ep.count,
        secs,
        what,
        s.ep.who_where()
    );
    out.push(s.ep.alert(ID, title, TECHNIQUES, d, &[]));
}

/// Drop entries older than `window_ms` before `now`.
fn prune<T>(d: &mut VecDeque<(Ts, T)>, now: Ts, window_ms: i64) {
    while let Some((t, _)) = d.front() {
        if now.0.saturating_sub(t.0) > window_ms {
            d.pop_front();
        } else {
            break;
        }
    }
}

/// Hash of path and query together (0 without a query).
fn target_hash(w: &WebEvent<'_>, req: &Req) -> u64 {
    if w.query.is_empty() {
        0
    } else {
        (req.path_hash ^ hash_bytes(w.query.as_bytes()).rotate_left(1)) | 1
    }
}

impl FloodState {
    /// Count one request of a fired flood (or of the burst that fired it).
    fn tally(&mut self, path: u64, target: u64, ua: u64, no_ua: bool) {
        insert_capped(&mut self.paths, path);
        insert_capped(&mut self.uas, ua);
        self.tracked += 1;
        self.no_ua += u64::from(no_ua);
        if target != 0 {
            self.with_query += 1;
            self.new_queries += u64::from(insert_capped(&mut self.targets, target));
        }
    }
}

impl WebRule for WebFlood {
    fn id(&self) -> &'static str {
        "web.flood"
    }

    fn save(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of("web.flood", &self.t)
    }

    fn restore(&mut self, s: crate::DetectorState) -> Result<(), crate::StateError> {
        self.t = s.into("web.flood")?;
        Ok(())
    }

    /// The quick part (inlined into the rule set's loop); the rest only
    /// for a request this rule counts.
    #[inline(always)]
    fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        self.t.maintain(w.ts, &mut |s| emit(s, out));
        if req.is_static {
            return;
        }
        self.request(w, req, o, out);
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        self.t.drain(&mut |s| emit(s, out));
    }
}

impl WebFlood {
    /// One non-static request.
    #[inline(never)]
    fn request(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        let (rate_cap, agent_cap) = (self.rate_cap(), self.agent_cap());
        let key: Key = (w.source_ip, req.site_hash);
        let slot = self
            .t
            .entry(key, w.source_ip, w.site, w.ts, &mut |s| emit(s, out));
        let st = &mut slot.st;
        // The view hashes the user agent (its first `MAX_UA` bytes) once.
        let (ua_hash, no_ua) = (req.ua_hash, w.user_agent.is_empty());
        let target = target_hash(w, req);
        if slot.ep.fired {
            slot.ep.hit(w.ts, o, self.max_evidence);
            if !st.paths.contains(&req.path_hash) {
                slot.ep.sample(&req.path_lossy());
            }
            st.tally(req.path_hash, target, ua_hash, no_ua);
            return;
        }
        prune(&mut st.recent, w.ts, self.window_ms);
        prune(&mut st.agents, w.ts, self.ua_window_ms);
        if st.recent.is_empty() && st.agents.is_empty() && slot.ep.count > 0 {
            // Nothing left of the previous burst: start the episode over.
            slot.ep.restart(w.ts);
        }
        slot.ep.hit(w.ts, o, self.max_evidence);
        // Rate window: the last `rate_cap` non-static requests.
        if rate_cap > 0 {
            if st.recent.len() == rate_cap {
                st.recent.pop_front();
            }
            st.recent.push_back((w.ts, (req.path_hash, target, no_ua)));
        }
        let n = st.recent.len();
        let mut shape = None;
        if n >= self.min_requests {
            shape = Some(Shape::Rate);
        } else if n >= self.min_focused {
            let same = st
                .recent
                .iter()
                .filter(|(_, r)| r.0 == req.path_hash)
                .count();
            if same as f64 >= self.focus_share * n as f64 {
                shape = Some(Shape::Focused);
            }
        }
        // Agent rotation: history only once a second agent appears.
        if agent_cap > 0 {
            match st.first_ua {
                None => st.first_ua = Some(ua_hash),
                Some(first) if first != ua_hash || !st.agents.is_empty() => {
                    if st.agents.is_empty() {
                        st.agents.push_back((w.ts, first));
                    }
                    if st.agents.len() == agent_cap {
                        st.agents.pop_front();
                    }
                    st.agents.push_back((w.ts, ua_hash));
                }
                Some(_) => {}
            }
            if shape.is_none() && st.agents.len() >= self.min_agents {
                let distinct: FxSet = st.agents.iter().map(|(_, h)| *h).collect();
                if distinct.len() >= self.min_agents && distinct.len() * 2 >= st.agents.len() {
                    shape = Some(Shape::UserAgents);
                }
            }
        }
        let Some(shape) = shape else { return };
        slot.ep.fired = true;
        slot.ep.severity = Severity::Medium;
        st.shape = shape;
        st.peak = match shape {
            Shape::UserAgents => st.agents.len(),
            _ => n,
        };
        // What the burst held, then the rest of the flood.
        let recent = std::mem::take(&mut st.recent);
        for (_, (path, target, no_ua)) in &recent {
            st.tally(*path, *target, 0, *no_ua);
        }
        st.uas.clear();
        for (_, h) in &std::mem::take(&mut st.agents) {
            insert_capped(&mut st.uas, *h);
        }
        insert_capped(&mut st.uas, ua_hash);
        slot.ep.sample(&req.path_lossy());
    }
}
