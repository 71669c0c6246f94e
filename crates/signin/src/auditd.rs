//! Linux audit logs (`/var/log/audit/audit.log`, format `auditd`): one
//! record per line, `[node=N ]type=T msg=audit(SECS.MS:SERIAL): k=v …`,
//! raw or `ENRICHED`; also records relayed to syslog by the audisp syslog
//! plugin (`… host audisp-syslog: type=…`, read by the `syslog` format).
//! Each record becomes an [`EventRef::Audit`] with auditd's field names
//! ([`haboob_model::AuditEvent`] documents them: hex-decoded strings,
//! `EXECVE` arguments `a0`…`aN`, the enriched `SYSCALL` name).
//!
//! Records are matched one by one, not grouped into events by serial:
//! every SigmaHQ `service: auditd` rule (54 at SigmaHQ commit 8eaafff) has
//! selections that each name one record type (`type: EXECVE` with
//! `a0`…`aN`, `type: SYSCALL` with `SYSCALL`/`exe`/`comm`/`key`, `type:
//! PATH` with `name`, `type: SERVICE_STOP` with `unit`, …) joined by `or`
//! (`1 of selection_*`); no rule needs fields of two records of one event
//! at once. So nothing is buffered: memory does not grow with the log, and
//! records out of order or split across files match the same. The serial is
//! kept ([`haboob_model::AuditEvent::serial`]) for whoever reads the hits.
//!
//! A line that is not an audit record (no `type=`, no `msg=audit(…):`
//! header, a bad time or serial) is rejected with the reason.
//!
//! **Sign-ins.** A record of a remote sign-in is also an [`AuthEvent`]
//! (dataset `auth.auditd`; [`Parsed::Both`]: the sign-in first), so the
//! account detectors see servers that keep only an audit log:
//!
//! - sshd (`exe` `…/sshd`, `…/sshd-session`, `…/sshd-auth`): its own
//!   `USER_LOGIN` records (`op=login`), one per failed authentication
//!   (any method but the first `none`) and one per session opened. The
//!   account is `acct` (`(invalid user)`: an unknown user, name not
//!   logged); a session opened names its user only by `id=UID`, so its
//!   name is the enriched `ID` (`log_format = ENRICHED`) and a success
//!   without one is not a sign-in. sshd's PAM records (`USER_AUTH`,
//!   `USER_ACCT`) repeat the same attempts and are not counted again.
//! - any other program: `USER_AUTH` with `op=PAM:authentication` (a
//!   password checked by PAM: vsftpd, Dovecot or Cockpit through PAM).
//!
//! Failure classes: sshd names the account only when it exists, so a
//! failure naming one is `bad_password` (a refused credential: sshd does
//! not log the method, so a refused key counts too) and `(invalid user)`
//! is `unknown_user`; without a name (`(unknown)`: none was sent), and for
//! PAM checks of other programs (PAM does not say whether the account
//! exists), `other`. Only
//! records with a remote address (`addr`, else `hostname`, not loopback)
//! are sign-ins: `su`, `sudo` and console logins stay audit records.

use crate::norm::account;
use haboob_model::{
    AuditEvent, AuthEvent, AuthOutcome, EventRef, FailureClass, FieldView, LineParser, Parsed,
    RecordError, Value,
};
use std::borrow::Cow;
use std::net::IpAddr;

/// Dataset of sign-ins read from audit records.
pub const AUTH_DATASET: &str = "auth.auditd";

/// Line parser for auditd logs (format `auditd`).
#[derive(Debug, Default, Clone, Copy)]
pub struct AuditdParser;

/// One record (the text from `node=` or `type=` on).
pub(crate) fn record(text: &str) -> Result<Parsed<'_>, RecordError> {
    let a = AuditEvent::parse(text.trim_end()).map_err(RecordError::fixed)?;
    Ok(match signin(&a) {
        None => Parsed::Event(EventRef::Audit(a)),
        Some(Ok(auth)) => Parsed::Both(EventRef::Auth(auth), EventRef::Audit(a)),
        Some(Err(why)) => Parsed::Partial(EventRef::Audit(a), why),
    })
}

/// A field's text (`None` when absent, null or `?`).
fn text(a: &AuditEvent<'_>, name: &str) -> Option<String> {
    let s = match a.field(name)? {
        Value::Str(s) => s.into_owned(),
        Value::Int(i) => i.to_string(),
        Value::Null => return None,
    };
    (!s.is_empty() && s != "?").then_some(s)
}

/// The remote address of a record: `addr`, else `hostname`, when it is an
/// address and not loopback or unspecified.
fn remote(a: &AuditEvent<'_>) -> Option<IpAddr> {
    ["addr", "hostname"].iter().find_map(|k| {
        let ip: IpAddr = text(a, k)?.parse().ok()?;
        let ip = haboob_model::canonical_ip(ip);
        (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
    })
}

/// The sign-in a record stands for, if it is one.
fn signin(a: &AuditEvent<'_>) -> Option<Result<AuthEvent<'static>, RecordError>> {
    let kind = a.record_type;
    if kind != "USER_LOGIN" && kind != "USER_AUTH" {
        return None;
    }
    let exe = text(a, "exe").unwrap_or_default();
    let prog = exe.rsplit('/').next().unwrap_or_default();
    let sshd = matches!(prog, "sshd" | "sshd-session" | "sshd-auth");
    let op = text(a, "op").unwrap_or_default();
    let counted = if sshd {
        kind == "USER_LOGIN" && op == "login"
    } else {
        kind == "USER_AUTH" && op == "PAM:authentication"
    };
    if !counted {
        return None;
    }
    let ip = remote(a)?;
    let outcome = match text(a, "res").as_deref() {
        Some("success" | "yes" | "1") => AuthOutcome::Success,
        Some("failed" | "no" | "0") => AuthOutcome::Failure,
        _ => return None,
    };
    let acct = text(a, "acct").filter(|s| s != "(unknown)");
    let (name, failure) = match (outcome, acct) {
        (AuthOutcome::Failure, Some(s)) if s == "(invalid user)" => {
            (String::new(), Some(FailureClass::UnknownUser))
        }
        // sshd names an account only when it exists (`(invalid user)`
        // otherwise): a refused credential for an existing account.
        (AuthOutcome::Failure, Some(n)) if sshd => (n, Some(FailureClass::BadPassword)),
        (AuthOutcome::Failure, n) => (n.unwrap_or_default(), Some(FailureClass::Other)),
        (_, Some(n)) => (n, None),
        // A session opened names its user by id only: the enriched name.
        (_, None) => {
            let n = text(a, "ID").filter(|s| !s.bytes().all(|b| b.is_ascii_digit()))?;
            (n, None)
        }
    };
    let (user, domain) = if name.is_empty() {
        (Cow::Borrowed(""), Cow::Borrowed(""))
    } else {
        match account(Cow::Owned(name), Cow::Borrowed("")) {
            Ok((u, d)) => (Cow::Owned(u.into_owned()), Cow::Owned(d.into_owned())),
            Err(e) => return Some(Err(e)),
        }
    };
    // The program as the app name, at most 64 bytes.
    let app = if sshd {
        "ssh"
    } else {
        haboob_model::bounded(prog, 64)
    };
    Some(Ok(AuthEvent {
        source_ip: Some(ip),
        user,
        domain,
        failure,
        app: Cow::Owned(app.to_owned()),
        ..AuthEvent::empty(a.ts, AUTH_DATASET, outcome)
    }))
}

impl LineParser for AuditdParser {
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        if line.trim().is_empty() {
            return Err(RecordError::fixed("empty line"));
        }
        record(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(line: &str) -> Option<AuthEvent<'static>> {
        match record(line).unwrap() {
            Parsed::Both(EventRef::Auth(a), EventRef::Audit(r)) => {
                assert_eq!(a.ts, r.ts);
                let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
                Some(AuthEvent {
                    user: own(a.user),
                    domain: own(a.domain),
                    tenant: own(a.tenant),
                    app: own(a.app),
                    client: own(a.client),
                    country: own(a.country),
                    source_ip: a.source_ip,
                    failure: a.failure,
                    ..AuthEvent::empty(a.ts, a.dataset, a.outcome)
                })
            }
            Parsed::Event(EventRef::Audit(_)) => None,
            other => panic!("{other:?}"),
        }
    }

    const H: &str =
        "type=USER_LOGIN msg=audit(1700000000.500:77): pid=9 uid=0 auid=1000 ses=3 msg='op=login";

    #[test]
    fn a_session_opened_is_named_by_the_enriched_id_only() {
        let plain = format!("{H} id=1000 exe=\"/usr/sbin/sshd\" hostname=? addr=198.51.100.7 terminal=/dev/pts/0 res=success'");
        assert!(auth(&plain).is_none());
        let enriched = format!("{plain}\x1dAUID=\"alice\" ID=\"Alice\"");
        let a = auth(&enriched).unwrap();
        assert_eq!(
            (a.user.as_ref(), a.outcome, a.app.as_ref(), a.dataset),
            ("alice", AuthOutcome::Success, "ssh", AUTH_DATASET)
        );
        assert_eq!(a.source_ip, Some("198.51.100.7".parse().unwrap()));
        assert_eq!(a.ts.0, 1_700_000_000_500);
        // A numeric enriched id is no name either.
        assert!(auth(&format!("{plain}\x1dID=\"1000\"")).is_none());
    }

    #[test]
    fn pam_checks_of_other_programs_count_and_sshd_pam_does_not() {
        let pam = |exe: &str, addr: &str, res: &str| {
            format!("type=USER_AUTH msg=audit(1700000001.000:78): pid=10 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication grantors=? acct=\"Bob\" exe=\"{exe}\" hostname={addr} addr={addr} terminal=ftp res={res}'")
        };
        let a = auth(&pam("/usr/sbin/vsftpd", "203.0.113.9", "failed")).unwrap();
        assert_eq!(
            (a.user.as_ref(), a.outcome, a.failure, a.app.as_ref()),
            (
                "bob",
                AuthOutcome::Failure,
                Some(FailureClass::Other),
                "vsftpd"
            )
        );
        let ok = auth(&pam("/usr/sbin/vsftpd", "203.0.113.9", "success")).unwrap();
        assert_eq!((ok.outcome, ok.failure), (AuthOutcome::Success, None));
        // sshd's PAM record repeats its USER_LOGIN; su from no address and
        // anything from loopback are local.
        assert!(auth(&pam("/usr/sbin/sshd", "203.0.113.9", "failed")).is_none());
        assert!(auth(&pam(
            "/usr/lib/openssh/sshd-session",
            "203.0.113.9",
            "failed"
        ))
        .is_none());
        assert!(auth(&pam("/bin/su", "?", "failed")).is_none());
        assert!(auth(&pam("/usr/sbin/vsftpd", "::1", "failed")).is_none());
        // An unreadable result is no sign-in.
        assert!(auth(&pam("/usr/sbin/vsftpd", "203.0.113.9", "maybe")).is_none());
    }

    #[test]
    fn the_address_is_addr_then_hostname_and_mapped_v4_is_v4() {
        let line = |host: &str, addr: &str| {
            format!("{H} acct=\"carol\" exe=\"/usr/sbin/sshd\" hostname={host} addr={addr} terminal=ssh res=failed'")
        };
        let a = auth(&line("?", "::ffff:192.0.2.44")).unwrap();
        assert_eq!(a.source_ip, Some("192.0.2.44".parse().unwrap()));
        let b = auth(&line("192.0.2.45", "?")).unwrap();
        assert_eq!(b.source_ip, Some("192.0.2.45".parse().unwrap()));
        assert!(auth(&line("gateway", "?")).is_none());
    }

    #[test]
    fn a_bad_account_name_keeps_the_audit_record() {
        let long = "x".repeat(400);
        let line = format!("{H} acct=\"{long}\" exe=\"/usr/sbin/sshd\" hostname=? addr=192.0.2.9 terminal=ssh res=failed'");
        match record(&line).unwrap() {
            Parsed::Partial(EventRef::Audit(a), why) => {
                assert_eq!(a.record_type, "USER_LOGIN");
                assert_eq!(why.reason, "user name longer than 320 bytes");
            }
            other => panic!("{other:?}"),
        }
    }
}
