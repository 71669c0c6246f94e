//! The record layout of [`PackedAlerts`](crate::PackedAlerts): one alert as
//! compact bytes, and back.
//!
//! Written by hand rather than through serde: a CBOR map with field names as
//! keys (the alert's serde derive, which defines its JSON output) decoded
//! about three times slower and was larger. Only this store reads these
//! bytes, from memory, so the layout need not be stable across versions.
//!
//! Integers are LEB128 varints (`uN` below; signed ones zigzag-mapped,
//! `iN`); a string is its byte length (`u`) then its UTF-8 bytes; a list is
//! its length (`u`) then its items. A record is, in order:
//!
//! | field                     | bytes                                        |
//! |---------------------------|----------------------------------------------|
//! | flags                     | 1: severity (bits 0-1), `source.ip` none/IPv4/IPv6 (bits 2-3), `source.prefix` set (bit 4), `user` set (bit 5) |
//! | `id`, `detector`, `title` | 3 strings                                    |
//! | `techniques`              | list of strings                              |
//! | `source.ip`               | 4 or 16 bytes, when set                      |
//! | `source.prefix`           | string, when set                             |
//! | `source.members`          | list of addresses: 4 (byte 4 + 4 bytes) or 6 (byte 6 + 16 bytes) |
//! | `target`                  | string                                       |
//! | `user`                    | string, when set                             |
//! | `first_seen`              | `i`                                          |
//! | `last_seen`               | `i`: `last_seen - first_seen` (wrapping)     |
//! | `count`                   | `u`                                          |
//! | `details`                 | list of (name string, [value](#values))      |
//! | `evidence`                | list of (`file` string, `line` `u`, `raw` string) |
//!
//! # Values
//!
//! A detail's JSON value is a tag byte then its payload: `0` null, `1`
//! false, `2` true, `3` an integer held as unsigned (`u`), `4` a negative
//! one (`u`: `-1 - n`), `5` a float (8 bytes, little-endian bits), `6` a
//! string, `7` an array (list of values), `8` an object (list of (key
//! string, value), in the order the map holds them). Numbers thus keep their
//! kind and every bit, and objects their key order (serde_json's
//! `preserve_order` included).
//!
//! Values are encoded and decoded recursively, so their nesting is bounded:
//! [`MAX_DETAILS_DEPTH`] levels of arrays and objects, checked while
//! encoding (and again while decoding).

use super::MAX_DETAILS_DEPTH;
use crate::{Alert, AlertSource, Details, Evidence, Severity, Ts};
use serde_json::{Map, Number, Value};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const IP_NONE: u8 = 0;
const IP_V4: u8 = 1;
const IP_V6: u8 = 2;
/// `source.prefix` is set.
const HAS_PREFIX: u8 = 1 << 4;
/// `user` is set.
const HAS_USER: u8 = 1 << 5;

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const UINT: u8 = 3;
const NINT: u8 = 4;
const FLOAT: u8 = 5;
const STRING: u8 = 6;
const ARRAY: u8 = 7;
const OBJECT: u8 = 8;

/// A detail whose value nests deeper than [`MAX_DETAILS_DEPTH`].
#[derive(Debug)]
pub(crate) struct TooDeep<'a> {
    /// The detail's name.
    pub(crate) name: &'a str,
}

/// Append the record of `a` to `out`. On error `out` holds part of a
/// record: the caller truncates it.
pub(crate) fn encode<'a>(a: &'a Alert, out: &mut Vec<u8>) -> Result<(), TooDeep<'a>> {
    let severity = match a.severity {
        Severity::Low => 0,
        Severity::Medium => 1,
        Severity::High => 2,
        Severity::Critical => 3,
    };
    let ip = match a.source.ip {
        None => IP_NONE,
        Some(IpAddr::V4(_)) => IP_V4,
        Some(IpAddr::V6(_)) => IP_V6,
    };
    let mut flags = severity | ip << 2;
    if a.source.prefix.is_some() {
        flags |= HAS_PREFIX;
    }
    if a.user.is_some() {
        flags |= HAS_USER;
    }
    out.push(flags);
    put_str(out, &a.id);
    put_str(out, &a.detector);
    put_str(out, &a.title);
    put_len(out, a.techniques.len());
    for t in &a.techniques {
        put_str(out, t);
    }
    if let Some(ip) = &a.source.ip {
        put_octets(out, ip);
    }
    if let Some(p) = &a.source.prefix {
        put_str(out, p);
    }
    put_len(out, a.source.members.len());
    for m in &a.source.members {
        out.push(if m.is_ipv4() { 4 } else { 6 });
        put_octets(out, m);
    }
    put_str(out, &a.target);
    if let Some(u) = &a.user {
        put_str(out, u);
    }
    put_u64(out, zigzag(a.first_seen.0));
    put_u64(out, zigzag(a.last_seen.0.wrapping_sub(a.first_seen.0)));
    put_u64(out, a.count);
    put_len(out, a.details.len());
    for (name, value) in &a.details {
        put_str(out, name);
        if !put_value(out, value, 0) {
            return Err(TooDeep { name });
        }
    }
    put_len(out, a.evidence.len());
    for e in &a.evidence {
        put_str(out, &e.file);
        put_u64(out, e.line);
        put_str(out, &e.raw);
    }
    Ok(())
}

/// Append `v`, found inside `depth` arrays and objects; false (with part of
/// it appended) if it nests more than [`MAX_DETAILS_DEPTH`] levels.
fn put_value(out: &mut Vec<u8>, v: &Value, depth: usize) -> bool {
    match v {
        Value::Null => out.push(NULL),
        Value::Bool(b) => out.push(if *b { TRUE } else { FALSE }),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.push(UINT);
                put_u64(out, u);
            } else if let Some(i) = n.as_i64() {
                // Negative: held as unsigned were it not.
                out.push(NINT);
                put_u64(out, !(i as u64));
            } else {
                let f = n.as_f64().expect("a JSON number is an integer or a float");
                out.push(FLOAT);
                out.extend_from_slice(&f.to_bits().to_le_bytes());
            }
        }
        Value::String(s) => {
            out.push(STRING);
            put_str(out, s);
        }
        Value::Array(items) => {
            if depth == MAX_DETAILS_DEPTH {
                return false;
            }
            out.push(ARRAY);
            put_len(out, items.len());
            for item in items {
                if !put_value(out, item, depth + 1) {
                    return false;
                }
            }
        }
        Value::Object(map) => {
            if depth == MAX_DETAILS_DEPTH {
                return false;
            }
            out.push(OBJECT);
            put_len(out, map.len());
            for (k, item) in map {
                put_str(out, k);
                if !put_value(out, item, depth + 1) {
                    return false;
                }
            }
        }
    }
    true
}

/// An address's 4 or 16 bytes (its kind is written before it).
fn put_octets(out: &mut Vec<u8>, ip: &IpAddr) {
    match ip {
        IpAddr::V4(v4) => out.extend_from_slice(&v4.octets()),
        IpAddr::V6(v6) => out.extend_from_slice(&v6.octets()),
    }
}

fn zigzag(i: i64) -> u64 {
    ((i << 1) ^ (i >> 63)) as u64
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

fn put_u64(out: &mut Vec<u8>, mut u: u64) {
    while u >= 0x80 {
        out.push(u as u8 | 0x80);
        u >>= 7;
    }
    out.push(u as u8);
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    put_u64(out, n as u64);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// Why a record does not decode (a bug: records are only read from bytes
/// [`encode`] wrote).
#[derive(Debug)]
pub(crate) struct Malformed(&'static str);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// The alert of one record, which must be all of `bytes`.
pub(crate) fn decode(bytes: &[u8]) -> Result<Alert, Malformed> {
    let mut r = Reader { bytes, at: 0 };
    let flags = r.byte()?;
    let severity = match flags & 3 {
        0 => Severity::Low,
        1 => Severity::Medium,
        2 => Severity::High,
        _ => Severity::Critical,
    };
    let id = r.string()?;
    let detector = r.string()?;
    let title = r.string()?;
    let n = r.len()?;
    let mut techniques = Vec::with_capacity(n);
    for _ in 0..n {
        techniques.push(r.string()?);
    }
    let ip = match flags >> 2 & 3 {
        IP_NONE => None,
        IP_V4 => Some(r.ipv4()?),
        IP_V6 => Some(r.ipv6()?),
        _ => return Err(Malformed("address kind")),
    };
    let prefix = if flags & HAS_PREFIX != 0 {
        Some(r.string()?)
    } else {
        None
    };
    let n = r.len()?;
    let mut members = Vec::with_capacity(n);
    for _ in 0..n {
        members.push(match r.byte()? {
            4 => r.ipv4()?,
            6 => r.ipv6()?,
            _ => return Err(Malformed("member address kind")),
        });
    }
    let target = r.string()?;
    let user = if flags & HAS_USER != 0 {
        Some(r.string()?)
    } else {
        None
    };
    let first_seen = unzigzag(r.u64()?);
    let last_seen = first_seen.wrapping_add(unzigzag(r.u64()?));
    let count = r.u64()?;
    let n = r.len()?;
    let mut details = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.string()?;
        details.push((name, r.value(0)?));
    }
    let n = r.len()?;
    let mut evidence = Vec::with_capacity(n);
    for _ in 0..n {
        evidence.push(Evidence {
            file: r.string()?,
            line: r.u64()?,
            raw: r.string()?,
        });
    }
    if r.at != bytes.len() {
        return Err(Malformed("bytes after the record"));
    }
    Ok(Alert {
        id,
        detector,
        title,
        techniques,
        severity,
        source: AlertSource {
            ip,
            prefix,
            members,
        },
        target,
        user,
        first_seen: Ts(first_seen),
        last_seen: Ts(last_seen),
        count,
        details: Details::from_sorted(details),
        evidence,
    })
}

struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Result<&'b [u8], Malformed> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(Malformed("record ends early"))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, Malformed> {
        let b = *self
            .bytes
            .get(self.at)
            .ok_or(Malformed("record ends early"))?;
        self.at += 1;
        Ok(b)
    }

    fn u64(&mut self) -> Result<u64, Malformed> {
        let mut u = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return Err(Malformed("varint over 64 bits"));
            }
            u |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(u);
            }
            shift += 7;
        }
    }

    /// A length or count; at most the bytes left, as every item takes one
    /// byte or more (so that a bad one cannot ask for a huge allocation).
    fn len(&mut self) -> Result<usize, Malformed> {
        let n = self.u64()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.bytes.len() - self.at)
            .ok_or(Malformed("length past the record's end"))
    }

    fn string(&mut self) -> Result<String, Malformed> {
        let n = self.len()?;
        let b = self.take(n)?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| Malformed("string not UTF-8"))
    }

    fn ipv4(&mut self) -> Result<IpAddr, Malformed> {
        let b: [u8; 4] = self.take(4)?.try_into().expect("4 bytes");
        Ok(IpAddr::V4(Ipv4Addr::from(b)))
    }

    fn ipv6(&mut self) -> Result<IpAddr, Malformed> {
        let b: [u8; 16] = self.take(16)?.try_into().expect("16 bytes");
        Ok(IpAddr::V6(Ipv6Addr::from(b)))
    }

    /// A value found inside `depth` arrays and objects.
    fn value(&mut self, depth: usize) -> Result<Value, Malformed> {
        Ok(match self.byte()? {
            NULL => Value::Null,
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            UINT => Value::from(self.u64()?),
            NINT => match self.u64()? {
                u if u >> 63 == 0 => Value::from(!u as i64),
                _ => return Err(Malformed("negative integer out of range")),
            },
            FLOAT => {
                let b: [u8; 8] = self.take(8)?.try_into().expect("8 bytes");
                Number::from_f64(f64::from_bits(u64::from_le_bytes(b)))
                    .map(Value::Number)
                    .ok_or(Malformed("float not finite"))?
            }
            STRING => Value::String(self.string()?),
            ARRAY | OBJECT if depth == MAX_DETAILS_DEPTH => {
                return Err(Malformed("value nested too deep"))
            }
            ARRAY => {
                let n = self.len()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Value::Array(items)
            }
            OBJECT => {
                let n = self.len()?;
                let mut map = Map::with_capacity(n);
                for _ in 0..n {
                    let k = self.string()?;
                    let v = self.value(depth + 1)?;
                    map.insert(k, v);
                }
                Value::Object(map)
            }
            _ => return Err(Malformed("value tag")),
        })
    }
}
