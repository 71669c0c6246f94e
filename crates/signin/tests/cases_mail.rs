//! Mail, webmail, Samba and SQL Server sign-in sources, line by line: every
//! line of each sample is asserted as an event (dataset, app, user, outcome,
//! class, source), a directive, or a rejection with its reason. The tables
//! are in `common/samples.rs`, shared with `haboob events`' test
//! (`crates/cli/tests/events_samples.rs`).

mod common;

use common::{check, samples, samples::of_auth};
use haboob_model::{AuthOutcome, EventRef, FailureClass, LineParser, Parsed};
use haboob_signin::SyslogParser;
use AuthOutcome::*;
use FailureClass::*;

const BP: Option<FailureClass> = Some(BadPassword);
const OT: Option<FailureClass> = Some(Other);

#[test]
fn exim_mainlog() {
    let t = check("exim_mainlog", &samples::exim_mainlog()).expect("a fixture");
    // Events only: the seventh is line 10, `06:10:13.345` (Exim's
    // milliseconds kept).
    assert_eq!(
        (t[0].as_str(), t[6].as_str()),
        ("2022-06-29T16:07:05.000Z", "2023-05-30T06:10:13.345Z")
    );
    let Some(t) = check("exim_bf", &samples::exim_bf()) else {
        return;
    };
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
    let Some(t) = check("zimbra_mailbox_log", &samples::zimbra_bf()) else {
        return;
    };
    // `,mmm`: milliseconds.
    let mut want = vec!["2021-03-03T19:51:53.762Z"; 6];
    want.push("2021-03-03T19:52:08.616Z");
    assert_eq!(t, want);
}

#[test]
fn nginx_mail_error_log() {
    if let Some(t) = check("nginx_mail_error_log", &samples::nginx_mail_bf()) {
        assert_eq!(t[0], "2022-04-02T13:39:51.000Z");
    }
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
    check("courier", &samples::courier()).expect("a fixture");
}

#[test]
fn cyrus() {
    let t = check("cyrus", &samples::cyrus()).expect("a fixture");
    // An unpadded day reads as the padded one.
    assert_eq!(
        &t[7..9],
        ["2024-01-04T21:51:05.000Z", "2024-06-08T18:11:13.000Z"]
    );
}

#[test]
fn dropbear() {
    check("dropbear", &samples::dropbear()).expect("a fixture");
}

#[test]
fn sendmail() {
    check("sendmail", &samples::sendmail()).expect("a fixture");
}

#[test]
fn roundcube() {
    let t = check("roundcube", &samples::roundcube_errors()).expect("a fixture");
    assert_eq!(t[0], "2013-01-22T20:28:21.000Z");
    check("roundcube", &samples::roundcube_syslog()).expect("a fixture");
}

#[test]
fn sogo_and_horde() {
    check("sogo", &samples::sogo()).expect("a fixture");
    check("horde", &samples::horde()).expect("a fixture");
}

#[test]
fn samba_auth_audit() {
    let t = check("samba_auth_audit", &samples::samba()).expect("a fixture");
    assert_eq!(t[0], "2022-12-01T10:55:19.000Z");
    // JSON times keep their zone (`+0100`).
    assert_eq!(
        &t[5..],
        [
            "2022-12-01T10:59:00.100Z",
            "2022-12-01T11:00:00.000Z",
            "2022-12-01T11:00:03.000Z"
        ]
    );
}

#[test]
fn mssql_errorlog() {
    let t = check("mssql_errorlog", &samples::mssql_errorlog()).expect("a fixture");
    // `.cc`: hundredths of a second.
    assert_eq!(
        t,
        [
            "2022-12-20T12:36:54.170Z",
            "2022-12-20T12:37:15.230Z",
            "2020-02-24T16:30:25.880Z",
            "2020-02-24T16:31:12.200Z",
            "2020-02-24T16:31:26.010Z"
        ]
    );
}

#[test]
fn mssql_evtx_18456() {
    let s = samples::mssql_evtx();
    let Some(path) = common::sample_path("mssql_evtx_18456", s.src) else {
        return;
    };
    let mut got = Vec::new();
    let mut times = Vec::new();
    let n = haboob_signin::read_evtx(&path, &mut |rec, _raw, p| {
        let e = p
            .unwrap_or_else(|e| panic!("record {rec}: {}", e.reason))
            .expect("an event");
        times.push(e.ts.to_string());
        got.push(of_auth(&e));
    })
    .unwrap();
    assert_eq!(n, 10);
    assert_eq!(got, s.want);
    let ms: Vec<&str> = times.iter().map(|t| &t[17..]).collect();
    assert_eq!(
        ms,
        [
            "01.171Z", "01.187Z", "01.202Z", "01.202Z", "01.222Z", "01.233Z", "01.248Z", "01.248Z",
            "01.266Z", "01.279Z"
        ]
    );
    assert!(times.iter().all(|t| t.starts_with("2019-11-04T13:46:")));
}

#[test]
fn exchange_protocol_logs() {
    for (case, sample) in samples::exchange_protocol_logs() {
        if let Some(t) = check(case, &sample) {
            assert!(t[0].starts_with("2022-07-20T21:"), "{case}");
        }
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
