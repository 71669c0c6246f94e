//! Microsoft Entra ID sign-in logs as JSON lines.
//!
//! Two shapes are accepted on the same parser:
//!
//! | field            | diagnostic-settings export (`category`, `properties`) | Log Analytics `SigninLogs` row |
//! |------------------|---------------------------------------------------|-------------------------------|
//! | `ts`             | `time`, else `properties.createdDateTime`          | `TimeGenerated`, else `CreatedDateTime` |
//! | `user`/`domain`  | `properties.userPrincipalName`, else `properties.servicePrincipalName` | `UserPrincipalName`, else `ServicePrincipalName` |
//! | `source_ip`      | `properties.ipAddress`, else `callerIpAddress`     | `IPAddress` |
//! | outcome, failure | `properties.status.errorCode`, else `resultType`   | `Status.errorCode`, else `ResultType` |
//! | `tenant`         | `tenantId`                                         | `AADTenantId`, else `TenantId` |
//! | `app`            | `properties.appDisplayName`                        | `AppDisplayName` |
//! | `client`         | `properties.userAgent`, else `properties.clientAppUsed` | `UserAgent`, else `ClientAppUsed` |
//! | `country`        | `properties.location.countryOrRegion`              | `LocationDetails.countryOrRegion` (object or JSON text) |
//! | `asn`            | `properties.autonomousSystemNumber`                | `AutonomousSystemNumber` |
//!
//! Result codes: see [`crate`] docs. Records whose `category` / `Type` is an
//! Entra record that is not a sign-in (`AuditLogs`, …) are
//! [`Parsed::Directive`]; other JSON is rejected.

use crate::json::{nested_owned, object_line, parse_line, scalar, Raw};
use crate::norm::{account, code_text, entra_code, ip, text};
use haboob_model::{
    AuthEvent, AuthOutcome, EventRef, FailureClass, LineParser, Parsed, RecordError, Ts,
};
use serde::Deserialize;
use std::borrow::Cow;

/// Dataset name of Entra ID sign-ins.
pub const DATASET: &str = "auth.entra";

#[derive(Deserialize)]
struct Row<'a> {
    #[serde(borrow, alias = "Time")]
    time: Option<Raw<'a>>,
    #[serde(borrow, rename = "TimeGenerated")]
    time_generated: Option<Raw<'a>>,
    #[serde(
        borrow,
        rename = "resultType",
        alias = "resulttype",
        alias = "ResultType"
    )]
    result_type: Option<Raw<'a>>,
    #[serde(borrow, rename = "tenantId", alias = "tenantid", alias = "TenantId")]
    tenant_id: Option<Raw<'a>>,
    #[serde(borrow, rename = "AADTenantId")]
    aad_tenant_id: Option<Raw<'a>>,
    #[serde(borrow, alias = "Category")]
    category: Option<Raw<'a>>,
    #[serde(borrow, rename = "Type")]
    kind: Option<Raw<'a>>,
    #[serde(borrow, rename = "callerIpAddress", alias = "calleripaddress")]
    caller_ip: Option<Raw<'a>>,
    #[serde(borrow)]
    properties: Option<Props<'a>>,
    #[serde(borrow, rename = "UserPrincipalName")]
    upn: Option<Raw<'a>>,
    #[serde(borrow, rename = "ServicePrincipalName")]
    spn: Option<Raw<'a>>,
    #[serde(borrow, rename = "IPAddress")]
    ip: Option<Raw<'a>>,
    #[serde(borrow, rename = "AppDisplayName")]
    app: Option<Raw<'a>>,
    #[serde(borrow, rename = "ClientAppUsed")]
    client_app: Option<Raw<'a>>,
    #[serde(borrow, rename = "UserAgent")]
    user_agent: Option<Raw<'a>>,
    #[serde(borrow, rename = "LocationDetails")]
    location: Option<Raw<'a>>,
    #[serde(borrow, rename = "Status")]
    status: Option<Raw<'a>>,
    #[serde(borrow, rename = "CreatedDateTime")]
    created: Option<Raw<'a>>,
    #[serde(borrow, rename = "AutonomousSystemNumber")]
    asn: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct Props<'a> {
    #[serde(borrow, rename = "userPrincipalName")]
    upn: Option<Raw<'a>>,
    #[serde(borrow, rename = "servicePrincipalName")]
    spn: Option<Raw<'a>>,
    #[serde(borrow, rename = "ipAddress")]
    ip: Option<Raw<'a>>,
    status: Option<Status>,
    #[serde(borrow, rename = "appDisplayName")]
    app: Option<Raw<'a>>,
    #[serde(borrow, rename = "clientAppUsed")]
    client_app: Option<Raw<'a>>,
    #[serde(borrow, rename = "userAgent")]
    user_agent: Option<Raw<'a>>,
    #[serde(borrow)]
    location: Option<Raw<'a>>,
    #[serde(borrow, rename = "createdDateTime")]
    created: Option<Raw<'a>>,
    #[serde(borrow, rename = "autonomousSystemNumber")]
    asn: Option<Raw<'a>>,
}

#[derive(Deserialize)]
pub(crate) struct Status {
    #[serde(rename = "errorCode")]
    pub(crate) error_code: Option<u64>,
}

#[derive(Deserialize)]
pub(crate) struct Location {
    #[serde(rename = "countryOrRegion")]
    pub(crate) country: Option<String>,
}

/// Line parser for Entra ID sign-in JSON lines (both shapes).
#[derive(Debug, Default)]
pub struct EntraParser;

fn first<'a>(a: Option<Raw<'a>>, b: Option<Raw<'a>>) -> Cow<'a, str> {
    let s = scalar(a);
    if s.is_empty() {
        scalar(b)
    } else {
        s
    }
}

/// Parse an Entra time stamp (ISO 8601, 7-digit fractions, optional `Z`).
pub(crate) fn entra_time(s: &str) -> Result<Ts, RecordError> {
    if s.is_empty() {
        return Err(RecordError::fixed("missing time"));
    }
    Ts::parse_rfc3339(s).map_err(|e| RecordError::new(format!("bad time: {e}")))
}

/// Outcome from an error code if any, else from a result type that is a
/// number or the words `Success` / `Failure`.
pub(crate) fn outcome(
    code: Option<u64>,
    result_type: &str,
) -> Result<(AuthOutcome, Option<FailureClass>), RecordError> {
    if let Some(c) = code {
        return Ok(entra_code(c));
    }
    match result_type.trim() {
        "" | "None" => Err(RecordError::fixed("missing result code")),
        t if t.eq_ignore_ascii_case("success") => Ok(entra_code(0)),
        t if t.eq_ignore_ascii_case("failure") => {
            Ok((AuthOutcome::Failure, Some(FailureClass::Other)))
        }
        t => Ok(entra_code(code_text(t)?)),
    }
}

fn is_signin_kind(kind: &str) -> bool {
    kind.len() >= 10 && kind.as_bytes()[kind.len() - 10..].eq_ignore_ascii_case(b"signinlogs")
}

/// Entra tables that are understood but carry no sign-in.
fn is_entra_other(kind: &str) -> bool {
    const OTHER: [&str; 8] = [
        "AuditLogs",
        "ApplicationManagement",
        "DirectoryManagement",
        "Policy",
        "UserManagement",
        "GroupManagement",
        "RoleManagement",
        "ProvisioningLogs",
    ];
    OTHER.iter().any(|o| o.eq_ignore_ascii_case(kind))
}

impl LineParser for EntraParser {
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        let line = object_line(line).ok_or(RecordError::fixed("not a JSON object"))?;
        let row: Row<'a> = parse_line(line)?;
        let kind = first(row.category, row.kind);
        if !kind.is_empty() && !is_signin_kind(&kind) {
            if is_entra_other(&kind) {
                return Ok(Parsed::Directive);
            }
            return Err(RecordError::fixed("not an Entra sign-in record"));
        }
        let ev = match row.properties {
            Some(p) => {
                let ts = entra_time(&first(row.time, p.created))?;
                let name = first(p.upn, p.spn);
                let (user, domain) = account(name, Cow::Borrowed(""))?;
                let source_ip = ip(&first(p.ip, row.caller_ip))?;
                let code = p.status.and_then(|s| s.error_code);
                let (outcome, failure) = outcome(code, &scalar(row.result_type))?;
                let country = nested_owned::<Location>(p.location, "location")?
                    .and_then(|l| l.country)
                    .map_or(Cow::Borrowed(""), Cow::Owned);
                AuthEvent {
                    ts,
                    dataset: DATASET,
                    source_ip,
                    user,
                    domain,
                    tenant: text(scalar(row.tenant_id)),
                    host: Cow::Borrowed(""),
                    outcome,
                    failure,
                    app: text(scalar(p.app)),
                    client: text(first(p.user_agent, p.client_app)),
                    country: text(country),
                    asn: scalar(p.asn).parse().ok(),
                    location: None,
                }
            }
            None => {
                if row.upn.is_none() && row.spn.is_none() {
                    return Err(RecordError::fixed("not an Entra sign-in record"));
                }
                let ts = entra_time(&first(row.time_generated, row.created))?;
                let (user, domain) = account(first(row.upn, row.spn), Cow::Borrowed(""))?;
                let source_ip = ip(&scalar(row.ip))?;
                let code = nested_owned::<Status>(row.status, "Status")?.and_then(|s| s.error_code);
                let (outcome, failure) = outcome(code, &scalar(row.result_type))?;
                let country = nested_owned::<Location>(row.location, "LocationDetails")?
                    .and_then(|l| l.country)
                    .map_or(Cow::Borrowed(""), Cow::Owned);
                AuthEvent {
                    ts,
                    dataset: DATASET,
                    source_ip,
                    user,
                    domain,
                    tenant: text(first(row.aad_tenant_id, row.tenant_id)),
                    host: Cow::Borrowed(""),
                    outcome,
                    failure,
                    app: text(scalar(row.app)),
                    client: text(first(row.user_agent, row.client_app)),
                    country: text(country),
                    asn: scalar(row.asn).parse().ok(),
                    location: None,
                }
            }
        };
        Ok(Parsed::Event(EventRef::Auth(ev)))
    }
}
