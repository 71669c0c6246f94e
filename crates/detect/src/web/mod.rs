//! Web reconnaissance detectors over access-log events.
//!
//! | id | detects | ATT&CK |
//! |---|---|---|
//! | `web.scan` | many distinct 4xx non-static paths (fast and slow variants, per IP and per /24 or /64) | T1595.002, T1595.003 |
//! | `web.sensitive` | secrets, VCS metadata, backups and dumps (also named after the site's host), config and status pages; one 2xx is enough | T1595.003 |
//! | `web.scanner_ua` | scanner and attack-tool user agents | T1595.002 (T1595.001) |
//! | `web.exploit` | request classes (traversal/LFI, wrappers, RFI, SSRF, SQLi, XSS, command, template and expression injection, deserialisation, web shells) and product exploit/setup/admin endpoints | T1190 |
//! | `web.admin_enum` | admin panel and login page enumeration | T1595.003 |
//! | `web.probe` | low: below every threshold, a secret, VCS or backup name not served, a product's admin page answered 404, a POST to a missing script, or a product's own file answered 404 (never crawlers) | T1595.003 |
//! | `web.crawl` | aggressive crawling of non-static pages | T1595, T1594 |
//! | `web.login_bf` | many failed web logins (401, failed login-form POSTs) | T1110 |
//! | `web.user_enum` | WordPress user enumeration (`?author=N`, `/wp-json/wp/v2/users`) | T1589.002, T1087 |
//! | `web.sweep` | one request fingerprint (method, user agent or none, path family) from many sources, each below every per-source threshold | T1595.003, T1083 |
//! | `web.flood` | an HTTP request flood from one source: one URL hammered (also with cache-busting queries), any paths far faster than a browser, or a user agent per request | T1498, T1499.002 |
//! | `web.exploit_success` | a probe that worked: answered 2xx unlike the site's not-found page, a placed web shell used by POSTs, an admin endpoint answered to an outsider, injection answers growing | T1190 (T1505.003) |
//! | `web.harvest` | scripted record harvesting: many distinct records (identifiers, data-bearing resources) of similar sizes, mostly 2xx | T1213, T1119 |
//! | `web.defacement` | content writes by non-editors; a public page whose size changed sharply and stayed changed | T1491.002 |
//! | `web.waf_block` | requests blocked or flagged by ModSecurity/naxsi or refused by access rules (error logs) | T1190, T1595.003 |
//!
//! [`build`] returns one [`Detector`] that decodes each request once
//! (percent-decoding only when a `%` is present) and feeds every enabled rule.
//! State is kept per (source, site) episode: an alert fires when a threshold is
//! crossed inside the window, keeps accumulating until the source is quiet for
//! the window (or the stream ends), and is then pushed once.
//!
//! ```
//! use haboob_detect::web::{build, WebConfig};
//! use haboob_model::{EventRef, Origin, Ts, WebEvent};
//! let mut dets = build(&WebConfig::default());
//! let ev = WebEvent {
//!     ts: Ts::from_secs(0),
//!     source_ip: "192.0.2.1".parse().unwrap(),
//!     method: "GET",
//!     path: "/",
//!     query: "",
//!     status: 200,
//!     bytes: 10,
//!     user_agent: "Mozilla/5.00 (Nikto/2.1.5)",
//!     referrer: "",
//!     site: "votes.example.gov",
//!     user: "",
//!     forwarded: "",
//!     protocol: "",
//! };
//! let origin = Origin { file: "access.log", line: 1, raw: "…" };
//! let mut out = Vec::new();
//! for d in &mut dets {
//!     d.observe(&EventRef::Web(ev.clone()), &origin, &mut out);
//!     d.finish(&mut out);
//! }
//! assert_eq!(out.len(), 1);
//! assert_eq!(out[0].detector, "web.scanner_ua");
//! assert_eq!(out[0].details["tool"], "Nikto");
//! ```

mod admin;
mod cache;
mod classes;
mod config;
mod crawl;
mod crawlers;
mod dfa;
mod episode;
mod exploit;
mod flood;
mod fxhash;
mod habits;
mod held;
pub mod lists;
mod login;
mod lower;
mod method;
mod outcome;
mod pathset;
mod probe;
mod request;
pub mod rules;
mod ruleset;
mod scan;
pub mod scanners;
mod script_probe;
mod sensitive;
mod sweep;
mod sweep_class;
mod sweep_names;
#[cfg(test)]
mod sweep_tests;
#[cfg(test)]
mod sweep_wordlist_tests;
mod useragent;
mod userenum;
mod waf;

#[cfg(test)]
mod classes_tests;
#[cfg(test)]
mod flood_tests;
#[cfg(test)]
mod scanners_tests;
#[cfg(test)]
mod tests;

pub use outcome::{DefacementConfig, ExploitSuccessConfig, HarvestConfig};

pub use config::{
    AdminEnumConfig, CrawlConfig, ExploitConfig, FloodConfig, LoginBfConfig, ScanConfig,
    ScannerUaConfig, ScriptProbeConfig, SensitiveConfig, SweepConfig, UserEnumConfig, WafConfig,
    WebConfig,
};

use crate::Detector;
use aho_corasick::AhoCorasick;

/// A case-insensitive matcher for configured substrings (user-agent allow
/// lists); `None` when no non-empty pattern is given.
pub(crate) fn substring_matcher(patterns: &[String]) -> Option<AhoCorasick> {
    let pats: Vec<&String> = patterns.iter().filter(|s| !s.is_empty()).collect();
    if pats.is_empty() {
        return None;
    }
    dfa::dfa(pats, true, aho_corasick::MatchKind::Standard)
}
use haboob_model::{Alert, EventRef, Origin, WebEvent};
use request::Req;

/// One web rule fed by the shared per-event view.
pub(crate) trait WebRule: Send + std::fmt::Debug {
    /// The rule's detector id (`web.scan`, …): its saved state is keyed by it.
    fn id(&self) -> &'static str;
    fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>);
    fn finish(&mut self, out: &mut Vec<Alert>);
    /// The windowed state, for [`Detector::save_state`].
    fn save(&self) -> Result<crate::DetectorState, crate::StateError>;
    /// Restore what [`WebRule::save`] saved.
    fn restore(&mut self, s: crate::DetectorState) -> Result<(), crate::StateError>;
}

/// A bad entry in [`WebConfig`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebConfigError {
    /// An `allow_sources` entry is not an IP address or CIDR network.
    #[error("web.allow_sources: {0:?} is not an IP address or CIDR network")]
    BadSource(String),
    /// A ratio is outside 0..=1.
    #[error("web.{0}: ratio must be between 0 and 1")]
    BadRatio(&'static str),
    /// An address-list entry (`exploit_success.admin_sources`,
    /// `defacement.editors`) is not an IP address or CIDR network.
    #[error("web.{0}: {1:?} is not an IP address or CIDR network")]
    BadAddress(&'static str, String),
    /// A rule file (`extra_rules`, `crawler_rules`) cannot be read or parsed;
    /// the first field names the setting.
    #[error("web.{0}: {1}")]
    Rules(&'static str, rules::RuleFileError),
}

use haboob_model::Cidr;

impl WebConfig {
    /// Check the settings that serde cannot (addresses, ratios).
    pub fn validate(&self) -> Result<(), WebConfigError> {
        for s in &self.allow_sources {
            if Cidr::parse(s).is_err() {
                return Err(WebConfigError::BadSource(episode::bounded(s)));
            }
        }
        if !(0.0..=1.0).contains(&self.scan.slow_min_error_ratio) {
            return Err(WebConfigError::BadRatio("scan.slow_min_error_ratio"));
        }
        if !(0.0..=1.0).contains(&self.admin_enum.min_failure_ratio) {
            return Err(WebConfigError::BadRatio("admin_enum.min_failure_ratio"));
        }
        if !(0.0..=1.0).contains(&self.sweep.min_light_share) {
            return Err(WebConfigError::BadRatio("sweep.min_light_share"));
        }
        if !(0.0..=1.0).contains(&self.flood.focus_share) {
            return Err(WebConfigError::BadRatio("flood.focus_share"));
        }
        if !(0.0..=1.0).contains(&self.sweep.min_unanswered_share) {
            return Err(WebConfigError::BadRatio("sweep.min_unanswered_share"));
        }
        if !(0.0..=1.0).contains(&self.harvest.min_ok_share) {
            return Err(WebConfigError::BadRatio("harvest.min_ok_share"));
        }
        for (name, list) in [
            (
                "exploit_success.admin_sources",
                &self.exploit_success.admin_sources,
            ),
            ("defacement.editors", &self.defacement.editors),
        ] {
            if let Some(bad) = list.iter().find(|s| Cidr::parse(s).is_err()) {
                return Err(WebConfigError::BadAddress(name, episode::bounded(bad)));
            }
        }
        self.validate_rules()
    }

    /// Read and parse the `extra_rules` files, as the detectors will.
    pub fn validate_rules(&self) -> Result<(), WebConfigError> {
        for (name, file) in [
            ("exploit.extra_rules", &self.exploit.extra_rules),
            ("sensitive.extra_rules", &self.sensitive.extra_rules),
        ] {
            if let Some(f) = file {
                rules::RuleFile::load(std::path::Path::new(f))
                    .map_err(|e| WebConfigError::Rules(name, e))?;
            }
        }
        if let Some(f) = &self.sweep.crawler_rules {
            crawlers::CrawlerFile::load(std::path::Path::new(f))
                .map_err(|e| WebConfigError::Rules("sweep.crawler_rules", e))?;
        }
        if let Some(f) = &self.sweep.extra_rules {
            sweep_names::SweepNames::load(std::path::Path::new(f))
                .map_err(|e| WebConfigError::Rules("sweep.extra_rules", e))?;
        }
        if let Some(f) = &self.scanner_ua.extra_rules {
            scanners::ScannerFile::load(std::path::Path::new(f))
                .map_err(|e| WebConfigError::Rules("scanner_ua.extra_rules", e))?;
        }
        Ok(())
    }
}

// A user agent given an id (at most `cache::MAX_KEY` bytes) is hashed
// whole, as the view hashes at most `request::MAX_UA` bytes.
const _: () = assert!(cache::MAX_KEY <= request::MAX_UA);

/// The text ids a detector set's rules read ([`Req::path_id`] and the
/// others), besides those of the classifier (target and user agent, when it
/// runs).
#[derive(Debug, Clone, Copy)]
struct Needs {
    path: bool,
    target: bool,
    ua: bool,
}

/// All enabled web rules behind one [`Detector`], sharing the decoded request.
#[derive(Debug)]
pub struct WebDetectors {
    req: Req,
    /// Ids of decoded paths and targets (one table: a target without a
    /// query is its path) and of user agents, for the rules' verdict caches.
    texts: cache::Texts,
    agents: cache::Texts,
    /// Recent user agents' hashes and ids.
    agent_memo: cache::AgentMemo,
    /// Which ids this set's rules read (besides the classifier's).
    needs: Needs,
    /// `web.exploit`'s request classifier, run once per request when a rule
    /// reads its verdict (`web.exploit`, `web.exploit_success`).
    classifier: Option<exploit::Classifier>,
    allow_sources: Vec<Cidr>,
    allow_ua: Option<AhoCorasick>,
    rules: ruleset::RuleSet,
    /// The outcome rules, run after `rules` with one call per request.
    outcomes: Option<outcome::Outcomes>,
    /// Whether this set reads the notes it is given: only when its rules
    /// are those of [`crate::Part::Shared`] at most (they read nothing that
    /// [`Req::write_note`] leaves out); else it computes the view.
    reads_notes: bool,
}

impl WebDetectors {
    /// Build from settings. Invalid `allow_sources` entries are skipped with a
    /// warning (call [`WebConfig::validate`] first to reject them).
    pub fn new(cfg: &WebConfig) -> WebDetectors {
        let classifier = (cfg.exploit.enabled || cfg.exploit_success.enabled)
            .then(|| exploit::Classifier::new(&cfg.exploit));
        let products = classifier
            .as_ref()
            .map_or_else(|| Vec::new().into(), exploit::Classifier::products);
        let rules = ruleset::RuleSet::new(cfg, &products);
        let outcomes = outcome::Outcomes::new(cfg, products);
        let allow_sources = outcome::cidrs(&cfg.allow_sources, "allow_sources");
        let allow_ua = substring_matcher(&cfg.allow_user_agents);
        let reads_notes = cfg.part(crate::Part::Shared) == *cfg;
        WebDetectors {
            req: Req::default(),
            texts: cache::Texts::default(),
            agents: cache::Texts::default(),
            agent_memo: cache::AgentMemo::default(),
            needs: Needs {
                path: cfg.admin_enum.enabled || cfg.sensitive.enabled || cfg.sweep.enabled,
                target: cfg.scanner_ua.enabled,
                ua: cfg.scanner_ua.enabled || cfg.harvest.enabled,
            },
            classifier,
            allow_sources,
            allow_ua,
            rules,
            outcomes,
            reads_notes,
        }
    }

    /// Give the view's path, target and user agent their ids, those that a
    /// rule or the classifier (when `classify`: it runs on this request)
    /// reads; the others are `None`. Called after the view is filled or read
    /// from a note, before any rule reads it; `filled`: filled by
    /// [`Req::fill_view`], the user agent's hash is set here.
    #[inline]
    fn identify(&mut self, w: &WebEvent<'_>, classify: bool, filled: bool) {
        let r = &mut self.req;
        let target = self.needs.target || classify;
        let whole = r.once.len() == r.path_len;
        r.path_id = if self.needs.path || (target && whole) {
            self.texts.id(r.path(), r.path_hash)
        } else {
            None
        };
        r.target_id = match (target, whole) {
            (false, _) => None,
            (true, true) => r.path_id,
            (true, false) => self.texts.id(&r.once, r.target_hash),
        };
        let ua = w.user_agent.as_bytes();
        let wanted = self.needs.ua || classify;
        if !filled && !wanted {
            r.ua_id = None;
            return;
        }
        // The view hashes at most `MAX_UA` bytes: an id is for a whole agent
        // (the memo gives none past `cache::MAX_KEY`, less than `MAX_UA`).
        let (hash, id) = self.agent_memo.get(ua, &mut self.agents, |ua| {
            fxhash::hash_bytes(&ua[..ua.len().min(request::MAX_UA)])
        });
        if filled {
            r.ua_hash = hash;
        }
        r.ua_id = if wanted { id } else { None };
    }

    /// Number of enabled rules.
    pub fn rule_count(&self) -> usize {
        self.rules.all().len() + self.outcomes.as_ref().map_or(0, outcome::Outcomes::len)
    }
}

impl Detector for WebDetectors {
    fn name(&self) -> &'static str {
        "web"
    }

    fn reads(&self) -> crate::Kinds {
        crate::Kinds::WEB
    }

    fn observe(&mut self, ev: &EventRef<'_>, origin: &Origin<'_>, out: &mut Vec<Alert>) {
        self.observe_noted(ev, origin, crate::Note::Read(&[]), out);
    }

    /// The decoded view and the classification are read from a note
    /// written by another lane's web detectors when one is given and this
    /// set reads notes (its rules are those of [`crate::Part::Shared`]; the
    /// classification dropped when this set has none, and the view computed
    /// when this set classifies and the writer did not), else computed (and
    /// written when asked). The allow lists are checked here either way.
    fn observe_noted(
        &mut self,
        ev: &EventRef<'_>,
        origin: &Origin<'_>,
        note: crate::Note<'_>,
        out: &mut Vec<Alert>,
    ) {
        let EventRef::Web(w) = ev else { return };
        if self.allow_sources.iter().any(|c| c.contains(w.source_ip)) {
            return;
        }
        if let Some(a) = &self.allow_ua {
            if a.is_match(&w.user_agent.as_bytes()[..w.user_agent.len().min(1024)]) {
                return;
            }
        }
        // A note carries no view for this set's classifier: an unclassified
        // one is not read by a set that classifies.
        let classified = match &note {
            crate::Note::Read(n) if !n.is_empty() && self.reads_notes => self
                .req
                .read_note(n)
                .filter(|&c| c || self.classifier.is_none()),
            _ => None,
        };
        if classified.is_none() {
            self.req.fill_view(w);
        }
        let classify = self.classifier.is_some() && classified != Some(true);
        self.identify(w, classify, classified.is_none());
        match &mut self.classifier {
            Some(c) if classified != Some(true) => c.classify_view(w, &mut self.req),
            // The note's verdict, where this set has no classifier: its
            // rules never read one (the view as `fill` leaves it).
            None if classified == Some(true) => self.req.exploit = Default::default(),
            _ => {}
        }
        if let crate::Note::Write(buf) = note {
            self.req.write_note(self.classifier.is_some(), buf);
        }
        self.rules.observe(w, &self.req, origin, out);
        if let Some(x) = &mut self.outcomes {
            x.observe(w, &self.req, origin, out);
        }
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        for r in self.rules.all_mut() {
            r.finish(out);
        }
        if let Some(x) = &mut self.outcomes {
            x.finish(out);
        }
    }

    fn save_state(&self) -> Result<crate::DetectorState, crate::StateError> {
        let mut rules = self
            .rules
            .all()
            .into_iter()
            .map(|r| Ok((r.id().to_string(), r.save()?)))
            .collect::<Result<Vec<_>, crate::StateError>>()?;
        if let Some(x) = &self.outcomes {
            x.save(&mut rules)?;
        }
        crate::DetectorState::of("web", &rules)
    }

    /// Each enabled rule takes the state saved under its id; a rule added
    /// since (a newer haboob) starts empty, and the state of a rule disabled
    /// since is dropped with a notice. A state saved before states were
    /// keyed (a list in build order, the rules of that time first) is read
    /// in order onto the first rules.
    fn restore_state(&mut self, state: crate::DetectorState) -> Result<(), crate::StateError> {
        let keyed: Result<Vec<(String, crate::DetectorState)>, _> = state.clone().into("web");
        let Ok(keyed) = keyed else {
            let rules: Vec<crate::DetectorState> = state.into("web")?;
            if rules.len() > self.rule_count() {
                return Err(crate::StateError::Decode(
                    "web",
                    format!("{} rules saved, {} enabled", rules.len(), self.rule_count()),
                ));
            }
            let mut rules = rules.into_iter();
            for (r, s) in self.rules.all_mut().into_iter().zip(&mut rules) {
                r.restore(s)?;
            }
            // The outcome rules come last in build order.
            if let Some(x) = &mut self.outcomes {
                x.restore_in_order(&mut rules)?;
            }
            return Ok(());
        };
        let mut saved: std::collections::HashMap<String, crate::DetectorState> =
            keyed.into_iter().collect();
        for r in self.rules.all_mut() {
            if let Some(s) = saved.remove(r.id()) {
                r.restore(s)?;
            }
        }
        if let Some(x) = &mut self.outcomes {
            x.restore(&mut saved)?;
        }
        for id in saved.keys() {
            tracing::info!(rule = %id, "Saved state of a web rule that is not enabled now: dropped.");
        }
        Ok(())
    }
}

/// Build the web detectors (one [`WebDetectors`] holding every enabled rule;
/// empty when all are disabled).
pub fn build(cfg: &WebConfig) -> Vec<Box<dyn Detector>> {
    let mut v: Vec<Box<dyn Detector>> = Vec::new();
    let d = WebDetectors::new(cfg);
    if d.rule_count() > 0 {
        v.push(Box::new(d));
    }
    if cfg.waf.enabled {
        v.push(Box::new(waf::WebWaf::new(
            &cfg.waf,
            cfg.max_evidence,
            cfg.max_tracked_sources,
        )));
    }
    v
}
