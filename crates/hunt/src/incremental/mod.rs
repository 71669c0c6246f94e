//! Incremental hunting: run from cron over logs that keep growing, each run
//! reads only what is new and gives the report one hunt over everything
//! would give (same alert ids and contents, campaigns and funnel).
//!
//! [`hunt_incremental`] takes the previous run's checkpoint and returns the
//! next. The checkpoint carries, per stream (a file, or a rotation group
//! keyed by folder and stem, see [`crate::streams::stream_key`]):
//! - the read position of each file ([`position`]: growth, rotation,
//!   truncation and compressed rotations recognised by identity and content);
//! - every detector's windowed state, per detection lane ([`crate::lanes`]),
//!   saved before the end-of-input flush (the flush that reports
//!   still-open windows runs on the live detectors after the save, so the
//!   state carried on is the unflushed one);
//! - the alerts emitted so far for closed windows, before merging: each run
//!   merges, suppresses and groups all of them into campaigns exactly as a
//!   batch hunt does. An alert reported for a window still open may be
//!   replaced by a later run (its window grew): its id is in
//!   [`Incremental::retracted`].
//!
//! Detection lanes: a stream is hunted in `[hunt] detection_lanes` source
//! lanes plus the shared lane whatever its size (`[hunt] lanes_min_mb` is
//! not used), so that its lane layout never depends on how many bytes one
//! run reads; the layout is fixed by the stream's first saved state and
//! kept in every later run (a changed `detection_lanes`, or a version-1
//! checkpoint, which kept one lane, leaves it as saved, with a notice),
//! since each detector window lives in one lane. The lanes run in turn on
//! one thread, so the layout does not depend on the thread count either.
//! Lanes give the same alerts as one lane unless a cap on tracked sources
//! binds (see [`crate::lanes`]).
//!
//! What differs from a batch hunt, by design of this increment:
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
mod prelude;

pub use checkpoint::{ResumeError, CHECKPOINT_VERSION};

use crate::feed::{Feed, FeedOut};
use crate::{
    assemble, base_read_options, is_found, lanes, order, read_options, reorder, streams,
    HuntOptions, HuntReport, StreamResult,
};
use checkpoint::{Checkpoint, StreamCk};
use haboob_detect::DetectorState;
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
    let reported: Vec<String> = report.alerts.iter().map(|a| a.id.clone()).collect();
    let now: BTreeSet<&str> = reported.iter().map(String::as_str).collect();
    let retracted = ck
        .reported
        .iter()
        .filter(|id| !now.contains(id.as_str()))
        .cloned()
        .collect();
    ck.reported = reported;
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
    let stream_name = key.clone().unwrap_or_else(|| "-".to_owned());
    let state_err = |source| ResumeError::State {
        stream: stream_name.clone(),
        source,
    };
    let prev = prev.unwrap_or_default();
    let name = stream
        .first()
        .map_or_else(|| key.clone().unwrap_or_default(), Input::display);
    let (feeds, lanes_notice) =
        restore_feeds(opts, key.is_some(), prev.lanes, &stream_name, &name)?;
    let mut notices: Vec<String> = lanes_notice.into_iter().collect();
    let mut records = prev.files;
    let mut closed: Vec<Alert> = prev.alerts;
    let mut max_ts = prev.max_ts.unwrap_or(i64::MIN);
    let (r, feeds) = lanes::run_feeds(feeds, |sink| {
        read_stream(c, stream, &mut records, &mut max_ts, sink)
    });
    if r.late > 0 {
        notices.push(format!(
            "{name}: {} records more than [ingest] order_tolerance_secs out of time order were fed as read (incremental hunting does not hunt a stream again sorted)",
            r.late
        ));
    }
    if r.released_early > 0 {
        notices.push(format!(
            "{name}: {} records out of time order were fed before the order was settled: the reorder buffer ([ingest] sort_buffer_mb) was full",
            r.released_early
        ));
    }
    notices.extend(r.read.rotated.iter().cloned());
    notices.extend(r.read.truncated.iter().cloned());
    let carried = stream.iter().any(|i| matches!(i, Input::File(_))) || key.is_some();
    // Each lane: the alerts of windows closed, its state before the flush,
    // then the flush (lanes in parallel, as a batch hunt ends them).
    let ended: Vec<Result<LaneEnd, ResumeError>> = feeds
        .into_par_iter()
        .map(|mut feed| {
            let closed = feed.take_alerts();
            let state = if carried {
                feed.save().map_err(state_err)?
            } else {
                Vec::new()
            };
            let (out, sigma) = feed.finish_split();
            Ok(LaneEnd {
                closed,
                state,
                out,
                sigma,
            })
        })
        .collect();
    let mut lanes = Vec::with_capacity(ended.len());
    let (mut out, mut sigma_alerts) = (FeedOut::default(), Vec::new());
    for e in ended {
        let e = e?;
        closed.extend(e.closed);
        lanes.push(e.state);
        out.absorb(e.out);
        sigma_alerts.extend(e.sigma);
    }
    closed.extend(sigma_alerts);
    if !carried {
        lanes.clear();
    }
    let mut alerts = closed.clone();
    alerts.extend(out.alerts);
    position::Positions::prune(&mut records, c.run);
    let state = key.as_ref().map(|_| StreamCk {
        files: records,
        lanes,
        alerts: closed,
        max_ts: (max_ts != i64::MIN).then_some(max_ts),
    });
    Ok(StreamRun {
        key,
        state,
        result: StreamResult {
            alerts,
            stats: r.stats,
            errors: r.errors,
            notices,
            skipped: r.skipped,
            travel: out.travel,
            sigma: out.sigma,
            packed: Default::default(),
        },
        read: r.read,
    })
}

/// What one lane left at the end of a run.
struct LaneEnd {
    /// Alerts of windows closed during the run.
    closed: Vec<Alert>,
    /// Its detectors' state before the flush.
    state: Vec<DetectorState>,
    /// The flush: alerts of open windows, travel, Sigma results.
    out: FeedOut,
    /// The Sigma rules' alerts (kept from run to run).
    sigma: Vec<Alert>,
}

/// The detection lanes of a stream, restored from its saved state, and a
/// notice when their layout is not the configured one. A stream keeps the
/// layout of its first saved state (a version-1 checkpoint: one lane), so
/// that every detector window carries on in the lane that holds it; a new
/// stream gets `[hunt] detection_lanes` whatever its size (so the layout
/// never depends on how much one run reads), standard input (never
/// resumed) the lanes a batch hunt gives it.
fn restore_feeds<'o>(
    opts: &'o HuntOptions,
    resumes: bool,
    saved: Vec<Vec<DetectorState>>,
    stream: &str,
    name: &str,
) -> Result<(Vec<Feed<'o>>, Option<String>), ResumeError> {
    let configured = if resumes {
        lanes::configured_lanes(opts)
    } else {
        lanes::lanes_for_stream(opts, 0)
    };
    let layout = match saved.len() {
        0 => configured,
        1 => 1,
        n if (3..=lanes::MAX_LANES + 1).contains(&n) => n - 1,
        n => {
            return Err(ResumeError::Lanes {
                stream: stream.to_owned(),
                lanes: n,
            })
        }
    };
    let notice = (layout != configured).then(|| {
        format!(
            "{name}: detected in {} as its saved state was ([hunt] detection_lanes is {}): a stream keeps the lanes its detector windows were saved in; hunt it into a new store to change them",
            describe_lanes(layout),
            opts.config.hunt.detection_lanes
        )
    });
    let mut feeds = lanes::lane_feeds(opts, layout);
    for (feed, states) in feeds.iter_mut().zip(saved) {
        if !states.is_empty() {
            feed.restore(states).map_err(|source| ResumeError::State {
                stream: stream.to_owned(),
                source,
            })?;
        }
    }
    Ok((feeds, notice))
}

fn describe_lanes(layout: usize) -> String {
    if layout < 2 {
        "one detection lane".to_owned()
    } else {
        format!("{layout} source lanes and the shared lane")
    }
}

/// What reading one stream's new lines gave.
#[derive(Default)]
struct Reading {
    stats: ReadStats,
    errors: Vec<String>,
    skipped: Vec<String>,
    read: ReadSummary,
    /// Records more than the tolerance out of time order (fed as read).
    late: u64,
    /// Records the reorder buffer released before their turn.
    released_early: u64,
}

/// Read what is new in the files of `stream` into `sink`, in time order
/// within the tolerance, moving the read positions `records` on.
fn read_stream(
    c: &Ctx<'_>,
    stream: &[Input],
    records: &mut Vec<position::FilePos>,
    max_ts: &mut i64,
    sink: &mut lanes::Sink<'_, '_, '_>,
) -> Reading {
    let opts = c.opts;
    let tolerance_ms = i64::try_from(opts.config.ingest.order_tolerance_secs.saturating_mul(1000))
        .unwrap_or(i64::MAX);
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
    let mut r = Reading::default();
    for input in stream {
        if c.stop.load(Ordering::Relaxed) {
            break;
        }
        let ro = read_options(input, opts, c.base);
        let late = &mut r.late;
        let mut feed = |ev: &EventRef<'_>, o: &Origin<'_>| {
            let ts = ev.ts().0;
            if ts < max_ts.saturating_sub(tolerance_ms) {
                *late += 1;
            }
            *max_ts = (*max_ts).max(ts);
            reorder.push(ev, o, &mut |ev, o| sink.observe(ev, o));
        };
        let res = match input {
            Input::Stdin => {
                haboob_ingest::read_into(input, &ro, c.progress, &mut feed, &mut r.stats)
            }
            Input::File(p) => {
                let mut pos = Positions {
                    records,
                    present: &present,
                    run: c.run,
                };
                pos.read(
                    p,
                    &input.display(),
                    &ro,
                    c.progress,
                    &mut feed,
                    &mut r.stats,
                )
                .map(|o| r.read.add(o))
            }
        };
        match res {
            Ok(()) => {}
            Err(IngestError::Stopped { .. }) => break,
            Err(e @ (IngestError::UnknownFormat { .. } | IngestError::NotALog { .. }))
                if is_found(input, opts) =>
            {
                r.stats.files = r.stats.files.saturating_sub(1);
                r.skipped
                    .push(format!("{}: not a log this tool reads", input.display()));
                tracing::debug!(input = %input.display(), error = %e, "Skipped: not a log.");
            }
            Err(e) => {
                if matches!(e, IngestError::Strict { .. }) {
                    c.stop.store(true, Ordering::Relaxed);
                }
                r.errors.push(e.to_string());
            }
        }
    }
    reorder.drain(&mut |ev, o| sink.observe(ev, o));
    r.released_early = reorder.released_early();
    r
}

#[cfg(test)]
mod tests;
