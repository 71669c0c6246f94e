//! Samba authentication audit (`log level = 1 auth_audit:3`), read by
//! [`crate::SyslogParser`] from `log.samba` / `log.smbd` or from syslog
//! (`smbd`, `samba`, `winbindd`).
//!
//! `Auth: [service,desc] user [DOM]\[U] at [Thu, 01 Dec 2022 10:55:19.932501 UTC] with [NTLMv2] status [S] workstation [W] remote host [ipv4:IP:port] …`
//!
//! | status | outcome / class |
//! |--------|-----------------|
//! | `NT_STATUS_OK` | success (directive when the user is empty: anonymous) |
//! | `NT_STATUS_NO_SUCH_USER` | failure, unknown user |
//! | `NT_STATUS_WRONG_PASSWORD`, `NT_STATUS_LOGON_FAILURE` | failure, bad password |
//! | `NT_STATUS_ACCOUNT_LOCKED_OUT` | failure, locked |
//! | `NT_STATUS_ACCOUNT_DISABLED` | failure, disabled |
//! | `NT_STATUS_PASSWORD_EXPIRED`, `NT_STATUS_ACCOUNT_EXPIRED`, `NT_STATUS_PASSWORD_MUST_CHANGE` | failure, expired |
//! | any other | failure, other |
//!
//! The time is the `at [...]` stamp; its zone name is ignored (local time
//! read as UTC, as syslog's). In `log.samba` the record header line
//! (`[2022/12/01 10:55:19.932513,  2] ../../auth/auth_log.c:…`) and the
//! `Successful AuthZ` / `JSON Authorization` bodies are directives (indented
//! bodies of other messages are not claimed).
//!
//! The JSON form (`auth_json_audit`: `JSON Authentication: {"timestamp": …,
//! "type": "Authentication", "Authentication": {"status": S,
//! "remoteAddress": "ipv4:IP:port", "serviceDescription": "SMB2",
//! "clientDomain": D, "clientAccount": U, …}}`, in `log.samba`, in syslog, or
//! the bare object on an indented line) is read the same way, its time from
//! `timestamp` (with its zone). When both audits are on, Samba writes the
//! JSON record of an attempt right after its human-readable line: a JSON
//! record with the same user, address, service and status as the Samba
//! event just before it is that attempt again, a directive (see
//! [`crate::SyslogParser`]), so an attempt counts once. App:
//! `smb` (SMB, SMB2), `ldap`, `netlogon` (SamLogon), `kerberos`, else
//! `samba`; dataset `auth.samba`.

use crate::mail::auth_in;
use crate::norm::{account, ip};
use haboob_model::{AuthEvent, AuthOutcome, EventRef, FailureClass, Parsed, RecordError, Ts};
use serde::Deserialize;
use std::borrow::Cow;
use std::net::IpAddr;
use AuthOutcome::*;
use FailureClass::*;

/// Dataset of Samba events.
pub(crate) const DS: &str = "auth.samba";

/// A `log.samba` line: `None` when not in its shape.
pub(crate) fn samba_file(line: &str) -> Option<Result<Parsed<'_>, RecordError>> {
    let b = line.as_bytes();
    if b.len() > 21
        && b[0] == b'['
        && b[5] == b'/'
        && b[8] == b'/'
        && b[11] == b' '
        && b[14] == b':'
    {
        return Some(Ok(Parsed::Directive));
    }
    let body = line.strip_prefix("  ")?;
    // Only the audit bodies: other indented text is not claimed.
    [
        "Auth: [",
        "Successful AuthZ: [",
        "JSON Authentication: ",
        "JSON Authorization: ",
        "{\"timestamp\": ",
    ]
    .iter()
    .any(|p| body.starts_with(p))
    .then(|| samba(body))
}

fn bracket<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let (_, r) = s.split_once(key)?;
    let r = r.strip_prefix('[')?;
    Some(r.split_once(']')?.0)
}

/// `ipv4:1.2.3.4:port`, `ipv6:fe80::1%eth0:port` → address.
fn samba_addr(s: &str) -> Result<Option<IpAddr>, RecordError> {
    let a = if let Some(r) = s.strip_prefix("ipv4:") {
        r.rsplit_once(':').map_or(r, |(a, _)| a)
    } else if let Some(r) = s.strip_prefix("ipv6:") {
        let a = r.rsplit_once(':').map_or(r, |(a, _)| a);
        a.split('%').next().unwrap_or(a)
    } else {
        return Ok(None);
    };
    ip(a)
}

/// `Thu, 01 Dec 2022 10:55:19.932501 UTC` → time (zone name ignored).
fn at_time(s: &str) -> Result<Ts, RecordError> {
    let bad = || RecordError::fixed("bad time: Samba audit stamp");
    let s = s.split_once(", ").map_or(s, |(_, r)| r);
    let mut it = s.split(' ');
    let (Some(d), Some(mon), Some(y), Some(hms)) = (it.next(), it.next(), it.next(), it.next())
    else {
        return Err(bad());
    };
    let hms = hms.split('.').next().unwrap_or(hms);
    let clf = format!("{d:0>2}/{mon}/{y}:{hms} +0000");
    Ts::parse_clf(&clf).map_err(|e| RecordError::new(format!("bad time: {e}")))
}

/// A Samba log message (file body line without indentation, or syslog text).
pub(crate) fn samba(msg: &str) -> Result<Parsed<'_>, RecordError> {
    let msg = msg.trim_start();
    if let Some(j) = msg.strip_prefix("JSON Authentication: ") {
        return samba_json(j);
    }
    if msg.starts_with("{\"timestamp\": ") {
        return samba_json(msg);
    }
    let Some(r) = msg.strip_prefix("Auth: [") else {
        return Ok(Parsed::Directive);
    };
    let (service, r) = r
        .split_once(']')
        .ok_or(RecordError::fixed("Samba audit line without service"))?;
    let app = app(service.split(',').next().unwrap_or(""));
    // `user [DOM]\[U]`
    let (_, u) = r
        .split_once(" user [")
        .ok_or(RecordError::fixed("Samba audit line without user"))?;
    let (dom, u) = u
        .split_once("]\\[")
        .ok_or(RecordError::fixed("Samba audit line without user"))?;
    let (user, r) = u
        .split_once("] at [")
        .ok_or(RecordError::fixed("Samba audit line without time"))?;
    let (stamp, r) = r
        .split_once(']')
        .ok_or(RecordError::fixed("Samba audit line without time"))?;
    let ts = at_time(stamp)?;
    let dom = if dom == "(null)" { "" } else { dom };
    let status =
        bracket(r, " status ").ok_or(RecordError::fixed("Samba audit line without status"))?;
    let addr = samba_addr(bracket(r, " remote host ").unwrap_or(""))?;
    if status == "NT_STATUS_OK" && user.is_empty() {
        return Ok(Parsed::Directive);
    }
    let (outcome, failure) = status_class(status);
    auth_in(ts, DS, app, (user, dom), addr, outcome, failure)
}

/// The app of a Samba service description.
fn app(service: &str) -> &'static str {
    match service {
        "SMB" | "SMB2" => "smb",
        "LDAP" => "ldap",
        "SamLogon" => "netlogon",
        s if s.starts_with("Kerberos") => "kerberos",
        _ => "samba",
    }
}

/// Outcome and failure class of an NT status.
fn status_class(status: &str) -> (AuthOutcome, Option<FailureClass>) {
    match status {
        "NT_STATUS_OK" => (Success, None),
        "NT_STATUS_NO_SUCH_USER" => (Failure, Some(UnknownUser)),
        "NT_STATUS_WRONG_PASSWORD" | "NT_STATUS_LOGON_FAILURE" => (Failure, Some(BadPassword)),
        "NT_STATUS_ACCOUNT_LOCKED_OUT" => (Failure, Some(LockedOut)),
        "NT_STATUS_ACCOUNT_DISABLED" => (Failure, Some(Disabled)),
        "NT_STATUS_PASSWORD_EXPIRED"
        | "NT_STATUS_ACCOUNT_EXPIRED"
        | "NT_STATUS_PASSWORD_MUST_CHANGE" => (Failure, Some(Expired)),
        _ => (Failure, Some(Other)),
    }
}

/// A JSON audit record (`auth_json_audit`); other fields are ignored.
#[derive(Deserialize)]
struct AuditJson<'a> {
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type", default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "Authentication", default)]
    auth: Option<AuthJson<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthJson<'a> {
    #[serde(borrow, default)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    remote_address: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    service_description: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    client_domain: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    client_account: Option<Cow<'a, str>>,
}

/// `{"timestamp": …, "type": "Authentication", "Authentication": {…}}`.
fn samba_json(j: &str) -> Result<Parsed<'_>, RecordError> {
    let rec: AuditJson<'_> = serde_json::from_str(j.trim_end())
        .map_err(|e| RecordError::new(format!("bad Samba JSON audit record: {e}")))?;
    if rec.kind.as_deref() != Some("Authentication") {
        return Ok(Parsed::Directive);
    }
    let a = rec.auth.ok_or(RecordError::fixed(
        "Samba JSON audit without Authentication object",
    ))?;
    let status = a
        .status
        .ok_or(RecordError::fixed("Samba JSON audit without status"))?;
    let stamp = rec
        .timestamp
        .ok_or(RecordError::fixed("Samba JSON audit without timestamp"))?;
    let ts = Ts::parse_rfc3339(&stamp).map_err(|e| RecordError::new(format!("bad time: {e}")))?;
    let user = a.client_account.unwrap_or(Cow::Borrowed(""));
    if status == "NT_STATUS_OK" && user.trim().is_empty() {
        return Ok(Parsed::Directive);
    }
    let addr = match a.remote_address.as_deref() {
        Some(r) => samba_addr(r)?,
        None => None,
    };
    let app = app(a.service_description.as_deref().unwrap_or(""));
    let (outcome, failure) = status_class(&status);
    let (user, domain) = if user.trim().is_empty() {
        (Cow::Borrowed(""), Cow::Borrowed(""))
    } else {
        let dom = a.client_domain.unwrap_or(Cow::Borrowed(""));
        let dom = if dom == "(null)" {
            Cow::Borrowed("")
        } else {
            dom
        };
        account(user, dom)?
    };
    Ok(Parsed::Event(EventRef::Auth(AuthEvent {
        source_ip: addr,
        user,
        domain,
        failure,
        app: Cow::Borrowed(app),
        ..AuthEvent::empty(ts, DS, outcome)
    })))
}

/// Is `line` a JSON audit record (rather than an `Auth:` line)?
fn is_json_record(line: &str) -> bool {
    memchr::memmem::find(line.as_bytes(), b"JSON Authentication: ").is_some()
        || line.trim_start().starts_with('{')
}

/// What identifies one attempt in both audit forms (not the time: the
/// human-readable stamp is local time, the JSON one has its zone).
fn attempt_key(e: &AuthEvent<'_>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        &e.user,
        &e.domain,
        e.source_ip,
        &e.app,
        e.outcome,
        e.failure,
    )
        .hash(&mut h);
    h.finish()
}

/// Both audit forms of one attempt count once: a JSON record repeating the
/// Samba event read just before it (`last`) becomes a directive.
pub(crate) fn dedup<'a>(
    last: &mut Option<u64>,
    line: &str,
    r: Result<Parsed<'a>, RecordError>,
) -> Result<Parsed<'a>, RecordError> {
    let Ok(Parsed::Event(EventRef::Auth(e))) = &r else {
        return r;
    };
    if e.dataset != DS {
        return r;
    }
    let key = attempt_key(e);
    if !is_json_record(line) {
        *last = Some(key);
    } else if last.take() == Some(key) {
        return Ok(Parsed::Directive);
    }
    r
}
