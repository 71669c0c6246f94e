//! Windows event logs (`.evtx`): every record as a Windows event
//! ([`haboob_model::WinEvent`], any channel and event id, its whole JSON
//! rendering behind Sigma's flat field names: [`read_evtx_events`]); and
//! as sign-ins, logon, logon failure, lockout, Kerberos
//! pre-authentication and NTLM validation events of the Security log, and
//! SQL Server login failures (18456) of the Application log
//! ([`parse_record`], [`crate::read_evtx`]).
//!
//! Records are read by the `evtx` crate, chunk by chunk (64 KiB each), as
//! its JSON value tree (the record's text is that tree written out, once);
//! the event is read from the tree's `Event.System` and `Event.EventData`,
//! and the field view of the Windows event answers from the same tree
//! (no text is parsed back):
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

use crate::mssql::{mssql, no_mssql_data};
use crate::norm::{account, fold, ip, text};
use crate::SigninError;
use haboob_model::{AuthEvent, AuthOutcome, FailureClass, RecordError, Ts, WinEvent, WinView};
use serde_json::Value;
use std::borrow::Cow;
use std::path::Path;

/// Dataset name of Windows Security sign-ins.
pub const DATASET: &str = "auth.windows";
/// Dataset name of SQL Server login failures (Application log, 18456).
pub const MSSQL_DATASET: &str = "auth.mssql";

/// The text of a scalar member: a string's content, a number's or bool's
/// literal; "" for null, objects and lists (and an absent member).
fn scalar(v: Option<&Value>) -> Cow<'_, str> {
    match v {
        Some(Value::String(s)) => Cow::Borrowed(s),
        Some(Value::Number(n)) => Cow::Owned(n.to_string()),
        Some(Value::Bool(b)) => Cow::Borrowed(if *b { "true" } else { "false" }),
        _ => Cow::Borrowed(""),
    }
}

/// `v`'s member `key` when `v` is an object holding it; `Err` when `v` is
/// there but not an object (a record the `evtx` crate never renders).
fn child<'v>(v: Option<&'v Value>, key: &str) -> Result<Option<&'v Value>, RecordError> {
    match v {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(o.get(key)),
        Some(_) => Err(RecordError::fixed("bad record JSON")),
    }
}

/// The member at `path` (each step an object member), if every step is.
fn at<'v>(v: Option<&'v Value>, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v?, |v, k| v.as_object()?.get(*k))
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

/// `EventData` rendered by the `evtx` crate: `<Data Name="X">` is the
/// member `X` (exact name).
struct Data<'a>(&'a serde_json::Map<String, Value>);

impl<'a> EventFields<'a> for Data<'a> {
    fn named(&self, name: &str) -> Cow<'a, str> {
        scalar(self.0.get(name))
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
    event: Option<&'a Value>,
    id: u32,
    provider: Cow<'a, str>,
    computer: Cow<'a, str>,
    channel: Cow<'a, str>,
    created: Cow<'a, str>,
    record_id: Option<u64>,
}

fn head(doc: &Value) -> Result<Head<'_>, RecordError> {
    if !doc.is_object() {
        return Err(RecordError::fixed("bad record JSON"));
    }
    let event = child(Some(doc), "Event")?;
    let sys = child(event, "System")?;
    let id_v = child(sys, "EventID")?.ok_or(RecordError::fixed("record without EventID"))?;
    let bad_id = || RecordError::fixed("bad EventID");
    // With attributes (`Qualifiers`) the id is the `#text` beside them: a
    // number, or text where the record's substitution was typed as a
    // string (PowerShell 800 in the classic `Windows PowerShell` log).
    let id_v = match id_v {
        Value::Object(o) => o.get("#text"),
        v => Some(v),
    };
    let id: u32 = scalar(id_v).parse().map_err(|_| bad_id())?;
    let provider = scalar(at(sys, &["Provider", "#attributes", "Name"]));
    let computer = scalar(at(sys, &["Computer"]));
    let channel = scalar(at(sys, &["Channel"]));
    let record_id = scalar(at(sys, &["EventRecordID"])).trim().parse().ok();
    let created = scalar(at(sys, &["TimeCreated", "#attributes", "SystemTime"]));
    Ok(Head {
        event,
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

fn parse_json(json: &str) -> Result<Value, RecordError> {
    serde_json::from_str(json).map_err(|_| RecordError::fixed("bad record JSON"))
}

fn owned(s: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(s.into_owned())
}

/// `a` with its texts owned.
fn owned_auth(a: AuthEvent<'_>) -> AuthEvent<'static> {
    AuthEvent {
        user: owned(a.user),
        domain: owned(a.domain),
        tenant: owned(a.tenant),
        host: owned(a.host),
        app: owned(a.app),
        client: owned(a.client),
        country: owned(a.country),
        ts: a.ts,
        dataset: a.dataset,
        source_ip: a.source_ip,
        outcome: a.outcome,
        failure: a.failure,
        asn: a.asn,
        location: a.location,
    }
}

/// Parse one record rendered to JSON by the `evtx` crate. `header_ts` (the
/// record header's time) is used when `System.TimeCreated` is missing.
/// `Ok(None)` for event ids that are not sign-ins.
pub fn parse_record(header_ts: Ts, json: &str) -> Result<Option<AuthEvent<'_>>, RecordError> {
    let doc = parse_json(json)?;
    Ok(record_auth(header_ts, &doc)?.map(owned_auth))
}

/// [`parse_record`] of a record the `evtx` crate gave as a value tree.
fn record_auth(header_ts: Ts, doc: &Value) -> Result<Option<AuthEvent<'_>>, RecordError> {
    let h = head(doc)?;
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
    let doc = parse_json(json)?;
    let r = event_of(header_ts, record_id, json, &doc)?;
    let w = r.win;
    Ok(Record {
        auth: r.auth.map(owned_auth),
        unmapped: r.unmapped,
        win: WinEvent {
            ts: w.ts,
            event_id: w.event_id,
            record_id: w.record_id,
            channel: owned(w.channel),
            provider: owned(w.provider),
            computer: owned(w.computer),
            record: WinView::new(json),
        },
    })
}

/// [`parse_event`] of a record the `evtx` crate gave both as its value
/// tree `doc` and as `json`, that tree's text: the field view reads the
/// tree, nothing is parsed again.
fn event_of<'a>(
    header_ts: Ts,
    record_id: u64,
    json: &'a str,
    doc: &'a Value,
) -> Result<Record<'a>, RecordError> {
    let h = head(doc)?;
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
            record: WinView::with_tree(json, doc),
        },
    })
}

/// The sign-in of a [`wanted`] record.
fn auth_of<'a>(h: Head<'a>, ts: Ts) -> Result<AuthEvent<'a>, RecordError> {
    let data = child(h.event, "EventData")?;
    if h.id == 18456 {
        // Unnamed `<Data>` values: `{"Data": {"#text": [..]}}`.
        let texts = at(data, &["Data", "#text"])
            .and_then(Value::as_array)
            .ok_or_else(no_mssql_data)?;
        let texts = texts
            .iter()
            .map(|t| t.as_str().map(Cow::Borrowed))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(no_mssql_data)?;
        return mssql(ts, texts);
    }
    let data = match data {
        Some(Value::Object(o)) => Data(o),
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
        // The machine that recorded the sign-in.
        host: fold(Cow::Owned(computer.trim().to_string())),
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

/// See [`crate::read_evtx`].
#[allow(clippy::type_complexity)]
pub(crate) fn read(
    path: &Path,
    f: &mut dyn FnMut(u64, &str, Result<Option<AuthEvent<'_>>, RecordError>),
) -> Result<u64, SigninError> {
    records(path, &mut |n, r| match r {
        Ok((ts, id, json, doc)) => f(id, json, record_auth(ts, doc)),
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
        Ok((ts, id, json, doc)) => f(id, json, event_of(ts, id, json, doc)),
        Err(e) => f(n, "", Err(e)),
    })
}

/// Each record as the `evtx` crate's value tree and that tree's JSON text
/// (the record's raw text downstream), with its header's time and record
/// id (or why it could not be rendered, with its position in the file).
#[allow(clippy::type_complexity)]
fn records(
    path: &Path,
    f: &mut dyn FnMut(u64, Result<(Ts, u64, &str, &Value), RecordError>),
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
    let mut text = Vec::with_capacity(4096);
    for rec in parser.records_json_value() {
        n += 1;
        let rendered = rec.map_err(|e| e.to_string()).and_then(|r| {
            text.clear();
            serde_json::to_writer(&mut text, &r.data).map_err(|e| e.to_string())?;
            Ok(r)
        });
        match rendered {
            Ok(r) => {
                let ts = Ts(r.timestamp.timestamp_millis());
                // serde_json writes UTF-8.
                let json = std::str::from_utf8(&text).unwrap_or_default();
                f(n, Ok((ts, r.event_record_id, json, &r.data)));
            }
            Err(e) => {
                tracing::debug!(path = %path.display(), record = n, "Skipped unreadable EVTX record.");
                f(
                    n,
                    Err(RecordError::new(format!(
                        "unreadable EVTX record: {}",
                        bounded(&e)
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
