//! LiteSpeed error logs (OpenLiteSpeed and LiteSpeed Web Server), read by
//! the `error-log` parser beside nginx's and Apache's.
//!
//! The server writes `YYYY-MM-DD HH:MM:SS.ffffff [LEVEL] MESSAGE` (its
//! pattern `%d [%p] %m`, LEVEL one of `FATAL`, `ALERT`, `CRIT`, `ERROR`,
//! `WARN`, `NOTICE`, `INFO`, `DEBUG`, `TRACE`); messages about a connection
//! start with `[pid]` and the connection,
//! `[ADDR:PORT[:H2][-stream][-n][>CLIENT]#vhost]` (`>CLIENT` when the client
//! came from a trusted proxy's header).
//! Its stderr log writes `YYYY-MM-DD HH:MM:SS.mmm [STDERR] MESSAGE`; the
//! WebAdmin console's PHP writes there, and the server copies those lines
//! into the error log at NOTICE with the connection first.
//!
//! Events:
//! - `[WebAdmin Console] Failed Login Attempt - username:U ip:IP url:URL`:
//!   a failed sign-in to the server's admin console
//!   (`auth.litespeed_admin`, app `litespeed webadmin`; the console does
//!   not say whether the name exists), from `ip:` (the console's
//!   `REMOTE_ADDR`), else from the connection;
//! - `[ACL] Access to context [/p/] is denied!` and `[ACL] Access to virtual
//!   host [v] is denied.`: an access rule refused the client, a firewall
//!   event (engine `litespeed`, blocked) as Apache's `client denied by
//!   server configuration` is; the path is the context's.
//!
//! Every other line of this layout is read and counted as parsed
//! (`Parsed::Directive`). Times are local without a zone, taken as UTC.

use crate::errorlog::lower;
use crate::text::parse_ip;
use haboob_model::{
    AuthEvent, AuthOutcome, EventRef, FailureClass, Parsed, RecordError, Ts, WafEvent,
};
use std::borrow::Cow;
use std::net::IpAddr;

const LEVELS: [&str; 10] = [
    "FATAL", "ALERT", "CRIT", "ERROR", "WARN", "NOTICE", "INFO", "DEBUG", "TRACE", "STDERR",
];

/// `YYYY-MM-DD HH:MM:SS.f… [`: the start of a LiteSpeed error-log line.
pub(crate) fn shape(b: &[u8]) -> bool {
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() < 24
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
        || !(digits(0..4) && digits(5..7) && digits(8..10))
        || !(digits(11..13) && digits(14..16) && digits(17..19))
    {
        return false;
    }
    let frac = b[20..].iter().take_while(|c| c.is_ascii_digit()).count();
    (1..=9).contains(&frac) && b[20 + frac..].starts_with(b" [")
}

/// One line of [`shape`]: an event, or a directive for any other message.
pub(crate) fn parse(line: &str) -> Result<Parsed<'_>, RecordError> {
    let b = line.as_bytes();
    let num = |r: std::ops::Range<usize>| -> u32 {
        // `shape` checked these are digits.
        line[r].parse().unwrap_or(0)
    };
    let frac = b[20..].iter().take_while(|c| c.is_ascii_digit()).count();
    let ms = match frac {
        1 => num(20..21) * 100,
        2 => num(20..22) * 10,
        _ => num(20..23),
    };
    let ts = Ts::from_civil(
        i64::from(num(0..4)),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
        ms,
    )
    .map_err(|e| RecordError::new(format!("bad LiteSpeed error-log time: {e}")))?;
    let rest = &line[22 + frac..];
    let (level, rest) = rest
        .split_once("] ")
        .or_else(|| rest.strip_suffix(']').map(|l| (l, "")))
        .ok_or(RecordError::fixed(
            "unterminated [level] in LiteSpeed error log",
        ))?;
    if !LEVELS.contains(&level) {
        return Err(RecordError::fixed("unknown LiteSpeed error-log level"));
    }
    let (client, site, msg) = connection(rest);
    let msg = msg.strip_prefix("[STDERR] ").unwrap_or(msg);
    if let Some(r) = msg.strip_prefix("[WebAdmin Console] Failed Login Attempt - username:") {
        let (user, ip) = admin_failure(r);
        let Some(ip) = ip.or(client) else {
            return Ok(Parsed::Directive);
        };
        return Ok(Parsed::Event(EventRef::Auth(AuthEvent {
            source_ip: Some(ip),
            user: lower(user),
            failure: Some(FailureClass::Other),
            app: Cow::Borrowed("litespeed webadmin"),
            ..AuthEvent::empty(ts, "auth.litespeed_admin", AuthOutcome::Failure)
        })));
    }
    if let (Some(r), Some(source_ip)) = (msg.strip_prefix("[ACL] Access to "), client) {
        let (what, path) = if let Some(p) = r.strip_prefix("context [") {
            (
                "access to context denied",
                p.split_once(']').map_or("", |(p, _)| p),
            )
        } else if r.starts_with("virtual host [") {
            ("access to virtual host denied", "")
        } else {
            return Ok(Parsed::Directive);
        };
        return Ok(Parsed::Event(EventRef::Waf(WafEvent {
            ts,
            source_ip,
            site,
            method: "",
            path,
            engine: "litespeed",
            rule: "",
            message: what,
            blocked: true,
        })));
    }
    Ok(Parsed::Directive)
}

/// The message's leading `[pid] [connection] ` parts: the connection's
/// client address and virtual host (when there is a connection, `""` for
/// no host) and the rest.
fn connection(rest: &str) -> (Option<IpAddr>, &str, &str) {
    let rest = match rest.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        Some((pid, r)) if !pid.is_empty() && pid.bytes().all(|c| c.is_ascii_digit()) => r,
        _ => rest,
    };
    if let Some((conn, r)) = rest.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        let (id, vhost) = conn.split_once('#').unwrap_or((conn, ""));
        let client = conn_addr(id);
        if conn.contains('#') || client.is_some() {
            return (client, vhost, r);
        }
    }
    (None, "", rest)
}

/// The client address of a connection id (the server's
/// `ADDR:PORT[:H2][-stream][-requests][>CLIENT]`, without its `#vhost`):
/// `CLIENT` when the server took the client from a trusted proxy's header,
/// else `ADDR`, whose last `:` part is always the port
/// (`2001:db8::1:443-2` is `2001:db8::1`).
fn conn_addr(c: &str) -> Option<IpAddr> {
    let (c, peer) = c.split_once('>').unwrap_or((c, ""));
    if let Some(ip) = parse_ip(peer, false) {
        return Some(ip);
    }
    let c = c.split('-').next().unwrap_or(c);
    let c = match c.rsplit_once(':') {
        Some((a, proto)) if !proto.is_empty() && !proto.bytes().all(|b| b.is_ascii_digit()) => a,
        _ => c,
    };
    let addr = match c.rsplit_once(':') {
        Some((a, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => a,
        _ => c,
    };
    let addr = addr
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(addr);
    parse_ip(addr, false)
}

/// `U ip:IP url:URL` after `username:`: the user name and the address. The
/// name is the console's input, so the first ` ip:` followed by an address
/// and ` url:` ends it (a name holding ` ip:` is read whole).
fn admin_failure(r: &str) -> (&str, Option<IpAddr>) {
    for (i, _) in r.match_indices(" ip:") {
        let after = &r[i + 4..];
        let ip_text = after.split_once(" url:").map_or(after, |(ip, _)| ip);
        if let Some(ip) = parse_ip(ip_text.trim(), false) {
            return (&r[..i], Some(ip));
        }
    }
    (r.split(" ip:").next().unwrap_or(r), None)
}

#[cfg(test)]
#[path = "litespeed_tests.rs"]
mod tests;
