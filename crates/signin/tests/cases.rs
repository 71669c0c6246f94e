//! Hand-written cases: every result-code mapping, malformed input with its
//! rejection reason, and cross-format rejection (auto-detection).

use haboob_model::{AuthEvent, AuthOutcome, EventRef, FailureClass, LineParser, Parsed, Ts};
use haboob_signin::{evtx::parse_record, SigninFormat, SyslogParser};
use AuthOutcome::*;
use FailureClass::*;

fn parse1(fmt: SigninFormat, line: &str) -> Result<Option<AuthEvent<'static>>, String> {
    let mut p = fmt.line_parser().unwrap();
    match p.parse(line) {
        Ok(Parsed::Event(EventRef::Auth(e))) => Ok(Some(owned(e))),
        Ok(_) => Ok(None),
        Err(e) => Err(e.reason.into_owned()),
    }
}

fn owned(e: AuthEvent<'_>) -> AuthEvent<'static> {
    AuthEvent {
        ts: e.ts,
        dataset: e.dataset,
        source_ip: e.source_ip,
        user: e.user.into_owned().into(),
        domain: e.domain.into_owned().into(),
        tenant: e.tenant.into_owned().into(),
        outcome: e.outcome,
        failure: e.failure,
        app: e.app.into_owned().into(),
        client: e.client.into_owned().into(),
        country: e.country.into_owned().into(),
        asn: e.asn,
    }
}

fn ev(fmt: SigninFormat, line: &str) -> AuthEvent<'static> {
    parse1(fmt, line).unwrap().expect("an event")
}

fn entra_flat(code: &str) -> String {
    format!(
        r#"{{"TimeGenerated":"2024-05-01T10:00:00.1234567Z","UserPrincipalName":"Bob@Example.org","IPAddress":"::ffff:198.51.100.7","ResultType":"{code}","AppDisplayName":"Office 365 Exchange Online","ClientAppUsed":"IMAP4","LocationDetails":{{"countryOrRegion":"NL"}},"AADTenantId":"t-1","AutonomousSystemNumber":64500}}"#
    )
}

#[test]
fn entra_result_codes() {
    let table = [
        ("0", Success, None),
        ("50126", Failure, Some(BadPassword)),
        ("50034", Failure, Some(UnknownUser)),
        ("50053", Failure, Some(LockedOut)),
        ("50057", Failure, Some(Disabled)),
        ("50055", Failure, Some(Expired)),
        ("50074", Challenge, Some(MfaRequired)),
        ("50076", Challenge, Some(MfaRequired)),
        ("50079", Challenge, Some(MfaRequired)),
        ("500121", Failure, Some(MfaDenied)),
        ("53003", Failure, Some(Other)),
    ];
    for (code, o, f) in table {
        let e = ev(SigninFormat::Entra, &entra_flat(code));
        assert_eq!((e.outcome, e.failure), (o, f), "code {code}");
    }
    let e = ev(SigninFormat::Entra, &entra_flat("50126"));
    assert_eq!(e.user, "bob@example.org");
    assert_eq!(e.domain, "example.org");
    assert_eq!(e.source_ip, Some("198.51.100.7".parse().unwrap()));
    assert_eq!(e.ts.to_string(), "2024-05-01T10:00:00.123Z");
    assert_eq!(
        (e.tenant.as_ref(), e.country.as_ref(), e.asn),
        ("t-1", "NL", Some(64500))
    );
    assert_eq!(
        (e.app.as_ref(), e.client.as_ref()),
        ("Office 365 Exchange Online", "IMAP4")
    );
    assert_eq!(e.dataset, "auth.entra");
}

#[test]
fn entra_diagnostic_shape_and_embedded_location() {
    let line = r#"{"time":"2024-05-01T10:00:00Z","resultType":"50053","tenantId":"tid","category":"SignInLogs","properties":{"userPrincipalName":"carol@contoso.com","ipAddress":"203.0.113.5","status":{"errorCode":50053},"appDisplayName":"Azure Portal","clientAppUsed":"Browser","location":{"countryOrRegion":"FR"},"userAgent":"UA/1"}}"#;
    let e = ev(SigninFormat::Entra, line);
    assert_eq!((e.outcome, e.failure), (Failure, Some(LockedOut)));
    assert_eq!(
        (e.client.as_ref(), e.country.as_ref(), e.tenant.as_ref()),
        ("UA/1", "FR", "tid")
    );
    // LocationDetails as JSON text (some exports).
    let line = r#"{"TimeGenerated":"2024-05-01T10:00:00Z","UserPrincipalName":"d@x.org","IPAddress":"203.0.113.5","ResultType":0,"LocationDetails":"{\"countryOrRegion\":\"DE\"}"}"#;
    assert_eq!(ev(SigninFormat::Entra, line).country, "DE");
    // An Entra audit record is understood, not a sign-in.
    let audit = r#"{"time":"2024-05-01T10:00:00Z","category":"AuditLogs","operationName":"Add member to role","properties":{}}"#;
    assert_eq!(parse1(SigninFormat::Entra, audit), Ok(None));
}

#[test]
fn entra_malformed() {
    let cases = [
        ("{\"TimeGenerated\":", "bad JSON at column 17: truncated"),
        ("not json", "not a JSON object"),
        (
            r#"{"TimeGenerated":"2024-05-01T10:00:00Z","UserPrincipalName":"","IPAddress":"1.2.3.4","ResultType":"0"}"#,
            "missing user name",
        ),
        (
            r#"{"TimeGenerated":"2024-05-01T10:00:00Z","UserPrincipalName":"a@b.c","IPAddress":"1.2.3","ResultType":"0"}"#,
            "bad source IP address",
        ),
        (
            r#"{"TimeGenerated":"yesterday","UserPrincipalName":"a@b.c","IPAddress":"1.2.3.4","ResultType":"0"}"#,
            "bad time: bad timestamp layout: expected yyyy-mm-ddTHH:MM:SS",
        ),
        (
            r#"{"TimeGenerated":"2024-05-01T10:00:00Z","UserPrincipalName":"a@b.c","IPAddress":"1.2.3.4"}"#,
            "missing result code",
        ),
        (
            r#"{"TimeGenerated":"2024-05-01T10:00:00Z","UserPrincipalName":"a@b.c","IPAddress":"1.2.3.4","ResultType":"abc"}"#,
            "result code is not a number",
        ),
        (
            r#"{"Type":"OfficeActivity","Operation":"UserLoggedIn"}"#,
            "not an Entra sign-in record",
        ),
        (
            r#"{"eventType":"user.session.start"}"#,
            "not an Entra sign-in record",
        ),
    ];
    for (line, reason) in cases {
        assert_eq!(
            parse1(SigninFormat::Entra, line),
            Err(reason.to_string()),
            "{line}"
        );
    }
    let long = format!(
        r#"{{"TimeGenerated":"2024-05-01T10:00:00Z","UserPrincipalName":"{}@x.org","IPAddress":"1.2.3.4","ResultType":"0"}}"#,
        "a".repeat(400)
    );
    assert_eq!(
        parse1(SigninFormat::Entra, &long),
        Err("user name longer than 320 bytes".into())
    );
    // Long user agents are cut, not rejected.
    let ua = format!(
        r#"{{"TimeGenerated":"2024-05-01T10:00:00Z","UserPrincipalName":"a@x.org","IPAddress":"1.2.3.4","ResultType":"0","UserAgent":"{}"}}"#,
        "u".repeat(5000)
    );
    assert_eq!(ev(SigninFormat::Entra, &ua).client.len(), 512);
}

#[test]
fn entra_csv_header_and_records() {
    let mut p = SigninFormat::EntraCsv.line_parser().unwrap();
    assert_eq!(
        p.parse("garbage").unwrap_err().reason,
        "not an Entra sign-in CSV header"
    );
    let header = "\u{feff}TimeGenerated [UTC],UserPrincipalName,IPAddress,ResultType,Status,AppDisplayName,LocationDetails";
    assert!(matches!(p.parse(header), Ok(Parsed::Directive)));
    let rec = r#""5/1/2024, 10:00:00.000 AM",Eve@Contoso.com,203.0.113.9,50126,"{""errorCode"":50126}",Azure Portal,"{""countryOrRegion"":""US""}""#;
    let Ok(Parsed::Event(EventRef::Auth(e))) = p.parse(rec) else {
        panic!("event expected")
    };
    assert_eq!(
        (e.user.as_ref(), e.outcome, e.failure),
        ("eve@contoso.com", Failure, Some(BadPassword))
    );
    assert_eq!(
        (e.country.as_ref(), e.ts.to_string()),
        ("US", "2024-05-01T10:00:00.000Z".to_string())
    );
    // A record whose JSON column spans lines.
    assert!(matches!(
        p.parse(r#""5/1/2024, 1:00:00 PM",f@c.com,203.0.113.9,0,"{"#),
        Ok(Parsed::Directive)
    ));
    let Ok(Parsed::Event(EventRef::Auth(e))) = p.parse(r#"""errorCode"":0}",App,"#) else {
        panic!("event expected")
    };
    assert_eq!((e.user.as_ref(), e.outcome), ("f@c.com", Success));
    assert_eq!(
        p.parse("5/1/2024 1:00:00 XM,f@c.com,1.2.3.4,0")
            .unwrap_err()
            .reason,
        "bad time: expected M/D/YYYY, h:mm:ss AM"
    );
    let mut p = SigninFormat::EntraCsv.line_parser().unwrap();
    assert_eq!(
        p.parse("Time,UserPrincipalName").unwrap_err().reason,
        "Entra CSV header lacks a time, UserPrincipalName, IPAddress or ResultType column"
    );
}

fn m365(op: &str, extra: &str) -> String {
    format!(
        r#"{{"CreationTime":"2024-05-01T10:00:00","Id":"x","Operation":"{op}","OrganizationId":"org-1","RecordType":15,"ResultStatus":"Failed","UserId":"Dave@Contoso.com","Workload":"AzureActiveDirectory","ClientIP":"198.51.100.20","ExtendedProperties":[{{"Name":"UserAgent","Value":"UA/2"}}]{extra}}}"#
    )
}

#[test]
fn m365_logon_errors() {
    let table = [
        (
            r#","LogonError":"InvalidUserNameOrPassword""#,
            Failure,
            Some(BadPassword),
        ),
        (
            r#","LogonError":"UserAccountNotFound""#,
            Failure,
            Some(UnknownUser),
        ),
        (r#","LogonError":"IdsLocked""#, Failure, Some(LockedOut)),
        (
            r#","LogonError":"UserStrongAuthClientAuthNRequired""#,
            Challenge,
            Some(MfaRequired),
        ),
        (
            r#","LogonError":"UserAccountDisabled""#,
            Failure,
            Some(Disabled),
        ),
        (r#","LogonError":"SomethingElse""#, Failure, Some(Other)),
        (
            r#","ErrorNumber":"50126","LogonError":"InvalidUserNameOrPassword""#,
            Failure,
            Some(BadPassword),
        ),
        (r#","ErrorNumber":"50034""#, Failure, Some(UnknownUser)),
        (r#","ErrorNumber":50053"#, Failure, Some(LockedOut)),
    ];
    for (extra, o, f) in table {
        let e = ev(SigninFormat::M365, &m365("UserLoginFailed", extra));
        assert_eq!((e.outcome, e.failure), (o, f), "{extra}");
    }
    let e = ev(SigninFormat::M365, &m365("UserLoggedIn", ""));
    assert_eq!((e.outcome, e.failure), (Success, None));
    assert_eq!(
        (e.user.as_ref(), e.domain.as_ref(), e.tenant.as_ref()),
        ("dave@contoso.com", "contoso.com", "org-1")
    );
    assert_eq!(
        (e.client.as_ref(), e.app.as_ref(), e.dataset),
        ("UA/2", "AzureActiveDirectory", "auth.m365")
    );
    assert_eq!(e.source_ip, Some("198.51.100.20".parse().unwrap()));
    assert_eq!(
        parse1(SigninFormat::M365, &m365("MailItemsAccessed", "")),
        Ok(None)
    );
    assert_eq!(
        parse1(SigninFormat::M365, r#"{"eventType":"user.session.start"}"#),
        Err("not a Microsoft 365 audit record".into())
    );
    assert_eq!(
        parse1(
            SigninFormat::M365,
            &m365("UserLoginFailed", "").replace("2024-05-01T10:00:00", "now")
        ),
        Err("bad time: bad timestamp layout: expected yyyy-mm-ddTHH:MM:SS".into())
    );
}

#[test]
fn m365_purview_csv() {
    let mut p = SigninFormat::M365Csv.line_parser().unwrap();
    assert!(matches!(
        p.parse("CreationDate,UserIds,Operations,AuditData"),
        Ok(Parsed::Directive)
    ));
    let audit = m365("UserLoginFailed", r#","LogonError":"IdsLocked""#).replace('"', "\"\"");
    let line = format!("2024-05-01T10:00:00.0000000Z,dave@contoso.com,UserLoginFailed,\"{audit}\"");
    let Ok(Parsed::Event(EventRef::Auth(e))) = p.parse(&line) else {
        panic!("event expected")
    };
    assert_eq!(
        (e.user.as_ref(), e.failure),
        ("dave@contoso.com", Some(LockedOut))
    );
    assert!(matches!(
        p.parse("2024-05-01T10:00:00Z,x@y.z,FileAccessed,\"{}\""),
        Ok(Parsed::Directive)
    ));
    assert_eq!(
        p.parse("2024-05-01T10:00:00Z,x@y.z,UserLoggedIn,oops")
            .unwrap_err()
            .reason,
        "AuditData is not a JSON object"
    );
}

fn okta(et: &str, result: &str, reason: &str) -> String {
    format!(
        r#"{{"published":"2024-05-01T10:00:00.000Z","eventType":"{et}","actor":{{"id":"00u1","alternateId":"Frank@Org.com"}},"client":{{"ipAddress":"192.0.2.44","userAgent":{{"rawUserAgent":"UA/3"}},"geographicalContext":{{"country":"Canada"}}}},"outcome":{{"result":"{result}","reason":"{reason}"}},"securityContext":{{"asNumber":64501}}}}"#
    )
}

#[test]
fn okta_outcomes() {
    let table = [
        ("user.session.start", "SUCCESS", "", Success, None),
        (
            "user.session.start",
            "FAILURE",
            "INVALID_CREDENTIALS",
            Failure,
            Some(BadPassword),
        ),
        (
            "user.session.start",
            "FAILURE",
            "VERIFICATION_ERROR",
            Failure,
            Some(BadPassword),
        ),
        (
            "user.session.start",
            "FAILURE",
            "LOCKED_OUT",
            Failure,
            Some(LockedOut),
        ),
        (
            "user.session.start",
            "DENY",
            "Unknown user",
            Failure,
            Some(UnknownUser),
        ),
        (
            "user.authentication.auth_via_mfa",
            "FAILURE",
            "VERIFICATION_ERROR",
            Failure,
            Some(MfaDenied),
        ),
        (
            "user.authentication.sso",
            "CHALLENGE",
            "",
            Challenge,
            Some(MfaRequired),
        ),
        ("user.account.lock", "FAILURE", "", Failure, Some(LockedOut)),
        (
            "user.mfa.okta_verify.deny_push",
            "SUCCESS",
            "",
            Failure,
            Some(MfaDenied),
        ),
        (
            "user.session.start",
            "FAILURE",
            "Policy",
            Failure,
            Some(Other),
        ),
    ];
    for (et, res, why, o, f) in table {
        let e = ev(SigninFormat::Okta, &okta(et, res, why));
        assert_eq!((e.outcome, e.failure), (o, f), "{et} {res} {why}");
    }
    let e = ev(
        SigninFormat::Okta,
        &okta("user.session.start", "SUCCESS", ""),
    );
    assert_eq!(
        (e.user.as_ref(), e.domain.as_ref()),
        ("frank@org.com", "org.com")
    );
    assert_eq!(
        (e.client.as_ref(), e.country.as_ref(), e.asn),
        ("UA/3", "Canada", Some(64501))
    );
    let unknown =
        okta("user.session.start", "FAILURE", "VERIFICATION_ERROR").replace("00u1", "unknown");
    assert_eq!(ev(SigninFormat::Okta, &unknown).failure, Some(UnknownUser));
    assert_eq!(
        parse1(
            SigninFormat::Okta,
            &okta("user.lifecycle.create", "SUCCESS", "")
        ),
        Ok(None)
    );
    assert_eq!(
        parse1(SigninFormat::Okta, &okta("user.session.start", "MAYBE", "")),
        Err("unknown outcome.result".into())
    );
    assert_eq!(
        parse1(SigninFormat::Okta, &entra_flat("0")),
        Err("not an Okta System Log event".into())
    );
}

fn google(name: &str, params: &str) -> String {
    format!(
        r#"{{"kind":"admin#reports#activity","id":{{"time":"2024-05-01T10:00:00.000Z","applicationName":"login","customerId":"C1"}},"actor":{{"email":"Gina@School.edu"}},"ipAddress":"203.0.113.77","events":[{{"type":"login","name":"{name}","parameters":[{params}]}}]}}"#
    )
}

#[test]
fn google_events() {
    let ft = |v: &str| format!(r#"{{"name":"login_failure_type","value":"{v}"}}"#);
    let cs = |v: &str| format!(r#"{{"name":"login_challenge_status","value":"{v}"}}"#);
    let table = [
        ("login_success", String::new(), Success, None),
        (
            "login_failure",
            ft("login_failure_invalid_password"),
            Failure,
            Some(BadPassword),
        ),
        (
            "login_failure",
            ft("login_failure_invalid_second_factor"),
            Failure,
            Some(MfaDenied),
        ),
        (
            "login_failure",
            ft("login_failure_account_disabled"),
            Failure,
            Some(Disabled),
        ),
        (
            "login_failure",
            ft("login_failure_unknown"),
            Failure,
            Some(Other),
        ),
        (
            "login_challenge",
            cs("passed"),
            Challenge,
            Some(MfaRequired),
        ),
        ("login_challenge", cs("failed"), Failure, Some(MfaDenied)),
        (
            "login_verification",
            cs("passed"),
            Challenge,
            Some(MfaRequired),
        ),
        ("suspicious_login", String::new(), Challenge, Some(Other)),
        (
            "account_disabled_hijacked",
            String::new(),
            Failure,
            Some(Disabled),
        ),
    ];
    for (name, params, o, f) in table {
        let e = ev(SigninFormat::Google, &google(name, &params));
        assert_eq!((e.outcome, e.failure), (o, f), "{name} {params}");
        assert_eq!(
            (e.user.as_ref(), e.domain.as_ref(), e.tenant.as_ref()),
            ("gina@school.edu", "school.edu", "C1")
        );
    }
    assert_eq!(
        parse1(SigninFormat::Google, &google("logout", "")),
        Ok(None)
    );
    assert_eq!(
        parse1(SigninFormat::Google, "Jan  1 00:00:00 h sshd[1]: x"),
        Err("not a JSON object".into())
    );
    assert_eq!(
        parse1(SigninFormat::Google, &m365("UserLoggedIn", "")),
        Err("not a Google Workspace activity".into())
    );
}

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
    assert_eq!(SigninFormat::all().len(), 8);
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
