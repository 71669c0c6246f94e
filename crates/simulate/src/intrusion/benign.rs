//! Benign traffic of each state site: visitors (some look a voter up), and
//! the labelled look-alikes of the intrusion's stages that must stay quiet —
//! a search-engine crawler fetching the public PDFs, a results-feed API
//! client polling one JSON resource, a journalist downloading the public
//! results files once, an uptime monitor, and the office's editor updating
//! pages from the allow-listed network.

use super::{Ctx, Defaced, PA, SITES, WI};
use crate::election::catalog::{BROWSERS, ENTRY_REFERERS, GOOGLEBOT, UPTIMEROBOT};
use crate::label::{LabelKind, LabelSpec, Labels, Tag, NO_TAG};
use crate::write::Req;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;

const PAGES: &[&str] = &[
    "/voter/registration",
    "/voter/status",
    "/elections/2026-general",
    "/elections/2026-general/candidates",
    "/polling-places",
    "/absentee",
    "/results",
    "/results/2026-primary",
    "/news",
    "/contact",
    "/about",
];

const ASSETS: &[&str] = &["/static/site.css", "/static/app.js", "/images/seal.png"];

/// Counties whose results files are published.
const COUNTIES: &[&str] = &[
    "adams",
    "allen",
    "brown",
    "butler",
    "clark",
    "clay",
    "dane",
    "douglas",
    "franklin",
    "grant",
    "greene",
    "jackson",
    "jefferson",
    "kent",
    "knox",
    "lake",
    "lincoln",
    "madison",
    "marion",
    "monroe",
    "morgan",
    "perry",
    "pike",
    "polk",
    "scott",
    "union",
    "warren",
    "washington",
    "wayne",
    "wood",
];

const FEED_UA: &str = "ResultsFeed/3.2 (+https://newsroom.example/feeds)";
/// The results-feed client of a news organisation (one address).
const FEED_IP: Ipv4Addr = Ipv4Addr::new(34, 102, 7, 19);
/// A journalist's laptop.
const JOURNALIST_IP: Ipv4Addr = Ipv4Addr::new(73, 61, 140, 212);

struct Gen<'a> {
    ctx: Ctx,
    site: usize,
    rng: ChaCha8Rng,
    labels: &'a mut Labels,
    defaced: Defaced,
    out: Vec<Req>,
}

impl Gen<'_> {
    fn tag(&mut self, actor: &'static str, role: &'static str, ip: IpAddr) -> Tag {
        self.labels.tag(LabelSpec {
            kind: LabelKind::Benign,
            actor,
            role,
            ip,
            site: SITES[self.site].host,
            detector: None,
            technique: None,
            prefix: None,
        })
    }

    /// The home page's size at `ms`: a little dynamic content, or the
    /// defaced page from the defacement on.
    fn home_bytes(&mut self, ms: i64) -> u32 {
        if self.site == self.defaced.site && ms >= self.defaced.at {
            self.defaced.bytes
        } else {
            SITES[self.site].home_bytes + self.rng.gen_range(0..160)
        }
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
        referer: &'static str,
        tag: Tag,
    ) {
        let bytes = match (method, status, &*target) {
            ("HEAD", _, _) => 0,
            (_, 200, "/") => self.home_bytes(ms),
            (_, 200, t) if t.ends_with(".pdf") => self.rng.gen_range(60_000..900_000),
            (_, 200, t) if t.ends_with(".csv") => self.rng.gen_range(8_000..120_000),
            (_, 200, t) if t.starts_with("/voter/lookup") => self.rng.gen_range(1_900..2_300),
            (_, 200, _) => self.rng.gen_range(6_000..30_000),
            (_, 201 | 204, _) => 0,
            _ => 196 + self.rng.gen_range(0..40),
        };
        self.out.push(Req {
            ms,
            ip,
            method,
            target,
            status,
            bytes,
            ua,
            referer: Cow::Borrowed(referer),
            site: self.site as u8,
            tag,
        });
    }

    fn visitor_ip(&mut self) -> IpAddr {
        let a = *[24u8, 47, 68, 71, 73, 76, 98, 99, 107, 174]
            .choose(&mut self.rng)
            .expect("prefixes");
        IpAddr::V4(Ipv4Addr::new(
            a,
            self.rng.gen(),
            self.rng.gen(),
            self.rng.gen_range(1..255),
        ))
    }

    /// Ordinary visitors: a page or a few with assets; one in five looks a
    /// voter (themselves) up once or twice.
    fn visitors(&mut self) {
        let start = self.ctx.day_ms(0);
        let end = self.ctx.day_ms(self.ctx.days);
        let sessions = (u64::from(self.ctx.rate) * u64::from(self.ctx.days) / 6).max(1);
        for _ in 0..sessions {
            let ip = self.visitor_ip();
            let ua = *BROWSERS.choose(&mut self.rng).expect("browsers");
            let referer = *ENTRY_REFERERS.choose(&mut self.rng).expect("referers");
            let mut t = self.rng.gen_range(start..end);
            self.push(t, ip, "GET", Cow::Borrowed("/"), 200, ua, referer, NO_TAG);
            for a in ASSETS {
                t += self.rng.gen_range(50..400);
                self.push(t, ip, "GET", Cow::Borrowed(a), 200, ua, "", NO_TAG);
            }
            for _ in 0..self.rng.gen_range(0..4) {
                t += self.rng.gen_range(5_000..90_000);
                let p = *PAGES.choose(&mut self.rng).expect("pages");
                self.push(t, ip, "GET", Cow::Borrowed(p), 200, ua, "", NO_TAG);
            }
            if self.rng.gen_ratio(1, 5) {
                for _ in 0..self.rng.gen_range(1..3) {
                    t += self.rng.gen_range(10_000..60_000);
                    let id = self.rng.gen_range(1_000_000..9_000_000);
                    let status = if self.rng.gen_ratio(1, 6) { 404 } else { 200 };
                    let q = Cow::Owned(format!("/voter/lookup?id={id}"));
                    self.push(t, ip, "GET", q, status, ua, "", NO_TAG);
                }
            }
        }
    }

    /// Googlebot fetching public PDFs (results by precinct) and pages,
    /// a few dozen a day, 2xx, from two addresses.
    fn crawler(&mut self) {
        for i in 0..2u8 {
            let ip = IpAddr::V4(Ipv4Addr::new(66, 249, 66, 10 + i));
            let tag = self.tag("googlebot", "crawler", ip);
            for d in 0..self.ctx.days {
                let mut t = self.ctx.day_ms(d) + self.rng.gen_range(0..20 * HOUR);
                for _ in 0..self.rng.gen_range(20..40) {
                    let n = self.rng.gen_range(1..600);
                    let p = if self.rng.gen_ratio(3, 4) {
                        Cow::Owned(format!("/files/results/precinct-{n:04}.pdf"))
                    } else {
                        Cow::Borrowed(*PAGES.choose(&mut self.rng).expect("pages"))
                    };
                    self.push(t, ip, "GET", p, 200, GOOGLEBOT, "", tag);
                    t += self.rng.gen_range(15_000..120_000);
                }
            }
        }
    }

    /// A news organisation's client polling the results feed every 30 s,
    /// eight hours a day from day 1 (Pennsylvania).
    fn results_feed(&mut self) {
        let ip = IpAddr::V4(FEED_IP);
        let tag = self.tag("newsroom", "results_feed", ip);
        for d in 1..self.ctx.days {
            let mut t = self.ctx.day_ms(d) + 23 * HOUR + self.rng.gen_range(0..MINUTE);
            let stop = t + 8 * HOUR;
            while t < stop {
                let p = Cow::Borrowed("/api/results/feed.json");
                self.push(t, ip, "GET", p, 200, FEED_UA, "", tag);
                t += 30_000 + self.rng.gen_range(0..500);
            }
        }
    }

    /// A journalist downloading every county's results file and a few
    /// precinct PDFs once, a few seconds apart (Pennsylvania, day 1).
    fn journalist(&mut self) {
        let ip = IpAddr::V4(JOURNALIST_IP);
        let tag = self.tag("journalist", "download_once", ip);
        let ua = BROWSERS[4];
        let mut t = self.ctx.day_ms(1) + 15 * HOUR + self.rng.gen_range(0..HOUR);
        self.push(t, ip, "GET", Cow::Borrowed("/results"), 200, ua, "", tag);
        for c in COUNTIES {
            t += self.rng.gen_range(2_000..6_000);
            let p = Cow::Owned(format!("/files/results/county-{c}.csv"));
            self.push(t, ip, "GET", p, 200, ua, "/results", tag);
        }
        for n in 1..=12 {
            t += self.rng.gen_range(2_000..6_000);
            let p = Cow::Owned(format!("/files/results/precinct-{n:04}.pdf"));
            self.push(t, ip, "GET", p, 200, ua, "/results", tag);
        }
    }

    /// An uptime monitor: `HEAD /` every five minutes.
    fn monitor(&mut self) {
        let ip = IpAddr::V4(Ipv4Addr::new(216, 144, 250, 150 + self.site as u8));
        let tag = self.tag("uptimerobot", "monitor", ip);
        let end = self.ctx.day_ms(self.ctx.days);
        let mut t = self.ctx.day_ms(0) + self.rng.gen_range(0..5 * MINUTE);
        while t < end {
            self.push(t, ip, "HEAD", Cow::Borrowed("/"), 200, UPTIMEROBOT, "", tag);
            t += 5 * MINUTE;
        }
    }

    /// The office's editor on working days: the admin pages, saves, and a
    /// news page written with `PUT`, from the allow-listed office network.
    fn editor(&mut self) {
        let ip: IpAddr = SITES[self.site]
            .editor_ip
            .parse()
            .expect("valid literal address");
        let tag = self.tag("office", "editor", ip);
        let ua = BROWSERS[0];
        for d in 0..self.ctx.days {
            if d % 7 >= 5 {
                continue;
            }
            let mut t = self.ctx.day_ms(d) + 13 * HOUR + self.rng.gen_range(0..6 * HOUR);
            self.push(t, ip, "GET", Cow::Borrowed("/admin/"), 200, ua, "", tag);
            for _ in 0..self.rng.gen_range(1..4) {
                t += self.rng.gen_range(MINUTE..10 * MINUTE);
                let p = Cow::Borrowed("/admin/pages/save");
                self.push(t, ip, "POST", p, 200, ua, "/admin/", tag);
            }
            t += self.rng.gen_range(MINUTE..5 * MINUTE);
            let p = Cow::Owned(format!("/news/2026-09-{:02}-update.html", d + 1));
            self.push(t, ip, "PUT", p, 201, ua, "", tag);
        }
    }
}

/// One site's benign traffic over the period.
pub(super) fn site_traffic(
    ctx: Ctx,
    site: usize,
    defaced: Defaced,
    labels: &mut Labels,
) -> Vec<Req> {
    let mut g = Gen {
        ctx,
        site,
        rng: ctx.rng(site as u64),
        labels,
        defaced,
        out: Vec::new(),
    };
    g.visitors();
    g.crawler();
    g.monitor();
    g.editor();
    if site == PA {
        g.results_feed();
        g.journalist();
    }
    if site == WI {
        // The journalist also fetches Wisconsin's files (another day).
        let mut t = ctx.day_ms(3) + 14 * HOUR;
        let ip = IpAddr::V4(JOURNALIST_IP);
        let tag = g.tag("journalist", "download_once", ip);
        for c in COUNTIES.iter().take(20) {
            t += 3_000;
            let p = Cow::Owned(format!("/files/results/county-{c}.csv"));
            g.push(t, ip, "GET", p, 200, BROWSERS[4], "/results", tag);
        }
    }
    g.out
}
