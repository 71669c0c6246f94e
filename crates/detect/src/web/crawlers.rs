//! Crawlers, archivers and monitors whose requests never make a sweep
//! member, a harvest or a one-off probe (a crawler follows stale links to
//! backups and admin pages it once saw). The list is data
//! (`data/crawlers.toml`, format at its top and in the README): per crawler
//! its User-Agent substrings and, where the operator publishes them, its
//! networks. A crawler with networks is believed only from them: a forged
//! Googlebot from elsewhere is an ordinary client to every detector.

use super::rules::RuleFileError;
use aho_corasick::AhoCorasick;
use haboob_model::Cidr;
use serde::Deserialize;
use std::net::IpAddr;
use std::path::Path;
use std::sync::LazyLock;

const BUILTIN: &str = include_str!("../../data/crawlers.toml");

/// One `[[crawler]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CrawlerRule {
    /// The operator's crawler.
    pub name: String,
    /// Lower-case User-Agent substrings.
    #[serde(default)]
    pub agents: Vec<String>,
    /// Published source networks (address blocks); empty: the agent alone.
    #[serde(default)]
    pub networks: Vec<String>,
    /// Where they are published.
    #[serde(default)]
    #[allow(dead_code)]
    pub reference: Option<String>,
}

/// A crawler file: the built-in data or a user's `crawler_rules`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct CrawlerFile {
    pub crawler: Vec<CrawlerRule>,
}

impl CrawlerFile {
    /// Parse a crawler file; `origin` names it in errors. Agents are
    /// trimmed and lower-cased; an entry without a name, with neither agent
    /// nor network, or with a network that is not an address block, is
    /// refused. (Networks alone add to a built-in entry of the same name.)
    pub fn parse(text: &str, origin: &str) -> Result<CrawlerFile, RuleFileError> {
        let err = |message: String| super::rules::parse_error(origin, message);
        let mut f: CrawlerFile = super::rules::parse_toml(text, origin)?;
        for (i, c) in f.crawler.iter_mut().enumerate() {
            c.name = c.name.trim().to_string();
            if c.name.is_empty() {
                return Err(err(format!("crawler #{} has no name", i + 1)));
            }
            super::rules::lower_all(&mut c.agents);
            if c.agents.is_empty() && c.networks.is_empty() {
                return Err(err(format!(
                    "crawler #{} ({}) has no agent and no network",
                    i + 1,
                    super::episode::bounded(&c.name)
                )));
            }
            if let Some(bad) = c.networks.iter().find_map(|n| Cidr::parse(n).err()) {
                return Err(err(format!(
                    "crawler #{} ({}): networks: {bad}",
                    i + 1,
                    super::episode::bounded(&c.name)
                )));
            }
        }
        Ok(f)
    }

    /// Read and parse a user crawler file.
    pub fn load(path: &Path) -> Result<CrawlerFile, RuleFileError> {
        super::rules::load_file(path, CrawlerFile::parse)
    }

    /// The built-in entries with `extra`'s: an entry named like a built-in
    /// one (case-insensitively) adds its agents and networks to it.
    fn merged(mut self, extra: CrawlerFile) -> CrawlerFile {
        for e in extra.crawler {
            match self
                .crawler
                .iter_mut()
                .find(|c| c.name.eq_ignore_ascii_case(&e.name))
            {
                Some(c) => {
                    c.agents.extend(e.agents);
                    c.networks.extend(e.networks);
                }
                None => self.crawler.push(e),
            }
        }
        self
    }
}

static BUILTIN_FILE: LazyLock<CrawlerFile> = LazyLock::new(|| {
    CrawlerFile::parse(BUILTIN, "data/crawlers.toml").unwrap_or_else(|e| {
        // The file is part of the build and tested; never reached.
        tracing::error!(error = %e, "Built-in crawler list does not parse.");
        CrawlerFile::default()
    })
});

/// What a User-Agent claims (cached per agent by the callers that see many).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Claim {
    /// No crawler.
    #[default]
    None,
    /// A crawler believed on its User-Agent.
    Trusted,
    /// Crawlers with published networks: bit `i` for network set `i`
    /// (sets past 63 share bit 63).
    Verify(u64),
}

/// The bit of network set `i` in a [`Claim::Verify`] mask.
fn bit(i: usize) -> u64 {
    1 << i.min(63)
}

/// Whether network set `i` is in `mask`.
fn marked(mask: u64, i: usize) -> bool {
    mask & bit(i) != 0
}

/// The crawler list, compiled: built-in entries, a `crawler_rules` file and
/// configured User-Agent substrings (trusted alone).
#[derive(Debug, Clone)]
pub(crate) struct Crawlers {
    ac: Option<AhoCorasick>,
    /// Per pattern: the network set it must come from (`None`: trusted).
    owner: Vec<Option<usize>>,
    nets: Vec<Vec<Cidr>>,
    /// Per network set: the crawler's name.
    names: Vec<String>,
}

impl Crawlers {
    /// The built-in list, the entries of `rules` (a `crawler_rules` path; a
    /// bad file is logged and adds nothing, configuration loading refuses it
    /// first) and `extra` User-Agent substrings.
    pub fn new(extra: &[String], rules: Option<&str>) -> Self {
        let user = rules.map_or_else(CrawlerFile::default, |p| {
            CrawlerFile::load(Path::new(p)).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "Ignored crawler file.");
                CrawlerFile::default()
            })
        });
        let file = BUILTIN_FILE.clone().merged(user);
        let mut pats: Vec<String> = Vec::new();
        let mut owner = Vec::new();
        let mut nets = Vec::new();
        let mut names = Vec::new();
        for c in &file.crawler {
            let set = (!c.networks.is_empty()).then(|| {
                names.push(c.name.clone());
                nets.push(
                    c.networks
                        .iter()
                        .filter_map(|n| Cidr::parse(n).ok())
                        .collect(),
                );
                nets.len() - 1
            });
            for a in &c.agents {
                pats.push(a.clone());
                owner.push(set);
            }
        }
        let mut extra = extra.to_vec();
        super::rules::lower_all(&mut extra);
        owner.extend(extra.iter().map(|_| None));
        pats.extend(extra);
        Crawlers {
            ac: super::dfa::dfa(&pats, true, aho_corasick::MatchKind::Standard),
            owner,
            nets,
            names,
        }
    }

    /// The list `[web.sweep]` configures (`crawler_user_agents`,
    /// `crawler_rules`), shared by the detectors that spare crawlers.
    pub fn of(c: &super::SweepConfig) -> Self {
        Crawlers::new(&c.crawler_user_agents, c.crawler_rules.as_deref())
    }

    /// What `ua` (bytes, cut to 1,024) claims.
    pub fn claim(&self, ua: &[u8]) -> Claim {
        let Some(ac) = &self.ac else {
            return Claim::None;
        };
        let mut mask = 0u64;
        for m in ac.find_iter(&ua[..ua.len().min(1024)]) {
            match self.owner[m.pattern().as_usize()] {
                None => return Claim::Trusted,
                Some(set) => mask |= bit(set),
            }
        }
        if mask == 0 {
            Claim::None
        } else {
            Claim::Verify(mask)
        }
    }

    /// Whether a request claiming `claim` from `ip` is a crawler's.
    pub fn believed(&self, claim: Claim, ip: IpAddr) -> bool {
        match claim {
            Claim::None => false,
            Claim::Trusted => true,
            Claim::Verify(mask) => self
                .nets
                .iter()
                .enumerate()
                .any(|(i, set)| marked(mask, i) && set.iter().any(|n| n.contains(ip))),
        }
    }

    /// The crawler with published networks whose User-Agent `ua` claims
    /// (the first, when several), for a request that did not come from
    /// them: the agent is borrowed.
    pub fn claimed(&self, ua: &[u8]) -> Option<&str> {
        match self.claim(ua) {
            Claim::Verify(mask) => (0..self.names.len())
                .find(|&i| marked(mask, i))
                .map(|i| self.names[i].as_str()),
            Claim::None | Claim::Trusted => None,
        }
    }

    /// Whether `ua` from `ip` is a crawler's ([`Crawlers::claim`], then
    /// [`Crawlers::believed`]).
    pub fn matches(&self, ua: &[u8], ip: IpAddr) -> bool {
        self.believed(self.claim(ua), ip)
    }
}

#[cfg(test)]
#[path = "crawlers_tests.rs"]
mod tests;
