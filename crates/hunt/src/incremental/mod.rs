//! Incremental hunting: run from cron over logs that keep growing, each run
//! reads only what is new and gives the report one hunt over everything
//! would give (same alert ids and contents, campaigns and funnel).
//!
//! [`hunt_incremental`] takes the previous run's checkpoint and returns the
//! next. The checkpoint carries, per stream (a file, or a rotation group
//! keyed by folder and stem, see [`crate::streams::stream_key`]):
//! - the read position of each file ([`position`]: growth, rotation,
//!   truncation and compressed rotations recognised by identity and content);
//! - every detector's windowed state, saved before the end-of-input flush
//!   (the flush that reports still-open windows runs on the live detectors
//!   after the save, so the state carried on is the unflushed one);
//! - the alerts emitted so far for closed windows, before merging: each run
//!   merges, suppresses and groups all of them into campaigns exactly as a
//!   batch hunt does. An alert reported for a window still open may be
//!   replaced by a later run (its window grew): its id is in
//!   [`Incremental::retracted`].
//!
//! What differs from a batch hunt, by design of this increment:
//! - one detection lane per stream (`[hunt] detection_lanes` is not used;
//!   lanes give the same alerts, only slower on one very large stream);
//! - records out of time order beyond `[ingest] order_tolerance_secs` are
//!   fed as read (a batch hunt hunts such a stream again, sorted): a notice
//!   says how many; disorder within the tolerance is put in order within
//!   each run, as in a batch hunt;
//! - Sigma rules run over the lines read in each run only: their alerts are
//!   kept from run to run, but an aggregation or correlation window does not
//!   span two runs, and the timeline and per-rule counts are this run's;
//! - standard input is read whole every run and never resumes (its
//!   detector state is not carried);
//! - a final line without `\n` is left for the next run (it may be being
//!   written); a batch hunt reads it as it is.
//!
//! Memory stays bounded: the checkpoint holds the detectors' windowed,
//! evicted state and the alerts, never the log.

pub(crate) mod checkpoint;
pub mod position;

pub use checkpoint::{ResumeError, CHECKPOINT_VERSION};

use crate::feed::Feed;
use crate::{
    assemble, base_read_options, is_found, order, read_options, reorder, streams, HuntOptions,
    HuntReport, StreamResult,
};
use checkpoint::{Checkpoint, StreamCk};
use haboob_ingest::{IngestError, Input, ReadOptions, ReadStats};
use haboob_model::{Alert, EventRef, Origin};
use position::{FileOutcome, Positions};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What one incremental run gives.
#[derive(Debug, Clone, Default)]
pub struct Incremental {
    /// The report over everything read so far, as one hunt would give it.
    pub report: HuntReport,
    /// The state to hand the next run (opaque, versioned, compressed).
    pub checkpoint: Vec<u8>,
    /// Ids of alerts the previous run reported that this run does not (an
    /// alert of a window that was still open and has grown since).
    pub retracted: Vec<String>,
    /// What was read.
    pub read: ReadSummary,
}

/// What an incremental run read and did not read again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadSummary {
    /// Files of which new lines were read.
    pub files_read: u64,
    /// Content bytes read (decompressed for compressed files).
    pub bytes_read: u64,
    /// Files with nothing new since the last run.
    pub files_unchanged: u64,
    /// Compressed files read in full by an earlier run, not opened again.
    pub files_already_read: u64,
    /// Content bytes not read again (before each file's resume offset).
    pub bytes_skipped: u64,
    /// Files recognised as rotations of files read before, one line each.
    pub rotated: Vec<String>,
    /// Files truncated (or rewritten) since the last run and read again
    /// from their start, one line each.
    pub truncated: Vec<String>,
}

impl ReadSummary {
    fn add(&mut self, o: FileOutcome) {
        if o.already {
            self.files_already_read += 1;
        } else if o.any {
            self.files_read += 1;
        } else {
            self.files_unchanged += 1;
        }
        self.bytes_read += o.read;
        self.bytes_skipped += o.skipped;
        self.rotated.extend(o.rotated);
        self.truncated.extend(o.truncated);
    }

    fn absorb(&mut self, o: ReadSummary) {
        self.files_read += o.files_read;
        self.bytes_read += o.bytes_read;
        self.files_unchanged += o.files_unchanged;
        self.files_already_read += o.files_already_read;
        self.bytes_skipped += o.bytes_skipped;
        self.rotated.extend(o.rotated);
        self.truncated.extend(o.truncated);
    }
}

/// Hunt what is new in `inputs` since the run that wrote `prev` (`None`:
/// the first run, everything is new), carrying detector windows across runs.
///
/// Streams of the checkpoint not among `inputs` keep their state and their
/// alerts (they are still reported). Input errors are in the report, as in
/// [`crate::hunt`].
///
/// # Errors
/// A `prev` checkpoint of another format version or configuration, or one
/// that does not decode, is refused ([`ResumeError`]): hunt from scratch
/// (`prev = None`) or keep the old state apart.
pub fn hunt_incremental(
    inputs: &[Input],
    opts: &HuntOptions,
    prev: Option<&[u8]>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Incremental, ResumeError> {
    let config = checkpoint::config_hash(opts);
    let mut ck = match prev {
        Some(blob) => checkpoint::decode(blob, config)?,
        None => Checkpoint::default(),
    };
    ck.runs += 1;
    let run = ck.runs;
    let stop = Arc::new(AtomicBool::new(false));
    let base = base_read_options(opts, &stop);
    let mut jobs: Vec<(Vec<Input>, Option<String>, Option<StreamCk>)> = streams::group(inputs)
        .into_iter()
        .map(|s| {
            let key = streams::stream_key(&s);
            let prev = key.as_ref().and_then(|k| ck.streams.remove(k));
            (s, key, prev)
        })
        .collect();
    // Streams not given this run: their state and alerts carry on.
    for (key, prev) in std::mem::take(&mut ck.streams) {
        jobs.push((Vec::new(), Some(key), Some(prev)));
    }
    let ran: Vec<Result<StreamRun, ResumeError>> = jobs
        .into_par_iter()
        .map(|(stream, key, prev)| {
            let c = Ctx {
                opts,
                base: &base,
                progress,
                stop: &stop,
                run,
            };
            run_stream(&c, &stream, key, prev)
        })
        .collect();
    let mut results = Vec::with_capacity(ran.len());
    let mut read = ReadSummary::default();
    for r in ran {
        let r = r?;
        if let (Some(key), Some(state)) = (r.key, r.state) {
            ck.streams.insert(key, state);
        }
        read.absorb(r.read);
        results.push(r.result);
    }
    let report = assemble(results, opts);
    let now: BTreeSet<&str> = report.alerts.iter().map(|a| a.id.as_str()).collect();
    let retracted = ck
        .reported
        .iter()
        .filter(|id| !now.contains(id.as_str()))
        .cloned()
        .collect();
    ck.reported = report.alerts.iter().map(|a| a.id.clone()).collect();
    let checkpoint = checkpoint::encode(&ck, config)?;
    Ok(Incremental {
        report,
        checkpoint,
        retracted,
        read,
    })
}

/// What every stream of a run shares.
struct Ctx<'a> {
    opts: &'a HuntOptions,
    base: &'a ReadOptions,
    progress: &'a (dyn Fn(u64) + Sync),
    stop: &'a AtomicBool,
    run: u64,
}

/// One stream's run.
struct StreamRun {
    key: Option<String>,
    state: Option<StreamCk>,
    result: StreamResult,
    read: ReadSummary,
}

fn run_stream(
    c: &Ctx<'_>,
    stream: &[Input],
    key: Option<String>,
    prev: Option<StreamCk>,
) -> Result<StreamRun, ResumeError> {
    let opts = c.opts;
    let state_err = |source| ResumeError::State {
        stream: key.clone().unwrap_or_else(|| "-".to_owned()),
        source,
    };
    let mut feed = Feed::new(opts);
    let prev = prev.unwrap_or_default();
    if !prev.detectors.is_empty() {
        feed.restore(prev.detectors).map_err(state_err)?;
    }
    let mut records = prev.files;
    let mut closed: Vec<Alert> = prev.alerts;
    let tolerance_ms = i64::try_from(opts.config.ingest.order_tolerance_secs.saturating_mul(1000))
        .unwrap_or(i64::MAX);
    let mut max_ts = prev.max_ts.unwrap_or(i64::MIN);
    let mut late = 0u64;
    let mut reorder = reorder::Reorder::new(
        opts.config.ingest.order_tolerance_secs,
        order::sort_buffer_bytes(opts),
    );
    let present: HashSet<(u64, u64)> = stream
        .iter()
        .filter_map(|i| match i {
            Input::File(p) => std::fs::metadata(p).ok().map(|m| position::identity(&m)),
            Input::Stdin => None,
        })
        .filter(|id| *id != (0, 0))
        .collect();
    let mut stats = ReadStats::default();
    let (mut errors, mut skipped, mut notices) = (Vec::new(), Vec::new(), Vec::new());
    let mut read = ReadSummary::default();
    for input in stream {
        if c.stop.load(Ordering::Relaxed) {
            break;
        }
        let ro = read_options(input, opts, c.base);
        let mut sink = |ev: &EventRef<'_>, o: &Origin<'_>| {
            let ts = ev.ts().0;
            if ts < max_ts.saturating_sub(tolerance_ms) {
                late += 1;
            }
            max_ts = max_ts.max(ts);
            reorder.push(ev, o, &mut |ev, o| feed.observe(ev, o));
        };
        let res = match input {
            Input::Stdin => haboob_ingest::read_into(input, &ro, c.progress, &mut sink, &mut stats),
            Input::File(p) => {
                let mut pos = Positions {
                    records: &mut records,
                    present: &present,
                    run: c.run,
                };
                pos.read(p, &input.display(), &ro, c.progress, &mut sink, &mut stats)
                    .map(|o| read.add(o))
            }
        };
        match res {
            Ok(()) => {}
            Err(IngestError::Stopped { .. }) => break,
            Err(e @ (IngestError::UnknownFormat { .. } | IngestError::NotALog { .. }))
                if is_found(input, opts) =>
            {
                stats.files = stats.files.saturating_sub(1);
                skipped.push(format!("{}: not a log this tool reads", input.display()));
                tracing::debug!(input = %input.display(), error = %e, "Skipped: not a log.");
            }
            Err(e) => {
                if matches!(e, IngestError::Strict { .. }) {
                    c.stop.store(true, Ordering::Relaxed);
                }
                errors.push(e.to_string());
            }
        }
    }
    reorder.drain(&mut |ev, o| feed.observe(ev, o));
    let name = stream
        .first()
        .map_or_else(|| key.clone().unwrap_or_default(), Input::display);
    if late > 0 {
        notices.push(format!(
            "{name}: {late} records more than [ingest] order_tolerance_secs out of time order were fed as read (incremental hunting does not hunt a stream again sorted)"
        ));
    }
    if reorder.released_early() > 0 {
        notices.push(format!(
            "{name}: {} records out of time order were fed before the order was settled: the reorder buffer ([ingest] sort_buffer_mb) was full",
            reorder.released_early()
        ));
    }
    notices.extend(read.rotated.iter().cloned());
    notices.extend(read.truncated.iter().cloned());
    closed.extend(feed.take_alerts());
    let carried = stream.iter().any(|i| matches!(i, Input::File(_))) || key.is_some();
    let detectors = if carried {
        feed.save().map_err(state_err)?
    } else {
        Vec::new()
    };
    let (out, sigma_alerts) = feed.finish_split();
    closed.extend(sigma_alerts);
    let mut alerts = closed.clone();
    alerts.extend(out.alerts);
    position::Positions::prune(&mut records, c.run);
    let state = key.as_ref().map(|_| StreamCk {
        files: records,
        detectors,
        alerts: closed,
        max_ts: (max_ts != i64::MIN).then_some(max_ts),
    });
    Ok(StreamRun {
        key,
        state,
        result: StreamResult {
            alerts,
            stats,
            errors,
            notices,
            skipped,
            travel: out.travel,
            sigma: out.sigma,
        },
        read,
    })
}
