//! Alerts held packed: encoded in a compact binary layout, compressed with
//! zstd per chunk, and decoded on demand.
//!
//! A flood of one-off probes yields hundreds of thousands of alerts, each
//! 1.4-2.5 KB on the heap, all held until a hunt ends. [`PackedAlerts`]
//! holds them as a few hundred bytes each instead: every pushed alert is
//! encoded (the record layout of `packed_codec.rs`: positional fields,
//! varints, addresses as bytes) into an open buffer; once that buffer passes
//! its chunk size (64 KiB by default) it is compressed into a sealed chunk.
//! Each record's end offset in its chunk (4 bytes a record) is kept beside
//! the chunks, so that reading record `i` decompresses only its chunk, and
//! decodes only it.
//!
//! Three ways to read:
//! - [`PackedAlerts::iter`]: every alert in push order, one chunk
//!   decompressed at a time;
//! - [`PackedAlerts::cursor`]: random access through a [`Cursor`] keeping the
//!   last [`CURSOR_CHUNKS`] decompressed chunks, so that nearly sequential
//!   access decompresses each chunk about once;
//! - [`PackedAlerts::get_many`]: a batch of indices, each chunk touched
//!   decompressed once.
//!
//! Records are decoded from bytes this store wrote, in memory: decoding
//! cannot fail but by a bug, and then panics naming the chunk and record.
//!
//! ```
//! use haboob_model::{Alert, AlertSource, Details, PackedAlerts, Severity, Ts};
//! let alert = Alert {
//!     id: "al-1".into(),
//!     detector: "web.exploit".into(),
//!     title: "1 exploit attempt".into(),
//!     techniques: vec!["T1190".into()],
//!     severity: Severity::High,
//!     source: AlertSource::default(),
//!     target: "votes.example.gov".into(),
//!     user: None,
//!     first_seen: Ts(0),
//!     last_seen: Ts(0),
//!     count: 1,
//!     details: Details::new(),
//!     evidence: vec![],
//! };
//! let mut packed = PackedAlerts::new();
//! assert_eq!(packed.push(&alert), 0);
//! assert_eq!(packed.cursor().get(0), alert);
//! assert_eq!(packed.iter().collect::<Vec<_>>(), [alert]);
//! ```

use crate::Alert;
use std::ops::Range;
use std::sync::Arc;

#[path = "packed_codec.rs"]
pub(crate) mod codec;
#[path = "packed_spill.rs"]
pub mod spill;
pub use spill::{ChunkSpill, MemorySpill};

/// Encoded bytes gathered before a chunk is compressed, by default.
pub const DEFAULT_CHUNK_BYTES: usize = 64 * 1024;

/// The largest chunk size [`PackedAlerts::with_chunk_bytes`] takes (larger
/// ones are lowered to it), so that offsets inside a chunk fit in a `u32`.
pub const MAX_CHUNK_BYTES: usize = 1 << 30;

/// Decompressed chunks a [`Cursor`] keeps.
pub const CURSOR_CHUNKS: usize = 4;

/// The deepest nesting of arrays and objects in an alert's details that
/// [`PackedAlerts::push`] takes (it panics on deeper ones). serde_json
/// parses documents at most 127 levels deep, so details read back from JSON
/// fit; the limit bounds the recursion of encoding and decoding a record's
/// values, and so the stack they need.
pub const MAX_DETAILS_DEPTH: usize = 128;

/// zstd level of sealed chunks. On a hostile hunt's alerts level 3 packs
/// 0.3% smaller and 15% slower; 6 packs 4% smaller and about 3 times slower.
const LEVEL: i32 = 1;

/// Alerts held encoded and compressed, in push order; see the
/// [module documentation](self).
#[derive(Debug, Clone)]
pub struct PackedAlerts {
    /// Seal the open buffer once it holds this many bytes or more.
    chunk_bytes: usize,
    /// Sealed chunks, in order.
    chunks: Vec<Chunk>,
    /// Compressed bytes of the sealed chunks on the heap.
    sealed_bytes: usize,
    /// Where sealed chunks go once the heap holds `spill_after` compressed
    /// bytes of them ([`PackedAlerts::spill_to`]).
    spill: Option<Arc<dyn ChunkSpill>>,
    spill_after: usize,
    /// Per record, where its encoding ends in its chunk's decoded bytes (it
    /// starts where the previous record of the chunk ends, or at 0).
    ends: Vec<u32>,
    /// Encoded records not yet sealed.
    open: Vec<u8>,
    /// Index of the first record of `open`.
    open_first: usize,
}

/// One sealed chunk: consecutive records, compressed together.
#[derive(Debug, Clone)]
struct Chunk {
    /// Index of its first record.
    first: usize,
    /// The zstd frame of its records' encodings.
    data: Data,
}

/// Where a sealed chunk's zstd frame is.
#[derive(Debug, Clone)]
enum Data {
    Heap(Box<[u8]>),
    Spilled {
        to: Arc<dyn ChunkSpill>,
        at: u64,
        len: usize,
    },
}

impl Default for PackedAlerts {
    fn default() -> PackedAlerts {
        PackedAlerts::new()
    }
}

impl PackedAlerts {
    /// An empty store sealing chunks of [`DEFAULT_CHUNK_BYTES`].
    pub fn new() -> PackedAlerts {
        PackedAlerts::with_chunk_bytes(DEFAULT_CHUNK_BYTES)
    }

    /// An empty store sealing a chunk once its encoded records reach
    /// `chunk_bytes` (at most [`MAX_CHUNK_BYTES`]; 0 seals every record
    /// alone). Larger chunks compress better; smaller ones make reading one
    /// alert cheaper.
    pub fn with_chunk_bytes(chunk_bytes: usize) -> PackedAlerts {
        PackedAlerts {
            chunk_bytes: chunk_bytes.min(MAX_CHUNK_BYTES),
            chunks: Vec::new(),
            sealed_bytes: 0,
            spill: None,
            spill_after: usize::MAX,
            ends: Vec::new(),
            open: Vec::new(),
            open_first: 0,
        }
    }

    /// Put sealed chunks into `spill` once those on the heap reach
    /// `after` compressed bytes (0: every one), so that the store holds
    /// about 4 bytes an alert on the heap past that. Reading a spilled
    /// chunk reads it back from `spill`; a chunk `spill` refuses stays on
    /// the heap. The stores [`PackedAlerts::into_order`] builds spill to
    /// the same place.
    pub fn spill_to(mut self, spill: Arc<dyn ChunkSpill>, after: usize) -> PackedAlerts {
        self.spill = Some(spill);
        self.spill_after = after;
        self
    }

    /// Compressed bytes of the sealed chunks spilled.
    pub fn spilled_bytes(&self) -> usize {
        self.chunks
            .iter()
            .map(|c| match &c.data {
                Data::Heap(_) => 0,
                Data::Spilled { len, .. } => *len,
            })
            .sum()
    }

    /// An empty store sealing and spilling as this one does; spilling from
    /// its first chunk when this one has started spilling.
    fn empty_like(&self) -> PackedAlerts {
        let mut out = PackedAlerts::with_chunk_bytes(self.chunk_bytes);
        if let Some(s) = &self.spill {
            let started = self.sealed_bytes >= self.spill_after
                || self
                    .chunks
                    .iter()
                    .any(|c| matches!(c.data, Data::Spilled { .. }));
            out = out.spill_to(s.clone(), if started { 0 } else { self.spill_after });
        }
        out
    }

    /// Append `alert`, returning its index.
    ///
    /// # Panics
    ///
    /// If the alert's details nest deeper than [`MAX_DETAILS_DEPTH`], or it
    /// encodes to more than 3 GiB (a chunk's offsets are `u32`).
    pub fn push(&mut self, alert: &Alert) -> usize {
        let index = self.ends.len();
        let start = self.open.len();
        if let Err(codec::TooDeep { name }) = codec::encode(alert, &mut self.open) {
            self.open.truncate(start);
            let depth = alert.details.get(name).map_or(0, nesting);
            panic!(
                "packed alerts: record {index}: detail {name:?} nests {depth} levels, \
                 more than {MAX_DETAILS_DEPTH}"
            );
        }
        self.end_record();
        index
    }

    /// The open buffer's last record ends here: note where, and seal the
    /// buffer once it is full.
    fn end_record(&mut self) {
        let end = u32::try_from(self.open.len()).unwrap_or_else(|_| {
            panic!(
                "packed alerts: record {} makes a chunk of 4 GiB",
                self.ends.len()
            )
        });
        self.ends.push(end);
        if self.open.len() >= self.chunk_bytes {
            self.seal();
        }
    }

    /// Append every alert of `other`, after this store's (their indices
    /// move up by `self.len()`), without decoding them: both open buffers
    /// are sealed, and `other`'s chunks are moved over.
    pub fn append(&mut self, mut other: PackedAlerts) {
        if other.is_empty() {
            return;
        }
        if !self.open.is_empty() {
            self.seal();
        }
        if !other.open.is_empty() {
            other.seal();
        }
        let base = self.len();
        if self.spill.is_none() {
            self.spill = other.spill.take();
            self.spill_after = other.spill_after;
        }
        self.sealed_bytes += other.sealed_bytes;
        self.chunks.extend(other.chunks.into_iter().map(|c| Chunk {
            first: c.first + base,
            data: c.data,
        }));
        self.ends.extend(other.ends);
        self.open_first = self.ends.len();
    }

    /// The alerts of `order` (indices, each at most once), in that order,
    /// as a new store; the others are dropped. The encoded records are
    /// moved, not decoded: every chunk is decompressed once to deal the
    /// records into buckets of consecutive places, and each bucket once to
    /// put its records in order. Reading the result in order then
    /// decompresses each chunk once, where reading this store in `order`
    /// could decompress a chunk for every alert.
    ///
    /// # Panics
    ///
    /// If an index is `len()` or more, or comes twice.
    pub fn into_order(mut self, order: &[u32]) -> PackedAlerts {
        /// Places per bucket (about 2 MiB of records at most decoded at once).
        const BUCKET: usize = 4096;
        let mut place = vec![u32::MAX; self.len()];
        for (p, &i) in order.iter().enumerate() {
            let slot = &mut place[i as usize];
            assert!(*slot == u32::MAX, "packed alerts: index {i} ordered twice");
            *slot = u32::try_from(p).expect("fewer than 2^32 alerts");
        }
        let mut buckets: Vec<(PackedAlerts, Vec<u32>)> = (0..order.len().div_ceil(BUCKET))
            .map(|_| (self.empty_like(), Vec::new()))
            .collect();
        let mut dctx = decompressor();
        let mut buf = Vec::new();
        for c in 0..=self.chunks.len() {
            if c < self.chunks.len() {
                self.load(c, &mut dctx, &mut buf);
                // Read once: its records leave as the buckets fill, so the
                // two copies are not held whole at once.
                self.chunks[c].data = Data::Heap(Box::default());
            }
            let bytes = self.bytes(c, &buf);
            for i in self.records(c) {
                let p = place[i];
                if p != u32::MAX {
                    let (store, places) = &mut buckets[p as usize / BUCKET];
                    store.push_raw(self.record(c, bytes, i));
                    places.push(p);
                }
            }
        }
        drop(place);
        let mut out = self.empty_like();
        drop(self);
        for (store, places) in buckets {
            let mut by_place: Vec<(u32, usize)> = places.into_iter().zip(0..).collect();
            by_place.sort_unstable();
            let mut loaded: Vec<Vec<u8>> = Vec::with_capacity(store.chunks.len() + 1);
            for c in 0..=store.chunks.len() {
                let mut b = Vec::new();
                store.load(c, &mut dctx, &mut b);
                loaded.push(b);
            }
            for (_, i) in by_place {
                let c = store.chunk_of(i);
                out.push_raw(store.record(c, store.bytes(c, &loaded[c]), i));
            }
        }
        out
    }

    /// Append one record as encoded by [`PackedAlerts::push`].
    fn push_raw(&mut self, record: &[u8]) {
        self.open.extend_from_slice(record);
        self.end_record();
    }

    /// The encoded bytes of record `i` of chunk `c`, from the chunk's
    /// decoded bytes.
    fn record<'b>(&self, c: usize, bytes: &'b [u8], i: usize) -> &'b [u8] {
        let start = if i == self.records(c).start {
            0
        } else {
            self.ends[i - 1] as usize
        };
        &bytes[start..self.ends[i] as usize]
    }

    /// Compress the open buffer into a chunk.
    fn seal(&mut self) {
        let data = zstd::bulk::compress(&self.open, LEVEL).unwrap_or_else(|e| {
            panic!(
                "packed alerts: chunk {} does not compress: {e}",
                self.chunks.len()
            )
        });
        let data = match &self.spill {
            Some(to) if self.sealed_bytes >= self.spill_after => match to.put(&data) {
                Some(at) => Data::Spilled {
                    to: to.clone(),
                    at,
                    len: data.len(),
                },
                None => Data::Heap(data.into_boxed_slice()),
            },
            _ => Data::Heap(data.into_boxed_slice()),
        };
        if let Data::Heap(d) = &data {
            self.sealed_bytes += d.len();
        }
        self.chunks.push(Chunk {
            first: self.open_first,
            data,
        });
        self.open.clear();
        self.open_first = self.ends.len();
    }

    /// Number of alerts held.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether no alert is held.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Number of sealed (compressed) chunks; the alerts pushed since the
    /// last one are held uncompressed.
    pub fn sealed_chunks(&self) -> usize {
        self.chunks.len()
    }

    /// Heap bytes held: compressed chunks not spilled, the open buffer (its capacity),
    /// record offsets and the chunk list, for memory accounting (in constant
    /// time).
    pub fn heap_bytes(&self) -> usize {
        self.chunks.capacity() * std::mem::size_of::<Chunk>()
            + self.sealed_bytes
            + self.ends.capacity() * std::mem::size_of::<u32>()
            + self.open.capacity()
    }

    /// Every alert in push order, decoding one chunk at a time.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            store: self,
            next: 0,
            chunk: None,
            buf: Vec::new(),
            dctx: decompressor(),
        }
    }

    /// Random access to the alerts, keeping the last [`CURSOR_CHUNKS`]
    /// decompressed chunks.
    pub fn cursor(&self) -> Cursor<'_> {
        self.cursor_keeping(CURSOR_CHUNKS)
    }

    /// Random access keeping the last `chunks` decompressed chunks (at
    /// least one): more for reading far from push order.
    pub fn cursor_keeping(&self, chunks: usize) -> Cursor<'_> {
        Cursor {
            store: self,
            keep: chunks.max(1),
            slots: Vec::new(),
            dctx: decompressor(),
            decompressed: 0,
        }
    }

    /// The alerts at `indices`, in the order of `indices` (repeats allowed),
    /// decompressing each chunk they touch once.
    ///
    /// # Panics
    ///
    /// If an index is `len()` or more.
    pub fn get_many(&self, indices: &[usize]) -> Vec<Alert> {
        let mut order: Vec<(usize, usize)> = indices
            .iter()
            .enumerate()
            .map(|(at, &i)| (self.chunk_of(i), at))
            .collect();
        order.sort_unstable();
        let mut out: Vec<Option<Alert>> = vec![None; indices.len()];
        let mut dctx = decompressor();
        let mut buf = Vec::new();
        let mut loaded = None;
        for (c, at) in order {
            if loaded != Some(c) {
                self.load(c, &mut dctx, &mut buf);
                loaded = Some(c);
            }
            out[at] = Some(self.decode(c, self.bytes(c, &buf), indices[at]));
        }
        out.into_iter()
            .map(|a| a.expect("every index was decoded"))
            .collect()
    }

    /// The chunk holding record `i`; `chunks.len()` stands for the open
    /// buffer.
    fn chunk_of(&self, i: usize) -> usize {
        assert!(
            i < self.len(),
            "packed alerts: index {i} out of range for {} alerts",
            self.len()
        );
        if i >= self.open_first {
            self.chunks.len()
        } else {
            self.chunks.partition_point(|c| c.first <= i) - 1
        }
    }

    /// The records of chunk `c` (`chunks.len()`: the open buffer).
    fn records(&self, c: usize) -> Range<usize> {
        let first = |c: usize| self.chunks.get(c).map_or(self.open_first, |k| k.first);
        if c < self.chunks.len() {
            first(c)..first(c + 1)
        } else {
            self.open_first..self.len()
        }
    }

    /// Decompress sealed chunk `c` into `buf`; nothing for the open buffer.
    fn load(&self, c: usize, dctx: &mut zstd::bulk::Decompressor<'static>, buf: &mut Vec<u8>) {
        let Some(chunk) = self.chunks.get(c) else {
            return;
        };
        let size = self.ends[self.records(c).end - 1] as usize;
        let spilled;
        let frame: &[u8] = match &chunk.data {
            Data::Heap(d) => d,
            Data::Spilled { to, at, len } => {
                let mut b = Vec::new();
                to.get(*at, *len, &mut b).unwrap_or_else(|e| {
                    panic!("packed alerts: spilled chunk {c} does not read back: {e}")
                });
                spilled = b;
                &spilled
            }
        };
        buf.clear();
        buf.reserve(size);
        let n = dctx
            .decompress_to_buffer(frame, buf)
            .unwrap_or_else(|e| panic!("packed alerts: chunk {c} does not decompress: {e}"));
        assert_eq!(
            n, size,
            "packed alerts: chunk {c} decompresses to {n} bytes, not {size}"
        );
    }

    /// The decoded bytes of chunk `c`: `loaded` (its decompression) for a
    /// sealed chunk, the open buffer otherwise.
    fn bytes<'a>(&'a self, c: usize, loaded: &'a [u8]) -> &'a [u8] {
        if c < self.chunks.len() {
            loaded
        } else {
            &self.open
        }
    }

    /// Decode record `i` of chunk `c` from the chunk's decoded bytes.
    fn decode(&self, c: usize, bytes: &[u8], i: usize) -> Alert {
        codec::decode(self.record(c, bytes, i))
            .unwrap_or_else(|e| panic!("packed alerts: chunk {c}, record {i} does not decode: {e}"))
    }
}

/// Levels of arrays and objects in `v` (0 for a scalar), without recursion.
fn nesting(v: &serde_json::Value) -> usize {
    use serde_json::Value;
    let inner = |v: &Value| matches!(v, Value::Array(_) | Value::Object(_));
    if !inner(v) {
        return 0;
    }
    let mut deepest = 0;
    let mut todo = vec![(v, 1)];
    while let Some((v, depth)) = todo.pop() {
        deepest = deepest.max(depth);
        match v {
            Value::Array(a) => todo.extend(a.iter().filter(|c| inner(c)).map(|c| (c, depth + 1))),
            Value::Object(o) => {
                todo.extend(o.values().filter(|c| inner(c)).map(|c| (c, depth + 1)))
            }
            _ => {}
        }
    }
    deepest
}

fn decompressor() -> zstd::bulk::Decompressor<'static> {
    zstd::bulk::Decompressor::new().expect("zstd makes a decompression context")
}

impl<'a> IntoIterator for &'a PackedAlerts {
    type Item = Alert;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Every alert of a [`PackedAlerts`] in push order, from
/// [`PackedAlerts::iter`]; holds one decompressed chunk.
pub struct Iter<'a> {
    store: &'a PackedAlerts,
    /// The next record.
    next: usize,
    /// The chunk `buf` holds, once one is loaded.
    chunk: Option<usize>,
    buf: Vec<u8>,
    dctx: zstd::bulk::Decompressor<'static>,
}

impl Iterator for Iter<'_> {
    type Item = Alert;

    fn next(&mut self) -> Option<Alert> {
        let store = self.store;
        let i = self.next;
        if i >= store.len() {
            return None;
        }
        let c = match self.chunk {
            Some(c) if i < store.records(c).end => c,
            _ => {
                let c = store.chunk_of(i);
                store.load(c, &mut self.dctx, &mut self.buf);
                self.chunk = Some(c);
                c
            }
        };
        self.next += 1;
        Some(store.decode(c, store.bytes(c, &self.buf), i))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.store.len() - self.next;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// Random access to a [`PackedAlerts`], from [`PackedAlerts::cursor`]:
/// keeps the last [`CURSOR_CHUNKS`] decompressed chunks (or as many as
/// [`PackedAlerts::cursor_keeping`] asks), least recently used dropped
/// first.
pub struct Cursor<'a> {
    store: &'a PackedAlerts,
    /// Decompressed chunks kept.
    keep: usize,
    /// (chunk, its decompressed bytes), most recently used first.
    slots: Vec<(usize, Vec<u8>)>,
    dctx: zstd::bulk::Decompressor<'static>,
    /// Chunks decompressed so far.
    decompressed: usize,
}

impl Cursor<'_> {
    /// Chunks decompressed so far (each read that missed the ones kept).
    pub fn decompressed(&self) -> usize {
        self.decompressed
    }

    /// The alert at `i`.
    ///
    /// # Panics
    ///
    /// If `i` is `len()` or more.
    pub fn get(&mut self, i: usize) -> Alert {
        let store = self.store;
        let c = store.chunk_of(i);
        if c == store.chunks.len() {
            return store.decode(c, &store.open, i);
        }
        let at = match self.slots.iter().position(|(k, _)| *k == c) {
            Some(at) => at,
            None => {
                let mut buf = if self.slots.len() < self.keep {
                    Vec::new()
                } else {
                    self.slots.pop().map(|(_, b)| b).unwrap_or_default()
                };
                store.load(c, &mut self.dctx, &mut buf);
                self.decompressed += 1;
                self.slots.push((c, buf));
                self.slots.len() - 1
            }
        };
        self.slots[..=at].rotate_right(1);
        store.decode(c, &self.slots[0].1, i)
    }
}

#[cfg(test)]
#[path = "packed_tests.rs"]
mod tests;
