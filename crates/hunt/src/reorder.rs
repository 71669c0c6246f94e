//! Bounded reordering of slightly unordered streams.
//!
//! Servers write a request when it ends, so a long request is logged after
//! shorter later ones, and collectors interleave senders: many logs run
//! backwards by seconds to minutes now and then. Such disorder, within the
//! tolerance of [`crate::order`], does not warrant sorting the whole stream,
//! but detectors that end an episode after a quiet time would split it where
//! a late record belongs in the gap.
//!
//! [`Reorder`] feeds a stream straight through while it is in order (no
//! copy, no cost). From the first record earlier than one already read, it
//! holds every record (encoded with [`haboob_ingest::codec`]) in a heap and
//! releases it once the stream has moved `window` past it: the guard of
//! [`crate::order`] admits nothing later than that, so from then on the
//! detectors see time order (equal times in the order read). Only the
//! records that arrived late before the buffer engaged are fed late.
//!
//! Memory: the records of one window, at most `max_bytes` (4 MiB at the
//! least: storage comes in 1 MiB chunks); beyond that the oldest are
//! released early (counted in [`Reorder::released_early`]).

use haboob_ingest::codec::{decode, encode_in_arena, MAX_HELD_RAW_BYTES};
use haboob_model::{EventRef, Origin, Ts};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Bytes per storage chunk.
const CHUNK: usize = 1 << 20;

/// Per-record bytes beyond its encoding (the heap entry).
const ENTRY_OVERHEAD: usize = std::mem::size_of::<Held>();

/// Where a held record lies, ordered by (time, arrival).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Held {
    ts: i64,
    seq: u64,
    file: u32,
    chunk: u32,
    off: u32,
    len: u32,
}

/// Records (binary) and their texts (ranges of `text`, so decoding checks
/// no UTF-8).
#[derive(Default)]
struct Chunk {
    data: Vec<u8>,
    text: String,
    live: u32,
}

impl Chunk {
    fn clear(&mut self) {
        self.data.clear();
        self.text.clear();
    }
}

/// A reorder buffer for one stream.
pub(crate) struct Reorder {
    window_ms: i64,
    max_bytes: usize,
    latest: i64,
    engaged: bool,
    seq: u64,
    heap: BinaryHeap<Reverse<Held>>,
    chunks: Vec<Chunk>,
    /// Chunk indices whose storage is free.
    spare: Vec<u32>,
    current: u32,
    datasets: Vec<&'static str>,
    files: Vec<String>,
    /// The last file name seen (address and length) and its index.
    last_file: (usize, usize, u32),
    early: u64,
    most_held: usize,
}

impl Reorder {
    /// A buffer holding records until the stream is `window_secs` past them,
    /// in at most about `max_bytes`.
    pub(crate) fn new(window_secs: u64, max_bytes: usize) -> Reorder {
        Reorder {
            window_ms: i64::try_from(window_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
            max_bytes: max_bytes.max(4 * CHUNK),
            latest: i64::MIN,
            engaged: false,
            seq: 0,
            heap: BinaryHeap::new(),
            chunks: Vec::new(),
            spare: Vec::new(),
            current: 0,
            datasets: Vec::new(),
            files: Vec::new(),
            last_file: (0, 0, 0),
            early: 0,
            most_held: 0,
        }
    }

    /// Whether records have been held (the stream went back in time).
    pub(crate) fn engaged(&self) -> bool {
        self.engaged
    }

    /// Records released before the window passed them, for want of memory.
    pub(crate) fn released_early(&self) -> u64 {
        self.early
    }

    /// The most records held at once.
    pub(crate) fn most_held(&self) -> usize {
        self.most_held
    }

    /// Take one record; records due are handed to `out` in time order.
    #[inline]
    pub(crate) fn push(
        &mut self,
        ev: &EventRef<'_>,
        o: &Origin<'_>,
        out: &mut impl FnMut(&EventRef<'_>, &Origin<'_>),
    ) {
        self.push_at(ev.ts(), ev, o, out);
    }

    /// [`Reorder::push`] of a record whose time `ts` (`ev.ts()`) the caller
    /// has read already.
    #[inline]
    pub(crate) fn push_at(
        &mut self,
        ts: Ts,
        ev: &EventRef<'_>,
        o: &Origin<'_>,
        out: &mut impl FnMut(&EventRef<'_>, &Origin<'_>),
    ) {
        debug_assert_eq!(ts, ev.ts());
        let ts = ts.0;
        if !self.engaged {
            if ts >= self.latest {
                self.latest = ts;
                out(ev, o);
                return;
            }
            self.engaged = true;
        }
        self.latest = self.latest.max(ts);
        self.hold(ts, ev, o);
        let due = self.latest.saturating_sub(self.window_ms);
        while let Some(Reverse(h)) = self.heap.peek().copied() {
            let full = self.held_bytes() > self.max_bytes;
            if h.ts > due && !full {
                break;
            }
            if h.ts > due {
                self.early += 1;
            }
            self.release(out);
        }
    }

    /// End of stream: release everything held, in order.
    pub(crate) fn drain(&mut self, out: &mut impl FnMut(&EventRef<'_>, &Origin<'_>)) {
        while !self.heap.is_empty() {
            self.release(out);
        }
    }

    /// Memory held: chunks in use and heap entries.
    fn held_bytes(&self) -> usize {
        (self.chunks.len() - self.spare.len()) * CHUNK + self.heap.len() * ENTRY_OVERHEAD
    }

    fn file_index(&mut self, name: &str) -> u32 {
        // Records of one file share its name: compare the address first.
        let key = (name.as_ptr() as usize, name.len());
        if (self.last_file.0, self.last_file.1) == key && !self.files.is_empty() {
            return self.last_file.2;
        }
        let i = match self.files.iter().rposition(|f| f == name) {
            Some(i) => i as u32,
            None => {
                self.files.push(name.to_string());
                (self.files.len() - 1) as u32
            }
        };
        self.last_file = (key.0, key.1, i);
        i
    }

    fn hold(&mut self, ts: i64, ev: &EventRef<'_>, o: &Origin<'_>) {
        if self.chunks.is_empty() || {
            let c = &self.chunks[self.current as usize];
            c.data.len() + c.text.len() >= CHUNK
        } {
            if let Some(old) = self.chunks.get_mut(self.current as usize) {
                if old.live == 0 {
                    old.clear();
                    self.spare.push(self.current);
                }
            }
            self.current = match self.spare.pop() {
                Some(i) => i,
                None => {
                    self.chunks.push(Chunk::default());
                    (self.chunks.len() - 1) as u32
                }
            };
        }
        let file = self.file_index(o.file);
        let chunk = &mut self.chunks[self.current as usize];
        let off = chunk.data.len();
        encode_in_arena(
            ev,
            o,
            MAX_HELD_RAW_BYTES,
            &mut chunk.text,
            &mut self.datasets,
            &mut chunk.data,
        );
        let len = chunk.data.len() - off;
        chunk.live += 1;

        self.heap.push(Reverse(Held {
            ts,
            seq: self.seq,
            file,
            chunk: self.current,
            off: off as u32,
            len: len as u32,
        }));
        self.seq += 1;
        self.most_held = self.most_held.max(self.heap.len());
    }

    fn release(&mut self, out: &mut impl FnMut(&EventRef<'_>, &Origin<'_>)) {
        let Some(Reverse(h)) = self.heap.pop() else {
            return;
        };
        let chunk = &self.chunks[h.chunk as usize];
        let data = &chunk.data[h.off as usize..(h.off + h.len) as usize];
        match decode(data, &chunk.text, &self.datasets) {
            Ok((ev, line, raw)) => {
                let file = self.files.get(h.file as usize).map_or("-", String::as_str);
                out(&ev, &Origin { file, line, raw });
            }
            // Only what `encode` wrote is decoded: a failure is a bug.
            Err(e) => tracing::error!(error = %e, "Reorder buffer record undecodable."),
        }
        let chunk = &mut self.chunks[h.chunk as usize];
        chunk.live -= 1;
        if chunk.live == 0 && h.chunk != self.current {
            chunk.clear();
            self.spare.push(h.chunk);
        }
    }
}

#[cfg(test)]
#[path = "reorder_tests.rs"]
mod tests;
