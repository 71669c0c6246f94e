//! Read positions: which part of each file an incremental run has read.
//!
//! A file is known by its identity (device and inode on unix) and by a
//! fingerprint of its content (a hash of its first up-to-4 KiB, decompressed
//! for `.gz`/`.zst`). A run reads only what is new:
//! - growth: a plain file whose identity and fingerprint match is read from
//!   the byte offset after the last complete line read before; a final line
//!   without `\n` is left for the next run (it may still be being written);
//! - rotation: `access.log` renamed to `access.log.1` keeps its inode, so
//!   `.1` is finished from its offset and the new `access.log` read from 0;
//!   a file copied elsewhere (new inode) is matched by fingerprint;
//! - truncation (copytruncate): same inode, but shorter than the offset or
//!   with another fingerprint: read from 0, and noted;
//! - compressed rotations: a `.gz`/`.zst` whose decompressed content starts
//!   like a file already read is read past that file's offset only (nothing,
//!   when it was read to its end); a compressed file read in full is known by
//!   its identity and size and never decompressed again.
//!
//! Header lines a parser needs before any record (the CSV header of sign-in
//! exports, IIS `#Fields:`) are kept and replayed before a resumed read; they
//! are not counted again.

use super::prelude::update_prelude;
use haboob_ingest::{IngestError, ReadOptions, ReadStats};
use haboob_model::Fnv64;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Bytes of content the fingerprint covers (at most).
pub(crate) const FINGERPRINT_BYTES: usize = 4096;
/// Records kept per stream (current files and recent rotations).
const MAX_RECORDS: usize = 64;
/// Runs a record is kept after its file was last seen.
const KEEP_RUNS: u64 = 32;

/// Where reading of one file stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FilePos {
    /// Path when last read, as given (for notes and evidence).
    pub path: String,
    /// The same path made absolute and canonical when last read (for a
    /// retro-hunt run from another folder); `None` in checkpoints of older
    /// versions, or when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abs: Option<String>,
    /// Device and inode (0, 0 where the platform has none).
    pub dev: u64,
    /// Inode.
    pub ino: u64,
    /// Gzip or zstd.
    pub compressed: bool,
    /// On-disk size when last read.
    pub disk_len: u64,
    /// Content bytes the fingerprint covers.
    pub fp_len: u32,
    /// Hash of the first `fp_len` content bytes.
    pub fp: u64,
    /// Content bytes consumed: after the last complete line read.
    pub offset: u64,
    /// Lines consumed (the next line read is `line + 1`).
    pub line: u64,
    /// Format the file was read with.
    pub format: Option<String>,
    /// Header line to replay before a resumed read, without its `\n`.
    pub prelude: Option<Vec<u8>>,
    /// Run in which the file was last seen.
    pub seen_run: u64,
}

/// What happened to one file in a run, for [`super::ReadSummary`].
#[derive(Debug, Default)]
pub(crate) struct FileOutcome {
    /// Content bytes read this run.
    pub read: u64,
    /// Content bytes not read again (before the resume offset).
    pub skipped: u64,
    /// Whether any line was read.
    pub any: bool,
    /// A compressed file already read in full, not opened again.
    pub already: bool,
    /// Note when the file was recognised as a rotation of a known one.
    pub rotated: Option<String>,
    /// Note when the file was truncated and read again from the start.
    pub truncated: Option<String>,
}

/// Device and inode of a file (unix); (0, 0) elsewhere.
pub(crate) fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        (0, 0)
    }
}

/// The canonical absolute path of `path`, when it is UTF-8.
fn absolute(path: &Path) -> Option<String> {
    std::fs::canonicalize(path)
        .ok()
        .and_then(|p| p.into_os_string().into_string().ok())
}

fn fingerprint(head: &[u8]) -> u64 {
    Fnv64::default().write(head).finish()
}

pub(crate) fn matches(head: &[u8], r: &FilePos) -> bool {
    let n = r.fp_len as usize;
    head.len() >= n && fingerprint(&head[..n]) == r.fp
}

/// Read up to `n` bytes (fewer at the end).
pub(crate) fn read_up_to(r: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    let mut v = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut v)?;
    Ok(v)
}

/// Offset after the last `\n` in `[from, len)` of `f`, or `from`.
fn last_line_end(f: &mut File, from: u64, len: u64) -> io::Result<u64> {
    const BLOCK: u64 = 64 * 1024;
    let mut hi = len;
    let mut buf = vec![0u8; BLOCK as usize];
    while hi > from {
        let lo = hi.saturating_sub(BLOCK).max(from);
        let n = usize::try_from(hi - lo).unwrap_or(0);
        f.seek(SeekFrom::Start(lo))?;
        f.read_exact(&mut buf[..n])?;
        if let Some(i) = memchr_last(&buf[..n]) {
            return Ok(lo + i as u64 + 1);
        }
        hi = lo;
    }
    Ok(from)
}

fn memchr_last(b: &[u8]) -> Option<usize> {
    b.iter().rposition(|&c| c == b'\n')
}

/// The decompressing reader of a compressed file, or `None` for plain.
pub(crate) fn decoder(path: &Path) -> io::Result<Option<Box<dyn Read>>> {
    let mut f = File::open(path)?;
    let mut magic = [0u8; 4];
    let n = read_up_to(&mut f, 4)?;
    magic[..n.len()].copy_from_slice(&n);
    f.seek(SeekFrom::Start(0))?;
    let br = BufReader::with_capacity(64 * 1024, f);
    if magic[..2] == [0x1f, 0x8b] {
        Ok(Some(Box::new(flate2::bufread::MultiGzDecoder::new(br))))
    } else if magic == [0x28, 0xb5, 0x2f, 0xfd] {
        Ok(Some(Box::new(zstd::Decoder::with_buffer(br)?)))
    } else {
        Ok(None)
    }
}

/// Counts the bytes read through it.
struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

/// Where to start reading one file.
struct Start {
    offset: u64,
    line: u64,
    format: Option<String>,
    prelude: Option<Vec<u8>>,
}

impl Start {
    fn fresh() -> Start {
        Start {
            offset: 0,
            line: 0,
            format: None,
            prelude: None,
        }
    }

    fn from(r: &FilePos) -> Start {
        Start {
            offset: r.offset,
            line: r.line,
            format: r.format.clone(),
            prelude: r.prelude.clone(),
        }
    }
}

/// How one file of a stream is read: the stream's records, the identities
/// of every file of the stream present now, the run number.
pub(crate) struct Positions<'a> {
    pub records: &'a mut Vec<FilePos>,
    pub present: &'a HashSet<(u64, u64)>,
    pub run: u64,
}

impl Positions<'_> {
    /// Read what is new in the file at `path` into `sink` (options `ro`),
    /// adding to `stats`; the file's record is updated.
    pub(crate) fn read(
        &mut self,
        path: &Path,
        name: &str,
        ro: &ReadOptions,
        progress: &(dyn Fn(u64) + Sync),
        sink: &mut dyn haboob_ingest::EventSink,
        stats: &mut ReadStats,
    ) -> Result<FileOutcome, IngestError> {
        let open_err = |source| IngestError::Open {
            path: name.to_owned(),
            source,
        };
        let read_err = |source| IngestError::Read {
            path: name.to_owned(),
            line: 0,
            source,
        };
        let mut f = File::open(path).map_err(open_err)?;
        let meta = f.metadata().map_err(open_err)?;
        let abs = absolute(path);
        let (dev, ino) = identity(&meta);
        let disk_len = meta.len();
        let known = (dev, ino) != (0, 0);
        let mut out = FileOutcome::default();
        if let Some(mut dec) = decoder(path).map_err(open_err)? {
            // A compressed file read in full before: not opened again.
            if let Some(r) = self.records.iter_mut().find(|r| {
                r.compressed && known && (r.dev, r.ino) == (dev, ino) && r.disk_len == disk_len
            }) {
                r.seen_run = self.run;
                r.path = name.to_owned();
                r.abs = abs;
                out.already = true;
                return Ok(out);
            }
            let head = read_up_to(&mut dec, FINGERPRINT_BYTES).map_err(read_err)?;
            let found = self
                .records
                .iter()
                .enumerate()
                .filter(|(_, r)| matches(&head, r))
                .max_by_key(|(_, r)| r.offset)
                .map(|(i, _)| i);
            let start = match found {
                Some(i) => {
                    let r = &self.records[i];
                    out.rotated = Some(format!(
                        "{name}: a compressed rotation of {} (read to byte {}): only what follows is read",
                        r.path, r.offset
                    ));
                    Start::from(r)
                }
                None => Start::fresh(),
            };
            let mut content = Counted {
                inner: io::Cursor::new(head.clone()).chain(dec),
                n: 0,
            };
            let skipped = io::copy(&mut (&mut content).take(start.offset), &mut io::sink())
                .map_err(read_err)?;
            if skipped < start.offset {
                // Shorter than what was read of the file it starts like:
                // not that file after all; read it whole.
                out.rotated = None;
                let dec = decoder(path)
                    .map_err(open_err)?
                    .ok_or_else(|| open_err(io::Error::other("no longer compressed")))?;
                return self.read_compressed(
                    Counted { inner: dec, n: 0 },
                    Start::fresh(),
                    (dev, ino, disk_len, &head, abs),
                    (name, ro, progress, sink, stats),
                    out,
                );
            }
            if let Some(i) = found {
                if !self
                    .present
                    .contains(&(self.records[i].dev, self.records[i].ino))
                    || !known
                {
                    self.records.remove(i);
                }
            }
            out.skipped = start.offset;
            return self.read_compressed(
                content,
                start,
                (dev, ino, disk_len, &head, abs),
                (name, ro, progress, sink, stats),
                out,
            );
        }
        let head = read_up_to(&mut f, FINGERPRINT_BYTES).map_err(read_err)?;
        let by_id = self
            .records
            .iter()
            .position(|r| !r.compressed && known && (r.dev, r.ino) == (dev, ino));
        let (start, found) = match by_id {
            Some(i) => {
                let r = &self.records[i];
                if disk_len >= r.offset && matches(&head, r) {
                    if r.path != name {
                        out.rotated = Some(format!(
                            "{name}: was {} (rotated), read on from byte {}",
                            r.path, r.offset
                        ));
                    }
                    (Start::from(r), Some(i))
                } else {
                    out.truncated = Some(format!(
                        "{name}: truncated or rewritten since the last run (was read to byte {}, now {} bytes): read again from the start",
                        r.offset, disk_len
                    ));
                    (Start::fresh(), Some(i))
                }
            }
            None => {
                // A copy (copytruncate, or a rotation that copies): the
                // record of the file it was copied from, which is kept when
                // that file is still here (it was truncated, or goes on).
                let copy = self
                    .records
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| {
                        !r.compressed && r.fp_len > 0 && disk_len >= r.offset && matches(&head, r)
                    })
                    .max_by_key(|(_, r)| r.offset)
                    .map(|(i, _)| i);
                match copy {
                    Some(i) => {
                        let r = &self.records[i];
                        out.rotated = Some(format!(
                            "{name}: a copy of {} (same content), read on from byte {}",
                            r.path, r.offset
                        ));
                        let still_here = known && self.present.contains(&(r.dev, r.ino));
                        (Start::from(r), (!still_here).then_some(i))
                    }
                    None => (Start::fresh(), None),
                }
            }
        };
        if let Some(i) = found {
            self.records.remove(i);
        }
        let end = last_line_end(&mut f, start.offset, disk_len).map_err(read_err)?;
        out.skipped = start.offset;
        let mut rec = FilePos {
            path: name.to_owned(),
            abs,
            dev,
            ino,
            compressed: false,
            disk_len,
            fp_len: 0,
            fp: 0,
            offset: end,
            line: start.line,
            format: start.format.clone(),
            prelude: start.prelude.clone(),
            seen_run: self.run,
        };
        let fp_len = head.len().min(usize::try_from(end).unwrap_or(usize::MAX));
        rec.fp_len = u32::try_from(fp_len).unwrap_or(0);
        rec.fp = fingerprint(&head[..fp_len]);
        let res = if end > start.offset {
            f.seek(SeekFrom::Start(start.offset)).map_err(read_err)?;
            let body = (&mut f).take(end - start.offset);
            let r = read_part(body, &start, name, ro, progress, sink, stats, &mut rec);
            out.read = end - start.offset;
            out.any = true;
            if r.is_ok() {
                update_prelude(&mut rec, &mut f, start.offset, end).map_err(read_err)?;
            }
            r
        } else {
            Ok(())
        };
        self.records.push(rec);
        res.map(|()| out)
    }

    /// Read the rest of a compressed file (everything after `start.offset`).
    fn read_compressed(
        &mut self,
        mut content: Counted<impl Read>,
        start: Start,
        (dev, ino, disk_len, head, abs): (u64, u64, u64, &[u8], Option<String>),
        (name, ro, progress, sink, stats): (
            &str,
            &ReadOptions,
            &(dyn Fn(u64) + Sync),
            &mut dyn haboob_ingest::EventSink,
            &mut ReadStats,
        ),
        mut out: FileOutcome,
    ) -> Result<FileOutcome, IngestError> {
        let before = content.n;
        let mut rec = FilePos {
            path: name.to_owned(),
            abs,
            dev,
            ino,
            compressed: true,
            disk_len,
            fp_len: u32::try_from(head.len()).unwrap_or(0),
            fp: fingerprint(head),
            offset: 0,
            line: start.line,
            format: start.format.clone(),
            prelude: start.prelude.clone(),
            seen_run: self.run,
        };
        // Is anything left? (A rotation read to its end has nothing.)
        let mut first = [0u8; 1];
        let n = content
            .read(&mut first)
            .map_err(|source| IngestError::Read {
                path: name.to_owned(),
                line: 0,
                source,
            })?;
        let res = if n == 0 {
            Ok(())
        } else {
            out.any = true;
            let body = io::Cursor::new(first[..n].to_vec()).chain(&mut content);
            read_part(body, &start, name, ro, progress, sink, stats, &mut rec)
        };
        rec.offset = content.n;
        out.read = content.n - before;
        self.records.push(rec);
        res.map(|()| out)
    }

    /// Forget records of files not seen for a while; keep at most
    /// [`MAX_RECORDS`], most recently seen first.
    pub(crate) fn prune(records: &mut Vec<FilePos>, run: u64) {
        records.retain(|r| run.saturating_sub(r.seen_run) <= KEEP_RUNS);
        records.sort_by(|a, b| b.seen_run.cmp(&a.seen_run).then(a.path.cmp(&b.path)));
        records.truncate(MAX_RECORDS);
    }
}

/// Read one part of a file (after `start`), with the header replayed;
/// `rec` gets the lines and format.
#[allow(clippy::too_many_arguments)]
fn read_part(
    body: impl Read,
    start: &Start,
    name: &str,
    ro: &ReadOptions,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn haboob_ingest::EventSink,
    stats: &mut ReadStats,
    rec: &mut FilePos,
) -> Result<(), IngestError> {
    let mut prelude = Vec::new();
    let resumed = start.offset > 0;
    if resumed {
        if let Some(p) = &start.prelude {
            prelude.extend_from_slice(p);
            prelude.push(b'\n');
        }
    }
    let replayed = prelude.iter().filter(|&&b| b == b'\n').count() as u64;
    let mut ro = ro.clone();
    ro.first_line = start.line.saturating_sub(replayed);
    if resumed && ro.format.is_none() {
        ro.format = start.format.as_deref().and_then(|f| f.parse().ok());
    }
    let mut file_stats = ReadStats::default();
    let res = haboob_ingest::read_reader_into(
        io::Cursor::new(prelude).chain(body),
        name,
        &ro,
        progress,
        sink,
        &mut file_stats,
    );
    // The replayed header was counted when it was first read.
    file_stats.lines = file_stats.lines.saturating_sub(replayed);
    file_stats.parsed = file_stats.parsed.saturating_sub(replayed);
    rec.line = start.line + file_stats.lines;
    if let Some(f) = file_stats.formats.keys().next() {
        rec.format = Some(f.clone());
    }
    stats.merge(file_stats, crate::MAX_REJECT_SAMPLES);
    res
}
