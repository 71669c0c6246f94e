//! A compact byte encoding of events, for holding them outside the buffer
//! they were parsed from: the external sort of out-of-order streams, and the
//! parallel reader (blocks parsed on other threads, delivered in order).
//!
//! A Windows event ([`EventRef::Win`]) keeps its whole record text (a
//! rule may read any field of it), whatever the raw-text limit; when the
//! record text is the raw text kept with it (EVTX, XML lines under the
//! limit), it is stored once.

use haboob_model::{
    AuthEvent, AuthOutcome, EventRef, FailureClass, GeoPoint, Origin, Ts, WafEvent, WebEvent,
    WinEvent, WinView,
};
use std::borrow::Cow;
use std::io;
use std::net::IpAddr;

fn bad(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// Length flag of a text stored as a range of the base text.
const IN_BASE: u32 = 1 << 31;

/// The raw text kept with an event held outside its reader's buffer (the
/// hunt's sort spool and reorder buffer): 64 KiB. Longer than the evidence
/// an alert quotes ([`haboob_model::MAX_EVIDENCE_BYTES`], cut where alerts
/// are built) because field views read the whole record from it (a JSON
/// sign-in's `Status.errorCode` may lie past the first 2 KiB); a longer
/// record is cut on a char boundary.
pub const MAX_HELD_RAW_BYTES: usize = 64 * 1024;

/// Flags of a Windows event's record text.
const WIN_XML: u8 = 1;
/// The record text is the raw text stored before it.
const WIN_TEXT_IS_RAW: u8 = 2;

/// Store `s` as a range of `base` when it lies inside it (no copy, and no
/// UTF-8 check when read back), else as its bytes.
fn put_text(out: &mut Vec<u8>, s: &str, base: &str) {
    let (b, p) = (base.as_ptr() as usize, s.as_ptr() as usize);
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    if p >= b && p + s.len() <= b + base.len() && len < IN_BASE {
        if let Ok(off) = u32::try_from(p - b) {
            out.extend_from_slice(&(len | IN_BASE).to_le_bytes());
            out.extend_from_slice(&off.to_le_bytes());
            return;
        }
    }
    put_str(out, s);
}

pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_ip(out: &mut Vec<u8>, ip: Option<IpAddr>) {
    match ip {
        None => out.push(0),
        Some(IpAddr::V4(a)) => {
            out.push(4);
            out.extend_from_slice(&a.octets());
        }
        Some(IpAddr::V6(a)) => {
            out.push(6);
            out.extend_from_slice(&a.octets());
        }
    }
}

const OUTCOMES: [AuthOutcome; 5] = [
    AuthOutcome::Success,
    AuthOutcome::Failure,
    AuthOutcome::Challenge,
    AuthOutcome::Attempt,
    AuthOutcome::Probe,
];

/// Index of a `&'static str` (dataset, firewall engine) in the spool's table.
fn intern(table: &mut Vec<&'static str>, s: &'static str) -> u32 {
    let i = match table.iter().position(|d| *d == s) {
        Some(i) => i,
        None => {
            table.push(s);
            table.len() - 1
        }
    };
    i as u32
}
const FAILURES: [FailureClass; 8] = [
    FailureClass::UnknownUser,
    FailureClass::BadPassword,
    FailureClass::LockedOut,
    FailureClass::MfaRequired,
    FailureClass::MfaDenied,
    FailureClass::Disabled,
    FailureClass::Expired,
    FailureClass::Other,
];

/// The raw text as kept: at most `limit` bytes, on a char boundary.
use haboob_model::bounded as bounded_raw;

/// Append one event, its line and its raw text (cut to `raw_limit` bytes) to
/// `out`. `&'static str` fields (dataset, engine) are stored as indices into
/// `datasets`, which [`decode`] needs back. Texts that lie inside `base` (the
/// text the event was parsed from) are stored as ranges of it, and [`decode`]
/// needs the same base; pass `""` to copy every text.
pub fn encode(
    ev: &EventRef<'_>,
    o: &Origin<'_>,
    raw_limit: usize,
    base: &str,
    datasets: &mut Vec<&'static str>,
    out: &mut Vec<u8>,
) {
    encode_with(ev, o, raw_limit, datasets, out, &mut |out, s| {
        put_text(out, s, base);
    });
}

/// As [`encode`], but every text is appended to `arena` and stored as a
/// range of it: [`decode`] with `arena` as the base then checks no UTF-8
/// (the arena is a `String`), which makes holding many events in memory
/// cheaper than copying each text into the record.
pub fn encode_in_arena(
    ev: &EventRef<'_>,
    o: &Origin<'_>,
    raw_limit: usize,
    arena: &mut String,
    datasets: &mut Vec<&'static str>,
    out: &mut Vec<u8>,
) {
    encode_with(ev, o, raw_limit, datasets, out, &mut |out, s| {
        let (off, len) = (arena.len(), s.len());
        match (u32::try_from(off), u32::try_from(len)) {
            (Ok(off), Ok(len)) if len < IN_BASE => {
                arena.push_str(s);
                out.extend_from_slice(&(len | IN_BASE).to_le_bytes());
                out.extend_from_slice(&off.to_le_bytes());
            }
            _ => put_str(out, s),
        }
    });
}

fn encode_with(
    ev: &EventRef<'_>,
    o: &Origin<'_>,
    raw_limit: usize,
    datasets: &mut Vec<&'static str>,
    out: &mut Vec<u8>,
    put_str: &mut impl FnMut(&mut Vec<u8>, &str),
) {
    out.extend_from_slice(&o.line.to_le_bytes());
    let raw = bounded_raw(o.raw, raw_limit);
    put_str(out, raw);
    match ev {
        EventRef::Web(w) => {
            out.push(0);
            out.extend_from_slice(&w.ts.0.to_le_bytes());
            put_ip(out, Some(w.source_ip));
            out.extend_from_slice(&w.status.to_le_bytes());
            out.extend_from_slice(&w.bytes.to_le_bytes());
            for s in w.texts() {
                put_str(out, s);
            }
        }
        EventRef::Auth(a) => {
            out.push(1);
            out.extend_from_slice(&a.ts.0.to_le_bytes());
            out.extend_from_slice(&intern(datasets, a.dataset).to_le_bytes());
            put_ip(out, a.source_ip);
            out.push(OUTCOMES.iter().position(|x| *x == a.outcome).unwrap_or(0) as u8);
            out.push(
                a.failure
                    .and_then(|f| FAILURES.iter().position(|x| *x == f))
                    .map_or(u8::MAX, |i| i as u8),
            );
            match a.asn {
                Some(n) => {
                    out.push(1);
                    out.extend_from_slice(&n.to_le_bytes());
                }
                None => out.push(0),
            }
            match a.location {
                Some(g) => {
                    out.push(1);
                    out.extend_from_slice(&g.lat.to_le_bytes());
                    out.extend_from_slice(&g.lon.to_le_bytes());
                    out.extend_from_slice(&g.radius_km.to_le_bytes());
                }
                None => out.push(0),
            }
            for s in [
                &a.user, &a.domain, &a.tenant, &a.host, &a.app, &a.client, &a.country,
            ] {
                put_str(out, s);
            }
        }
        EventRef::Waf(w) => {
            out.push(2);
            out.extend_from_slice(&w.ts.0.to_le_bytes());
            put_ip(out, Some(w.source_ip));
            out.push(u8::from(w.blocked));
            out.extend_from_slice(&intern(datasets, w.engine).to_le_bytes());
            for s in [w.site, w.method, w.path, w.rule, w.message] {
                put_str(out, s);
            }
        }
        EventRef::Win(w) => {
            out.push(3);
            out.extend_from_slice(&w.ts.0.to_le_bytes());
            out.extend_from_slice(&w.event_id.to_le_bytes());
            out.extend_from_slice(&w.record_id.to_le_bytes());
            let text = w.text();
            let same = text.as_ptr() == raw.as_ptr() && text.len() == raw.len();
            out.push(
                if w.record.is_xml() { WIN_XML } else { 0 }
                    | if same { WIN_TEXT_IS_RAW } else { 0 },
            );
            if !same {
                put_str(out, text);
            }
            for s in [&w.channel, &w.provider, &w.computer] {
                put_str(out, s);
            }
        }
        EventRef::Audit(a) => crate::codec_audit::encode_audit(a, raw, out),
        EventRef::Net(n) => {
            out.push(4);
            let ds = intern(datasets, n.dataset);
            crate::codec_net::encode_net(n, ds, out, put_ip, put_str);
        }
        EventRef::Cloud(e) => {
            out.push(6);
            crate::codec_net::encode_cloud(e, intern(datasets, e.dataset), out, put_ip, put_str);
        }
    }
}

pub(crate) struct Cursor<'a> {
    pub(crate) data: &'a [u8],
    /// The text ranges refer to.
    pub(crate) base: &'a str,
}

impl<'a> Cursor<'a> {
    pub(crate) fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        if self.data.len() < n {
            return Err(bad("truncated record"));
        }
        let (a, b) = self.data.split_at(n);
        self.data = b;
        Ok(a)
    }
    pub(crate) fn arr<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    pub(crate) fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn str(&mut self) -> io::Result<&'a str> {
        let n = u32::from_le_bytes(self.arr()?);
        if n & IN_BASE != 0 {
            let off = u32::from_le_bytes(self.arr()?) as usize;
            let len = (n & !IN_BASE) as usize;
            return self
                .base
                .get(off..off + len)
                .ok_or_else(|| bad("bad text range in record"));
        }
        std::str::from_utf8(self.take(n as usize)?).map_err(|_| bad("bad text in record"))
    }
    pub(crate) fn ip(&mut self) -> io::Result<Option<IpAddr>> {
        Ok(match self.u8()? {
            0 => None,
            4 => Some(IpAddr::from(self.arr::<4>()?)),
            6 => Some(IpAddr::from(self.arr::<16>()?)),
            _ => return Err(bad("bad address in record")),
        })
    }
}

/// Decode a record made by [`encode`] (with the same `base`): the event, its
/// line and its raw text.
///
/// # Errors
/// The record is truncated or not one [`encode`] makes.
pub fn decode<'a>(
    data: &'a [u8],
    base: &'a str,
    datasets: &[&'static str],
) -> io::Result<(EventRef<'a>, u64, &'a str)> {
    let mut c = Cursor { data, base };
    let line = u64::from_le_bytes(c.arr()?);
    let raw = c.str()?;
    let ev = match c.u8()? {
        0 => {
            let ts = Ts(i64::from_le_bytes(c.arr()?));
            let source_ip = c.ip()?.ok_or_else(|| bad("web record without address"))?;
            let status = u16::from_le_bytes(c.arr()?);
            let bytes = u64::from_le_bytes(c.arr()?);
            let mut texts = [""; 9];
            for t in &mut texts {
                *t = c.str()?;
            }
            EventRef::Web(WebEvent::from_texts(ts, source_ip, status, bytes, texts))
        }
        1 => {
            let ts = Ts(i64::from_le_bytes(c.arr()?));
            let ds = u32::from_le_bytes(c.arr()?) as usize;
            let dataset = *datasets.get(ds).ok_or_else(|| bad("bad dataset"))?;
            let source_ip = c.ip()?;
            let outcome = *OUTCOMES
                .get(usize::from(c.u8()?))
                .ok_or_else(|| bad("bad outcome"))?;
            let failure = match c.u8()? {
                u8::MAX => None,
                i => Some(
                    *FAILURES
                        .get(usize::from(i))
                        .ok_or_else(|| bad("bad failure class"))?,
                ),
            };
            let asn = match c.u8()? {
                0 => None,
                _ => Some(u32::from_le_bytes(c.arr()?)),
            };
            let location = match c.u8()? {
                0 => None,
                _ => Some(GeoPoint {
                    lat: f32::from_le_bytes(c.arr()?),
                    lon: f32::from_le_bytes(c.arr()?),
                    radius_km: u16::from_le_bytes(c.arr()?),
                }),
            };
            EventRef::Auth(AuthEvent {
                ts,
                dataset,
                source_ip,
                user: Cow::Borrowed(c.str()?),
                domain: Cow::Borrowed(c.str()?),
                tenant: Cow::Borrowed(c.str()?),
                host: Cow::Borrowed(c.str()?),
                outcome,
                failure,
                app: Cow::Borrowed(c.str()?),
                client: Cow::Borrowed(c.str()?),
                country: Cow::Borrowed(c.str()?),
                asn,
                location,
            })
        }
        2 => {
            let ts = Ts(i64::from_le_bytes(c.arr()?));
            let source_ip = c
                .ip()?
                .ok_or_else(|| bad("firewall record without address"))?;
            let blocked = c.u8()? != 0;
            let e = u32::from_le_bytes(c.arr()?) as usize;
            let engine = *datasets.get(e).ok_or_else(|| bad("bad engine"))?;
            EventRef::Waf(WafEvent {
                ts,
                source_ip,
                site: c.str()?,
                method: c.str()?,
                path: c.str()?,
                engine,
                rule: c.str()?,
                message: c.str()?,
                blocked,
            })
        }
        3 => {
            let ts = Ts(i64::from_le_bytes(c.arr()?));
            let event_id = u32::from_le_bytes(c.arr()?);
            let record_id = u64::from_le_bytes(c.arr()?);
            let flags = c.u8()?;
            if flags & !(WIN_XML | WIN_TEXT_IS_RAW) != 0 {
                return Err(bad("bad Windows event flags"));
            }
            let text = if flags & WIN_TEXT_IS_RAW != 0 {
                raw
            } else {
                c.str()?
            };
            EventRef::Win(WinEvent {
                ts,
                event_id,
                record_id,
                channel: Cow::Borrowed(c.str()?),
                provider: Cow::Borrowed(c.str()?),
                computer: Cow::Borrowed(c.str()?),
                record: if flags & WIN_XML != 0 {
                    WinView::from_xml(text)
                } else {
                    WinView::new(text)
                },
            })
        }
        4 => EventRef::Net(crate::codec_net::decode_net(&mut c, datasets)?),
        5 => EventRef::Audit(crate::codec_audit::decode_audit(&mut c, raw)?),
        6 => EventRef::Cloud(crate::codec_net::decode_cloud(&mut c, datasets)?),
        _ => return Err(bad("bad event family")),
    };
    Ok((ev, line, raw))
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
