//! External merge sort of events for streams that are not in time order.
//!
//! Each event is encoded once into a compact byte record (its fields, its
//! line number and its raw text bounded to [`MAX_HELD_RAW_BYTES`]). Records
//! are held in an in-memory run bounded by bytes; a full run is sorted and
//! written to an anonymous temporary file. At the end the runs are merged
//! (k-way, at most [`MAX_FANIN`] files open at once) and every record is
//! handed back, decoded as a borrowed [`EventRef`], in key order.
//!
//! The key is `(ts, file index, line key, sequence)`: the sequence number
//! makes it total, so records with equal keys otherwise keep their insertion
//! order and the result does not depend on run boundaries.

use haboob_ingest::codec::{decode, encode, MAX_HELD_RAW_BYTES};
use haboob_model::{EventRef, Origin};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};

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
        encode(
            ev,
            origin,
            MAX_HELD_RAW_BYTES,
            "",
            &mut self.datasets,
            &mut self.scratch,
        );
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
    let (ev, line, raw) = decode(data, "", datasets)?;
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

#[cfg(test)]
#[path = "spool_tests.rs"]
mod tests;
