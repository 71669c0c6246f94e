//! `web.sweep`: distributed sweeps.
//!
//! **What it detects.** Many sources, each below every per-source threshold,
//! asking one site for the same kind of name in the same way: requests are
//! keyed by a *request fingerprint* (site, method, user agent or its
//! absence, path family — backup/archive and secret/credential file (one
//! group: a sweep for files to steal asks both), webshell/upload path,
//! VCS/config leak, admin/setup page; see [`super::sweep_class`]). The alert fires when ≥ 20 light sources (≤ 5
//! requests of the fingerprint each) share one fingerprint within 24 h and
//! ≥ 80 % of the requests went unanswered (4xx; redirects do not count).
//! One alert lists every source (`source.members`, bounded; the total in the
//! details), the paths asked, the fingerprint, the time spread and the share
//! answered. Severity medium; high when a request was answered 2xx with a
//! body (the file may have been served: `served_paths`).
//!
//! **Why it matters.** A sweep spread over hundreds of addresses (one or
//! two `HEAD` requests each, no user agent, for `www.zip`,
//! `<site>.tar.gz`, `wallet.dat`, `/backup/.env`) stays under every
//! per-source rule and under the peers' (CrowdSec, fail2ban) as well.
//!
//! **Quiet on.** Requests outside the families (browsers of one popular
//! page, CDN health checks, uptime monitors, `favicon.ico`, `robots.txt`,
//! `/.well-known/`), answered families (a download served to many), and
//! crawler user agents (built-in search-engine list plus
//! `crawler_user_agents`).
//!
//! **ATT&CK.** T1595.003 Wordlist Scanning, T1083 File and Directory Discovery.

use super::cache::VerdictCache;
use super::config::SweepConfig;
use super::episode::{bounded, insert_capped, EvidenceBuf};
use super::fxhash::{hash_bytes, FxBuild, FxSet};
use super::method::method_is;
use super::request::Req;
use super::scan::secs_ms;
use super::sweep_class::{Class, Classifier, Family, Group};
use super::WebRule;
use haboob_model::{Alert, Origin, Ts, WebEvent};
use std::collections::HashMap;
use std::net::IpAddr;

#[path = "sweep_alert.rs"]
mod alert;
use alert::alert;
#[path = "sweep_wordlist.rs"]
pub(crate) mod wordlist;
use wordlist::{WordlistParams, Wordlists};

const ID: &str = "web.sweep";
const TECHNIQUES: &[&str] = &["T1595.003", "T1083"];
/// Distinct paths listed per alert.
const MAX_PATHS: usize = 30;
/// Served paths listed per alert.
const MAX_SERVED: usize = 10;
/// Events between idle sweeps of the fingerprint map.
const SWEEP_EVERY: u32 = 4096;
/// Sites whose host-derived names are kept.
const MAX_SITES: usize = 1024;

/// One source's requests of one fingerprint.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Src {
    first: Ts,
    last: Ts,
    n: u32,
    unanswered: u32,
    answered: u32,
    redirects: u32,
    /// Hash of the path of its last redirected request.
    redirected: u64,
}

/// Running totals over the tracked sources (kept exact under pruning).
#[derive(Debug, Default, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Totals {
    requests: u64,
    unanswered: u64,
    answered: u64,
    redirects: u64,
    heavy: u64,
}

impl Totals {
    fn sub(&mut self, s: &Src, max_per_source: u32) {
        self.requests -= u64::from(s.n);
        self.unanswered -= u64::from(s.unanswered);
        self.answered -= u64::from(s.answered);
        self.redirects -= u64::from(s.redirects);
        if s.n > max_per_source {
            self.heavy -= 1;
        }
    }
}

/// State of one request fingerprint.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Fp {
    site: String,
    method: String,
    ua: String,
    /// Name of the family group.
    group: Group,
    /// The crawler whose User-Agent the fingerprint borrows (its sources
    /// are outside the crawler's published networks).
    #[serde(default)]
    borrowed: Option<String>,
    /// Requests per family ([`Family::index`]).
    families: [u64; 5],
    first: Ts,
    last: Ts,
    sources: HashMap<IpAddr, Src, FxBuild>,
    /// Requests from sources beyond the per-fingerprint cap (counted only).
    overflow: u64,
    t: Totals,
    follows: u64,
    from_site: u64,
    paths: FxSet,
    samples: Vec<String>,
    served: Vec<String>,
    evidence: EvidenceBuf,
    fired: bool,
    /// No source can be pruned before this time (ms).
    prune_at: i64,
}

#[derive(Debug, Clone)]
struct Params {
    min_sources: usize,
    window_ms: i64,
    quiet_ms: i64,
    max_per_source: u32,
    min_light: f64,
    min_unanswered: f64,
    max_sources: usize,
    max_members: usize,
    max_fps: usize,
    max_evidence: usize,
}

/// The `web.sweep` detector.
#[derive(Debug)]
pub(crate) struct WebSweep {
    p: Params,
    cls: Classifier,
    cache: VerdictCache<Class>,
    crawlers: super::crawlers::Crawlers,
    stems: HashMap<u64, Vec<Vec<u8>>, FxBuild>,
    fps: HashMap<u64, Box<Fp>, FxBuild>,
    since_sweep: u32,
    last_sweep: Ts,
    wl: WordlistParams,
    wordlists: Wordlists,
}

/// Saved state of [`WebSweep`] (the settings and caches are rebuilt).
#[derive(serde::Serialize, serde::Deserialize)]
struct SweepSaved<F, S, W> {
    stems: S,
    fps: F,
    since_sweep: u32,
    last_sweep: Ts,
    /// Absent from checkpoints saved before the wordlist shape.
    #[serde(default)]
    wordlists: W,
}

type Stems = HashMap<u64, Vec<Vec<u8>>, FxBuild>;
type Fps = HashMap<u64, Box<Fp>, FxBuild>;

impl WebSweep {
    fn saved(&self) -> SweepSaved<&Fps, &Stems, Option<&Wordlists>> {
        SweepSaved {
            stems: &self.stems,
            fps: &self.fps,
            since_sweep: self.since_sweep,
            last_sweep: self.last_sweep,
            wordlists: Some(&self.wordlists),
        }
    }

    fn restored(&mut self, s: SweepSaved<Fps, Stems, Option<Wordlists>>) {
        self.stems = s.stems;
        self.fps = s.fps;
        self.since_sweep = s.since_sweep;
        self.last_sweep = s.last_sweep;
        self.wordlists = s.wordlists.unwrap_or_default();
    }

    /// `crawlers`: the crawler list (see [`super::crawlers::Crawlers::of`]).
    pub fn new(c: &SweepConfig, crawlers: super::crawlers::Crawlers, max_evidence: usize) -> Self {
        WebSweep {
            p: Params {
                min_sources: c.min_sources.max(2),
                window_ms: secs_ms(c.window_secs),
                quiet_ms: secs_ms(c.quiet_secs),
                max_per_source: c.max_requests_per_source.max(1),
                min_light: c.min_light_share,
                min_unanswered: c.min_unanswered_share,
                max_sources: c.max_sources_per_fingerprint.max(c.min_sources).max(2),
                max_members: c.max_members.max(1),
                max_fps: c.max_fingerprints.max(1),
                max_evidence,
            },
            cls: Classifier::new(super::sweep_names::SweepNames::with_extra(
                c.extra_rules.as_deref().map(std::path::Path::new),
            )),
            cache: VerdictCache::default(),
            crawlers,
            stems: HashMap::with_hasher(FxBuild),
            fps: HashMap::with_hasher(FxBuild),
            since_sweep: 0,
            last_sweep: Ts(i64::MIN),
            wl: WordlistParams {
                min_sources: c.wordlist_min_sources,
                max_members: c.max_members.max(1),
                max_evidence,
            },
            wordlists: Wordlists::default(),
        }
    }

    /// Every few thousand events (or when time jumped): report fired
    /// fingerprints that are over, forget unfired ones that went stale.
    fn maintain(&mut self, now: Ts, out: &mut Vec<Alert>) {
        self.since_sweep += 1;
        if self.since_sweep < SWEEP_EVERY
            && now.0.saturating_sub(self.last_sweep.0) <= self.p.quiet_ms
        {
            return;
        }
        self.since_sweep = 0;
        self.last_sweep = now;
        let p = &self.p;
        let ended: Vec<u64> = self
            .fps
            .iter()
            .filter(|(_, f)| over(f, now, p))
            .map(|(k, _)| *k)
            .collect();
        self.end(ended, out);
    }

    /// End these fingerprints: fired ones are reported (oldest first).
    fn end(&mut self, keys: Vec<u64>, out: &mut Vec<Alert>) {
        let mut gone: Vec<(u64, Box<Fp>)> = keys
            .into_iter()
            .filter_map(|k| self.fps.remove(&k).map(|f| (k, f)))
            .filter(|(_, f)| f.fired)
            .collect();
        gone.sort_by_key(|(k, f)| (f.first, *k));
        for (_, f) in gone {
            out.push(alert(&f, &self.p));
        }
    }

    /// Cap reached: end the longest-idle eighth.
    fn evict(&mut self, out: &mut Vec<Alert>) {
        let mut lasts: Vec<(Ts, u64)> = self.fps.iter().map(|(k, f)| (f.last, *k)).collect();
        let n = (lasts.len() / 8).max(1);
        lasts.select_nth_unstable(n - 1);
        let keys = lasts[..n].iter().map(|(_, k)| *k).collect();
        self.end(keys, out);
    }

    /// Sources whose wordlist walk is tracked.
    #[cfg(test)]
    pub fn walks(&self) -> usize {
        self.wordlists.walks()
    }

    /// Fingerprints tracked.
    #[cfg(test)]
    pub fn tracked(&self) -> usize {
        self.fps.len()
    }
}

/// A fingerprint is over: fired and quiet (or longer than the window), or
/// unfired with nothing left in its window.
fn over(f: &Fp, now: Ts, p: &Params) -> bool {
    let idle = now.0.saturating_sub(f.last.0);
    if f.fired {
        idle > p.quiet_ms || now.0.saturating_sub(f.first.0) > p.window_ms
    } else {
        idle > p.window_ms
    }
}

fn new_fp(w: &WebEvent<'_>, ua: &str, borrowed: Option<&str>, family: Family, now: Ts) -> Box<Fp> {
    Box::new(Fp {
        borrowed: borrowed.map(str::to_string),
        site: haboob_model::bounded(w.site, 255).to_string(),
        method: bounded(&w.method[..w.method.len().min(16)]).to_ascii_uppercase(),
        ua: bounded(ua),
        group: Group(family.group().1),
        families: [0; 5],
        first: now,
        last: now,
        sources: HashMap::with_hasher(FxBuild),
        overflow: 0,
        t: Totals::default(),
        follows: 0,
        from_site: 0,
        paths: FxSet::default(),
        samples: Vec::new(),
        served: Vec::new(),
        evidence: EvidenceBuf::default(),
        fired: false,
        prune_at: i64::MIN,
    })
}

/// Drop sources of an unfired fingerprint whose last request left the window.
fn prune(f: &mut Fp, now: Ts, p: &Params) {
    if now.0 <= f.prune_at {
        return;
    }
    let cut = now.0.saturating_sub(p.window_ms);
    let t = &mut f.t;
    let before = f.sources.len();
    f.sources.retain(|_, s| {
        let keep = s.last.0 >= cut;
        if !keep {
            t.sub(s, p.max_per_source);
        }
        keep
    });
    let oldest = f.sources.values().map(|s| s.last.0).min().unwrap_or(now.0);
    f.prune_at = oldest.saturating_add(p.window_ms);
    f.first = f.sources.values().map(|s| s.first).min().unwrap_or(now);
    if f.sources.len() < before {
        // The aggregates may hold requests of the dropped sources: they
        // restart (paths, evidence and shape are then those asked since).
        f.overflow = 0;
        f.follows = 0;
        f.from_site = 0;
        f.families = [0; 5];
        f.paths.clear();
        f.samples.clear();
        f.served.clear();
        f.evidence.clear();
    }
}

/// The fire condition over the running totals.
fn ready(f: &Fp, p: &Params) -> bool {
    let n = f.sources.len() as u64;
    let light = n - f.t.heavy;
    let asked = f.t.requests - f.t.redirects;
    light >= p.min_sources as u64
        && light as f64 >= p.min_light * n as f64
        && asked > 0
        && f.t.unanswered as f64 >= p.min_unanswered * asked as f64
}

fn fingerprint_key(site: u64, method: &str, ua: u64, family: Family) -> u64 {
    let mut b = [0u8; 32];
    b[..8].copy_from_slice(&site.to_le_bytes());
    b[8..16].copy_from_slice(&hash_bytes(method.as_bytes()).to_le_bytes());
    b[16..24].copy_from_slice(&ua.to_le_bytes());
    b[24..].copy_from_slice(&family.group().0.to_le_bytes());
    hash_bytes(&b)
}

impl WebRule for WebSweep {
    fn id(&self) -> &'static str {
        "web.sweep"
    }

    fn save(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of("web.sweep", &self.saved())
    }

    fn restore(&mut self, s: crate::DetectorState) -> Result<(), crate::StateError> {
        self.restored(s.into("web.sweep")?);
        Ok(())
    }

    fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        self.maintain(w.ts, out);
        if self.wl.min_sources > 0 && Wordlists::takes(w, req) {
            let crawlers = &self.crawlers;
            let crawler = || {
                let ua = w.user_agent.trim();
                !matches!(ua, "" | "-") && crawlers.matches(ua.as_bytes(), w.source_ip)
            };
            self.wordlists.observe(&self.wl, w, req, o, crawler, out);
        }
        let cls = &self.cls;
        let class = self
            .cache
            .get_or(req.path_id, req.path(), |path| cls.class(path));
        if class == Class::None {
            return;
        }
        let stems = match class {
            Class::ArchiveStem | Class::Family(Family::Backup) => {
                if self.stems.len() >= MAX_SITES && !self.stems.contains_key(&req.site_hash) {
                    self.stems.clear();
                }
                self.stems
                    .entry(req.site_hash)
                    .or_insert_with(|| cls.site_stems(w.site))
                    .as_slice()
            }
            _ => &[],
        };
        let Some(v) = cls.resolve(class, req.path(), stems) else {
            return;
        };
        let ua = match w.user_agent.trim() {
            "-" => "",
            u => u,
        };
        if !ua.is_empty() && self.crawlers.matches(ua.as_bytes(), w.source_ip) {
            return;
        }
        let ua_hash = if ua.is_empty() {
            0
        } else {
            hash_bytes(&ua.as_bytes()[..ua.len().min(1024)])
        };
        let key = fingerprint_key(req.site_hash, w.method, ua_hash, v.family);
        let now = w.ts;
        // A fired sweep that is over is reported before this request starts a new one.
        if self
            .fps
            .get(&key)
            .is_some_and(|f| f.fired && over(f, now, &self.p))
        {
            self.end(vec![key], out);
        }
        if !self.fps.contains_key(&key) && self.fps.len() >= self.p.max_fps {
            self.evict(out);
        }
        let p = &self.p;
        let crawlers = &self.crawlers;
        let f = self.fps.entry(key).or_insert_with(|| {
            let borrowed = crawlers.claimed(ua.as_bytes());
            new_fp(w, ua, borrowed, v.family, now)
        });
        if !f.fired {
            prune(f, now, p);
        }
        if f.sources.is_empty() {
            f.first = now;
        }
        f.first = f.first.min(now);
        f.last = f.last.max(now);
        let class = w.status_class();
        let tracked = f.sources.len() < p.max_sources || f.sources.contains_key(&w.source_ip);
        if !tracked {
            f.overflow += 1;
        } else {
            let s = f.sources.entry(w.source_ip).or_insert(Src {
                first: now,
                last: now,
                n: 0,
                unanswered: 0,
                answered: 0,
                redirects: 0,
                redirected: 0,
            });
            s.first = s.first.min(now);
            s.last = s.last.max(now);
            s.n = s.n.saturating_add(1);
            if s.n == p.max_per_source + 1 {
                f.t.heavy += 1;
            }
            f.t.requests += 1;
            let path = req.path();
            let trimmed = path.strip_suffix(b"/").unwrap_or(path);
            if s.redirected != 0
                && (s.redirected == req.path_hash || s.redirected == hash_bytes(trimmed))
            {
                f.follows += 1;
                s.redirected = 0;
            }
            match class {
                2 => {
                    s.answered += 1;
                    f.t.answered += 1;
                }
                3 => {
                    s.redirects += 1;
                    f.t.redirects += 1;
                    s.redirected = req.path_hash;
                }
                4 => {
                    s.unanswered += 1;
                    f.t.unanswered += 1;
                }
                _ => {}
            }
            if f.prune_at == i64::MIN {
                f.prune_at = now.0.saturating_add(p.window_ms);
            }
        }
        if v.from_site {
            f.from_site += 1;
        }
        f.families[v.family.index()] += 1;
        let new_path = insert_capped(&mut f.paths, req.path_hash);
        if new_path && f.samples.len() < MAX_PATHS {
            f.samples.push(bounded(&req.path_lossy()));
        }
        if class == 2 && w.bytes > 0 && !method_is(w.method, b"head") {
            let text = bounded(&req.path_lossy());
            if f.served.len() < MAX_SERVED && !f.served.contains(&text) {
                f.served.push(text);
            }
        }
        if f.evidence.len() < p.max_evidence {
            f.evidence.push(o);
        }
        if !f.fired && ready(f, p) {
            f.fired = true;
        }
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        let keys: Vec<u64> = self.fps.keys().copied().collect();
        self.end(keys, out);
        self.fps = HashMap::with_hasher(FxBuild);
        self.wordlists.finish(&self.wl, out);
    }
}
