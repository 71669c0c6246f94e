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
//! copied once, a web request's fields stored as ranges of it (other events
//! with [`haboob_ingest::codec`]), tagged with its lanes. A full batch is handed to the lanes while the next
//! one fills; a lane is claimed by whichever thread is free (a pool thread,
//! or the reading thread when it has to wait). Memory: two batches.

use crate::feed::{Feed, FeedOut};
use crate::HuntOptions;
use haboob_detect::Part;
use haboob_ingest::codec::{decode, encode};
use haboob_model::{EventRef, Origin};
use rayon::prelude::*;
use std::net::IpAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Text (raw lines) per batch before it is handed to the lanes.
pub(crate) const BATCH_BYTES: usize = 4 << 20;
/// Lane byte: the record goes to the shared lane.
const TO_SHARED: u8 = 0x80;
/// Lane byte: no source lane.
const NO_SOURCE: u8 = 0x7f;
/// Most source lanes.
pub(crate) const MAX_LANES: usize = 64;

/// The source lane of an address, out of `lanes`: a hash of its network
/// (/24 for IPv4, /64 for IPv6, as the per-prefix detectors group).
pub(crate) fn lane_of(ip: IpAddr, lanes: usize) -> usize {
    let net = match haboob_model::ip_prefix(ip).network {
        IpAddr::V4(a) => u64::from(u32::from(a)) >> 8,
        IpAddr::V6(a) => (u128::from(a) >> 64) as u64,
    };
    // A 64-bit finaliser (splitmix): neighbouring networks spread evenly.
    let mut x = net ^ (net >> 30);
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    (x % lanes.max(1) as u64) as usize
}

/// Which lanes an event goes to: its source lane, and whether the shared
/// lane needs it. Web requests feed both (`web.sweep` compares sources);
/// firewall denials only their source's; network observations only the
/// lane of their client (the internal host: `intel.victim` keeps one
/// host's episodes in one lane; no shared detector reads them); sign-ins,
/// and any other kind of event, only the shared lane.
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

/// A text of a batch: offset and length in [`Batch::text`].
#[derive(Debug, Clone, Copy, Default)]
struct Span(u32, u32);

/// A web request held in a batch: every text a [`Span`] (no copy of the
/// fields of the raw line, no UTF-8 check when read back).
#[derive(Debug, Clone, Copy)]
struct WebRec {
    ts: haboob_model::Ts,
    source_ip: IpAddr,
    status: u16,
    bytes: u64,
    /// [`haboob_model::WebEvent::texts`], in its order.
    texts: [Span; 9],
}

/// What a record holds: a web request, or any other event [`encode`]d
/// (its texts inside the raw line stored as ranges of it) in
/// [`Batch::other`] from `.0` to `.1`.
#[derive(Debug, Clone, Copy)]
enum Rec {
    Web(WebRec),
    Other(u32, u32),
}

/// One event of a batch, its lanes and origin.
#[derive(Debug, Clone, Copy)]
struct Held {
    lanes: u8,
    file: u32,
    line: u64,
    raw: Span,
    rec: Rec,
}

/// Events of one batch.
#[derive(Default)]
pub(crate) struct Batch {
    held: Vec<Held>,
    /// Raw lines, and texts of events that are not inside their raw line.
    text: String,
    /// The last text copied that was not inside its raw line (a site name
    /// from the options: the same for every line of a file), by address
    /// and length, and its span.
    last_copied: (usize, usize, Span),
    /// Encoded records of events other than web requests.
    other: Vec<u8>,
    datasets: Vec<&'static str>,
    files: Vec<String>,
    /// The last file name seen (address and length) and its index.
    last_file: (usize, usize, u32),
}

impl Batch {
    fn clear(&mut self) {
        self.held.clear();
        self.text.clear();
        self.last_copied = (0, 0, Span::default());
        self.other.clear();
        self.datasets.clear();
        self.files.clear();
        self.last_file = (0, 0, 0);
    }

    /// Bytes held (texts and records).
    fn bytes(&self) -> usize {
        self.text.len() + self.other.len() + self.held.len() * std::mem::size_of::<Held>()
    }

    fn file_index(&mut self, name: &str) -> u32 {
        let key = (name.as_ptr() as usize, name.len());
        if (self.last_file.0, self.last_file.1) == key && !self.files.is_empty() {
            return self.last_file.2;
        }
        let i = match self.files.iter().rposition(|f| f == name) {
            Some(i) => i,
            None => {
                self.files.push(name.to_string());
                self.files.len() - 1
            }
        };
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        self.last_file = (key.0, key.1, i);
        i
    }

    /// The span of `s`: inside the raw line copied at `raw`, else copied.
    fn span(&mut self, s: &str, raw_text: &str, raw: Span) -> Span {
        let (p, b) = (s.as_ptr() as usize, raw_text.as_ptr() as usize);
        if p >= b && p + s.len() <= b + raw_text.len() {
            // Offsets fit: the raw line's do.
            return Span(raw.0 + (p - b) as u32, s.len() as u32);
        }
        if s.is_empty() {
            return Span(0, 0);
        }
        if (self.last_copied.0, self.last_copied.1) == (p, s.len()) {
            return self.last_copied.2;
        }
        let (Ok(off), Ok(len)) = (u32::try_from(self.text.len()), u32::try_from(s.len())) else {
            return Span(0, 0);
        };
        self.text.push_str(s);
        let sp = Span(off, len);
        self.last_copied = (p, s.len(), sp);
        sp
    }

    /// Hold one event for `lanes`. A batch holds less than 4 GiB: the
    /// caller hands it over at [`BATCH_BYTES`].
    fn push(&mut self, lanes: u8, ev: &EventRef<'_>, o: &Origin<'_>) {
        let file = self.file_index(o.file);
        let (Ok(off), Ok(len)) = (u32::try_from(self.text.len()), u32::try_from(o.raw.len()))
        else {
            return;
        };
        self.text.push_str(o.raw);
        let raw = Span(off, len);
        let rec = match ev {
            EventRef::Web(w) => {
                let mut texts = [Span::default(); 9];
                for (t, s) in texts.iter_mut().zip(w.texts()) {
                    *t = self.span(s, o.raw, raw);
                }
                Rec::Web(WebRec {
                    ts: w.ts,
                    source_ip: w.source_ip,
                    status: w.status,
                    bytes: w.bytes,
                    texts,
                })
            }
            _ => {
                let start = u32::try_from(self.other.len()).unwrap_or(u32::MAX);
                encode(
                    ev,
                    o,
                    usize::MAX,
                    o.raw,
                    &mut self.datasets,
                    &mut self.other,
                );
                Rec::Other(start, u32::try_from(self.other.len()).unwrap_or(u32::MAX))
            }
        };
        self.held.push(Held {
            lanes,
            file,
            line: o.line,
            raw,
            rec,
        });
    }

    fn text(&self, s: Span) -> Option<&str> {
        self.text.get(s.0 as usize..s.0 as usize + s.1 as usize)
    }

    /// Hand the records of one lane to `out`, in order.
    fn each(&self, wants: impl Fn(u8) -> bool, out: &mut impl FnMut(&EventRef<'_>, &Origin<'_>)) {
        'records: for h in self.held.iter().filter(|h| wants(h.lanes)) {
            let file = self.files.get(h.file as usize).map_or("-", String::as_str);
            // Only what `push` wrote is read: a failure is a bug.
            let Some(raw) = self.text(h.raw) else {
                tracing::error!("Lane batch record out of bounds.");
                continue;
            };
            let origin = Origin {
                file,
                line: h.line,
                raw,
            };
            match h.rec {
                Rec::Web(w) => {
                    let mut texts = [""; 9];
                    for (t, s) in texts.iter_mut().zip(w.texts) {
                        let Some(text) = self.text(s) else {
                            tracing::error!("Lane batch record out of bounds.");
                            continue 'records;
                        };
                        *t = text;
                    }
                    let ev = EventRef::Web(haboob_model::WebEvent::from_texts(
                        w.ts,
                        w.source_ip,
                        w.status,
                        w.bytes,
                        texts,
                    ));
                    out(&ev, &origin);
                }
                Rec::Other(a, b) => {
                    let data = self.other.get(a as usize..b as usize).unwrap_or_default();
                    match decode(data, raw, &self.datasets) {
                        Ok((ev, _, _)) => out(&ev, &origin),
                        Err(e) => tracing::error!(error = %e, "Lane batch record undecodable."),
                    }
                }
            }
        }
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
        let feed = &mut self.feed;
        match self.source {
            Some(i) => b.each(|l| l & NO_SOURCE == i, &mut |ev, o| feed.observe(ev, o)),
            None => b.each(|l| l & TO_SHARED != 0, &mut |ev, o| feed.observe(ev, o)),
        }
    }
}

/// The batch the lanes are working on, and which lanes are still to run.
#[derive(Default)]
struct Job {
    batch: Option<Arc<Batch>>,
    /// Lanes not yet claimed: `front..back`.
    front: usize,
    back: usize,
    /// Lanes claimed or not that have not finished.
    left: usize,
}

/// What the reading thread and the pool threads share.
pub(crate) struct Shared<'o> {
    lanes: Vec<Mutex<Lane<'o>>>,
    job: Mutex<Job>,
    done: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking lane is reported by rayon; its state is not reused.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<'o> Shared<'o> {
    /// The lanes of [`lane_feeds`]: source lanes, then the shared lane.
    fn new(feeds: Vec<Feed<'o>>) -> Shared<'o> {
        let shared = feeds.len().saturating_sub(1);
        let lanes = feeds
            .into_iter()
            .enumerate()
            .map(|(i, feed)| {
                Mutex::new(Lane {
                    source: (i < shared).then_some(i as u8),
                    feed,
                })
            })
            .collect();
        Shared {
            lanes,
            job: Mutex::new(Job::default()),
            done: Condvar::new(),
        }
    }

    /// Claim and run lanes of the current batch until none is left to claim
    /// (from the last lane when `from_back`).
    fn work(&self, from_back: bool) {
        loop {
            let (i, batch) = {
                let mut j = lock(&self.job);
                let Some(b) = j.batch.clone() else { return };
                if j.front >= j.back {
                    return;
                }
                let i = if from_back {
                    j.back -= 1;
                    j.back
                } else {
                    j.front += 1;
                    j.front - 1
                };
                (i, b)
            };
            lock(&self.lanes[i]).run(&batch);
            drop(batch);
            let mut j = lock(&self.job);
            j.left -= 1;
            if j.left == 0 {
                self.done.notify_all();
            }
        }
    }

    /// Help with the current batch, wait until every lane has run it, and
    /// take it back for reuse.
    fn settle(&self) -> Option<Batch> {
        self.work(true);
        let mut j = lock(&self.job);
        while j.left > 0 {
            j = self
                .done
                .wait(j)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        j.batch.take().and_then(|b| Arc::try_unwrap(b).ok())
    }

    fn start(&self, batch: Batch) {
        let mut j = lock(&self.job);
        j.batch = Some(Arc::new(batch));
        j.front = 0;
        j.back = self.lanes.len();
        j.left = self.lanes.len();
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
        spare: Option<Batch>,
    },
}

impl<'sc, 'o: 'sc> Sink<'_, 'sc, 'o> {
    /// Hand one event to the detectors.
    #[inline]
    pub(crate) fn observe(&mut self, ev: &EventRef<'_>, o: &Origin<'_>) {
        match self {
            Sink::One(feed) => feed.observe(ev, o),
            Sink::Drop => {}
            Sink::Lanes { lanes, filling, .. } => {
                filling.push(lanes_for(ev, *lanes), ev, o);
                if filling.bytes() >= BATCH_BYTES {
                    self.hand_over();
                }
            }
        }
    }

    /// Wait for the lanes to finish the batch before, then give them this one.
    fn hand_over(&mut self) {
        let Sink::Lanes {
            shared,
            scope,
            filling,
            spare,
            ..
        } = self
        else {
            return;
        };
        if let Some(b) = shared.settle() {
            *spare = Some(b);
        }
        let mut next = spare.take().unwrap_or_default();
        next.clear();
        let full = std::mem::replace(filling, next);
        shared.start(full);
        if rayon::current_num_threads() > 1 {
            let shared: &'sc Shared<'o> = shared;
            scope.spawn(move |_| shared.work(false));
        }
    }

    /// Run everything handed over (end of stream).
    fn settle(&mut self) {
        if matches!(self, Sink::Lanes { filling, .. } if !filling.held.is_empty()) {
            self.hand_over();
        }
        if let Sink::Lanes { shared, .. } = self {
            shared.settle();
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
    mut feeds: Vec<Feed<'o>>,
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
            filling: Batch::default(),
            spare: None,
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
    let (r, feeds) = run_feeds(lane_feeds(opts, lanes), body);
    let results: Vec<FeedOut> = if feeds.len() < 2 {
        feeds.into_iter().map(Feed::finish).collect()
    } else {
        feeds.into_par_iter().map(Feed::finish).collect()
    };
    let mut out = FeedOut::default();
    for o in results {
        out.absorb(o);
    }
    (r, out)
}

#[cfg(test)]
#[path = "lanes_tests.rs"]
mod tests;
