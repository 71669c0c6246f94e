//! Webmail sign-ins: Roundcube, SOGo, Horde, read by [`crate::SyslogParser`]
//! from syslog or (Roundcube `logs/errors` / `logs/userlogins`, Horde's
//! file log) from their own files.
//!
//! | program | message | outcome / class |
//! |---------|---------|-----------------|
//! | `roundcube`, or a Roundcube file line `[DD-Mon-YYYY HH:MM:SS ±zzzz]: [<sess>] msg` | `IMAP Error: Login failed for U [against H ]from IP[(proxy headers)]. …` | failure, bad password |
//! | | `FAILED login for U from IP`, `Failed login for U from IP in session …` | failure, bad password |
//! | | `Successful login for U (ID: n) from IP in session …` | success |
//! | `sogod` | `SOGoRootPage Login from 'IP[, proxy]' for user 'U' might not have worked …` | failure, bad password |
//! | | `SOGoRootPage successful login from 'IP' for user 'U' …` | success |
//! | `HORDE` (file log), `horde` (syslog) | `[app] FAILED LOGIN for U [IP] to …` | failure, bad password |
//! | | `[app] Login success for U [IP] to …` | success |
//!
//! The address is the peer the webmail saw (Roundcube's first address, SOGo's
//! first entry): behind a reverse proxy that is the proxy unless the proxy
//! passes the client address on. The user is everything between `for ` and the
//! last ` from <address>` that precedes the server's reply text, so a name that
//! itself contains ` from 127.0.0.1` (an injection attempt) stays part of the
//! name and cannot choose the address. Other messages are directives.
//! Datasets `auth.roundcube`, `auth.sogo`, `auth.horde`; app `webmail`.

use crate::mail::auth;
use crate::norm::ip;
use haboob_model::{AuthOutcome, FailureClass, Parsed, RecordError, Ts};
use std::net::IpAddr;
use AuthOutcome::*;
use FailureClass::*;

const APP: &str = "webmail";

/// `[22-Jan-2013 22:28:21 +0200]: msg` (a Roundcube log file line).
pub(crate) fn roundcube_file(line: &str) -> Option<Result<Parsed<'_>, RecordError>> {
    let b = line.as_bytes();
    if b.len() < 30 || b[0] != b'[' || b[3] != b'-' || b[7] != b'-' || b[12] != b' ' {
        return None;
    }
    let (stamp, msg) = line[1..].split_once("]: ")?;
    let clf = stamp.replacen('-', "/", 2).replacen(' ', ":", 1);
    let ts = match Ts::parse_clf(&clf) {
        Ok(ts) => ts,
        Err(e) => return Some(Err(RecordError::new(format!("bad time: {e}")))),
    };
    Some(roundcube(ts, msg))
}

/// The address starting `s` (up to `.`+space, space, `(`, or the end).
fn leading_ip(s: &str) -> Option<&str> {
    let end = s.find([' ', '(', ',']).unwrap_or(s.len());
    let a = &s[..end];
    let a = a.strip_suffix('.').unwrap_or(a);
    a.parse::<IpAddr>().is_ok().then_some(a)
}

/// `U [against H ]from IP…` → (U, IP), taking the last ` from IP` before the
/// reply text (`. ` followed by an upper-case word) or the end.
fn user_from_ip(r: &str) -> Result<(&str, Option<IpAddr>), RecordError> {
    let head_end = r
        .match_indices(". ")
        .find(|(i, _)| r[i + 2..].starts_with(|c: char| c.is_ascii_uppercase()))
        .map_or(r.len(), |(i, _)| i + 1);
    let head = &r[..head_end];
    let (at, addr) = head
        .match_indices(" from ")
        .filter_map(|(i, _)| leading_ip(&head[i + 6..]).map(|a| (i, a)))
        .last()
        .ok_or(RecordError::fixed(
            "webmail login line without source address",
        ))?;
    let user = &r[..at];
    let user = user.rsplit_once(" against ").map_or(user, |(u, _)| u);
    Ok((user, ip(addr)?))
}

/// Roundcube message (file or syslog `roundcube:`).
pub(crate) fn roundcube(ts: Ts, msg: &str) -> Result<Parsed<'_>, RecordError> {
    const DS: &str = "auth.roundcube";
    // Optional `<session> ` prefix.
    let msg = match msg.strip_prefix('<').and_then(|r| r.split_once("> ")) {
        Some((_, r)) => r,
        None => msg,
    };
    for p in [
        "IMAP Error: Login failed for ",
        "FAILED login for ",
        "Failed login for ",
    ] {
        if let Some(r) = msg.strip_prefix(p) {
            let r = r.split_once(" in session ").map_or(r, |(h, _)| h);
            let (user, addr) = user_from_ip(r)?;
            return auth(ts, DS, APP, user, addr, Failure, Some(BadPassword));
        }
    }
    if let Some(r) = msg.strip_prefix("Successful login for ") {
        let r = r.split_once(" in session ").map_or(r, |(h, _)| h);
        let (user, addr) = user_from_ip(r)?;
        let user = user.split_once(" (ID: ").map_or(user, |(u, _)| u);
        return auth(ts, DS, APP, user, addr, Success, None);
    }
    Ok(Parsed::Directive)
}

/// SOGo (`sogod`).
pub(crate) fn sogo(ts: Ts, msg: &str) -> Result<Parsed<'_>, RecordError> {
    const DS: &str = "auth.sogo";
    let (outcome, r) = if let Some(r) = msg.strip_prefix("SOGoRootPage Login from '") {
        if !r.contains("might not have worked") {
            return Ok(Parsed::Directive);
        }
        (Failure, r)
    } else if let Some(r) = msg.strip_prefix("SOGoRootPage successful login from '") {
        (Success, r)
    } else {
        return Ok(Parsed::Directive);
    };
    let (addrs, rest) = r
        .split_once("' for user '")
        .ok_or(RecordError::fixed("SOGo login line without user"))?;
    let (user, _) = rest
        .rsplit_once('\'')
        .ok_or(RecordError::fixed("SOGo login line without user"))?;
    let addr = addrs.split(',').next().unwrap_or("");
    let failure = (outcome == Failure).then_some(BadPassword);
    auth(ts, DS, APP, user, ip(addr)?, outcome, failure)
}

/// Horde: `[error] [app] FAILED LOGIN for U [IP] to …` (file log, after
/// `HORDE `) or `[app] …` (syslog `horde:`).
pub(crate) fn horde(ts: Ts, msg: &str) -> Result<Parsed<'_>, RecordError> {
    const DS: &str = "auth.horde";
    let mut r = msg;
    // Skip up to two `[level] [app] ` tags.
    for _ in 0..2 {
        if let Some((_, rest)) = r.strip_prefix('[').and_then(|x| x.split_once("] ")) {
            r = rest;
        }
    }
    let (outcome, r) = if let Some(r) = r.strip_prefix("FAILED LOGIN for ") {
        (Failure, r)
    } else if let Some(r) = r.strip_prefix("Login success for ") {
        (Success, r)
    } else {
        return Ok(Parsed::Directive);
    };
    // `U [IP] to …`: the first ` [IP]` after the name.
    let (user, addr) = r
        .match_indices(" [")
        .find_map(|(i, _)| {
            let a = r[i + 2..].split(']').next()?;
            a.parse::<IpAddr>().is_ok().then(|| (&r[..i], a))
        })
        .ok_or(RecordError::fixed(
            "Horde login line without source address",
        ))?;
    let failure = (outcome == Failure).then_some(BadPassword);
    auth(ts, DS, APP, user, ip(addr)?, outcome, failure)
}
