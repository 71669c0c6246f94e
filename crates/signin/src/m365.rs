//! Microsoft 365 unified audit log: `UserLoggedIn` / `UserLoginFailed`.
//!
//! Accepted shapes:
//! - JSON lines holding the `AuditData` object (Management Activity API,
//!   Purview search) or Sentinel `OfficeActivity` rows ([`M365Parser`]);
//! - CSV: the Purview export (`CreationDate,UserIds,Operations,AuditData`,
//!   `AuditData` being JSON text) and the Sentinel `OfficeActivity` export
//!   (`TimeGenerated [UTC]`, `Operation`, `UserId`, `ClientIP`, …)
//!   ([`M365CsvParser`]).
//!
//! | field            | source |
//! |------------------|--------|
//! | `ts`             | `CreationTime` (AuditData), `TimeGenerated` (OfficeActivity) |
//! | `user`/`domain`  | `UserId` |
//! | `source_ip`      | `ClientIP`, else `ActorIpAddress` (`[v6]:port` and `v4:port` accepted) |
//! | outcome, failure | `Operation` + `ErrorNumber` (Entra code) + `LogonError` |
//! | `tenant`         | `OrganizationId` |
//! | `app`            | `ApplicationId`, else `Workload` / `OfficeWorkload` |
//! | `client`         | `ExtendedProperties[Name=UserAgent]`, else `UserAgent` |
//!
//! `UserLoggedIn` is a success unless `ErrorNumber` says otherwise;
//! `UserLoginFailed` takes its class from `ErrorNumber`, then from
//! `LogonError` (`InvalidUserNameOrPassword` → bad password,
//! `UserAccountNotFound` → unknown user, `IdsLocked` → locked,
//! `UserStrongAuthClientAuthNRequired` → MFA challenge, `UserAccountDisabled`
//! → disabled, `*Expired*` → expired). Other operations are
//! [`Parsed::Directive`].

use crate::csvrec::{col, export_time, get, header_names, CsvRecords, Feed};
use crate::json::{nested_owned, object_line, parse_line, scalar, Raw};
use crate::norm::{account, code_text, entra_code, into_owned, ip, text};
use haboob_model::{
    AuthEvent, AuthOutcome, EventRef, FailureClass, LineParser, Parsed, RecordError, Ts,
};
use serde::Deserialize;
use std::borrow::Cow;

/// Dataset name of Microsoft 365 audit sign-ins.
pub const DATASET: &str = "auth.m365";

#[derive(Deserialize)]
struct Audit<'a> {
    #[serde(borrow, rename = "CreationTime")]
    creation: Option<Raw<'a>>,
    #[serde(borrow, rename = "TimeGenerated")]
    generated: Option<Raw<'a>>,
    #[serde(borrow, rename = "Operation")]
    operation: Option<Raw<'a>>,
    #[serde(borrow, rename = "UserId")]
    user: Option<Raw<'a>>,
    #[serde(borrow, rename = "ClientIP")]
    client_ip: Option<Raw<'a>>,
    #[serde(borrow, rename = "ActorIpAddress")]
    actor_ip: Option<Raw<'a>>,
    #[serde(borrow, rename = "ErrorNumber")]
    error_number: Option<Raw<'a>>,
    #[serde(borrow, rename = "LogonError")]
    logon_error: Option<Raw<'a>>,
    #[serde(borrow, rename = "OrganizationId")]
    org: Option<Raw<'a>>,
    #[serde(borrow, rename = "ApplicationId")]
    app_id: Option<Raw<'a>>,
    #[serde(borrow, rename = "Workload", alias = "OfficeWorkload")]
    workload: Option<Raw<'a>>,
    #[serde(borrow, rename = "ExtendedProperties")]
    extended: Option<Raw<'a>>,
    #[serde(borrow, rename = "UserAgent")]
    user_agent: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct NameValue {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Value")]
    value: Option<String>,
}

/// The fields of one audit record, whatever its shape.
struct Fields<'a> {
    ts: Ts,
    op: Cow<'a, str>,
    user: Cow<'a, str>,
    ip: Cow<'a, str>,
    error_number: Cow<'a, str>,
    logon_error: Cow<'a, str>,
    org: Cow<'a, str>,
    app: Cow<'a, str>,
    client: Cow<'a, str>,
}

fn non_empty<'a>(a: Cow<'a, str>, b: Cow<'a, str>) -> Cow<'a, str> {
    if a.is_empty() {
        b
    } else {
        a
    }
}

/// Map `LogonError` text to outcome and class.
fn logon_error(e: &str) -> (AuthOutcome, FailureClass) {
    use AuthOutcome::*;
    use FailureClass::*;
    match e {
        "InvalidUserNameOrPassword" | "InvalidPassword" => (Failure, BadPassword),
        "UserAccountNotFound" | "InvalidUserName" => (Failure, UnknownUser),
        "IdsLocked" | "UserAccountLocked" => (Failure, LockedOut),
        "UserStrongAuthClientAuthNRequired" | "UserStrongAuthClientAuthNRequiredInterrupt" => {
            (Challenge, MfaRequired)
        }
        "UserAccountDisabled" => (Failure, Disabled),
        e if e.contains("Expired") => (Failure, Expired),
        _ => (Failure, Other),
    }
}

fn event<'a>(f: Fields<'a>) -> Result<Parsed<'a>, RecordError> {
    let failed = match f.op.as_ref() {
        "UserLoggedIn" => false,
        "UserLoginFailed" => true,
        _ => return Ok(Parsed::Directive),
    };
    let (user, domain) = account(f.user, Cow::Borrowed(""))?;
    let source_ip = ip(&f.ip)?;
    let code = match f.error_number.trim() {
        "" => None,
        t => Some(code_text(t)?),
    };
    let (outcome, failure) = match (failed, code) {
        (false, None | Some(0)) => (AuthOutcome::Success, None),
        (_, Some(c)) if c != 0 && entra_code(c).1 != Some(FailureClass::Other) => entra_code(c),
        (false, Some(c)) => entra_code(c),
        (true, _) => {
            let (o, c) = logon_error(f.logon_error.trim());
            (o, Some(c))
        }
    };
    Ok(Parsed::Event(EventRef::Auth(AuthEvent {
        ts: f.ts,
        dataset: DATASET,
        source_ip,
        user,
        domain,
        tenant: text(f.org),
        host: Cow::Borrowed(""),
        outcome,
        failure,
        app: text(f.app),
        client: text(f.client),
        country: Cow::Borrowed(""),
        asn: None,
        location: None,
    })))
}

fn user_agent(extended: Option<Raw<'_>>) -> Option<String> {
    let props = nested_owned::<Vec<NameValue>>(extended, "ExtendedProperties").ok()??;
    props
        .into_iter()
        .find(|p| p.name == "UserAgent")
        .and_then(|p| p.value)
}

/// Parse one AuditData / OfficeActivity JSON object.
fn audit_json(line: &str) -> Result<Parsed<'_>, RecordError> {
    let a: Audit<'_> = parse_line(line)?;
    if a.operation.is_none() || (a.creation.is_none() && a.generated.is_none()) {
        return Err(RecordError::fixed("not a Microsoft 365 audit record"));
    }
    let op = scalar(a.operation);
    if op != "UserLoggedIn" && op != "UserLoginFailed" {
        return Ok(Parsed::Directive);
    }
    let time = non_empty(scalar(a.creation), scalar(a.generated));
    if time.is_empty() {
        return Err(RecordError::fixed("missing time"));
    }
    let ts = Ts::parse_rfc3339(&time).map_err(|e| RecordError::new(format!("bad time: {e}")))?;
    let client = match user_agent(a.extended) {
        Some(ua) => Cow::Owned(ua),
        None => scalar(a.user_agent),
    };
    event(Fields {
        ts,
        op,
        user: scalar(a.user),
        ip: non_empty(scalar(a.client_ip), scalar(a.actor_ip)),
        error_number: scalar(a.error_number),
        logon_error: scalar(a.logon_error),
        org: scalar(a.org),
        app: non_empty(scalar(a.app_id), scalar(a.workload)),
        client,
    })
}

/// Line parser for Microsoft 365 audit JSON lines.
#[derive(Debug, Default)]
pub struct M365Parser;

impl LineParser for M365Parser {
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        let line = object_line(line).ok_or(RecordError::fixed("not a JSON object"))?;
        audit_json(line)
    }
}

#[derive(Debug)]
enum Cols {
    /// Purview export: `CreationDate,UserIds,Operations,AuditData`.
    Purview { audit: usize, ops: usize },
    /// Sentinel `OfficeActivity` export.
    Office {
        time: usize,
        op: usize,
        user: usize,
        ip: Option<usize>,
        org: Option<usize>,
        workload: Option<usize>,
        extended: Option<usize>,
        ua: Option<usize>,
        logon_error: Option<usize>,
        error_number: Option<usize>,
    },
}

/// Line parser for Microsoft 365 audit CSV exports (Purview or Sentinel).
#[derive(Debug, Default)]
pub struct M365CsvParser {
    cols: Option<Cols>,
    records: CsvRecords,
}

impl M365CsvParser {
    fn header(line: &str) -> Result<Cols, RecordError> {
        let t = line.trim_start_matches('\u{feff}');
        if !t.starts_with(|c: char| c.is_ascii_alphabetic()) || !t.contains("Operation") {
            return Err(RecordError::fixed("not a Microsoft 365 audit CSV header"));
        }
        let h = header_names(t)?;
        if let (Some(audit), Some(ops)) = (
            col(&h, &["AuditData"]),
            col(&h, &["Operations", "Operation"]),
        ) {
            return Ok(Cols::Purview { audit, ops });
        }
        match (
            col(&h, &["TimeGenerated [UTC]", "TimeGenerated"]),
            col(&h, &["Operation"]),
            col(&h, &["UserId"]),
        ) {
            (Some(time), Some(op), Some(user)) => Ok(Cols::Office {
                time,
                op,
                user,
                ip: col(&h, &["ClientIP", "Client_IPAddress"]),
                org: col(&h, &["OrganizationId"]),
                workload: col(&h, &["OfficeWorkload"]),
                extended: col(&h, &["ExtendedProperties"]),
                ua: col(&h, &["UserAgent"]),
                logon_error: col(&h, &["LogonError"]),
                error_number: col(&h, &["ErrorNumber"]),
            }),
            _ => Err(RecordError::fixed(
                "Microsoft 365 CSV header lacks AuditData or TimeGenerated/Operation/UserId",
            )),
        }
    }
}

impl LineParser for M365CsvParser {
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        let Some(cols) = &self.cols else {
            self.cols = Some(Self::header(line)?);
            return Ok(Parsed::Directive);
        };
        let rec = match self.records.feed(line)? {
            Feed::Partial => return Ok(Parsed::Directive),
            Feed::Record(r) => r,
        };
        if rec.len() == 1 && get(rec, Some(0)).is_empty() {
            return Err(RecordError::fixed("empty line"));
        }
        let parsed = match cols {
            Cols::Purview { audit, ops } => {
                let op = get(rec, Some(*ops));
                if op != "UserLoggedIn" && op != "UserLoginFailed" {
                    return Ok(Parsed::Directive);
                }
                let data = get(rec, Some(*audit)).trim();
                if !data.starts_with('{') {
                    return Err(RecordError::fixed("AuditData is not a JSON object"));
                }
                audit_json(data)?
            }
            Cols::Office {
                time,
                op,
                user,
                ip,
                org,
                workload,
                extended,
                ua,
                logon_error,
                error_number,
            } => {
                let opv = get(rec, Some(*op));
                if opv != "UserLoggedIn" && opv != "UserLoginFailed" {
                    return Ok(Parsed::Directive);
                }
                let client = json_user_agent(get(rec, *extended))
                    .map_or(Cow::Borrowed(get(rec, *ua)), Cow::Owned);
                event(Fields {
                    ts: export_time(get(rec, Some(*time)))?,
                    op: Cow::Borrowed(opv),
                    user: Cow::Borrowed(get(rec, Some(*user))),
                    ip: Cow::Borrowed(get(rec, *ip)),
                    error_number: Cow::Borrowed(get(rec, *error_number)),
                    logon_error: Cow::Borrowed(get(rec, *logon_error)),
                    org: Cow::Borrowed(get(rec, *org)),
                    app: Cow::Borrowed(get(rec, *workload)),
                    client,
                })?
            }
        };
        Ok(match parsed {
            Parsed::Event(EventRef::Auth(ev)) => Parsed::Event(EventRef::Auth(into_owned(ev))),
            _ => Parsed::Directive,
        })
    }
}

fn json_user_agent(s: &str) -> Option<String> {
    let s = s.trim();
    if !s.starts_with('[') {
        return None;
    }
    let props: Vec<NameValue> = serde_json::from_str(s).ok()?;
    props
        .into_iter()
        .find(|p| p.name == "UserAgent")
        .and_then(|p| p.value)
}
