//! `web.exploit_success` on the requests that are not probes: page views
//! (2xx, not an asset) and not-found answers. Most only count: the visit is
//! logged for the visitor table ([`super::Visitors`]), the path's usual
//! size is followed, a not-found answer teaches the site's not-found
//! sizes. The visitor's entry is read (and so the log applied first) only
//! when the answer may be a 2xx to a scanner's random-looking path.

use super::super::super::request::Req;
use super::super::profile::random_looking;
use super::super::visitors::Visit;
use super::MAX_UPLOADS;
use super::{family, hash_ip, is_script, method_is, mix, near, secs, WebExploitSuccess};
use haboob_model::{Alert, Origin, WebEvent};

impl WebExploitSuccess {
    /// A page view (2xx, not an asset) or a not-found answer that is not a
    /// probe: what [`WebExploitSuccess::answer`] does with no classes
    /// matched (the source's visit counts, the site's not-found sizes, the
    /// path's usual size, script paths and uploads), in a short function.
    #[inline(never)]
    pub(super) fn plain(
        &mut self,
        w: &WebEvent<'_>,
        req: &Req,
        o: &Origin<'_>,
        out: &mut Vec<Alert>,
    ) {
        let ok = w.status_class() == 2;
        let path = req.path();
        let vkey = mix(req.site_hash, hash_ip(w.source_ip));
        if ok && maybe_random(path) {
            // A 2xx that may teach the not-found sizes: whether it does
            // depends on what the source did before.
            let s = &mut self.s;
            let (v, fresh) = s.visitors.slot(vkey);
            if fresh {
                v.first_s = secs(w.ts);
            }
            let before = *v;
            v.ok = v.ok.saturating_add(1);
            self.path_size(w, req);
            if (before.not_found >= 3 || before.probes) && random_looking(path) {
                self.learn(w, req);
            }
        } else if ok {
            self.s.visitors.defer(vkey, w.ts, Visit::Ok);
            self.path_size(w, req);
        } else {
            // 404 or 410: a not-found answer.
            let visit = if w.status == 404 {
                Visit::NotFound
            } else {
                Visit::Other
            };
            self.s.visitors.defer(vkey, w.ts, visit);
            self.learn(w, req);
        }
        if is_script(path) && (ok || w.status == 404) {
            self.script_path(w, req, o, out);
        }
        if ok
            && (method_is(w.method, b"post") || method_is(w.method, b"put"))
            && memchr::memmem::find(path, b"upload").is_some()
        {
            self.upload(w, req);
        }
    }

    /// The usual size of the path's ordinary 2xx answers (a page view).
    #[inline]
    fn path_size(&mut self, w: &WebEvent<'_>, req: &Req) {
        if req.is_static || w.bytes == 0 {
            return;
        }
        let tol = self.p.tol;
        let u = self.s.paths.slot(mix(req.site_hash, req.path_hash)).0;
        if u.0 > 0 && near(u.0, w.bytes, tol) {
            u.1 = u.1.saturating_add(1);
        } else {
            *u = (w.bytes, 0);
        }
    }

    /// A not-found answer (or a 2xx one to a scanner's random path): the
    /// site's not-found sizes learn it.
    #[inline(never)]
    fn learn(&mut self, w: &WebEvent<'_>, req: &Req) {
        let p = &self.p;
        self.s
            .site(req.site_hash, p.max_sites)
            .learn(family(req.path()), w.bytes, p.tol, w.ts);
    }

    /// A 2xx write to an upload path: it counts for the source's later
    /// requests.
    #[cold]
    #[inline(never)]
    fn upload(&mut self, w: &WebEvent<'_>, req: &Req) {
        let s = &mut self.s;
        if s.uploads.len() >= MAX_UPLOADS {
            s.uploads.clear();
        }
        s.uploads.insert((w.source_ip, req.site_hash), w.ts);
    }
}

/// The path's last segment may look machine-made: false only when
/// [`random_looking`] is false (a segment it accepts names an inexistent
/// file, both words holding an `x`, or has at least three digits). One pass
/// over the last segment, no search.
#[inline]
pub(super) fn maybe_random(path: &[u8]) -> bool {
    let mut digits = 0u32;
    for &c in path.iter().rev() {
        match c {
            b'/' => break,
            b'x' => return true,
            b'0'..=b'9' => digits += 1,
            _ => {}
        }
    }
    digits >= 3
}

#[cfg(test)]
mod unit {
    use super::*;

    /// Whatever [`random_looking`] accepts, [`maybe_random`] does: paths
    /// of up to nine bytes over a letter, `x`, a digit, dots and slashes, and
    /// the scanners' own probe names.
    #[test]
    fn maybe_random_holds_for_every_random_looking_path() {
        crate::web::outcome::test_util::every_path(b"/.ax1", 9, |path| {
            if random_looking(path) {
                assert!(maybe_random(path), "{:?}", String::from_utf8_lossy(path));
            }
        });
        for p in [
            &b"/nikto-3qx7zt9a81.html"[..],
            b"/acunetix-wvs-test-for-some-inexistent-file",
            b"/a/nonexistent-page",
            b"/a8f3c2d19e.php",
            b"/x/ab12cd34ef5.aspx",
        ] {
            assert!(random_looking(p) && maybe_random(p));
        }
        // Ordinary pages: neither.
        for p in [
            &b"/opinion/2026/08/05/senate-race-tightens"[..],
            b"/",
            b"/about/",
        ] {
            assert!(!maybe_random(p) && !random_looking(p));
        }
    }
}
