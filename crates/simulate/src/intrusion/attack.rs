//! actor-i's intrusion, stage by stage (see the module docs of
//! [`super`]). Each activity is labelled with the detector expected to find
//! it and the stage it reaches on its site.

use super::{Ctx, Defaced, MI, NV, PA, SITES, WI};
use crate::election::catalog;
use crate::label::{LabelKind, LabelSpec, Labels, Outcome, Tag};
use crate::write::addr;
use crate::write::Req;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::borrow::Cow;
use std::net::IpAddr;

const ACTOR: &str = "actor-i";
/// The scanner's address.
pub(super) const SCANNER: &str = "198.51.100.140";
/// The exploitation, webshell and harvest address (same /24).
pub(super) const OPERATOR: &str = "198.51.100.141";
/// The defacement address (same /24).
pub(super) const DEFACER: &str = "198.51.100.142";

/// Acunetix sends a browser user agent; its tokens are in paths and
/// parameters (see `crates/detect/data/scanners.toml`).
const UA_SCANNER: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36";
const UA_OPERATOR: &str = "python-requests/2.28.1";
const UA_DEFACER: &str = "curl/7.88.1";

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;

/// Acunetix's marker requests: a file that must not exist, and its
/// `wvstest` and `acunetix_wvs_security_test` probe values.
const ACUNETIX: &[&str] = &[
    "/acunetix-wvs-test-for-some-inexistent-file",
    "/index.php?id=acunetix_wvs_security_test",
    "/search?q=election&wvstest=1",
    "/voter/lookup?id=acunetix_wvs_security_test",
    "/contact?email=sample%40email.tst&name=acunetix_wvs_security_test",
];

/// Words of wordlist paths that `web.exploit` reads as webshell or
/// installer hunting, left out of the discovery scan.
const SCRIPTY: &[&str] = &[
    "shell", "upload", "/tmp/", "install", "setup", ".asp", ".jsp", "cmd", ".php", "eval",
    "backdoor",
];

/// The F5 BIG-IP TMUI traversal (CVE-2020-5902), as in AA20-304A.
const F5: &[&str] = &[
    "/tmui/login.jsp/..;/tmui/locallb/workspace/fileRead.jsp?fileName=/etc/passwd",
    "/tmui/login.jsp/..;/tmui/locallb/workspace/fileRead.jsp?fileName=/config/bigip.license",
    "/tmui/login.jsp/..;/tmui/locallb/workspace/tmshCmd.jsp?command=list+auth+user+admin",
];

/// The Telerik dialog handler (CVE-2017-9248) and upload handler
/// (CVE-2019-18935).
const DIALOG: &str = "/Telerik.Web.UI.DialogHandler.aspx";
const RAU: &str = "/Telerik.Web.UI.WebResource.axd?type=rau";
/// The webshell the upload placed.
const SHELL: &str = "/Content/images/logo_s.aspx";

struct Plan<'a> {
    ctx: Ctx,
    rng: ChaCha8Rng,
    labels: &'a mut Labels,
    out: Vec<Req>,
}

impl Plan<'_> {
    /// A label for `role` on `site`, expected from `detector`, reaching `stage`.
    fn tag(
        &mut self,
        ip: IpAddr,
        site: usize,
        (role, detector, technique): (&'static str, &'static str, &'static str),
        stage: &'static str,
    ) -> Tag {
        let t = self.labels.tag(LabelSpec {
            kind: LabelKind::Attack,
            actor: ACTOR,
            role,
            ip,
            site: SITES[site].host,
            detector: Some(detector),
            technique: Some(technique),
            prefix: None,
        });
        self.labels.annotate(
            t,
            Outcome {
                stage: Some(stage),
                ..Outcome::default()
            },
        );
        t
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        ms: i64,
        ip: IpAddr,
        method: &'static str,
        target: Cow<'static, str>,
        (status, bytes): (u16, u32),
        ua: &'static str,
        site: usize,
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
            referer: Cow::Borrowed(""),
            site: site as u8,
            tag,
        });
    }

    fn not_found(&mut self) -> u32 {
        196 + self.rng.gen_range(0..40)
    }

    /// The scanner on every site, ninety minutes apart: 150 wordlist paths
    /// (404) and a few pages, with Acunetix's markers among them.
    fn scan(&mut self) {
        let ip = addr(SCANNER);
        let day = self.ctx.day_ms(1);
        for (k, site) in [PA, WI, MI, NV].into_iter().enumerate() {
            let scan = self.tag(
                ip,
                site,
                ("scan", "web.scan", "T1595.002"),
                "reconnaissance",
            );
            let tool = self.tag(
                ip,
                site,
                ("scanner_tool", "web.scanner_ua", "T1595.002"),
                "reconnaissance",
            );
            let mut t = day + HOUR + k as i64 * 90 * MINUTE + self.rng.gen_range(0..MINUTE);
            // Discovery only: the wordlist without script and upload names
            // (webshell hunting is an exploitation attempt of its own).
            let mut missing: Vec<String> = catalog::scan_paths()
                .into_iter()
                .filter(|p| !SCRIPTY.iter().any(|w| p.contains(w)))
                .collect();
            missing.shuffle(&mut self.rng);
            let mut reqs: Vec<(Cow<'static, str>, u16, Tag)> = missing
                .into_iter()
                .take(150)
                .map(|p| (Cow::Owned(p), 404, scan))
                .collect();
            for p in ["/", "/voter/registration", "/results", "/polling-places"] {
                reqs.push((Cow::Borrowed(p), 200, scan));
            }
            reqs.shuffle(&mut self.rng);
            for (j, p) in ACUNETIX.iter().enumerate() {
                let status = if j == 0 { 404 } else { 200 };
                reqs.insert(j * 30, (Cow::Borrowed(p), status, tool));
            }
            for (p, status, tag) in reqs {
                let bytes = if status == 404 {
                    self.not_found()
                } else {
                    self.rng.gen_range(9_000..24_000)
                };
                self.push(t, ip, "GET", p, (status, bytes), UA_SCANNER, site, tag);
                t += self.rng.gen_range(600..2_400);
            }
        }
    }

    /// Exploits against Pennsylvania (where Telerik answers) and Nevada
    /// (where nothing does): F5 traversal, the Telerik dialog handler's
    /// key oracle, then the upload handler.
    fn exploit(&mut self) {
        let ip = addr(OPERATOR);
        let day = self.ctx.day_ms(1);
        for (site, at) in [(PA, 8 * HOUR), (NV, 9 * HOUR)] {
            let tag = self.tag(
                ip,
                site,
                ("exploit", "web.exploit", "T1190"),
                "exploitation_attempt",
            );
            let mut t = day + at + self.rng.gen_range(0..10 * MINUTE);
            for p in F5 {
                let b = self.not_found();
                self.push(
                    t,
                    ip,
                    "GET",
                    Cow::Borrowed(p),
                    (404, b),
                    UA_OPERATOR,
                    site,
                    tag,
                );
                t += self.rng.gen_range(2_000..5_000);
            }
            // The dialog handler's encryption-key oracle: many `dp` values.
            let tries = 40;
            for i in 0..tries {
                let dp = format!("{DIALOG}?dp={:016x}", self.rng.gen::<u64>());
                let last = i == tries - 1;
                let (status, bytes, tag) = match (site, last) {
                    // The key found: the dialog itself, a real page.
                    (PA, true) => {
                        let won = self.tag(
                            ip,
                            site,
                            ("exploit_success", "web.exploit_success", "T1190"),
                            "exploitation_success",
                        );
                        (200, self.rng.gen_range(17_500..19_500), won)
                    }
                    (PA, false) => (500, 1_180 + self.rng.gen_range(0..60), tag),
                    _ => (404, self.not_found(), tag),
                };
                self.push(
                    t,
                    ip,
                    "GET",
                    Cow::Owned(dp),
                    (status, bytes),
                    UA_OPERATOR,
                    site,
                    tag,
                );
                t += self.rng.gen_range(700..1_600);
            }
            t += self.rng.gen_range(MINUTE..3 * MINUTE);
            let (status, bytes) = if site == PA {
                (200, 320 + self.rng.gen_range(0..40))
            } else {
                (404, self.not_found())
            };
            self.push(
                t,
                ip,
                "POST",
                Cow::Borrowed(RAU),
                (status, bytes),
                UA_OPERATOR,
                site,
                tag,
            );
            if site == PA {
                let at = t + self.rng.gen_range(2 * MINUTE..5 * MINUTE);
                self.webshell(at);
            }
        }
    }

    /// The uploaded webshell: a first GET, then commands by POST, all 200.
    fn webshell(&mut self, mut t: i64) {
        let ip = addr(OPERATOR);
        let tag = self.tag(
            ip,
            PA,
            ("webshell", "web.exploit_success", "T1505.003"),
            "exploitation_success",
        );
        self.push(
            t,
            ip,
            "GET",
            Cow::Borrowed(SHELL),
            (200, 48),
            UA_OPERATOR,
            PA,
            tag,
        );
        for _ in 0..24 {
            t += self.rng.gen_range(20_000..90_000);
            let b = self.rng.gen_range(90..4_200);
            self.push(
                t,
                ip,
                "POST",
                Cow::Borrowed(SHELL),
                (200, b),
                UA_OPERATOR,
                PA,
                tag,
            );
        }
    }

    /// The scripted iteration through the voter lookup: sequential ids,
    /// one every two to four seconds; a few ids do not exist (404).
    fn harvest(&mut self) {
        let ip = addr(OPERATOR);
        let tag = self.tag(ip, PA, ("harvest", "web.harvest", "T1213"), "collection");
        let n: u64 = self.rng.gen_range(1_200..1_600);
        let first: u64 = 4_100_000 + self.rng.gen_range(0..50_000);
        let mut t = self.ctx.day_ms(1) + 10 * HOUR + self.rng.gen_range(0..10 * MINUTE);
        let mut records = 0;
        for id in first..first + n {
            let (status, bytes) = if self.rng.gen_ratio(1, 50) {
                (404, self.not_found())
            } else {
                records += 1;
                (200, self.rng.gen_range(1_900..2_300))
            };
            let target = Cow::Owned(format!("/voter/lookup?id={id}"));
            self.push(t, ip, "GET", target, (status, bytes), UA_OPERATOR, PA, tag);
            t += self.rng.gen_range(2_000..4_000);
        }
        self.labels.annotate(
            tag,
            Outcome {
                stage: Some("collection"),
                records: Some(records),
                count_bytes: true,
            },
        );
    }

    /// Wisconsin's home page replaced by `PUT`, with an image; the page
    /// then answers the defaced size.
    fn deface(&mut self) -> Defaced {
        let ip = addr(DEFACER);
        let tag = self.tag(
            ip,
            WI,
            ("defacement", "web.defacement", "T1491.002"),
            "defacement",
        );
        let mut t = self.ctx.day_ms(2) + 3 * HOUR + self.rng.gen_range(0..30 * MINUTE);
        let bytes = 2_417;
        // A scripted write straight away: the stage begins with the first
        // write answered 2xx, which is what the label's first time says.
        for p in ["/index.html", "/images/banner.jpg"] {
            self.push(
                t,
                ip,
                "PUT",
                Cow::Borrowed(p),
                (201, 0),
                UA_DEFACER,
                WI,
                tag,
            );
            t += self.rng.gen_range(3_000..9_000);
        }
        self.push(
            t,
            ip,
            "GET",
            Cow::Borrowed("/"),
            (200, bytes),
            UA_DEFACER,
            WI,
            tag,
        );
        Defaced {
            site: WI,
            at: t,
            bytes,
        }
    }
}

/// Every attack request, labelled, and when and how the defacement changed
/// the home page.
pub(super) fn plan(ctx: Ctx, labels: &mut Labels) -> (Vec<Req>, Defaced) {
    let mut p = Plan {
        ctx,
        rng: ctx.rng(100),
        labels,
        out: Vec::new(),
    };
    p.scan();
    p.exploit();
    p.harvest();
    let defaced = p.deface();
    debug_assert!(p
        .out
        .iter()
        .all(|r| usize::from(r.site) != MI || r.ip == addr(SCANNER)));
    (p.out, defaced)
}
