//! The [`Observed`] view of a log event, for the pattern evaluator.
//!
//! - web request: `src_ip` the client, `domain` the site, `url`
//!   `http://<site><path>?<query>` (access logs do not say the scheme: an
//!   equality with an `https://` URL does not hold; `request_value`,
//!   `MATCHES` and `LIKE` do not depend on it), `http_method`, `http_path`
//!   (path and query), `user_agent`, `account` (the logged user);
//! - WAF record: `src_ip`, `domain`, `url`, `http_method`, `http_path`;
//! - sign-in: `src_ip`, `user_agent` (the client), `account` and, when it
//!   holds an `@`, `email`.
//!
//! Other events (Windows, network) give `None`: the victim signal builds
//! its own views of network events.

use crate::Observed;
use haboob_model::EventRef;

/// Reusable text of one event's view (no allocation per event once grown).
#[derive(Debug, Default)]
pub struct ObservedBuf {
    url: String,
    path: String,
}

/// The view of `ev` (see the module docs), its texts kept in `buf`.
pub fn observed<'a>(ev: &'a EventRef<'a>, buf: &'a mut ObservedBuf) -> Option<Observed<'a>> {
    let nonempty = |s: &'a str| (!s.is_empty()).then_some(s);
    match ev {
        EventRef::Web(w) => {
            buf.path.clear();
            buf.path.push_str(w.path);
            if !w.query.is_empty() {
                buf.path.push('?');
                buf.path.push_str(w.query);
            }
            buf.url.clear();
            if !w.site.is_empty() {
                buf.url.push_str("http://");
                buf.url.push_str(w.site);
                buf.url.push_str(&buf.path);
            }
            Some(Observed {
                src_ip: Some(w.source_ip),
                domain: nonempty(w.site),
                url: nonempty(&buf.url),
                http_method: nonempty(w.method),
                http_path: nonempty(&buf.path),
                user_agent: nonempty(w.user_agent),
                account: nonempty(w.user),
                email: nonempty(w.user).filter(|u| u.contains('@')),
                ..Observed::default()
            })
        }
        EventRef::Waf(w) => {
            buf.url.clear();
            if !w.site.is_empty() {
                buf.url.push_str("http://");
                buf.url.push_str(w.site);
                buf.url.push_str(w.path);
            }
            Some(Observed {
                src_ip: Some(w.source_ip),
                domain: nonempty(w.site),
                url: nonempty(&buf.url),
                http_method: nonempty(w.method),
                http_path: nonempty(w.path),
                ..Observed::default()
            })
        }
        EventRef::Auth(a) => Some(Observed {
            src_ip: a.source_ip,
            user_agent: nonempty(&a.client),
            account: nonempty(&a.user),
            email: nonempty(&a.user).filter(|u| u.contains('@')),
            ..Observed::default()
        }),
        EventRef::Cloud(c) => Some(Observed {
            src_ip: c.source_ip,
            account: nonempty(&c.user),
            email: nonempty(&c.user).filter(|u| u.contains('@')),
            ..Observed::default()
        }),
        _ => None,
    }
}
