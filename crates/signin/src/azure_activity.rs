//! Azure activity log (`--format azure-activity`) and Entra ID Identity
//! Protection risk detections (`--format azure-risk`), as JSON records.
//!
//! Activity log shapes (one parser):
//!
//! | field       | diagnostic settings (`{"records":[…]}` blobs, Event Hubs) | REST API / portal export | Log Analytics `AzureActivity` |
//! |-------------|------------------------|------------------------|------------------------|
//! | `ts`        | `time`                 | `eventTimestamp`       | `TimeGenerated`        |
//! | `action`    | `operationName`        | `operationName.value`  | `OperationNameValue`   |
//! | `user`      | `identity.claims` UPN, else `identity.claims.name` | `caller` | `Caller` |
//! | `source_ip` | `callerIpAddress`      | `httpRequest.clientIpAddress` | `CallerIpAddress` |
//! | `account`   | subscription of `resourceId`, else `tenantId` | `subscriptionId` | `SubscriptionId` |
//!
//! A record is an activity record when its category (`category`,
//! `category.value`, `CategoryValue`) is one of the activity log's
//! (`Administrative`, `Security`, `ServiceHealth`, `Alert`,
//! `Recommendation`, `Policy`, `Autoscale`, `ResourceHealth`) or its
//! `Type` is `AzureActivity`, and it names an operation.
//!
//! Risk detections: the Graph `riskDetection` resource
//! (`riskEventType`, `detectedDateTime`, `activityDateTime`, `ipAddress`,
//! `userPrincipalName`, `tenantId`), the Log Analytics
//! `AADUserRiskEvents` row (same names, capitalised, and `TimeGenerated`)
//! and the diagnostic-settings record (`time`, the same members under
//! `properties`). `action` is the risk event type.

use crate::cloud::{event, first_of, lenient_ip, time};
use crate::json::{object_line, parse_line, scalar, Raw};
use haboob_model::{EventRef, LineParser, Parsed, RecordError};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;

/// Dataset of activity log records.
pub const ACTIVITY_DATASET: &str = "cloud.azure.activitylogs";
/// Dataset of risk detections.
pub const RISK_DATASET: &str = "cloud.azure.riskdetection";

/// The activity log's categories.
const CATEGORIES: [&str; 8] = [
    "Administrative",
    "Security",
    "ServiceHealth",
    "Alert",
    "Recommendation",
    "Policy",
    "Autoscale",
    "ResourceHealth",
];

#[derive(Deserialize)]
struct Valued<'a> {
    #[serde(borrow)]
    value: Option<Raw<'a>>,
}

/// A string, or the `value` of an object (the REST shape's
/// `{"value":…,"localizedValue":…}`).
fn valued(v: Option<Raw<'_>>) -> Option<Raw<'_>> {
    let r = v?;
    if r.get().starts_with('{') {
        return serde_json::from_str::<Valued<'_>>(r.get()).ok()?.value;
    }
    Some(r)
}

#[derive(Deserialize)]
struct Activity<'a> {
    #[serde(borrow)]
    time: Option<Raw<'a>>,
    #[serde(borrow, rename = "eventTimestamp")]
    event_timestamp: Option<Raw<'a>>,
    #[serde(borrow, rename = "TimeGenerated")]
    generated: Option<Raw<'a>>,
    #[serde(borrow, rename = "operationName")]
    operation: Option<Raw<'a>>,
    #[serde(borrow, rename = "OperationNameValue")]
    operation_value: Option<Raw<'a>>,
    #[serde(borrow)]
    category: Option<Raw<'a>>,
    #[serde(borrow, rename = "CategoryValue")]
    category_value: Option<Raw<'a>>,
    #[serde(borrow, rename = "Type")]
    kind: Option<Raw<'a>>,
    #[serde(borrow, alias = "Caller")]
    caller: Option<Raw<'a>>,
    #[serde(borrow)]
    identity: Option<IdentityA<'a>>,
    #[serde(borrow, rename = "callerIpAddress", alias = "CallerIpAddress")]
    caller_ip: Option<Raw<'a>>,
    #[serde(borrow, rename = "httpRequest")]
    http: Option<Http<'a>>,
    #[serde(borrow, rename = "subscriptionId", alias = "SubscriptionId")]
    subscription: Option<Raw<'a>>,
    #[serde(borrow, rename = "resourceId", alias = "ResourceId")]
    resource_id: Option<Raw<'a>>,
    #[serde(borrow, rename = "tenantId", alias = "TenantId")]
    tenant: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct IdentityA<'a> {
    #[serde(borrow, default)]
    claims: HashMap<Cow<'a, str>, Option<Raw<'a>>>,
}

#[derive(Deserialize)]
struct Http<'a> {
    #[serde(borrow, rename = "clientIpAddress")]
    client_ip: Option<Raw<'a>>,
}

const UPN_CLAIM: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";

/// The subscription id of a resource id `/subscriptions/<id>/…`.
fn subscription_of(resource_id: &str) -> &str {
    let b = resource_id.as_bytes();
    const P: &[u8] = b"/subscriptions/";
    if b.len() > P.len() && b[..P.len()].eq_ignore_ascii_case(P) {
        let rest = &resource_id[P.len()..];
        return rest.split('/').next().unwrap_or("");
    }
    ""
}

fn activity(line: &str) -> Result<Parsed<'_>, RecordError> {
    let a: Activity<'_> = parse_line(line)?;
    let category = first_of(&[valued(a.category), a.category_value]);
    let is_activity = CATEGORIES.iter().any(|c| c.eq_ignore_ascii_case(&category))
        || scalar(a.kind).eq_ignore_ascii_case("AzureActivity");
    let action = first_of(&[valued(a.operation), a.operation_value]);
    if !is_activity || action.is_empty() {
        return Err(RecordError::fixed(
            "not an Azure activity log record (no activity category or operation)",
        ));
    }
    let ts = time(&first_of(&[a.time, a.event_timestamp, a.generated]))?;
    let claims = a.identity.as_ref().map(|i| &i.claims);
    let claim = |k: &str| claims.and_then(|c| c.get(k).copied().flatten());
    let user = first_of(&[a.caller, claim(UPN_CLAIM), claim("name")]);
    let ip = first_of(&[a.caller_ip, a.http.as_ref().and_then(|h| h.client_ip)]);
    let resource = scalar(a.resource_id);
    let mut account = scalar(a.subscription);
    if account.is_empty() {
        account = Cow::Owned(subscription_of(&resource).to_owned());
    }
    if account.is_empty() {
        account = scalar(a.tenant);
    }
    Ok(Parsed::Event(EventRef::Cloud(event(
        ts,
        ACTIVITY_DATASET,
        lenient_ip(&ip),
        user,
        account,
        action,
    ))))
}

/// Line parser for Azure activity log records.
#[derive(Debug, Default)]
pub struct AzureActivityParser;

impl LineParser for AzureActivityParser {
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        let line = object_line(line).ok_or(RecordError::fixed("not a JSON object"))?;
        activity(line)
    }
}

#[derive(Deserialize, Default)]
struct Risk<'a> {
    #[serde(borrow, rename = "riskEventType", alias = "RiskEventType")]
    risk_event_type: Option<Raw<'a>>,
    #[serde(borrow, rename = "detectedDateTime", alias = "DetectedDateTime")]
    detected: Option<Raw<'a>>,
    #[serde(borrow, rename = "activityDateTime", alias = "ActivityDateTime")]
    activity: Option<Raw<'a>>,
    #[serde(borrow, rename = "TimeGenerated")]
    generated: Option<Raw<'a>>,
    #[serde(borrow)]
    time: Option<Raw<'a>>,
    #[serde(borrow, rename = "ipAddress", alias = "IpAddress")]
    ip: Option<Raw<'a>>,
    #[serde(borrow, rename = "userPrincipalName", alias = "UserPrincipalName")]
    upn: Option<Raw<'a>>,
    #[serde(borrow, rename = "tenantId", alias = "TenantId")]
    tenant: Option<Raw<'a>>,
    #[serde(borrow)]
    properties: Option<Box<Risk<'a>>>,
}

fn risk(line: &str) -> Result<Parsed<'_>, RecordError> {
    let r: Risk<'_> = parse_line(line)?;
    let empty = Risk::default();
    let p = r.properties.as_deref().unwrap_or(&empty);
    let kind = first_of(&[r.risk_event_type, p.risk_event_type]);
    if kind.is_empty() {
        return Err(RecordError::fixed(
            "not a risk detection (no riskEventType)",
        ));
    }
    let ts = time(&first_of(&[
        r.detected,
        r.activity,
        p.detected,
        p.activity,
        r.generated,
        r.time,
    ]))?;
    Ok(Parsed::Event(EventRef::Cloud(event(
        ts,
        RISK_DATASET,
        lenient_ip(&first_of(&[r.ip, p.ip])),
        first_of(&[r.upn, p.upn]),
        first_of(&[r.tenant, p.tenant]),
        kind,
    ))))
}

/// Line parser for Identity Protection risk detections.
#[derive(Debug, Default)]
pub struct AzureRiskParser;

impl LineParser for AzureRiskParser {
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        let line = object_line(line).ok_or(RecordError::fixed("not a JSON object"))?;
        risk(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudtrail::cloud_of;

    #[test]
    fn activity_shapes() {
        let diag = r#"{"time":"2024-05-01T10:00:00.1234567Z","resourceId":"/SUBSCRIPTIONS/0000-1111/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG","operationName":"MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WRITE","category":"Administrative","resultType":"Start","callerIpAddress":"198.51.100.4","identity":{"claims":{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"admin@contoso.example"}}}"#;
        let rest = r#"{"caller":"ops@contoso.example","eventTimestamp":"2024-05-01T10:00:00Z","operationName":{"value":"Microsoft.Authorization/elevateAccess/action","localizedValue":"Elevate"},"category":{"value":"Administrative"},"subscriptionId":"2222","httpRequest":{"clientIpAddress":"203.0.113.5"}}"#;
        let la = r#"{"TimeGenerated":"2024-05-01T10:00:00Z","OperationNameValue":"MICROSOFT.PORTAL/CONSOLES/WRITE","CategoryValue":"Administrative","Caller":"x@contoso.example","CallerIpAddress":"","SubscriptionId":"3333","Type":"AzureActivity"}"#;
        let want = [
            (
                diag,
                "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WRITE",
                "admin@contoso.example",
                "0000-1111",
                Some("198.51.100.4"),
            ),
            (
                rest,
                "Microsoft.Authorization/elevateAccess/action",
                "ops@contoso.example",
                "2222",
                Some("203.0.113.5"),
            ),
            (
                la,
                "MICROSOFT.PORTAL/CONSOLES/WRITE",
                "x@contoso.example",
                "3333",
                None,
            ),
        ];
        for (l, action, user, acct, ip) in want {
            let p = AzureActivityParser.parse(l).unwrap();
            let c = cloud_of(&p).unwrap();
            assert_eq!(c.dataset, ACTIVITY_DATASET);
            assert_eq!(
                (&*c.action, &*c.user, &*c.account),
                (action, user, acct),
                "{l}"
            );
            assert_eq!(c.source_ip, ip.and_then(|i| i.parse().ok()));
        }
    }

    #[test]
    fn activity_rejects_other_azure_records() {
        // An Entra ID audit record shares the envelope, not the category.
        let audit = r#"{"time":"2024-05-01T10:00:00Z","operationName":"Add member to role","category":"AuditLogs"}"#;
        assert_eq!(
            AzureActivityParser.parse(audit).unwrap_err().reason,
            "not an Azure activity log record (no activity category or operation)"
        );
        let no_time = r#"{"operationName":"X/WRITE","category":"Administrative"}"#;
        assert_eq!(
            AzureActivityParser.parse(no_time).unwrap_err().reason,
            "missing time"
        );
    }

    #[test]
    fn risk_shapes() {
        let graph = r#"{"id":"1","riskEventType":"anonymizedIPAddress","riskLevel":"medium","detectedDateTime":"2024-05-01T10:00:00Z","ipAddress":"198.51.100.9","userPrincipalName":"alice@contoso.example","tenantId":"t1"}"#;
        let diag = r#"{"time":"2024-05-01T10:00:00Z","category":"UserRiskEvents","properties":{"riskEventType":"passwordSpray","ipAddress":"198.51.100.10","userPrincipalName":"bob@contoso.example"}}"#;
        for (l, kind, user) in [
            (graph, "anonymizedIPAddress", "alice@contoso.example"),
            (diag, "passwordSpray", "bob@contoso.example"),
        ] {
            let p = AzureRiskParser.parse(l).unwrap();
            let c = cloud_of(&p).unwrap();
            assert_eq!(
                (c.dataset, &*c.action, &*c.user),
                (RISK_DATASET, kind, user)
            );
            assert!(c.source_ip.is_some());
        }
        assert_eq!(
            AzureRiskParser
                .parse(r#"{"riskLevel":"high"}"#)
                .unwrap_err()
                .reason,
            "not a risk detection (no riskEventType)"
        );
    }

    #[test]
    fn subscription_ids() {
        assert_eq!(
            subscription_of("/subscriptions/abc/resourceGroups/x"),
            "abc"
        );
        assert_eq!(subscription_of("/tenants/abc"), "");
    }
}
