//! Mail and SSH authentication in syslog: OpenSSH, Dovecot, Postfix SASL.
//!
//! Framing: RFC 3164 (`Mmm dd HH:MM:SS host prog[pid]: msg`, optional
//! `<PRI>`, year from [`SyslogParser::new`], advanced when the month wraps
//! from late to early in the year), RFC 5424 (`<PRI>1 ts host app procid
//! msgid sd msg`) and journal `short-iso` / RFC 3339 (`2024-01-15T08:00:00+0100
//! host prog[pid]: msg`). The program picks the dialect; every other program,
//! and every message of these programs that is not an authentication
//! result, is [`Parsed::Directive`].
//!
//! | program | message | outcome / class |
//! |---------|---------|-----------------|
//! | `sshd`, `sshd-session` | `Accepted <method> for U from IP port P …` | success |
//! | | `Failed password\|keyboard-interactive/pam for U from IP …` | failure, bad password |
//! | | `Failed <other method> for U from IP …` | failure, other |
//! | | `Failed <method> for invalid user U from IP …`, `Invalid user U from IP …` | failure, unknown user |
//! | | `Disconnected from\|Connection closed by authenticating user U IP port P [preauth]` | failure, other (dropped mid-authentication) |
//! | | connections that never reach authentication (`Unable to negotiate with IP …`, `Did not receive identification string from IP`, `Connection closed by IP port P [preauth]`, …; see [`crate::sshprobe`]) | probe (not an attempt) |
//! | `dovecot` (`imap-login:`, `pop3-login:`, …) | `Login: user=<U>, …, rip=IP` | success |
//! | | `Disconnected\|Aborted login (auth failed, …): user=<U>, …, rip=IP` | failure, bad password |
//! | | `auth: <driver>(U,IP…): unknown user` | failure, unknown user |
//! | | `auth: <driver>(U,IP…): Password mismatch` | failure, bad password |
//! | `sysmon` | Sysmon for Linux `<Event>` XML ([`crate::sysmonlinux`]) | a Windows-style event, not a sign-in |
//! | `audisp-syslog`, `audispd` | an audit record ([`crate::auditd`]) | a Linux audit event, not a sign-in |
//! | `postfix/*` | `warning: host[IP]: SASL <mech> authentication failed: <reason>[, sasl_username=U]` | failure: bad password when the reason says `authentication failure`, else other |
//! | | `<qid>: client=host[IP], sasl_method=M, sasl_username=U` | success |
//!
//! One OpenSSH attempt by an unknown user may log both `Invalid user` and
//! `Failed password for invalid user`: both become events (the former is
//! logged even when the client gives up before sending a password). The
//! `Disconnected from invalid user` line of the same attempt is a directive.
//! A Postfix SASL failure without `sasl_username` has an empty `user` (the
//! server did not log it); every other event requires a user name.
//!
//! Datasets: `auth.sshd` (app `ssh`), `auth.dovecot` (app `imap`, `pop3`, …),
//! `auth.postfix` (app `smtp`).

use crate::norm::{ip, MAX_USER};
use haboob_model::{
    AuthEvent, AuthOutcome, EventRef, FailureClass, LineParser, Parsed, RecordError, Ts,
};
use std::borrow::Cow;
use std::net::IpAddr;

/// Line parser for syslog authentication messages.
#[derive(Debug, Clone)]
pub struct SyslogParser {
    year: i64,
    last_month: u32,
    /// The last Samba `Auth:` attempt read ([`crate::samba`]).
    samba_last: Option<u64>,
}

impl SyslogParser {
    /// A parser for RFC 3164 lines of `year` (their time stamps have none).
    pub fn new(year: i64) -> SyslogParser {
        SyslogParser {
            year,
            last_month: 0,
            samba_last: None,
        }
    }
}

struct Header<'a> {
    ts: Ts,
    /// The host the header names (`""` when it names none, `-` in RFC 5424).
    host: &'a str,
    prog: &'a str,
    msg: &'a str,
}

fn num(b: &[u8]) -> Option<u32> {
    if b.is_empty() {
        return None;
    }
    b.iter().try_fold(0u32, |v, &c| {
        c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0'))
    })
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Split `host tag: msg` into (host, program, message).
fn tag_msg(rest: &str) -> Result<(&str, &str, &str), RecordError> {
    // No host: `prog[pid]: msg`.
    if let Some((tag, msg)) = rest.split_once(": ") {
        if !tag.contains(' ') && tag.ends_with(']') && tag.contains('[') {
            let prog = tag.split_once('[').map_or(tag, |(p, _)| p);
            return Ok(("", prog, msg));
        }
    }
    let (host, rest) = rest
        .split_once(' ')
        .ok_or(RecordError::fixed("syslog line without host"))?;
    let (tag, msg) = rest
        .split_once(": ")
        .ok_or(RecordError::fixed("syslog line without program tag"))?;
    let prog = tag.split_once('[').map_or(tag, |(p, _)| p);
    Ok((host, prog, msg))
}

impl SyslogParser {
    fn header<'a>(&mut self, line: &'a str) -> Result<Header<'a>, RecordError> {
        let mut s = line;
        if let Some(rest) = s.strip_prefix('<') {
            let (pri, rest) = rest
                .split_once('>')
                .ok_or(RecordError::fixed("bad syslog priority"))?;
            if pri.is_empty() || pri.len() > 3 || num(pri.as_bytes()).is_none() {
                return Err(RecordError::fixed("bad syslog priority"));
            }
            if let Some(r) = rest.strip_prefix("1 ") {
                return rfc5424(r);
            }
            s = rest;
        }
        let b = s.as_bytes();
        if b.len() > 16 && b[0].is_ascii_digit() {
            let (ts, rest) = s
                .split_once(' ')
                .ok_or(RecordError::fixed("not a syslog line"))?;
            let ts =
                Ts::parse_rfc3339(ts).map_err(|e| RecordError::new(format!("bad time: {e}")))?;
            let (host, prog, msg) = tag_msg(rest)?;
            return Ok(Header {
                ts,
                host,
                prog,
                msg,
            });
        }
        // `Mmm dd` / `Mmm  d` (RFC 3164), or an unpadded `Mmm d` (written
        // by some daemons and relays): `w` is the day's width.
        let w = if b.len() > 5 && b[4].is_ascii_digit() && b[5] == b' ' {
            1
        } else {
            2
        };
        if b.len() < 14 + w
            || b[3] != b' '
            || b[4 + w] != b' '
            || b[7 + w] != b':'
            || b[10 + w] != b':'
            || b[13 + w] != b' '
        {
            return Err(RecordError::fixed("not a syslog line"));
        }
        let mo = MONTHS
            .iter()
            .position(|m| m.as_bytes() == &b[..3])
            .ok_or(RecordError::fixed("not a syslog line"))? as u32
            + 1;
        let day_b = if b[4] == b' ' { &b[5..6] } else { &b[4..4 + w] };
        let bad = || RecordError::fixed("bad time: syslog clock");
        let day = num(day_b).ok_or_else(bad)?;
        let (h, mi, sec) = (
            num(&b[5 + w..7 + w]).ok_or_else(bad)?,
            num(&b[8 + w..10 + w]).ok_or_else(bad)?,
            num(&b[11 + w..13 + w]).ok_or_else(bad)?,
        );
        if self.last_month >= 10 && mo <= 3 {
            self.year += 1;
        }
        self.last_month = mo;
        let ts = Ts::from_civil(self.year, mo, day, h, mi, sec, 0)
            .map_err(|e| RecordError::new(format!("bad time: {e}")))?;
        // Horde's file log: `Mmm dd HH:MM:SS HORDE [level] [app] msg`.
        if let Some(msg) = s[14 + w..].strip_prefix("HORDE [") {
            let msg = &s[s.len() - msg.len() - 1..];
            return Ok(Header {
                ts,
                host: "",
                prog: "HORDE",
                msg,
            });
        }
        // SOGo's file log: `Mmm dd HH:MM:SS sogod [pid]: msg`.
        if let Some((_, msg)) = s[14 + w..]
            .strip_prefix("sogod [")
            .and_then(|r| r.split_once("]: "))
        {
            return Ok(Header {
                ts,
                host: "",
                prog: "sogod",
                msg,
            });
        }
        let (host, prog, msg) = tag_msg(&s[14 + w..])?;
        Ok(Header {
            ts,
            host,
            prog,
            msg,
        })
    }
}

fn rfc5424(r: &str) -> Result<Header<'_>, RecordError> {
    let mut it = r.splitn(6, ' ');
    let (Some(ts), Some(host), Some(app), Some(_pid), Some(_msgid), Some(rest)) = (
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
    ) else {
        return Err(RecordError::fixed("truncated RFC 5424 header"));
    };
    let ts = Ts::parse_rfc3339(ts).map_err(|e| RecordError::new(format!("bad time: {e}")))?;
    let msg = if let Some(m) = rest.strip_prefix('-') {
        m
    } else if rest.starts_with('[') {
        let b = rest.as_bytes();
        let (mut i, mut depth, mut esc, mut quoted) = (0, 0i32, false, false);
        while i < b.len() {
            let c = b[i];
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                quoted = !quoted;
            } else if !quoted && c == b'[' {
                depth += 1;
            } else if !quoted && c == b']' {
                depth -= 1;
                if depth == 0 && b.get(i + 1) != Some(&b'[') {
                    i += 1;
                    break;
                }
            }
            i += 1;
        }
        &rest[i.min(rest.len())..]
    } else {
        return Err(RecordError::fixed("bad RFC 5424 structured data"));
    };
    let msg = msg.strip_prefix(' ').unwrap_or(msg);
    Ok(Header {
        ts,
        host: if host == "-" { "" } else { host },
        prog: app,
        msg: msg.strip_prefix('\u{feff}').unwrap_or(msg),
    })
}

/// One sign-in event; unlike [`crate::mail::auth`], a line without a user
/// name is rejected ("missing user name"), whatever its outcome.
fn ev<'a>(
    ts: Ts,
    dataset: &'static str,
    app: &'a str,
    user: &'a str,
    source_ip: Option<IpAddr>,
    outcome: AuthOutcome,
    failure: Option<FailureClass>,
) -> Result<Parsed<'a>, RecordError> {
    if user.trim().is_empty() {
        return Err(RecordError::fixed("missing user name"));
    }
    crate::mail::auth(ts, dataset, app, user, source_ip, outcome, failure)
}

/// `U from IP port P…` → (U, IP).
fn user_from(s: &str) -> Result<(&str, Option<IpAddr>), RecordError> {
    let (user, rest) = s
        .rsplit_once(" from ")
        .ok_or(RecordError::fixed("sshd message without source"))?;
    let addr = rest.split(' ').next().unwrap_or("");
    Ok((user, ip(addr)?))
}

fn sshd(ts: Ts, msg: &str) -> Result<Parsed<'_>, RecordError> {
    use AuthOutcome::*;
    use FailureClass::*;
    const DS: &str = "auth.sshd";
    if let Some(r) = msg.strip_prefix("Accepted ") {
        let (_method, r) = r
            .split_once(" for ")
            .ok_or(RecordError::fixed("bad sshd Accepted line"))?;
        let (u, a) = user_from(r)?;
        return ev(ts, DS, "ssh", u, a, Success, None);
    }
    if let Some(r) = msg.strip_prefix("Failed ") {
        let (method, r) = r
            .split_once(" for ")
            .ok_or(RecordError::fixed("bad sshd Failed line"))?;
        if let Some(r) = r.strip_prefix("invalid user ") {
            let (u, a) = user_from(r)?;
            return ev(ts, DS, "ssh", u, a, Failure, Some(UnknownUser));
        }
        let (u, a) = user_from(r)?;
        let class = if method == "password" || method.starts_with("keyboard-interactive") {
            BadPassword
        } else {
            Other
        };
        return ev(ts, DS, "ssh", u, a, Failure, Some(class));
    }
    if let Some(r) = msg.strip_prefix("Invalid user ") {
        let (u, a) = user_from(r)?;
        return ev(ts, DS, "ssh", u, a, Failure, Some(UnknownUser));
    }
    for p in [
        "Disconnected from authenticating user ",
        "Connection closed by authenticating user ",
    ] {
        if let Some(r) = msg.strip_prefix(p) {
            // `U IP port P [preauth]`
            let (head, _) = r
                .rsplit_once(" port ")
                .ok_or(RecordError::fixed("bad sshd disconnect line"))?;
            let (u, addr) = head
                .rsplit_once(' ')
                .ok_or(RecordError::fixed("bad sshd disconnect line"))?;
            return ev(ts, DS, "ssh", u, ip(addr)?, Failure, Some(Other));
        }
    }
    crate::sshprobe::probe(ts, msg)
}

/// Value of `key=` in a Dovecot `k=v, k=v` list (`user=<x>` unwrapped).
fn kv<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = s[from..].find(key) {
        let at = from + i;
        if at == 0 || matches!(s.as_bytes()[at - 1], b' ' | b',' | b'(' | b':') {
            let v = &s[at + key.len()..];
            if let Some(inner) = v.strip_prefix('<') {
                return inner.find('>').map(|e| &inner[..e]);
            }
            return Some(v.split([',', ' ', ')']).next().unwrap_or(""));
        }
        from = at + key.len();
    }
    None
}

fn dovecot<'a>(ts: Ts, prog: &'a str, msg: &'a str) -> Result<Parsed<'a>, RecordError> {
    use AuthOutcome::*;
    use FailureClass::*;
    const DS: &str = "auth.dovecot";
    // `dovecot: imap-login: …` or a program named `imap-login`.
    let (service, body) = if prog == "dovecot" {
        msg.split_once(": ").unwrap_or(("", msg))
    } else {
        (prog, msg)
    };
    let body = ["Info: ", "Warning: ", "Error: "]
        .iter()
        .find_map(|p| body.strip_prefix(p))
        .unwrap_or(body);
    if let Some(proto) = service.strip_suffix("-login") {
        let proto: &'a str = proto;
        let user = kv(body, "user=").unwrap_or("");
        let rip = ip(kv(body, "rip=").unwrap_or(""))?;
        if body.starts_with("Login: ") {
            return ev(ts, DS, proto, user, rip, Success, None);
        }
        if body.contains("(auth failed") {
            return ev(ts, DS, proto, user, rip, Failure, Some(BadPassword));
        }
        return Ok(Parsed::Directive);
    }
    if service == "auth" || service.starts_with("auth-worker") {
        // `<driver>(user,rip[,<session>]): text`
        let Some((lookup, text)) = body.split_once("): ") else {
            return Ok(Parsed::Directive);
        };
        let Some((_driver, args)) = lookup.split_once('(') else {
            return Ok(Parsed::Directive);
        };
        let mut parts = args.splitn(3, ',');
        let user = parts.next().unwrap_or("");
        let addr = parts.next().unwrap_or("");
        let class = if text.starts_with("unknown user") {
            UnknownUser
        } else if text.starts_with("Password mismatch") {
            BadPassword
        } else {
            return Ok(Parsed::Directive);
        };
        return ev(ts, DS, "imap", user, ip(addr)?, Failure, Some(class));
    }
    Ok(Parsed::Directive)
}

fn postfix(ts: Ts, msg: &str) -> Result<Parsed<'_>, RecordError> {
    use AuthOutcome::*;
    use FailureClass::*;
    const DS: &str = "auth.postfix";
    let host_ip = |s: &str| -> Result<Option<IpAddr>, RecordError> {
        let (_, r) = s
            .split_once('[')
            .ok_or(RecordError::fixed("postfix client without address"))?;
        let (a, _) = r
            .split_once(']')
            .ok_or(RecordError::fixed("postfix client without address"))?;
        ip(a)
    };
    if let Some(r) = msg.strip_prefix("warning: ") {
        let Some((client, rest)) = r.split_once("]: SASL ") else {
            return Ok(Parsed::Directive);
        };
        let Some((_mech, reason)) = rest.split_once(" authentication failed: ") else {
            return Ok(Parsed::Directive);
        };
        let (_, addr) = client
            .rsplit_once('[')
            .ok_or(RecordError::fixed("postfix client without address"))?;
        let addr = ip(addr)?;
        let user = kv(reason, "sasl_username=").unwrap_or("");
        let class = if reason.contains("authentication failure") {
            BadPassword
        } else {
            Other
        };
        if user.is_empty() {
            return Ok(Parsed::Event(EventRef::Auth(AuthEvent {
                ts,
                dataset: DS,
                source_ip: addr,
                user: Cow::Borrowed(""),
                domain: Cow::Borrowed(""),
                tenant: Cow::Borrowed(""),
                host: Cow::Borrowed(""),
                outcome: Failure,
                failure: Some(class),
                app: Cow::Borrowed("smtp"),
                client: Cow::Borrowed(""),
                country: Cow::Borrowed(""),
                asn: None,
                location: None,
            })));
        }
        return ev(ts, DS, "smtp", user, addr, Failure, Some(class));
    }
    if let (Some(i), Some(user)) = (msg.find("client="), kv(msg, "sasl_username=")) {
        if user.len() <= MAX_USER {
            return ev(ts, DS, "smtp", user, host_ip(&msg[i..])?, Success, None);
        }
    }
    Ok(Parsed::Directive)
}

impl LineParser for SyslogParser {
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        let r = self.parse_line(line);
        crate::samba::dedup(&mut self.samba_last, line, r)
    }
}

impl SyslogParser {
    fn parse_line<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        if line.trim().is_empty() {
            return Err(RecordError::fixed("empty line"));
        }
        if let Some(r) = crate::mail::other_framings(line) {
            return r;
        }
        if crate::sysmonlinux::is_bare_event(line) {
            return crate::sysmonlinux::event(line, None);
        }
        let first = line.as_bytes().first().copied().unwrap_or(0);
        if !(first == b'<' || first.is_ascii_digit() || first.is_ascii_uppercase()) {
            return Err(RecordError::fixed("not a syslog line"));
        }
        let h = self.header(line)?;
        let mut parsed = match h.prog {
            "sshd" | "sshd-session" => sshd(h.ts, h.msg),
            "dovecot" | "imap-login" | "pop3-login" | "submission-login" | "managesieve-login" => {
                dovecot(h.ts, h.prog, h.msg)
            }
            p if p.starts_with("postfix") => postfix(h.ts, h.msg),
            "sysmon" if crate::sysmonlinux::is_event(h.msg) => {
                crate::sysmonlinux::event(h.msg, Some(h.ts))
            }
            "audisp-syslog" | "audispd"
                if h.msg.starts_with("type=") || h.msg.starts_with("node=") =>
            {
                crate::auditd::record(h.msg)
            }
            p => crate::mail::by_program(h.ts, p, h.msg).unwrap_or(Ok(Parsed::Directive)),
        };
        // The header's host recorded the sign-in.
        if let Ok(Parsed::Event(EventRef::Auth(a))) = &mut parsed {
            if a.host.is_empty() && !h.host.is_empty() {
                a.host = crate::norm::fold(Cow::Borrowed(haboob_model::bounded(h.host, MAX_HOST)));
            }
        }
        parsed
    }
}

/// Longest syslog host name kept (a DNS name is at most 253 bytes).
const MAX_HOST: usize = 255;
