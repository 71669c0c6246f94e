//! Hand-written cases for the cloud sources (Entra ID, Microsoft 365, Okta,
//! Google Workspace): every result-code mapping and malformed input with its
//! rejection reason.

mod common;

use common::{entra_flat, ev, google, m365, okta, parse1};
use haboob_model::{AuthOutcome, EventRef, FailureClass, Parsed};
use haboob_signin::SigninFormat;
use AuthOutcome::*;
use FailureClass::*;

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
