//! The web rules of one detector set, each called directly, in build order
//! (no virtual call per rule and request; the calls can be inlined).

use super::crawlers::Crawlers;
use super::{
    admin, crawl, exploit, flood, login, scan, script_probe, sensitive, sweep, useragent, userenum,
    WebConfig, WebRule,
};
use haboob_model::{Alert, Origin, WebEvent};

/// The enabled rules, `None` for a disabled one, in the order they were
/// always built and run: scan, sensitive, scanner user agent, exploit,
/// admin enumeration, crawl, login brute force, user enumeration, flood,
/// sweep, then the script probes (added last, so that the others' output
/// keeps its order).
#[derive(Debug, Default)]
pub(crate) struct RuleSet {
    scan: Option<scan::WebScan>,
    sensitive: Option<sensitive::WebSensitive>,
    scanner_ua: Option<useragent::WebScannerUa>,
    exploit: Option<exploit::WebExploit>,
    admin: Option<admin::WebAdminEnum>,
    crawl: Option<crawl::WebCrawl>,
    login: Option<login::WebLoginBf>,
    user_enum: Option<userenum::WebUserEnum>,
    flood: Option<flood::WebFlood>,
    sweep: Option<sweep::WebSweep>,
    script_probe: Option<script_probe::WebScriptProbe>,
}

/// `$f` on each enabled rule of `$s` (a `RuleSet`; `[mut]` to borrow
/// mutably), in order.
macro_rules! each_rule {
    ($s:ident [$($m:tt)*] $r:ident => $f:expr) => {
        if let Some($r) = &$($m)* $s.scan {
            $f;
        }
        if let Some($r) = &$($m)* $s.sensitive {
            $f;
        }
        if let Some($r) = &$($m)* $s.scanner_ua {
            $f;
        }
        if let Some($r) = &$($m)* $s.exploit {
            $f;
        }
        if let Some($r) = &$($m)* $s.admin {
            $f;
        }
        if let Some($r) = &$($m)* $s.crawl {
            $f;
        }
        if let Some($r) = &$($m)* $s.login {
            $f;
        }
        if let Some($r) = &$($m)* $s.user_enum {
            $f;
        }
        if let Some($r) = &$($m)* $s.flood {
            $f;
        }
        if let Some($r) = &$($m)* $s.sweep {
            $f;
        }
        if let Some($r) = &$($m)* $s.script_probe {
            $f;
        }
    };
}

impl RuleSet {
    /// The rules `cfg` enables (`products`: the classifier's product names,
    /// for `web.exploit`).
    pub fn new(cfg: &WebConfig, products: &std::sync::Arc<[exploit::ProductMeta]>) -> RuleSet {
        let n = cfg.max_evidence;
        let m = cfg.max_tracked_sources;
        // One crawler list (and one read of `crawler_rules`) for every rule
        // that spares crawlers.
        let crawlers = Crawlers::of(&cfg.sweep);
        RuleSet {
            scan: cfg
                .scan
                .enabled
                .then(|| scan::WebScan::new(&cfg.scan, n, m)),
            sensitive: cfg
                .sensitive
                .enabled
                .then(|| sensitive::WebSensitive::new(&cfg.sensitive, crawlers.clone(), n, m)),
            scanner_ua: cfg
                .scanner_ua
                .enabled
                .then(|| useragent::WebScannerUa::new(&cfg.scanner_ua, n, m)),
            exploit: cfg
                .exploit
                .enabled
                .then(|| exploit::WebExploit::new(&cfg.exploit, products.clone(), n, m)),
            admin: cfg
                .admin_enum
                .enabled
                .then(|| admin::WebAdminEnum::new(&cfg.admin_enum, crawlers.clone(), n, m)),
            crawl: cfg
                .crawl
                .enabled
                .then(|| crawl::WebCrawl::new(&cfg.crawl, n, m)),
            login: cfg
                .login_bf
                .enabled
                .then(|| login::WebLoginBf::new(&cfg.login_bf, n, m)),
            user_enum: cfg
                .user_enum
                .enabled
                .then(|| userenum::WebUserEnum::new(&cfg.user_enum, n, m)),
            flood: cfg
                .flood
                .enabled
                .then(|| flood::WebFlood::new(&cfg.flood, n, m)),
            sweep: cfg
                .sweep
                .enabled
                .then(|| sweep::WebSweep::new(&cfg.sweep, crawlers.clone(), n)),
            script_probe: cfg.script_probe.enabled.then(|| {
                script_probe::WebScriptProbe::new(&cfg.script_probe, crawlers.clone(), n, m)
            }),
        }
    }

    /// Every enabled rule observes the request, in order.
    #[inline]
    pub fn observe(
        &mut self,
        w: &WebEvent<'_>,
        req: &super::Req,
        o: &Origin<'_>,
        out: &mut Vec<Alert>,
    ) {
        each_rule!(self [mut] r => r.observe(w, req, o, out));
    }

    /// The enabled rules, in order (saving, restoring, finishing: not per
    /// request).
    pub fn all(&self) -> Vec<&dyn WebRule> {
        let mut v: Vec<&dyn WebRule> = Vec::new();
        each_rule!(self [] r => v.push(r));
        v
    }

    /// [`RuleSet::all`], to change them.
    pub fn all_mut(&mut self) -> Vec<&mut dyn WebRule> {
        let mut v: Vec<&mut dyn WebRule> = Vec::new();
        each_rule!(self [mut] r => v.push(r));
        v
    }
}
