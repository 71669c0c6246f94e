//! Mail server authentication: Exim, Courier, Cyrus, Sendmail, Zimbra,
//! nginx mail proxy, Dropbear SSH and Microsoft SQL Server's `ERRORLOG`,
//! read by [`crate::SyslogParser`] from syslog or from their own log files.
//!
//! Own-file framings (tried before syslog framing):
//!
//! | file | framing |
//! |------|---------|
//! | Exim `mainlog` | `YYYY-MM-DD HH:MM:SS[.mmm] [±zzzz] [[pid]] msg`, claimed when `msg` is Exim's (message id, `H=`, `SMTP …`, `… authenticator failed …`, queue runs, …) |
//! | Zimbra `mailbox.log` | `YYYY-MM-DD HH:MM:SS,mmm LEVEL [thread] [context] Logger - msg` |
//! | nginx `error.log` (mail proxy) | `YYYY/MM/DD HH:MM:SS [level] pid#tid: msg`, claimed only for mail-proxy lines (`client login failed`, or naming a `login:`): a web server's error log stays unread |
//! | SQL Server `ERRORLOG` (as text) | `YYYY-MM-DD HH:MM:SS.cc Source  msg` |
//!
//! Own-file time stamps carry no zone (Exim's optional `±zzzz` excepted) and
//! are read as UTC, as syslog's; their fractions of a second (Exim's `.mmm`,
//! Zimbra's `,mmm`, SQL Server's `.cc`) are kept to the millisecond.
//!
//! | program | message | outcome / class |
//! |---------|---------|-----------------|
//! | `exim`, `exim4`, Exim mainlog | `<driver> authenticator failed for … [IP]…: 535 … [(set_id=U)]` | failure, bad password (user empty without `set_id`); `435` (could not check): other |
//! | | `<id> <= sender H=… [IP]… A=<driver>:U …` | success |
//! | Courier `imapd`, `pop3d`, `*-ssl`, `courier*login` | `LOGIN FAILED, [user=U, ]…ip=[IP]` | failure, bad password |
//! | | `LOGIN, user=U, ip=[IP]…` | success |
//! | `courieresmtpd` | `error,relay=IP,msg="535 Authentication failed."…` | failure, bad password, user empty |
//! | Cyrus `imap[s]`, `pop3[s]`, `imapd`, `cyrus/*` | `badlogin: [host ][IP] mech [user ]…SASL(-13): user not found…` | failure, unknown user |
//! | | `badlogin: … SASL(-13): authentication failure…` (other text) | failure, bad password |
//! | | `login: host [IP] U mech …User logged in…` | success |
//! | `sendmail`, `sm-mta`, `sm-*` | `qid: AUTH failure (M): user not found … user=U, relay=… [IP]` | failure, unknown user |
//! | | `qid: AUTH failure (M): authentication failure …` | failure, bad password (user empty without `user=`) |
//! | | `qid: AUTH=server, relay=… [IP], authid=U, …` | success |
//! | `dropbear` | `Bad password attempt for 'U' from IP:port` | failure, bad password |
//! | | `Login attempt for nonexistent user[ 'U'] from IP:port` | failure, unknown user (empty user when not logged) |
//! | | `Password\|Pubkey auth succeeded for 'U' … from IP:port` | success |
//! | Zimbra `mailbox.log` | `authentication failed for [U], account not found` (`oip=`/`ip=` in the context) | failure, unknown user |
//! | | `authentication failed for [U], invalid password` / other reason | failure, bad password / other |
//! | nginx mail (`error.log`, or `nginx:` in syslog) | `client login failed: "Authentication credentials invalid" … client: IP, server: A:P, login: "U"` | failure, bad password (app by server port: smtp, imap, pop3, else mail) |
//! | | `client login failed: "<other reason>" …` (`AUTH not supported`, …) | failure, other |
//! | SQL Server `ERRORLOG` | `Login failed for user 'U'. Reason: … [CLIENT: IP]` | see [`mssql_reason`] |
//!
//! Other messages of these programs (deliveries, `possible SMTP attack`
//! summaries, Dropbear's `Exit before auth` summary of attempts already
//! logged, Cyrus's `badlogin` echo without address) are
//! [`Parsed::Directive`]. Datasets: `auth.exim`, `auth.courier`,
//! `auth.cyrus`, `auth.sendmail`, `auth.dropbear`, `auth.zimbra`,
//! `auth.nginx_mail`, `auth.mssql`. Servers that answer "bad credentials"
//! without telling whether the account exists are classed bad password, as
//! Dovecot and Postfix.

pub use crate::mssql::mssql_reason;
use crate::norm::{account, ip};
use haboob_model::{AuthEvent, AuthOutcome, EventRef, FailureClass, Parsed, RecordError, Ts};
use std::borrow::Cow;
use std::net::IpAddr;
use AuthOutcome::*;
use FailureClass::*;

/// One auth event; an empty `user` is kept empty (a failure whose name the
/// server did not log).
pub(crate) fn auth<'a>(
    ts: Ts,
    dataset: &'static str,
    app: &'a str,
    user: &'a str,
    source_ip: Option<IpAddr>,
    outcome: AuthOutcome,
    failure: Option<FailureClass>,
) -> Result<Parsed<'a>, RecordError> {
    auth_in(ts, dataset, app, (user, ""), source_ip, outcome, failure)
}

/// [`auth`] with an NT domain logged beside the name.
pub(crate) fn auth_in<'a>(
    ts: Ts,
    dataset: &'static str,
    app: &'a str,
    (user, nt_domain): (&'a str, &'a str),
    source_ip: Option<IpAddr>,
    outcome: AuthOutcome,
    failure: Option<FailureClass>,
) -> Result<Parsed<'a>, RecordError> {
    let (user, domain) = if user.trim().is_empty() && outcome != Success {
        (Cow::Borrowed(""), Cow::Borrowed(""))
    } else {
        account(Cow::Borrowed(user), Cow::Borrowed(nt_domain))?
    };
    Ok(Parsed::Event(EventRef::Auth(AuthEvent {
        source_ip,
        user,
        domain,
        failure,
        app: Cow::Borrowed(app),
        ..AuthEvent::empty(ts, dataset, outcome)
    })))
}

fn d2(b: &[u8]) -> Option<u32> {
    match b {
        [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(c - b'0'))
        }
        _ => None,
    }
}

/// A time stamp at the start of a line (see [`civil`]).
struct Stamp {
    ts: Result<Ts, RecordError>,
    /// The fraction's mark (`.` or `,`), 0 without a fraction.
    mark: u8,
    /// Bytes read: 19, or 20 and the fraction's digits.
    len: usize,
}

/// `YYYY?MM?DD HH:MM:SS[.f|,f]` with `sep` between the date fields; the
/// fraction (any number of digits, as Exim's `.mmm`, Zimbra's `,mmm` or SQL
/// Server's `.cc`) is read to the millisecond (`.3` → 300, `.3456` → 345).
fn civil(b: &[u8], sep: u8) -> Option<Stamp> {
    if b.len() < 19 || b[4] != sep || b[7] != sep || b[10] != b' ' || b[13] != b':' || b[16] != b':'
    {
        return None;
    }
    let y = d2(&b[0..2])? * 100 + d2(&b[2..4])?;
    let (mo, d) = (d2(&b[5..7])?, d2(&b[8..10])?);
    let (h, mi, s) = (d2(&b[11..13])?, d2(&b[14..16])?, d2(&b[17..19])?);
    let (mut mark, mut len, mut ms) = (0, 19, 0);
    if let Some(&m @ (b'.' | b',')) = b.get(19) {
        let digits = b[20..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 {
            (mark, len) = (m, 20 + digits);
            ms = b[20..len]
                .iter()
                .chain(b"00")
                .take(3)
                .fold(0, |ms, c| ms * 10 + u32::from(c - b'0'));
        }
    }
    let ts = Ts::from_civil(i64::from(y), mo, d, h, mi, s, ms)
        .map_err(|e| RecordError::new(format!("bad time: {e}")));
    Some(Stamp { ts, mark, len })
}

/// A line in one of the own-file framings (module docs): `None` when the
/// line is in none of them (the caller tries syslog framing next).
pub(crate) fn own_file(line: &str) -> Option<Result<Parsed<'_>, RecordError>> {
    let b = line.as_bytes();
    if b.first().is_some_and(u8::is_ascii_digit) {
        if let Some(st) = civil(b, b'/') {
            return nginx_error_file(st.ts, &line[st.len..]);
        }
        let st = civil(b, b'-')?;
        // Zimbra: `,mmm LEVEL [`; SQL Server: `.cc Source`; else Exim, whose
        // `.mmm` (log_timezone / millisec options) is optional.
        let rest = &line[st.len..];
        match (st.mark, st.len) {
            (b',', 23) => {
                return zimbra(rest).map(|(c, m)| st.ts.and_then(|ts| zimbra_msg(ts, c, m)));
            }
            (b',', _) => return None,
            (b'.', 22) if rest.starts_with(' ') => {
                return Some(st.ts.and_then(|ts| mssql_errorlog(ts, rest.trim_start())));
            }
            _ => {}
        }
        let mut rest = rest.strip_prefix(' ')?;
        // Optional zone `+0200`, then optional `[pid] `.
        let mut offset = 0i64;
        if let Some(z) = rest.get(..6).filter(|z| {
            let zb = z.as_bytes();
            matches!(zb[0], b'+' | b'-') && zb[1..5].iter().all(u8::is_ascii_digit) && zb[5] == b' '
        }) {
            let zb = z.as_bytes();
            let mins = i64::from(d2(&zb[1..3])? * 60 + d2(&zb[3..5])?);
            offset = if zb[0] == b'-' { -mins } else { mins };
            rest = &rest[6..];
        }
        if let Some(r) = rest.strip_prefix('[') {
            let (pid, r) = r.split_once("] ")?;
            if !pid.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            rest = r;
        }
        if !exim_shaped(rest) {
            return None;
        }
        return Some(st.ts.and_then(|ts| exim(Ts(ts.0 - offset * 60_000), rest)));
    }
    None
}

/// Lines in a framing of their own (Exim, Zimbra, nginx, SQL Server,
/// Exchange protocol logs, Roundcube, Samba files): `None` when in none of them.
pub(crate) fn other_framings(line: &str) -> Option<Result<Parsed<'_>, RecordError>> {
    own_file(line)
        .or_else(|| crate::exchange::protocol_log(line))
        .or_else(|| crate::webmail::roundcube_file(line))
        .or_else(|| crate::samba::samba_file(line))
}

/// Syslog messages of the programs of this module and of
/// [`crate::webmail`] / [`crate::samba`]; `None` for other programs.
pub(crate) fn by_program<'a>(
    ts: Ts,
    prog: &'a str,
    msg: &'a str,
) -> Option<Result<Parsed<'a>, RecordError>> {
    Some(match prog.trim_end() {
        "exim" | "exim4" => exim(ts, msg),
        "imapd" | "imapd-ssl" | "pop3d" | "pop3d-ssl" | "courierpop3login" | "courierpop3d"
        | "imap" | "imaps" | "pop3" | "pop3s" => crate::mailsys::imap_pop(ts, prog, msg),
        p if p.starts_with("cyrus/") => crate::mailsys::imap_pop(ts, prog, msg),
        "courieresmtpd" => crate::mailsys::courier_esmtpd(ts, msg),
        p if p == "sendmail" || p.starts_with("sm-") => crate::mailsys::sendmail(ts, msg),
        "dropbear" => crate::mailsys::dropbear(ts, msg),
        "nginx" => nginx_syslog(msg).unwrap_or(Ok(Parsed::Directive)),
        "smbd" | "samba" | "winbindd" => crate::samba::samba(msg),
        "roundcube" => crate::webmail::roundcube(ts, msg),
        "sogod" => crate::webmail::sogo(ts, msg),
        "HORDE" | "horde" => crate::webmail::horde(ts, msg),
        _ => return None,
    })
}

/// Does `msg` read like an Exim main-log message?
fn exim_shaped(msg: &str) -> bool {
    let b = msg.as_bytes();
    // Message id `1PLKOW-00046U-EW` (old) or `1rT9bX-000Ldg-2k` / longer (4.97+).
    let id = b.len() > 17
        && b[6] == b'-'
        && b[..6].iter().all(u8::is_ascii_alphanumeric)
        && msg[7..].split_once('-').is_some_and(|(m, r)| {
            (6..=11).contains(&m.len())
                && m.bytes().all(|c| c.is_ascii_alphanumeric())
                && r.len() > 3
                && r.as_bytes()[..2].iter().all(u8::is_ascii_alphanumeric)
        });
    id || msg.contains(" authenticator failed for ")
        || [
            "H=",
            "SMTP ",
            "Start queue run",
            "End queue run",
            "no host name found",
            "no IP address found",
            "no MAIL in SMTP",
            "TLS error",
            "exim ",
            "Completed",
            "unexpected disconnection",
            "rejected ",
            "cwd=",
            "Warning: ",
            "Connection from",
            "SMTP connection",
            "LOG:",
        ]
        .iter()
        .any(|p| msg.starts_with(p))
}

/// Exim main-log message (own file, or the text after `exim[pid]: `).
pub(crate) fn exim(ts: Ts, msg: &str) -> Result<Parsed<'_>, RecordError> {
    const DS: &str = "auth.exim";
    // Journal entries may repeat Exim's own time stamp.
    let msg = if let Some(st) = civil(msg.as_bytes(), b'-') {
        msg[st.len..].trim_start()
    } else {
        msg
    };
    if let Some((_, r)) = msg.split_once(" authenticator failed for ") {
        let (addr, reply) = exim_client(r)?;
        let user = reply
            .rsplit_once("(set_id=")
            .map_or("", |(_, u)| u.strip_suffix(')').unwrap_or(u));
        // 435: the authenticator could not check (temporary failure).
        let class = if reply.starts_with("435") {
            Other
        } else {
            BadPassword
        };
        return auth(ts, DS, "smtp", user, addr, Failure, Some(class));
    }
    // Accepted message from an authenticated client: `<= … H=… [IP]… A=drv:U`.
    if let Some(i) = msg.find(" <= ") {
        let r = &msg[i..];
        if let (Some(h), Some(a)) = (r.find(" H="), r.find(" A=")) {
            let Some((_, user)) = r[a + 3..].split(' ').next().and_then(|s| s.split_once(':'))
            else {
                return Ok(Parsed::Directive);
            };
            let host = &r[h..];
            let addr = host
                .split_once('[')
                .and_then(|(_, x)| x.split_once(']'))
                .map(|(x, _)| x)
                .ok_or(RecordError::fixed("Exim H= without address"))?;
            return auth(ts, DS, "smtp", user, ip(addr)?, Success, None);
        }
    }
    Ok(Parsed::Directive)
}

/// `[host ][(helo) ][IP][:port][ I=[ip]:port][ Ci=n]: <reply>` → (IP, reply).
/// The HELO name (before) and `set_id` (after) are the client's text and may
/// hold brackets and colons: the address is the last `[IP]` followed by
/// exactly that suffix and a 4xx/5xx reply, before the first `(set_id=`.
fn exim_client(r: &str) -> Result<(Option<IpAddr>, &str), RecordError> {
    fn digits(s: &str) -> &str {
        s.trim_start_matches(|c: char| c.is_ascii_digit())
    }
    let cut = r.find(" (set_id=").unwrap_or(r.len());
    let mut found = None;
    for (i, _) in r[..cut].match_indices('[') {
        // `I=[ip]:port` is the local (listening) address.
        if r[..i].ends_with("I=") {
            continue;
        }
        let Some((addr, mut rest)) = r[i + 1..].split_once(']') else {
            break;
        };
        if addr.parse::<IpAddr>().is_err() {
            continue;
        }
        if let Some(x) = rest
            .strip_prefix(':')
            .filter(|x| x.starts_with(|c: char| c.is_ascii_digit()))
        {
            rest = digits(x);
        }
        if let Some(x) = rest.strip_prefix(" I=[") {
            rest = x.split_once("]:").map_or("", |(_, p)| digits(p));
        }
        if let Some(x) = rest.strip_prefix(" Ci=") {
            rest = digits(x);
        }
        if let Some(reply) = rest.strip_prefix(": ") {
            if reply.starts_with(['4', '5']) {
                found = Some((addr, reply));
            }
        }
    }
    let (addr, reply) = found.ok_or(RecordError::fixed(
        "Exim authenticator line without client address",
    ))?;
    Ok((ip(addr)?, reply))
}

/// `error.log` of nginx, or its message relayed through syslog (`nginx:`).
pub(crate) fn nginx_error_log(ts: Ts, rest: &str) -> Result<Parsed<'_>, RecordError> {
    let Some((_, msg)) = rest.split_once(" client login failed: ") else {
        return Ok(Parsed::Directive);
    };
    nginx_login_failed(ts, msg)
}

/// An nginx error-log line: claimed only when it is a mail-proxy line (a
/// login failure, or a session line naming its `login:`), so the error log
/// of a web server is not taken for a sign-in source.
fn nginx_error_file(
    ts: Result<Ts, RecordError>,
    rest: &str,
) -> Option<Result<Parsed<'_>, RecordError>> {
    if let Some((_, msg)) = rest.split_once(" client login failed: ") {
        return Some(ts.and_then(|ts| nginx_login_failed(ts, msg)));
    }
    rest.contains(", login: \"")
        .then(|| ts.map(|_| Parsed::Directive))
}

fn nginx_login_failed(ts: Ts, msg: &str) -> Result<Parsed<'_>, RecordError> {
    const DS: &str = "auth.nginx_mail";
    let field = |key: &str| -> Option<&str> {
        let (_, v) = msg.split_once(key)?;
        Some(v.split(',').next().unwrap_or(v))
    };
    let client =
        field(", client: ").ok_or(RecordError::fixed("nginx mail login without client"))?;
    let port = field(", server: ")
        .and_then(|s| s.rsplit_once(':'))
        .map_or("", |(_, p)| p);
    let app = match port {
        "25" | "465" | "587" => "smtp",
        "143" | "993" => "imap",
        "110" | "995" => "pop3",
        _ => "mail",
    };
    let user = msg
        .split_once(", login: \"")
        .and_then(|(_, u)| u.rsplit_once('"'))
        .map_or("", |(u, _)| u);
    // `"AUTH not supported"`: refused before any password check.
    let class = if msg.starts_with("\"Authentication credentials invalid\"") {
        BadPassword
    } else {
        Other
    };
    auth(ts, DS, app, user, ip(client)?, Failure, Some(class))
}

/// Syslog `nginx:` messages that carry an error-log line.
pub(crate) fn nginx_syslog<'a>(msg: &'a str) -> Option<Result<Parsed<'a>, RecordError>> {
    let st = civil(msg.as_bytes(), b'/')?;
    Some(st.ts.and_then(|ts| nginx_error_log(ts, &msg[st.len..])))
}

/// Zimbra `mailbox.log` after the time stamp: (context, message), `None`
/// when not in its shape.
fn zimbra(rest: &str) -> Option<(&str, &str)> {
    // ` LEVEL  [thread] [context] Logger - msg`
    let r = rest.trim_start();
    let (level, r) = r.split_once(' ')?;
    if !matches!(
        level,
        "INFO" | "WARN" | "ERROR" | "DEBUG" | "FATAL" | "TRACE"
    ) {
        return None;
    }
    let r = r.trim_start().strip_prefix('[')?;
    let (_thread, r) = r.split_once("] [")?;
    let (context, msg) = r.split_once("] ")?;
    let (_logger, msg) = msg.split_once(" - ")?;
    Some((context, msg))
}

fn zimbra_msg<'a>(ts: Ts, context: &'a str, msg: &'a str) -> Result<Parsed<'a>, RecordError> {
    const DS: &str = "auth.zimbra";
    let Some((_, r)) = msg.split_once("authentication failed for [") else {
        return Ok(Parsed::Directive);
    };
    let (user, reason) = r.rsplit_once("]").ok_or(RecordError::fixed(
        "Zimbra authentication failure without user",
    ))?;
    let ctx = |key: &str| {
        context
            .split(';')
            .find_map(|kv| kv.strip_prefix(key))
            .filter(|v| !v.is_empty())
    };
    // `oip` is the original client behind Zimbra's proxy; `ip` the peer.
    let addr = ctx("oip=").or_else(|| ctx("ip=")).unwrap_or("");
    let app = match ctx("oproto=").or_else(|| ctx("prot=")) {
        Some("smtp") => "smtp",
        Some("imap") | Some("imaps") => "imap",
        Some("pop3") | Some("pop3s") => "pop3",
        _ => "zimbra",
    };
    let class = if reason.contains("account not found") {
        UnknownUser
    } else if reason.contains("invalid password") {
        BadPassword
    } else if reason.contains("account lockout") || reason.contains("locked") {
        LockedOut
    } else {
        Other
    };
    auth(ts, DS, app, user, ip(addr)?, Failure, Some(class))
}

fn mssql_errorlog(ts: Ts, msg: &str) -> Result<Parsed<'_>, RecordError> {
    // `Source      message`: only the `Logon` source reports logins.
    let (source, msg) = msg.split_once(' ').unwrap_or((msg, ""));
    // `Login failed for user 'U'. Reason: … [CLIENT: IP]`
    let Some(r) = (source == "Logon")
        .then(|| msg.trim_start().strip_prefix("Login failed for user '"))
        .flatten()
    else {
        return Ok(Parsed::Directive);
    };
    let Some((user, rest)) = r.rsplit_once("'. Reason: ").or_else(|| r.rsplit_once("'.")) else {
        return Ok(Parsed::Directive);
    };
    let addr = rest
        .rsplit_once("[CLIENT: ")
        .map_or("", |(_, a)| a.split(']').next().unwrap_or(""));
    // `<local machine>` is not an address.
    let addr = if addr.starts_with('<') {
        None
    } else {
        ip(addr)?
    };
    let class = mssql_reason(rest);
    auth(ts, "auth.mssql", "mssql", user, addr, Failure, Some(class))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framings() {
        let t = |s: &str| {
            civil(s.as_bytes(), b'-').map(|st| (st.ts.unwrap().to_string(), st.mark, st.len))
        };
        let at = |ms: &str| format!("2022-06-29T16:04:05.{ms}Z");
        assert_eq!(t("2022-06-29 16:04:05 x"), Some((at("000"), 0, 19)));
        assert_eq!(t("2022-06-29T16:04:05 x"), None);
        assert!(civil(b"2022-13-29 16:04:05", b'-').unwrap().ts.is_err());
        // Fractions of a second, of any length, to the millisecond.
        assert_eq!(t("2022-06-29 16:04:05.5 x"), Some((at("500"), b'.', 21)));
        assert_eq!(t("2022-06-29 16:04:05.07 x"), Some((at("070"), b'.', 22)));
        assert_eq!(t("2022-06-29 16:04:05,123 x"), Some((at("123"), b',', 23)));
        assert_eq!(t("2022-06-29 16:04:05.987654"), Some((at("987"), b'.', 26)));
        // A mark without digits is no fraction.
        assert_eq!(t("2022-06-29 16:04:05. x"), Some((at("000"), 0, 19)));
        assert_eq!(t("2022-06-29 16:04:05;123 x"), Some((at("000"), 0, 19)));
        // An IIS line is not claimed as Exim's.
        assert!(
            own_file("2024-05-01 08:00:00 10.0.0.5 GET / - 443 - 1.2.3.4 UA - 200 0 0 1").is_none()
        );
        // Exim with zone: the time is moved to UTC.
        let Some(Ok(Parsed::Event(EventRef::Auth(e)))) = own_file(
            "2022-06-29 16:04:05 +0200 [123] login authenticator failed for (x) [192.0.2.1]: 535 Incorrect authentication data (set_id=A)",
        ) else {
            panic!()
        };
        assert_eq!(
            (e.ts.to_string().as_str(), e.user.as_ref()),
            ("2022-06-29T14:04:05.000Z", "a")
        );
    }
}
