//! AWS CloudTrail records (`--format cloudtrail`).
//!
//! One record per line (JSON Lines, as exported by CloudTrail Lake, Athena,
//! Logstash and most SIEMs) or framed by ingest from the files CloudTrail
//! writes to S3 (`{"Records":[…]}`, usually `.json.gz`) and from JSON
//! arrays. A record needs `eventSource`, `eventName` and a time; anything
//! else is rejected with the reason.
//!
//! Every record is a [`CloudEvent`] (dataset `cloud.aws.cloudtrail`):
//!
//! | field       | source |
//! |-------------|--------|
//! | `ts`        | `eventTime`, else `@timestamp` |
//! | `source_ip` | `sourceIPAddress` when it is an address (AWS services log their host name there: no address) |
//! | `user`      | `userIdentity.userName`, else `.arn`, else `.principalId`, else `.invokedBy` |
//! | `account`   | `recipientAccountId`, else `userIdentity.accountId` |
//! | `action`    | `eventName` |
//!
//! Sigma rules read the record by CloudTrail's own names (`eventSource`,
//! `userIdentity.type`, `requestParameters.…`, `errorCode`).
//!
//! A console sign-in (`eventName` `ConsoleLogin` with
//! `responseElements.ConsoleLogin` `Success` or `Failure`) is also a
//! sign-in ([`Parsed::Both`]: the [`AuthEvent`] first, dataset `auth.aws`),
//! so the spraying and takeover detectors see console logins: user from
//! `userIdentity.userName` (else the ARN), tenant the account, app
//! `aws-console`, client the user agent; `Failed authentication` is a bad
//! password, `No username found in supplied account` an unknown user, any
//! other failure class other.

use crate::cloud::{event, first_of, lenient_ip, time};
use crate::json::{object_line, parse_line, scalar, Raw};
use crate::norm::{account, text};
use haboob_model::{
    AuthEvent, AuthOutcome, EventRef, FailureClass, LineParser, Parsed, RecordError,
};
use serde::Deserialize;
use std::borrow::Cow;

/// Dataset of CloudTrail records.
pub const DATASET: &str = "cloud.aws.cloudtrail";
/// Dataset of AWS console sign-ins.
pub const AUTH_DATASET: &str = "auth.aws";

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, rename = "eventTime")]
    event_time: Option<Raw<'a>>,
    #[serde(borrow, rename = "@timestamp")]
    at_timestamp: Option<Raw<'a>>,
    #[serde(borrow, rename = "eventSource")]
    source: Option<Raw<'a>>,
    #[serde(borrow, rename = "eventName")]
    name: Option<Raw<'a>>,
    #[serde(borrow, rename = "sourceIPAddress")]
    ip: Option<Raw<'a>>,
    #[serde(borrow, rename = "userAgent")]
    user_agent: Option<Raw<'a>>,
    #[serde(borrow, rename = "userIdentity")]
    identity: Option<Identity<'a>>,
    #[serde(borrow, rename = "recipientAccountId")]
    recipient: Option<Raw<'a>>,
    #[serde(borrow, rename = "errorMessage")]
    error_message: Option<Raw<'a>>,
    #[serde(borrow, rename = "responseElements")]
    response: Option<Response<'a>>,
}

#[derive(Deserialize, Default)]
struct Identity<'a> {
    #[serde(borrow, rename = "userName")]
    user_name: Option<Raw<'a>>,
    #[serde(borrow)]
    arn: Option<Raw<'a>>,
    #[serde(borrow, rename = "principalId")]
    principal: Option<Raw<'a>>,
    #[serde(borrow, rename = "invokedBy")]
    invoked_by: Option<Raw<'a>>,
    #[serde(borrow, rename = "accountId")]
    account: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct Response<'a> {
    #[serde(borrow, rename = "ConsoleLogin")]
    console_login: Option<Raw<'a>>,
}

/// The console sign-in's outcome, when the record is one.
fn console_outcome(rec: &Record<'_>, name: &str) -> Option<(AuthOutcome, Option<FailureClass>)> {
    if name != "ConsoleLogin" {
        return None;
    }
    let result = scalar(rec.response.as_ref().and_then(|r| r.console_login));
    if result.eq_ignore_ascii_case("success") {
        return Some((AuthOutcome::Success, None));
    }
    if !result.eq_ignore_ascii_case("failure") {
        return None;
    }
    let class = match scalar(rec.error_message).as_ref() {
        "Failed authentication" => FailureClass::BadPassword,
        "No username found in supplied account" => FailureClass::UnknownUser,
        _ => FailureClass::Other,
    };
    Some((AuthOutcome::Failure, Some(class)))
}

/// Parse one CloudTrail record.
fn record(line: &str) -> Result<Parsed<'_>, RecordError> {
    let rec: Record<'_> = parse_line(line)?;
    let name = scalar(rec.name);
    if name.is_empty() || scalar(rec.source).is_empty() {
        return Err(RecordError::fixed(
            "not a CloudTrail record (no eventSource or eventName)",
        ));
    }
    let ts = time(&first_of(&[rec.event_time, rec.at_timestamp]))?;
    let id = rec.identity.as_ref();
    let user = first_of(&[
        id.and_then(|i| i.user_name),
        id.and_then(|i| i.arn),
        id.and_then(|i| i.principal),
        id.and_then(|i| i.invoked_by),
    ]);
    let acct = first_of(&[rec.recipient, id.and_then(|i| i.account)]);
    let source_ip = lenient_ip(&scalar(rec.ip));
    let signin = console_outcome(&rec, &name);
    let cloud = event(ts, DATASET, source_ip, user.clone(), acct.clone(), name);
    let Some((outcome, failure)) = signin else {
        return Ok(Parsed::Event(EventRef::Cloud(cloud)));
    };
    let login = first_of(&[
        id.and_then(|i| i.user_name),
        id.and_then(|i| i.arn),
        id.and_then(|i| i.principal),
    ]);
    let auth = match account(login, Cow::Borrowed("")) {
        Ok((user, domain)) => AuthEvent {
            ts,
            dataset: AUTH_DATASET,
            source_ip,
            user,
            domain,
            tenant: text(acct),
            host: Cow::Borrowed(""),
            outcome,
            failure,
            app: Cow::Borrowed("aws-console"),
            client: text(scalar(rec.user_agent)),
            country: Cow::Borrowed(""),
            asn: None,
            location: None,
        },
        // The audit record stands without its sign-in view.
        Err(e) => return Ok(Parsed::Partial(EventRef::Cloud(cloud), e)),
    };
    Ok(Parsed::Both(EventRef::Auth(auth), EventRef::Cloud(cloud)))
}

/// Line parser for CloudTrail records.
#[derive(Debug, Default)]
pub struct CloudTrailParser;

impl LineParser for CloudTrailParser {
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        let line = object_line(line).ok_or(RecordError::fixed("not a JSON object"))?;
        record(line)
    }
}

/// The cloud event of a parse result, for tests.
#[cfg(test)]
pub(crate) fn cloud_of<'a>(p: &'a Parsed<'a>) -> Option<&'a haboob_model::CloudEvent<'a>> {
    match p {
        Parsed::Event(EventRef::Cloud(c))
        | Parsed::Both(_, EventRef::Cloud(c))
        | Parsed::Partial(EventRef::Cloud(c), _) => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(l: &str) -> Result<Parsed<'_>, RecordError> {
        CloudTrailParser.parse(l)
    }

    #[test]
    fn api_call() {
        let l = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/pedro","accountId":"111122223333","userName":"pedro"},"eventTime":"2024-05-01T10:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","sourceIPAddress":"198.51.100.7","recipientAccountId":"111122223333"}"#;
        let p = parse(l).unwrap();
        let c = cloud_of(&p).unwrap();
        assert!(matches!(p, Parsed::Event(_)));
        assert_eq!(c.dataset, DATASET);
        assert_eq!(c.user, "pedro");
        assert_eq!(c.account, "111122223333");
        assert_eq!(c.action, "StopLogging");
        assert_eq!(c.source_ip, "198.51.100.7".parse().ok());
    }

    #[test]
    fn service_caller_has_no_address() {
        let l = r#"{"@timestamp":"2020-09-14T00:44:23.000Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","sourceIPAddress":"ec2.amazonaws.com","userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}}"#;
        let p = parse(l).unwrap();
        let c = cloud_of(&p).unwrap();
        assert_eq!(c.source_ip, None);
        assert_eq!(c.user, "ec2.amazonaws.com");
    }

    #[test]
    fn console_logins_are_sign_ins() {
        let l = r#"{"eventTime":"2024-05-01T10:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","sourceIPAddress":"203.0.113.9","userAgent":"Mozilla/5.0","userIdentity":{"type":"IAMUser","userName":"Alice","accountId":"111122223333"},"responseElements":{"ConsoleLogin":"Failure"},"errorMessage":"Failed authentication"}"#;
        let Parsed::Both(EventRef::Auth(a), EventRef::Cloud(c)) = parse(l).unwrap() else {
            panic!("not a sign-in and a record");
        };
        assert_eq!(a.dataset, AUTH_DATASET);
        assert_eq!(a.user, "alice");
        assert_eq!(a.tenant, "111122223333");
        assert_eq!(a.outcome, AuthOutcome::Failure);
        assert_eq!(a.failure, Some(FailureClass::BadPassword));
        assert_eq!(a.client, "Mozilla/5.0");
        assert_eq!(c.action, "ConsoleLogin");
        let ok = l
            .replace("\"Failure\"", "\"Success\"")
            .replace(",\"errorMessage\":\"Failed authentication\"", "");
        let Parsed::Both(EventRef::Auth(a), _) = parse(&ok).unwrap() else {
            panic!()
        };
        assert_eq!((a.outcome, a.failure), (AuthOutcome::Success, None));
        // No result: only the audit record.
        let none = l.replace(",\"responseElements\":{\"ConsoleLogin\":\"Failure\"}", "");
        assert!(matches!(
            parse(&none).unwrap(),
            Parsed::Event(EventRef::Cloud(_))
        ));
    }

    #[test]
    fn bad_records_say_why() {
        let e = |l: &str| parse(l).unwrap_err().reason.into_owned();
        assert_eq!(e("Records"), "not a JSON object");
        assert_eq!(
            e(r#"{"eventName":"ListBuckets","eventTime":"2024-05-01T10:00:00Z"}"#),
            "not a CloudTrail record (no eventSource or eventName)"
        );
        assert_eq!(
            e(r#"{"eventName":"ListBuckets","eventSource":"s3.amazonaws.com"}"#),
            "missing time"
        );
        assert!(e(
            r#"{"eventName":"ListBuckets","eventSource":"s3.amazonaws.com","eventTime":"x"}"#
        )
        .starts_with("bad time"));
        assert!(e(r#"{"eventName":"#).starts_with("bad JSON"));
    }
}
