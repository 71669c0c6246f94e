//! nginx and Apache error logs (`error-log`).
//!
//! Lines where a web application firewall or an access rule acted on a
//! client's request become [`WafEvent`]s:
//! - ModSecurity (Apache `security2`, nginx connector): `ModSecurity: Access
//!   denied …` (blocked) or `ModSecurity: Warning. …` (detection only), with
//!   `[id "…"]`, `[msg "…"]`, `[uri "…"]`, `[hostname "…"]`;
//! - naxsi: `NAXSI_FMT: ip=…&server=…&uri=…&block=1&…&id0=…`;
//! - nginx `access forbidden by rule`;
//! - Apache `client denied by server configuration: PATH` (AH01630) and
//!   `ModSecurity`-less `AH01797` denials.
//!
//! HTTP basic and digest authentication failures (nginx `user "x" was not
//! found in …`, `user "x": password mismatch`; Apache AH01617/AH01618/AH01792
//! `user x not found`, `authentication failure … Password Mismatch`,
//! `password mismatch`) become authentication events (`auth.http_basic`).
//!
//! A request Apache refused before any handler ran (`AH00126: Invalid URI
//! in request …`, `AH10244: invalid URI path (…)`) becomes the request it
//! was, answered 400: path-traversal attempts show up there.
//!
//! LiteSpeed's error log (`YYYY-MM-DD HH:MM:SS.ffffff [LEVEL] …`) is read by
//! [`crate::litespeed`]: WebAdmin console sign-in failures and access-rule
//! refusals.
//!
//! Access-log lines (combined or common) in the same file are read as such:
//! servers logging through syslog, and containers writing both logs to one
//! output, mix them in one stream.
//!
//! Either kind of line relayed through syslog (`ErrorLog syslog:…`,
//! `error_log syslog:…`, or a `logger` pipe) is read after its header,
//! `[<PRI>]Mmm dd HH:MM:SS host TAG[pid]: MESSAGE` or
//! `YYYY-MM-DDTHH:MM:SS… host TAG[pid]: MESSAGE`, when TAG names a web
//! server (`apache…`, `httpd…`, `nginx…`); lines of other programs are
//! rejected. Apache writes no time of its own to syslog
//! (`apache2[7]: [authz_core:error] [pid 7] [client IP:port] AH01630: …`):
//! the header's time is used, its year the current one (the previous one
//! for a date more than a day ahead).
//!
//! Every other well-formed error-log line (upstream errors, missing files,
//! start-up notices) is read and counted as parsed (`Parsed::Directive`), not
//! an event. Lines of neither layout are rejected.
//!
//! Error logs carry local time without a zone; it is taken as UTC.

use crate::clf::{Clf, ClfKind};
use crate::text::{parse_ip, RecordParser};
use haboob_model::{
    AuthEvent, AuthOutcome, EventRef, FailureClass, Parsed, RecordError, Ts, WafEvent, WebEvent,
};
use std::borrow::Cow;
use std::net::IpAddr;

/// The error-log parser (nginx and Apache layouts, per line); the field is
/// the combined parser's forwarding-header field for mixed-in access lines.
#[derive(Debug, Default)]
pub(crate) struct ErrorLog(pub(crate) u8);

impl RecordParser for ErrorLog {
    fn parse_rec<'a>(
        &mut self,
        line: &'a str,
        _scratch: Option<&'a mut String>,
    ) -> Result<Parsed<'a>, RecordError> {
        let line = line.trim_end();
        let first = line.as_bytes().first().copied().unwrap_or(b' ');
        let (ts, msg, client) = if first == b'[' {
            apache(line)?
        } else if nginx_shape(line.as_bytes()) {
            nginx(line)?
        } else if crate::litespeed::shape(line.as_bytes()) {
            return crate::litespeed::parse(line);
        } else if let Some((ts, msg)) = relayed(line)? {
            if msg.starts_with('[') {
                apache_relayed(ts, msg)?
            } else if nginx_shape(msg.as_bytes()) {
                nginx(msg)?
            } else {
                return access_line(msg, self.0).map_err(|_| {
                    RecordError::fixed("not an nginx or Apache error-log message in syslog")
                });
            }
        } else {
            return access_line(line, self.0)
                .map_err(|_| RecordError::fixed("not an nginx or Apache error-log line"));
        };
        if msg.contains(", login: \"") || msg.contains(" while in http auth state") {
            // nginx mail proxy: read by the syslog family's nginx-mail parser.
            return Err(RecordError::fixed(
                "nginx mail proxy line, not a web error-log line",
            ));
        }
        if let (Some(req), Some(source_ip)) = (refused_request(msg), client) {
            return Ok(Parsed::Event(EventRef::Web(WebEvent {
                ts,
                source_ip,
                ..req
            })));
        }
        if let Some(ev) = classify(msg, client) {
            return Ok(Parsed::Event(EventRef::Waf(WafEvent { ts, ..ev })));
        }
        Ok(match (basic_auth(msg), client) {
            (Some((user, failure)), Some(ip)) => Parsed::Event(EventRef::Auth(AuthEvent {
                source_ip: Some(ip),
                user: lower(user),
                failure: Some(failure),
                app: Cow::Borrowed("http basic auth"),
                ..AuthEvent::empty(ts, "auth.http_basic", AuthOutcome::Failure)
            })),
            _ => Parsed::Directive,
        })
    }
}

/// An access-log line mixed into an error log (a container's output, a
/// syslog stream): combined, else common.
fn access_line(line: &str, xff: u8) -> Result<Parsed<'_>, RecordError> {
    Clf::new(ClfKind::Combined, xff)
        .parse_rec(line, None)
        .or_else(|_| Clf::new(ClfKind::Common, 0).parse_rec(line, None))
}

/// A request Apache refused before any handler ran, as the 400 it answered:
/// `AH00126: Invalid URI in request GET /p HTTP/1.1` (the whole request
/// line; Apache 2.2 writes it without the code; a request line of binary
/// overflow garbage is no request and stays a counted line) and `AH10244: invalid URI path (/p)` (the path only). Both are
/// how path-traversal attempts such as CVE-2021-41773/42013 show up when the
/// server is not vulnerable; the access log has the same request as a 400
/// only when it is written at all. Time and client are filled by the caller.
fn refused_request(msg: &str) -> Option<WebEvent<'_>> {
    let (method, target, protocol) =
        if let Some(req) = strip_ah(msg).strip_prefix("Invalid URI in request ") {
            let mut parts = req.trim_end().splitn(3, ' ');
            let method = parts.next()?;
            let target = parts.next()?;
            (method, target, parts.next().unwrap_or(""))
        } else {
            let p = msg.strip_prefix("AH10244: invalid URI path (")?;
            ("", p.strip_suffix(')').unwrap_or(p), "")
        };
    if target.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Some(WebEvent {
        ts: Ts(0),
        source_ip: IpAddr::from([0, 0, 0, 0]),
        method,
        path,
        query,
        status: 400,
        bytes: 0,
        user_agent: "",
        referrer: "",
        site: "",
        user: "",
        forwarded: "",
        protocol,
    })
}

/// Longest user name kept from an error log.
const MAX_USER: usize = 320;

pub(crate) fn lower(s: &str) -> Cow<'_, str> {
    let s = haboob_model::bounded(s, MAX_USER);
    if s.bytes().any(|b| b.is_ascii_uppercase()) || !s.is_ascii() {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// An HTTP basic/digest authentication failure: the user and why.
fn basic_auth(msg: &str) -> Option<(&str, FailureClass)> {
    // nginx: `user "x" was not found in "/etc/htpasswd"`, `user "x": password mismatch`.
    if let Some(r) = msg.strip_prefix("user \"") {
        let (user, rest) = r.split_once('"')?;
        if rest.starts_with(" was not found in ") {
            return Some((user, FailureClass::UnknownUser));
        }
        if rest.starts_with(": password mismatch") {
            return Some((user, FailureClass::BadPassword));
        }
        return None;
    }
    // Apache: `[AHnnnnn: ][Digest: ]user x not found: /p`,
    // `user x: authentication failure for "/p": Password Mismatch`,
    // `user x: password mismatch: /p`.
    let body = strip_ah(msg);
    let body = body.strip_prefix("Digest: ").unwrap_or(body);
    let r = body.strip_prefix("user ")?;
    if let Some(i) = r.find(" not found") {
        return Some((&r[..i], FailureClass::UnknownUser));
    }
    let (user, rest) = r.split_once(": ")?;
    let rest = rest.to_ascii_lowercase();
    (rest.starts_with("password mismatch")
        || (rest.starts_with("authentication failure") && rest.ends_with("password mismatch")))
    .then_some((user, FailureClass::BadPassword))
}

/// The message without an Apache `AHnnnnn: ` code.
fn strip_ah(msg: &str) -> &str {
    match msg.split_once(": ") {
        Some((code, rest))
            if code.len() == 7
                && code.starts_with("AH")
                && code[2..].bytes().all(|c| c.is_ascii_digit()) =>
        {
            rest
        }
        _ => msg,
    }
}

/// `YYYY/MM/DD HH:MM:SS [`
fn nginx_shape(b: &[u8]) -> bool {
    b.len() > 22
        && b[4] == b'/'
        && b[7] == b'/'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b' '
        && b[20] == b'['
}

/// `2024/05/01 10:00:00 [error] 123#0: *5 MESSAGE, client: IP, server: …`
fn nginx(line: &str) -> Result<(Ts, &str, Option<IpAddr>), RecordError> {
    if !nginx_shape(line.as_bytes()) {
        return Err(RecordError::fixed("not an nginx or Apache error-log line"));
    }
    let num = |r: std::ops::Range<usize>| -> Result<u32, RecordError> {
        line[r]
            .parse()
            .map_err(|_| RecordError::fixed("bad error-log time"))
    };
    let ts = Ts::from_civil(
        i64::from(num(0..4)?),
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
        0,
    )
    .map_err(|e| RecordError::new(format!("bad error-log time: {e}")))?;
    let rest = &line[21..];
    let level_end = rest
        .find("] ")
        .ok_or(RecordError::fixed("unterminated [level]"))?;
    let level = &rest[..level_end];
    if level.is_empty() || !level.bytes().all(|c| c.is_ascii_lowercase()) {
        return Err(RecordError::fixed("bad error-log level"));
    }
    let rest = &rest[level_end + 2..];
    // `PID#TID: *CID ` then the message.
    let msg = match rest.split_once(": ") {
        Some((pid, m)) if pid.bytes().all(|c| c.is_ascii_digit() || c == b'#') => m,
        _ => rest,
    };
    let msg = match msg.strip_prefix('*') {
        Some(m) => m.split_once(' ').map_or(m, |(_, m)| m),
        None => msg,
    };
    let client = msg.rfind(", client: ").and_then(|i| {
        let c = &msg[i + 10..];
        parse_ip(c.split(',').next().unwrap_or(c), false)
    });
    Ok((ts, msg, client))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `[Wed May 01 10:00:00.123456 2024] [module:level] [pid …] [client IP:port] MESSAGE`
/// (2.4) or `[Wed May 01 10:00:00 2024] [error] [client IP] MESSAGE` (2.2).
fn apache(line: &str) -> Result<(Ts, &str, Option<IpAddr>), RecordError> {
    let end = line
        .find(']')
        .ok_or(RecordError::fixed("unterminated [time]"))?;
    let ts = apache_time(&line[1..end])?;
    let (msg, client) = apache_fields(&line[end + 1..])?;
    Ok((ts, msg, client))
}

/// An Apache message from syslog: with its own `[time]` first, or without
/// (then at the header's time `ts`).
fn apache_relayed(ts: Ts, msg: &str) -> Result<(Ts, &str, Option<IpAddr>), RecordError> {
    if let Some(end) = msg.find(']') {
        if let Ok(own) = apache_time(&msg[1..end]) {
            let (m, client) = apache_fields(&msg[end + 1..])?;
            return Ok((own, m, client));
        }
    }
    let (m, client) = apache_fields(msg)?;
    Ok((ts, m, client))
}

/// `Wed May 01 10:00:00.123456 2024`.
fn apache_time(inner: &str) -> Result<Ts, RecordError> {
    let t: Vec<&str> = inner.split_ascii_whitespace().collect();
    let bad = || RecordError::fixed("not an nginx or Apache error-log line");
    if t.len() != 5 {
        return Err(bad());
    }
    let mo = MONTHS.iter().position(|m| *m == t[1]).ok_or_else(bad)? as u32 + 1;
    let d: u32 = t[2].parse().map_err(|_| bad())?;
    let y: i64 = t[4].parse().map_err(|_| bad())?;
    let (hms, frac) = t[3].split_once('.').unwrap_or((t[3], ""));
    let mut hms = hms.split(':').map(str::parse::<u32>);
    let (Some(Ok(h)), Some(Ok(mi)), Some(Ok(s)), None) =
        (hms.next(), hms.next(), hms.next(), hms.next())
    else {
        return Err(bad());
    };
    let ms = frac
        .get(..3)
        .and_then(|f| f.parse::<u32>().ok())
        .unwrap_or(0);
    Ts::from_civil(y, mo, d, h, mi, s, ms)
        .map_err(|e| RecordError::new(format!("bad error-log time: {e}")))
}

/// Bracketed fields `[module:level] [pid …] [client …]`, then the message.
fn apache_fields(after_time: &str) -> Result<(&str, Option<IpAddr>), RecordError> {
    let mut rest = after_time.trim_start();
    let mut client = None;
    let mut fields = 0;
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else { break };
        let field = &inner[..close];
        if let Some(c) = field.strip_prefix("client ") {
            client = client.or_else(|| client_addr(c));
        } else if field.contains(' ') && !field.starts_with("pid ") && !field.starts_with("remote ")
        {
            break; // a bracketed part of the message
        }
        fields += 1;
        rest = inner[close + 1..].trim_start();
    }
    if fields == 0 {
        return Err(RecordError::fixed("missing [level] in error-log line"));
    }
    Ok((rest, client))
}

/// A web server's line relayed through syslog: the header's time and the
/// message; `None` when `line` has no syslog header, an error when the
/// header names another program or has a bad time.
fn relayed(line: &str) -> Result<Option<(Ts, &str)>, RecordError> {
    let mut s = line;
    if let Some(r) = s.strip_prefix('<') {
        match r.split_once('>') {
            Some((pri, r))
                if (1..=3).contains(&pri.len()) && pri.bytes().all(|c| c.is_ascii_digit()) =>
            {
                s = r
            }
            _ => return Ok(None),
        }
    }
    let b = s.as_bytes();
    let bad = |e: haboob_model::TsError| RecordError::new(format!("bad syslog time: {e}"));
    let (ts, rest) = if b.first().is_some_and(u8::is_ascii_digit) {
        // `2024-05-01T10:00:00[.fff][Z|±hh:mm] host …`
        let Some((t, rest)) = s.split_once(' ') else {
            return Ok(None);
        };
        if t.len() < 19 || b[4] != b'-' || b[10] != b'T' {
            return Ok(None);
        }
        (Ts::parse_rfc3339(t).map_err(bad)?, rest)
    } else {
        // `Mmm dd HH:MM:SS `, `Mmm  d …` or an unpadded `Mmm d …`.
        let Some(mo) = MONTHS.iter().position(|m| b.starts_with(m.as_bytes())) else {
            return Ok(None);
        };
        let w = if b.len() > 5 && b[4].is_ascii_digit() && b[5] == b' ' {
            1
        } else {
            2
        };
        if b.len() < 15 + w
            || b[3] != b' '
            || b[4 + w] != b' '
            || b[7 + w] != b':'
            || b[10 + w] != b':'
            || b[13 + w] != b' '
        {
            return Ok(None);
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, RecordError> {
            s[r].trim_start()
                .parse()
                .map_err(|_| RecordError::fixed("bad syslog time"))
        };
        let (d, h, mi, sec) = (
            num(4..4 + w)?,
            num(5 + w..7 + w)?,
            num(8 + w..10 + w)?,
            num(11 + w..13 + w)?,
        );
        (
            this_year(mo as u32 + 1, d, (h, mi, sec)).map_err(bad)?,
            &s[14 + w..],
        )
    };
    // `host TAG[pid]: MESSAGE`
    let Some((_host, r)) = rest.split_once(' ') else {
        return Ok(None);
    };
    let Some((tag, msg)) = r.split_once(": ") else {
        return Ok(None);
    };
    let prog = tag.split('[').next().unwrap_or(tag);
    if !["apache", "httpd", "nginx"]
        .iter()
        .any(|p| prog.starts_with(p))
    {
        return Err(RecordError::fixed(
            "syslog line of a program other than a web server",
        ));
    }
    Ok(Some((ts, msg.trim_start())))
}

/// A year-less syslog date in the current UTC year, or the previous one
/// when that would put it more than a day ahead.
fn this_year(mo: u32, d: u32, (h, mi, s): (u32, u32, u32)) -> Result<Ts, haboob_model::TsError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let now = Ts::from_secs(now);
    let year: i64 = now.to_string()[..4].parse().unwrap_or(1970);
    let ts = Ts::from_civil(year, mo, d, h, mi, s, 0)?;
    if ts.secs() > now.secs() + 86_400 {
        return Ts::from_civil(year - 1, mo, d, h, mi, s, 0);
    }
    Ok(ts)
}

/// `203.0.113.5:51234`, `203.0.113.5`, `2001:db8::1`, `[2001:db8::1]:443`.
fn client_addr(c: &str) -> Option<IpAddr> {
    parse_ip(c, true).or_else(|| {
        let (host, port) = c.rsplit_once(':')?;
        port.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| host.parse().ok())
            .flatten()
    })
}

/// The value of `[name "value"]` in a ModSecurity message.
fn modsec_field<'a>(msg: &'a str, name: &str) -> &'a str {
    let mut pat = String::with_capacity(name.len() + 3);
    pat.push('[');
    pat.push_str(name);
    pat.push_str(" \"");
    let Some(i) = msg.find(&pat) else { return "" };
    let v = &msg[i + pat.len()..];
    v.find("\"]").map_or("", |e| &v[..e])
}

/// The value of `key=` in naxsi's `&`-separated NAXSI_FMT.
fn naxsi_field<'a>(fmt: &'a str, key: &str) -> &'a str {
    fmt.split('&')
        .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .unwrap_or("")
}

/// nginx's trailing `, request: "GET /p HTTP/1.1", host: "h"` parts.
fn nginx_request(msg: &str) -> (&str, &str, &str) {
    let quoted = |key: &str| {
        msg.find(key).map_or("", |i| {
            let v = &msg[i + key.len()..];
            v.find('"').map_or("", |e| &v[..e])
        })
    };
    let request = quoted(", request: \"");
    let mut parts = request.split(' ');
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("");
    let path = target.split('?').next().unwrap_or("");
    (method, path, quoted(", host: \""))
}

fn classify(msg: &str, client: Option<IpAddr>) -> Option<WafEvent<'_>> {
    let (method, path, host) = nginx_request(msg);
    let base = |engine, blocked| WafEvent {
        ts: Ts(0),
        source_ip: client.unwrap_or(IpAddr::from([0, 0, 0, 0])),
        site: host,
        method,
        path,
        engine,
        rule: "",
        message: "",
        blocked,
    };
    if let Some(i) = msg.find("ModSecurity: ") {
        let m = &msg[i..];
        client?;
        let uri = modsec_field(m, "uri");
        let hostname = modsec_field(m, "hostname");
        return Some(WafEvent {
            rule: modsec_field(m, "id"),
            message: modsec_field(m, "msg"),
            path: if path.is_empty() { uri } else { path },
            site: if host.is_empty() { hostname } else { host },
            ..base("modsecurity", m.contains("Access denied"))
        });
    }
    if let Some(i) = msg.find("NAXSI_FMT: ") {
        let f = &msg[i + 11..];
        let f = f.split([',', ' ']).next().unwrap_or(f);
        let source_ip = client.or_else(|| parse_ip(naxsi_field(f, "ip"), false))?;
        let uri = naxsi_field(f, "uri");
        let server = naxsi_field(f, "server");
        return Some(WafEvent {
            source_ip,
            rule: naxsi_field(f, "id0"),
            message: naxsi_field(f, "cscore0"),
            path: if path.is_empty() { uri } else { path },
            site: if host.is_empty() { server } else { host },
            ..base("naxsi", naxsi_field(f, "block") == "1")
        });
    }
    client?;
    if msg.starts_with("access forbidden by rule") {
        return Some(WafEvent {
            message: "access forbidden by rule",
            ..base("nginx", true)
        });
    }
    // Apache message codes (`AH01630: `) come first when present.
    let body = strip_ah(msg);
    const DENIED: &str = "client denied by server configuration";
    let p = body.strip_prefix(DENIED)?.strip_prefix(": ")?;
    Some(WafEvent {
        path: p.split(", referer").next().unwrap_or(p).trim_end(),
        message: DENIED,
        ..base("apache", true)
    })
}

#[cfg(test)]
#[path = "errorlog_tests.rs"]
mod tests;
