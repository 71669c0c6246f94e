//! Helpers shared by the hand-written case files.

#![allow(dead_code)]

use haboob_model::{AuthEvent, EventRef, Parsed};
use haboob_signin::SigninFormat;

pub fn parse1(fmt: SigninFormat, line: &str) -> Result<Option<AuthEvent<'static>>, String> {
    let mut p = fmt.line_parser().unwrap();
    match p.parse(line) {
        Ok(Parsed::Event(EventRef::Auth(e)) | Parsed::Both(EventRef::Auth(e), _)) => {
            Ok(Some(owned(e)))
        }
        Ok(_) => Ok(None),
        Err(e) => Err(e.reason.into_owned()),
    }
}

pub fn owned(e: AuthEvent<'_>) -> AuthEvent<'static> {
    AuthEvent {
        ts: e.ts,
        dataset: e.dataset,
        source_ip: e.source_ip,
        user: e.user.into_owned().into(),
        domain: e.domain.into_owned().into(),
        tenant: e.tenant.into_owned().into(),
        host: e.host.into_owned().into(),
        outcome: e.outcome,
        failure: e.failure,
        app: e.app.into_owned().into(),
        client: e.client.into_owned().into(),
        country: e.country.into_owned().into(),
        asn: e.asn,
        location: e.location,
    }
}

pub fn ev(fmt: SigninFormat, line: &str) -> AuthEvent<'static> {
    parse1(fmt, line).unwrap().expect("an event")
}

pub fn entra_flat(code: &str) -> String {
    format!(
        r#"{{"TimeGenerated":"2024-05-01T10:00:00.1234567Z","UserPrincipalName":"Bob@Example.org","IPAddress":"::ffff:198.51.100.7","ResultType":"{code}","AppDisplayName":"Office 365 Exchange Online","ClientAppUsed":"IMAP4","LocationDetails":{{"countryOrRegion":"NL"}},"AADTenantId":"t-1","AutonomousSystemNumber":64500}}"#
    )
}

pub fn m365(op: &str, extra: &str) -> String {
    format!(
        r#"{{"CreationTime":"2024-05-01T10:00:00","Id":"x","Operation":"{op}","OrganizationId":"org-1","RecordType":15,"ResultStatus":"Failed","UserId":"Dave@Contoso.com","Workload":"AzureActiveDirectory","ClientIP":"198.51.100.20","ExtendedProperties":[{{"Name":"UserAgent","Value":"UA/2"}}]{extra}}}"#
    )
}

pub fn okta(et: &str, result: &str, reason: &str) -> String {
    format!(
        r#"{{"published":"2024-05-01T10:00:00.000Z","eventType":"{et}","actor":{{"id":"00u1","alternateId":"Frank@Org.com"}},"client":{{"ipAddress":"192.0.2.44","userAgent":{{"rawUserAgent":"UA/3"}},"geographicalContext":{{"country":"Canada"}}}},"outcome":{{"result":"{result}","reason":"{reason}"}},"securityContext":{{"asNumber":64501}}}}"#
    )
}

pub fn google(name: &str, params: &str) -> String {
    format!(
        r#"{{"kind":"admin#reports#activity","id":{{"time":"2024-05-01T10:00:00.000Z","applicationName":"login","customerId":"C1"}},"actor":{{"email":"Gina@School.edu"}},"ipAddress":"203.0.113.77","events":[{{"type":"login","name":"{name}","parameters":[{params}]}}]}}"#
    )
}

pub mod samples;

use haboob_model::LineParser;
use haboob_signin::SyslogParser;
use samples::{of_auth, Sample, Src, X};
use std::path::PathBuf;

/// Where a sample is, or None (after a `skipped` line) without the corpus.
pub fn sample_path(test: &str, src: Src) -> Option<PathBuf> {
    match src {
        Src::Fixture(rel) => {
            Some(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/")).join(rel))
        }
        Src::Corpus(rel) => haboob_testdata::corpus_file_or_skip(test, rel),
    }
}

/// Parse every line of a text sample (syslog parser, year 2024) and compare
/// with its table, line by line; the events' times, in order. None when the
/// sample is in the corpus and there is none.
pub fn check(test: &str, s: &Sample) -> Option<Vec<String>> {
    check_with(test, s, &mut SyslogParser::new(2024))
}

/// [`check`] with another line parser.
pub fn check_with(test: &str, s: &Sample, p: &mut dyn LineParser) -> Option<Vec<String>> {
    let path = sample_path(test, s.src)?;
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), s.want.len(), "{}: line count", path.display());
    let mut times = Vec::new();
    for (i, (line, w)) in lines.iter().zip(&s.want).enumerate() {
        let got = match p.parse(line) {
            Ok(Parsed::Event(EventRef::Auth(e))) => {
                times.push(e.ts.to_string());
                of_auth(&e)
            }
            // A Windows sign-in: the sign-in, then the same event as a
            // Windows event at the same time.
            Ok(Parsed::Both(EventRef::Auth(e), EventRef::Win(w))) => {
                assert_eq!(e.ts, w.ts, "{} line {}", path.display(), i + 1);
                times.push(e.ts.to_string());
                of_auth(&e)
            }
            // An audit record that is a sign-in: the sign-in, then the record.
            Ok(Parsed::Both(EventRef::Auth(e), EventRef::Audit(a))) => {
                assert_eq!(e.ts, a.ts, "{} line {}", path.display(), i + 1);
                times.push(e.ts.to_string());
                of_auth(&e)
            }
            Ok(Parsed::Event(EventRef::Win(w))) => X::W(w.event_id),
            // An audit record that is not a sign-in.
            Ok(Parsed::Event(EventRef::Audit(_))) => X::D,
            Ok(Parsed::Event(_) | Parsed::Both(..)) => {
                panic!("{} line {}: non-auth event", path.display(), i + 1)
            }
            Ok(Parsed::Partial(EventRef::Win(w), why)) => X::Wp(
                w.event_id,
                Box::leak(why.reason.to_string().into_boxed_str()),
            ),
            Ok(Parsed::Partial(..)) => {
                panic!(
                    "{} line {}: partial non-Windows event",
                    path.display(),
                    i + 1
                )
            }
            Ok(Parsed::Directive) => X::D,
            Err(e) => X::R(Box::leak(e.reason.to_string().into_boxed_str())),
        };
        assert_eq!(&got, w, "{} line {}: {line}", path.display(), i + 1);
    }
    Some(times)
}
