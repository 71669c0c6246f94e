//! `web.sensitive`: sensitive file probing.
//!
//! **What it detects.** Requests for secrets, VCS metadata, backups and
//! config or status pages (`/.env`, `/.git/config`, `wp-config.php.bak`,
//! `dump.sql`, `wallet.dat`, `server-status`, …; data in
//! `crates/detect/data/web_sensitive.toml`, extendable with `extra_rules`),
//! and archives or dumps named after a common backup stem or the site's own
//! host (`/www.tar.gz`, `/example.org.zip`, `/example.sql` on
//! `www.example.org`), matched case-insensitively on the percent-decoded
//! path. Fires on ≥ 3 distinct such paths within 5 min (severity medium), or
//! on a single one answered 2xx (severity critical when the answer had a
//! body: the file was likely served; high otherwise). A source that asked
//! for secret, VCS or backup names, none served, and crossed neither
//! threshold is reported as `web.probe` (low; see [`super::probe`]).
//!
//! **Split with `web.exploit`.** This detector owns file-*name* probes
//! (secrets, VCS, backups, config and status pages); `web.exploit` owns
//! request *classes* (traversal targets such as `/etc/passwd` and
//! `win.ini` are not listed here) and product endpoints, so one request is
//! reported under one id.
//!
//! **Why it matters.** A leaked `.env` or `.git` hands over credentials and
//! source code; probing for them is a staple of targeted reconnaissance.
//!
//! **Example.** `GET /.env` 404, `GET /.git/HEAD` 404, `GET /backup.zip` 404.
//!
//! **ATT&CK.** T1595.003 Wordlist Scanning.

use super::cache::VerdictCache;
use super::config::SensitiveConfig;
use super::crawlers::Crawlers;
use super::episode::{insert_capped, Key, Slot, Tracker};
use super::fxhash::FxSet;
use super::habits::Habits;
use super::pathset::PathSet;
use super::probe::{self, Family};
use super::request::Req;
use super::rules::{builtin_sensitive, BackupNames, RuleFile, SensitiveClass};
use super::scan::secs_ms;
use super::WebRule;
use haboob_model::{Alert, Origin, Severity, WebEvent};

const ID: &str = "web.sensitive";
const TECHNIQUES: &[&str] = &["T1595.003"];

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct SensitiveState {
    distinct: FxSet,
    served: Vec<String>,
    /// Tool habits (the alert's `fingerprint`).
    habits: Habits,
    /// The episode fired only as a `web.probe` (a secret, VCS or backup
    /// name, not served, from no crawler), of this family: it ends as that
    /// alert unless a threshold is crossed.
    #[serde(default)]
    single: Option<Family>,
}

impl SensitiveState {
    fn clear(&mut self) {
        self.distinct.clear();
        self.habits.clear();
        self.single = None;
    }
}

impl super::episode::Recycle for SensitiveState {}

#[derive(Debug, Clone)]
struct Params {
    min_paths: usize,
    window_ms: i64,
    on_served: bool,
    on_single: bool,
    max_evidence: usize,
}

/// The `web.sensitive` detector.
#[derive(Debug)]
pub(crate) struct WebSensitive {
    p: Params,
    set: PathSet,
    backup: BackupNames,
    /// [`BackupNames::extensions`]' last labels, packed ([`pack_label`]);
    /// `None` when one is longer than 8 bytes (no prefilter then).
    backup_last: Option<Vec<u64>>,
    /// [`LISTED`] and [`BACKUP_EXT`] by path.
    cache: VerdictCache<u8>,
    /// Per [`Family`], its listed names (what makes a `web.probe`).
    families: [(Family, PathSet); 3],
    crawlers: Crawlers,
    t: Tracker<SensitiveState>,
}

impl WebSensitive {
    /// `crawlers`: configured crawler user agents (beside the built-in ones).
    pub fn new(
        c: &SensitiveConfig,
        crawlers: Crawlers,
        max_evidence: usize,
        max_sources: usize,
    ) -> Self {
        let extra = RuleFile::load_or_empty(c.extra_rules.as_deref().map(std::path::Path::new));
        let builtin = builtin_sensitive();
        let patterns: Vec<String> = builtin
            .sensitive
            .iter()
            .chain(&extra.sensitive)
            .flat_map(|r| r.patterns.iter().cloned())
            .chain(c.extra_sensitive_paths.iter().cloned())
            .collect();
        let mut backup = builtin.backup.clone();
        backup.stems.extend(extra.backup.stems.iter().cloned());
        backup
            .extensions
            .extend(extra.backup.extensions.iter().cloned());
        // Longest extension first, so `tar.gz` wins over `gz`.
        backup
            .extensions
            .sort_by_key(|e| std::cmp::Reverse(e.len()));
        let backup_last = last_labels(&backup.extensions);
        let family = |f: Family, class: SensitiveClass| {
            let pats = builtin.sensitive.iter().chain(&extra.sensitive);
            let pats: Vec<&String> = pats
                .filter(|r| r.class == class)
                .flat_map(|r| &r.patterns)
                .collect();
            (f, PathSet::new(&[], pats))
        };
        let families = [
            family(Family::Secret, SensitiveClass::Secret),
            family(Family::Vcs, SensitiveClass::Vcs),
            family(Family::Backup, SensitiveClass::Backup),
        ];
        WebSensitive {
            families,
            crawlers,
            backup,
            backup_last,
            p: Params {
                min_paths: c.min_paths.max(1),
                window_ms: secs_ms(c.window_secs),
                on_served: c.alert_on_served,
                on_single: c.alert_on_single_probe,
                max_evidence,
            },
            set: PathSet::new(&[], &patterns),
            cache: VerdictCache::default(),
            t: Tracker::new(c.window_secs, max_sources),
        }
    }
}

fn emit(s: Slot<SensitiveState>, out: &mut Vec<Alert>) {
    if !s.ep.fired {
        return;
    }
    if let Some(f) = s.st.single {
        out.push(probe::alert(&s.ep, f, s.st.distinct.len()));
        return;
    }
    let mut d = haboob_model::Details::new();
    d.insert("distinct_paths".into(), (s.st.distinct.len() as u64).into());
    if !s.st.served.is_empty() {
        d.insert("served_paths".into(), s.st.served.clone().into());
    }
    d.insert("fingerprint".into(), s.st.habits.details());
    let what = if s.st.served.is_empty() {
        "sensitive-file probes"
    } else {
        "sensitive-file probes, some answered 2xx,"
    };
    let title = format!(
        "{} {what} ({}) from {}",
        s.ep.count,
        s.ep.title_samples(),
        s.ep.who_where()
    );
    out.push(s.ep.alert(ID, title, TECHNIQUES, d, &[]));
}

impl WebRule for WebSensitive {
    fn id(&self) -> &'static str {
        "web.sensitive"
    }

    fn save(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of("web.sensitive", &self.t)
    }

    fn restore(&mut self, s: crate::DetectorState) -> Result<(), crate::StateError> {
        self.t = s.into("web.sensitive")?;
        Ok(())
    }

    /// The quick part (inlined into the rule set's loop): the verdicts of
    /// the path; the rest only for a sensitive name.
    #[inline(always)]
    fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        self.t.maintain(w.ts, &mut |s| emit(s, out));
        let (set, lasts) = (&self.set, self.backup_last.as_deref());
        // What the path alone says (kept under its id): listed, and the
        // extension of a backup name (the name needs the site too).
        let v = self.cache.get_or(req.path_id, req.path(), |p| {
            u8::from(set.matches(p)) | u8::from(may_be_backup(lasts, req.ext())) << 1
        });
        if v & LISTED == 0
            && !(v & BACKUP_EXT != 0 && backup_name(&self.backup, req.path(), w.site))
        {
            return;
        }
        self.probe(w, req, o, v & LISTED != 0, out);
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        self.t.drain(&mut |s| emit(s, out));
    }
}

/// Path verdict bits of [`WebSensitive`]'s cache: a listed name; an
/// extension of a backup name.
const LISTED: u8 = 1;
const BACKUP_EXT: u8 = 2;

impl WebSensitive {
    /// One probe for a sensitive name (`listed`: in the name list, else a
    /// backup name).
    #[inline(never)]
    fn probe(
        &mut self,
        w: &WebEvent<'_>,
        req: &Req,
        o: &Origin<'_>,
        listed: bool,
        out: &mut Vec<Alert>,
    ) {
        let p = &self.p;
        let key: Key = (w.source_ip, req.site_hash);
        let slot = self
            .t
            .entry(key, w.source_ip, w.site, w.ts, &mut |s| emit(s, out));
        // A lone probe's episode ends with its window, as an unfired one
        // restarts (its alert now).
        let single = slot.st.single.is_some();
        if (!slot.ep.fired || single) && slot.ep.window_passed(w.ts, p.window_ms) {
            if let Some(f) = slot.st.single {
                let d = slot.st.distinct.len();
                out.push(probe::alert(&slot.ep, f, d));
            }
            slot.ep.restart(w.ts);
            slot.st.clear();
        }
        let new = insert_capped(&mut slot.st.distinct, req.path_hash);
        slot.st.habits.observe(w, req.path_hash, new);
        slot.ep.hit(w.ts, o, p.max_evidence);
        if new {
            slot.ep.sample(&req.path_lossy());
        }
        let served = w.status_class() == 2 && p.on_served;
        if served {
            if new && slot.st.served.len() < super::episode::MAX_SAMPLES {
                slot.st
                    .served
                    .push(super::episode::bounded(&req.path_lossy()));
            }
            slot.ep.fired = true;
            slot.st.single = None;
            let sev = if w.bytes > 0 {
                Severity::Critical
            } else {
                Severity::High
            };
            slot.ep.severity = slot.ep.severity.max(sev);
        } else if slot.st.distinct.len() >= p.min_paths
            && (!slot.ep.fired || slot.st.single.is_some())
        {
            slot.ep.fired = true;
            slot.st.single = None;
            slot.ep.severity = slot.ep.severity.max(Severity::Medium);
        } else if !slot.ep.fired && p.on_single && w.status_class() != 2 {
            // Which family (none for a config page), then the user agent:
            // both only for a source's first such request.
            let family = if listed {
                let path = req.path();
                self.families
                    .iter()
                    .find(|(_, set)| set.matches(path))
                    .map(|(f, _)| *f)
            } else {
                Some(Family::Backup)
            };
            if family.is_some() && !self.crawlers.matches(w.user_agent.as_bytes(), w.source_ip) {
                slot.ep.fired = true;
                slot.st.single = family;
            }
        }
    }
}

/// Up to 8 bytes as one number (`None` when longer).
fn pack_label(l: &[u8]) -> Option<u64> {
    (l.len() <= 8).then(|| l.iter().fold(0u64, |a, &b| a << 8 | u64::from(b)))
}

/// The extensions' last labels (`gz` of `tar.gz`), packed, sorted, each
/// once; `None` when one is longer than 8 bytes.
fn last_labels(extensions: &[String]) -> Option<Vec<u64>> {
    let mut v: Vec<u64> = extensions
        .iter()
        .map(|e| pack_label(e.rsplit('.').next().unwrap_or_default().as_bytes()))
        .collect::<Option<_>>()?;
    v.sort_unstable();
    v.dedup();
    Some(v)
}

/// Whether the last label of a path's last segment (`gz` of
/// `/a/b.tar.gz`; `ext`: what follows that segment's last dot, `None`
/// without a dot) is one of the extensions' last labels, `lasts` (sorted,
/// as [`last_labels`] gives them; any path when `None`): most requests (`.css`, `.png`, `.html`) are no backup
/// names, and this tells without comparing every extension.
fn may_be_backup(lasts: Option<&[u64]>, ext: Option<&[u8]>) -> bool {
    let Some(lasts) = lasts else { return true };
    let Some(ext) = ext else {
        return false;
    };
    pack_label(ext).is_some_and(|l| lasts.binary_search(&l).is_ok())
}

/// The last segment of `path` is `<stem>.<ext>` with an archive or dump
/// extension and a backup stem or one built from `site` (its host name).
pub(crate) fn backup_name(b: &BackupNames, path: &[u8], site: &str) -> bool {
    let name = memchr::memrchr(b'/', path).map_or(path, |i| &path[i + 1..]);
    if name.len() < 4 || memchr::memchr(b'.', name).is_none() {
        return false;
    }
    let Some(stem) = b.extensions.iter().find_map(|e| {
        let e = e.as_bytes();
        let cut = name.len().checked_sub(e.len() + 1)?;
        (name.ends_with(e) && name[cut] == b'.').then(|| &name[..cut])
    }) else {
        return false;
    };
    if stem.is_empty() {
        return false;
    }
    b.stems.iter().any(|s| s.as_bytes() == stem) || host_stem(stem, site)
}

/// `h` without its last label.
fn drop_tld(h: &[u8]) -> &[u8] {
    memchr::memrchr(b'.', h).map_or(h, |i| &h[..i])
}

/// `stem` is a name built from the host `site`: the host, without `www.`,
/// without its last label, its first label, or its labels joined by `_` or
/// nothing (`www.example.org` → `www.example.org`, `example.org`, `example`,
/// `www.example`, `example_org`, `exampleorg`).
fn host_stem(stem: &[u8], site: &str) -> bool {
    let host = site.split(':').next().unwrap_or_default().as_bytes();
    if stem.len() < 3 || host.len() < 3 || memchr::memchr(b'.', host).is_none() {
        return false;
    }
    let bare = if host.len() > 4 && host[..4].eq_ignore_ascii_case(b"www.") {
        &host[4..]
    } else {
        host
    };
    let eq = |a: &[u8]| a.eq_ignore_ascii_case(stem);
    let first = bare.split(|&c| c == b'.').next().unwrap_or_default();
    if eq(host) || eq(bare) || (first.len() >= 3 && eq(first)) {
        return true;
    }
    if eq(drop_tld(host)) || eq(drop_tld(bare)) {
        return true;
    }
    // Labels joined by `_` or by nothing (compared without building them:
    // this runs for every request for an archive name).
    [Some(b'_'), None].into_iter().any(|sep| {
        bare.iter()
            .filter_map(|&c| if c == b'.' { sep } else { Some(c) })
            .map(|c| c.to_ascii_lowercase())
            .eq(stem.iter().map(u8::to_ascii_lowercase))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> BackupNames {
        let mut b = builtin_sensitive().backup.clone();
        b.extensions.sort_by_key(|e| std::cmp::Reverse(e.len()));
        b
    }

    #[test]
    fn backup_names_from_stems_and_the_host() {
        let b = names();
        let site = "www.example.org";
        for hit in [
            "/www.tar.gz",
            "/backup.7z",
            "/example.org.zip",
            "/www.example.org.tar.gz",
            "/example.sql",
            "/www.example.rar",
            "/example_org.tgz",
            "/exampleorg.zip",
            "/old/site.zip",
            "/db.sql.gz",
        ] {
            assert!(backup_name(&b, hit.as_bytes(), site), "{hit}");
        }
        for miss in [
            "/downloads/manual.zip",
            "/static/app.bak.js",
            "/example.html",
            "/www",
            "/.zip",
            "/org.zip",
            "/ex.zip",
            "/exampleorgs.zip",
        ] {
            assert!(!backup_name(&b, miss.as_bytes(), site), "{miss}");
        }
        // The prefilter on the last label lets every hit through and stops
        // the misses whose last label ends no extension.
        let lasts = last_labels(&b.extensions);
        // What `Req::ext` gives: after the last segment's last dot.
        let ext = |p: &'static str| {
            let name = p.rsplit('/').next().unwrap_or(p);
            name.rfind('.').map(|d| &name.as_bytes()[d + 1..])
        };
        for p in [
            "/www.tar.gz",
            "/db.sql.gz",
            "/backup.7z",
            "/example_org.tgz",
        ] {
            assert!(may_be_backup(lasts.as_deref(), ext(p)), "{p}");
        }
        for p in [
            "/static/app.bak.js",
            "/example.html",
            "/www",
            "/a.verylonglabel",
            "/backup.zip/x",
        ] {
            assert!(!may_be_backup(lasts.as_deref(), ext(p)), "{p}");
        }
        assert!(may_be_backup(None, ext("/example.html")));
        // Sorted for a binary search: every extension's last label found.
        for e in &b.extensions {
            let last = e.rsplit('.').next().unwrap_or_default();
            assert!(
                may_be_backup(lasts.as_deref(), Some(last.as_bytes())),
                "{e}"
            );
        }
        // No host: only the common stems.
        assert!(!backup_name(&b, b"/example.zip", ""));
        assert!(backup_name(&b, b"/www.zip", ""));
        // A port is not part of the host.
        assert!(backup_name(&b, b"/example.zip", "example.org:8443"));
    }
}
