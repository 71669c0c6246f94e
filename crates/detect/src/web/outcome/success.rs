//! `web.exploit_success`: exploitation that worked.
//!
//! **What it detects.** Per probe, what the server answered and what
//! followed (the request classes and product endpoints are `web.exploit`'s,
//! computed once per request). Four signals, each its own alert per
//! (source, site) with its lines, severity critical, `details.signal`:
//!
//! - `probe_answered`: a traversal, wrapper, RFI, command, expression,
//!   SSRF, deserialisation, web-shell, Log4Shell-in-target or product
//!   exploit request answered 2xx with a body whose size is unlike the
//!   site's not-found answer for that path family (extension class) and
//!   unlike the path's usual answer. The not-found profile is learned per
//!   site from 404/410 answers and from 2xx answers to random-looking paths
//!   sent by scanning sources (a site that answers 200 to everything); a 2xx
//!   within `soft404_tolerance_bytes` of it is a near miss, and nothing is
//!   judged before the site gave `soft404_min_samples` not-found answers.
//! - `webshell`: a script path (`.php`, `.jsp`, `.aspx`, …) that answered
//!   404 before, or that the source reached after an upload (a 2xx POST/PUT
//!   to an upload path, a 2xx POST/PUT that `web.exploit` classifies — an
//!   exploited upload handler —, or a PUT of the script), first answers 2xx to that
//!   source and then answers its POSTs; dropped when any other source got a
//!   2xx from the path by the end of the episode (a form many visitors use).
//! - `admin_exposed`: a product admin or setup endpoint (from the
//!   `web.exploit` catalogue) answered 2xx with a body unlike the site's
//!   not-found answer, to a source outside `admin_sources` that is not a
//!   regular visitor (`regular_min_requests` ordinary 2xx over
//!   `regular_min_secs`, and no exploit probe).
//! - `growing_answers`: one request class (SQL injection, traversal,
//!   command or expression injection) on one path answered 2xx
//!   `growing_min_requests` times in a row with each answer larger than the
//!   one before, the last at least 1.5 × the first and 256 bytes more (data
//!   pulled out a piece at a time), on a path whose ordinary answers have
//!   one size (three in a row within the tolerance): on a page whose size
//!   varies by itself, growth means nothing.
//!
//! **Why it matters.** It turns "was probed" into "was breached": the fact
//! that decides a notification.
//!
//! **ATT&CK.** T1190 Exploit Public-Facing Application (T1505.003 Web Shell
//! for `webshell`).

use super::super::episode::{Key, Recycle, Slot, Tracker, MAX_SAMPLES};
use super::super::exploit::{Hits, ProductMeta};
use super::super::fxhash::FxBuild;
use super::super::lists::ExploitKind;
use super::super::method::method_is;
use super::super::request::Req;
use super::super::rules::ProductClass;
use super::super::scan::secs_ms;
use super::super::{Cidr, WebRule};
use super::profile::{family, hash_ip, is_script, random_looking, secs, Soft404};
use super::visitors::Visitors;
use super::{cidrs, mix, near, ExploitSuccessConfig, Table};
use haboob_model::{Alert, Origin, Severity, Ts, WebEvent};
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

#[path = "success_plain.rs"]
mod plain;

const ID: &str = "web.exploit_success";
/// Visitor and path-size table slots.
const VISITOR_SLOTS: usize = 1 << 15;
const PATH_SLOTS: usize = 1 << 15;
/// Recent uploads tracked.
const MAX_UPLOADS: usize = 4096;
/// Growing-answer sequences tracked per episode.
const MAX_GROW: usize = 16;

/// The signals, in `details.signal` spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Signal {
    ProbeAnswered,
    Webshell,
    AdminExposed,
    GrowingAnswers,
}

impl Signal {
    fn as_str(self) -> &'static str {
        match self {
            Signal::ProbeAnswered => "probe_answered",
            Signal::Webshell => "webshell",
            Signal::AdminExposed => "admin_exposed",
            Signal::GrowingAnswers => "growing_answers",
        }
    }

    /// Salt that makes one episode per (source, site, signal).
    fn salt(self) -> u64 {
        match self {
            Signal::ProbeAnswered => 0x0101,
            Signal::Webshell => 0x0202,
            Signal::AdminExposed => 0x0303,
            Signal::GrowingAnswers => 0x0404,
        }
    }
}

/// One growing-answer sequence: (class and path key, first size, last size,
/// answers, increases in a row).
type Grow = (u64, u64, u64, u32, u32);

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct SuccessState {
    signal: Option<Signal>,
    kinds: BTreeSet<ExploitKind>,
    products: BTreeSet<Arc<str>>,
    cves: BTreeSet<Arc<str>>,
    /// Largest 2xx answer of the episode's hits.
    max_bytes: u64,
    /// `webshell`: the script's table key.
    script: u64,
    grow: Vec<Grow>,
}

impl Recycle for SuccessState {}

/// What the stream showed of one script path.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
struct Script {
    missing: bool,
    /// First source it answered 2xx to, and when.
    first_ok: Option<(IpAddr, Ts)>,
    /// That answer came after a 404 or an upload by that source.
    placed: bool,
    /// Another source got a 2xx from it.
    others: bool,
    last: Ts,
}

#[derive(Debug, Clone)]
struct Params {
    tol: u64,
    min_samples: u32,
    regular_min: u32,
    regular_ms: i64,
    shell_ms: i64,
    grow_min: u32,
    max_sites: usize,
    max_scripts: usize,
    max_evidence: usize,
}

/// Per-site and per-path state, saved beside the episodes.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Stream {
    sites: HashMap<u64, Soft404, FxBuild>,
    visitors: Visitors,
    /// Last size of a path's ordinary 2xx answers, by (site, path), and
    /// how many answers in a row before it had that size.
    paths: Table<(u64, u32)>,
    scripts: HashMap<u64, Script, FxBuild>,
    uploads: HashMap<(IpAddr, u64), Ts, FxBuild>,
    t: Tracker<SuccessState>,
}

/// The `web.exploit_success` detector.
#[derive(Debug)]
pub(crate) struct WebExploitSuccess {
    p: Params,
    products: Arc<[ProductMeta]>,
    admins: Vec<Cidr>,
    s: Stream,
}

impl WebExploitSuccess {
    pub fn new(
        c: &ExploitSuccessConfig,
        products: Arc<[ProductMeta]>,
        max_evidence: usize,
        max_sources: usize,
    ) -> Self {
        WebExploitSuccess {
            p: Params {
                tol: c.soft404_tolerance_bytes,
                min_samples: c.soft404_min_samples.max(1),
                regular_min: c.regular_min_requests,
                regular_ms: secs_ms(c.regular_min_secs),
                shell_ms: secs_ms(c.webshell_window_secs),
                grow_min: c.growing_min_requests.max(2),
                max_sites: c.max_sites.max(1),
                max_scripts: c.max_scripts.max(16),
                max_evidence,
            },
            products,
            admins: cidrs(&c.admin_sources, "exploit_success.admin_sources"),
            s: Stream {
                sites: HashMap::with_hasher(FxBuild),
                visitors: Visitors::new(VISITOR_SLOTS),
                paths: Table::new(PATH_SLOTS),
                scripts: HashMap::with_hasher(FxBuild),
                uploads: HashMap::with_hasher(FxBuild),
                t: Tracker::new(c.window_secs, max_sources),
            },
        }
    }
}

/// Classes whose 2xx answer can be the loot itself.
fn answers_are_loot(k: ExploitKind) -> bool {
    matches!(
        k,
        ExploitKind::Traversal
            | ExploitKind::PhpWrapper
            | ExploitKind::Rfi
            | ExploitKind::CommandInjection
            | ExploitKind::ExpressionInjection
            | ExploitKind::Ssrf
            | ExploitKind::Deserialization
            | ExploitKind::Backdoor
            | ExploitKind::Log4Shell
            | ExploitKind::Custom
    )
}

/// Classes whose repeated answers can grow as data is pulled out.
fn grows(k: ExploitKind) -> bool {
    matches!(
        k,
        ExploitKind::Sqli
            | ExploitKind::Traversal
            | ExploitKind::CommandInjection
            | ExploitKind::ExpressionInjection
    )
}

fn emit(s: Slot<SuccessState>, scripts: &HashMap<u64, Script, FxBuild>, out: &mut Vec<Alert>) {
    if !s.ep.fired {
        return;
    }
    let Some(signal) = s.st.signal else { return };
    if signal == Signal::Webshell && scripts.get(&s.st.script).is_some_and(|sc| sc.others) {
        // Other sources use the script: a page of the site, not a shell.
        return;
    }
    let mut d = haboob_model::Details::new();
    d.insert("signal".into(), signal.as_str().into());
    let cats: Vec<&str> = s.st.kinds.iter().map(|k| k.as_str()).collect();
    if !cats.is_empty() {
        d.insert("categories".into(), cats.into());
    }
    if !s.st.products.is_empty() {
        let p: Vec<&str> = s.st.products.iter().map(|p| &**p).collect();
        d.insert("products".into(), p.into());
    }
    if !s.st.cves.is_empty() {
        let c: Vec<&str> = s.st.cves.iter().map(|c| &**c).collect();
        d.insert("cves".into(), c.into());
    }
    d.insert("max_bytes".into(), s.st.max_bytes.into());
    if let Some(g) = s.st.grow.iter().find(|g| g.4 > 0) {
        d.insert("first_bytes".into(), g.1.into());
    }
    let techniques: &[&str] = if signal == Signal::Webshell {
        &["T1190", "T1505.003"]
    } else {
        &["T1190"]
    };
    let what = match signal {
        Signal::ProbeAnswered => "exploit probe answered with content",
        Signal::Webshell => "web shell placed and used",
        Signal::AdminExposed => "admin or setup endpoint answered",
        Signal::GrowingAnswers => "injection answers growing",
    };
    let title = format!(
        "Exploitation succeeded: {what} ({}) for {}",
        s.ep.title_samples(),
        s.ep.who_where()
    );
    out.push(s.ep.alert(ID, title, techniques, d, &[]));
}

impl Stream {
    /// The episode of (source, site, signal), with the hit recorded.
    #[allow(clippy::too_many_arguments)]
    fn hit(
        &mut self,
        sig: Signal,
        w: &WebEvent<'_>,
        req: &Req,
        o: &Origin<'_>,
        max_evidence: usize,
        out: &mut Vec<Alert>,
    ) -> &mut Slot<SuccessState> {
        let key: Key = (w.source_ip, req.site_hash ^ sig.salt());
        let scripts = &self.scripts;
        let slot = self.t.entry(key, w.source_ip, w.site, w.ts, &mut |s| {
            emit(s, scripts, out)
        });
        slot.st.signal = Some(sig);
        let text = req.path_lossy();
        if slot.ep.samples.len() < MAX_SAMPLES && !slot.ep.samples.iter().any(|s| *s == text) {
            slot.ep.sample(&text);
        }
        slot.ep.hit(w.ts, o, max_evidence);
        slot
    }

    fn fire(
        slot: &mut Slot<SuccessState>,
        w: &WebEvent<'_>,
        hits: &Hits,
        products: &[ProductMeta],
    ) {
        slot.ep.fired = true;
        slot.ep.severity = Severity::Critical;
        slot.st.max_bytes = slot.st.max_bytes.max(w.bytes);
        if slot.st.kinds.len() < 16 {
            slot.st.kinds.extend(hits.kinds.iter());
        }
        for i in &hits.products {
            let (p, _, cve) = &products[*i];
            if slot.st.products.len() < 16 {
                slot.st.products.insert(p.clone());
            }
            if let Some(c) = cve {
                if slot.st.cves.len() < 16 {
                    slot.st.cves.insert(c.clone());
                }
            }
        }
    }

    fn site(&mut self, site: u64, max: usize) -> &mut Soft404 {
        if self.sites.len() >= max && !self.sites.contains_key(&site) {
            if let Some(old) = self
                .sites
                .iter()
                .min_by_key(|(_, s)| s.last)
                .map(|(k, _)| *k)
            {
                self.sites.remove(&old);
            }
        }
        self.sites.entry(site).or_default()
    }

    fn script(&mut self, key: u64, now: Ts, max: usize) -> &mut Script {
        if self.scripts.len() >= max && !self.scripts.contains_key(&key) {
            // Forget the older half (by last use).
            let mut lasts: Vec<Ts> = self.scripts.values().map(|s| s.last).collect();
            let mid = lasts.len() / 2;
            lasts.select_nth_unstable(mid);
            let cut = lasts[mid];
            self.scripts.retain(|_, s| s.last > cut);
        }
        let s = self.scripts.entry(key).or_default();
        s.last = s.last.max(now);
        s
    }
}

impl WebRule for WebExploitSuccess {
    fn id(&self) -> &'static str {
        ID
    }

    fn save(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of(ID, &self.s)
    }

    fn restore(&mut self, s: crate::DetectorState) -> Result<(), crate::StateError> {
        self.s = s.into(ID)?;
        Ok(())
    }

    #[inline(always)]
    fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        {
            let scripts = &self.s.scripts;
            self.s.t.maintain(w.ts, &mut |x| emit(x, scripts, out));
        }
        // Most requests: an asset served, or answered 304 or 3xx. Nothing
        // here is about them (what follows reads 2xx, 404 and 410 answers,
        // and probes); they cost this test alone.
        let ok = w.status_class() == 2;
        let not_found = w.status == 404 || w.status == 410;
        if !req.exploit.is_empty() {
            self.answer(w, req, o, out);
        } else if if ok { !req.is_static } else { not_found } {
            self.plain(w, req, o, out);
        }
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        let scripts = &self.s.scripts;
        self.s.t.drain(&mut |x| emit(x, scripts, out));
    }
}

impl WebExploitSuccess {
    /// A probe (a request some class matched), whatever the answer.
    #[inline(never)]
    fn answer(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        let p = &self.p;
        let s = &mut self.s;
        let hits = &req.exploit;
        let ok = w.status_class() == 2;
        let not_found = w.status == 404 || w.status == 410;
        let path = req.path();
        // What this source did on this site so far (before this request).
        let vkey = mix(req.site_hash, hash_ip(w.source_ip));
        let (v, fresh) = s.visitors.slot(vkey);
        if fresh {
            v.first_s = secs(w.ts);
        }
        let before = *v;
        if !hits.is_empty() {
            v.probes = true;
        } else if ok {
            v.ok = v.ok.saturating_add(1);
        } else if w.status == 404 {
            v.not_found = v.not_found.saturating_add(1);
        }
        // Not-found profile of the site.
        let scanner_random = ok
            && hits.is_empty()
            && (before.not_found >= 3 || before.probes)
            && random_looking(path);
        if not_found || scanner_random {
            s.site(req.site_hash, p.max_sites)
                .learn(family(path), w.bytes, p.tol, w.ts);
        }
        let pkey = mix(req.site_hash, req.path_hash);
        if ok && hits.is_empty() && !req.is_static && w.bytes > 0 {
            let u = s.paths.slot(pkey).0;
            if u.0 > 0 && near(u.0, w.bytes, p.tol) {
                u.1 = u.1.saturating_add(1);
            } else {
                *u = (w.bytes, 0);
            }
        }
        // Script paths, then uploads (an upload counts for later requests).
        if is_script(path) && (ok || w.status == 404) {
            self.script_path(w, req, o, out);
        }
        let s = &mut self.s;
        let p = &self.p;
        let write = method_is(w.method, b"post") || method_is(w.method, b"put");
        if ok && write && (!hits.is_empty() || memchr::memmem::find(path, b"upload").is_some()) {
            if s.uploads.len() >= MAX_UPLOADS {
                s.uploads.clear();
            }
            s.uploads.insert((w.source_ip, req.site_hash), w.ts);
        }
        if !ok || w.bytes == 0 || hits.is_empty() {
            return;
        }
        let fam = family(path);
        let judged = s
            .sites
            .get(&req.site_hash)
            .filter(|x| x.samples >= p.min_samples)
            .map(|x| !x.matches(fam, w.bytes, p.tol));
        let usual = s.paths.get(pkey).is_some_and(|u| near(u.0, w.bytes, p.tol));
        let unlike_missing = judged == Some(true) && !usual;
        let products = &self.products;
        let mut exploit = false;
        let mut admin = false;
        for i in &hits.products {
            match products[*i].1 {
                ProductClass::Exploit => exploit = true,
                ProductClass::Setup | ProductClass::Admin => admin = true,
            }
        }
        let loot = exploit || hits.kinds.iter().any(answers_are_loot);
        if loot && unlike_missing {
            let slot = s.hit(Signal::ProbeAnswered, w, req, o, p.max_evidence, out);
            Stream::fire(slot, w, hits, products);
        }
        if admin && unlike_missing {
            let regular = u32::from(before.ok) >= p.regular_min
                && !before.probes
                && w.ts.0.saturating_sub(before.first_ms()) >= p.regular_ms;
            let allowed = self.admins.iter().any(|c| c.contains(w.source_ip));
            if !regular && !allowed {
                let slot = s.hit(Signal::AdminExposed, w, req, o, p.max_evidence, out);
                Stream::fire(slot, w, hits, products);
            }
        }
        if let Some(k) = hits.kinds.iter().find(|k| grows(*k)) {
            // Only where the page's ordinary answers have one size (three
            // in a row): on a page whose size varies, growth means nothing.
            let steady = s.paths.get(pkey).is_some_and(|u| u.1 >= 2);
            if judged == Some(false) || !steady {
                return;
            }
            let gkey = mix(req.path_hash, k as u64);
            // A page that reflects the request grows with the payload: the
            // size counted is the answer less twice the target's length.
            let target = (w.path.len() + w.query.len()) as u64;
            let size = w.bytes.saturating_sub(2 * target);
            let slot = s.hit(Signal::GrowingAnswers, w, req, o, p.max_evidence, out);
            let g = match slot.st.grow.iter_mut().position(|g| g.0 == gkey) {
                Some(i) => &mut slot.st.grow[i],
                None => {
                    if slot.st.grow.len() >= MAX_GROW {
                        return;
                    }
                    slot.st.grow.push((gkey, size, size, 1, 0));
                    return;
                }
            };
            if size > g.2 {
                g.4 += 1;
            } else {
                // Not growing: this answer starts a new run.
                *g = (gkey, size, size, 1, 0);
                return;
            }
            g.2 = size;
            g.3 += 1;
            let (first, last, n) = (g.1, g.2, g.3);
            if n >= p.grow_min && last >= first + (first / 2).max(256) {
                if !slot.ep.fired {
                    // Keep only the grown run's first answer as the start.
                    slot.st.grow.retain(|x| x.0 == gkey);
                }
                Stream::fire(slot, w, hits, products);
            }
        }
    }

    /// A request for a script path answered 404 or 2xx.
    fn script_path(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        let p = &self.p;
        let s = &mut self.s;
        let key = mix(req.site_hash, req.path_hash);
        let uploaded = s
            .uploads
            .get(&(w.source_ip, req.site_hash))
            .is_some_and(|t| w.ts.0.saturating_sub(t.0) <= p.shell_ms);
        let put = method_is(w.method, b"put");
        let sc = s.script(key, w.ts, p.max_scripts);
        if w.status == 404 {
            sc.missing = true;
            return;
        }
        let first = match sc.first_ok {
            None => {
                sc.first_ok = Some((w.source_ip, w.ts));
                sc.placed = sc.missing || uploaded || put;
                (w.source_ip, w.ts)
            }
            Some(f) => {
                if f.0 != w.source_ip {
                    sc.others = true;
                }
                f
            }
        };
        let shell = sc.placed
            && !sc.others
            && first.0 == w.source_ip
            && method_is(w.method, b"post")
            && w.ts.0.saturating_sub(first.1 .0) <= p.shell_ms;
        if shell {
            let slot = s.hit(Signal::Webshell, w, req, o, p.max_evidence, out);
            slot.st.script = key;
            Stream::fire(slot, w, &req.exploit, &self.products);
        }
    }
}
