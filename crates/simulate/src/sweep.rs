//! Scenario `web-sweep`: a distributed backup-file sweep against two sites,
//! beside single-source probes and the benign many-source patterns that
//! must stay quiet.
//!
//! - `shop.example.org` (Apache `combined`, `shop/access.log`, named in
//!   `targets.toml`) and `blog.example.net` (`vhost_combined`,
//!   `vhosts/other_vhosts_access.log`).
//! - **The sweep** (`sweep-a`, role `distributed_sweep`, `web.sweep`): 340
//!   addresses across many networks, each one or two `HEAD` requests with no
//!   user agent for archive and secret names, some built from the host
//!   (`/shop.example.org.tar.gz`, `/shop.zip`, `www.zip`, `wallet.dat`,
//!   `sftp-config.json`, `/backup/.env`), over ten hours of the first day
//!   on the shop; on the second day 60 of them do the same to the blog.
//!   Everything is answered 404 (403 for `/backup/.env`).
//! - **A sweep borrowing Googlebot's User-Agent** (`sweep-g`, role
//!   `forged_crawler_sweep`, `web.sweep`): 40 addresses outside Google's
//!   published networks, one or two GETs each for secret and config-copy
//!   names (`/.env`, `/wp-config.php.bak`, `wallet.dat`), over six hours of
//!   the second day on the shop, answered 404.
//! - A webshell-discovery burst (`shell-b`, `web.exploit`): one source, 8
//!   upload and shell paths in 4 s against the blog.
//! - `.git` probes (`git-c`, `web.sensitive`): one source, four `.git`
//!   files in 10 s against the shop.
//! - Benign (labelled when notable): browsers (one popular page from
//!   hundreds of addresses, assets, `favicon.ico`, `apple-touch-icon.png`,
//!   `robots.txt`, `ads.txt`), 40 CDN edge addresses checking `/health`
//!   with no user agent, 30 Googlebot addresses (normal pages and a stale
//!   `/files/backup.zip` link, 404), 10 uptime-monitor probes, 80
//!   `security.txt` fetchers with no user agent (404), and 50 link
//!   previewers sending `HEAD /` with no user agent.

use crate::clock::{Zone, DAY, MS, PERIOD_START};
use crate::election::catalog::{BROWSERS, GOOGLEBOT, UPTIMEROBOT};
use crate::label::{LabelKind, LabelSpec, Labels, Tag, NO_TAG};
use crate::write::{push_combined, push_vhost, write_metadata, OutFile, Req};
use crate::{SimError, SimOptions, SimSummary};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

const HOUR: i64 = 3_600 * MS;
const MINUTE: i64 = 60 * MS;

/// The two sites: host, log file, vhost layout.
const SITES: [(&str, &str, bool); 2] = [
    ("shop.example.org", "shop/access.log", false),
    ("blog.example.net", "vhosts/other_vhosts_access.log", true),
];

/// Sweep names shared by every site.
const SWEEP_NAMES: &[&str] = &[
    "/www.zip",
    "/www.tar.gz",
    "/backup.zip",
    "/backup.tar.gz",
    "/site.rar",
    "/wwwroot.7z",
    "/web.zip",
    "/htdocs.tar.gz",
    "/2026.zip",
    "/db.sql",
    "/dump.sql",
    "/backup/backup.zip",
    "/wallet.dat",
    "/sftp-config.json",
    "/backup/.env",
    "/.aws/credentials",
    "/wp-config.php.bak",
];

/// Upload and shell paths of the webshell-discovery burst.
const SHELLS: &[&str] = &[
    "/shell.php",
    "/wso.php",
    "/alfa.php",
    "/c99.php",
    "/uploads/up.php",
    "/wp-content/uploads/x.php",
    "/upload.php",
    "/cmd.php",
];

const PAGES: &[&str] = &[
    "/",
    "/sale/autumn",
    "/products/boots",
    "/products/jackets",
    "/about",
    "/contact",
    "/blog/2026/08/new-season",
    "/cart",
];

const ASSETS: &[&str] = &["/static/app.js", "/static/site.css", "/img/logo.png"];

struct Gen {
    rng: ChaCha8Rng,
    labels: Labels,
    reqs: [Vec<Req>; 2],
    used: BTreeSet<IpAddr>,
}

impl Gen {
    /// A fresh public-looking address in a network none of the fixed
    /// benign parties use.
    fn addr(&mut self) -> IpAddr {
        loop {
            let a: u8 = self.rng.gen_range(1..224);
            if matches!(
                a,
                10 | 66 | 100 | 104 | 127 | 169 | 172 | 192 | 198 | 203 | 216
            ) {
                continue;
            }
            let ip = IpAddr::V4(Ipv4Addr::new(
                a,
                self.rng.gen(),
                self.rng.gen(),
                self.rng.gen_range(1..255),
            ));
            if self.used.insert(ip) {
                return ip;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        site: usize,
        ms: i64,
        ip: IpAddr,
        method: &'static str,
        target: Cow<'static, str>,
        status: u16,
        ua: &'static str,
        tag: Tag,
    ) {
        let bytes = match (method, status) {
            ("HEAD", _) => 0,
            (_, 200) => self.rng.gen_range(4_000..40_000),
            _ => 196 + self.rng.gen_range(0..40),
        };
        self.reqs[site].push(Req {
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

    fn tag(
        &mut self,
        kind: LabelKind,
        who: (&'static str, &'static str),
        ip: IpAddr,
        site: usize,
    ) -> Tag {
        self.tag_expect(kind, who, ip, site, (None, None))
    }

    /// A label with the detector and technique expected to find it.
    fn tag_expect(
        &mut self,
        kind: LabelKind,
        (actor, role): (&'static str, &'static str),
        ip: IpAddr,
        site: usize,
        (detector, technique): (Option<&'static str>, Option<&'static str>),
    ) -> Tag {
        self.labels.tag(LabelSpec {
            kind,
            actor,
            role,
            ip,
            site: SITES[site].0,
            detector,
            technique,
            prefix: None,
        })
    }

    /// One sweep wave: `ips` spread over ten hours from `start`.
    fn sweep_wave(&mut self, site: usize, ips: &[IpAddr], start: i64) {
        let host = SITES[site].0;
        let label = host.split('.').next().unwrap_or(host);
        let derived = [
            format!("/{host}.tar.gz"),
            format!("/{host}.zip"),
            format!("/{label}.zip"),
        ];
        for (i, &ip) in ips.iter().enumerate() {
            let tag = self.tag_expect(
                LabelKind::Attack,
                ("sweep-a", "distributed_sweep"),
                ip,
                site,
                (Some("web.sweep"), Some("T1595.003")),
            );
            let mut t = start + (i as i64 * 10 * HOUR) / ips.len() as i64;
            t += self.rng.gen_range(0..MINUTE);
            let n = self.rng.gen_range(1..=2);
            for _ in 0..n {
                let pick = self.rng.gen_range(0..SWEEP_NAMES.len() + derived.len());
                let target: Cow<'static, str> = match SWEEP_NAMES.get(pick) {
                    Some(p) => Cow::Borrowed(p),
                    None => Cow::Owned(derived[pick - SWEEP_NAMES.len()].clone()),
                };
                let status = if target.ends_with("/.env") { 403 } else { 404 };
                self.push(site, t, ip, "HEAD", target, status, "", tag);
                t += self.rng.gen_range(1_000..4_000);
            }
        }
    }

    /// A sweep that borrows Googlebot's User-Agent (`sweep-g`, role
    /// `forged_crawler_sweep`): 40 addresses outside Google's networks, one
    /// or two GETs each for secret and config-copy names, over six hours of
    /// the second day, against the shop; answered 404. Drawn after all
    /// other traffic, so the rest of the scenario is as before.
    fn forged_crawler_sweep(&mut self, days: u32) {
        if days < 2 {
            return;
        }
        const NAMES: &[&str] = &[
            "/.env",
            "/wp-config.php.bak",
            "/config.php~",
            "/.git-credentials",
            "/sftp-config.json",
            "/.aws/credentials",
            "/wallet.dat",
            "/backup.sql",
        ];
        let start = (PERIOD_START + DAY) * MS + 2 * HOUR;
        for i in 0..40i64 {
            let ip = self.addr();
            let tag = self.tag_expect(
                LabelKind::Attack,
                ("sweep-g", "forged_crawler_sweep"),
                ip,
                0,
                (Some("web.sweep"), Some("T1595.003")),
            );
            let mut t = start + i * 6 * HOUR / 40 + self.rng.gen_range(0..MINUTE);
            for _ in 0..self.rng.gen_range(1..=2) {
                let p = NAMES[self.rng.gen_range(0..NAMES.len())];
                self.push(0, t, ip, "GET", Cow::Borrowed(p), 404, GOOGLEBOT, tag);
                t += self.rng.gen_range(1_000..4_000);
            }
        }
    }

    fn attacks(&mut self, days: u32) {
        let ips: Vec<IpAddr> = (0..340).map(|_| self.addr()).collect();
        let day0 = PERIOD_START * MS;
        self.sweep_wave(0, &ips, day0 + 13 * HOUR);
        if days >= 2 {
            let wave: Vec<IpAddr> = ips.choose_multiple(&mut self.rng, 60).copied().collect();
            self.sweep_wave(1, &wave, day0 + DAY * MS + 9 * HOUR);
        }
        // Webshell discovery: 8 paths in 4 s.
        let ip = self.addr();
        let tag = self.tag_expect(
            LabelKind::Attack,
            ("shell-b", "webshell_discovery"),
            ip,
            1,
            (Some("web.exploit"), None),
        );
        let t0 = day0 + 20 * HOUR + self.rng.gen_range(0..HOUR);
        for (k, p) in SHELLS.iter().enumerate() {
            let ua = "python-requests/2.31.0";
            self.push(
                1,
                t0 + k as i64 * 500,
                ip,
                "GET",
                Cow::Borrowed(p),
                404,
                ua,
                tag,
            );
        }
        // `.git` probes.
        let ip = self.addr();
        let tag = self.tag_expect(
            LabelKind::Attack,
            ("git-c", "sensitive"),
            ip,
            0,
            (Some("web.sensitive"), Some("T1595.003")),
        );
        let t0 = day0 + 5 * HOUR + self.rng.gen_range(0..HOUR);
        for (k, p) in [
            "/.git/HEAD",
            "/.git/config",
            "/.git/index",
            "/.git/logs/HEAD",
        ]
        .iter()
        .enumerate()
        {
            self.push(
                0,
                t0 + k as i64 * 2_500,
                ip,
                "GET",
                Cow::Borrowed(p),
                404,
                BROWSERS[0],
                tag,
            );
        }
    }

    fn benign(&mut self, site: usize, days: u32, rate: u32) {
        let end = (PERIOD_START + i64::from(days) * DAY) * MS;
        let start = PERIOD_START * MS;
        // Browsers: sessions of a few pages with assets and the usual extras.
        let visitors: Vec<IpAddr> = (0..600).map(|_| self.addr()).collect();
        let sessions = (u64::from(rate) * u64::from(days) / 6).max(1);
        for _ in 0..sessions {
            let ip = *visitors.choose(&mut self.rng).expect("visitors");
            let ua = *BROWSERS.choose(&mut self.rng).expect("browsers");
            let mut t = self.rng.gen_range(start..end);
            let first = if self.rng.gen_ratio(1, 2) {
                "/sale/autumn"
            } else {
                "/"
            };
            self.push(site, t, ip, "GET", Cow::Borrowed(first), 200, ua, NO_TAG);
            for a in ASSETS {
                t += self.rng.gen_range(50..400);
                self.push(site, t, ip, "GET", Cow::Borrowed(a), 200, ua, NO_TAG);
            }
            for extra in [
                "/favicon.ico",
                "/apple-touch-icon.png",
                "/robots.txt",
                "/ads.txt",
            ] {
                if self.rng.gen_ratio(1, 4) {
                    t += self.rng.gen_range(50..400);
                    self.push(site, t, ip, "GET", Cow::Borrowed(extra), 404, ua, NO_TAG);
                }
            }
            for _ in 0..self.rng.gen_range(0..3) {
                t += self.rng.gen_range(5_000..60_000);
                let p = *PAGES.choose(&mut self.rng).expect("pages");
                self.push(site, t, ip, "GET", Cow::Borrowed(p), 200, ua, NO_TAG);
            }
        }
        // CDN edges checking health every 10 minutes, no user agent.
        for i in 0..40u8 {
            let ip = IpAddr::V4(Ipv4Addr::new(104, 16, 10 + i / 10, 20 + i));
            let tag = self.tag(LabelKind::Benign, ("cdn", "cdn_health"), ip, site);
            let mut t = start + self.rng.gen_range(0..10 * MINUTE);
            while t < end {
                self.push(site, t, ip, "HEAD", Cow::Borrowed("/health"), 200, "", tag);
                t += 10 * MINUTE;
            }
        }
        // Googlebot from 30 addresses: pages and a stale backup link.
        for i in 0..30u8 {
            let ip = IpAddr::V4(Ipv4Addr::new(66, 249, 64 + i / 8, 10 + i));
            let tag = self.tag(LabelKind::Benign, ("googlebot", "crawler"), ip, site);
            for d in 0..days {
                let mut t = start + i64::from(d) * DAY * MS + self.rng.gen_range(0..20 * HOUR);
                for p in PAGES.iter().take(4) {
                    self.push(site, t, ip, "GET", Cow::Borrowed(p), 200, GOOGLEBOT, tag);
                    t += self.rng.gen_range(20_000..90_000);
                }
                let stale = "/files/backup.zip";
                self.push(
                    site,
                    t,
                    ip,
                    "GET",
                    Cow::Borrowed(stale),
                    404,
                    GOOGLEBOT,
                    tag,
                );
            }
        }
        // Uptime monitor probes, every 5 minutes each.
        for i in 0..10u8 {
            let ip = IpAddr::V4(Ipv4Addr::new(216, 144, 250, 100 + i));
            let tag = self.tag(LabelKind::Benign, ("uptimerobot", "monitor"), ip, site);
            let mut t = start + self.rng.gen_range(0..5 * MINUTE);
            while t < end {
                self.push(
                    site,
                    t,
                    ip,
                    "HEAD",
                    Cow::Borrowed("/"),
                    200,
                    UPTIMEROBOT,
                    tag,
                );
                t += 5 * MINUTE;
            }
        }
        // security.txt fetchers and link previewers, no user agent.
        for (n, role, method, path, status) in [
            (80, "wellknown", "GET", "/.well-known/security.txt", 404),
            (50, "link_preview", "HEAD", "/", 200),
        ] {
            for _ in 0..n {
                let ip = self.addr();
                let tag = self.tag(LabelKind::Benign, ("internet", role), ip, site);
                let t = self.rng.gen_range(start..end);
                self.push(site, t, ip, method, Cow::Borrowed(path), status, "", tag);
            }
        }
    }
}

pub(crate) fn run(opts: &SimOptions) -> Result<SimSummary, SimError> {
    let days = opts.days.min(30);
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    rng.set_stream(7);
    let mut g = Gen {
        rng,
        labels: Labels::default(),
        reqs: [Vec::new(), Vec::new()],
        used: BTreeSet::new(),
    };
    g.attacks(days);
    for site in 0..SITES.len() {
        g.benign(site, days, opts.rate);
    }
    g.forged_crawler_sweep(days);
    let mut summary = SimSummary::default();
    let end = (PERIOD_START + i64::from(days) * DAY) * MS;
    let reqs = std::mem::take(&mut g.reqs);
    for (site, mut reqs) in reqs.into_iter().enumerate() {
        let (host, file, vhost) = SITES[site];
        reqs.retain(|r| r.ms < end);
        reqs.sort_by_key(|r| r.ms);
        let path = opts.out.join(file);
        let mut f = OutFile::create(&path)?;
        let mut line = Vec::with_capacity(1024);
        for r in &reqs {
            line.clear();
            if vhost {
                push_vhost(&mut line, r, host, Zone::Utc);
            } else {
                push_combined(&mut line, r, Zone::Utc);
            }
            summary.lines += 1;
            summary.bytes += line.len() as u64;
            g.labels.record(r.tag, r.ms);
            f.write(&line)?;
        }
        summary.files.push(f.finish()?);
    }
    let targets = format!(
        "# Sites of the web-sweep simulation.\n\n[[target]]\nname = \"{}\"\nsector = \"other\"\npaths = [\"shop/*\"]\n\n[[target]]\nname = \"{}\"\nsector = \"news\"\n",
        SITES[0].0, SITES[1].0
    );
    write_metadata(&opts.out, &g.labels, &targets, &mut summary)?;
    Ok(summary)
}
