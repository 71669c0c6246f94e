//! Network logs written as one JSON object per line: Suricata EVE
//! (`eve.json`: `dns`, `http` and `tls` records) and Zeek JSON logs
//! (`LogAscii::use_json`: `dns`, `http`, `ssl`, `conn`). Other record types
//! (Suricata `flow`, `alert`, `stats`, `fileinfo` …; Zeek `files`, `x509`
//! …) are read and counted as parsed lines that carry no event.

use crate::netcommon::{epoch_or_iso, rcode_num};
use crate::text::{parse_ip, RecordParser};
use haboob_model::{bound_list, trim_domain, EventRef, NetEvent, NetKind, Parsed, RecordError};
use haboob_model::{Ts, MAX_ANSWERS_BYTES};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

type Text<'a> = Option<Cow<'a, str>>;

/// A JSON text that borrows the line when it has no escapes.
fn text<'a>(t: &'a Text<'a>) -> &'a str {
    t.as_deref().unwrap_or("")
}

/// Keeps a borrowed text borrowed.
fn keep<'a>(t: Text<'a>) -> Cow<'a, str> {
    t.unwrap_or(Cow::Borrowed(""))
}

fn addr(t: &Text<'_>, what: &'static str) -> Result<Option<IpAddr>, RecordError> {
    match text(t) {
        "" => Ok(None),
        s => parse_ip(s, false).map(Some).ok_or(RecordError::fixed(what)),
    }
}

/// Appends `item` to a comma-separated list bounded to
/// [`MAX_ANSWERS_BYTES`].
fn push_answer(out: &mut String, item: &str) {
    if item.is_empty() || out.len() + item.len() + 1 > MAX_ANSWERS_BYTES {
        return;
    }
    if !out.is_empty() {
        out.push(',');
    }
    out.push_str(bound_list(item, MAX_ANSWERS_BYTES));
}

#[derive(Deserialize)]
struct Eve<'a> {
    #[serde(borrow)]
    timestamp: Text<'a>,
    #[serde(borrow)]
    event_type: Text<'a>,
    #[serde(borrow)]
    src_ip: Text<'a>,
    src_port: Option<u16>,
    #[serde(borrow)]
    dest_ip: Text<'a>,
    dest_port: Option<u16>,
    #[serde(borrow)]
    host: Text<'a>,
    #[serde(borrow)]
    in_iface: Text<'a>,
    #[serde(borrow)]
    dns: Option<EveDns<'a>>,
    #[serde(borrow)]
    http: Option<EveHttp<'a>>,
    #[serde(borrow)]
    tls: Option<EveTls<'a>>,
}

#[derive(Deserialize)]
struct Rr<'a> {
    #[serde(borrow)]
    rrname: Text<'a>,
    #[serde(borrow)]
    rdata: Text<'a>,
}

#[derive(Deserialize)]
struct EveDns<'a> {
    #[serde(borrow)]
    rrname: Text<'a>,
    #[serde(borrow)]
    rdata: Text<'a>,
    #[serde(borrow)]
    rcode: Text<'a>,
    /// v3: the questions.
    #[serde(borrow)]
    queries: Option<Vec<Rr<'a>>>,
    /// v2/v3 detailed answers.
    #[serde(borrow)]
    answers: Option<Vec<Rr<'a>>>,
    /// v2/v3 grouped answers: record type to values.
    #[serde(borrow)]
    grouped: Option<BTreeMap<Cow<'a, str>, Vec<&'a RawValue>>>,
}

#[derive(Deserialize)]
struct EveHttp<'a> {
    #[serde(borrow)]
    hostname: Text<'a>,
    #[serde(borrow)]
    url: Text<'a>,
    #[serde(borrow)]
    http_user_agent: Text<'a>,
    #[serde(borrow)]
    http_method: Text<'a>,
    status: Option<u16>,
}

#[derive(Deserialize)]
struct EveTls<'a> {
    #[serde(borrow)]
    sni: Text<'a>,
}

/// Suricata EVE JSON (`eve.json`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Suricata;

impl RecordParser for Suricata {
    fn parse_rec<'a>(
        &mut self,
        line: &'a str,
        _scratch: Option<&'a mut String>,
    ) -> Result<Parsed<'a>, RecordError> {
        if !line.starts_with('{') {
            return Err(RecordError::fixed("not a JSON object"));
        }
        let e: Eve<'a> = serde_json::from_str(line).map_err(|_| {
            RecordError::fixed("not a Suricata EVE record (bad JSON or field type)")
        })?;
        let (Some(ts), Some(et)) = (&e.timestamp, &e.event_type) else {
            return Err(RecordError::fixed(
                "not a Suricata EVE record (no timestamp or event_type)",
            ));
        };
        let ts = Ts::parse_rfc3339(ts).map_err(|_| RecordError::fixed("bad EVE timestamp"))?;
        let kind = match &**et {
            "dns" => NetKind::Dns,
            "http" => NetKind::Http,
            "tls" => NetKind::Tls,
            _ => return Ok(Parsed::Directive),
        };
        let mut client = addr(&e.src_ip, "bad src_ip address")?;
        let mut server = addr(&e.dest_ip, "bad dest_ip address")?;
        let sensor = match e.host {
            Some(h) => h,
            None => keep(e.in_iface),
        };
        let ev = match kind {
            NetKind::Dns => {
                let d = e
                    .dns
                    .ok_or(RecordError::fixed("dns record without its dns object"))?;
                // Older answer records are logged in packet direction: the
                // resolver (port 53) as the source.
                if e.src_port == Some(53) && e.dest_port != Some(53) {
                    std::mem::swap(&mut client, &mut server);
                }
                let mut name = keep(d.rrname);
                if name.is_empty() {
                    if let Some(q) = d.queries.and_then(|q| q.into_iter().next()) {
                        name = keep(q.rrname);
                    }
                }
                if name.is_empty() {
                    return Err(RecordError::fixed("dns record without a query name"));
                }
                let mut answers = String::new();
                push_answer(&mut answers, text(&d.rdata));
                for a in d.answers.iter().flatten() {
                    push_answer(&mut answers, text(&a.rdata));
                }
                if d.answers.is_none() {
                    for v in d.grouped.iter().flat_map(|g| g.values()).flatten() {
                        let v = v.get();
                        push_answer(&mut answers, v.trim_matches('"'));
                    }
                }
                NetEvent {
                    domain: trim_cow(name),
                    status: rcode_num(text(&d.rcode)),
                    answers: Cow::Owned(answers),
                    ..NetEvent::empty(ts, "suricata.dns", kind)
                }
            }
            NetKind::Http => {
                let h = e
                    .http
                    .ok_or(RecordError::fixed("http record without its http object"))?;
                NetEvent {
                    domain: trim_cow(keep(h.hostname)),
                    url: keep(h.url),
                    method: keep(h.http_method),
                    status: h.status.unwrap_or(0),
                    user_agent: keep(h.http_user_agent),
                    ..NetEvent::empty(ts, "suricata.http", kind)
                }
            }
            NetKind::Tls | NetKind::Conn => {
                let t = e
                    .tls
                    .ok_or(RecordError::fixed("tls record without its tls object"))?;
                NetEvent {
                    domain: trim_cow(keep(t.sni)),
                    ..NetEvent::empty(ts, "suricata.tls", kind)
                }
            }
        };
        Ok(Parsed::Event(EventRef::Net(NetEvent {
            client,
            server,
            sensor,
            ..ev
        })))
    }
}

fn trim_cow(c: Cow<'_, str>) -> Cow<'_, str> {
    match c {
        Cow::Borrowed(s) => Cow::Borrowed(trim_domain(s)),
        Cow::Owned(s) => Cow::Owned(trim_domain(&s).to_owned()),
    }
}

#[derive(Deserialize)]
struct ZeekJson<'a> {
    #[serde(borrow)]
    ts: Option<&'a RawValue>,
    #[serde(borrow)]
    uid: Text<'a>,
    #[serde(borrow, rename = "_path")]
    path: Text<'a>,
    #[serde(borrow, rename = "id.orig_h")]
    orig_h: Text<'a>,
    #[serde(borrow, rename = "id.resp_h")]
    resp_h: Text<'a>,
    #[serde(borrow)]
    query: Text<'a>,
    rcode: Option<u16>,
    #[serde(borrow)]
    answers: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    method: Text<'a>,
    #[serde(borrow)]
    host: Text<'a>,
    #[serde(borrow)]
    uri: Text<'a>,
    #[serde(borrow)]
    user_agent: Text<'a>,
    status_code: Option<u16>,
    #[serde(borrow)]
    server_name: Text<'a>,
    #[serde(borrow)]
    conn_state: Text<'a>,
}

/// Zeek JSON logs (one object per line).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ZeekJsonParser;

impl RecordParser for ZeekJsonParser {
    fn parse_rec<'a>(
        &mut self,
        line: &'a str,
        _scratch: Option<&'a mut String>,
    ) -> Result<Parsed<'a>, RecordError> {
        if !line.starts_with('{') {
            return Err(RecordError::fixed("not a JSON object"));
        }
        let z: ZeekJson<'a> = serde_json::from_str(line)
            .map_err(|_| RecordError::fixed("not a Zeek JSON record (bad JSON or field type)"))?;
        let Some(ts) = z.ts else {
            return Err(RecordError::fixed("not a Zeek JSON record (no ts)"));
        };
        if z.uid.is_none() && z.orig_h.is_none() && z.path.is_none() {
            return Err(RecordError::fixed(
                "not a Zeek JSON record (no uid, id.orig_h or _path)",
            ));
        }
        let ts = epoch_or_iso(ts.get().trim_matches('"'))?;
        let kind = match text(&z.path) {
            "dns" => NetKind::Dns,
            "http" => NetKind::Http,
            "ssl" => NetKind::Tls,
            "conn" => NetKind::Conn,
            "" if z.query.is_some() => NetKind::Dns,
            "" if z.server_name.is_some() => NetKind::Tls,
            "" if z.uri.is_some() || z.method.is_some() => NetKind::Http,
            "" if z.conn_state.is_some() => NetKind::Conn,
            _ => return Ok(Parsed::Directive),
        };
        let client = addr(&z.orig_h, "bad id.orig_h address")?;
        let server = addr(&z.resp_h, "bad id.resp_h address")?;
        let (dataset, domain, status) = match kind {
            NetKind::Dns => ("zeek.dns", z.query, z.rcode),
            NetKind::Http => ("zeek.http", z.host, z.status_code),
            NetKind::Tls => ("zeek.ssl", z.server_name, None),
            NetKind::Conn => ("zeek.conn", None, None),
        };
        let mut answers = String::new();
        for a in z.answers.iter().flatten() {
            push_answer(&mut answers, a);
        }
        Ok(Parsed::Event(EventRef::Net(NetEvent {
            client,
            server,
            domain: trim_cow(keep(domain)),
            url: keep(z.uri),
            method: keep(z.method),
            status: status.unwrap_or(0),
            user_agent: keep(z.user_agent),
            answers: Cow::Owned(answers),
            ..NetEvent::empty(ts, dataset, kind)
        })))
    }
}
