//! JSON access logs (nginx `log_format … escape=json`, Caddy, ECS, envoy),
//! one object per line, mapped to [`WebEvent`] with a [`JsonFieldMap`].

use crate::proxy::MAX_FORWARDED_BYTES;
use crate::text::{parse_ip, parse_request, parse_status, parse_u64, resolve, split_query};
use crate::text::{RecordParser, Text};
use haboob_model::{EventRef, Parsed, RecordError, Ts, WebEvent};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// For each ECS field, the candidate JSON keys tried in order. A key may be a
/// dotted path into nested objects (`request.remote_ip`); a flat key
/// containing dots (`"http.request.method": …`) also matches. `[n]` picks an
/// array element; an array without an index yields its first element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct JsonFieldMap {
    /// `@timestamp`: RFC 3339, CLF time, or epoch seconds/milliseconds.
    pub timestamp: Vec<String>,
    /// `source.ip` (`ip`, `ip:port` or `[v6]:port`).
    pub source_ip: Vec<String>,
    /// `http.request.method`.
    pub method: Vec<String>,
    /// `url.path` (split at `?` when it carries the query).
    pub path: Vec<String>,
    /// `url.query`.
    pub query: Vec<String>,
    /// The whole request line `GET /x HTTP/1.1`.
    pub request_line: Vec<String>,
    /// Path and query together (`/x?y`).
    pub uri: Vec<String>,
    /// `http.response.status_code`.
    pub status: Vec<String>,
    /// `http.response.body.bytes`.
    pub bytes: Vec<String>,
    /// `user_agent.original`.
    pub user_agent: Vec<String>,
    /// `http.request.referrer`.
    pub referrer: Vec<String>,
    /// `destination.domain`: the site.
    pub site: Vec<String>,
    /// `user.name`: the authenticated user (`remote_user`).
    pub user: Vec<String>,
    /// The forwarding header naming the client behind a proxy or CDN
    /// (`X-Forwarded-For`, `CF-Connecting-IP`, `True-Client-IP`,
    /// `X-Real-IP`), used with `[ingest.proxy]`. ECS `client.ip`, when it
    /// differs from `source.ip`, is the client a proxy-aware logger already
    /// resolved, so it is tried last.
    pub forwarded: Vec<String>,
    /// The request's protocol and version (`HTTP/1.1`); used when its value
    /// starts with `HTTP/`, else taken from the request line.
    pub protocol: Vec<String>,
}

fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for JsonFieldMap {
    fn default() -> Self {
        JsonFieldMap {
            timestamp: keys(&[
                "@timestamp",
                "time_iso8601",
                "time_local",
                "timestamp",
                "time",
                "ts",
                "start_time",
                "StartUTC",
            ]),
            source_ip: keys(&[
                "source.ip",
                "client.ip",
                "remote_addr",
                "request.client_ip",
                "request.remote_ip",
                "client_ip",
                "remote_ip",
                "downstream_remote_address",
                "ClientHost",
            ]),
            method: keys(&[
                "http.request.method",
                "request_method",
                "request.method",
                "method",
                "RequestMethod",
            ]),
            path: keys(&["url.path", "x-envoy-origin-path", "path", "RequestPath"]),
            query: keys(&["url.query", "query_string", "args"]),
            request_line: keys(&["request"]),
            uri: keys(&["url.original", "request_uri", "request.uri", "uri"]),
            status: keys(&[
                "http.response.status_code",
                "status",
                "response_code",
                "DownstreamStatus",
            ]),
            bytes: keys(&[
                "http.response.body.bytes",
                "body_bytes_sent",
                "size",
                "bytes_sent",
                "bytes",
                "DownstreamContentSize",
            ]),
            user_agent: keys(&[
                "user_agent.original",
                "http_user_agent",
                "request.headers.User-Agent",
                "user-agent",
                "user_agent",
                "request_User-Agent",
            ]),
            referrer: keys(&[
                "http.request.referrer",
                "http_referer",
                "request.headers.Referer",
                "referer",
                "request_Referer",
            ]),
            site: keys(&[
                "url.domain",
                "destination.domain",
                "host.name",
                "host",
                "server_name",
                "request.host",
                ":authority",
                "RequestHost",
            ]),
            user: keys(&["remote_user", "user.name", "user_id", "ClientUsername"]),
            forwarded: keys(&[
                "http_x_forwarded_for",
                "x_forwarded_for",
                "x-forwarded-for",
                "request.headers.X-Forwarded-For",
                "request_X-Forwarded-For",
                "http_cf_connecting_ip",
                "request.headers.Cf-Connecting-Ip",
                "http_true_client_ip",
                "request.headers.True-Client-Ip",
                "http_x_real_ip",
                "x_real_ip",
                "request.headers.X-Real-Ip",
                "client.ip",
            ]),
            protocol: keys(&[
                "server_protocol",
                "request.proto",
                "RequestProtocol",
                "protocol",
            ]),
        }
    }
}

/// A JSON object's members in order, keys borrowed when unescaped.
pub(crate) struct Obj<'a>(pub(crate) Vec<(Cow<'a, str>, &'a RawValue)>);

struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for Obj<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Obj<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Obj<'de>, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = m.next_key::<Key<'de>>()? {
                    v.push((k.0, m.next_value::<&'de RawValue>()?));
                }
                Ok(Obj(v))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'a> Obj<'a> {
    fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// Look up a dotted path, trying flat keys with dots first.
    fn path(&self, path: &str, depth: u8) -> Option<&'a RawValue> {
        if let Some(v) = self.get(path) {
            return Some(v);
        }
        if let Some(v) = indexed(path).and_then(|(k, i)| self.get(k).and_then(|v| nth(v, i))) {
            return Some(v);
        }
        if depth > 8 {
            return None;
        }
        for (i, _) in path.match_indices('.') {
            let (head, tail) = (&path[..i], &path[i + 1..]);
            let inner = self
                .get(head)
                .or_else(|| indexed(head).and_then(|(k, n)| self.get(k).and_then(|v| nth(v, n))));
            if let Some(inner) = inner {
                if inner.get().starts_with('{') {
                    if let Ok(o) = serde_json::from_str::<Obj<'a>>(inner.get()) {
                        if let Some(v) = o.path(tail, depth + 1) {
                            return Some(v);
                        }
                    }
                }
            }
        }
        None
    }
}

/// `name[3]` into `("name", 3)`.
fn indexed(seg: &str) -> Option<(&str, usize)> {
    let inner = seg.strip_suffix(']')?;
    let (k, i) = inner.rsplit_once('[')?;
    Some((k, i.parse().ok()?))
}

fn nth(v: &RawValue, i: usize) -> Option<&RawValue> {
    if !v.get().starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<&RawValue>>(v.get())
        .ok()?
        .get(i)
        .copied()
}

/// A scalar value as text; `None` for null, objects and empty arrays.
fn text(v: &RawValue) -> Option<Text<'_>> {
    let s = v.get();
    match s.as_bytes().first()? {
        b'"' => Some(Text::Json(&s[1..s.len() - 1])),
        b'[' => nth(v, 0).and_then(text),
        b'{' | b'n' => None,
        _ => Some(Text::Raw(s)),
    }
}

/// The JSON parser (stateless apart from its field map).
pub(crate) struct JsonParser {
    map: JsonFieldMap,
}

impl JsonParser {
    pub(crate) fn new(map: &JsonFieldMap) -> JsonParser {
        JsonParser { map: map.clone() }
    }
}

fn first<'a>(obj: &Obj<'a>, cands: &[String]) -> Option<Text<'a>> {
    cands.iter().find_map(|c| obj.path(c, 0).and_then(text))
}

/// Strip a containerd/CRI prefix `<rfc3339> <stream> <tag> ` when present.
fn strip_cri(line: &str) -> Option<&str> {
    if line.starts_with('{') {
        return Some(line);
    }
    let mut it = line.splitn(4, ' ');
    let (ts, stream, _tag, rest) = (it.next()?, it.next()?, it.next()?, it.next()?);
    if Ts::parse_rfc3339(ts).is_err() || !(stream == "stdout" || stream == "stderr") {
        return None;
    }
    rest.starts_with('{').then_some(rest)
}

/// Epoch seconds (float) or milliseconds, or RFC 3339, or CLF time.
fn parse_time(t: &str) -> Option<Ts> {
    if let Ok(ts) = Ts::parse_rfc3339(t) {
        return Some(ts);
    }
    if let Ok(ts) = Ts::parse_clf(t) {
        return Some(ts);
    }
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() || int.len() > 15 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = int.parse().ok()?;
    if n > 100_000_000_000 {
        return Some(Ts(n));
    }
    let mut ms = 0i64;
    for b in frac.bytes().chain(std::iter::repeat(b'0')).take(3) {
        ms = ms * 10 + i64::from(b - b'0');
    }
    Some(Ts(n * 1000 + ms))
}

impl RecordParser for JsonParser {
    fn parse_rec<'a>(
        &mut self,
        line: &'a str,
        scratch: Option<&'a mut String>,
    ) -> Result<Parsed<'a>, RecordError> {
        let body = strip_cri(line).ok_or(RecordError::fixed("not a JSON object"))?;
        let obj: Obj<'a> =
            serde_json::from_str(body).map_err(|_| RecordError::fixed("invalid JSON object"))?;
        let m = &self.map;
        let ts = first(&obj, &m.timestamp).ok_or(RecordError::fixed("no timestamp field"))?;
        let [ts_text] = resolve([ts], None);
        let ts = parse_time(ts_text).ok_or(RecordError::fixed("bad timestamp"))?;
        let ip = first(&obj, &m.source_ip).ok_or(RecordError::fixed("no source address field"))?;
        let [ip] = resolve([ip], None);
        let ip = ip.split(',').next().unwrap_or("").trim();
        let source_ip = parse_ip(ip, true).ok_or(RecordError::fixed("bad source address"))?;
        let status = match first(&obj, &m.status) {
            Some(t) => {
                parse_status(resolve([t], None)[0]).ok_or(RecordError::fixed("bad status code"))?
            }
            None => 0,
        };
        let bytes = match first(&obj, &m.bytes) {
            Some(t) => {
                parse_u64(resolve([t], None)[0]).ok_or(RecordError::fixed("bad byte count"))?
            }
            None => 0,
        };
        let none = Text::Raw("");
        let get = |c: &[String]| first(&obj, c);
        let (method, path, query) = (get(&m.method), get(&m.path), get(&m.query));
        let (uri, request) = (get(&m.uri), get(&m.request_line));
        if method.is_none() && path.is_none() && uri.is_none() && request.is_none() {
            return Err(RecordError::fixed("no request fields"));
        }
        let forwarded = get(&m.forwarded).unwrap_or(none);
        let [method, path, query, uri, request, user_agent, referrer, site, user, forwarded, protocol] =
            resolve(
                [
                    method.unwrap_or(none),
                    path.unwrap_or(none),
                    query.unwrap_or(none),
                    uri.unwrap_or(none),
                    request.unwrap_or(none),
                    get(&m.user_agent).unwrap_or(none),
                    get(&m.referrer).unwrap_or(none),
                    get(&m.site).unwrap_or(none),
                    get(&m.user).unwrap_or(none),
                    forwarded,
                    get(&m.protocol).unwrap_or(none),
                ],
                scratch,
            );
        let r = parse_request(request);
        let (method, (path, query)) = if !path.is_empty() {
            let (p, q) = split_query(path);
            (method, (p, if query.is_empty() { q } else { query }))
        } else if !uri.is_empty() {
            (method, split_query(uri))
        } else {
            (
                if method.is_empty() { r.method } else { method },
                (r.path, r.query),
            )
        };
        let method = if method.is_empty() { r.method } else { method };
        Ok(Parsed::Event(EventRef::Web(WebEvent {
            ts,
            source_ip,
            method,
            path,
            query,
            status,
            bytes,
            user_agent: dash_empty(user_agent),
            referrer: dash_empty(referrer),
            site: dash_empty(site),
            user: dash_empty(user),
            forwarded: if forwarded.len() > MAX_FORWARDED_BYTES {
                ""
            } else {
                dash_empty(forwarded)
            },
            protocol: if protocol.starts_with("HTTP/") {
                protocol
            } else {
                r.protocol
            },
        })))
    }
}

fn dash_empty(s: &str) -> &str {
    crate::text::dash(s)
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
