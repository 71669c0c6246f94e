//! The host samples of [`super`] (OpenSSH pre-authentication, auditd,
//! Windows event XML), asserted by `cases_host.rs`; `samples.rs` includes
//! this file by path, so it is found wherever that file is.

use super::X::{Wp, D, E, P, R, W};
use super::{co, fx, Sample, BP, OT, UU};
use haboob_model::AuthOutcome::*;

/// `auditd/audit.log`: sshd's own `USER_LOGIN` records are its sign-ins;
/// its PAM records, local programs (`su`), loopback and other record
/// types are audit records only.
pub fn auditd() -> Sample {
    let f = |u, class, ip| E("auth.auditd", "ssh", u, Failure, class, ip);
    fx(
        "auditd/audit.log",
        vec![
            // `acct="(unknown)"`: no user name was sent.
            f("", OT, "1.2.3.4"),
            // A session opened: named by `id=` only, not enriched.
            D,
            // `su` from loopback.
            D,
            D,
            // An account sshd names exists: a refused credential.
            f("root", BP, "46.160.144.250"),
            D,
            D,
            // `acct` hex-encoded: `(invalid user)`.
            f("", UU, "179.38.151.221"),
            // sshd's own `USER_AUTH` (RHEL 6): the `USER_LOGIN` counts.
            D,
            D,
            D,
        ],
    )
}

/// `sshd_preauth.log`: pre-authentication connections are probes with their
/// address and the client's offer; lines naming a user, or without an
/// address, are not.
pub fn sshd_preauth() -> Sample {
    let f = |u, ip| E("auth.sshd", "ssh", u, Failure, OT, ip);
    fx(
        "sshd_preauth.log",
        vec![
            P("5.20.95.202", ""),
            P("69.61.56.115", "dummy string' from 192.0.2.1"),
            P("192.0.2.39", ""),
            D,
            P("192.0.2.4", ""),
            P("206.189.59.169", "ssh-rsa,ssh-dss"),
            P("192.0.2.2", "diffie-hellman-group1-sha1"),
            D,
            D,
            D,
            P("66.240.236.119", ""),
            f("root", "206.81.24.125"),
            D,
            P("203.0.113.5", ""),
            D,
            P("203.0.113.5", ""),
            P("203.0.113.5", ""),
            D,
            D,
            P("203.0.113.5", ""),
            D,
            D,
            P("2001:db8::5", ""),
            D,
            R("bad source IP address"),
        ],
    )
}

/// `windows/security.xml`: Windows events as XML text lines (hand-written,
/// see `SOURCES.md`), read as the EVTX reader reads the same events.
pub fn windows_xml() -> Sample {
    let ds = "auth.windows";
    fx(
        "windows/security.xml",
        vec![
            // 4624, network logon; `&apos;` unescaped, `::ffff:` mapped.
            E(ds, "network", "o'brien", Success, None, "192.0.2.10"),
            // 4672 (special privileges): a Windows event, not a sign-in
            // (every event reaches the pipeline for Sigma rules; was D).
            W(4672),
            // 4625, RDP, SubStatus bad password under the generic Status.
            E(ds, "remote-interactive", "administrator", Failure, BP, "203.0.113.7"),
            // 4771, Kerberos 0x18.
            E(ds, "kerberos", "svc-backup", Failure, BP, "198.51.100.4"),
            // 18456 of SQL Server, unnamed Data values.
            E("auth.mssql", "mssql", "sa", Failure, BP, "192.0.2.55"),
            // 18456 of another provider: a Windows event, not a sign-in
            // (was D).
            W(18456),
            // 4625 without Status: no sign-in, still its Windows event.
            Wp(4625, "missing or bad Status"),
            R("bad Windows event XML: the line ends inside <Event>"),
            R("bad Windows event XML: ill-formed document: expected `</Data>`, but `</Dat>` was found at byte 363"),
        ],
    )
}

/// CrowdSec's windows-bf case: six 4625 network logons of the unknown name
/// `asdfasdf` from 192.168.9.212 (SubStatus 0xC0000064), as XML text lines.
pub fn windows_bf() -> Sample {
    co(
        "crowdsec/.tests/windows-bf/windows-bf.log",
        vec![
            E(
                "auth.windows",
                "network",
                "asdfasdf",
                Failure,
                UU,
                "192.168.9.212"
            );
            6
        ],
    )
}
