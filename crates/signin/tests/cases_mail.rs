//! Mail, webmail, Samba and SQL Server sign-in sources, line by line: every
//! line of each sample is asserted as an event (dataset, app, user, outcome,
//! class, source), a directive, or a rejection with its reason.
//!
//! Samples: `tests/fixtures/<source>/` (a few lines quoted from public test
//! logs, see `tests/fixtures/SOURCES.md`) and the CrowdSec hub test logs in
//! `shared/corpus`.

use haboob_model::{AuthOutcome, EventRef, FailureClass, LineParser, Parsed};
use haboob_signin::SyslogParser;
use std::path::PathBuf;
use AuthOutcome::*;
use FailureClass::*;

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/"
    ))
    .join(rel)
}

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/")).join(rel)
}

/// What one line must give.
#[derive(Debug, Clone, PartialEq)]
enum X {
    /// dataset, app, user, outcome, class, source address.
    E(
        &'static str,
        &'static str,
        &'static str,
        AuthOutcome,
        Option<FailureClass>,
        &'static str,
    ),
    /// Read, not a sign-in.
    D,
    /// Rejected with this reason.
    R(&'static str),
}
use X::{D, E, R};

const BP: Option<FailureClass> = Some(BadPassword);
const UU: Option<FailureClass> = Some(UnknownUser);
const OT: Option<FailureClass> = Some(Other);

/// Parse every line of `path` and compare with `want`, line by line.
fn check(path: PathBuf, want: &[X]) -> Vec<String> {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), want.len(), "{}: line count", path.display());
    let mut p = SyslogParser::new(2024);
    let mut times = Vec::new();
    for (i, (line, w)) in lines.iter().zip(want).enumerate() {
        let got = match p.parse(line) {
            Ok(Parsed::Event(EventRef::Auth(e))) => {
                times.push(e.ts.to_string());
                let ip = e.source_ip.map(|i| i.to_string()).unwrap_or_default();
                let ip: &'static str = Box::leak(ip.into_boxed_str());
                let user: &'static str = Box::leak(e.user.to_string().into_boxed_str());
                let app: &'static str = Box::leak(e.app.to_string().into_boxed_str());
                E(e.dataset, app, user, e.outcome, e.failure, ip)
            }
            Ok(Parsed::Event(_)) => panic!("non-auth event"),
            Ok(Parsed::Directive) => D,
            Err(e) => R(Box::leak(e.reason.to_string().into_boxed_str())),
        };
        assert_eq!(&got, w, "{} line {}: {line}", path.display(), i + 1);
    }
    times
}

#[test]
fn exim_mainlog() {
    const DS: &str = "auth.exim";
    let t = check(
        fixture("exim/mainlog"),
        &[
            E(DS, "smtp", "brian", Failure, BP, "24.106.174.74"),
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
        ],
    );
    assert_eq!(t[0], "2013-01-04T17:03:46.000Z");
    // CrowdSec's exim-bf: the HELO `([1.2.3.5])` is not the client.
    let t = check(
        corpus("crowdsec/.tests/exim-bf/exim-bf.log"),
        &[
            E(DS, "smtp", "info@test.com", Failure, BP, "1.2.3.4"),
            E(DS, "smtp", "info1@test.com", Failure, BP, "1.2.3.4"),
            E(DS, "smtp", "info2@test.com", Failure, BP, "1.2.3.4"),
            E(DS, "smtp", "info3@test.com", Failure, BP, "1.2.3.4"),
            E(DS, "smtp", "info5@test.com", Failure, BP, "1.2.3.4"),
            D,
        ],
    );
    assert_eq!(t[4], "2022-06-29T16:04:14.000Z");
}

#[test]
fn exim_hand_written() {
    let mut p = SyslogParser::new(2024);
    let one = |p: &mut SyslogParser, l: &str| match p.parse(l) {
        Ok(Parsed::Event(EventRef::Auth(e))) => Ok(Some((
            e.user.to_string(),
            e.outcome,
            e.failure,
            e.source_ip.map(|i| i.to_string()),
            e.ts.to_string(),
        ))),
        Ok(_) => Ok(None),
        Err(e) => Err(e.reason.to_string()),
    };
    // Through syslog, with the journal's repeated time stamp.
    assert_eq!(
        one(&mut p, "Mar  3 01:02:03 mx exim[3751842]: 2024-03-03 01:02:03 plain_server authenticator failed for ([192.0.2.17]) [192.0.2.27]: 535 Incorrect authentication data"),
        Ok(Some((String::new(), Failure, BP, Some("192.0.2.27".into()), "2024-03-03T01:02:03.000Z".into())))
    );
    // A HELO holding `[IP]: 535` does not choose the address.
    assert_eq!(
        one(&mut p, "2024-03-03 01:02:03 login authenticator failed for ([6.6.6.6]: 535 x) [192.0.2.9]:4000: 535 Incorrect authentication data (set_id=a)").map(|o| o.and_then(|e| e.3)),
        Ok(Some("192.0.2.9".into()))
    );
    // Temporary failure, and an authenticated submission (success).
    assert_eq!(
        one(&mut p, "2024-03-03 01:02:04 plain authenticator failed for (x) [192.0.2.9]: 435 Unable to authenticate at present (set_id=b)").map(|o| o.map(|e| e.2)),
        Ok(Some(OT))
    );
    assert_eq!(
        one(&mut p, "2024-03-03 01:02:05 1rT9bX-000Ldg-2k <= bob@example.org H=(laptop) [192.0.2.30]:51000 I=[10.0.0.1]:587 P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=dovecot_plain:Bob@Example.org S=1200 id=x@y"),
        Ok(Some(("bob@example.org".into(), Success, None, Some("192.0.2.30".into()), "2024-03-03T01:02:05.000Z".into())))
    );
    assert_eq!(
        one(
            &mut p,
            "2024-03-03 01:02:06 1rT9bX-000Ldg-2k => bob@example.org R=dnslookup T=remote_smtp"
        ),
        Ok(None)
    );
    assert_eq!(
        one(&mut p, "2024-03-03 01:02:07 login authenticator failed for (x) 192.0.2.9: 535 Incorrect authentication data"),
        Err("Exim authenticator line without client address".into())
    );
}

#[test]
fn zimbra_mailbox_log() {
    const DS: &str = "auth.zimbra";
    let ip = "192.168.7.15";
    let t = check(
        corpus("crowdsec/.tests/zimbra-bf/zimbra-bf.log"),
        &[
            E(DS, "smtp", "toto.tata", Failure, UU, ip),
            E(DS, "smtp", "toto.titi", Failure, UU, ip),
            E(DS, "smtp", "toto.toto", Failure, UU, ip),
            E(DS, "smtp", "toto.tete", Failure, UU, ip),
            E(DS, "smtp", "toto.tutu", Failure, UU, ip),
            E(DS, "smtp", "toto.tutu", Failure, UU, ip),
            E(DS, "zimbra", "toto@test.fr", Failure, BP, ip),
        ],
    );
    assert_eq!(t[0], "2021-03-03T19:51:53.000Z");
}

#[test]
fn nginx_mail_error_log() {
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
    let t = check(
        corpus("crowdsec/.tests/nginx-mail-bf/nginx-mail-bf.log"),
        &want,
    );
    assert_eq!(t[0], "2022-04-02T13:39:51.000Z");
    // A web server's error log is not claimed (its lines stay unread), a
    // mail session line naming its login is read and is not a sign-in.
    let mut p = SyslogParser::new(2024);
    let web = r#"2021/09/30 09:23:53 [error] 1925800#1925800: *17 user "foo" was not found in "/tmp/a.htpasswd", client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", host: "localhost""#;
    assert_eq!(
        p.parse(web).unwrap_err().reason,
        "bad time: bad timestamp layout: expected yyyy-mm-ddTHH:MM:SS"
    );
    let session = r#"2022/04/06 13:44:43 [info] 8#8: *29109 client 154.250.207.69:50000 connected to 0.0.0.0:143 while in http auth state, client: 154.250.207.69, server: 0.0.0.0:143, login: "admin@example.com""#;
    assert!(matches!(p.parse(session), Ok(Parsed::Directive)));
}

#[test]
fn courier() {
    const DS: &str = "auth.courier";
    check(
        fixture("courier/maillog"),
        &[
            E(DS, "imap", "sales@example.com", Failure, BP, "1.2.3.4"),
            E(DS, "pop3", "info@example.com", Failure, BP, "198.51.100.76"),
            E(DS, "imap", "user@domain.tld", Failure, BP, "198.51.100.33"),
            E(DS, "pop3", "user@example.org", Failure, BP, "1.2.3.4"),
            E(DS, "imap", "", Failure, BP, "192.0.2.4"),
            E(DS, "imap", "tester", Failure, BP, "192.0.2.5"),
            D,
            E(DS, "smtp", "", Failure, BP, "1.2.3.4"),
        ],
    );
}

#[test]
fn cyrus() {
    const DS: &str = "auth.cyrus";
    check(
        fixture("cyrus/maillog"),
        &[
            E(DS, "pop3", "administrator", Failure, BP, "198.51.100.23"),
            // No host name in the syslog header.
            E(DS, "pop3", "mail0001", Failure, BP, "1.2.3.4"),
            E(DS, "imap", "", Failure, BP, "198.51.100.57"),
            E(DS, "imap", "", Failure, BP, "1.2.3.4"),
            E(DS, "imap", "", Failure, UU, "1.2.3.4"),
            E(DS, "imap", "", Failure, UU, "1.2.3.4"),
            E(DS, "imap", "", Failure, BP, "192.0.2.4"),
        ],
    );
}

#[test]
fn dropbear() {
    const DS: &str = "auth.dropbear";
    check(
        fixture("dropbear/auth.log"),
        &[
            E(DS, "ssh", "root", Failure, BP, "1.2.3.4"),
            // `Exit before auth` sums up attempts already logged one by one.
            D,
            D,
            E(DS, "ssh", "root", Failure, BP, "1.2.3.4"),
            D,
            E(DS, "ssh", "", Failure, UU, "1.2.3.4"),
            E(DS, "ssh", "root", Failure, BP, "198.51.100.87"),
        ],
    );
}

#[test]
fn sendmail() {
    const DS: &str = "auth.sendmail";
    check(
        fixture("sendmail/maillog"),
        &[
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
    );
}

#[test]
fn roundcube() {
    const DS: &str = "auth.roundcube";
    let w = "webmail";
    let t = check(
        fixture("roundcube/errors"),
        &[
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
    );
    assert_eq!(t[0], "2013-01-22T20:28:21.000Z");
    // Names that try to inject an address keep it as part of the name.
    check(
        fixture("roundcube/syslog"),
        &[
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
    );
}

#[test]
fn sogo_and_horde() {
    let (s, w) = ("auth.sogo", "webmail");
    let ip = "173.194.44.31";
    check(
        fixture("sogo/sogo.log"),
        &[
            D,
            E(s, w, "hack0r", Failure, BP, ip),
            D,
            E(s, w, "kiddy", Failure, BP, ip),
            D,
            E(s, w, "plsbanme", Failure, BP, ip),
            // Behind a proxy: the first address is the client.
            E(s, w, "admin", Failure, BP, "192.0.2.16"),
        ],
    );
    let h = "auth.horde";
    check(
        fixture("horde/horde.log"),
        &[
            E(h, w, "graham", Failure, BP, "203.16.208.190"),
            E(h, w, "emai.user@somedomain.com", Failure, BP, "1.2.3.4"),
        ],
    );
}

#[test]
fn samba_auth_audit() {
    let ds = "auth.samba";
    let t = check(
        fixture("samba/log.samba"),
        &[
            D,
            E(ds, "smb", "alice", Failure, BP, "192.0.2.10"),
            D,
            R("Samba JSON authentication audit is not read (the auth_audit line of the same attempt is)"),
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
        ],
    );
    assert_eq!(t[0], "2022-12-01T10:55:19.000Z");
}

#[test]
fn mssql_errorlog() {
    let ds = "auth.mssql";
    check(
        fixture("mssql/ERRORLOG"),
        &[
            E(ds, "mssql", "backend", Failure, UU, "192.0.2.1"),
            E(ds, "mssql", "===)jf02hüas9ä##22f", Failure, UU, "192.0.2.2"),
            E(ds, "mssql", "", Failure, OT, "192.0.2.3"),
            E(ds, "mssql", "o'leary", Failure, UU, "192.0.2.4"),
            // Another source column echoing a login failure: not `Logon`.
            D,
        ],
    );
}

#[test]
fn mssql_evtx_18456() {
    let path = corpus(
        "evtx/EVTX-ATTACK-SAMPLES/Credential Access/MSSQL_multiple_failed_logon_EventID_18456.evtx",
    );
    let mut got = Vec::new();
    let n = haboob_signin::read_evtx(&path, &mut |rec, _raw, p| {
        let e = p
            .unwrap_or_else(|e| panic!("record {rec}: {}", e.reason))
            .expect("an event");
        got.push(format!(
            "{} {} {} {:?} {:?} {}",
            e.dataset,
            e.ts,
            e.user,
            e.outcome,
            e.failure,
            e.source_ip.map(|i| i.to_string()).unwrap_or_default()
        ));
    })
    .unwrap();
    assert_eq!(n, 10);
    let cert = |name: &str, ms: u32| {
        format!(
            "auth.mssql 2019-11-04T13:46:01.{ms:03}Z ##ms_{name}## Failure Some(Other) 10.0.2.17"
        )
    };
    // "Attempting to use an NT account name with SQL Server Authentication"
    // (the built-in certificate logins) is other; a wrong password is bad
    // password.
    let want = [
        "auth.mssql 2019-11-04T13:46:01.171Z sa Failure Some(BadPassword) 10.0.2.17".to_string(),
        cert("sqlresourcesigningcertificate", 187),
        cert("sqlreplicationsigningcertificate", 202),
        cert("sqlauthenticatorcertificate", 202),
        cert("policysigningcertificate", 222),
        cert("smoextendedsigningcertificate", 233),
        cert("policyeventprocessinglogin", 248),
        cert("policytsqlexecutionlogin", 248),
        cert("agentsigningcertificate", 266),
        "auth.mssql 2019-11-04T13:46:01.279Z root Failure Some(BadPassword) 10.0.2.17".to_string(),
    ];
    assert_eq!(got, want);
}

#[test]
fn exchange_protocol_logs() {
    let ds = "auth.exchange";
    let ip = "192.168.9.212";
    for (case, app, user, n) in [
        ("exchange-imap-bf", "imap", "testuser", 7),
        ("exchange-pop-bf", "pop3", "testuser", 8),
        ("exchange-smtp-bf", "smtp", "", 9),
    ] {
        let want = vec![E(ds, app, user, Failure, BP, ip); n];
        let t = check(corpus(&format!("crowdsec/.tests/{case}/{case}.log")), &want);
        assert!(t[0].starts_with("2022-07-20T21:"), "{case}");
    }
    let mut p = SyslogParser::new(2024);
    let mut one = |l: &str| match p.parse(l) {
        Ok(Parsed::Event(EventRef::Auth(e))) => Ok(Some((
            e.user.to_string(),
            e.app.to_string(),
            e.outcome,
            e.failure,
            e.source_ip.map(|i| i.to_string()),
        ))),
        Ok(_) => Ok(None),
        Err(e) => Err(e.reason.to_string()),
    };
    // Headers of these logs are read; IIS's generic ones are not claimed.
    assert_eq!(one("#Software: Microsoft Exchange Server"), Ok(None));
    assert_eq!(one("#Log-type: IMAP4 Protocol Log"), Ok(None));
    assert_eq!(one("#Fields: dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsz,rpsz,command,parameters,context"), Ok(None));
    assert_eq!(
        one("#Date: 2022-07-20T21:00:00.000Z"),
        Err("not a syslog line".into())
    );
    // Success, another command, another failure reason, IPv6 client.
    assert_eq!(
        one(
            r#"2022-07-20T21:30:00.000Z,0F,3,192.168.9.241:993,[2001:db8::7]:50000,Alice@Contoso.com,20,40,30,login,,"R=""3 OK LOGIN completed."";Msg=""""","#
        ),
        Ok(Some((
            "alice@contoso.com".into(),
            "imap".into(),
            Success,
            None,
            Some("2001:db8::7".into())
        )))
    );
    assert_eq!(
        one(
            r#"2022-07-20T21:30:01.000Z,0F,4,192.168.9.241:993,192.0.2.1:50000,alice,1,2,3,select,INBOX,"R=""4 OK [READ-WRITE] SELECT completed.""","#
        ),
        Ok(None)
    );
    assert_eq!(
        one(r#"2022-07-20T21:30:02.000Z,10,2,192.168.9.241:110,192.0.2.2:50001,bob,1,2,3,pass,*****,"R=""-ERR Logon failure"";ErrMsg=AuthFailed:BackEndLogonDenied","#).map(|o| o.map(|e| (e.1, e.3))),
        Ok(Some(("pop3".into(), OT)))
    );
    assert_eq!(
        one("2022-07-20T21:12:06.280Z,EXCHANGE-1\\Default Frontend EXCHANGE-1,08DA,10,192.168.9.241:25,192.168.9.212:53722,>,235 2.7.0 Authentication successful,"),
        Ok(None)
    );
    assert_eq!(
        one("2022-07-20T21:12:06.280Z,a,b"),
        Err("Exchange protocol log record with an unexpected number of fields".into())
    );
}

/// The success lines of each program (hand-written in the documented
/// formats: the public samples above are failures only).
#[test]
fn success_lines() {
    let lines = [
        ("Mar  3 01:02:03 h imapd: LOGIN, user=Ann@x.org, ip=[::ffff:192.0.2.1], port=[4000], protocol=IMAP", "auth.courier", "imap", "ann@x.org", "192.0.2.1"),
        ("Mar  3 01:02:03 h cyrus/imap[7]: login: laptop [192.0.2.2] ben plaintext+TLS User logged in SESSIONID=<x>", "auth.cyrus", "imap", "ben", "192.0.2.2"),
        ("Mar  3 01:02:03 h sm-mta[7]: 14NNx65Q: AUTH=server, relay=laptop [192.0.2.3], authid=cat@x.org, mech=PLAIN, bits=0", "auth.sendmail", "smtp", "cat@x.org", "192.0.2.3"),
        ("Mar  3 01:02:03 h dropbear[7]: Password auth succeeded for 'dan' from 192.0.2.4:5000", "auth.dropbear", "ssh", "dan", "192.0.2.4"),
        ("Mar  3 01:02:03 h dropbear[7]: Pubkey auth succeeded for 'dan' with ssh-ed25519 key SHA256:x from 192.0.2.4:5001", "auth.dropbear", "ssh", "dan", "192.0.2.4"),
        ("[03-Mar-2024 01:02:03 +0000]: <x1> Successful login for eve@x.org (ID: 4) from 192.0.2.5 in session abc", "auth.roundcube", "webmail", "eve@x.org", "192.0.2.5"),
        ("Mar  3 01:02:03 sogod [7]: SOGoRootPage successful login from '192.0.2.6' for user 'fay' - expire = -1  grace = -1", "auth.sogo", "webmail", "fay", "192.0.2.6"),
        ("Mar  3 01:02:03 HORDE [notice] [imp] Login success for gil [192.0.2.7] to {mail:993 [imap/ssl]} [pid 1 on line 2 of \"x\"]", "auth.horde", "webmail", "gil", "192.0.2.7"),
    ];
    let mut p = SyslogParser::new(2024);
    for (line, ds, app, user, ip) in lines {
        match p.parse(line) {
            Ok(Parsed::Event(EventRef::Auth(e))) => {
                assert_eq!(
                    (
                        e.dataset,
                        e.app.as_ref(),
                        e.user.as_ref(),
                        e.outcome,
                        e.failure,
                        e.source_ip.map(|i| i.to_string())
                    ),
                    (ds, app, user, Success, None, Some(ip.to_string())),
                    "{line}"
                );
                assert_eq!(e.ts.to_string(), "2024-03-03T01:02:03.000Z", "{line}");
            }
            other => panic!("{line}: {other:?}"),
        }
    }
}
