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
//! bodies of other messages are not claimed); the JSON form
//! (`JSON Authentication: {…}`, `auth_json_audit`) is rejected with a reason,
//! since the human-readable line of the same attempt is the one read. App:
//! `smb` (SMB, SMB2), `ldap`, `netlogon` (SamLogon), `kerberos`, else
//! `samba`; dataset `auth.samba`.

use crate::mail::auth_in;
use crate::norm::ip;
use haboob_model::{AuthOutcome, FailureClass, Parsed, RecordError, Ts};
use std::net::IpAddr;
use AuthOutcome::*;
use FailureClass::*;

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
    const DS: &str = "auth.samba";
    let msg = msg.trim_start();
    if msg.starts_with("JSON Authentication: ") {
        return Err(RecordError::fixed(
            "Samba JSON authentication audit is not read (the auth_audit line of the same attempt is)",
        ));
    }
    let Some(r) = msg.strip_prefix("Auth: [") else {
        return Ok(Parsed::Directive);
    };
    let (service, r) = r
        .split_once(']')
        .ok_or(RecordError::fixed("Samba audit line without service"))?;
    let app = match service.split(',').next().unwrap_or("") {
        "SMB" | "SMB2" => "smb",
        "LDAP" => "ldap",
        "SamLogon" => "netlogon",
        s if s.starts_with("Kerberos") => "kerberos",
        _ => "samba",
    };
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
    let (outcome, failure) = match status {
        "NT_STATUS_OK" if user.is_empty() => return Ok(Parsed::Directive),
        "NT_STATUS_OK" => (Success, None),
        "NT_STATUS_NO_SUCH_USER" => (Failure, Some(UnknownUser)),
        "NT_STATUS_WRONG_PASSWORD" | "NT_STATUS_LOGON_FAILURE" => (Failure, Some(BadPassword)),
        "NT_STATUS_ACCOUNT_LOCKED_OUT" => (Failure, Some(LockedOut)),
        "NT_STATUS_ACCOUNT_DISABLED" => (Failure, Some(Disabled)),
        "NT_STATUS_PASSWORD_EXPIRED"
        | "NT_STATUS_ACCOUNT_EXPIRED"
        | "NT_STATUS_PASSWORD_MUST_CHANGE" => (Failure, Some(Expired)),
        _ => (Failure, Some(Other)),
    };
    auth_in(ts, DS, app, (user, dom), addr, outcome, failure)
}
