//! Exchange sign-ins seen in IIS access logs: an [`AuthEvent`] derived from
//! a [`WebEvent`] to an Exchange client endpoint.
//!
//! | request | answer | event |
//! |---------|--------|-------|
//! | `/owa/`, `/ecp/`, `/EWS/`, `/Microsoft-Server-ActiveSync`, `/autodiscover/`, `/mapi/`, `/rpc/`, `/oab/` (any case) | 401 with a user | failure, bad password |
//! | `/owa/auth.owa` (forms login `POST`) | 401 | failure, bad password, user empty when not logged |
//! | `/owa/auth/logon.aspx` with `reason=2` in the query | any | failure, bad password, user empty |
//! | the endpoints above | 2xx with a user | success |
//!
//! The user is IIS `cs-username`, else (ActiveSync) the `User=` query value,
//! percent-decoded; `CONTOSO\alice` gives `alice` and domain `contoso`,
//! `alice@contoso.com` keeps the whole name and domain `contoso.com`; names
//! are case-folded, over 320 bytes or with control characters dropped.
//!
//! Choices, documented because the log cannot tell:
//! - A 401 **without** any user name on the API endpoints is the first leg
//!   of every NTLM/Negotiate handshake (the client asks anonymously, is told
//!   which schemes to use, then authenticates), so it is not an event:
//!   counting it would turn every Outlook client into a brute-forcer. Basic
//!   authentication failures (what password sprayers send) log the name
//!   (`401 1 1326`).
//! - Forms-based OWA posts the name in the body, which IIS does not log:
//!   a 401 on `POST /owa/auth.owa`, and the `logon.aspx?reason=2` page OWA
//!   redirects a rejected password to, are failures with an **empty** user
//!   (as Postfix SASL failures without `sasl_username`): they count for the
//!   source (bursts), not for any account.
//! - Exchange answers `1326` (unknown user name or bad password) without
//!   telling which; the class is bad password, as for Dovecot and Postfix.
//!
//! Dataset `auth.exchange`; app `owa`, `ecp`, `ews`, `activesync`,
//! `autodiscover`, `mapi`, `rpc` or `oab`; client is the user agent (cut to
//! 512 bytes).

use haboob_model::{AuthEvent, AuthOutcome, FailureClass, WebEvent};
use std::borrow::Cow;

/// Dataset of the derived events.
pub const DATASET: &str = "auth.exchange";

const MAX_USER: usize = 320;
const MAX_TEXT: usize = 512;

/// Endpoint prefixes (lower case) and the app they name.
const ENDPOINTS: [(&str, &str); 8] = [
    ("/owa", "owa"),
    ("/ecp", "ecp"),
    ("/ews/", "ews"),
    ("/microsoft-server-activesync", "activesync"),
    ("/autodiscover/", "autodiscover"),
    ("/mapi/", "mapi"),
    ("/rpc/", "rpc"),
    ("/oab/", "oab"),
];

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// The first four bytes of a path, letters lower-cased (`| 0x20` leaves `/`).
#[inline]
const fn head(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1] | 0x20, b[2] | 0x20, b[3] | 0x20])
}

/// [`head`] of every endpoint: one compare per endpoint rules out nearly
/// every request of a web log before any string work.
const HEADS: [u32; ENDPOINTS.len()] = {
    let mut h = [0u32; ENDPOINTS.len()];
    let mut i = 0;
    while i < ENDPOINTS.len() {
        h[i] = head(ENDPOINTS[i].0.as_bytes());
        i += 1;
    }
    h
};

/// Whether a path may be an Exchange endpoint's: its first four bytes
/// are an endpoint's (letters in any case); [`auth_event`] derives
/// nothing from any other. Inlined where every web request is asked: one
/// load and a few compares rule out nearly every request of a web log,
/// with no call.
#[inline(always)]
pub fn may_be_endpoint(path: &str) -> bool {
    let b = path.as_bytes();
    if b.len() < 4 {
        return false;
    }
    // Every compare, without a branch or a call per endpoint.
    let h = head(b);
    HEADS.iter().fold(false, |hit, &e| hit | (e == h))
}

/// The Exchange app a request path belongs to.
fn app(path: &str) -> Option<&'static str> {
    if !may_be_endpoint(path) {
        return None;
    }
    ENDPOINTS.iter().find_map(|(p, app)| {
        if !starts_with_ci(path, p) {
            return None;
        }
        // `/owa` and `/ecp` must end there or continue with `/`.
        let next = path.as_bytes().get(p.len()).copied();
        (p.ends_with('/') || matches!(next, None | Some(b'/' | b'?'))).then_some(*app)
    })
}

/// `%XX`-decode (`+` stays: ActiveSync names do not use it for spaces).
fn pct_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Value of `key` (case-insensitive) in a `k=v&k=v` query.
fn query_value<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        k.eq_ignore_ascii_case(key).then_some(v)
    })
}

fn fold(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase())
        || (!s.is_ascii() && s.chars().any(char::is_uppercase))
    {
        Cow::Owned(s.to_lowercase())
    } else {
        s
    }
}

use haboob_model::bounded as bound;

/// `(user, domain)` case-folded; `None` for an unusable name.
fn account(name: Cow<'_, str>) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
    let trimmed = name.trim();
    if trimmed.is_empty()
        || trimmed == "-"
        || trimmed.len() > MAX_USER
        || trimmed.bytes().any(|b| b.is_ascii_control())
    {
        return None;
    }
    let name = fold(Cow::Owned(trimmed.to_owned()));
    let name = name.into_owned();
    if let Some((dom, user)) = name.split_once('\\') {
        let dom = if dom == "." { "" } else { dom };
        return Some((Cow::Owned(user.to_owned()), Cow::Owned(dom.to_owned())));
    }
    let dom = name
        .rsplit_once('@')
        .map(|(_, d)| d.to_owned())
        .unwrap_or_default();
    Some((Cow::Owned(name), Cow::Owned(dom)))
}

/// The sign-in a request to an Exchange endpoint shows, if any (see the
/// module docs for the table and the choices). Asked of every web request
/// of a stream: the test that rules out a path that is no endpoint's is
/// inlined into the caller, the rest is [`endpoint_auth_event`].
#[inline]
pub fn auth_event<'a>(w: &WebEvent<'a>) -> Option<AuthEvent<'a>> {
    if !may_be_endpoint(w.path) {
        return None;
    }
    endpoint_auth_event(w)
}

/// [`auth_event`] of a request whose path may be an endpoint's.
#[inline(never)]
fn endpoint_auth_event<'a>(w: &WebEvent<'a>) -> Option<AuthEvent<'a>> {
    let app = app(w.path)?;
    let form_login = app == "owa" && w.path.eq_ignore_ascii_case("/owa/auth.owa");
    let logon_page = app == "owa" && w.path.eq_ignore_ascii_case("/owa/auth/logon.aspx");
    let rejected_form = logon_page && query_value(w.query, "reason") == Some("2");
    let logged_user = if !w.user.is_empty() && w.user != "-" {
        Cow::Borrowed(w.user)
    } else if app == "activesync" {
        query_value(w.query, "User").map_or(Cow::Borrowed(""), pct_decode)
    } else {
        Cow::Borrowed("")
    };
    let (outcome, failure) = match w.status {
        _ if rejected_form => (AuthOutcome::Failure, Some(FailureClass::BadPassword)),
        401 => (AuthOutcome::Failure, Some(FailureClass::BadPassword)),
        200..=299 if !logged_user.is_empty() && !logon_page => (AuthOutcome::Success, None),
        _ => return None,
    };
    let (user, domain) = if logged_user.is_empty() {
        // Only the forms login has a failure without a name (module docs).
        if !(form_login || rejected_form) {
            return None;
        }
        (Cow::Borrowed(""), Cow::Borrowed(""))
    } else {
        account(logged_user)?
    };
    Some(AuthEvent {
        source_ip: Some(w.source_ip),
        user,
        domain,
        failure,
        app: Cow::Borrowed(app),
        client: Cow::Borrowed(bound(w.user_agent, MAX_TEXT)),
        // The site whose login was tried.
        host: Cow::Borrowed(bound(w.site, MAX_TEXT)),
        ..AuthEvent::empty(w.ts, DATASET, outcome)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use haboob_model::Ts;

    fn web<'a>(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        status: u16,
        user: &'a str,
    ) -> WebEvent<'a> {
        WebEvent {
            ts: Ts::from_secs(1_700_000_000),
            source_ip: "192.0.2.7".parse().unwrap(),
            method,
            path,
            query,
            status,
            bytes: 0,
            user_agent: "Outlook/16",
            referrer: "",
            site: "",
            user,
            forwarded: "",
            protocol: "",
        }
    }

    fn short(
        e: Option<AuthEvent<'_>>,
    ) -> Option<(String, String, AuthOutcome, Option<FailureClass>, String)> {
        e.map(|e| {
            (
                e.user.into_owned(),
                e.domain.into_owned(),
                e.outcome,
                e.failure,
                e.app.into_owned(),
            )
        })
    }

    #[test]
    fn exchange_requests() {
        use AuthOutcome::*;
        use FailureClass::*;
        let f = |u: &str, d: &str, app: &str| {
            Some((
                u.to_string(),
                d.to_string(),
                Failure,
                Some(BadPassword),
                app.to_string(),
            ))
        };
        let s = |u: &str, d: &str, app: &str| {
            Some((u.to_string(), d.to_string(), Success, None, app.to_string()))
        };
        let table = [
            (
                web("POST", "/EWS/Exchange.asmx", "", 401, "CONTOSO\\Alice"),
                f("alice", "contoso", "ews"),
            ),
            (
                web(
                    "POST",
                    "/Microsoft-Server-ActiveSync/default.eas",
                    "User=bob%40contoso.com&DeviceId=X&Cmd=Ping",
                    401,
                    "",
                ),
                f("bob@contoso.com", "contoso.com", "activesync"),
            ),
            (
                web(
                    "POST",
                    "/Microsoft-Server-ActiveSync",
                    "Cmd=Sync&User=CONTOSO%5Cbob",
                    200,
                    "contoso\\bob",
                ),
                s("bob", "contoso", "activesync"),
            ),
            (
                web(
                    "GET",
                    "/autodiscover/autodiscover.xml",
                    "",
                    401,
                    "carl@contoso.com",
                ),
                f("carl@contoso.com", "contoso.com", "autodiscover"),
            ),
            (
                web("POST", "/mapi/emsmdb/", "MailboxId=x", 401, "dan"),
                f("dan", "", "mapi"),
            ),
            (
                web("RPC_IN_DATA", "/rpc/rpcproxy.dll", "", 401, "erin"),
                f("erin", "", "rpc"),
            ),
            (web("GET", "/ecp/", "", 401, "fay"), f("fay", "", "ecp")),
            (web("POST", "/owa/auth.owa", "", 401, ""), f("", "", "owa")),
            (
                web(
                    "GET",
                    "/owa/auth/logon.aspx",
                    "url=https%3a%2f%2fmail%2fowa%2f&reason=2",
                    200,
                    "",
                ),
                f("", "", "owa"),
            ),
            (
                web("GET", "/OWA/", "", 200, "Gil@Contoso.com"),
                s("gil@contoso.com", "contoso.com", "owa"),
            ),
        ];
        for (w, want) in table {
            assert_eq!(
                short(auth_event(&w)),
                want,
                "{} {}?{}",
                w.method,
                w.path,
                w.query
            );
        }
        let none = [
            // The anonymous first leg of NTLM / Negotiate.
            web("POST", "/EWS/Exchange.asmx", "", 401, ""),
            web("POST", "/mapi/emsmdb/", "", 401, "-"),
            // The login page itself, a successful form post (302), a static file.
            web("GET", "/owa/auth/logon.aspx", "url=x&reason=0", 200, ""),
            web("POST", "/owa/auth.owa", "", 302, ""),
            web(
                "GET",
                "/owa/auth/15.2.1118/themes/resources/favicon.ico",
                "",
                200,
                "",
            ),
            // Not Exchange.
            web("GET", "/owasp/", "", 401, "x"),
            web("GET", "/login", "", 401, "x"),
            // 403/500 are not sign-in answers; 2xx without a user is anonymous.
            web("POST", "/EWS/Exchange.asmx", "", 403, "alice"),
            web("GET", "/autodiscover/autodiscover.xml", "", 200, ""),
            // Unusable names.
            web("POST", "/EWS/Exchange.asmx", "", 401, "a\u{1}b"),
        ];
        for w in none {
            assert!(
                auth_event(&w).is_none(),
                "{} {}?{}",
                w.method,
                w.path,
                w.query
            );
        }
        let long = "a".repeat(321);
        assert!(auth_event(&web("GET", "/ews/", "", 401, &long)).is_none());
        let e = auth_event(&web("GET", "/ews/", "", 401, "x")).unwrap();
        assert_eq!(
            (e.dataset, e.client.as_ref(), e.source_ip),
            (DATASET, "Outlook/16", Some("192.0.2.7".parse().unwrap()))
        );
    }

    /// The inlined test that rules a path out never drops a request the
    /// endpoint table names: every path it rules out has no app, and
    /// `auth_event` is what the whole derivation gives, for endpoint
    /// paths in any case, near misses and short paths.
    #[test]
    fn the_quick_test_rules_out_only_paths_of_no_endpoint() {
        let mut paths: Vec<String> = Vec::new();
        for (p, _) in ENDPOINTS {
            for cased in [p.to_string(), p.to_uppercase(), p.replacen('/', "/X", 1)] {
                for tail in ["", "/", "?x=1", "x", "/auth.owa", "/auth/logon.aspx"] {
                    paths.push(format!("{cased}{tail}"));
                }
                paths.push(cased[..cased.len().min(4)].to_string());
                paths.push(cased[..cased.len().min(3)].to_string());
            }
        }
        paths.extend(["/", "", "/ow", "/owa", "/OWA/", "/news/1", "/opinion/x"].map(String::from));
        for path in &paths {
            if !may_be_endpoint(path) {
                assert_eq!(app(path), None, "{path}");
            }
            for (status, user, query) in [
                (401, "CONTOSO\\a", ""),
                (200, "b", ""),
                (200, "", "reason=2"),
            ] {
                let w = web("POST", path, query, status, user);
                assert_eq!(
                    short(auth_event(&w)),
                    short(endpoint_auth_event(&w)),
                    "{path}"
                );
            }
        }
    }

    #[test]
    fn decoding() {
        assert_eq!(pct_decode("a%5Cb%4"), "a\\b%4");
        assert_eq!(pct_decode("%zz%41"), "%zzA");
        assert_eq!(pct_decode("plain"), "plain");
    }
}
