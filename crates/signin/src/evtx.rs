//! Windows event logs (`.evtx`): every record as a Windows event
//! ([`haboob_model::WinEvent`], any channel and event id, its whole JSON
//! rendering behind Sigma's flat field names: [`read_evtx_events`]); and
//! as sign-ins, logon, logon failure, lockout, Kerberos
//! pre-authentication and NTLM validation events of the Security log, and
//! SQL Server login failures (18456) of the Application log
//! ([`parse_record`], [`crate::read_evtx`]).
//!
//! Records are rendered to JSON by the `evtx` crate, chunk by chunk (64 KiB
//! each), then read from `Event.System.EventID` and `Event.EventData`:
//!
//! | id   | outcome / class | user, domain | source_ip | app | client |
//! |------|-----------------|--------------|-----------|-----|--------|
//! | 4624 | success | `TargetUserName`, `TargetDomainName` | `IpAddress` | logon type (`network`, `remote-interactive`, …) | `WorkstationName` |
//! | 4625 | failure by `Status` (by `SubStatus` when `Status` is the generic 0xC000006D) | same | `IpAddress` | logon type | `WorkstationName` |
//! | 4740 | failure, locked | `TargetUserName`, `SubjectDomainName` | — | `lockout` | `TargetDomainName` (the caller computer) |
//! | 4768 | success when `Status` is 0x0, else failure by Kerberos code (0x6 unknown user is logged here, not in 4771) | `TargetUserName`, `TargetDomainName` | `IpAddress` | `kerberos` | `ServiceName` |
//! | 4771 | failure by Kerberos code in `Status` | `TargetUserName`, the realm of `ServiceName` (`krbtgt/REALM`) | `IpAddress` | `kerberos` | `ServiceName` |
//! | 4648 | attempt (no result) | `TargetUserName`, `TargetDomainName` | — | `explicit-credentials` | `Computer\SubjectUserName` (who presented them) |
//! | 4776 | success when `Status` is 0x0, else failure by `Status` | `TargetUserName` | — | `ntlm` | `Workstation` |
//! | 18456 (provider `MSSQLSERVER` / `MSSQL$…`) | failure by the reason text (see [`crate::mail::mssql_reason`]); dataset `auth.mssql` | first `Data` value (empty when the login name was empty) | `[CLIENT: IP]` (none for `<local machine>`) | `mssql` | — |
//!
//! NT status: 0xC0000064 unknown user, 0xC000006A bad password, 0xC0000234
//! locked, 0xC0000072 disabled, 0xC0000071 / 0xC0000193 expired, others
//! (0xC000006F / 0xC0000070 logon restrictions, …) other. Kerberos: 0x6
//! unknown user, 0x18 bad password, 0x12 (client revoked: disabled, expired
//! or locked) locked, 0x17 expired, others other.
//!
//! 4771 carries no `TargetDomainName`; the domain controller names the
//! realm in `ServiceName` (`krbtgt/CONTOSO.COM`), so the failures land on
//! the same target as the 4768s of the same attack.
//!
//! [`read_evtx_events`]: crate::read_evtx_events
//!
//! 4648 (logon with explicit credentials) is written on the **source**
//! machine before the credentials are checked, so it says neither success
//! nor failure (its result is the 4624/4625, 4771 or 4776 on the target):
//! it becomes an [`AuthOutcome::Attempt`]. Its `IpAddress` is the address
//! of the machine logged on *to*, not the attacker, so `source_ip` is none;
//! the presenting side is `Computer\SubjectUserName` in `client`. One
//! account presenting explicit credentials for many different accounts in a
//! short time is a password spray run from that host (DeepBlueCLI's
//! `password-spray.evtx`: 294 attempts for 41 accounts in 5 minutes); the
//! auth engine's `auth.spray` reads it that way. Every other event id is
//! not a sign-in (`Ok(None)` from [`parse_record`], a [`Record`] without
//! `auth` from [`parse_event`]). `IpAddress` `::ffff:a.b.c.d` becomes `a.b.c.d`;
//! `-` is none. Time is the record's `TimeCreated`.

use crate::json::{scalar, Raw};
use crate::norm::{account, fold, ip, text};
use crate::SigninError;
use haboob_model::{AuthEvent, AuthOutcome, FailureClass, RecordError, Ts, WinEvent, WinView};
use serde::Deserialize;
use std::borrow::Cow;
use std::path::Path;

/// Dataset name of Windows Security sign-ins.
pub const DATASET: &str = "auth.windows";
/// Dataset name of SQL Server login failures (Application log, 18456).
pub const MSSQL_DATASET: &str = "auth.mssql";

#[derive(Deserialize)]
struct Root<'a> {
    #[serde(borrow, rename = "Event")]
    event: Option<EventJ<'a>>,
}

#[derive(Deserialize)]
struct EventJ<'a> {
    #[serde(borrow, rename = "System")]
    system: Option<System<'a>>,
    #[serde(borrow, rename = "EventData")]
    data: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct System<'a> {
    #[serde(borrow, rename = "EventID")]
    event_id: Option<Raw<'a>>,
    #[serde(borrow, rename = "TimeCreated")]
    time_created: Option<TimeCreated<'a>>,
    #[serde(borrow, rename = "Computer")]
    computer: Option<Raw<'a>>,
    #[serde(borrow, rename = "Channel")]
    channel: Option<Raw<'a>>,
    #[serde(borrow, rename = "EventRecordID")]
    record_id: Option<Raw<'a>>,
    #[serde(borrow, rename = "Provider")]
    provider: Option<Provider<'a>>,
}

#[derive(Deserialize)]
struct Provider<'a> {
    #[serde(borrow, rename = "#attributes")]
    attributes: Option<ProviderAttrs<'a>>,
}

#[derive(Deserialize)]
struct ProviderAttrs<'a> {
    #[serde(borrow, rename = "Name")]
    name: Option<Raw<'a>>,
}

/// Unnamed `<Data>` values (SQL Server's 18456): `{"Data": {"#text": [..]}}`.
#[derive(Deserialize)]
struct Unnamed<'a> {
    #[serde(borrow, rename = "Data")]
    data: Option<UnnamedText<'a>>,
}

#[derive(Deserialize)]
struct UnnamedText<'a> {
    #[serde(borrow, rename = "#text")]
    text: Vec<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct TimeCreated<'a> {
    #[serde(borrow, rename = "#attributes")]
    attributes: Option<TimeAttrs<'a>>,
}

#[derive(Deserialize)]
struct TimeAttrs<'a> {
    #[serde(borrow, rename = "SystemTime")]
    system_time: Option<Raw<'a>>,
}

#[derive(Deserialize)]
struct IdText {
    #[serde(rename = "#text")]
    text: u32,
}

#[derive(Deserialize, Default)]
struct Data<'a> {
    #[serde(borrow, rename = "TargetUserName")]
    target_user: Option<Raw<'a>>,
    #[serde(borrow, rename = "TargetDomainName")]
    target_domain: Option<Raw<'a>>,
    #[serde(borrow, rename = "SubjectDomainName")]
    subject_domain: Option<Raw<'a>>,
    #[serde(borrow, rename = "SubjectUserName")]
    subject_user: Option<Raw<'a>>,
    #[serde(borrow, rename = "IpAddress")]
    ip: Option<Raw<'a>>,
    #[serde(borrow, rename = "LogonType")]
    logon_type: Option<Raw<'a>>,
    #[serde(borrow, rename = "Status")]
    status: Option<Raw<'a>>,
    #[serde(borrow, rename = "SubStatus")]
    sub_status: Option<Raw<'a>>,
    #[serde(borrow, rename = "WorkstationName")]
    workstation_name: Option<Raw<'a>>,
    #[serde(borrow, rename = "Workstation")]
    workstation: Option<Raw<'a>>,
    #[serde(borrow, rename = "ServiceName")]
    service: Option<Raw<'a>>,
}

fn hex(s: &str) -> Option<u32> {
    let s = s.trim();
    let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    u32::from_str_radix(h, 16).ok()
}

/// NT status code to failure class.
fn nt_status(code: u32) -> FailureClass {
    use FailureClass::*;
    match code {
        0xC000_0064 => UnknownUser,
        0xC000_006A => BadPassword,
        0xC000_0234 => LockedOut,
        0xC000_0072 => Disabled,
        0xC000_0071 | 0xC000_0193 => Expired,
        _ => Other,
    }
}

/// Kerberos pre-authentication error code to failure class.
fn kerberos(code: u32) -> FailureClass {
    use FailureClass::*;
    match code {
        0x6 => UnknownUser,
        0x18 => BadPassword,
        0x12 => LockedOut,
        0x17 => Expired,
        _ => Other,
    }
}

/// `krbtgt/CONTOSO.COM` → `CONTOSO.COM`; a bare `krbtgt` → "".
fn realm(service: &str) -> &str {
    match service.split_once('/') {
        Some((svc, realm)) if svc.eq_ignore_ascii_case("krbtgt") => realm.trim(),
        _ => "",
    }
}

fn logon_type(t: &str) -> &'static str {
    match t.trim() {
        "2" => "interactive",
        "3" => "network",
        "4" => "batch",
        "5" => "service",
        "7" => "unlock",
        "8" => "network-cleartext",
        "9" => "new-credentials",
        "10" => "remote-interactive",
        "11" => "cached-interactive",
        _ => "logon",
    }
}

/// A name→value view of one Windows event's `EventData`, whatever it was
/// read from (an EVTX record rendered to JSON, or event XML text
/// ([`crate::winxml`])): what [`sign_in`] maps to an event.
pub(crate) trait EventFields<'a> {
    /// The value of `<Data Name="…">`; "" when absent.
    fn named(&self, name: &str) -> Cow<'a, str>;
}

impl<'a> EventFields<'a> for Data<'a> {
    fn named(&self, name: &str) -> Cow<'a, str> {
        let raw = match name {
            "TargetUserName" => self.target_user,
            "TargetDomainName" => self.target_domain,
            "SubjectDomainName" => self.subject_domain,
            "SubjectUserName" => self.subject_user,
            "IpAddress" => self.ip,
            "LogonType" => self.logon_type,
            "Status" => self.status,
            "SubStatus" => self.sub_status,
            "WorkstationName" => self.workstation_name,
            "Workstation" => self.workstation,
            "ServiceName" => self.service,
            _ => None,
        };
        scalar(raw)
    }
}

/// Whether an event of this id and provider is one haboob reads (18456 is
/// SQL Server's only: `MSSQLSERVER`, `MSSQL$INSTANCE`).
pub(crate) fn wanted(id: u32, provider: &str) -> bool {
    match id {
        4624 | 4625 | 4648 | 4740 | 4768 | 4771 | 4776 => true,
        18456 => provider.starts_with("MSSQL"),
        _ => false,
    }
}

/// The `System` members of one record, and the record.
struct Head<'a> {
    root: Root<'a>,
    id: u32,
    provider: Cow<'a, str>,
    computer: Cow<'a, str>,
    channel: Cow<'a, str>,
    created: Cow<'a, str>,
    record_id: Option<u64>,
}

fn head(json: &str) -> Result<Head<'_>, RecordError> {
    let root: Root<'_> =
        serde_json::from_str(json).map_err(|_| RecordError::fixed("bad record JSON"))?;
    let sys = root.event.as_ref().and_then(|e| e.system.as_ref());
    let id_raw = sys
        .and_then(|s| s.event_id)
        .ok_or(RecordError::fixed("record without EventID"))?;
    let id: u32 = if id_raw.get().starts_with('{') {
        serde_json::from_str::<IdText>(id_raw.get())
            .map_err(|_| RecordError::fixed("bad EventID"))?
            .text
    } else {
        scalar(Some(id_raw))
            .parse()
            .map_err(|_| RecordError::fixed("bad EventID"))?
    };
    let provider = sys
        .and_then(|s| s.provider.as_ref())
        .and_then(|p| p.attributes.as_ref())
        .map(|a| scalar(a.name))
        .unwrap_or_default();
    let computer = sys.map(|s| scalar(s.computer)).unwrap_or_default();
    let channel = sys.map(|s| scalar(s.channel)).unwrap_or_default();
    let record_id = sys.and_then(|s| scalar(s.record_id).trim().parse().ok());
    let created = sys
        .and_then(|s| s.time_created.as_ref())
        .and_then(|t| t.attributes.as_ref())
        .map(|a| scalar(a.system_time))
        .unwrap_or_default();
    Ok(Head {
        root,
        id,
        provider,
        computer,
        channel,
        created,
        record_id,
    })
}

impl Head<'_> {
    /// `TimeCreated`, else `header_ts`.
    fn ts(&self, header_ts: Ts) -> Result<Ts, RecordError> {
        if self.created.is_empty() {
            Ok(header_ts)
        } else {
            Ts::parse_rfc3339(&self.created)
                .map_err(|e| RecordError::new(format!("bad TimeCreated: {e}")))
        }
    }
}

/// Parse one record rendered to JSON by the `evtx` crate. `header_ts` (the
/// record header's time) is used when `System.TimeCreated` is missing.
/// `Ok(None)` for event ids that are not sign-ins.
pub fn parse_record(header_ts: Ts, json: &str) -> Result<Option<AuthEvent<'_>>, RecordError> {
    let h = head(json)?;
    if !wanted(h.id, &h.provider) {
        return Ok(None);
    }
    let ts = h.ts(header_ts)?;
    auth_of(h, ts).map(Some)
}

/// One EVTX record as events: its Windows event, and for a sign-in id
/// ([`wanted`]) its sign-in too.
#[derive(Debug)]
pub struct Record<'a> {
    /// The sign-in, for the event ids of the module docs' table.
    pub auth: Option<AuthEvent<'a>>,
    /// Why a record of a sign-in id gave no sign-in (its Windows event is
    /// still read).
    pub unmapped: Option<RecordError>,
    /// The Windows event (every record).
    pub win: WinEvent<'a>,
}

/// Parse one record rendered to JSON by the `evtx` crate into its Windows
/// event (any channel and id) and, for a sign-in id, its sign-in.
/// `header_ts` and `record_id` are the record header's, used when the
/// event has no `TimeCreated` or `EventRecordID` (exported logs number
/// their record headers anew and keep the original `EventRecordID`). A record without
/// `EventID` or with a bad `TimeCreated` is rejected; a record of a sign-in
/// id whose mapping fails (the reasons of [`parse_record`]) is still its
/// Windows event, with the reason in [`Record::unmapped`].
pub fn parse_event(header_ts: Ts, record_id: u64, json: &str) -> Result<Record<'_>, RecordError> {
    let h = head(json)?;
    let ts = h.ts(header_ts)?;
    let record_id = h.record_id.unwrap_or(record_id);
    let (id, provider, computer, channel) = (
        h.id,
        h.provider.clone(),
        h.computer.clone(),
        h.channel.clone(),
    );
    let (auth, unmapped) = if wanted(id, &provider) {
        match auth_of(h, ts) {
            Ok(a) => (Some(a), None),
            Err(e) => (None, Some(e)),
        }
    } else {
        (None, None)
    };
    Ok(Record {
        auth,
        unmapped,
        win: WinEvent {
            ts,
            event_id: id,
            record_id,
            channel,
            provider,
            computer,
            record: WinView::new(json),
        },
    })
}

/// The sign-in of a [`wanted`] record.
fn auth_of<'a>(h: Head<'a>, ts: Ts) -> Result<AuthEvent<'a>, RecordError> {
    if h.id == 18456 {
        let raw = h
            .root
            .event
            .and_then(|e| e.data)
            .filter(|r| r.get().starts_with('{'))
            .ok_or_else(no_mssql_data)?;
        let un: Unnamed<'_> = serde_json::from_str(raw.get()).map_err(|_| no_mssql_data())?;
        return mssql(ts, un.data.ok_or_else(no_mssql_data)?.text);
    }
    let data: Data<'_> = match h.root.event.and_then(|e| e.data) {
        Some(raw) if raw.get().starts_with('{') => {
            serde_json::from_str(raw.get()).map_err(|_| RecordError::fixed("bad EventData"))?
        }
        _ => return Err(RecordError::fixed("sign-in record without EventData")),
    };
    sign_in(h.id, &h.computer, ts, &data)
}

/// The sign-in of one event of a [`wanted`] id other than 18456, from its
/// `EventData` (see the module docs for the mapping): shared by the EVTX
/// reader and the event XML text parser.
pub(crate) fn sign_in<'a>(
    id: u32,
    computer: &str,
    ts: Ts,
    data: &dyn EventFields<'a>,
) -> Result<AuthEvent<'a>, RecordError> {
    let field = |name: &str| data.named(name);
    use AuthOutcome::*;
    let status = || hex(&field("Status")).ok_or(RecordError::fixed("missing or bad Status"));
    let (outcome, failure, app, client, domain, addr) = match id {
        4624 | 4625 => {
            let (o, f) = if id == 4624 {
                (Success, None)
            } else {
                let st = status()?;
                let sub = hex(&field("SubStatus")).unwrap_or(0);
                let code = if st == 0xC000_006D && sub != 0 {
                    sub
                } else {
                    st
                };
                (Failure, Some(nt_status(code)))
            };
            let app = logon_type(&field("LogonType"));
            (
                o,
                f,
                app,
                field("WorkstationName"),
                field("TargetDomainName"),
                ip(&field("IpAddress"))?,
            )
        }
        4740 => (
            Failure,
            Some(FailureClass::LockedOut),
            "lockout",
            field("TargetDomainName"),
            field("SubjectDomainName"),
            None,
        ),
        4768 => {
            let st = status()?;
            let (o, f) = if st == 0 {
                (Success, None)
            } else {
                (Failure, Some(kerberos(st)))
            };
            (
                o,
                f,
                "kerberos",
                field("ServiceName"),
                field("TargetDomainName"),
                ip(&field("IpAddress"))?,
            )
        }
        4771 => {
            let service = field("ServiceName");
            let realm = realm(&service).to_string();
            (
                Failure,
                Some(kerberos(status()?)),
                "kerberos",
                service,
                Cow::Owned(realm),
                ip(&field("IpAddress"))?,
            )
        }
        4648 => {
            let subject = field("SubjectUserName");
            let who = match (computer.trim(), subject.trim()) {
                ("", s) | (s, "") | (s, "-") => s.to_string(),
                (c, s) => format!("{c}\\{s}"),
            };
            (
                Attempt,
                None,
                "explicit-credentials",
                fold(Cow::Owned(who)),
                field("TargetDomainName"),
                None,
            )
        }
        4776 => {
            let st = status()?;
            let (o, f) = if st == 0 {
                (Success, None)
            } else {
                (Failure, Some(nt_status(st)))
            };
            (o, f, "ntlm", field("Workstation"), Cow::Borrowed(""), None)
        }
        _ => return Err(RecordError::new(format!("event {id} is not a sign-in"))),
    };
    let (user, domain) = account(field("TargetUserName"), domain)?;
    Ok(AuthEvent {
        ts,
        dataset: DATASET,
        source_ip: addr,
        user,
        domain,
        tenant: Cow::Borrowed(""),
        outcome,
        failure,
        app: Cow::Borrowed(app),
        client: if client == "-" {
            Cow::Borrowed("")
        } else {
            text(client)
        },
        country: Cow::Borrowed(""),
        asn: None,
        location: None,
    })
}

fn no_mssql_data() -> RecordError {
    RecordError::fixed("SQL Server 18456 without its user, reason and client data")
}

/// SQL Server 18456 (login failed) from its unnamed `Data` values
/// `[user, " Reason: …", " [CLIENT: IP]"]`: shared by the EVTX reader and
/// the event XML text parser.
pub(crate) fn mssql<'a>(ts: Ts, data: Vec<Cow<'a, str>>) -> Result<AuthEvent<'a>, RecordError> {
    let mut vals = data.into_iter();
    let (Some(user), Some(reason), client) = (vals.next(), vals.next(), vals.next()) else {
        return Err(no_mssql_data());
    };
    let class = crate::mail::mssql_reason(&reason);
    let client = client.unwrap_or_default();
    let addr = client
        .trim()
        .strip_prefix("[CLIENT: ")
        .and_then(|c| c.strip_suffix(']'))
        .unwrap_or("");
    // `<local machine>` and named pipes are not addresses.
    let addr = if addr.parse::<std::net::IpAddr>().is_ok() || addr.contains(':') {
        ip(addr)?
    } else {
        None
    };
    let (user, domain) = if user.trim().is_empty() {
        (Cow::Borrowed(""), Cow::Borrowed(""))
    } else {
        account(user, Cow::Borrowed(""))?
    };
    Ok(AuthEvent {
        ts,
        dataset: MSSQL_DATASET,
        source_ip: addr,
        user,
        domain,
        tenant: Cow::Borrowed(""),
        outcome: AuthOutcome::Failure,
        failure: Some(class),
        app: Cow::Borrowed("mssql"),
        client: Cow::Borrowed(""),
        country: Cow::Borrowed(""),
        asn: None,
        location: None,
    })
}

/// See [`crate::read_evtx`].
#[allow(clippy::type_complexity)]
pub(crate) fn read(
    path: &Path,
    f: &mut dyn FnMut(u64, &str, Result<Option<AuthEvent<'_>>, RecordError>),
) -> Result<u64, SigninError> {
    records(path, &mut |n, r| match r {
        Ok((ts, id, json)) => f(id, json, parse_record(ts, json)),
        Err(e) => f(n, "", Err(e)),
    })
}

/// See [`crate::read_evtx_events`].
#[allow(clippy::type_complexity)]
pub(crate) fn read_events(
    path: &Path,
    f: &mut dyn FnMut(u64, &str, Result<Record<'_>, RecordError>),
) -> Result<u64, SigninError> {
    records(path, &mut |n, r| match r {
        Ok((ts, id, json)) => f(id, json, parse_event(ts, id, json)),
        Err(e) => f(n, "", Err(e)),
    })
}

/// Each record rendered to JSON, with its header's time and record id (or
/// why it could not be rendered, with its position in the file).
#[allow(clippy::type_complexity)]
fn records(
    path: &Path,
    f: &mut dyn FnMut(u64, Result<(Ts, u64, &str), RecordError>),
) -> Result<u64, SigninError> {
    let settings = evtx::ParserSettings::new()
        .separate_json_attributes(false)
        .indent(false);
    let mut parser = evtx::EvtxParser::from_path(path)
        .map_err(|e| SigninError::Evtx {
            path: path.to_owned(),
            reason: bounded(&e.to_string()),
        })?
        .with_configuration(settings);
    let mut n = 0u64;
    for rec in parser.records_json() {
        n += 1;
        match rec {
            Ok(r) => {
                let ts = Ts(r.timestamp.timestamp_millis());
                f(n, Ok((ts, r.event_record_id, &r.data)));
            }
            Err(e) => {
                tracing::debug!(path = %path.display(), record = n, "Skipped unreadable EVTX record.");
                f(
                    n,
                    Err(RecordError::new(format!(
                        "unreadable EVTX record: {}",
                        bounded(&e.to_string())
                    ))),
                );
            }
        }
    }
    Ok(n)
}

fn bounded(s: &str) -> String {
    text(Cow::Borrowed(s)).into_owned()
}
