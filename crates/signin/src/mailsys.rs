//! Courier, Cyrus, Sendmail and Dropbear messages in syslog (the table of
//! messages and outcomes is in [`crate::mail`]).

use crate::mail::auth;
use crate::norm::ip;
use haboob_model::FailureClass::*;
use haboob_model::{AuthOutcome, Parsed, RecordError, Ts};
use std::net::IpAddr;
use AuthOutcome::*;

/// Courier and Cyrus IMAP/POP3 servers (they share program names).
pub(crate) fn imap_pop<'a>(ts: Ts, prog: &str, msg: &'a str) -> Result<Parsed<'a>, RecordError> {
    let app = if prog.contains("pop3") {
        "pop3"
    } else {
        "imap"
    };
    if let Some(r) = msg.strip_prefix("LOGIN FAILED, ") {
        return courier(ts, app, r, Failure);
    }
    if let Some(r) = msg.strip_prefix("LOGIN, ") {
        return courier(ts, app, r, Success);
    }
    if let Some(r) = msg.strip_prefix("badlogin: ") {
        return cyrus_badlogin(ts, app, r);
    }
    if let Some(r) = msg.strip_prefix("login: ") {
        return cyrus_login(ts, app, r);
    }
    Ok(Parsed::Directive)
}

fn courier<'a>(
    ts: Ts,
    app: &'static str,
    r: &'a str,
    outcome: AuthOutcome,
) -> Result<Parsed<'a>, RecordError> {
    const DS: &str = "auth.courier";
    let field = |key: &str| -> Option<&str> { r.split(", ").find_map(|kv| kv.strip_prefix(key)) };
    let user = field("user=").unwrap_or("");
    let addr = field("ip=").map_or("", |a| a.trim_start_matches('[').trim_end_matches(']'));
    let failure = (outcome == Failure).then_some(BadPassword);
    auth(ts, DS, app, user, ip(addr)?, outcome, failure)
}

/// `[host ][IP] mech [user ][SASL(-13): …]` → (IP, rest after the address).
fn cyrus_addr(r: &str) -> Result<(Option<IpAddr>, &str), RecordError> {
    let (_, a) = r
        .split_once('[')
        .ok_or(RecordError::fixed("Cyrus login line without address"))?;
    let (addr, rest) = a
        .split_once(']')
        .ok_or(RecordError::fixed("Cyrus login line without address"))?;
    Ok((ip(addr)?, rest.trim_start()))
}

fn cyrus_badlogin<'a>(ts: Ts, app: &'static str, r: &'a str) -> Result<Parsed<'a>, RecordError> {
    const DS: &str = "auth.cyrus";
    let (addr, rest) = cyrus_addr(r)?;
    // `mech user SASL(-13): …` or `mech [SASL(-13): …]` (no user).
    let (_mech, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let user = if rest.starts_with('[') || rest.starts_with("SASL(") {
        ""
    } else {
        // Some builds write the name in parentheses: `(user@domain)`.
        let u = rest.split(' ').next().unwrap_or("");
        u.strip_prefix('(')
            .and_then(|u| u.strip_suffix(')'))
            .unwrap_or(u)
    };
    let class = if rest.contains("user not found") {
        UnknownUser
    } else {
        BadPassword
    };
    auth(ts, DS, app, user, addr, Failure, Some(class))
}

fn cyrus_login<'a>(ts: Ts, app: &'static str, r: &'a str) -> Result<Parsed<'a>, RecordError> {
    if !r.contains("User logged in") {
        return Ok(Parsed::Directive);
    }
    let (addr, rest) = cyrus_addr(r)?;
    let user = rest.split(' ').next().unwrap_or("");
    auth(ts, "auth.cyrus", app, user, addr, Success, None)
}

/// `courieresmtpd: error,relay=IP,msg="535 Authentication failed.",…`.
pub(crate) fn courier_esmtpd(ts: Ts, msg: &str) -> Result<Parsed<'_>, RecordError> {
    let Some(r) = msg.strip_prefix("error,relay=") else {
        return Ok(Parsed::Directive);
    };
    if !r.contains("msg=\"535 ") {
        return Ok(Parsed::Directive);
    }
    let addr = r.split(',').next().unwrap_or("");
    auth(
        ts,
        "auth.courier",
        "smtp",
        "",
        ip(addr)?,
        Failure,
        Some(BadPassword),
    )
}

/// Sendmail `sm-mta` / `sendmail`: SASL results.
pub(crate) fn sendmail(ts: Ts, msg: &str) -> Result<Parsed<'_>, RecordError> {
    const DS: &str = "auth.sendmail";
    // `qid: text`
    let text = msg.split_once(": ").map_or(msg, |(_, t)| t);
    // Sendmail appends `, relay=host [IP]` last: a user name containing
    // `, relay=[…]` cannot choose the address.
    let relay = |s: &str| -> Result<(usize, Option<IpAddr>), RecordError> {
        let (head, rel) = s
            .rsplit_once("relay=")
            .ok_or(RecordError::fixed("sendmail AUTH line without relay"))?;
        let (_, a) = rel.split_once('[').ok_or(RecordError::fixed(
            "sendmail AUTH line without relay address",
        ))?;
        Ok((head.len(), ip(a.split(']').next().unwrap_or(a))?))
    };
    if let Some(r) = text.strip_prefix("AUTH failure (") {
        let (end, addr) = relay(r)?;
        let head = r[..end].strip_suffix(", ").unwrap_or(&r[..end]);
        let user = head.split_once(", user=").map_or("", |(_, u)| u);
        let class = if r.contains("user not found") {
            UnknownUser
        } else if r.contains("authentication failure") {
            BadPassword
        } else {
            Other
        };
        return auth(ts, DS, "smtp", user, addr, Failure, Some(class));
    }
    if let Some(r) = text.strip_prefix("AUTH=server, ") {
        let user = r
            .split(", ")
            .find_map(|kv| kv.strip_prefix("authid="))
            .unwrap_or("");
        return auth(ts, DS, "smtp", user, relay(r)?.1, Success, None);
    }
    Ok(Parsed::Directive)
}

/// Dropbear SSH server.
pub(crate) fn dropbear(ts: Ts, msg: &str) -> Result<Parsed<'_>, RecordError> {
    const DS: &str = "auth.dropbear";
    // Some builds repeat `[pid] Mmm dd HH:MM:SS ` in the message.
    let msg = match msg.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        Some((pid, r)) if pid.bytes().all(|c| c.is_ascii_digit()) && r.len() > 16 => &r[16..],
        _ => msg,
    };
    fn quoted(s: &str) -> Option<(&str, &str)> {
        s.strip_prefix('\'')?.rsplit_once("' ")
    }
    let from = |s: &str| -> Result<Option<IpAddr>, RecordError> {
        let (_, a) = s
            .rsplit_once("from ")
            .ok_or(RecordError::fixed("Dropbear line without source"))?;
        ip(a.trim())
    };
    let lower = msg.get(..1).map(str::to_ascii_lowercase);
    let tail = &msg[msg.len().min(1)..];
    let l = |p: &str| lower.as_deref() == Some(&p[..1]) && tail.starts_with(&p[1..]);
    if l("bad password attempt for ") {
        let r = &tail["ad password attempt for ".len()..];
        let (user, rest) = quoted(r).ok_or(RecordError::fixed("Dropbear line without user"))?;
        return auth(ts, DS, "ssh", user, from(rest)?, Failure, Some(BadPassword));
    }
    if l("login attempt for nonexistent user") {
        let r = tail["ogin attempt for nonexistent user".len()..].trim_start();
        let user = quoted(r).map_or("", |(u, _)| u);
        return auth(ts, DS, "ssh", user, from(r)?, Failure, Some(UnknownUser));
    }
    for p in ["Password auth succeeded for ", "Pubkey auth succeeded for "] {
        if let Some(r) = msg.strip_prefix(p) {
            let (user, rest) = quoted(r).ok_or(RecordError::fixed("Dropbear line without user"))?;
            return auth(ts, DS, "ssh", user, from(rest)?, Success, None);
        }
    }
    Ok(Parsed::Directive)
}
