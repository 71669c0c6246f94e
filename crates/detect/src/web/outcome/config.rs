//! Settings of the outcome rules (TOML sections `[web.exploit_success]`,
//! `[web.harvest]`, `[web.defacement]`).

use serde::{Deserialize, Serialize};

/// `web.exploit_success` settings (T1190).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ExploitSuccessConfig {
    /// Run this detector.
    pub enabled: bool,
    /// Episode quiet time, seconds: one alert per (source, site, signal)
    /// until the source is quiet this long.
    pub window_secs: u64,
    /// A 2xx answer whose size is within this many bytes of a size the site
    /// gives to missing paths of the same family (its soft-404 page) is not
    /// a success.
    pub soft404_tolerance_bytes: u64,
    /// Not-found answers the site must have given (404/410, or 2xx to
    /// random-looking paths from scanners) before a 2xx probe answer is
    /// judged at all.
    pub soft404_min_samples: u32,
    /// Sources (IP addresses or CIDR networks) allowed to use product admin
    /// and setup endpoints.
    pub admin_sources: Vec<String>,
    /// A source is a regular visitor of a site (not an outsider) after this
    /// many ordinary 2xx requests there …
    pub regular_min_requests: u32,
    /// … spread over at least this many seconds, with no exploit probe.
    pub regular_min_secs: u64,
    /// A script path that answered 404 (or came after an upload by the same
    /// source) and then answers the source's POSTs with 2xx within this many
    /// seconds is a placed web shell.
    pub webshell_window_secs: u64,
    /// Requests of one class on one path answered 2xx with growing sizes
    /// (each larger than the one before) that fire the growing-answers signal.
    pub growing_min_requests: u32,
    /// Sites whose not-found sizes are profiled; on overflow the longest-idle
    /// site is forgotten.
    pub max_sites: usize,
    /// Script paths tracked (for web shells); on overflow the oldest half is
    /// forgotten.
    pub max_scripts: usize,
}

impl Default for ExploitSuccessConfig {
    fn default() -> Self {
        ExploitSuccessConfig {
            enabled: true,
            window_secs: 3600,
            soft404_tolerance_bytes: 64,
            soft404_min_samples: 3,
            admin_sources: Vec::new(),
            regular_min_requests: 20,
            regular_min_secs: 3600,
            webshell_window_secs: 86_400,
            growing_min_requests: 4,
            max_sites: 10_000,
            max_scripts: 65_536,
        }
    }
}

/// `web.harvest` settings (T1213, T1119).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct HarvestConfig {
    /// Run this detector.
    pub enabled: bool,
    /// Distinct records (data-bearing resources or identifiers) one source
    /// fetches within `window_secs` that fire the alert, at least: the bar
    /// rises on a site whose own visitors read more (`baseline_factor`).
    pub min_records: usize,
    /// On a site with `baseline_min_visitors` record readers, a harvest must
    /// also reach this many times the record count that only one visitor in
    /// a hundred reaches within the window (0 turns the site baseline off).
    pub baseline_factor: f64,
    /// Record readers a site must have had before its own baseline counts.
    pub baseline_min_visitors: u32,
    /// Window, seconds; also the quiet time that ends a fired episode.
    pub window_secs: u64,
    /// Minimum share of 2xx answers among the source's record requests.
    pub min_ok_share: f64,
    /// Largest spread of the 2xx answer sizes (standard deviation over mean)
    /// for a scripted harvest; a set of unlike documents is not one.
    pub max_size_spread: f64,
    /// Extra words (lower case) that mark a path or query as data-bearing,
    /// beside the built-in `lookup`, `export`, `download`, `api`, `voter`,
    /// `registration`, `ballot`, `record`, ….
    pub data_words: Vec<String>,
    /// User-agent substrings (case-insensitive) of crawlers exempt from this
    /// detector, beside the built-in search-engine list of `web.sweep`.
    pub crawler_user_agents: Vec<String>,
}

impl Default for HarvestConfig {
    fn default() -> Self {
        HarvestConfig {
            enabled: true,
            min_records: 50,
            baseline_factor: 3.0,
            baseline_min_visitors: 100,
            window_secs: 3600,
            min_ok_share: 0.8,
            max_size_spread: 1.0,
            data_words: Vec::new(),
            crawler_user_agents: Vec::new(),
        }
    }
}

/// `web.defacement` settings (T1491.002).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DefacementConfig {
    /// Run this detector.
    pub enabled: bool,
    /// Sources (IP addresses or CIDR networks) of the site's editors: their
    /// writes are not alerted on, and a page size change shortly after one of
    /// their writes to the site is an edit.
    pub editors: Vec<String>,
    /// Extra content path prefixes (lower case) whose writes count, beside the
    /// built-in static extensions and CMS content endpoints.
    pub content_paths: Vec<String>,
    /// Episode quiet time for writes, seconds; also how long after an
    /// editor's write a size change is taken for the edit.
    pub window_secs: u64,
    /// A page's size changes sharply when the new size differs from its
    /// usual size by at least this share of it …
    pub min_change_ratio: f64,
    /// … and by at least this many bytes.
    pub min_change_bytes: u64,
    /// Answers at the usual size before a page's size is watched.
    pub min_baseline: u32,
    /// Answers at the new size (after the first changed one) that confirm
    /// the change stayed.
    pub confirm_answers: u32,
    /// Size of the direct-mapped page-size table: it holds up to half as
    /// many pages (keys are odd), a page replacing another on its slot.
    pub max_pages: usize,
}

impl Default for DefacementConfig {
    fn default() -> Self {
        DefacementConfig {
            enabled: true,
            editors: Vec::new(),
            content_paths: Vec::new(),
            window_secs: 3600,
            min_change_ratio: 0.5,
            min_change_bytes: 256,
            min_baseline: 10,
            confirm_answers: 5,
            max_pages: 16_384,
        }
    }
}
