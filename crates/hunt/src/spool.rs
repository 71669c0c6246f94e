//! External merge sort of events for streams that are not in time order.
//!
//! Each event is encoded once into a compact byte record (its fields, its
//! line number and its raw text bounded to [`MAX_EVIDENCE_BYTES`]). Records
//! are held in an in-memory run bounded by bytes; a full run is sorted and
//! written to an anonymous temporary file. At the end the runs are merged
//! (k-way, at most [`MAX_FANIN`] files open at once) and every record is
//! handed back, decoded as a borrowed [`EventRef`], in key order.
//!
//! The key is `(ts, file index, line key, sequence)`: the sequence number
//! makes it total, so records with equal keys otherwise keep their insertion
//! order and the result does not depend on run boundaries.

use haboob_model::{
    AuthEvent, AuthOutcome, EventRef, FailureClass, GeoPoint, Origin, Ts, WafEvent, WebEvent,
    MAX_EVIDENCE_BYTES,
};
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::net::IpAddr;

/// Default bytes of records held in memory before a run is spilled.
pub const DEFAULT_RUN_BYTES: usize = 64 << 20;
/// Most runs merged at once (open files); more are merged in rounds.
pub const MAX_FANIN: usize = 64;

/// Sort key of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    /// Event time, ms.
    pub ts: i64,
    /// Index of the file in its stream.
    pub file: u32,
    /// Line order inside the file (the line, or its reverse for a
    /// newest-first file, so equal times keep the writer's order).
    pub line_key: u64,
    /// Insertion order (makes the key unique).
    pub seq: u64,
}

struct Item {
    key: Key,
    data: Box<[u8]>,
}

/// Per-item bytes beyond the data (the item and the allocation header).
const ITEM_OVERHEAD: usize = std::mem::size_of::<Item>() + 16;

/// An external sorter of encoded events.
pub struct Sorter {
    run: Vec<Item>,
    run_bytes: usize,
    max_run_bytes: usize,
    runs: Vec<File>,
    seq: u64,
    datasets: Vec<&'static str>,
    scratch: Vec<u8>,
}

impl Sorter {
    /// A sorter holding at most about `max_run_bytes` of records in memory.
    pub fn new(max_run_bytes: usize) -> Sorter {
        Sorter {
            run: Vec::new(),
            run_bytes: 0,
            max_run_bytes: max_run_bytes.max(1),
            runs: Vec::new(),
            seq: 0,
            datasets: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Runs written to disk so far.
    pub fn spilled_runs(&self) -> usize {
        self.runs.len()
    }

    /// Add one event.
    ///
    /// # Errors
    /// Writing a full run to a temporary file failed.
    pub fn push(
        &mut self,
        file: u32,
        line_key: u64,
        ev: &EventRef<'_>,
        origin: &Origin<'_>,
    ) -> io::Result<()> {
        self.scratch.clear();
        encode(ev, origin, &mut self.datasets, &mut self.scratch);
        let key = Key {
            ts: ev.ts().0,
            file,
            line_key,
            seq: self.seq,
        };
        self.seq += 1;
        self.run_bytes += self.scratch.len() + ITEM_OVERHEAD;
        self.run.push(Item {
            key,
            data: self.scratch.as_slice().into(),
        });
        if self.run_bytes >= self.max_run_bytes {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.run.sort_unstable_by_key(|i| i.key);
        let mut w = BufWriter::with_capacity(1 << 16, tempfile::tempfile()?);
        for it in self.run.drain(..) {
            write_record(&mut w, &it.key, &it.data)?;
        }
        self.run_bytes = 0;
        let mut f = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        f.rewind()?;
        self.runs.push(f);
        Ok(())
    }

    /// Merge everything and call `each` with every event in key order.
    ///
    /// # Errors
    /// A temporary file could not be written or read back.
    pub fn finish(
        mut self,
        file_names: &[String],
        each: &mut dyn FnMut(&Key, &EventRef<'_>, &Origin<'_>),
    ) -> io::Result<()> {
        self.run.sort_unstable_by_key(|i| i.key);
        if self.runs.is_empty() {
            for it in &self.run {
                deliver(&it.key, &it.data, &self.datasets, file_names, each)?;
            }
            return Ok(());
        }
        if !self.run.is_empty() {
            self.spill()?;
        }
        let mut runs = std::mem::take(&mut self.runs);
        while runs.len() > MAX_FANIN {
            let rest = runs.split_off(MAX_FANIN);
            let mut w = BufWriter::with_capacity(1 << 16, tempfile::tempfile()?);
            merge(runs, &mut |k, d| write_record(&mut w, k, d))?;
            let mut f = w.into_inner().map_err(io::IntoInnerError::into_error)?;
            f.rewind()?;
            runs = rest;
            runs.push(f);
        }
        let ds = &self.datasets;
        merge(runs, &mut |k, d| deliver(k, d, ds, file_names, each))
    }
}

fn deliver(
    key: &Key,
    data: &[u8],
    datasets: &[&'static str],
    file_names: &[String],
    each: &mut dyn FnMut(&Key, &EventRef<'_>, &Origin<'_>),
) -> io::Result<()> {
    let (ev, line, raw) = decode(data, datasets)?;
    let file = file_names
        .get(key.file as usize)
        .map_or("-", String::as_str);
    each(key, &ev, &Origin { file, line, raw });
    Ok(())
}

fn write_record(w: &mut impl Write, k: &Key, data: &[u8]) -> io::Result<()> {
    w.write_all(&k.ts.to_le_bytes())?;
    w.write_all(&k.file.to_le_bytes())?;
    w.write_all(&k.line_key.to_le_bytes())?;
    w.write_all(&k.seq.to_le_bytes())?;
    let len = u32::try_from(data.len()).map_err(|_| bad("record too long"))?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(data)
}

/// Read one record into `buf`; `None` at a clean end of file.
fn read_record(r: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<Option<Key>> {
    let mut head = [0u8; 32];
    let mut got = 0;
    while got < head.len() {
        match r.read(&mut head[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(bad("truncated run")),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let u = |a: usize, n: usize| -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&head[a..a + n]);
        b
    };
    let key = Key {
        ts: i64::from_le_bytes(u(0, 8)),
        file: u64::from_le_bytes(u(8, 4)) as u32,
        line_key: u64::from_le_bytes(u(12, 8)),
        seq: u64::from_le_bytes(u(20, 8)),
    };
    let len = u64::from_le_bytes(u(28, 4)) as usize;
    buf.resize(len, 0);
    r.read_exact(buf)?;
    Ok(Some(key))
}

/// k-way merge of sorted run files.
fn merge(runs: Vec<File>, out: &mut dyn FnMut(&Key, &[u8]) -> io::Result<()>) -> io::Result<()> {
    let mut readers: Vec<BufReader<File>> = runs
        .into_iter()
        .map(|f| BufReader::with_capacity(1 << 16, f))
        .collect();
    let mut bufs: Vec<Vec<u8>> = vec![Vec::new(); readers.len()];
    let mut heap = BinaryHeap::with_capacity(readers.len());
    for (i, r) in readers.iter_mut().enumerate() {
        if let Some(k) = read_record(r, &mut bufs[i])? {
            heap.push(Reverse((k, i)));
        }
    }
    while let Some(Reverse((k, i))) = heap.pop() {
        out(&k, &bufs[i])?;
        if let Some(k) = read_record(&mut readers[i], &mut bufs[i])? {
            heap.push(Reverse((k, i)));
        }
    }
    Ok(())
}

fn bad(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

// ---- record encoding -------------------------------------------------------

fn put_str(out: &mut Vec<u8>, s: &str) {
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

/// The raw text as kept: at most [`MAX_EVIDENCE_BYTES`], on a char boundary.
fn bounded_raw(raw: &str) -> &str {
    let mut end = raw.len().min(MAX_EVIDENCE_BYTES);
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    &raw[..end]
}

fn encode(ev: &EventRef<'_>, o: &Origin<'_>, datasets: &mut Vec<&'static str>, out: &mut Vec<u8>) {
    out.extend_from_slice(&o.line.to_le_bytes());
    put_str(out, bounded_raw(o.raw));
    match ev {
        EventRef::Web(w) => {
            out.push(0);
            out.extend_from_slice(&w.ts.0.to_le_bytes());
            put_ip(out, Some(w.source_ip));
            out.extend_from_slice(&w.status.to_le_bytes());
            out.extend_from_slice(&w.bytes.to_le_bytes());
            for s in [
                w.method,
                w.path,
                w.query,
                w.user_agent,
                w.referrer,
                w.site,
                w.user,
                w.forwarded,
            ] {
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
            for s in [&a.user, &a.domain, &a.tenant, &a.app, &a.client, &a.country] {
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
    }
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(bad("truncated record"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn arr<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn str(&mut self) -> io::Result<&'a str> {
        let n = u32::from_le_bytes(self.arr()?) as usize;
        std::str::from_utf8(self.take(n)?).map_err(|_| bad("bad text in record"))
    }
    fn ip(&mut self) -> io::Result<Option<IpAddr>> {
        Ok(match self.u8()? {
            0 => None,
            4 => Some(IpAddr::from(self.arr::<4>()?)),
            6 => Some(IpAddr::from(self.arr::<16>()?)),
            _ => return Err(bad("bad address in record")),
        })
    }
}

/// Decode a record: the event, its line and its (bounded) raw text.
fn decode<'a>(
    data: &'a [u8],
    datasets: &[&'static str],
) -> io::Result<(EventRef<'a>, u64, &'a str)> {
    let mut c = Cursor(data);
    let line = u64::from_le_bytes(c.arr()?);
    let raw = c.str()?;
    let ev = match c.u8()? {
        0 => {
            let ts = Ts(i64::from_le_bytes(c.arr()?));
            let source_ip = c.ip()?.ok_or_else(|| bad("web record without address"))?;
            let status = u16::from_le_bytes(c.arr()?);
            let bytes = u64::from_le_bytes(c.arr()?);
            EventRef::Web(WebEvent {
                ts,
                source_ip,
                method: c.str()?,
                path: c.str()?,
                query: c.str()?,
                status,
                bytes,
                user_agent: c.str()?,
                referrer: c.str()?,
                site: c.str()?,
                user: c.str()?,
                forwarded: c.str()?,
            })
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
        _ => return Err(bad("bad event family")),
    };
    Ok((ev, line, raw))
}

#[cfg(test)]
#[path = "spool_tests.rs"]
mod tests;
