//! Exchange Server protocol logs (CSV): IMAP4 / POP3
//! (`Logging\Imap4`, `Logging\Pop3`) and SMTP receive
//! (`TransportRoles\Logs\…\ProtocolLog\SmtpReceive`), read by
//! [`crate::SyslogParser`] (a line is claimed when it starts with an ISO
//! time stamp and a comma, or is one of their `#` header lines).
//!
//! | log | record | outcome / class |
//! |-----|--------|-----------------|
//! | IMAP4 / POP3 (`dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsz,rpsz,command,parameters,context`) | `authenticate`/`login`/`auth`/`pass` with `AuthFailed:LogonDenied` in the context | failure, bad password (Exchange answers "unknown user name or bad password" without telling which) |
//! | | the same commands with another `AuthFailed:…` | failure, other |
//! | | the same commands answered `OK` / `+OK` | success |
//! | SMTP receive (`date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context`) | `>` `535 …` | failure, bad password, user empty (SMTP logs the name only base64-encoded) |
//!
//! Every other record (other commands, SMTP `235` without a name, `+`/`-`
//! session lines) and the `#Software: Microsoft Exchange…`, `#Log-type:`,
//! `#Fields:` headers of these logs are directives; the generic `#Date:` and
//! `#Version:` headers are not claimed (IIS uses them too). Source is the
//! client endpoint (`cIp`, `remote-endpoint`) without its port; app `imap`,
//! `pop3` (by the server port: 143/993, 110/995; else by command) or `smtp`;
//! dataset `auth.exchange` (as the IIS-derived Exchange sign-ins).

use crate::mail::auth;
use crate::norm::ip;
use haboob_model::{AuthOutcome, FailureClass, Parsed, RecordError, Ts};
use AuthOutcome::*;

const DS: &str = "auth.exchange";

/// Split one CSV field off `s` (a quoted field keeps its quotes and doubled
/// quotes: only searched, never shown).
fn field(s: &str) -> (&str, Option<&str>) {
    let b = s.as_bytes();
    if b.first() == Some(&b'"') {
        let mut i = 1;
        while i < b.len() {
            if b[i] == b'"' {
                if b.get(i + 1) == Some(&b'"') {
                    i += 2;
                    continue;
                }
                break;
            }
            i += 1;
        }
        let end = (i + 1).min(b.len());
        return match s[end..].strip_prefix(',') {
            Some(rest) => (&s[..end], Some(rest)),
            None => (&s[..end], None),
        };
    }
    match s.split_once(',') {
        Some((f, rest)) => (f, Some(rest)),
        None => (s, None),
    }
}

/// Up to `N` fields of a CSV line.
fn fields<const N: usize>(line: &str) -> ([&str; N], usize) {
    let mut out = [""; N];
    let mut rest = Some(line);
    let mut n = 0;
    while let Some(r) = rest {
        if n == N {
            break;
        }
        let (f, next) = field(r);
        out[n] = f;
        n += 1;
        rest = next;
    }
    (out, n)
}

/// An Exchange protocol-log line: `None` when not in its shape.
pub(crate) fn protocol_log(line: &str) -> Option<Result<Parsed<'_>, RecordError>> {
    if let Some(h) = line.strip_prefix('#') {
        let ours = h.starts_with("Software: Microsoft Exchange")
            || (h.starts_with("Log-type: ") && h.contains("Protocol Log"))
            || h.starts_with("Fields: dateTime,sessionId,")
            || h.starts_with("Fields: date-time,connector-id,");
        return ours.then_some(Ok(Parsed::Directive));
    }
    let b = line.as_bytes();
    if b.len() < 25 || !b[0].is_ascii_digit() || b[4] != b'-' || b[10] != b'T' {
        return None;
    }
    let comma = line.find(',')?;
    if line[..comma].contains(' ') {
        return None;
    }
    let ts = match Ts::parse_rfc3339(&line[..comma]) {
        Ok(ts) => ts,
        Err(e) => return Some(Err(RecordError::new(format!("bad time: {e}")))),
    };
    let (f, n) = fields::<12>(line);
    Some(match n {
        12 => imap_pop(ts, &f),
        9 | 10 => smtp(ts, &f),
        _ => Err(RecordError::fixed(
            "Exchange protocol log record with an unexpected number of fields",
        )),
    })
}

fn imap_pop<'a>(ts: Ts, f: &[&'a str; 12]) -> Result<Parsed<'a>, RecordError> {
    let (server, client, user, command, context) = (f[3], f[4], f[5], f[9], f[11]);
    let command = command.trim();
    let app = match server.rsplit_once(':').map_or("", |(_, p)| p) {
        "143" | "993" => "imap",
        "110" | "995" => "pop3",
        _ if command.eq_ignore_ascii_case("authenticate")
            || command.eq_ignore_ascii_case("login") =>
        {
            "imap"
        }
        _ => "pop3",
    };
    if !["authenticate", "login", "auth", "pass"]
        .iter()
        .any(|c| command.eq_ignore_ascii_case(c))
    {
        return Ok(Parsed::Directive);
    }
    let addr = ip(client)?;
    if let Some((_, reason)) = context.split_once("AuthFailed:") {
        let class = if reason.starts_with("LogonDenied") {
            FailureClass::BadPassword
        } else {
            FailureClass::Other
        };
        return auth(ts, DS, app, user, addr, Failure, Some(class));
    }
    // `R="2 OK AUTHENTICATE completed."` / `R="+OK …"`.
    let reply = context.split_once("R=\"\"").map_or("", |(_, r)| r);
    let ok = reply.split(' ').take(2).any(|w| w == "OK" || w == "+OK");
    if ok && !user.trim().is_empty() {
        return auth(ts, DS, app, user, addr, Success, None);
    }
    Ok(Parsed::Directive)
}

fn smtp<'a>(ts: Ts, f: &[&'a str; 12]) -> Result<Parsed<'a>, RecordError> {
    let (remote, event, data) = (f[5], f[6], f[7]);
    if event == ">" && data.starts_with("535 ") {
        return auth(
            ts,
            DS,
            "smtp",
            "",
            ip(remote)?,
            Failure,
            Some(FailureClass::BadPassword),
        );
    }
    Ok(Parsed::Directive)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields() {
        let (f, n) = fields::<4>(r#"a,"b,""c""",d"#);
        assert_eq!((n, f), (3, ["a", r#""b,""c""""#, "d", ""]));
        let (f, n) = fields::<2>("x,y,z");
        assert_eq!((n, f), (2, ["x", "y"]));
        // Unterminated quote: the rest is one field.
        let (f, n) = fields::<3>(r#"a,"b,c"#);
        assert_eq!((n, f), (2, ["a", r#""b,c"#, ""]));
    }
}
