//! Time order of a stream.
//!
//! Detectors see a stream (a file or a rotation group) as it is read, which
//! is fast and zero-copy but assumes the records are in time order. Many
//! exports are not: Entra ID, Graph and Okta write newest first, and a
//! concatenation or a hand-made extract may be shuffled. [`OrderGuard`]
//! watches the latest time fed; a record earlier than that by more than
//! the tolerance (`[ingest] order_tolerance_secs`, default
//! [`DEFAULT_TOLERANCE_SECS`]) stops the in-order pass. The stream is then
//! hunted again from scratch by [`rehunt_sorted`]: every file read again,
//! each event encoded and sorted by `(time, file, line)` with the external
//! merge sort of [`crate::spool`] (memory bounded by
//! `[ingest] sort_buffer_mb`), and fed to fresh detectors in time order.
//! A newest-first file is recognised from its first records, so records of
//! equal time keep the order they were written in.
//!
//! Smaller disorder (nginx writes a line when the request ends, so a long
//! request is logged after shorter later ones) is put in order by the
//! bounded reorder buffer of [`crate::reorder`]; the detectors also keep
//! first/last seen as the earliest/latest time and analyse attempts in time
//! order, for the few records fed late before that buffer engages.
//!
//! Standard input cannot be read twice: it is copied to an anonymous
//! temporary file while it is read ([`StdinSpool`]), so it can be sorted like
//! a file. When that copy fails (disk full) and the input turns out to be out
//! of order, the stream is reported as an error naming `-:LINE`.

use crate::spool::Sorter;
use crate::{HuntOptions, StreamResult, MAX_REJECT_SAMPLES};
use haboob_ingest::{
    read_input, read_into, read_reader, read_reader_into, IngestError, Input, ReadOptions,
    ReadStats,
};
use haboob_model::{EventRef, Origin, Ts};
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::sync::atomic::{AtomicU64, Ordering};

/// Default tolerance for records earlier than the latest one read, seconds.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// Memory for ordering one stream (`[ingest] sort_buffer_mb`), bytes: the
/// sort's runs, and the reorder buffer of [`crate::reorder`].
pub(crate) fn sort_buffer_bytes(opts: &HuntOptions) -> usize {
    usize::try_from(opts.config.ingest.sort_buffer_mb.max(1))
        .unwrap_or(usize::MAX)
        .saturating_mul(1 << 20)
}

/// Where a stream first went back in time by more than the tolerance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disorder {
    /// Input name.
    pub file: String,
    /// 1-based line (or record) number.
    pub line: u64,
    /// How far the record lies before the latest time read, ms.
    pub behind_ms: i64,
}

/// Watches that one stream is fed in time order, within a tolerance.
#[derive(Debug, Clone)]
pub struct OrderGuard {
    tolerance_ms: i64,
    max: i64,
    disorder: Option<Disorder>,
}

impl OrderGuard {
    /// A guard allowing records up to `tolerance_secs` before the latest.
    pub fn new(tolerance_secs: u64) -> OrderGuard {
        OrderGuard {
            tolerance_ms: i64::try_from(tolerance_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
            max: i64::MIN,
            disorder: None,
        }
    }

    /// Whether the event may be fed. The first event beyond the tolerance
    /// is recorded as the stream's [`Disorder`]; it and every later event
    /// are refused.
    #[inline]
    pub fn admit(&mut self, ts: Ts, origin: &Origin<'_>) -> bool {
        if ts.0 >= self.max {
            self.max = ts.0;
            return self.disorder.is_none();
        }
        if self.disorder.is_some() {
            return false;
        }
        let behind = self.max.saturating_sub(ts.0);
        if behind > self.tolerance_ms {
            self.disorder = Some(Disorder {
                file: origin.file.to_owned(),
                line: origin.line,
                behind_ms: behind,
            });
            return false;
        }
        true
    }

    /// The recorded disorder, if any.
    pub fn disorder(&self) -> Option<&Disorder> {
        self.disorder.as_ref()
    }
}

/// Progress of one stream across its passes: bytes of the sorted pass are
/// reported only beyond what the first pass already reported.
pub(crate) struct Progress<'p> {
    inner: &'p (dyn Fn(u64) + Sync),
    first: AtomicU64,
    second: AtomicU64,
}

impl<'p> Progress<'p> {
    pub(crate) fn new(inner: &'p (dyn Fn(u64) + Sync)) -> Self {
        Progress {
            inner,
            first: AtomicU64::new(0),
            second: AtomicU64::new(0),
        }
    }

    /// Bytes read by the first pass.
    pub(crate) fn first_pass(&self, n: u64) {
        self.first.fetch_add(n, Ordering::Relaxed);
        (self.inner)(n);
    }

    fn second_pass(&self, n: u64) {
        let already = self.first.load(Ordering::Relaxed);
        let before = self.second.fetch_add(n, Ordering::Relaxed);
        let new = (before + n).saturating_sub(before.max(already));
        if new > 0 {
            (self.inner)(new);
        }
    }
}

/// A copy of standard input in an anonymous temporary file, made while it
/// is read, so that an out-of-order stdin can be read again and sorted.
#[derive(Debug, Default)]
pub(crate) struct StdinSpool {
    file: Option<File>,
    error: Option<String>,
}

impl StdinSpool {
    fn reader(&self) -> Result<File, String> {
        if let Some(e) = &self.error {
            return Err(format!(
                "standard input could not be kept for sorting ({e})"
            ));
        }
        let f = self
            .file
            .as_ref()
            .ok_or_else(|| "standard input was not kept".to_owned())?;
        let mut f = f.try_clone().map_err(|e| e.to_string())?;
        f.rewind().map_err(|e| e.to_string())?;
        Ok(f)
    }
}

/// Copies what it reads into the spool (gives up copying on a write error).
struct Tee<'s, R> {
    inner: R,
    spool: &'s mut StdinSpool,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(f) = self.spool.file.as_mut() {
            if let Err(e) = f.write_all(&buf[..n]) {
                tracing::warn!(error = %e, "Cannot keep a copy of standard input; it cannot be sorted if out of order.");
                self.spool.error = Some(e.to_string());
                self.spool.file = None;
            }
        }
        Ok(n)
    }
}

/// The first (in-order) pass's read: files as usual, stdin through the spool.
pub(crate) fn read_first(
    input: &Input,
    ro: &ReadOptions,
    progress: &(dyn Fn(u64) + Sync),
    spool: &mut StdinSpool,
    mut on_event: &mut dyn FnMut(&EventRef<'_>, &Origin<'_>),
    stats: &mut ReadStats,
) -> Result<(), IngestError> {
    match input {
        Input::File(_) => read_into(input, ro, progress, &mut on_event, stats),
        Input::Stdin => {
            if spool.file.is_none() && spool.error.is_none() {
                match tempfile::tempfile() {
                    Ok(f) => spool.file = Some(f),
                    Err(e) => spool.error = Some(e.to_string()),
                }
            }
            let tee = Tee {
                inner: io::stdin().lock(),
                spool,
            };
            read_reader_into(tee, "-", ro, progress, &mut on_event, stats)
        }
    }
}

/// A read of the sorted pass (`limit`: stop after about this many bytes).
fn read_again(
    input: &Input,
    ro: &ReadOptions,
    progress: &(dyn Fn(u64) + Sync),
    spool: &StdinSpool,
    limit: Option<u64>,
    on_event: &mut dyn FnMut(&EventRef<'_>, &Origin<'_>),
) -> Result<ReadStats, String> {
    let name = input.display();
    let file = match input {
        Input::Stdin => spool.reader().map_err(|e| format!("-: {e}"))?,
        Input::File(p) => match limit {
            None => return read_input(input, ro, progress, on_event).map_err(|e| e.to_string()),
            Some(_) => File::open(p).map_err(|e| format!("cannot open {name}: {e}"))?,
        },
    };
    let res = match limit {
        Some(n) => read_reader(file.take(n), &name, ro, progress, on_event),
        None => read_reader(file, &name, ro, progress, on_event),
    };
    res.map_err(|e| e.to_string())
}

/// Records looked at to tell a newest-first file.
const PROBE_EVENTS: usize = 1024;
/// Bytes read (at most) to find them.
const PROBE_BYTES: u64 = 256 * 1024;

/// Counts steps forward and back in time between consecutive records.
#[derive(Debug, Default, Clone, Copy)]
pub struct Direction {
    last: Option<i64>,
    seen: usize,
    /// Steps to a later time.
    pub forward: u64,
    /// Steps to an earlier time.
    pub back: u64,
}

impl Direction {
    /// Count one record's time (only the first [`PROBE_EVENTS`] count).
    pub fn step(&mut self, ts: Ts) {
        if self.seen >= PROBE_EVENTS {
            return;
        }
        self.seen += 1;
        if let Some(l) = self.last {
            if ts.0 > l {
                self.forward += 1;
            } else if ts.0 < l {
                self.back += 1;
            }
        }
        self.last = Some(ts.0);
    }

    /// At least two steps back, and nine in ten steps go back.
    pub fn newest_first(&self) -> bool {
        self.back >= 2 && self.back * 10 >= (self.back + self.forward) * 9
    }
}

/// Whether an input is written newest first, from its first records read as
/// text (record-framed EVTX files are not recognised as text and are taken as
/// written oldest first).
fn newest_first(input: &Input, ro: &ReadOptions, spool: &StdinSpool) -> bool {
    if ro.format.is_some_and(|f| f.is_record_format()) {
        return false;
    }
    let mut dir = Direction::default();
    let probe = ReadOptions {
        strict: false,
        ..ro.clone()
    };
    // The prefix ends mid-line or mid-stream: that read error is expected.
    let _ = read_again(
        input,
        &probe,
        &|_| {},
        spool,
        Some(PROBE_BYTES),
        &mut |ev, _| dir.step(ev.ts()),
    );
    dir.newest_first()
}

/// Hunt a stream again in time order, from scratch (see the module docs).
pub(crate) fn rehunt_sorted(
    stream: &[Input],
    opts: &HuntOptions,
    base: &ReadOptions,
    progress: &Progress<'_>,
    spool: &StdinSpool,
    disorder: &Disorder,
) -> StreamResult {
    let mut res = StreamResult::default();
    let at = format!(
        "{}:{}: out of time order by {} s (tolerance {} s)",
        disorder.file,
        disorder.line,
        disorder.behind_ms / 1000,
        opts.config.ingest.order_tolerance_secs
    );
    if stream.iter().any(|i| matches!(i, Input::Stdin)) {
        if let Err(e) = spool.reader() {
            res.errors
                .push(format!("{at}, and {e}; its alerts are not reported"));
            return res;
        }
    }
    let names: Vec<String> = stream.iter().map(Input::display).collect();
    let mut sorter = Sorter::new(sort_buffer_bytes(opts));
    let mut io_err: Option<io::Error> = None;
    let mut trip_newest_first = false;
    let second = |n| progress.second_pass(n);
    for (fi, input) in stream.iter().enumerate() {
        // The sorted pass is not stopped by a strict failure elsewhere (it
        // only starts when none happened).
        let ro = ReadOptions {
            stop: None,
            stop_input: None,
            ..crate::read_options(input, opts, base)
        };
        let desc = newest_first(input, &ro, spool);
        if desc {
            res.notices.push(format!(
                "{}: records are newest-first; read in time order",
                names[fi]
            ));
            trip_newest_first |= names[fi] == disorder.file;
        }
        let fi32 = u32::try_from(fi).unwrap_or(u32::MAX);
        let read = read_again(input, &ro, &second, spool, None, &mut |ev, origin| {
            if io_err.is_some() {
                return;
            }
            let line_key = if desc {
                u64::MAX - origin.line
            } else {
                origin.line
            };
            if let Err(e) = sorter.push(fi32, line_key, ev, origin) {
                io_err = Some(e);
            }
        });
        match read {
            Ok(s) => res.stats.merge(s, MAX_REJECT_SAMPLES),
            Err(e) => {
                tracing::debug!(input = %names[fi], error = %e, "Input failed.");
                res.errors.push(e);
            }
        }
    }
    if !trip_newest_first {
        res.notices.push(format!(
            "{at}; the stream was sorted by time before hunting"
        ));
    }
    tracing::debug!(runs = sorter.spilled_runs(), "Sorting a stream.");
    let bytes = stream.iter().filter_map(Input::len).sum();
    let lanes = crate::lanes::lanes_for_stream(opts, bytes);
    let (done, out) = crate::lanes::with_sink(opts, lanes, |feed| match io_err {
        Some(e) => Err(e),
        None => sorter.finish(&names, &mut |_, ev, origin| feed.observe(ev, origin)),
    });
    match done {
        Ok(()) => {
            (res.alerts, res.packed, res.travel, res.sigma) =
                (out.alerts, out.packed, out.travel, out.sigma)
        }
        Err(e) => res.errors.push(format!(
            "{at} and the stream could not be sorted (temporary file: {e}); its alerts are not reported"
        )),
    }
    res
}

#[cfg(test)]
#[path = "order_tests.rs"]
mod tests;
