//! Benign traffic: browsing sessions with assets and referers, search
//! crawlers, an uptime monitor, administrators, users who hit broken links,
//! and the declared pen-test. These are the hard negatives.

use super::catalog::{self, SiteKind, BINGBOT, BROWSERS, ENTRY_REFERERS, GOOGLEBOT, UPTIMEROBOT};
use super::{Ctx, Site, PENTEST_IP, SITES};
use crate::label::{LabelKind, LabelSpec, Labels, Tag, NO_TAG};
use crate::write::Req;
use rand::distributions::{Distribution, WeightedIndex};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// First octets of the residential ranges ordinary visitors come from.
/// Notable benign parties use other octets (12, 45, 66, 157, 216), and
/// attackers use documentation ranges, so the sets never overlap.
pub(crate) const USER_OCTETS: &[u8] = &[
    24, 47, 50, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 96, 97, 98, 99, 104, 107, 108, 173, 174,
];

/// Relative traffic per local (US Eastern) hour of the day.
const DIURNAL: [u32; 24] = [
    3, 2, 1, 1, 1, 2, 4, 7, 10, 12, 12, 12, 11, 11, 11, 11, 10, 10, 11, 12, 11, 8, 6, 4,
];

struct Gen<'a> {
    ctx: Ctx,
    idx: u8,
    site: &'a Site,
    rng: ChaCha8Rng,
    pages: Vec<String>,
    out: Vec<Req>,
    hours: WeightedIndex<u32>,
}

pub(crate) fn user_ip(rng: &mut ChaCha8Rng) -> IpAddr {
    if rng.gen_ratio(1, 10) {
        let hi: u64 = 0x2600_1700_0000_0000 | rng.gen_range(0..0xffff_ffff);
        IpAddr::V6(Ipv6Addr::from(
            (u128::from(hi) << 64) | u128::from(rng.gen::<u64>()),
        ))
    } else {
        let a = *USER_OCTETS.choose(rng).expect("non-empty");
        IpAddr::V4(Ipv4Addr::new(
            a,
            rng.gen(),
            rng.gen(),
            rng.gen_range(1..255),
        ))
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("valid literal address")
}

fn page_bytes(rng: &mut ChaCha8Rng, path: &str) -> u32 {
    if path.ends_with(".pdf") {
        rng.gen_range(120_000..900_000)
    } else {
        rng.gen_range(8_000..64_000)
    }
}

fn asset_bytes(rng: &mut ChaCha8Rng, path: &str) -> u32 {
    let p = path.split('?').next().unwrap_or(path);
    match p.rsplit('.').next() {
        Some("css") => rng.gen_range(18_000..90_000),
        Some("js") => rng.gen_range(30_000..320_000),
        Some("woff2") => rng.gen_range(20_000..60_000),
        Some("ico") => rng.gen_range(1_000..16_000),
        Some("svg") => rng.gen_range(2_000..30_000),
        _ => rng.gen_range(20_000..400_000),
    }
}

impl Gen<'_> {
    fn label(
        &self,
        labels: &mut Labels,
        ip: IpAddr,
        actor: &'static str,
        role: &'static str,
    ) -> Tag {
        labels.tag(LabelSpec {
            kind: LabelKind::Benign,
            actor,
            role,
            ip,
            site: self.site.host,
            detector: None,
            technique: None,
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
        bytes: u32,
        ua: &'static str,
        referer: Cow<'static, str>,
        tag: Tag,
    ) {
        self.out.push(Req {
            ms,
            ip,
            method,
            target,
            status,
            bytes,
            ua,
            referer,
            site: self.idx,
            tag,
        });
    }

    fn url(&self, path: &str) -> Cow<'static, str> {
        Cow::Owned(format!("https://{}{}", self.site.host, path))
    }

    /// A random instant of day `d`, following the diurnal curve.
    fn diurnal_ms(&mut self, d: u32) -> i64 {
        let local_hour = self.hours.sample(&mut self.rng) as i64;
        let utc_hour = (local_hour + 4) % 24;
        self.ctx.day_ms(d) + utc_hour * 3_600_000 + self.rng.gen_range(0..3_600_000)
    }

    /// One browsing session; returns the number of requests and the end time.
    fn session(&mut self, mut t: i64, ip: IpAddr, ua: &'static str, n_pages: u32, tag: Tag) -> u32 {
        let kind = self.site.kind;
        let assets = catalog::assets(kind);
        let mut n = 0;
        let mut referer: Cow<'static, str> =
            Cow::Borrowed(ENTRY_REFERERS.choose(&mut self.rng).expect("non-empty"));
        for i in 0..n_pages {
            let page = if i == 0 && self.rng.gen_ratio(1, 3) {
                self.pages[0].clone()
            } else {
                self.pages.choose(&mut self.rng).expect("non-empty").clone()
            };
            let bytes = page_bytes(&mut self.rng, &page);
            let page_url = self.url(&page);
            let is_pdf = page.ends_with(".pdf");
            self.push(t, ip, "GET", Cow::Owned(page), 200, bytes, ua, referer, tag);
            n += 1;
            if !is_pdf {
                let mut at = t + self.rng.gen_range(80..400);
                let count = if i == 0 {
                    assets.len()
                } else {
                    self.rng.gen_range(0..3)
                };
                for a in assets.iter().take(count) {
                    let (status, bytes) = if i == 0 {
                        (200, asset_bytes(&mut self.rng, a))
                    } else {
                        (304, 0)
                    };
                    self.push(
                        at,
                        ip,
                        "GET",
                        Cow::Borrowed(a),
                        status,
                        bytes,
                        ua,
                        page_url.clone(),
                        tag,
                    );
                    n += 1;
                    at += self.rng.gen_range(5..250);
                }
            }
            referer = page_url;
            t += self.rng.gen_range(6_000..120_000);
        }
        n
    }

    fn users(&mut self, pool: &[(IpAddr, &'static str)]) {
        for d in 0..self.ctx.days {
            let mut n = 0;
            while n < self.ctx.rate {
                let (ip, ua) = pool[self.rng.gen_range(0..pool.len())];
                let pages = *[1, 1, 1, 2, 2, 3, 4, 6]
                    .choose(&mut self.rng)
                    .expect("non-empty");
                let t = self.diurnal_ms(d);
                n += self.session(t, ip, ua, pages, NO_TAG);
            }
        }
    }

    fn broken_link_users(&mut self, labels: &mut Labels, ips: &[IpAddr]) {
        let broken = catalog::broken_links(self.site.kind);
        for (k, &ip) in ips.iter().enumerate() {
            let tag = self.label(labels, ip, "user", "broken_links");
            let ua = BROWSERS[(k * 5 + usize::from(self.idx)) % BROWSERS.len()];
            for d in 0..self.ctx.days {
                if d % 3 != k as u32 % 3 {
                    continue;
                }
                let t = self.diurnal_ms(d);
                self.session(t, ip, ua, 2, tag);
                let mut at = t + 200_000;
                let hits = self.rng.gen_range(1..=broken.len().min(3));
                for b in broken
                    .choose_multiple(&mut self.rng, hits)
                    .copied()
                    .collect::<Vec<_>>()
                {
                    let r = self.url("/");
                    let bytes = self.rng.gen_range(300..1_200);
                    self.push(at, ip, "GET", Cow::Borrowed(b), 404, bytes, ua, r, tag);
                    at += self.rng.gen_range(8_000..60_000);
                }
            }
        }
    }

    fn crawlers(&mut self, labels: &mut Labels) {
        let broken = catalog::broken_links(self.site.kind);
        let bots: [(&str, &'static str, &'static str, u32); 3] = [
            ("66.249.66.1", GOOGLEBOT, "googlebot", 30),
            ("66.249.66.77", GOOGLEBOT, "googlebot", 20),
            ("157.55.39.42", BINGBOT, "bingbot", 15),
        ];
        for (addr, ua, actor, max) in bots {
            let ip = ip(addr);
            let tag = self.label(labels, ip, actor, "crawler");
            for d in 0..self.ctx.days {
                let mut t = self.ctx.day_ms(d) + self.rng.gen_range(0..20 * 3_600_000);
                self.push(
                    t,
                    ip,
                    "GET",
                    Cow::Borrowed("/robots.txt"),
                    200,
                    310,
                    ua,
                    Cow::Borrowed(""),
                    tag,
                );
                for _ in 0..self.rng.gen_range(max / 2..=max) {
                    // Polite: at least 5 s between fetches.
                    t += self.rng.gen_range(5_000..45_000);
                    let (path, status, bytes) = if self.rng.gen_ratio(1, 30) {
                        let b = *broken.choose(&mut self.rng).expect("non-empty");
                        (Cow::Borrowed(b), 404, 900)
                    } else {
                        let p = self.pages.choose(&mut self.rng).expect("non-empty").clone();
                        let b = page_bytes(&mut self.rng, &p);
                        (Cow::Owned(p), 200, b)
                    };
                    self.push(
                        t,
                        ip,
                        "GET",
                        path,
                        status,
                        bytes,
                        ua,
                        Cow::Borrowed(""),
                        tag,
                    );
                }
            }
        }
    }

    fn monitor(&mut self, labels: &mut Labels) {
        let ip = ip("216.144.250.150");
        let tag = self.label(labels, ip, "uptimerobot", "monitor");
        let mut t = self.ctx.day_ms(0) + self.rng.gen_range(0..60_000);
        let end = self.ctx.day_ms(self.ctx.days);
        while t < end {
            let bytes = 2;
            self.push(
                t,
                ip,
                "GET",
                Cow::Borrowed("/health"),
                200,
                bytes,
                UPTIMEROBOT,
                Cow::Borrowed(""),
                tag,
            );
            t += 60_000 + self.rng.gen_range(-300..300);
        }
    }

    fn admin(&mut self, labels: &mut Labels) {
        let ip = ip(self.site.admin_ip);
        let tag = self.label(labels, ip, "site-admin", "admin");
        let ua = BROWSERS[9];
        let steps = catalog::admin_session(self.site.kind);
        for d in 0..self.ctx.days {
            // 2026-09-01 is a Tuesday: skip weekends.
            if matches!((d + 2) % 7, 0 | 6) {
                continue;
            }
            let mut t = self.ctx.day_ms(d)
                + (13 + i64::from(d % 6)) * 3_600_000
                + self.rng.gen_range(0..3_600_000);
            let node = self.rng.gen_range(100..4_000);
            let mut referer: Cow<'static, str> = Cow::Borrowed("");
            for &(method, path, status) in steps {
                let target = path.replace("{n}", &node.to_string());
                let bytes = if status == 200 {
                    self.rng.gen_range(4_000..40_000)
                } else {
                    0
                };
                let url = self.url(&target);
                self.push(
                    t,
                    ip,
                    method,
                    Cow::Owned(target),
                    status,
                    bytes,
                    ua,
                    referer,
                    tag,
                );
                referer = url;
                t += self.rng.gen_range(6_000..50_000);
            }
        }
    }

    fn pentest(&mut self, labels: &mut Labels) {
        let ip = ip(PENTEST_IP);
        let tag = self.label(labels, ip, "pentest", "pentest");
        let d = self.ctx.day_at(0.5);
        let mut t = self.ctx.day_ms(d) + 15 * 3_600_000;
        let mut paths: Vec<String> = catalog::scan_paths();
        paths.extend(catalog::SENSITIVE.iter().map(|s| s.to_string()));
        paths.extend(catalog::ADMIN_PANELS.iter().map(|s| s.to_string()));
        for (tool, count) in [(catalog::NIKTO, 300usize), (catalog::NUCLEI, 120)] {
            paths.shuffle(&mut self.rng);
            for p in paths.iter().take(count) {
                let (status, bytes) = if p == "/wp-login.php" {
                    (200, 5_400)
                } else {
                    (404, 520)
                };
                self.push(
                    t,
                    ip,
                    "GET",
                    Cow::Owned(p.clone()),
                    status,
                    bytes,
                    tool,
                    Cow::Borrowed(""),
                    tag,
                );
                t += self.rng.gen_range(150..900);
            }
            t += 600_000;
        }
    }
}

/// All benign requests of one site over the period (unsorted).
pub(super) fn site_traffic(ctx: Ctx, idx: usize, labels: &mut Labels) -> Vec<Req> {
    let site = &SITES[idx];
    let mut g = Gen {
        ctx,
        idx: idx as u8,
        site,
        rng: ctx.rng(1 + idx as u64),
        pages: catalog::pages(site.kind),
        out: Vec::with_capacity(ctx.rate as usize * ctx.days as usize * 11 / 10),
        hours: WeightedIndex::new(DIURNAL).expect("positive weights"),
    };
    let pool_size = (ctx.rate as usize / 6).clamp(20, 20_000);
    let mut seen = BTreeSet::new();
    let mut pool = Vec::with_capacity(pool_size);
    while pool.len() < pool_size + 2 {
        let ip = user_ip(&mut g.rng);
        if seen.insert(ip) {
            pool.push((ip, *BROWSERS.choose(&mut g.rng).expect("non-empty")));
        }
    }
    let broken: Vec<IpAddr> = pool.drain(pool_size..).map(|(ip, _)| ip).collect();
    g.users(&pool);
    g.broken_link_users(labels, &broken);
    g.crawlers(labels);
    if site.monitored {
        g.monitor(labels);
    }
    g.admin(labels);
    if site.kind == SiteKind::Campaign {
        g.pentest(labels);
    }
    g.out
}
