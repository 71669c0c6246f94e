//! Settings of the web detectors (TOML section `[web]`).

use serde::{Deserialize, Serialize};

/// Web detector settings. Every field has a working default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Evidence lines kept per alert (the first N matching lines).
    pub max_evidence: usize,
    /// Upper bound on tracked (source, site) keys per detector; on overflow the
    /// longest-idle keys are flushed and forgotten.
    pub max_tracked_sources: usize,
    /// Sources (IP addresses or CIDR networks, e.g. `192.0.2.0/24`) that are never
    /// alerted on by any web detector: a declared penetration test, an uptime monitor.
    pub allow_sources: Vec<String>,
    /// User-agent substrings (case-insensitive) whose requests are ignored by every
    /// web detector, e.g. a declared pen-test tool or monitor signature.
    pub allow_user_agents: Vec<String>,
    /// `web.scan`: vulnerability and wordlist scanning.
    pub scan: ScanConfig,
    /// `web.sensitive`: sensitive file probing.
    pub sensitive: SensitiveConfig,
    /// `web.scanner_ua`: attack-tool user agents.
    pub scanner_ua: ScannerUaConfig,
    /// `web.exploit`: exploit attempts against public-facing applications.
    pub exploit: ExploitConfig,
    /// `web.admin_enum`: admin panel and login page enumeration.
    pub admin_enum: AdminEnumConfig,
    /// `web.crawl`: aggressive crawling of non-static pages.
    pub crawl: CrawlConfig,
    /// `web.login_bf`: password guessing against web logins.
    pub login_bf: LoginBfConfig,
    /// `web.user_enum`: WordPress user enumeration.
    pub user_enum: UserEnumConfig,
    /// `web.waf_block`: firewall and access-rule denials from error logs.
    pub waf: WafConfig,
    /// `web.sweep`: one request fingerprint shared by many sources.
    pub sweep: SweepConfig,
    /// `web.flood`: an HTTP request flood from one source.
    pub flood: FloodConfig,
    /// `web.probe` for scripts: POSTs to server scripts that do not exist.
    pub script_probe: ScriptProbeConfig,
    /// `web.exploit_success`: exploitation that worked.
    pub exploit_success: super::ExploitSuccessConfig,
    /// `web.harvest`: scripted record harvesting.
    pub harvest: super::HarvestConfig,
    /// `web.defacement`: writes to content and pages whose size changed.
    pub defacement: super::DefacementConfig,
}

impl WebConfig {
    /// The settings of one lane's part of the web detectors (see
    /// [`crate::Part`]): the rules of the other part are disabled. Every
    /// field is named here, so that a new rule must be placed.
    pub fn part(&self, part: crate::Part) -> WebConfig {
        let lanes = match part {
            crate::Part::All => return self.clone(),
            crate::Part::BySource { lanes } => lanes.max(1),
            crate::Part::Shared => 0,
        };
        let by_source = lanes > 0;
        let WebConfig {
            max_evidence,
            max_tracked_sources,
            allow_sources,
            allow_user_agents,
            scan,
            sensitive,
            scanner_ua,
            exploit,
            admin_enum,
            crawl,
            login_bf,
            user_enum,
            waf,
            sweep,
            flood,
            script_probe,
            exploit_success,
            harvest,
            defacement,
        } = self.clone();
        macro_rules! per_source {
            ($c:expr) => {{
                let mut c = $c;
                c.enabled &= by_source;
                c
            }};
        }
        WebConfig {
            max_evidence,
            max_tracked_sources: if by_source {
                (max_tracked_sources / lanes).max(1)
            } else {
                max_tracked_sources
            },
            allow_sources,
            allow_user_agents,
            scan: per_source!(scan),
            sensitive: per_source!(sensitive),
            scanner_ua: per_source!(scanner_ua),
            exploit: per_source!(exploit),
            admin_enum: per_source!(admin_enum),
            crawl: per_source!(crawl),
            login_bf: per_source!(login_bf),
            user_enum: per_source!(user_enum),
            waf: per_source!(waf),
            flood: per_source!(flood),
            script_probe: per_source!(script_probe),
            sweep: SweepConfig {
                enabled: sweep.enabled && !by_source,
                ..sweep
            },
            harvest: per_source!(harvest),
            // Per-site state (not-found sizes, script paths, page sizes):
            // these compare sources, so they see every event.
            exploit_success: super::ExploitSuccessConfig {
                enabled: exploit_success.enabled && !by_source,
                ..exploit_success
            },
            defacement: super::DefacementConfig {
                enabled: defacement.enabled && !by_source,
                ..defacement
            },
        }
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            max_evidence: 10,
            max_tracked_sources: 1_000_000,
            allow_sources: Vec::new(),
            allow_user_agents: Vec::new(),
            scan: ScanConfig::default(),
            sensitive: SensitiveConfig::default(),
            scanner_ua: ScannerUaConfig::default(),
            exploit: ExploitConfig::default(),
            admin_enum: AdminEnumConfig::default(),
            crawl: CrawlConfig::default(),
            login_bf: LoginBfConfig::default(),
            user_enum: UserEnumConfig::default(),
            waf: WafConfig::default(),
            sweep: SweepConfig::default(),
            flood: FloodConfig::default(),
            script_probe: ScriptProbeConfig::default(),
            exploit_success: super::ExploitSuccessConfig::default(),
            harvest: super::HarvestConfig::default(),
            defacement: super::DefacementConfig::default(),
        }
    }
}

/// `web.scan` settings (T1595.002, T1595.003).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ScanConfig {
    /// Run this detector.
    pub enabled: bool,
    /// Fast variant: distinct non-static paths answered 4xx (not 429) that fire
    /// the alert when seen within `fast_window_secs`.
    pub fast_min_paths: usize,
    /// Fast variant window, seconds.
    pub fast_window_secs: u64,
    /// Slow variant: distinct 4xx non-static paths within `slow_window_secs`.
    pub slow_min_paths: usize,
    /// Slow variant: minimum share of 4xx among the source's non-static requests.
    pub slow_min_error_ratio: f64,
    /// Slow variant window, seconds; also the quiet time that ends an episode.
    pub slow_window_secs: u64,
    /// Also alert on a /24 (IPv4) or /64 (IPv6) whose members together cross a
    /// threshold while no single member does.
    pub prefix_aggregation: bool,
    /// Minimum distinct member addresses for a prefix alert.
    pub prefix_min_members: usize,
    /// WordPress variant: distinct WordPress component probes (`/wp-….php`,
    /// plugin or theme `.php`/`.txt`/`.md` files) answered 4xx that fire the
    /// alert when seen within `wordpress_window_secs`; 0 turns it off.
    pub wordpress_min_paths: usize,
    /// WordPress variant window, seconds.
    pub wordpress_window_secs: u64,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            enabled: true,
            fast_min_paths: 10,
            fast_window_secs: 10,
            slow_min_paths: 30,
            slow_min_error_ratio: 0.5,
            slow_window_secs: 600,
            prefix_aggregation: true,
            prefix_min_members: 2,
            wordpress_min_paths: 4,
            wordpress_window_secs: 60,
        }
    }
}

/// `web.sensitive` settings (T1595.003).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SensitiveConfig {
    /// Run this detector.
    pub enabled: bool,
    /// Distinct sensitive paths within `window_secs` that fire the alert.
    pub min_paths: usize,
    /// Window and episode quiet time, seconds.
    pub window_secs: u64,
    /// Fire on a single sensitive path answered 2xx (severity high).
    pub alert_on_served: bool,
    /// Report a source that asked for secret, VCS or backup names, none
    /// served, and crossed no threshold, as `web.probe` (severity low;
    /// crawler user agents, `[web.sweep] crawler_user_agents` included,
    /// are never reported).
    pub alert_on_single_probe: bool,
    /// Extra sensitive path patterns, lower case. A pattern matches anywhere in the
    /// decoded path and must end at the end of the path or before `/`; a trailing
    /// `*` allows any continuation, a trailing `/` marks a directory.
    pub extra_sensitive_paths: Vec<String>,
    /// A rule file of extra sensitive names (`[[sensitive]]` tables and a
    /// `[backup]` table, the format of `crates/detect/data/web_sensitive.toml`),
    /// beside the built-in ones. A relative path is read from the
    /// configuration file's folder.
    pub extra_rules: Option<String>,
}

impl Default for SensitiveConfig {
    fn default() -> Self {
        SensitiveConfig {
            enabled: true,
            min_paths: 3,
            window_secs: 300,
            alert_on_served: true,
            alert_on_single_probe: true,
            extra_sensitive_paths: Vec::new(),
            extra_rules: None,
        }
    }
}

/// `web.scanner_ua` settings (T1595.001, T1595.002).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ScannerUaConfig {
    /// Run this detector.
    pub enabled: bool,
    /// Requests with a scanner user agent that fire the alert.
    pub min_requests: u64,
    /// Episode quiet time, seconds.
    pub window_secs: u64,
    /// Extra scanner user-agent substrings (case-insensitive); the tool name reported
    /// is the substring itself.
    pub extra_scanner_user_agents: Vec<String>,
    /// A scanner fingerprint file (the format of
    /// `crates/detect/data/scanners.toml`) whose tools are added to the
    /// built-in ones. A relative path is read from the configuration file's
    /// folder.
    pub extra_rules: Option<String>,
}

impl Default for ScannerUaConfig {
    fn default() -> Self {
        ScannerUaConfig {
            enabled: true,
            min_requests: 1,
            window_secs: 600,
            extra_scanner_user_agents: Vec::new(),
            extra_rules: None,
        }
    }
}

/// `web.exploit` settings (T1190).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ExploitConfig {
    /// Run this detector.
    pub enabled: bool,
    /// Matching requests that fire the alert.
    pub min_requests: u64,
    /// Episode quiet time, seconds.
    pub window_secs: u64,
    /// Extra exploit substrings (lower case), matched in the decoded path and query.
    pub extra_patterns: Vec<String>,
    /// A rule file of extra product endpoints (`[[product]]` tables, the format
    /// of `crates/detect/data/web_products.toml`), beside the built-in ones. A
    /// relative path is read from the configuration file's folder.
    pub extra_rules: Option<String>,
}

impl Default for ExploitConfig {
    fn default() -> Self {
        ExploitConfig {
            enabled: true,
            min_requests: 1,
            window_secs: 600,
            extra_patterns: Vec::new(),
            extra_rules: None,
        }
    }
}

/// `web.admin_enum` settings (T1595.003).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AdminEnumConfig {
    /// Run this detector.
    pub enabled: bool,
    /// Distinct admin or login paths within `window_secs` that fire the alert.
    pub min_paths: usize,
    /// Minimum share of 3xx/4xx answers among those requests.
    pub min_failure_ratio: f64,
    /// Window and episode quiet time, seconds.
    pub window_secs: u64,
    /// Report a source that asked for the admin or login page of one product
    /// (`/phpmyadmin`, `/wp-login.php`; not `/admin`), answered 404 or 410,
    /// and crossed no threshold, as `web.probe` (severity low; crawler user
    /// agents are never reported).
    pub alert_on_single_probe: bool,
    /// Extra admin path patterns (same syntax as `extra_sensitive_paths`).
    pub extra_admin_paths: Vec<String>,
}

impl Default for AdminEnumConfig {
    fn default() -> Self {
        AdminEnumConfig {
            enabled: true,
            min_paths: 5,
            min_failure_ratio: 0.6,
            window_secs: 600,
            alert_on_single_probe: true,
            extra_admin_paths: Vec::new(),
        }
    }
}

/// `web.crawl` settings (T1595, T1594).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CrawlConfig {
    /// Run this detector.
    pub enabled: bool,
    /// Distinct non-static GET/HEAD paths within `window_secs` that fire the alert.
    pub min_paths: usize,
    /// Window and episode quiet time, seconds.
    pub window_secs: u64,
    /// Sustained variant: distinct non-static paths within
    /// `sustained_window_secs` (a page every 3 s for 2 minutes is faster than
    /// any reader and than polite search-engine crawlers); 0 turns it off.
    pub sustained_min_paths: usize,
    /// Window of the sustained variant, seconds.
    pub sustained_window_secs: u64,
    /// User-agent substrings (case-insensitive) exempt from this detector only,
    /// e.g. a search engine you welcome.
    pub allow_user_agents: Vec<String>,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            enabled: true,
            min_paths: 40,
            window_secs: 30,
            sustained_min_paths: 40,
            sustained_window_secs: 120,
            allow_user_agents: Vec::new(),
        }
    }
}

/// `web.login_bf` settings (T1110).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LoginBfConfig {
    /// Run this detector.
    pub enabled: bool,
    /// Failed logins (401 answers, or POSTs to a login form answered 200/401/403)
    /// within `window_secs` that fire the alert.
    pub min_failures: usize,
    /// Window and episode quiet time, seconds.
    pub window_secs: u64,
    /// Extra login form path patterns (same syntax as `extra_sensitive_paths`).
    pub extra_login_paths: Vec<String>,
}

impl Default for LoginBfConfig {
    fn default() -> Self {
        LoginBfConfig {
            enabled: true,
            min_failures: 6,
            window_secs: 60,
            extra_login_paths: Vec::new(),
        }
    }
}

/// `web.user_enum` settings (T1589.002, T1087).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct UserEnumConfig {
    /// Run this detector.
    pub enabled: bool,
    /// Distinct user ids (`?author=N`, `/wp-json/wp/v2/users/N`; the user list
    /// counts as one) within `window_secs` that fire the alert.
    pub min_ids: usize,
    /// Window and episode quiet time, seconds.
    pub window_secs: u64,
}

impl Default for UserEnumConfig {
    fn default() -> Self {
        UserEnumConfig {
            enabled: true,
            min_ids: 5,
            window_secs: 600,
        }
    }
}

/// `web.waf_block` settings (T1190; T1595.003 for access rules alone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WafConfig {
    /// Run this detector.
    pub enabled: bool,
    /// Firewall or access-rule events from one source on one site within
    /// `window_secs` that fire the alert.
    pub min_events: u64,
    /// Window and episode quiet time, seconds.
    pub window_secs: u64,
}

impl Default for WafConfig {
    fn default() -> Self {
        WafConfig {
            enabled: true,
            min_events: 3,
            window_secs: 600,
        }
    }
}

/// `web.sweep` settings (T1595.003, T1083): a distributed sweep, many sources
/// each below every per-source threshold, linked by one request fingerprint
/// (site, method, user agent or its absence, path family).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SweepConfig {
    /// Run this detector.
    pub enabled: bool,
    /// Distinct light sources sharing one fingerprint within `window_secs`
    /// that fire the alert.
    pub min_sources: usize,
    /// Window, seconds: sources count while their last request of the
    /// fingerprint is this recent; also the longest a fired sweep runs
    /// before it is reported and a new one starts.
    pub window_secs: u64,
    /// A fired sweep is reported after this many seconds without a request
    /// of its fingerprint.
    pub quiet_secs: u64,
    /// A source is light (below per-source thresholds) when it sent at most
    /// this many requests of the fingerprint.
    pub max_requests_per_source: u32,
    /// Minimum share of light sources among the fingerprint's sources.
    pub min_light_share: f64,
    /// Minimum share of unanswered requests (4xx) among the non-redirect
    /// requests of the fingerprint.
    pub min_unanswered_share: f64,
    /// Sources tracked per fingerprint; beyond it they are counted only.
    pub max_sources_per_fingerprint: usize,
    /// Sources listed in the alert (`source.members`); the total is in the details.
    pub max_members: usize,
    /// Fingerprints tracked at once; on overflow the longest-idle are ended.
    pub max_fingerprints: usize,
    /// User-agent substrings (case-insensitive) of crawlers whose requests
    /// never enter a sweep (added to the built-in search-engine list),
    /// trusted on the User-Agent alone.
    pub crawler_user_agents: Vec<String>,
    /// A file of crawlers (the format of `crates/detect/data/crawlers.toml`:
    /// agents and published networks) added to the built-in list, for
    /// `web.sweep`, `web.sensitive`, `web.admin_enum`, `web.probe` and
    /// `web.harvest`. A relative path is read from the configuration file's
    /// folder.
    pub crawler_rules: Option<String>,
    /// A file of extra path-family names (the format of
    /// `crates/detect/data/web_sweep.toml`), added to the built-in ones. A
    /// relative path is read from the configuration file's folder.
    pub extra_rules: Option<String>,
    /// The wordlist shape: this many addresses asking one site for the same
    /// first four missing names in the same order (no referrer, not assets
    /// or `robots.txt`-like metadata) within 30 days make one alert,
    /// whatever the names; 0 turns the shape off.
    pub wordlist_min_sources: usize,
}

impl Default for SweepConfig {
    fn default() -> Self {
        SweepConfig {
            enabled: true,
            min_sources: 20,
            window_secs: 86_400,
            quiet_secs: 7_200,
            max_requests_per_source: 5,
            min_light_share: 0.8,
            min_unanswered_share: 0.8,
            max_sources_per_fingerprint: 4096,
            max_members: 1000,
            max_fingerprints: 10_000,
            crawler_user_agents: Vec::new(),
            crawler_rules: None,
            extra_rules: None,
            wordlist_min_sources: 3,
        }
    }
}

/// `web.probe` settings for POSTs to server scripts that do not exist and
/// requests for files of products the site does not run (T1595.003).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ScriptProbeConfig {
    /// Run this detector.
    pub enabled: bool,
    /// Episode window and quiet time, seconds: one alert per source and
    /// site per window.
    pub window_secs: u64,
    /// Also report `GET`/`HEAD` requests for a product's own files
    /// (`crates/detect/data/web_fingerprints.toml`) answered 404 or 410
    /// (family `fingerprint`).
    pub fingerprints: bool,
    /// Path patterns added to the built-in fingerprint files (same syntax).
    pub extra_fingerprint_paths: Vec<String>,
}

impl Default for ScriptProbeConfig {
    fn default() -> Self {
        ScriptProbeConfig {
            enabled: true,
            window_secs: 300,
            fingerprints: true,
            extra_fingerprint_paths: Vec::new(),
        }
    }
}

/// `web.flood` settings (T1498, T1499.002). Only non-static requests count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct FloodConfig {
    /// Run this detector.
    pub enabled: bool,
    /// Requests within `window_secs`, whatever their paths, that fire the
    /// alert (a browser sends a handful of page and API requests a second);
    /// 0 turns this shape off.
    pub min_requests: usize,
    /// Requests within `window_secs` that fire the alert when at least
    /// `focus_share` of them ask for one path (also with random query
    /// strings that bypass caches); 0 turns this shape off.
    pub min_focused_requests: usize,
    /// Share of the window's requests on one path for the focused shape.
    pub focus_share: f64,
    /// Window of both request counts, seconds (times are compared to the
    /// millisecond; a log with whole seconds spans up to two of them).
    pub window_secs: u64,
    /// Distinct user agents within `ua_window_secs` that fire the alert when
    /// they are at least half of the requests (a tool switching its agent
    /// per request); 0 turns this shape off.
    pub min_user_agents: usize,
    /// Window of the user-agent rotation shape, seconds.
    pub ua_window_secs: u64,
}

impl Default for FloodConfig {
    fn default() -> Self {
        FloodConfig {
            enabled: true,
            min_requests: 50,
            min_focused_requests: 30,
            focus_share: 0.8,
            window_secs: 1,
            min_user_agents: 10,
            ua_window_secs: 10,
        }
    }
}
