//! Per-source episodes: bounded, windowed state keyed by (source, site), with
//! idle eviction, a cap on tracked keys, and alert construction.

use super::fxhash::{FxBuild, FxSet};
use super::held::Held;
use haboob_model::{content_id, Alert, AlertSource, Evidence, Origin, Severity, Ts};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::net::IpAddr;

/// Attacker-controlled text kept in titles and details is cut to this many bytes.
pub(crate) const MAX_TEXT: usize = 100;
/// Sample paths kept per alert.
pub(crate) const MAX_SAMPLES: usize = 10;
/// Distinct-path hashes kept per episode (counts saturate beyond it).
pub(crate) const MAX_DISTINCT: usize = 4096;
/// Members kept per prefix episode.
pub(crate) const MAX_MEMBERS: usize = 256;
/// Events between idle sweeps.
const SWEEP_EVERY: u32 = 4096;
/// Ended, never-fired slots kept per tracker for reuse: room for what two
/// sweeps end when every event brings a new key (every request from a new
/// address), so that such a stream reuses slots instead of allocating them.
const POOL_MAX: usize = 2 * SWEEP_EVERY as usize;
/// A slot is only kept for reuse when its evidence buffers hold at most this.
const POOL_SLOT_BYTES: usize = 8192;

/// Insert into a capped set; returns true when the value is new (and stored).
#[inline]
pub(crate) fn insert_capped(set: &mut FxSet, v: u64) -> bool {
    if set.len() >= MAX_DISTINCT {
        return false;
    }
    set.insert(v)
}

/// Cut attacker text to at most [`MAX_TEXT`] bytes on a char boundary, with `…`.
pub(crate) fn bounded(s: &str) -> String {
    let mut out = String::new();
    bounded_into(&mut out, s);
    out
}

/// [`bounded`] into an existing buffer (cleared first, capacity kept).
fn bounded_into(out: &mut String, s: &str) {
    out.clear();
    out.push_str(haboob_model::bounded(s, MAX_TEXT));
    if s.len() > MAX_TEXT {
        out.push('…');
    }
}

/// The first lines of an episode, kept without an allocation per line: the
/// raw texts (bounded as [`Evidence::from_origin`] bounds them) share one
/// buffer, file names are stored once each. Cleared buffers keep their
/// capacity, so a restarted episode does not allocate again.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct EvidenceBuf {
    /// Per line: index into `files`, line number, end of its text in `text`.
    lines: Vec<(u32, u64, u32)>,
    files: Vec<Box<str>>,
    text: String,
    /// The last file name of a cleared buffer, kept for the next line (most
    /// episodes restart on the same file: no allocation for its name).
    #[serde(skip)]
    spare_file: Option<Box<str>>,
}

impl EvidenceBuf {
    /// Lines kept.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Forget the lines (keeping the buffers).
    pub fn clear(&mut self) {
        self.lines.clear();
        if let Some(f) = self.files.pop() {
            self.spare_file = Some(f);
        }
        self.files.clear();
        self.text.clear();
    }

    /// Bytes of buffer capacity held (for deciding whether to keep it).
    fn capacity(&self) -> usize {
        self.text.capacity() + self.lines.capacity() * 16
    }

    /// Keep one line.
    pub fn push(&mut self, o: &Origin<'_>) {
        let raw = haboob_model::bounded(o.raw, haboob_model::MAX_EVIDENCE_BYTES);
        let file = match self.files.iter().position(|f| **f == *o.file) {
            Some(i) => i,
            None => {
                let f = match self.spare_file.take() {
                    Some(f) if *f == *o.file => f,
                    _ => o.file.into(),
                };
                self.files.push(f);
                self.files.len() - 1
            }
        };
        self.text.push_str(raw);
        let (Ok(file), Ok(text_end)) = (u32::try_from(file), u32::try_from(self.text.len())) else {
            return;
        };
        self.lines.push((file, o.line, text_end));
    }

    /// The kept lines as alert evidence.
    pub fn to_vec(&self) -> Vec<Evidence> {
        let mut start = 0;
        self.lines
            .iter()
            .map(|&(f, line, end)| {
                let end = end as usize;
                let e = Evidence::from_origin(&Origin {
                    file: &self.files[f as usize],
                    line,
                    raw: &self.text[start..end],
                });
                start = end;
                e
            })
            .collect()
    }
}

/// The common part of every episode: who, where, when, how much, evidence.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Episode {
    /// Source address (first member for a prefix).
    pub ip: IpAddr,
    /// Network when this is a prefix episode.
    pub prefix: Option<haboob_model::IpPrefix>,
    /// Site (bounded).
    pub site: String,
    /// First matching event.
    pub first: Ts,
    /// Last matching event.
    pub last: Ts,
    /// Last event that kept the episode alive.
    pub touched: Ts,
    /// Matching events.
    pub count: u64,
    /// The threshold was crossed.
    pub fired: bool,
    /// Highest severity seen.
    pub severity: Severity,
    /// First N matching lines, stored compactly (see [`EvidenceBuf`]).
    pub evidence: EvidenceBuf,
    /// Sample paths (bounded text).
    pub samples: Vec<String>,
    /// Emptied sample buffers kept for reuse (at most [`MAX_SAMPLES`]).
    #[serde(skip)]
    spare: Vec<String>,
}

impl Episode {
    fn new(ip: IpAddr, site: &str, now: Ts) -> Episode {
        Episode {
            ip,
            prefix: None,
            site: bounded_site(site).to_string(),
            first: now,
            last: now,
            touched: now,
            count: 0,
            fired: false,
            severity: Severity::Low,
            evidence: EvidenceBuf::default(),
            samples: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// Make a recycled episode equal to `Episode::new(ip, site, now)`, keeping
    /// its buffers.
    fn reset(&mut self, ip: IpAddr, site: &str, now: Ts) {
        self.ip = ip;
        self.prefix = None;
        self.site.clear();
        self.site.push_str(bounded_site(site));
        self.touched = now;
        self.restart(now);
    }

    /// Forget everything but the key (an unfired episode whose window passed).
    pub fn restart(&mut self, now: Ts) {
        self.first = now;
        self.last = now;
        self.count = 0;
        self.fired = false;
        self.severity = Severity::Low;
        self.evidence.clear();
        self.spare.append(&mut self.samples);
        self.spare.truncate(MAX_SAMPLES);
    }

    /// Fixed-window rules: restart an episode that has not fired and whose
    /// window (from its first event) has passed; `true` when it restarted, so
    /// the caller resets its rule state too.
    pub fn restart_if_expired(&mut self, now: Ts, window_ms: i64) -> bool {
        let expired = !self.fired && self.window_passed(now, window_ms);
        if expired {
            self.restart(now);
        }
        expired
    }

    /// Whether the episode has events and its window (from its first
    /// event) has passed at `now`.
    pub fn window_passed(&self, now: Ts, window_ms: i64) -> bool {
        self.count > 0 && now.0.saturating_sub(self.first.0) > window_ms
    }

    /// Record one matching event.
    pub fn hit(&mut self, now: Ts, origin: &Origin<'_>, max_evidence: usize) {
        // Events may arrive slightly out of order (within the ingest
        // tolerance): first and last are the earliest and latest seen.
        if self.count == 0 {
            self.first = now;
            self.last = now;
        } else {
            self.first = self.first.min(now);
            self.last = self.last.max(now);
        }
        self.count += 1;
        if self.evidence.len() < max_evidence {
            self.evidence.push(origin);
        }
    }

    /// Keep a sample path (call only for new distinct paths).
    pub fn sample(&mut self, path: &str) {
        if self.samples.len() < MAX_SAMPLES {
            let mut buf = self.spare.pop().unwrap_or_default();
            bounded_into(&mut buf, path);
            self.samples.push(buf);
        }
    }

    /// The alert for this episode.
    pub fn alert(
        &self,
        detector: &str,
        title: String,
        techniques: &[&str],
        mut details: haboob_model::Details,
        members: &[IpAddr],
    ) -> Alert {
        let (src_text, source) = match self.prefix {
            Some(p) => {
                let mut m: Vec<IpAddr> = members.to_vec();
                m.sort();
                m.dedup();
                (
                    p.to_string(),
                    AlertSource {
                        ip: m.first().copied().or(Some(self.ip)),
                        prefix: Some(p.to_string()),
                        members: m,
                    },
                )
            }
            None => (
                self.ip.to_string(),
                AlertSource {
                    ip: Some(self.ip),
                    prefix: None,
                    members: Vec::new(),
                },
            ),
        };
        if !self.samples.is_empty() {
            details.insert("sample_paths".into(), self.samples.clone().into());
        }
        Alert {
            id: content_id(
                "al",
                &[detector, &src_text, &self.site, &self.first.to_string()],
            ),
            detector: detector.to_string(),
            title,
            techniques: techniques.iter().map(|t| t.to_string()).collect(),
            severity: self.severity,
            source,
            target: self.site.to_string(),
            user: None,
            first_seen: self.first,
            last_seen: self.last,
            count: self.count,
            details,
            evidence: self.evidence.to_vec(),
        }
    }

    /// `"<source> on <site>"` for titles.
    pub fn who_where(&self) -> String {
        let who = match self.prefix {
            Some(p) => p.to_string(),
            None => self.ip.to_string(),
        };
        if self.site.is_empty() {
            who
        } else {
            format!("{who} on {}", self.site)
        }
    }

    /// Comma list of up to three samples for a title, with `…` when cut.
    pub fn title_samples(&self) -> String {
        let mut s = self
            .samples
            .iter()
            .take(3)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        if self.samples.len() > 3 || self.count > 3 {
            s.push_str(", …");
        }
        s
    }
}

fn bounded_site(site: &str) -> &str {
    haboob_model::bounded(site, 255)
}

/// One tracked key: the episode plus detector-specific state.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Slot<S> {
    /// Common episode data.
    pub ep: Episode,
    /// Detector state.
    pub st: S,
}

/// Key: source address (or prefix network) and site hash.
pub(crate) type Key = (IpAddr, u64);

/// Detector state that a recycled slot can reuse.
pub(crate) trait Recycle: Default {
    /// Make `self` equal to `Self::default()`; may keep buffers.
    fn recycle(&mut self) {
        *self = Self::default();
    }
}

/// Windowed, bounded map of episodes.
///
/// Only episodes that fired are handed to the `flush` callbacks (every rule
/// emits nothing for the others); the others are dropped or, up to
/// [`POOL_MAX`], kept to be reused by a later key, so that a stream of
/// visitors does not allocate and free an episode each.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(bound(
    serialize = "S: serde::Serialize",
    deserialize = "S: serde::Deserialize<'de>"
))]
pub(crate) struct Tracker<S> {
    /// Per key the slot, boxed so that moving it in and out of the map and
    /// pool is cheap, and its `touched` time beside it so that the sweep
    /// reads the map alone (saved as the map of slots it always was).
    #[serde(with = "super::held")]
    map: HashMap<Key, Held<S>, FxBuild>,
    #[serde(skip)]
    pool: Vec<Box<Slot<S>>>,
    idle_ms: i64,
    max: usize,
    since_sweep: u32,
    last_sweep: Ts,
    /// The latest time at which no sweep is due by time since the last one
    /// (`now <= due` implies `now - last_sweep <= idle_ms`), so that the
    /// check per event is one compare; [`i64::MIN`] when not known (a
    /// restored tracker: the exact test decides and sets it).
    #[serde(skip, default = "due_unknown")]
    due: i64,
}

/// [`Tracker::due`] not known.
fn due_unknown() -> i64 {
    i64::MIN
}

/// [`Tracker::due`] after a sweep at `last` (exact: `now <= due` exactly
/// when `now.saturating_sub(last) <= idle_ms`, for `idle_ms >= 0`; a sum
/// past the largest time saturates, as no time is later).
#[inline]
fn due_after(last: i64, idle_ms: i64) -> i64 {
    last.saturating_add(idle_ms)
}

/// A slot equal to a new one for (ip, site) at `now`, reused when possible.
fn fresh<S: Recycle>(
    pool: &mut Vec<Box<Slot<S>>>,
    ip: IpAddr,
    site: &str,
    now: Ts,
) -> Box<Slot<S>> {
    match pool.pop() {
        Some(mut s) => {
            s.ep.reset(ip, site, now);
            s.st.recycle();
            s
        }
        None => Box::new(Slot {
            ep: Episode::new(ip, site, now),
            st: S::default(),
        }),
    }
}

/// An ended slot: flushed when it fired, else kept for reuse or dropped.
fn retire<S>(s: Box<Slot<S>>, pool: &mut Vec<Box<Slot<S>>>, flush: &mut impl FnMut(Box<Slot<S>>)) {
    if s.ep.fired {
        flush(s);
    } else if pool.len() < POOL_MAX && s.ep.evidence.capacity() <= POOL_SLOT_BYTES {
        pool.push(s);
    }
}

impl<S: Recycle> Tracker<S> {
    /// A tracker whose episodes end after `idle_secs` without relevant events.
    pub fn new(idle_secs: u64, max: usize) -> Self {
        Tracker {
            map: HashMap::with_hasher(FxBuild),
            pool: Vec::new(),
            idle_ms: i64::try_from(idle_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
            max: max.max(1),
            since_sweep: 0,
            last_sweep: Ts(i64::MIN),
            due: due_unknown(),
        }
    }

    /// Tracked keys.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// The slot for a key, created when absent. An episode that has been quiet
    /// for the idle time is ended first (handed to `flush` if it fired) and a
    /// fresh one started.
    pub fn entry(
        &mut self,
        key: Key,
        ip: IpAddr,
        site: &str,
        now: Ts,
        flush: &mut impl FnMut(Slot<S>),
    ) -> &mut Slot<S> {
        if self.map.len() >= self.max && !self.map.contains_key(&key) {
            self.evict_oldest(flush);
        }
        let pool = &mut self.pool;
        // One lookup: an idle episode is swapped for a fresh one and ended.
        let held = match self.map.entry(key) {
            Entry::Occupied(o) => {
                let held = o.into_mut();
                if now.0.saturating_sub(held.touched.0) > self.idle_ms {
                    let old = std::mem::replace(&mut held.slot, fresh(pool, ip, site, now));
                    held.touched = now;
                    retire(old, pool, &mut |s| flush(*s));
                }
                held
            }
            Entry::Vacant(v) => v.insert(Held::new(fresh(pool, ip, site, now))),
        };
        held.touch(now);
        &mut held.slot
    }

    /// The slot for a key when tracked and not idle (idle episodes are left for
    /// the sweep), marked as touched now.
    pub fn get_live(&mut self, key: &Key, now: Ts) -> Option<&mut Slot<S>> {
        let idle = self.idle_ms;
        let h = self
            .map
            .get_mut(key)
            .filter(|h| now.0.saturating_sub(h.touched.0) <= idle)?;
        h.touch(now);
        Some(&mut *h.slot)
    }

    /// Called once per event: every few thousand events (or when time jumped by
    /// more than the idle time) flush and forget idle episodes.
    #[inline]
    pub fn maintain(&mut self, now: Ts, flush: &mut impl FnMut(Slot<S>)) {
        self.since_sweep += 1;
        if self.since_sweep < SWEEP_EVERY && now.0 <= self.due {
            return;
        }
        self.maintain_slow(now, flush);
    }

    /// [`Tracker::maintain`] past its quick test: the exact test (the due
    /// time may not be known), then the sweep or the due time learnt.
    #[cold]
    #[inline(never)]
    fn maintain_slow(&mut self, now: Ts, flush: &mut impl FnMut(Slot<S>)) {
        if self.since_sweep < SWEEP_EVERY && now.0.saturating_sub(self.last_sweep.0) <= self.idle_ms
        {
            self.due = due_after(self.last_sweep.0, self.idle_ms);
            return;
        }
        self.sweep(now, flush);
    }

    /// Flush and forget idle episodes: one pass over the map (the touched
    /// times are stored in it), removing in place, in the map's order.
    #[cold]
    #[inline(never)]
    fn sweep(&mut self, now: Ts, flush: &mut impl FnMut(Slot<S>)) {
        self.since_sweep = 0;
        self.last_sweep = now;
        self.due = due_after(now.0, self.idle_ms);
        let idle = self.idle_ms;
        let mut fired: Vec<Box<Slot<S>>> = Vec::new();
        let pool = &mut self.pool;
        for (_, h) in self
            .map
            .extract_if(|_, h| now.0.saturating_sub(h.touched.0) > idle)
        {
            retire(h.slot, pool, &mut |s| fired.push(s));
        }
        flush_sorted(fired, flush);
    }

    /// Flush the oldest eighth of the keys (cap reached).
    fn evict_oldest(&mut self, flush: &mut impl FnMut(Slot<S>)) {
        let mut lasts: Vec<(Ts, Key)> = self.map.iter().map(|(k, h)| (h.touched, *k)).collect();
        let n = (lasts.len() / 8).max(1);
        lasts.select_nth_unstable_by_key(n - 1, |(t, _)| *t);
        let mut fired: Vec<Box<Slot<S>>> = Vec::new();
        for (_, k) in &lasts[..n] {
            if let Some(h) = self.map.remove(k) {
                retire(h.slot, &mut self.pool, &mut |s| fired.push(s));
            }
        }
        flush_sorted(fired, flush);
    }

    /// End of stream: flush everything.
    pub fn drain(&mut self, flush: &mut impl FnMut(Slot<S>)) {
        let gone: Vec<Box<Slot<S>>> = self
            .map
            .drain()
            .map(|(_, h)| h.slot)
            .filter(|s| s.ep.fired)
            .collect();
        self.pool = Vec::new();
        flush_sorted(gone, flush);
    }
}

/// Flush in a reproducible order (first seen, then source).
fn flush_sorted<S>(mut gone: Vec<Box<Slot<S>>>, flush: &mut impl FnMut(Slot<S>)) {
    gone.sort_by(|a, b| (a.ep.first, a.ep.ip, &a.ep.site).cmp(&(b.ep.first, b.ep.ip, &b.ep.site)));
    for s in gone {
        flush(*s);
    }
}

/// Ratio as a JSON number rounded to three decimals.
pub(crate) fn ratio(num: u64, den: u64) -> serde_json::Value {
    if den == 0 {
        return 0.0.into();
    }
    let r = num as f64 / den as f64;
    ((r * 1000.0).round() / 1000.0).into()
}

#[cfg(test)]
#[path = "episode_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "tracker_tests.rs"]
mod tracker_tests;
