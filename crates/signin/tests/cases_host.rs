//! Hand-written cases for host sources (syslog sshd/Dovecot/Postfix, Windows
//! EVTX records) and cross-format rejection (auto-detection).

mod common;

use common::{entra_flat, google, m365, okta, owned};
use haboob_model::{AuthEvent, AuthOutcome, EventRef, FailureClass, LineParser, Parsed, Ts};
use haboob_signin::{evtx::parse_record, SigninFormat, SyslogParser};
use AuthOutcome::*;
use FailureClass::*;

fn sys(line: &str) -> Result<Option<AuthEvent<'static>>, String> {
    let mut p = SyslogParser::new(2024);
    match p.parse(line) {
        Ok(Parsed::Event(EventRef::Auth(e))) => Ok(Some(owned(e))),
        Ok(_) => Ok(None),
        Err(e) => Err(e.reason.into_owned()),
    }
}

#[test]
fn syslog_messages() {
    let table = [
        ("Mar  3 01:02:03 h sshd[9]: Accepted publickey for alice from 192.0.2.9 port 5000 ssh2: ED25519 SHA256:x", "alice", Success, None, "ssh"),
        ("Mar  3 01:02:03 h sshd[9]: Accepted password for alice from 192.0.2.9 port 5000 ssh2", "alice", Success, None, "ssh"),
        // An unpadded day.
        ("Mar 3 01:02:03 h sshd[9]: Accepted password for alice from 192.0.2.9 port 5000 ssh2", "alice", Success, None, "ssh"),
        ("Mar  3 01:02:03 h sshd[9]: Failed password for alice from 192.0.2.9 port 5000 ssh2", "alice", Failure, Some(BadPassword), "ssh"),
        ("Mar  3 01:02:03 h sshd[9]: Failed password for invalid user bob from 192.0.2.9 port 5000 ssh2", "bob", Failure, Some(UnknownUser), "ssh"),
        ("Mar  3 01:02:03 h sshd[9]: Failed publickey for alice from 192.0.2.9 port 5000 ssh2", "alice", Failure, Some(Other), "ssh"),
        ("Mar  3 01:02:03 h sshd-session[9]: Invalid user carl from 192.0.2.9 port 5000", "carl", Failure, Some(UnknownUser), "ssh"),
        ("Mar  3 01:02:03 h dovecot: imap-login: Login: user=<dan@x.org>, method=PLAIN, rip=192.0.2.9, lip=10.0.0.1, mpid=1, TLS", "dan@x.org", Success, None, "imap"),
        ("Mar  3 01:02:03 h dovecot: auth: passwd-file(erin,192.0.2.9): unknown user", "erin", Failure, Some(UnknownUser), "imap"),
        ("Mar  3 01:02:03 h dovecot: auth-worker(12): pam(erin,192.0.2.9,<sess>): Password mismatch", "erin", Failure, Some(BadPassword), "imap"),
        ("Mar  3 01:02:03 h postfix/submission/smtpd[7]: 4F2D51234: client=mail.example[192.0.2.9], sasl_method=LOGIN, sasl_username=fay@x.org", "fay@x.org", Success, None, "smtp"),
        ("<34>1 2024-03-03T01:02:03.5Z h sshd 9 - - Failed password for gil from 192.0.2.9 port 22 ssh2", "gil", Failure, Some(BadPassword), "ssh"),
        ("<34>1 2024-03-03T01:02:03Z h sshd 9 - [meta x=\"]\"] Failed password for gil from 192.0.2.9 port 22 ssh2", "gil", Failure, Some(BadPassword), "ssh"),
        ("2024-03-03T02:02:03+0100 h sshd[9]: Failed password for hal from 192.0.2.9 port 22 ssh2", "hal", Failure, Some(BadPassword), "ssh"),
    ];
    for (line, user, o, f, app) in table {
        let e = sys(line)
            .unwrap_or_else(|r| panic!("{line}: {r}"))
            .unwrap_or_else(|| panic!("{line}: directive"));
        assert_eq!(
            (e.user.as_ref(), e.outcome, e.failure, e.app.as_ref()),
            (user, o, f, app),
            "{line}"
        );
        assert_eq!(e.source_ip, Some("192.0.2.9".parse().unwrap()), "{line}");
        // The header's host recorded the sign-in.
        assert_eq!(e.host, "h", "{line}");
        assert_eq!(
            e.ts.to_string().get(..16),
            Some("2024-03-03T01:02"),
            "{line}"
        );
    }
    for line in [
        "Mar  3 01:02:03 h CRON[1]: (root) CMD (true)",
        "Mar  3 01:02:03 h sshd[9]: Received disconnect from 192.0.2.9 port 5000:11: Bye [preauth]",
        "Mar  3 01:02:03 h dovecot: imap-login: Disconnected (no auth attempts in 0 secs): user=<>, rip=192.0.2.9",
        "Mar  3 01:02:03 h postfix/smtpd[7]: connect from unknown[192.0.2.9]",
    ] {
        assert_eq!(sys(line), Ok(None), "{line}");
    }
    let bad = [
        ("", "empty line"),
        ("{\"a\":1}", "not a syslog line"),
        ("Foo  3 01:02:03 h sshd[9]: x", "not a syslog line"),
        ("Mar 3 1:02:03 h sshd[9]: x", "not a syslog line"),
        ("Mar 3 01:02:03", "not a syslog line"),
        (
            "Mar 33 01:02:03 h sshd[9]: x",
            "bad time: timestamp field out of range: day",
        ),
        (
            "Mar  3 01:02:03 h sshd[9]: Invalid user  from 192.0.2.9 port 1",
            "missing user name",
        ),
        (
            "Mar  3 01:02:03 h sshd[9]: Failed password for x from 999.1.1.1 port 1 ssh2",
            "bad source IP address",
        ),
        ("Mar  3 01:02:03 h", "syslog line without host"),
        ("<999999>1 x", "bad syslog priority"),
    ];
    for (line, why) in bad {
        assert_eq!(sys(line), Err(why.to_string()), "{line:?}");
    }
}

#[test]
fn syslog_hosts_are_folded_and_absent_ones_empty() {
    for (line, host) in [
        ("Mar  3 01:02:03 MAIL01.Example.org sshd[9]: Failed password for ann from 192.0.2.9 port 22 ssh2", "mail01.example.org"),
        // No host in the header.
        ("Mar  3 01:02:03 sshd[9]: Failed password for ann from 192.0.2.9 port 22 ssh2", ""),
        // RFC 5424's nil host.
        ("<34>1 2024-03-03T01:02:03Z - sshd 9 - - Failed password for ann from 192.0.2.9 port 22 ssh2", ""),
        ("<34>1 2024-03-03T01:02:03Z vpn-gw sshd 9 - - Failed password for ann from 192.0.2.9 port 22 ssh2", "vpn-gw"),
    ] {
        let e = sys(line).unwrap().unwrap();
        assert_eq!(e.host, host, "{line}");
        assert_eq!(e.target(), host, "no tenant or domain: {line}");
    }
}

#[test]
fn syslog_year_wraps() {
    let mut p = SyslogParser::new(2023);
    let mut year = |l: &str| match p.parse(l) {
        Ok(Parsed::Event(EventRef::Auth(e))) => e.ts.to_string()[..4].to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        year("Dec 31 23:59:59 h sshd[1]: Invalid user a from 192.0.2.1 port 1"),
        "2023"
    );
    assert_eq!(
        year("Jan  1 00:00:01 h sshd[1]: Invalid user a from 192.0.2.1 port 1"),
        "2024"
    );
}

fn win(id: u32, data: &str) -> String {
    format!(
        r##"{{"Event":{{"System":{{"EventID":{id},"TimeCreated":{{"#attributes":{{"SystemTime":"2024-05-01T10:00:00.5Z"}}}},"Computer":"WS0"}},"EventData":{{{data}}}}}}}"##
    )
}

fn winparse(id: u32, data: &str) -> Result<Option<AuthEvent<'static>>, String> {
    let j = win(id, data);
    parse_record(Ts(0), &j)
        .map(|o| o.map(owned))
        .map_err(|e| e.reason.into_owned())
}

#[test]
fn evtx_codes() {
    let f4625 = |st: &str, sub: &str| {
        format!(
            r#""TargetUserName":"Ann","TargetDomainName":"LAB","Status":"{st}","SubStatus":"{sub}","LogonType":3,"IpAddress":"::ffff:10.1.1.1","WorkstationName":"WS1""#
        )
    };
    let table = [
        ("0xc000006d", "0xc0000064", UnknownUser),
        ("0xc000006d", "0xc000006a", BadPassword),
        ("0xc0000234", "0x0", LockedOut),
        ("0xc000006e", "0xc0000072", Other),
        ("0xc0000072", "0x0", Disabled),
        ("0xc000006d", "0xc000006f", Other),
        ("0xc000006d", "0xc0000070", Other),
        ("0xc000006d", "0xc0000071", Expired),
        ("0xc0000193", "0x0", Expired),
    ];
    for (st, sub, class) in table {
        let e = winparse(4625, &f4625(st, sub)).unwrap().unwrap();
        assert_eq!((e.outcome, e.failure), (Failure, Some(class)), "{st}/{sub}");
        assert_eq!(
            (e.user.as_ref(), e.domain.as_ref(), e.app.as_ref()),
            ("ann", "lab", "network")
        );
        assert_eq!(e.source_ip, Some("10.1.1.1".parse().unwrap()));
        assert_eq!(e.ts.to_string(), "2024-05-01T10:00:00.500Z");
    }
    let ok = winparse(
        4624,
        r#""TargetUserName":"Ann","TargetDomainName":"LAB","LogonType":10,"IpAddress":"-""#,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        (ok.outcome, ok.app.as_ref(), ok.source_ip),
        (Success, "remote-interactive", None)
    );
    let lo = winparse(
        4624,
        r#""TargetUserName":"Ann","TargetDomainName":"LAB","LogonType":3,"IpAddress":"::1""#,
    )
    .unwrap()
    .unwrap();
    assert_eq!(lo.source_ip, Some("::1".parse().unwrap()));
    let lock = winparse(
        4740,
        r#""TargetUserName":"Ann","TargetDomainName":"WS9","SubjectDomainName":"LAB""#,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        (lock.failure, lock.domain.as_ref(), lock.client.as_ref()),
        (Some(LockedOut), "lab", "WS9")
    );
    for (st, class) in [
        ("0x6", UnknownUser),
        ("0x18", BadPassword),
        ("0x12", LockedOut),
        ("0x17", Expired),
        ("0x25", Other),
    ] {
        let k = winparse(4771, &format!(r#""TargetUserName":"ann","ServiceName":"krbtgt/LAB","Status":"{st}","IpAddress":"::ffff:10.2.2.2""#)).unwrap().unwrap();
        assert_eq!(
            (k.failure, k.app.as_ref()),
            (Some(class), "kerberos"),
            "{st}"
        );
    }
    for (st, o, class) in [
        ("0x0", Success, None),
        ("0xc0000064", Failure, Some(UnknownUser)),
        ("0xc000006a", Failure, Some(BadPassword)),
    ] {
        let n = winparse(
            4776,
            &format!(r#""TargetUserName":"ann","Workstation":"WS2","Status":"{st}""#),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (n.outcome, n.failure, n.app.as_ref(), n.client.as_ref()),
            (o, class, "ntlm", "WS2"),
            "{st}"
        );
    }
    // 4771: the realm of the service ticket is the domain.
    let k = winparse(4771, r#""TargetUserName":"Ann","ServiceName":"krbtgt/LAB.EXAMPLE","Status":"0x18","IpAddress":"10.2.2.2""#).unwrap().unwrap();
    assert_eq!((k.user.as_ref(), k.domain.as_ref()), ("ann", "lab.example"));
    let k = winparse(
        4771,
        r#""TargetUserName":"ann","ServiceName":"host/ws1","Status":"0x18","IpAddress":"10.2.2.2""#,
    )
    .unwrap()
    .unwrap();
    assert_eq!(k.domain.as_ref(), "");
    // 4648: an attempt with no result, presented by the subject on the
    // logging computer; its IpAddress is the target, never the source.
    let x = winparse(
        4648,
        r#""SubjectUserName":"JWrig","TargetUserName":"Administrator","TargetDomainName":"DOMAIN","TargetServerName":"srv1","IpAddress":"172.16.144.128","IpPort":"445""#,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        (
            x.outcome,
            x.failure,
            x.source_ip,
            x.user.as_ref(),
            x.domain.as_ref(),
            x.app.as_ref(),
            x.client.as_ref()
        ),
        (
            Attempt,
            None,
            None,
            "administrator",
            "domain",
            "explicit-credentials",
            "ws0\\jwrig"
        )
    );
    assert_eq!(
        winparse(4648, r#""SubjectUserName":"x""#),
        Err("missing user name".into())
    );
    assert_eq!(winparse(1, r#""x":"y""#), Ok(None));
    assert_eq!(
        winparse(4625, r#""TargetUserName":"ann""#),
        Err("missing or bad Status".into())
    );
    assert_eq!(
        winparse(4624, r#""TargetUserName":"-""#),
        Err("missing user name".into())
    );
    assert_eq!(
        parse_record(Ts(0), "{").unwrap_err().reason,
        "bad record JSON"
    );
    assert_eq!(
        parse_record(Ts(0), r#"{"Event":{}}"#).unwrap_err().reason,
        "record without EventID"
    );
    let with_attr = r##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":0},"#text":4624}},"EventData":{"TargetUserName":"x","TargetDomainName":"D"}}}"##;
    assert_eq!(parse_record(Ts(7), with_attr).unwrap().unwrap().ts, Ts(7));
    // `#text` as text (a string-typed substitution) is the same id.
    let text_attr = with_attr.replace(":4624}", r#":"4624"}"#);
    assert_eq!(parse_record(Ts(7), &text_attr).unwrap().unwrap().ts, Ts(7));
    for bad in [r#""48x""#, "-1", "4294967296", "null", "[4624]"] {
        let j = with_attr.replace(":4624}", &format!(":{bad}}}"));
        assert_eq!(
            parse_record(Ts(0), &j).unwrap_err().reason,
            "bad EventID",
            "{bad}"
        );
    }
}

/// Each format rejects the other formats' sample lines: detection is unambiguous.
#[test]
fn formats_reject_each_other() {
    let samples = [
        (SigninFormat::Entra, entra_flat("0")),
        (SigninFormat::M365, m365("UserLoggedIn", "")),
        (
            SigninFormat::Okta,
            okta("user.session.start", "SUCCESS", ""),
        ),
        (SigninFormat::Google, google("login_success", "")),
        (
            SigninFormat::Syslog,
            "Mar  3 01:02:03 h sshd[9]: Invalid user a from 192.0.2.1 port 1".to_string(),
        ),
        (
            SigninFormat::EntraCsv,
            "\u{feff}TimeGenerated [UTC],UserPrincipalName,IPAddress,ResultType".to_string(),
        ),
        (
            SigninFormat::M365Csv,
            "CreationDate,UserIds,Operations,AuditData".to_string(),
        ),
        (
            SigninFormat::WindowsXml,
            // With its TimeCreated: every event is now delivered (as a
            // Windows event), and an event without its time is rejected.
            r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>4672</EventID><TimeCreated SystemTime="2024-05-01T10:00:00Z"/></System></Event>"#.to_string(),
        ),
        (
            SigninFormat::Auditd,
            r#"type=EXECVE msg=audit(1669615313.901:5538): argc=3 a0="sh" a1="-c" a2=6563686F"#
                .to_string(),
        ),
    ];
    for (own_fmt, line) in &samples {
        for fmt in SigninFormat::all() {
            let Some(mut p) = fmt.line_parser() else {
                continue;
            };
            let r = p.parse(line);
            if fmt == own_fmt {
                assert!(r.is_ok(), "{own_fmt} own line: {r:?}");
            } else {
                assert!(r.is_err(), "{fmt} accepted a {own_fmt} line: {r:?}");
            }
        }
    }
}

#[test]
fn format_names() {
    for f in SigninFormat::all() {
        assert_eq!(f.name().parse::<SigninFormat>(), Ok(*f));
    }
    assert_eq!(SigninFormat::all().len(), 14);
    assert!(SigninFormat::Evtx.line_parser().is_none());
    assert!("nope"
        .parse::<SigninFormat>()
        .unwrap_err()
        .contains("entra-csv"));
    assert!(haboob_signin::is_evtx(b"ElfFile\0rest"));
    assert!(!haboob_signin::is_evtx(b"ElfFile"));
    let missing =
        haboob_signin::read_evtx(std::path::Path::new("/nonexistent.evtx"), &mut |_, _, _| {});
    assert!(matches!(
        missing,
        Err(haboob_signin::SigninError::Read { .. })
    ));
}

/// `tests/fixtures/sshd_preauth.log` (see `SOURCES.md` there), line by
/// line (table in `common/samples_host.rs`): pre-authentication connections are
/// probes with their address and the client's offer; lines naming a user,
/// or without an address, are not.
#[test]
fn sshd_preauth_probes_line_by_line() {
    common::check("sshd_preauth", &common::samples::sshd_preauth()).expect("a fixture");
}

/// `tests/fixtures/auditd/audit.log` (real records, see `SOURCES.md`),
/// line by line through the `auditd` parser (table in `common/samples_host.rs`).
#[test]
fn auditd_sign_ins_line_by_line() {
    let mut p = haboob_signin::AuditdParser;
    common::check_with("auditd", &common::samples::auditd(), &mut p).expect("a fixture");
}

#[test]
fn sshd_probe_client_text_is_bounded() {
    let long = "x".repeat(5000);
    let line = format!(
        "Mar  3 01:02:03 h sshd[9]: Unable to negotiate with 192.0.2.9 port 1: no matching cipher found. Their offer: {long}"
    );
    let e = sys(&line).unwrap().unwrap();
    assert_eq!((e.outcome, e.client.len()), (Probe, 256));
}

/// Windows events as XML text, line by line (tables in
/// `common/samples_host.rs`): the hand-written fixture and CrowdSec's windows-bf.
#[test]
fn windows_event_xml_lines() {
    use haboob_signin::WinXmlParser;
    let t = common::check_with(
        "windows_xml",
        &common::samples::windows_xml(),
        &mut WinXmlParser,
    )
    .expect("a fixture");
    assert_eq!(
        t,
        [
            "2024-05-01T10:00:00.123Z",
            "2024-05-01T10:01:00.000Z",
            "2024-05-01T10:02:00.000Z",
            "2024-05-01T10:03:00.000Z"
        ]
    );
    let Some(t) = common::check_with(
        "windows_bf",
        &common::samples::windows_bf(),
        &mut WinXmlParser,
    ) else {
        return;
    };
    assert_eq!(
        t.first().map(String::as_str),
        Some("2022-04-29T12:36:01.902Z")
    );
    // Other formats' lines are refused on the cheap check.
    let mut p = WinXmlParser;
    for l in [
        "<Event>4625</Event>",
        "Jan  1 00:00:00 h sshd[1]: x",
        "{\"Event\":1}",
    ] {
        assert_eq!(
            p.parse(l).unwrap_err().reason,
            "not a Windows event XML line",
            "{l}"
        );
    }
}
