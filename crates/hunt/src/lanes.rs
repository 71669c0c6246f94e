//! Detection lanes: one large stream's detection spread over cores, with the
//! same alerts at any thread count.
//!
//! Most detection state is keyed by one source: its address, (address,
//! site), or its network as [`haboob_model::ip_prefix`] gives it (/24, /64).
//! A stream of at least `[hunt] lanes_min_mb` is therefore hunted by
//! `[hunt] detection_lanes` *source lanes*, each holding those detectors for
//! the sources whose network hashes to it ([`lane_of`]: a network never
//! straddles two lanes), plus one *shared lane* with the detectors that
//! compare sources (`web.sweep`, the account-attack engine), which sees every
//! event ([`haboob_detect::Part`]). The number of lanes is configuration, not
//! the number of threads: with one thread the lanes run in turn, with more
//! they run at once, and each lane sees the same events in the same order
//! either way.
//!
//! The reading thread copies what the reorder buffer (or the sorted pass)
//! hands it into a batch of about [`BATCH_BYTES`]: each record's raw line
//! copied once, a web request held in 80 bytes with its texts as 16-bit
//! ranges of that line (a text outside it, such as the site name from the
//! options, copied once aside; other events, and the rare request that does
//! not fit, with [`haboob_ingest::codec`]). Records and lines are appended
//! to the part of the batch of their source lane (one more part holds those
//! of no source lane), so that a source lane walks its own records and
//! lines in memory order; the batch notes each record's part, and the
//! shared lane walks the parts in that order, taking the records marked for
//! it. Full batches are queued (at most [`IN_FLIGHT`]) while the next one fills. Each
//! lane runs the queued batches in order, one at a time, on whichever
//! thread is free: pool threads take lanes as long as one can run, and the
//! reading thread runs lanes (or waits) only when the queue is full; there
//! is no barrier per batch, so a lane that is behind catches up while the
//! next batch is read.
//!
//! A web request is decoded and classified once: its source lane's web
//! detectors write what the shared lane's web rules read of what they
//! computed (the decoded target, the path's and site's hashes, the static
//! flag, the exploit classes) as a [`Note`] beside the batch, and the
//! shared lane reads it instead of computing it again. So the shared lane
//! runs a batch only once every source lane has. Memory: at most
//! [`IN_FLIGHT`] + 1 batches (with their notes) and the spare ones.

use crate::feed::{Feed, FeedOut};
use crate::HuntOptions;
use batch::{Batch, Notes};
use haboob_detect::{Note, Part};
use haboob_model::{EventRef, Origin};
use rayon::prelude::*;
use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

#[path = "lane_batch.rs"]
mod batch;

/// Text (raw lines) per batch before it is handed to the lanes: a batch
/// (about 330 KiB with its records) is smaller than a core's L2 cache
/// (1 MiB on the machine measured), so more of it is still cached when the
/// next lane walks it (the walks cost less than with 1 MiB batches).
pub(crate) const BATCH_BYTES: usize = 256 << 10;
/// Full batches the reading thread may hand over before it waits (or runs
/// lanes itself).
const IN_FLIGHT: usize = 4;
/// Lane byte: the record goes to the shared lane.
const TO_SHARED: u8 = 0x80;
/// Lane byte: no source lane.
const NO_SOURCE: u8 = 0x7f;
/// Most source lanes.
pub(crate) const MAX_LANES: usize = 64;

/// A 64-bit finaliser (splitmix) of a network's bits: neighbouring
/// networks spread evenly over the lanes.
#[inline]
pub(crate) fn spread(net: u64) -> u64 {
    let mut x = net ^ (net >> 30);
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The source lane of an address, out of `lanes`: a hash of its network
/// (/24 for IPv4, /64 for IPv6, as the per-prefix detectors group).
#[inline]
pub(crate) fn lane_of(ip: IpAddr, lanes: usize) -> usize {
    // The network's bits, as `haboob_model::ip_prefix` masks them.
    let net = match ip {
        IpAddr::V4(a) => u64::from(u32::from(a)) >> 8,
        IpAddr::V6(a) => (u128::from(a) >> 64) as u64,
    };
    let x = spread(net);
    let n = lanes.max(1) as u64;
    // The same lane as `x % n`, without a division for 2, 4, 8… lanes.
    let lane = if n.is_power_of_two() {
        x & (n - 1)
    } else {
        x % n
    };
    lane as usize
}

/// Which lanes an event goes to: its source lane, and whether the shared
/// lane needs it. Web requests feed both (`web.sweep` compares sources);
/// firewall denials only their source's; network observations only the
/// lane of their client (the internal host: `intel.victim` keeps one
/// host's episodes in one lane; no shared detector reads them); sign-ins,
/// and any other kind of event, only the shared lane.
#[inline]
fn lanes_for(ev: &EventRef<'_>, lanes: usize) -> u8 {
    match ev {
        EventRef::Web(w) => TO_SHARED | lane_of(w.source_ip, lanes) as u8,
        EventRef::Waf(w) => lane_of(w.source_ip, lanes) as u8,
        EventRef::Net(haboob_model::NetEvent {
            client: Some(c), ..
        }) => lane_of(*c, lanes) as u8,
        _ => TO_SHARED | NO_SOURCE,
    }
}

/// One lane: which records it takes, and its detectors.
struct Lane<'o> {
    /// Source lane number, or `None` for the shared lane.
    source: Option<u8>,
    feed: Feed<'o>,
}

impl Lane<'_> {
    fn run(&mut self, b: &Batch) {
        match self.source {
            Some(i) => self.run_source(b, usize::from(i)),
            None => self.run_shared(b),
        }
    }

    /// Run source lane `i` on its records of `b`, writing a note on each
    /// web request.
    fn run_source(&mut self, b: &Batch, i: usize) {
        let Some(notes) = b.notes.get(i) else {
            return;
        };
        let feed = &mut self.feed;
        let mut notes = lock(notes);
        let Notes { buf, ends } = &mut *notes;
        buf.clear();
        ends.clear();
        b.each(i, &mut |index, _, ev, o| {
            if matches!(ev, EventRef::Web(_)) {
                feed.observe_noted(ev, o, Note::Write(buf));
                ends.push((index, u32::try_from(buf.len()).unwrap_or(u32::MAX)));
            } else {
                feed.observe(ev, o);
            }
        });
    }

    /// Run the shared lane on `b`, whose source lanes have run: each web
    /// request with the note its source lane wrote.
    fn run_shared(&mut self, b: &Batch) {
        let feed = &mut self.feed;
        let notes: Vec<MutexGuard<'_, Notes>> = b.notes.iter().map(|n| lock(n)).collect();
        // Per source lane: the next of its `ends`, and where its note starts.
        let mut at = vec![(0usize, 0usize); notes.len()];
        b.each_shared(&mut |index, lanes, ev, o| {
            let l = usize::from(lanes & NO_SOURCE);
            let (Some(n), Some((next, start))) = (notes.get(l), at.get_mut(l)) else {
                feed.observe(ev, o);
                return;
            };
            if !matches!(ev, EventRef::Web(_)) {
                feed.observe(ev, o);
                return;
            }
            // The source lane ran its records in this order; one it could
            // not read back has no note (then this lane skips it too).
            while let Some(&(_, end)) = n.ends.get(*next).filter(|(i, _)| *i < index) {
                *next += 1;
                *start = end as usize;
            }
            let note = match n.ends.get(*next) {
                Some(&(i, end)) if i == index => {
                    let note = n.buf.get(*start..end as usize).unwrap_or_default();
                    *next += 1;
                    *start = end as usize;
                    note
                }
                _ => &[],
            };
            feed.observe_noted(ev, o, Note::Read(note));
        });
    }
}

/// Batches handed over that some lane has still to run, and where each lane
/// is: a lane runs the batches in order, one at a time; the shared lane runs
/// a batch once every source lane has (its notes are written).
#[derive(Default)]
struct Pipe {
    /// Batches in order; the first is number `first`.
    queue: VecDeque<Arc<Batch>>,
    first: u64,
    /// Per lane (source lanes, then the shared lane): the number of the
    /// next batch it runs, and whether a thread is running it.
    next: Vec<u64>,
    busy: Vec<bool>,
    /// Batches every lane has run, for reuse.
    spare: Vec<Batch>,
    /// Pool threads taking lanes.
    workers: usize,
}

impl Pipe {
    /// A lane that can run its next batch (the one furthest behind), marked
    /// busy, and that batch.
    fn claim(&mut self) -> Option<(usize, Arc<Batch>)> {
        let end = self.first + self.queue.len() as u64;
        let shared = self.next.len().checked_sub(1)?;
        let sources_done = self.next[..shared].iter().copied().min().unwrap_or(end);
        let (i, n) = self
            .next
            .iter()
            .enumerate()
            .filter(|&(i, &n)| !self.busy[i] && n < end && (i < shared || n < sources_done))
            .min_by_key(|&(_, &n)| n)?;
        let b = self.queue.get(usize::try_from(n - self.first).ok()?)?;
        let b = Arc::clone(b);
        self.busy[i] = true;
        Some((i, b))
    }

    /// Lane `i` has run its batch: move it on; keep the batches every lane
    /// has run for reuse.
    fn done(&mut self, i: usize) {
        self.next[i] += 1;
        self.busy[i] = false;
        let behind = self.next.iter().copied().min().unwrap_or(0);
        while self.first < behind {
            let Some(b) = self.queue.pop_front() else {
                break;
            };
            self.first += 1;
            if let Ok(b) = Arc::try_unwrap(b) {
                self.spare.push(b);
            }
        }
    }
}

/// What the reading thread and the pool threads share.
pub(crate) struct Shared<'o> {
    lanes: Vec<Mutex<Lane<'o>>>,
    pipe: Mutex<Pipe>,
    /// A lane has run a batch.
    moved: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking lane is reported by rayon; its state is not reused.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<'o> Shared<'o> {
    /// The lanes of [`lane_feeds`]: source lanes, then the shared lane.
    fn new(feeds: Vec<Feed<'o>>) -> Shared<'o> {
        let shared = feeds.len().saturating_sub(1);
        let lanes: Vec<_> = feeds
            .into_iter()
            .enumerate()
            .map(|(i, feed)| {
                Mutex::new(Lane {
                    source: (i < shared).then_some(i as u8),
                    feed,
                })
            })
            .collect();
        let pipe = Pipe {
            next: vec![0; lanes.len()],
            busy: vec![false; lanes.len()],
            ..Pipe::default()
        };
        Shared {
            lanes,
            pipe: Mutex::new(pipe),
            moved: Condvar::new(),
        }
    }

    /// Run lane `i` on `b`, then mark it done.
    fn run(&self, i: usize, b: Arc<Batch>) {
        lock(&self.lanes[i]).run(&b);
        drop(b);
        lock(&self.pipe).done(i);
        self.moved.notify_all();
    }

    /// A pool thread: run lanes while one can run.
    fn work(&self) {
        loop {
            let claimed = {
                let mut p = lock(&self.pipe);
                let c = p.claim();
                if c.is_none() {
                    p.workers -= 1;
                }
                c
            };
            let Some((i, b)) = claimed else { return };
            self.run(i, b);
        }
    }

    /// The reading thread: run lanes (or wait for the pool threads) until
    /// at most `in_flight` batches are left to run.
    fn drain(&self, in_flight: usize) {
        let mut p = lock(&self.pipe);
        while p.queue.len() > in_flight {
            if let Some((i, b)) = p.claim() {
                drop(p);
                self.run(i, b);
                p = lock(&self.pipe);
            } else {
                p = self
                    .moved
                    .wait(p)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        }
    }

    /// Queue a full batch; whether a pool thread should be started (fewer
    /// than `workers` are taking lanes).
    fn push(&self, batch: Batch, workers: usize) -> bool {
        let mut p = lock(&self.pipe);
        p.queue.push_back(Arc::new(batch));
        if p.workers < workers {
            p.workers += 1;
            true
        } else {
            false
        }
    }

    /// An empty batch for `lanes` source lanes: one every lane has run, or
    /// a new one.
    fn spare(&self, lanes: usize) -> Batch {
        let mut b = lock(&self.pipe)
            .spare
            .pop()
            .unwrap_or_else(|| Batch::new(lanes));
        b.clear();
        b
    }
}

/// Where one stream's events go: its detectors, or its lanes.
// One per stream, matched once per event: boxing the batch would add an
// indirection on the hot path and save nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Sink<'s, 'sc, 'o> {
    /// Every detector on the reading thread.
    One(Feed<'o>),
    /// No detectors (never built: [`lane_feeds`] gives at least one).
    Drop,
    /// Lanes (see the module docs).
    Lanes {
        shared: &'sc Shared<'o>,
        scope: &'s rayon::Scope<'sc>,
        lanes: usize,
        filling: Batch,
        /// [`BATCH_BYTES`] and [`IN_FLIGHT`] (smaller in tests).
        batch_bytes: usize,
        in_flight: usize,
    },
}

impl<'sc, 'o: 'sc> Sink<'_, 'sc, 'o> {
    /// Hand one event to the detectors.
    #[inline]
    pub(crate) fn observe(&mut self, ev: &EventRef<'_>, o: &Origin<'_>) {
        match self {
            Sink::One(feed) => feed.observe(ev, o),
            Sink::Drop => {}
            Sink::Lanes {
                lanes,
                filling,
                batch_bytes,
                ..
            } => {
                filling.push(lanes_for(ev, *lanes), ev, o);
                if filling.bytes() >= *batch_bytes {
                    self.hand_over();
                }
            }
        }
    }

    /// Queue the batch filled for the lanes (a pool thread starts taking
    /// them if too few are); run lanes while too many batches are queued.
    fn hand_over(&mut self) {
        let Sink::Lanes {
            shared,
            scope,
            lanes,
            filling,
            in_flight,
            ..
        } = self
        else {
            return;
        };
        let full = std::mem::replace(filling, shared.spare(*lanes));
        let workers = rayon::current_num_threads().saturating_sub(1);
        if shared.push(full, workers) {
            let shared: &'sc Shared<'o> = shared;
            scope.spawn(move |_| shared.work());
        }
        shared.drain(*in_flight);
    }

    /// Run everything handed over (end of stream).
    fn settle(&mut self) {
        if matches!(self, Sink::Lanes { filling, .. } if !filling.is_empty()) {
            self.hand_over();
        }
        if let Sink::Lanes { shared, .. } = self {
            shared.drain(0);
        }
    }
}

/// How many source lanes a stream of `bytes` is hunted with (1: no lanes;
/// always 1 on a one-thread pool).
pub(crate) fn lanes_for_stream(opts: &HuntOptions, bytes: u64) -> usize {
    let h = &opts.config.hunt;
    let lanes = configured_lanes(opts);
    // With one thread the lanes would only add the hand-over's cost.
    if rayon::current_num_threads() < 2 || bytes < h.lanes_min_mb.saturating_mul(1 << 20) {
        1
    } else {
        lanes
    }
}

/// `[hunt] detection_lanes`, at most [`MAX_LANES`]; 1 when lanes are off
/// (0 or 1).
pub(crate) fn configured_lanes(opts: &HuntOptions) -> usize {
    let lanes = usize::try_from(opts.config.hunt.detection_lanes)
        .unwrap_or(MAX_LANES)
        .min(MAX_LANES);
    if lanes < 2 {
        1
    } else {
        lanes
    }
}

/// Fresh feeds of a stream of `lanes` source lanes: every detector in one
/// feed (`lanes` < 2), else each source lane's, then the shared lane's.
pub(crate) fn lane_feeds(opts: &HuntOptions, lanes: usize) -> Vec<Feed<'_>> {
    if lanes < 2 {
        return vec![Feed::new(opts)];
    }
    let mut v: Vec<Feed<'_>> = (0..lanes)
        .map(|_| Feed::part(opts, Part::BySource { lanes }))
        .collect();
    v.push(Feed::part(opts, Part::Shared));
    v
}

/// Run `body` with a sink over `feeds` ([`lane_feeds`]: one feed, or source
/// lanes and the shared lane); every event handed over has been observed
/// when it returns. The feeds, unfinished, in the same order.
pub(crate) fn run_feeds<'o, R>(
    feeds: Vec<Feed<'o>>,
    body: impl FnOnce(&mut Sink<'_, '_, 'o>) -> R,
) -> (R, Vec<Feed<'o>>) {
    run_feeds_in(feeds, BATCH_BYTES, IN_FLIGHT, body)
}

/// [`run_feeds`] with batches of `batch_bytes` and at most `in_flight` of
/// them queued.
fn run_feeds_in<'o, R>(
    mut feeds: Vec<Feed<'o>>,
    batch_bytes: usize,
    in_flight: usize,
    body: impl FnOnce(&mut Sink<'_, '_, 'o>) -> R,
) -> (R, Vec<Feed<'o>>) {
    if feeds.len() < 2 {
        let Some(feed) = feeds.pop() else {
            return (body(&mut Sink::Drop), Vec::new());
        };
        let mut sink = Sink::One(feed);
        let r = body(&mut sink);
        let feeds = match sink {
            Sink::One(feed) => vec![feed],
            Sink::Lanes { .. } | Sink::Drop => Vec::new(),
        };
        return (r, feeds);
    }
    let lanes = feeds.len() - 1;
    let shared = Shared::new(feeds);
    let r = rayon::in_place_scope(|scope| {
        let mut sink = Sink::Lanes {
            shared: &shared,
            scope,
            lanes,
            filling: Batch::new(lanes),
            batch_bytes,
            in_flight,
        };
        let r = body(&mut sink);
        sink.settle();
        r
    });
    let feeds = shared
        .lanes
        .into_iter()
        .map(|l| {
            l.into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .feed
        })
        .collect();
    (r, feeds)
}

/// Run `body` with a sink for one stream of `lanes` source lanes (1: every
/// detector on this thread); then end the stream: its alerts (source lanes
/// first, then the shared lane), the travel track and the Sigma results.
pub(crate) fn with_sink<R>(
    opts: &HuntOptions,
    lanes: usize,
    body: impl FnOnce(&mut Sink<'_, '_, '_>) -> R,
) -> (R, FeedOut) {
    let mut feeds = lane_feeds(opts, lanes);
    let pack = opts.config.hunt.pack_alerts_after;
    if pack > 0 {
        let spill = crate::alert_spill::TempSpill::shared();
        let mib = opts.config.hunt.spill_alerts_after_mib;
        for f in &mut feeds {
            f.pack_after(pack, crate::alert_spill::store(&spill, mib));
        }
    }
    let (r, feeds) = run_feeds(feeds, body);
    let results: Vec<FeedOut> = if feeds.len() < 2 {
        feeds.into_iter().map(Feed::finish).collect()
    } else {
        feeds.into_par_iter().map(Feed::finish).collect()
    };
    let mut out = FeedOut::default();
    // One list of exactly every lane's alerts, not one grown lane by lane.
    out.alerts
        .reserve_exact(results.iter().map(|o| o.alerts.len()).sum());
    for o in results {
        out.absorb(o);
    }
    (r, out)
}

#[cfg(test)]
#[path = "lanes_tests.rs"]
mod tests;
