//! Cloud control-plane audit records: AWS CloudTrail, Azure activity log,
//! Entra ID Identity Protection risk detections, GCP Cloud Audit Logs.

use crate::Ts;
use std::borrow::Cow;
use std::net::IpAddr;

/// One cloud audit record: who called which operation, from where, in
/// which account. The typed members are what alerts group by; Sigma rules
/// read the whole record by its own field paths (a
/// [`crate::JsonView`] of the raw text). Built-in detectors ignore it (a
/// console sign-in is also delivered as an [`crate::AuthEvent`]). Empty
/// strings stand for absent values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudEvent<'a> {
    /// `@timestamp`: `eventTime`, `time`, `timestamp`, `activityDateTime`.
    pub ts: Ts,
    /// `event.dataset`: `cloud.aws.cloudtrail`, `cloud.azure.activitylogs`,
    /// `cloud.azure.riskdetection`, `cloud.gcp.audit`.
    pub dataset: &'static str,
    /// `source.ip`: the caller's address, when the record has one (AWS
    /// services calling on a user's behalf log a host name instead).
    pub source_ip: Option<IpAddr>,
    /// `user.name`: the caller (ARN or user name, UPN, principal e-mail).
    pub user: Cow<'a, str>,
    /// `cloud.account.id`: AWS account, Azure subscription or tenant, GCP
    /// project.
    pub account: Cow<'a, str>,
    /// `event.action`: the operation (`eventName`, `operationName`,
    /// `protoPayload.methodName`, `riskEventType`).
    pub action: Cow<'a, str>,
}
