//! `web.user_enum`: WordPress user enumeration.
//!
//! **What it detects.** One source asking a WordPress site for many distinct
//! user ids: `/?author=N` (the site answers with, or redirects to, the author
//! page and so reveals the login name), `/wp-json/wp/v2/users/N` and the user
//! list `/wp-json/wp/v2/users` (also as `?rest_route=/wp/v2/users…`). Fires
//! at ≥ 5 distinct ids (the list counts as one) within 10 minutes, whatever
//! the answers were: a 404 still tells the source that the id is free.
//! Severity follows the answers: medium, high once the site gave a name
//! away (a user record or list answered 2xx with a body, or an author id
//! redirected to its author page); `details.revealed` counts those answers.
//! Visiting `/author/jane/` pages, repeating one id, and the editor's own
//! `/wp-json/wp/v2/users/me` are not enumeration.
//!
//! **Why it matters.** Login names are half of a credential; harvesting them
//! is the step before password spraying the site's `wp-login.php` or the
//! organisation's mail.
//!
//! **Example.** `GET /?author=1`, `/?author=2`, … `/?author=6` in one second.
//!
//! **ATT&CK.** T1589.002 Gather Victim Identity Information, T1087 Account
//! Discovery.

use super::config::UserEnumConfig;
use super::episode::{insert_capped, Key, Slot, Tracker};
use super::fxhash::{hash_bytes, FxSet};
use super::request::Req;
use super::scan::secs_ms;
use super::WebRule;
use haboob_model::{Alert, Origin, Severity, WebEvent};

const ID: &str = "web.user_enum";
const TECHNIQUES: &[&str] = &["T1589.002", "T1087"];
/// Longest numeric id accepted (longer digit runs are not user ids).
const MAX_ID_DIGITS: usize = 12;
const REST_USERS: &[u8] = b"/wp/v2/users";

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct UserEnumState {
    ids: FxSet,
    /// Requests answered with a user's name (see the module docs).
    #[serde(default)]
    revealed: u64,
}

impl super::episode::Recycle for UserEnumState {}

/// What one request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target<'a> {
    /// One numeric user id of the REST API.
    Id(&'a [u8]),
    /// One numeric user id as `?author=N` (answered by a redirect to the
    /// author page, whose address is the login name).
    Author(&'a [u8]),
    /// The whole user list.
    List,
}

fn numeric(v: &[u8]) -> bool {
    !v.is_empty() && v.len() <= MAX_ID_DIGITS && v.iter().all(u8::is_ascii_digit)
}

/// `/wp/v2/users`, `/wp/v2/users/`, `/wp/v2/users/N` (after the REST prefix).
fn rest_target(route: &[u8]) -> Option<Target<'_>> {
    let rest = route.strip_prefix(REST_USERS)?;
    match rest {
        b"" | b"/" => Some(Target::List),
        _ => {
            let id = rest.strip_prefix(b"/")?;
            let id = id.strip_suffix(b"/").unwrap_or(id);
            numeric(id).then_some(Target::Id(id))
        }
    }
}

/// The enumeration target of a decoded, lower-cased request, if any.
pub(crate) fn target<'a>(path: &'a [u8], query: &'a [u8]) -> Option<Target<'a>> {
    if let Some(route) = path.strip_prefix(b"/wp-json") {
        if let Some(t) = rest_target(route) {
            return Some(t);
        }
    }
    for param in query.split(|&b| b == b'&') {
        if let Some(v) = param.strip_prefix(b"author=") {
            if numeric(v) {
                return Some(Target::Author(v));
            }
        } else if let Some(route) = param.strip_prefix(b"rest_route=") {
            if let Some(t) = rest_target(route) {
                return Some(t);
            }
        }
    }
    None
}

#[derive(Debug, Clone)]
struct Params {
    min_ids: usize,
    window_ms: i64,
    max_evidence: usize,
}

/// The `web.user_enum` detector.
#[derive(Debug)]
pub(crate) struct WebUserEnum {
    p: Params,
    t: Tracker<UserEnumState>,
}

impl WebUserEnum {
    pub fn new(c: &UserEnumConfig, max_evidence: usize, max_sources: usize) -> Self {
        WebUserEnum {
            p: Params {
                min_ids: c.min_ids.max(1),
                window_ms: secs_ms(c.window_secs),
                max_evidence,
            },
            t: Tracker::new(c.window_secs, max_sources),
        }
    }
}

fn emit(s: Slot<UserEnumState>, out: &mut Vec<Alert>) {
    if !s.ep.fired {
        return;
    }
    let mut d = haboob_model::Details::new();
    d.insert("distinct_ids".into(), (s.st.ids.len() as u64).into());
    d.insert("revealed".into(), s.st.revealed.into());
    let title = format!(
        "WordPress user enumeration: {} requests for {} user ids ({}) from {}",
        s.ep.count,
        s.st.ids.len(),
        s.ep.title_samples(),
        s.ep.who_where()
    );
    out.push(s.ep.alert(ID, title, TECHNIQUES, d, &[]));
}

impl WebRule for WebUserEnum {
    fn id(&self) -> &'static str {
        "web.user_enum"
    }

    fn save(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of("web.user_enum", &self.t)
    }

    fn restore(&mut self, s: crate::DetectorState) -> Result<(), crate::StateError> {
        self.t = s.into("web.user_enum")?;
        Ok(())
    }

    /// The quick part (inlined into the rule set's loop); the rest only
    /// for a request this rule counts.
    #[inline(always)]
    fn observe(&mut self, w: &WebEvent<'_>, req: &Req, o: &Origin<'_>, out: &mut Vec<Alert>) {
        self.t.maintain(w.ts, &mut |s| emit(s, out));
        let query = req.once.get(req.path_len + 1..).unwrap_or_default();
        let Some(t) = target(req.path(), query) else {
            return;
        };
        self.probe(w, req, o, out, t);
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        self.t.drain(&mut |s| emit(s, out));
    }
}

impl WebUserEnum {
    /// A request for a user record or list.
    #[inline(never)]
    fn probe(
        &mut self,
        w: &WebEvent<'_>,
        req: &Req,
        o: &Origin<'_>,
        out: &mut Vec<Alert>,
        t: Target<'_>,
    ) {
        let p = &self.p;
        let key: Key = (w.source_ip, req.site_hash);
        let slot = self
            .t
            .entry(key, w.source_ip, w.site, w.ts, &mut |s| emit(s, out));
        if slot.ep.restart_if_expired(w.ts, p.window_ms) {
            slot.st = UserEnumState::default();
        }
        let (h, label) = match t {
            Target::Id(id) | Target::Author(id) => {
                (hash_bytes(id), String::from_utf8_lossy(id).into_owned())
            }
            Target::List => (0, "list".to_string()),
        };
        let redirected = matches!(w.status, 301 | 302 | 303 | 307 | 308);
        let revealed = (w.status_class() == 2 && w.bytes > 0)
            || (matches!(t, Target::Author(_)) && redirected);
        slot.st.revealed += u64::from(revealed);
        let new = insert_capped(&mut slot.st.ids, h);
        slot.ep.hit(w.ts, o, p.max_evidence);
        if new {
            slot.ep.sample(&label);
        }
        if !slot.ep.fired && slot.st.ids.len() >= p.min_ids {
            slot.ep.fired = true;
            slot.ep.severity = Severity::Medium;
        }
        if slot.ep.fired && slot.st.revealed > 0 {
            slot.ep.severity = Severity::High;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t<'a>(path: &'a str, query: &'a str) -> Option<Target<'a>> {
        target(path.as_bytes(), query.as_bytes())
    }

    #[test]
    fn targets_author_ids_and_the_rest_user_routes() {
        assert_eq!(t("/", "author=3"), Some(Target::Author(b"3")));
        assert_eq!(
            t("/index.php", "p=1&author=12"),
            Some(Target::Author(b"12"))
        );
        assert_eq!(t("/wp-json/wp/v2/users", ""), Some(Target::List));
        assert_eq!(t("/wp-json/wp/v2/users/", ""), Some(Target::List));
        assert_eq!(t("/wp-json/wp/v2/users/7", ""), Some(Target::Id(b"7")));
        assert_eq!(t("/", "rest_route=/wp/v2/users/2"), Some(Target::Id(b"2")));
        assert_eq!(t("/", "rest_route=/wp/v2/users"), Some(Target::List));
    }

    #[test]
    fn near_misses_are_not_targets() {
        // Author pages, names, the editor's own record, other routes, lookalikes.
        assert_eq!(t("/author/jane/", ""), None);
        assert_eq!(t("/", "author=jane"), None);
        assert_eq!(t("/", "author="), None);
        assert_eq!(t("/", "coauthor=3"), None);
        assert_eq!(t("/", "author=1234567890123"), None);
        assert_eq!(t("/wp-json/wp/v2/users/me", ""), None);
        assert_eq!(t("/wp-json/wp/v2/posts", ""), None);
        assert_eq!(t("/wp-json/wp/v2/usersx", ""), None);
        assert_eq!(t("/api/wp-json/wp/v2/users", ""), None);
    }
}
