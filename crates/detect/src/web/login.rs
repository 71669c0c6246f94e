//! `web.login_bf`: password guessing against web logins.
//!
//! **What it detects.** One source failing to log in many times quickly: requests
//! answered 401 (HTTP authentication), and POSTs to login forms
//! ([`super::lists::LOGIN_FORMS`]: `wp-login.php`, `xmlrpc.php`, `/login`, …)
//! answered 200, 401 or 403 (a login form re-rendered with an error). Fires on
//! ≥ 6 within 60 s (severity medium); a later POST to a login form answered with
//! a redirect (WordPress' success answer) raises it to high.
//!
//! **Why it matters.** Credential guessing against CMS and admin logins is the
//! usual follow-up to finding them.
//!
//! **Example.** `POST /wp-login.php` 200 × 9 within a second.
//!
//! **ATT&CK.** T1110 Brute Force (T1110.001 Password Guessing).

use super::config::LoginBfConfig;
use super::episode::{Key, Slot, Tracker};
use super::lists::LOGIN_FORMS;
use super::method::method_is;
use super::pathset::PathSet;
use super::request::Req;
use super::scan::secs_ms;
use super::WebRule;
use haboob_model::{Alert, Origin, Severity, Ts, WebEvent};
use std::collections::VecDeque;

const ID: &str = "web.login_bf";
const TECHNIQUES: &[&str] = &["T1110", "T1110.001"];

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct LoginState {
    window: VecDeque<Ts>,
    redirects_after: u64,
}

impl super::episode::Recycle for LoginState {}

/// The `web.login_bf` detector.
#[derive(Debug)]
pub(crate) struct WebLoginBf {
    min: usize,
    window_ms: i64,
    forms: PathSet,
    max_evidence: usize,
    t: Tracker<LoginState>,
}

impl WebLoginBf {
    pub fn new(c: &LoginBfConfig, max_evidence: usize, max_sources: usize) -> Self {
        WebLoginBf {
            min: c.min_failures.max(1),
            window_ms: secs_ms(c.window_secs),
            forms: PathSet::new(LOGIN_FORMS, &c.extra_login_paths),
            max_evidence,
            t: Tracker::new(c.window_secs, max_sources),
        }
    }
}

fn emit(s: Slot<LoginState>, out: &mut Vec<Alert>) {
    if !s.ep.fired {
        return;
    }
    let mut d = haboob_model::Details::new();
    d.insert(
        "redirects_after_failures".into(),
        s.st.redirects_after.into(),
    );
    let title = format!(
        "{} failed web logins ({}) from {}",
        s.ep.count,
        s.ep.title_samples(),
        s.ep.who_where()
    );
    out.push(s.ep.alert(ID, title, TECHNIQUES, d, &[]));
}

impl WebRule for WebLoginBf {
    fn id(&self) -> &'static str {
        "web.login_bf"
    }

    fn save(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of("web.login_bf", &self.t)
    }

    fn restore(&mut self, s: crate::DetectorState) -> Result<(), crate::StateError> {
        self.t = s.into("web.login_bf")?;
        Ok(())
    }

    /// The quick part (inlined into the rule set's loop); the rest only
    /// for a request this rule counts.
    #[inline(always)]
    fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        self.t.maintain(w.ts, &mut |s| emit(s, out));
        // Only a 401 or a POST to a login form counts (or follows one).
        if w.status != 401 && !method_is(w.method, b"post") {
            return;
        }
        self.attempt(w, req, o, out);
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        self.t.drain(&mut |s| emit(s, out));
    }
}

impl WebLoginBf {
    /// A 401 or a POST.
    #[inline(never)]
    fn attempt(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        let post = method_is(w.method, b"post");
        let form = post && self.forms.matches(req.path());
        let failed = w.status == 401 || (form && matches!(w.status, 200 | 403));
        if !failed {
            if form && w.status_class() == 3 {
                let key: Key = (w.source_ip, req.site_hash);
                if let Some(slot) = self.t.get_live(&key, w.ts) {
                    if slot.ep.fired {
                        slot.st.redirects_after += 1;
                        slot.ep.severity = Severity::High;
                    }
                }
            }
            return;
        }
        let key: Key = (w.source_ip, req.site_hash);
        let slot = self
            .t
            .entry(key, w.source_ip, w.site, w.ts, &mut |s| emit(s, out));
        let st = &mut slot.st;
        if !slot.ep.fired {
            while let Some(&t) = st.window.front() {
                if w.ts.0.saturating_sub(t.0) > self.window_ms {
                    st.window.pop_front();
                } else {
                    break;
                }
            }
            if st.window.is_empty() && slot.ep.count > 0 {
                slot.ep.restart(w.ts);
            }
            st.window.push_back(w.ts);
        }
        slot.ep.hit(w.ts, o, self.max_evidence);
        let p = req.path_text();
        if !slot.ep.samples.contains(&p) {
            slot.ep.sample(&p);
        }
        if !slot.ep.fired && st.window.len() >= self.min {
            slot.ep.fired = true;
            slot.ep.severity = Severity::Medium;
            st.window = VecDeque::new();
        }
    }
}
