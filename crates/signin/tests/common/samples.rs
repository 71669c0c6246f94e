//! The sign-in samples of issue 11 and what each of their lines must give:
//! one table per sample, asserted line by line both through the parsers
//! (`crates/signin/tests/cases_mail.rs`, `cases_host.rs`) and through
//! `haboob events` (`crates/cli/tests/events_samples.rs`, which includes this
//! file by path: it may use `haboob_model` only). The host samples are in
//! `samples_host.rs`, which this file includes by path in turn.
//!
//! Samples: `crates/signin/tests/fixtures/` (a few lines quoted from public
//! test logs, see `SOURCES.md` there) and files of the real-data corpus
//! (CrowdSec hub tests, EVTX-ATTACK-SAMPLES), reached through
//! `haboob-testdata`.

#![allow(dead_code)]

use haboob_model::{AuthEvent, AuthOutcome, FailureClass};
use AuthOutcome::*;
use FailureClass::*;

/// What one line (or EVTX record) must give.
#[derive(Debug, Clone, PartialEq)]
pub enum X {
    /// An authentication event: dataset, app, user, outcome, failure class,
    /// source address.
    E(
        &'static str,
        &'static str,
        &'static str,
        AuthOutcome,
        Option<FailureClass>,
        &'static str,
    ),
    /// An OpenSSH pre-authentication probe (`auth.sshd`, app `ssh`, no user,
    /// no class): source address and the client's offer.
    P(&'static str, &'static str),
    /// Read, not a sign-in.
    D,
    /// A Windows event that is not a sign-in: its event id.
    W(u32),
    /// Rejected with this reason.
    R(&'static str),
    /// A Windows sign-in record whose sign-in did not map (this reason):
    /// read as its Windows event (this id) only.
    Wp(u32, &'static str),
}
#[allow(unused_imports)]
use X::{Wp, D, E, P, R, W};

/// Where a sample lies.
#[derive(Debug, Clone, Copy)]
pub enum Src {
    /// `crates/signin/tests/fixtures/<path>`.
    Fixture(&'static str),
    /// `<corpus>/<path>` (listed in `corpus/manifest.tsv`).
    Corpus(&'static str),
}

/// One sample and its expectation, line by line.
#[derive(Debug, Clone)]
pub struct Sample {
    pub src: Src,
    pub want: Vec<X>,
}

fn fx(path: &'static str, want: Vec<X>) -> Sample {
    Sample {
        src: Src::Fixture(path),
        want,
    }
}

fn co(path: &'static str, want: Vec<X>) -> Sample {
    Sample {
        src: Src::Corpus(path),
        want,
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

/// What an event gives, in the tables' terms.
pub fn of_auth(e: &AuthEvent<'_>) -> X {
    let ip = leak(&e.source_ip.map(|i| i.to_string()).unwrap_or_default());
    if e.outcome == Probe
        && e.dataset == "auth.sshd"
        && e.app == "ssh"
        && e.user.is_empty()
        && e.failure.is_none()
    {
        return P(ip, leak(&e.client));
    }
    E(
        e.dataset,
        leak(&e.app),
        leak(&e.user),
        e.outcome,
        e.failure,
        ip,
    )
}

#[path = "samples_host.rs"]
mod host;
pub use host::{auditd, sshd_preauth, windows_bf, windows_xml};

const BP: Option<FailureClass> = Some(BadPassword);
const UU: Option<FailureClass> = Some(UnknownUser);
const OT: Option<FailureClass> = Some(Other);

/// Every sample.
pub fn all() -> Vec<Sample> {
    let mut v = vec![
        exim_mainlog(),
        exim_bf(),
        zimbra_bf(),
        nginx_mail_bf(),
        courier(),
        cyrus(),
        dropbear(),
        sendmail(),
        roundcube_errors(),
        roundcube_syslog(),
        sogo(),
        horde(),
        samba(),
        mssql_errorlog(),
        mssql_evtx(),
        sshd_preauth(),
        auditd(),
        windows_xml(),
        windows_bf(),
    ];
    v.extend(exchange_protocol_logs().into_iter().map(|(_, s)| s));
    v
}

pub fn exim_mainlog() -> Sample {
    const DS: &str = "auth.exim";
    fx(
        "exim/mainlog",
        vec![
            // The HELO `([127.0.0.1])` is not the client.
            E(DS, "smtp", "info@test.com", Failure, BP, "1.2.3.4"),
            E(DS, "smtp", "", Failure, BP, "120.196.140.45"),
            E(DS, "smtp", "webmaster", Failure, BP, "193.254.202.35"),
            E(DS, "smtp", "user@example.com", Failure, BP, "192.0.2.2"),
            E(
                DS,
                "smtp",
                "uaf589@example.com",
                Failure,
                BP,
                "194.169.175.1",
            ),
            D,
            D,
            D,
            E(DS, "smtp", "user", Failure, BP, "192.0.2.11"),
            // Milliseconds after the time; no port after the address.
            E(DS, "smtp", "user", Failure, BP, "192.0.2.12"),
            E(DS, "smtp", "user", Failure, BP, "192.0.2.13"),
        ],
    )
}

/// CrowdSec's exim-bf: the HELO `([1.2.3.5])` is not the client.
pub fn exim_bf() -> Sample {
    const DS: &str = "auth.exim";
    co(
        "crowdsec/.tests/exim-bf/exim-bf.log",
        vec![
            E(DS, "smtp", "info@test.com", Failure, BP, "1.2.3.4"),
            E(DS, "smtp", "info1@test.com", Failure, BP, "1.2.3.4"),
            E(DS, "smtp", "info2@test.com", Failure, BP, "1.2.3.4"),
            E(DS, "smtp", "info3@test.com", Failure, BP, "1.2.3.4"),
            E(DS, "smtp", "info5@test.com", Failure, BP, "1.2.3.4"),
            D,
        ],
    )
}

pub fn zimbra_bf() -> Sample {
    const DS: &str = "auth.zimbra";
    let ip = "192.168.7.15";
    co(
        "crowdsec/.tests/zimbra-bf/zimbra-bf.log",
        vec![
            E(DS, "smtp", "toto.tata", Failure, UU, ip),
            E(DS, "smtp", "toto.titi", Failure, UU, ip),
            E(DS, "smtp", "toto.toto", Failure, UU, ip),
            E(DS, "smtp", "toto.tete", Failure, UU, ip),
            E(DS, "smtp", "toto.tutu", Failure, UU, ip),
            E(DS, "smtp", "toto.tutu", Failure, UU, ip),
            E(DS, "zimbra", "toto@test.fr", Failure, BP, ip),
        ],
    )
}

pub fn nginx_mail_bf() -> Sample {
    const DS: &str = "auth.nginx_mail";
    let (a, b) = ("5.34.207.182", "154.250.207.69");
    let mut want = vec![
        E(DS, "smtp", "linkinpark@example.com", Failure, OT, a),
        E(DS, "smtp", "spanish@example.com", Failure, OT, a),
        E(DS, "smtp", "relax@example.com", Failure, OT, a),
        E(DS, "smtp", "itw@example.com", Failure, OT, a),
    ];
    want.extend(std::iter::repeat_n(
        E(DS, "mail", "admin@example.com", Failure, BP, b),
        7,
    ));
    co("crowdsec/.tests/nginx-mail-bf/nginx-mail-bf.log", want)
}

pub fn courier() -> Sample {
    const DS: &str = "auth.courier";
    let (v6, v4) = ("2001:470:df49:2:9df9:4e98:31e1:1720", "121.226.61.81");
    fx(
        "courier/maillog",
        vec![
            E(DS, "imap", "fakeemail@example.com", Failure, BP, "1.2.3.4"),
            E(DS, "imap", "fakeemail@example.com", Failure, BP, v6),
            // `::ffff:` mapped addresses read as IPv4.
            E(DS, "imap", "fakeemail@example.com", Failure, BP, v4),
            E(DS, "pop3", "britton", Failure, BP, "1.2.3.4"),
            E(DS, "pop3", "britton", Failure, BP, v6),
            E(DS, "pop3", "britton", Failure, BP, v4),
            E(DS, "imap", "", Failure, BP, "177.19.165.26"),
            E(DS, "pop3", "user@example.org", Failure, BP, "1.2.3.4"),
            E(DS, "imap", "tester", Failure, BP, "192.0.2.5"),
            D,
            E(DS, "smtp", "", Failure, BP, "1.2.3.4"),
        ],
    )
}

pub fn cyrus() -> Sample {
    const DS: &str = "auth.cyrus";
    fx(
        "cyrus/maillog",
        vec![
            E(DS, "pop3", "administrator", Failure, BP, "198.51.100.23"),
            // No host name in the syslog header.
            E(DS, "pop3", "mail0001", Failure, BP, "1.2.3.4"),
            E(DS, "imap", "", Failure, BP, "198.51.100.57"),
            E(DS, "imap", "", Failure, BP, "1.2.3.4"),
            E(DS, "imap", "", Failure, UU, "1.2.3.4"),
            E(DS, "imap", "", Failure, UU, "1.2.3.4"),
            E(DS, "imap", "", Failure, BP, "192.0.2.4"),
            // Unpadded days (`Jan 4`, `Jun 8`).
            E(DS, "imap", "cyrus@localdomain", Failure, BP, "127.0.0.1"),
            E(DS, "imap", "", Failure, BP, "198.51.100.45"),
            // The user in parentheses, no host name before the address.
            E(DS, "imap", "testbox@domain", Failure, BP, "192.168.1.1"),
        ],
    )
}

pub fn dropbear() -> Sample {
    const DS: &str = "auth.dropbear";
    fx(
        "dropbear/auth.log",
        vec![
            E(DS, "ssh", "root", Failure, BP, "1.2.3.4"),
            // `Exit before auth` sums up attempts already logged one by one
            // (or none: `0 fails`, no user).
            D,
            D,
            E(DS, "ssh", "root", Failure, BP, "1.2.3.4"),
            D,
            E(DS, "ssh", "", Failure, UU, "1.2.3.4"),
            E(DS, "ssh", "root", Failure, BP, "198.51.100.87"),
        ],
    )
}

pub fn sendmail() -> Sample {
    const DS: &str = "auth.sendmail";
    fx(
        "sendmail/maillog",
        vec![
            D,
            D,
            E(DS, "smtp", "user@example.com", Failure, BP, "192.0.2.3"),
            // The name injects a relay: sendmail's own (last) relay counts.
            E(
                DS,
                "smtp",
                "criminal, relay=[192.0.2.100]",
                Failure,
                BP,
                "192.0.2.4",
            ),
            E(DS, "smtp", "scanner", Failure, UU, "192.0.2.5"),
            E(DS, "smtp", "scan", Failure, UU, "192.0.2.6"),
            E(DS, "smtp", "test", Failure, BP, "192.0.2.7"),
            E(DS, "smtp", "test", Failure, BP, "192.0.2.8"),
            E(DS, "smtp", "", Failure, BP, "192.0.2.9"),
        ],
    )
}

pub fn roundcube_errors() -> Sample {
    const DS: &str = "auth.roundcube";
    let w = "webmail";
    fx(
        "roundcube/errors",
        vec![
            E(DS, w, "user1", Failure, BP, "192.0.43.10"),
            E(DS, w, "admin@example.com", Failure, BP, "1.2.3.4"),
            E(DS, w, "sampleuser", Failure, BP, "1.2.3.4"),
            E(
                DS,
                w,
                "foo.bar-admin@some-thing.example.com",
                Failure,
                BP,
                "1.2.3.4",
            ),
            E(DS, w, "admin@example.com", Failure, BP, "1.2.3.4"),
            E(DS, w, "admin@example.com", Failure, BP, "1.2.3.4"),
            E(DS, w, "user@example.com", Failure, BP, "192.0.2.2"),
            E(DS, w, "admin@example.com", Failure, BP, "1.2.3.4"),
        ],
    )
}

/// Names that try to inject an address keep it as part of the name.
pub fn roundcube_syslog() -> Sample {
    const DS: &str = "auth.roundcube";
    let w = "webmail";
    fx(
        "roundcube/syslog",
        vec![
            E(DS, w, "sales@example.com", Failure, BP, "10.1.1.47"),
            E(DS, w, "admin", Failure, BP, "1.2.3.4"),
            E(DS, w, "admin from 127.0.0.1", Failure, BP, "1.2.3.4"),
            E(DS, w, "admin from 127.0.0.1.", Failure, BP, "1.2.3.4"),
            E(DS, w, "admin from 127.0.0.1", Failure, BP, "1.2.3.4"),
            E(DS, w, "admin from 127.0.0.1.", Failure, BP, "1.2.3.4"),
            E(DS, w, "admin from 127.0.0.1", Failure, BP, "1.2.3.4"),
            E(DS, w, "admin from 127.0.0.1 in", Failure, BP, "1.2.3.4"),
            E(DS, w, "test", Failure, BP, "192.0.2.1"),
        ],
    )
}

pub fn sogo() -> Sample {
    let (s, w) = ("auth.sogo", "webmail");
    let ip = "173.194.44.31";
    fx(
        "sogo/sogo.log",
        vec![
            D,
            E(s, w, "hack0r", Failure, BP, ip),
            D,
            E(s, w, "kiddy", Failure, BP, ip),
            D,
            E(s, w, "plsbanme", Failure, BP, ip),
            // Behind a proxy: the first address is the client.
            E(s, w, "admin", Failure, BP, "192.0.2.16"),
        ],
    )
}

pub fn horde() -> Sample {
    let (h, w) = ("auth.horde", "webmail");
    fx(
        "horde/horde.log",
        vec![
            E(h, w, "graham", Failure, BP, "203.16.208.190"),
            E(h, w, "emai.user@somedomain.com", Failure, BP, "1.2.3.4"),
        ],
    )
}

pub fn samba() -> Sample {
    let ds = "auth.samba";
    fx(
        "samba/log.samba",
        vec![
            D,
            E(ds, "smb", "alice", Failure, BP, "192.0.2.10"),
            D,
            // Its JSON record: the same attempt, counted once.
            D,
            D,
            E(ds, "smb", "nobody", Failure, UU, "2001:db8::5"),
            D,
            E(ds, "netlogon", "bob", Success, None, "192.0.2.11"),
            // Anonymous session setup.
            D,
            E(ds, "ldap", "carl", Failure, Some(LockedOut), "192.0.2.14"),
            D,
            E(ds, "kerberos", "dan@lab.example", Failure, BP, "192.0.2.12"),
            D,
            // `auth_json_audit` alone: in `log.samba`, in syslog, bare.
            D,
            E(ds, "smb", "eve", Failure, UU, "192.0.2.20"),
            E(
                ds,
                "kerberos",
                "fred@lab.example",
                Failure,
                BP,
                "2001:db8::7",
            ),
            D,
            // Anonymous.
            D,
            E(ds, "ldap", "gil", Success, None, "192.0.2.15"),
            R("bad Samba JSON audit record: EOF while parsing a string at line 1 column 39"),
        ],
    )
}

pub fn mssql_errorlog() -> Sample {
    let ds = "auth.mssql";
    fx(
        "mssql/ERRORLOG",
        vec![
            // `Error: 18456` lines carry no user or address.
            D,
            E(ds, "mssql", "sa", Failure, BP, "172.17.0.3"),
            D,
            E(ds, "mssql", "root", Failure, UU, "172.17.0.3"),
            E(ds, "mssql", "===)jf02hüas9ä##22f", Failure, UU, "192.0.2.2"),
            E(ds, "mssql", "", Failure, OT, "192.0.2.3"),
            E(ds, "mssql", "o'leary", Failure, UU, "192.0.2.4"),
            // Another source column echoing a login failure: not `Logon`.
            D,
        ],
    )
}

/// EVTX records, in file order. "Attempting to use an NT account name with
/// SQL Server Authentication" (the built-in certificate logins) is other; a
/// wrong password is bad password.
pub fn mssql_evtx() -> Sample {
    let ds = "auth.mssql";
    let ip = "10.0.2.17";
    let cert = |name: &'static str| E(ds, "mssql", name, Failure, OT, ip);
    co(
        "evtx/EVTX-ATTACK-SAMPLES/Credential Access/MSSQL_multiple_failed_logon_EventID_18456.evtx",
        vec![
            E(ds, "mssql", "sa", Failure, BP, ip),
            cert("##ms_sqlresourcesigningcertificate##"),
            cert("##ms_sqlreplicationsigningcertificate##"),
            cert("##ms_sqlauthenticatorcertificate##"),
            cert("##ms_policysigningcertificate##"),
            cert("##ms_smoextendedsigningcertificate##"),
            cert("##ms_policyeventprocessinglogin##"),
            cert("##ms_policytsqlexecutionlogin##"),
            cert("##ms_agentsigningcertificate##"),
            E(ds, "mssql", "root", Failure, BP, ip),
        ],
    )
}

/// Exchange IMAP4/POP3/SMTP protocol logs of CrowdSec's exchange-bf tests:
/// (case name, sample).
pub fn exchange_protocol_logs() -> Vec<(&'static str, Sample)> {
    let ds = "auth.exchange";
    let ip = "192.168.9.212";
    [
        (
            "exchange-imap-bf",
            "crowdsec/.tests/exchange-imap-bf/exchange-imap-bf.log",
            "imap",
            "testuser",
            7,
        ),
        (
            "exchange-pop-bf",
            "crowdsec/.tests/exchange-pop-bf/exchange-pop-bf.log",
            "pop3",
            "testuser",
            8,
        ),
        (
            "exchange-smtp-bf",
            "crowdsec/.tests/exchange-smtp-bf/exchange-smtp-bf.log",
            "smtp",
            "",
            9,
        ),
    ]
    .into_iter()
    .map(|(case, path, app, user, n)| (case, co(path, vec![E(ds, app, user, Failure, BP, ip); n])))
    .collect()
}
