//! `web.defacement`: writes to a site's content and public pages whose size
//! changed and stayed changed, read from access logs alone.
//!
//! **What it detects.** Two signals (`details.signal`):
//!
//! - `content_write`: a successful write (answered 2xx) to content by a
//!   source outside `editors`: PUT, PATCH or DELETE of a page or static file
//!   (`.html`, `.htm`, images, styles, scripts, documents, the site root),
//!   or any write method to a CMS content endpoint (WordPress REST posts,
//!   pages, media, the theme and plugin editors; Drupal node edits; Joomla
//!   content; Ghost admin posts; Umbraco content saves; plus
//!   `content_paths`). One alert per (source, site) episode, severity high.
//! - `size_change`: a public page (GET answered 2xx with a body; not a
//!   static asset) whose answers had one size for ≥ `min_baseline` answers
//!   (within 10 %, at least 64 bytes) changes sharply (by ≥
//!   `min_change_ratio` of it and ≥ `min_change_bytes`) and keeps the new
//!   size for the next `confirm_answers` answers. Not when an editor wrote to
//!   the site within `window_secs` before the change (an edit). The alert's
//!   source is the last outside writer to the site within `window_secs`
//!   (severity critical), else none (severity high). Page sizes live in a
//!   direct-mapped table of `max_pages` slots; moderate drifts that stay
//!   (a news page growing) move the usual size without an alert.
//!
//! **Why it matters.** The group behind the 2020 election-site intrusions
//! has a history of defacements; a changed public page on an election site
//! is the incident itself.
//!
//! **ATT&CK.** T1491.002 External Defacement.

use super::super::episode::{bounded, EvidenceBuf, Key, Recycle, Slot, Tracker};
use super::super::fxhash::FxBuild;
use super::super::method::method_is;
use super::super::request::Req;
use super::super::scan::secs_ms;
use super::super::{Cidr, WebRule};
use super::{cidrs, extension, mix, near, DefacementConfig, Table};
use haboob_model::{content_id, Alert, AlertSource, Origin, Severity, Ts, WebEvent};
use std::collections::HashMap;
use std::net::IpAddr;

const ID: &str = "web.defacement";
const TECHNIQUES: &[&str] = &["T1491.002"];
/// Pending (unconfirmed) size changes and per-site write times kept.
const MAX_PENDING: usize = 1024;
const MAX_SITES: usize = 4096;

/// CMS content endpoints (substrings of the decoded, lower-case target).
const CMS: &[&str] = &[
    "/wp-json/wp/v2/posts",
    "/wp-json/wp/v2/pages",
    "/wp-json/wp/v2/media",
    "/wp-admin/theme-editor.php",
    "/wp-admin/plugin-editor.php",
    "/wp-admin/post.php",
    "/node/add",
    "/administrator/index.php?option=com_content",
    "/ghost/api/admin/posts",
    "/ghost/api/admin/pages",
    "/umbraco/backoffice/umbracoapi/content/postsave",
];

/// Extensions of pages and static content.
const CONTENT_EXTENSIONS: &[&[u8]] = &[
    b"html", b"htm", b"shtml", b"xhtml", b"css", b"js", b"png", b"jpg", b"jpeg", b"gif", b"svg",
    b"webp", b"ico", b"pdf", b"txt",
];

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct WriteState {
    /// Methods seen (bit 0 PUT, 1 POST, 2 PATCH, 3 DELETE).
    methods: u8,
}

impl Recycle for WriteState {}

/// Size history of one page.
#[derive(Debug, Default, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Page {
    base: u64,
    base_n: u32,
    /// A sharp change being confirmed: its size and answers so far.
    cand: u64,
    cand_n: u32,
    /// A moderate drift being followed.
    drift: u64,
    drift_n: u32,
}

/// A sharp change waiting for confirmation: its lines.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Pending {
    first: Ts,
    last: Ts,
    old: u64,
    path: String,
    evidence: EvidenceBuf,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Stream {
    pages: Table<Page>,
    pending: HashMap<u64, Pending, FxBuild>,
    /// Per site: last editor write.
    edits: HashMap<u64, Ts, FxBuild>,
    /// Per site: last outside content write (source, time).
    writers: HashMap<u64, (IpAddr, Ts), FxBuild>,
    t: Tracker<WriteState>,
}

/// The `web.defacement` detector.
#[derive(Debug)]
pub(crate) struct WebDefacement {
    editors: Vec<Cidr>,
    extra: Vec<String>,
    window_ms: i64,
    ratio: f64,
    min_bytes: u64,
    min_baseline: u32,
    confirm: u32,
    max_evidence: usize,
    s: Stream,
}

impl WebDefacement {
    pub fn new(c: &DefacementConfig, max_evidence: usize, max_sources: usize) -> Self {
        WebDefacement {
            editors: cidrs(&c.editors, "defacement.editors"),
            extra: c
                .content_paths
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| p.to_ascii_lowercase())
                .collect(),
            window_ms: secs_ms(c.window_secs),
            ratio: c.min_change_ratio.max(0.0),
            min_bytes: c.min_change_bytes,
            min_baseline: c.min_baseline.max(1),
            confirm: c.confirm_answers.max(1),
            max_evidence,
            s: Stream {
                pages: Table::new(c.max_pages),
                pending: HashMap::with_hasher(FxBuild),
                edits: HashMap::with_hasher(FxBuild),
                writers: HashMap::with_hasher(FxBuild),
                t: Tracker::new(c.window_secs, max_sources),
            },
        }
    }

    /// A write to content: its method bit, or `None`.
    fn content_write(&self, w: &WebEvent<'_>, req: &Req) -> Option<u8> {
        let m = w.method;
        let bit = if method_is(m, b"put") {
            0
        } else if method_is(m, b"post") {
            1
        } else if method_is(m, b"patch") {
            2
        } else if method_is(m, b"delete") {
            3
        } else {
            return None;
        };
        let target = &req.once;
        let has = |c: &str| memchr::memmem::find(target, c.as_bytes()).is_some();
        let cms = CMS.iter().any(|c| has(c))
            || self.extra.iter().any(|c| has(c))
            || drupal_edit(req.path());
        if cms {
            return Some(bit);
        }
        let path = req.path();
        let page = path == b"/" || CONTENT_EXTENSIONS.contains(&extension(path));
        (page && bit != 1).then_some(bit)
    }

    fn editor(&self, ip: IpAddr) -> bool {
        self.editors.iter().any(|c| c.contains(ip))
    }
}

/// `/node/<n>/edit` (Drupal).
fn drupal_edit(path: &[u8]) -> bool {
    path.starts_with(b"/node/") && path.ends_with(b"/edit")
}

fn tol(size: u64) -> u64 {
    (size / 10).max(64)
}

fn emit(s: Slot<WriteState>, out: &mut Vec<Alert>) {
    if !s.ep.fired {
        return;
    }
    let mut d = haboob_model::Details::new();
    d.insert("signal".into(), "content_write".into());
    let methods: Vec<&str> = ["PUT", "POST", "PATCH", "DELETE"]
        .iter()
        .enumerate()
        .filter(|(i, _)| s.st.methods & (1 << i) != 0)
        .map(|(_, m)| *m)
        .collect();
    d.insert("methods".into(), methods.into());
    let title = format!(
        "Content written ({}) by a non-editor: {}",
        s.ep.title_samples(),
        s.ep.who_where()
    );
    out.push(s.ep.alert(ID, title, TECHNIQUES, d, &[]));
}

impl WebRule for WebDefacement {
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
        self.s.t.maintain(w.ts, &mut |s| emit(s, out));
        let ok = w.status_class() == 2;
        if !ok {
            return;
        }
        if method_is(w.method, b"get") {
            if w.bytes > 0 && !req.is_static {
                self.page(w, req, o, out);
            }
            return;
        }
        self.write(w, req, o, out);
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        self.s.t.drain(&mut |s| emit(s, out));
    }
}

impl WebDefacement {
    /// A request other than GET answered 2xx: a write to content?
    #[inline(never)]
    fn write(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        let Some(bit) = self.content_write(w, req) else {
            return;
        };
        let site = req.site_hash;
        if self.editor(w.source_ip) {
            if self.s.edits.len() >= MAX_SITES {
                self.s.edits.clear();
            }
            self.s.edits.insert(site, w.ts);
            return;
        }
        if self.s.writers.len() >= MAX_SITES {
            self.s.writers.clear();
        }
        self.s.writers.insert(site, (w.source_ip, w.ts));
        let key: Key = (w.source_ip, site);
        let slot = self
            .s
            .t
            .entry(key, w.source_ip, w.site, w.ts, &mut |s| emit(s, out));
        let text = req.path_lossy();
        if !slot.ep.samples.iter().any(|s| *s == text) {
            slot.ep.sample(&text);
        }
        slot.ep.hit(w.ts, o, self.max_evidence);
        slot.st.methods |= 1 << bit;
        slot.ep.fired = true;
        slot.ep.severity = Severity::High;
    }

    /// A page answer: follow its size.
    #[inline(never)]
    fn page(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        let key = mix(req.site_hash, req.path_hash);
        let size = w.bytes;
        let (pg, fresh) = self.s.pages.slot(key);
        if fresh || pg.base_n == 0 {
            *pg = Page {
                base: size,
                base_n: 1,
                ..Page::default()
            };
            return;
        }
        if near(size, pg.base, tol(pg.base)) {
            pg.base_n = pg.base_n.saturating_add(1);
            pg.drift_n = 0;
            if pg.cand_n > 0 {
                // Back to the usual size: a passing error, not a change.
                pg.cand_n = 0;
                self.passing(key);
            }
            return;
        }
        self.change(key, w, req, o, out);
    }

    /// A page back to its usual size: its pending change is dropped.
    #[cold]
    #[inline(never)]
    fn passing(&mut self, key: u64) {
        self.s.pending.remove(&key);
    }

    /// A page answer unlike the page's usual size (the page, by its key,
    /// is in the table): a drift, a change to confirm, or a confirmed one.
    #[inline(never)]
    fn change(
        &mut self,
        key: u64,
        w: &WebEvent<'_>,
        req: &Req,
        o: &Origin<'_>,
        out: &mut Vec<Alert>,
    ) {
        let size = w.bytes;
        let (pg, _) = self.s.pages.slot(key);
        let diff = size.abs_diff(pg.base);
        let sharp = diff >= self.min_bytes && diff as f64 >= self.ratio * pg.base as f64;
        if !sharp || pg.base_n < self.min_baseline {
            if pg.base_n < self.min_baseline {
                // Not settled yet: start over at this size.
                *pg = Page {
                    base: size,
                    base_n: 1,
                    ..Page::default()
                };
                return;
            }
            if pg.drift_n > 0 && near(size, pg.drift, tol(pg.drift)) {
                pg.drift_n += 1;
                if pg.drift_n > self.confirm {
                    *pg = Page {
                        base: pg.drift,
                        base_n: pg.drift_n,
                        ..Page::default()
                    };
                }
            } else {
                pg.drift = size;
                pg.drift_n = 1;
            }
            return;
        }
        // A sharp change on a settled page.
        let old = pg.base;
        let restart = !(pg.cand_n > 0 && near(size, pg.cand, tol(pg.cand)));
        if restart {
            pg.cand = size;
            pg.cand_n = 1;
        } else {
            pg.cand_n += 1;
        }
        let (cand, cand_n) = (pg.cand, pg.cand_n);
        let confirmed = cand_n > self.confirm;
        if confirmed {
            *pg = Page {
                base: cand,
                base_n: cand_n,
                ..Page::default()
            };
        }
        let pending = &mut self.s.pending;
        if restart || !pending.contains_key(&key) {
            if pending.len() >= MAX_PENDING {
                pending.clear();
            }
            pending.insert(
                key,
                Pending {
                    first: w.ts,
                    last: w.ts,
                    old,
                    path: bounded(&req.path_lossy()),
                    evidence: EvidenceBuf::default(),
                },
            );
        }
        let Some(p) = pending.get_mut(&key) else {
            return;
        };
        p.last = p.last.max(w.ts);
        if p.evidence.len() < self.max_evidence {
            p.evidence.push(o);
        }
        if !confirmed {
            return;
        }
        let Some(p) = pending.remove(&key) else {
            return;
        };
        let site = req.site_hash;
        let since = p.first.0.saturating_sub(self.window_ms);
        if self.s.edits.get(&site).is_some_and(|t| t.0 >= since) {
            return;
        }
        let writer = self
            .s
            .writers
            .get(&site)
            .filter(|(_, t)| t.0 >= since)
            .map(|(ip, _)| *ip);
        out.push(size_alert(w, p, cand, cand_n, writer));
    }
}

fn size_alert(
    w: &WebEvent<'_>,
    p: Pending,
    new: u64,
    answers: u32,
    writer: Option<IpAddr>,
) -> Alert {
    let site = bounded(w.site);
    let mut d = haboob_model::Details::new();
    d.insert("signal".into(), "size_change".into());
    d.insert("page".into(), p.path.clone().into());
    d.insert("old_bytes".into(), p.old.into());
    d.insert("new_bytes".into(), new.into());
    d.insert("answers".into(), u64::from(answers).into());
    let who = writer.map_or_else(String::new, |ip| ip.to_string());
    let title = format!(
        "Public page {} on {site} changed size ({} → {} bytes) and stayed changed{}",
        p.path,
        p.old,
        new,
        if who.is_empty() {
            String::new()
        } else {
            format!(" after a write by {who}")
        }
    );
    Alert {
        id: content_id("al", &[ID, &site, &p.path, &p.first.to_string()]),
        detector: ID.to_string(),
        title,
        techniques: TECHNIQUES.iter().map(|t| t.to_string()).collect(),
        severity: if writer.is_some() {
            Severity::Critical
        } else {
            Severity::High
        },
        source: AlertSource {
            ip: writer,
            prefix: None,
            members: Vec::new(),
        },
        target: site,
        user: None,
        first_seen: p.first,
        last_seen: p.last,
        count: u64::from(answers),
        details: d,
        evidence: p.evidence.to_vec(),
    }
}
