//! Shared normalization: case folding, account names, addresses, bounded
//! attacker text and the Entra result-code table.

use haboob_model::{AuthEvent, AuthOutcome, FailureClass, RecordError};
use std::borrow::Cow;
use std::net::IpAddr;

/// Longest account name kept (bytes); longer names are rejected.
pub(crate) const MAX_USER: usize = 320;
/// Longest client / user-agent / app text kept (bytes); longer text is cut
/// at a character boundary.
pub(crate) const MAX_TEXT: usize = 512;

/// Case-fold ASCII and Unicode text, allocating only when it has upper case.
pub(crate) fn fold(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase())
        || (!s.is_ascii() && s.chars().any(char::is_uppercase))
    {
        Cow::Owned(s.to_lowercase())
    } else {
        s
    }
}

/// Cut `s` to at most `max` bytes at a character boundary.
pub(crate) fn bound(s: Cow<'_, str>, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return s;
    }
    let end = haboob_model::bounded(&s, max).len();
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(&b[..end]),
        Cow::Owned(mut o) => {
            o.truncate(end);
            Cow::Owned(o)
        }
    }
}

/// Bounded free text (app, client, country, tenant).
pub(crate) fn text(s: Cow<'_, str>) -> Cow<'_, str> {
    bound(s, MAX_TEXT)
}

/// A normalized account: `(user, domain)`, both case-folded.
///
/// - `alice@contoso.com` → (`alice@contoso.com`, `contoso.com`)
/// - `CONTOSO\alice` → (`alice`, `contoso`)
/// - `alice` with `nt_domain` `CONTOSO` → (`alice`, `contoso`)
pub(crate) fn account<'a>(
    name: Cow<'a, str>,
    nt_domain: Cow<'a, str>,
) -> Result<(Cow<'a, str>, Cow<'a, str>), RecordError> {
    let name = trim_cow(name);
    if name.is_empty() || name.as_ref() == "-" {
        return Err(RecordError::fixed("missing user name"));
    }
    if name.len() > MAX_USER {
        return Err(RecordError::fixed("user name longer than 320 bytes"));
    }
    if name.bytes().any(|b| b.is_ascii_control()) {
        return Err(RecordError::fixed("control character in user name"));
    }
    let name = fold(name);
    if let Some(i) = name.find('\\') {
        let (dom, user) = split_cow(name, i);
        return Ok((user, no_domain(dom)));
    }
    if let Some(i) = name.rfind('@') {
        let dom = match &name {
            Cow::Borrowed(b) => Cow::Borrowed(&b[i + 1..]),
            Cow::Owned(o) => Cow::Owned(o[i + 1..].to_owned()),
        };
        return Ok((name, dom));
    }
    let dom = no_domain(trim_cow(nt_domain));
    Ok((name, fold(bound(dom, MAX_USER))))
}

/// Windows writes `-` for "no domain" and `.` for "this computer" (a local
/// account, as in `.\administrator`): neither names an organisation.
fn no_domain(dom: Cow<'_, str>) -> Cow<'_, str> {
    if matches!(dom.as_ref(), "-" | ".") {
        Cow::Borrowed("")
    } else {
        dom
    }
}

fn trim_cow(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
        Cow::Owned(o) if o.trim().len() == o.len() => Cow::Owned(o),
        Cow::Owned(o) => Cow::Owned(o.trim().to_owned()),
    }
}

/// Split at the byte `i` (a one-byte separator): (before, after).
fn split_cow(s: Cow<'_, str>, i: usize) -> (Cow<'_, str>, Cow<'_, str>) {
    match s {
        Cow::Borrowed(b) => (Cow::Borrowed(&b[..i]), Cow::Borrowed(&b[i + 1..])),
        Cow::Owned(o) => (
            Cow::Owned(o[..i].to_owned()),
            Cow::Owned(o[i + 1..].to_owned()),
        ),
    }
}

/// Parse a source address. Empty and `-` are `None`; `::ffff:1.2.3.4` becomes
/// `1.2.3.4`; `[v6]:port` and `v4:port` lose the port
/// ([`haboob_model::parse_addr`], shared with the web parsers).
pub(crate) fn ip(s: &str) -> Result<Option<IpAddr>, RecordError> {
    let s = s.trim();
    if s.is_empty() || s == "-" {
        return Ok(None);
    }
    haboob_model::parse_addr(s)
        .map(Some)
        .ok_or(RecordError::fixed("bad source IP address"))
}

/// Map an Entra ID (AAD STS) result code to outcome and failure class.
pub(crate) fn entra_code(code: u64) -> (AuthOutcome, Option<FailureClass>) {
    use AuthOutcome::*;
    use FailureClass::*;
    match code {
        0 => (Success, None),
        50126 => (Failure, Some(BadPassword)),
        50034 => (Failure, Some(UnknownUser)),
        50053 => (Failure, Some(LockedOut)),
        50057 => (Failure, Some(Disabled)),
        50055 => (Failure, Some(Expired)),
        50074 | 50076 | 50079 => (Challenge, Some(MfaRequired)),
        500121 => (Failure, Some(MfaDenied)),
        _ => (Failure, Some(Other)),
    }
}

/// Parse a decimal result code given as text (`"50126"`).
pub(crate) fn code_text(s: &str) -> Result<u64, RecordError> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| RecordError::fixed("result code is not a number"))
}

/// Detach an event from the buffer it borrows (CSV records, EVTX records).
pub(crate) fn into_owned(ev: AuthEvent<'_>) -> AuthEvent<'static> {
    fn o(c: Cow<'_, str>) -> Cow<'static, str> {
        Cow::Owned(c.into_owned())
    }
    AuthEvent {
        ts: ev.ts,
        dataset: ev.dataset,
        source_ip: ev.source_ip,
        user: o(ev.user),
        domain: o(ev.domain),
        tenant: o(ev.tenant),
        host: o(ev.host),
        outcome: ev.outcome,
        failure: ev.failure,
        app: o(ev.app),
        client: o(ev.client),
        country: o(ev.country),
        asn: ev.asn,
        location: ev.location,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts() {
        let (u, d) = account("Alice@Contoso.COM".into(), "".into()).unwrap();
        assert_eq!(
            (u.as_ref(), d.as_ref()),
            ("alice@contoso.com", "contoso.com")
        );
        let (u, d) = account("CONTOSO\\alice".into(), "".into()).unwrap();
        assert_eq!((u.as_ref(), d.as_ref()), ("alice", "contoso"));
        let (u, d) = account("Bob".into(), "LAB".into()).unwrap();
        assert_eq!((u.as_ref(), d.as_ref()), ("bob", "lab"));
        let (u, d) = account("bob".into(), "-".into()).unwrap();
        assert_eq!((u.as_ref(), d.as_ref()), ("bob", ""));
        let (u, d) = account("bob".into(), ".".into()).unwrap();
        assert_eq!((u.as_ref(), d.as_ref()), ("bob", ""));
        let (u, d) = account(".\\Administrator".into(), "LAB".into()).unwrap();
        assert_eq!((u.as_ref(), d.as_ref()), ("administrator", ""));
        let (u, d) = account("bob".into(), " . ".into()).unwrap();
        assert_eq!((u.as_ref(), d.as_ref()), ("bob", ""));
        assert!(matches!(
            account("alice".into(), "".into()).unwrap().0,
            Cow::Borrowed(_)
        ));
        assert_eq!(
            account("".into(), "".into()).unwrap_err().reason,
            "missing user name"
        );
        assert_eq!(
            account("-".into(), "".into()).unwrap_err().reason,
            "missing user name"
        );
        let long = "a".repeat(400);
        assert_eq!(
            account(long.as_str().into(), "".into()).unwrap_err().reason,
            "user name longer than 320 bytes"
        );
    }

    #[test]
    fn addresses() {
        assert_eq!(
            ip("::ffff:10.0.0.5").unwrap(),
            Some("10.0.0.5".parse().unwrap())
        );
        assert_eq!(ip("::1").unwrap(), Some("::1".parse().unwrap()));
        assert_eq!(ip("127.0.0.1").unwrap(), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(ip("-").unwrap(), None);
        assert_eq!(ip("").unwrap(), None);
        assert_eq!(
            ip("1.2.3.4:5555").unwrap(),
            Some("1.2.3.4".parse().unwrap())
        );
        assert_eq!(
            ip("[2a01:110:8068:7::1]:36185").unwrap(),
            Some("2a01:110:8068:7::1".parse().unwrap())
        );
        assert_eq!(ip("1.2.3.999").unwrap_err().reason, "bad source IP address");
        assert_eq!(ip("localhost").unwrap_err().reason, "bad source IP address");
    }

    #[test]
    fn entra_codes() {
        use AuthOutcome::*;
        use FailureClass::*;
        let table = [
            (0, Success, None),
            (50126, Failure, Some(BadPassword)),
            (50034, Failure, Some(UnknownUser)),
            (50053, Failure, Some(LockedOut)),
            (50057, Failure, Some(Disabled)),
            (50055, Failure, Some(Expired)),
            (50074, Challenge, Some(MfaRequired)),
            (50076, Challenge, Some(MfaRequired)),
            (50079, Challenge, Some(MfaRequired)),
            (500121, Failure, Some(MfaDenied)),
            (16000, Failure, Some(Other)),
            (50058, Failure, Some(Other)),
        ];
        for (code, o, f) in table {
            assert_eq!(entra_code(code), (o, f), "code {code}");
        }
    }

    #[test]
    fn folding_and_bounds() {
        assert!(matches!(fold("abc".into()), Cow::Borrowed("abc")));
        assert_eq!(fold("ÄBC".into()), "äbc");
        assert_eq!(bound("héllo".into(), 2), "h");
        assert_eq!(bound("hello".into(), 10), "hello");
    }
}
