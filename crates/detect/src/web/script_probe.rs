//! `web.probe` for scripts: POSTs to server scripts that do not exist.
//!
//! **What it detects.** A source that POSTs to a server-side script
//! (`.php`, `.asp`, `.aspx`, `.ashx`, `.jsp`, `.cgi`, …) the server
//! answers 404 or 410, from a user agent that names no crawler: one alert
//! per source and site episode (5 min windows), severity low, family
//! `script`. A form is POSTed after it was served, so a POST to a script
//! that is not there is a blind attempt: webshell discovery, a CMS
//! exploit fired without looking (`/plus/mytag_js.php`,
//! `/plug/collect/AspCms_CollectFun.asp`).
//!
//! **Why it matters.** Commodity exploitation and webshell hunting send one
//! request per site and move on; below every other threshold, they still
//! show who is trying what (see [`super::probe`]).
//!
//! The same rule reports `GET` and `HEAD` requests, answered 404 or 410,
//! for a file or folder of one product (family `fingerprint`; data file
//! `crates/detect/data/web_fingerprints.toml`: `/wp-includes/`,
//! `/data/admin/ver.txt`, `/uc_client/`, …): the site does not run it,
//! and the asker is finding out what it does run. An episode with both is
//! reported as `script`.
//!
//! **Example.** `POST /inc/config.asp` 404; `GET /data/admin/allowurl.txt`
//! 404.
//!
//! **ATT&CK.** T1595.003 Wordlist Scanning.

use super::cache::VerdictCache;
use super::config::ScriptProbeConfig;
use super::crawlers::Crawlers;
use super::episode::{insert_capped, Episode, Key, Slot, Tracker};
use super::fxhash::FxSet;
use super::pathset::PathSet;
use super::probe::{self, Family};
use super::request::Req;
use super::scan::secs_ms;
use super::WebRule;
use haboob_model::{Alert, Origin, WebEvent};

/// Extensions of server-side scripts (lower case).
const SCRIPTS: &[&[u8]] = &[
    b"php", b"php3", b"php4", b"php5", b"php7", b"phtml", b"asp", b"aspx", b"ashx", b"asmx",
    b"jsp", b"jspx", b"do", b"action", b"cgi", b"pl", b"cfm",
];

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct ScriptState {
    distinct: FxSet,
    /// Every request of the episode was a product file, none a script
    /// POST (family `fingerprint`; a state saved before it read `false`).
    #[serde(default)]
    fingerprint: bool,
}

impl super::episode::Recycle for ScriptState {}

/// The script-POST part of `web.probe`.
#[derive(Debug)]
pub(crate) struct WebScriptProbe {
    window_ms: i64,
    max_evidence: usize,
    crawlers: Crawlers,
    /// Product fingerprint files, `None` when off.
    fingerprints: Option<PathSet>,
    cache: VerdictCache<bool>,
    t: Tracker<ScriptState>,
}

impl WebScriptProbe {
    /// `crawlers`: configured crawler user agents (beside the built-in ones).
    pub fn new(
        c: &ScriptProbeConfig,
        crawlers: Crawlers,
        max_evidence: usize,
        max_sources: usize,
    ) -> Self {
        WebScriptProbe {
            window_ms: secs_ms(c.window_secs),
            max_evidence,
            crawlers,
            fingerprints: c.fingerprints.then(|| {
                let builtin = super::rules::builtin_fingerprints().iter();
                PathSet::new(&[], builtin.chain(&c.extra_fingerprint_paths))
            }),
            cache: VerdictCache::default(),
            t: Tracker::new(c.window_secs, max_sources),
        }
    }
}

fn alert(ep: &Episode, st: &ScriptState) -> Alert {
    let family = if st.fingerprint {
        Family::Fingerprint
    } else {
        Family::Script
    };
    probe::alert(ep, family, st.distinct.len())
}

fn emit(s: Slot<ScriptState>, out: &mut Vec<Alert>) {
    if s.ep.fired {
        out.push(alert(&s.ep, &s.st));
    }
}

/// Whether `ext` (a path's extension, lower case) is a server script's.
fn is_script(ext: Option<&[u8]>) -> bool {
    ext.is_some_and(|e| SCRIPTS.contains(&e))
}

impl WebRule for WebScriptProbe {
    fn id(&self) -> &'static str {
        probe::ID
    }

    fn save(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of(probe::ID, &self.t)
    }

    fn restore(&mut self, s: crate::DetectorState) -> Result<(), crate::StateError> {
        self.t = s.into(probe::ID)?;
        Ok(())
    }

    /// The quick part: an answer 404 or 410 (one compare for most
    /// requests); the rest only for those.
    #[inline(always)]
    fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        self.t.maintain(w.ts, &mut |s| emit(s, out));
        if !matches!(w.status, 404 | 410) {
            return;
        }
        self.not_found(w, req, o, out);
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        self.t.drain(&mut |s| emit(s, out));
    }
}

impl WebScriptProbe {
    /// A request answered 404 or 410: a script POST, a product's file, or
    /// neither.
    #[inline(never)]
    fn not_found(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        let script = w.method == "POST" && is_script(req.ext());
        if !script {
            let Some(set) = &self.fingerprints else {
                return;
            };
            if !matches!(w.method, "GET" | "HEAD")
                || !set.matches_cached(&mut self.cache, req.path(), req.path_id)
            {
                return;
            }
        }
        if self.crawlers.matches(w.user_agent.as_bytes(), w.source_ip) {
            return;
        }
        self.probe(w, req, o, script, out);
    }

    /// One probe: a POST to a script that is not there (`script`) or a
    /// request for a product's file.
    fn probe(
        &mut self,
        w: &WebEvent<'_>,
        req: &Req,
        o: &Origin<'_>,
        script: bool,
        out: &mut Vec<Alert>,
    ) {
        let key: Key = (w.source_ip, req.site_hash);
        let slot = self
            .t
            .entry(key, w.source_ip, w.site, w.ts, &mut |s| emit(s, out));
        if slot.ep.fired && slot.ep.window_passed(w.ts, self.window_ms) {
            out.push(alert(&slot.ep, &slot.st));
            slot.ep.restart(w.ts);
            slot.st.distinct.clear();
        }
        if !slot.ep.fired {
            slot.st.fingerprint = !script;
        } else if script {
            slot.st.fingerprint = false;
        }
        if insert_capped(&mut slot.st.distinct, req.path_hash) {
            slot.ep.sample(&req.path_lossy());
        }
        slot.ep.hit(w.ts, o, self.max_evidence);
        slot.ep.fired = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_extensions() {
        for e in ["php", "asp", "aspx", "jsp", "cgi", "ashx"] {
            assert!(is_script(Some(e.as_bytes())), "{e}");
        }
        for e in ["html", "js", "css", "png", "zip", "", "phps", "p"] {
            assert!(!is_script(Some(e.as_bytes())), "{e}");
        }
        assert!(!is_script(None));
    }
}
