//! Google Cloud Audit Logs (`--format gcp-audit`): Cloud Logging
//! `LogEntry` records whose `protoPayload` is an `AuditLog` (Admin
//! Activity, Data Access, System Event, Policy Denied), one per line as a
//! log sink writes them to Cloud Storage or as `gcloud logging read
//! --format=json` prints them (an array, framed by ingest).
//!
//! | field       | source |
//! |-------------|--------|
//! | `ts`        | `timestamp`, else `receiveTimestamp` |
//! | `source_ip` | `protoPayload.requestMetadata.callerIp` when an address (`private`, `gce-internal-ip`: none) |
//! | `user`      | `protoPayload.authenticationInfo.principalEmail` |
//! | `account`   | `resource.labels.project_id`, else the project of `logName` |
//! | `action`    | `protoPayload.methodName` |
//!
//! A record needs `protoPayload.methodName` and a time. Sigma's
//! `gcp.audit` rules name the method `gcp.audit.method_name` (Elastic's
//! name); the shipped mapping reads it from `protoPayload.methodName`.

use crate::cloud::{event, first_of, lenient_ip, time};
use crate::json::{object_line, parse_line, scalar, Raw};
use haboob_model::{EventRef, LineParser, Parsed, RecordError};
use serde::Deserialize;
use std::borrow::Cow;

/// Dataset of GCP audit records.
pub const DATASET: &str = "cloud.gcp.audit";

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    timestamp: Option<Raw<'a>>,
    #[serde(borrow, rename = "receiveTimestamp")]
    received: Option<Raw<'a>>,
    #[serde(borrow, rename = "protoPayload")]
    payload: Option<Payload<'a>>,
    #[serde(borrow)]
    resource: Option<Resource<'a>>,
    #[serde(borrow, rename = "logName")]
    log_name: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow, rename = "methodName")]
    method: Option<Raw<'a>>,
    #[serde(borrow, rename = "authenticationInfo")]
    auth: Option<AuthInfo<'a>>,
    #[serde(borrow, rename = "requestMetadata")]
    request: Option<RequestMeta<'a>>,
}

#[derive(Deserialize)]
struct AuthInfo<'a> {
    #[serde(borrow, rename = "principalEmail")]
    email: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct RequestMeta<'a> {
    #[serde(borrow, rename = "callerIp")]
    ip: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct Resource<'a> {
    #[serde(borrow)]
    labels: Option<Labels<'a>>,
}

#[derive(Deserialize)]
struct Labels<'a> {
    #[serde(borrow)]
    project_id: Option<Raw<'a>>,
}

/// The project of a log name `projects/<id>/logs/…`.
fn project_of(log_name: &str) -> &str {
    log_name
        .strip_prefix("projects/")
        .and_then(|r| r.split('/').next())
        .unwrap_or("")
}

fn entry(line: &str) -> Result<Parsed<'_>, RecordError> {
    let e: Entry<'_> = parse_line(line)?;
    let p = e.payload.as_ref();
    let method = scalar(p.and_then(|p| p.method));
    if method.is_empty() {
        return Err(RecordError::fixed(
            "not a GCP audit record (no protoPayload.methodName)",
        ));
    }
    let ts = time(&first_of(&[e.timestamp, e.received]))?;
    let user = scalar(p.and_then(|p| p.auth.as_ref()).and_then(|a| a.email));
    let ip = scalar(p.and_then(|p| p.request.as_ref()).and_then(|r| r.ip));
    let mut project = scalar(
        e.resource
            .as_ref()
            .and_then(|r| r.labels.as_ref())
            .and_then(|l| l.project_id),
    );
    if project.is_empty() {
        project = match scalar(e.log_name) {
            Cow::Borrowed(s) => Cow::Borrowed(project_of(s)),
            Cow::Owned(s) => Cow::Owned(project_of(&s).to_owned()),
        };
    }
    Ok(Parsed::Event(EventRef::Cloud(event(
        ts,
        DATASET,
        lenient_ip(&ip),
        user,
        project,
        method,
    ))))
}

/// Line parser for GCP Cloud Audit Logs.
#[derive(Debug, Default)]
pub struct GcpAuditParser;

impl LineParser for GcpAuditParser {
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        let line = object_line(line).ok_or(RecordError::fixed("not a JSON object"))?;
        entry(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudtrail::cloud_of;

    #[test]
    fn audit_entry() {
        let l = r#"{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"ops@example.org"},"requestMetadata":{"callerIp":"198.51.100.20"},"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.DeleteServiceAccount"},"resource":{"type":"service_account","labels":{"project_id":"proj-1"}},"timestamp":"2024-05-01T10:00:00.123456Z","logName":"projects/proj-1/logs/cloudaudit.googleapis.com%2Factivity"}"#;
        let p = GcpAuditParser.parse(l).unwrap();
        let c = cloud_of(&p).unwrap();
        assert_eq!(c.dataset, DATASET);
        assert_eq!(c.action, "google.iam.admin.v1.DeleteServiceAccount");
        assert_eq!((&*c.user, &*c.account), ("ops@example.org", "proj-1"));
        assert_eq!(c.source_ip, "198.51.100.20".parse().ok());
        let internal = l
            .replace("198.51.100.20", "gce-internal-ip")
            .replace(",\"labels\":{\"project_id\":\"proj-1\"}", "");
        let p = GcpAuditParser.parse(&internal).unwrap();
        let c = cloud_of(&p).unwrap();
        assert_eq!((c.source_ip, &*c.account), (None, "proj-1"));
    }

    #[test]
    fn other_entries_are_rejected() {
        let e = |l: &str| GcpAuditParser.parse(l).unwrap_err().reason.into_owned();
        assert_eq!(
            e(r#"{"textPayload":"hello","timestamp":"2024-05-01T10:00:00Z"}"#),
            "not a GCP audit record (no protoPayload.methodName)"
        );
        assert_eq!(e(r#"{"protoPayload":{"methodName":"x"}}"#), "missing time");
    }
}
