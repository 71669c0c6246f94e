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

/// A JSON text of a record, `None` when absent or `null`; it borrows the
/// line when it has no escapes. Every text field of the records below is
/// one, so that the borrowing is written here once (a bare `Cow` field would
/// be copied unless marked `#[serde(borrow)]`).
#[derive(Default)]
struct Text<'a>(Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    /// The text, empty when absent.
    fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or("")
    }

    /// The text, empty when absent; a borrowed text stays borrowed.
    fn into_cow(self) -> Cow<'a, str> {
        self.0.unwrap_or(Cow::Borrowed(""))
    }

    fn is_some(&self) -> bool {
        self.0.is_some()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or null")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Borrowed(s))))
            }
            fn visit_str<E>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(s.to_owned()))))
            }
            fn visit_string<E>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(s))))
            }
            fn visit_none<E>(self) -> Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_unit<E>(self) -> Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Text<'de>, D::Error> {
                d.deserialize_str(V)
            }
        }
        d.deserialize_option(V)
    }
}

fn addr(t: &Text<'_>, what: &'static str) -> Result<Option<IpAddr>, RecordError> {
    match t.as_str() {
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

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct Eve<'a> {
    timestamp: Text<'a>,
    event_type: Text<'a>,
    src_ip: Text<'a>,
    src_port: Option<u16>,
    dest_ip: Text<'a>,
    dest_port: Option<u16>,
    host: Text<'a>,
    in_iface: Text<'a>,
    dns: Option<EveDns<'a>>,
    http: Option<EveHttp<'a>>,
    tls: Option<EveTls<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct Rr<'a> {
    rrname: Text<'a>,
    rdata: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct EveDns<'a> {
    rrname: Text<'a>,
    rdata: Text<'a>,
    rcode: Text<'a>,
    /// v3: the questions.
    queries: Option<Vec<Rr<'a>>>,
    /// v2/v3 detailed answers.
    answers: Option<Vec<Rr<'a>>>,
    /// v2/v3 grouped answers: record type to values.
    grouped: Option<BTreeMap<Cow<'a, str>, Vec<&'a RawValue>>>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct EveHttp<'a> {
    hostname: Text<'a>,
    url: Text<'a>,
    http_user_agent: Text<'a>,
    http_method: Text<'a>,
    status: Option<u16>,
}

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct EveTls<'a> {
    sni: Text<'a>,
}

/// One line as a record of type `T`; `bad` is the reason when it is a
/// JSON object that does not fit.
fn record<'a, T: Deserialize<'a>>(line: &'a str, bad: &'static str) -> Result<T, RecordError> {
    if !line.starts_with('{') {
        return Err(RecordError::fixed("not a JSON object"));
    }
    serde_json::from_str(line).map_err(|_| RecordError::fixed(bad))
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
        let e: Eve<'a> = record(line, "not a Suricata EVE record (bad JSON or field type)")?;
        let (Some(ts), Some(et)) = (&e.timestamp.0, &e.event_type.0) else {
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
        let sensor = if e.host.is_some() {
            e.host.into_cow()
        } else {
            e.in_iface.into_cow()
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
                let mut name = d.rrname.into_cow();
                if name.is_empty() {
                    if let Some(q) = d.queries.and_then(|q| q.into_iter().next()) {
                        name = q.rrname.into_cow();
                    }
                }
                if name.is_empty() {
                    return Err(RecordError::fixed("dns record without a query name"));
                }
                let mut answers = String::new();
                push_answer(&mut answers, d.rdata.as_str());
                for a in d.answers.iter().flatten() {
                    push_answer(&mut answers, a.rdata.as_str());
                }
                if d.answers.is_none() {
                    for v in d.grouped.iter().flat_map(|g| g.values()).flatten() {
                        let v = v.get();
                        push_answer(&mut answers, v.trim_matches('"'));
                    }
                }
                NetEvent {
                    domain: trim_cow(name),
                    status: rcode_num(d.rcode.as_str()),
                    answers: Cow::Owned(answers),
                    ..NetEvent::empty(ts, "suricata.dns", kind)
                }
            }
            NetKind::Http => {
                let h = e
                    .http
                    .ok_or(RecordError::fixed("http record without its http object"))?;
                NetEvent {
                    domain: trim_cow(h.hostname.into_cow()),
                    url: h.url.into_cow(),
                    method: h.http_method.into_cow(),
                    status: h.status.unwrap_or(0),
                    user_agent: h.http_user_agent.into_cow(),
                    ..NetEvent::empty(ts, "suricata.http", kind)
                }
            }
            NetKind::Tls | NetKind::Conn => {
                let t = e
                    .tls
                    .ok_or(RecordError::fixed("tls record without its tls object"))?;
                NetEvent {
                    domain: trim_cow(t.sni.into_cow()),
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

#[derive(Deserialize, Default)]
#[serde(default, bound(deserialize = "'de: 'a"))]
struct ZeekJson<'a> {
    ts: Option<&'a RawValue>,
    uid: Text<'a>,
    #[serde(rename = "_path")]
    path: Text<'a>,
    #[serde(rename = "id.orig_h")]
    orig_h: Text<'a>,
    #[serde(rename = "id.resp_h")]
    resp_h: Text<'a>,
    query: Text<'a>,
    rcode: Option<u16>,
    answers: Option<Vec<Cow<'a, str>>>,
    method: Text<'a>,
    host: Text<'a>,
    uri: Text<'a>,
    user_agent: Text<'a>,
    status_code: Option<u16>,
    server_name: Text<'a>,
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
        let z: ZeekJson<'a> = record(line, "not a Zeek JSON record (bad JSON or field type)")?;
        let Some(ts) = z.ts else {
            return Err(RecordError::fixed("not a Zeek JSON record (no ts)"));
        };
        if !(z.uid.is_some() || z.orig_h.is_some() || z.path.is_some()) {
            return Err(RecordError::fixed(
                "not a Zeek JSON record (no uid, id.orig_h or _path)",
            ));
        }
        let ts = epoch_or_iso(ts.get().trim_matches('"'))?;
        let kind = match z.path.as_str() {
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
            NetKind::Conn => ("zeek.conn", Text::default(), None),
        };
        let mut answers = String::new();
        for a in z.answers.iter().flatten() {
            push_answer(&mut answers, a);
        }
        Ok(Parsed::Event(EventRef::Net(NetEvent {
            client,
            server,
            domain: trim_cow(domain.into_cow()),
            url: z.uri.into_cow(),
            method: z.method.into_cow(),
            status: status.unwrap_or(0),
            user_agent: z.user_agent.into_cow(),
            answers: Cow::Owned(answers),
            ..NetEvent::empty(ts, dataset, kind)
        })))
    }
}
