//! Microsoft Entra ID `SigninLogs` exported from Log Analytics as CSV.
//!
//! The export starts with a BOM, uses CRLF and a header whose time columns
//! carry a zone suffix (`CreatedDateTime [UTC]`, `TimeGenerated [UTC]`).
//! Dynamic columns hold JSON text, pretty-printed over several lines, so a
//! record may span lines: continuation lines are [`Parsed::Directive`] and
//! the event is emitted on the record's last line (owned text).
//!
//! | field            | column |
//! |------------------|--------|
//! | `ts`             | `CreatedDateTime [UTC]`, else `TimeGenerated [UTC]` (also without suffix) |
//! | `user`/`domain`  | `UserPrincipalName` |
//! | `source_ip`      | `IPAddress` |
//! | outcome, failure | `Status_dynamic`/`Status` `errorCode`, else `ResultType` |
//! | `tenant`         | `AADTenantId`, else `TenantId` |
//! | `app`            | `AppDisplayName` |
//! | `client`         | `UserAgent`, else `ClientAppUsed` |
//! | `country`        | `LocationDetails_dynamic`/`LocationDetails` `countryOrRegion`, else `Location` |
//! | `asn`            | `AutonomousSystemNumber` |

use crate::csvrec::{col, export_time, get, header_names, CsvRecords, Feed};
use crate::entra::{outcome, Location, Status, DATASET};
use crate::norm::{account, ip, text};
use haboob_model::{AuthEvent, EventRef, LineParser, Parsed, RecordError};
use std::borrow::Cow;

#[derive(Debug)]
struct Cols {
    time: usize,
    user: usize,
    ip: Option<usize>,
    result: Option<usize>,
    status: Option<usize>,
    tenant: Option<usize>,
    app: Option<usize>,
    ua: Option<usize>,
    client_app: Option<usize>,
    loc: Option<usize>,
    location: Option<usize>,
    asn: Option<usize>,
}

impl Cols {
    fn from_header(h: &[String]) -> Option<Cols> {
        Some(Cols {
            time: col(
                h,
                &[
                    "CreatedDateTime [UTC]",
                    "CreatedDateTime",
                    "TimeGenerated [UTC]",
                    "TimeGenerated",
                ],
            )?,
            user: col(h, &["UserPrincipalName"])?,
            ip: Some(col(h, &["IPAddress"])?),
            result: Some(col(h, &["ResultType"])?),
            status: col(h, &["Status_dynamic", "Status", "Status_string"]),
            tenant: col(h, &["AADTenantId", "TenantId"]),
            app: col(h, &["AppDisplayName"]),
            ua: col(h, &["UserAgent"]),
            client_app: col(h, &["ClientAppUsed"]),
            loc: col(
                h,
                &[
                    "LocationDetails_dynamic",
                    "LocationDetails",
                    "LocationDetails_string",
                ],
            ),
            location: col(h, &["Location"]),
            asn: col(h, &["AutonomousSystemNumber"]),
        })
    }
}

/// Line parser for the Log Analytics CSV export of `SigninLogs`.
#[derive(Debug, Default)]
pub struct EntraCsvParser {
    cols: Option<Cols>,
    records: CsvRecords,
}

fn owned(s: &str) -> Cow<'static, str> {
    Cow::Owned(s.to_owned())
}

fn json_field<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    let s = s.trim();
    if s.is_empty() {
        None
    } else {
        serde_json::from_str(s).ok()
    }
}

impl LineParser for EntraCsvParser {
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        let Some(cols) = &self.cols else {
            let t = line.trim_start_matches('\u{feff}');
            if !t.starts_with(|c: char| c.is_ascii_alphabetic()) || !t.contains("UserPrincipalName")
            {
                return Err(RecordError::fixed("not an Entra sign-in CSV header"));
            }
            let h = header_names(t)?;
            self.cols = Some(Cols::from_header(&h).ok_or(RecordError::fixed(
                "Entra CSV header lacks a time, UserPrincipalName, IPAddress or ResultType column",
            ))?);
            return Ok(Parsed::Directive);
        };
        let rec = match self.records.feed(line)? {
            Feed::Partial => return Ok(Parsed::Directive),
            Feed::Record(r) => r,
        };
        if rec.len() == 1 && get(rec, Some(0)).is_empty() {
            return Err(RecordError::fixed("empty line"));
        }
        let ts = export_time(get(rec, Some(cols.time)))?;
        let (user, domain) = account(owned(get(rec, Some(cols.user))), Cow::Borrowed(""))?;
        let source_ip = ip(get(rec, cols.ip))?;
        let code = json_field::<Status>(get(rec, cols.status)).and_then(|s| s.error_code);
        let (outcome, failure) = outcome(code, get(rec, cols.result))?;
        let country = json_field::<Location>(get(rec, cols.loc))
            .and_then(|l| l.country)
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| get(rec, cols.location).to_owned());
        let client = match get(rec, cols.ua) {
            "" => get(rec, cols.client_app),
            ua => ua,
        };
        let ev = AuthEvent {
            ts,
            dataset: DATASET,
            source_ip,
            user,
            domain,
            tenant: text(owned(get(rec, cols.tenant))),
            host: Cow::Borrowed(""),
            outcome,
            failure,
            app: text(owned(get(rec, cols.app))),
            client: text(owned(client)),
            country: text(Cow::Owned(country)),
            asn: get(rec, cols.asn).trim().parse().ok(),
            location: None,
        };
        Ok(Parsed::Event(EventRef::Auth(ev)))
    }
}
