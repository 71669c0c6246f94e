//! Reading one input: decompression, line framing over a reused buffer,
//! format detection with replay, parsing and accounting.

pub(crate) use crate::lines::Lines;
use crate::par::Pipeline;
use crate::{Format, IngestError, Input};
use haboob_model::{EventRef, Origin};
use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;
use wide::u8x16;

/// Where a reader hands its results: each event, and each rejected line.
/// Any `FnMut(&EventRef, &Origin)` closure is a sink that ignores rejections.
pub trait EventSink {
    /// One parsed event; borrowed for the call only.
    fn event(&mut self, ev: &EventRef<'_>, origin: &Origin<'_>);
    /// One rejected line or record (`file`, 1-based `line`, `reason`) and
    /// its text (empty when it was too long to keep). Called for every
    /// rejection, not only the sampled ones.
    fn rejected(&mut self, _file: &str, _line: u64, _reason: &str, _raw: &str) {}
    /// The log format chosen for the input being read.
    fn format(&mut self, _format: Format) {}
}

impl<F: FnMut(&EventRef<'_>, &Origin<'_>)> EventSink for F {
    fn event(&mut self, ev: &EventRef<'_>, origin: &Origin<'_>) {
        self(ev, origin)
    }
}

pub use crate::options::{Parallel, ReadOptions, ReadStats, Rejection};

/// Bytes read per `read` call.
const CHUNK: usize = 256 * 1024;
/// Alignment of the address each read writes to.
const ALIGN: usize = 64;
/// Progress is reported about this often (in on-disk bytes).
const PROGRESS_EVERY: u64 = 1 << 20;

/// Counts bytes read from the underlying (on-disk) source.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Wrap a raw source with gzip or zstd decoding when its magic bytes say so.
fn decoded<'r, R: Read + 'r>(raw: R) -> std::io::Result<Box<dyn Read + 'r>> {
    let mut br = BufReader::with_capacity(64 * 1024, raw);
    let head = br.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(flate2::bufread::MultiGzDecoder::new(br)))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Ok(Box::new(zstd::Decoder::with_buffer(br)?))
    } else {
        Ok(Box::new(br))
    }
}

/// Read one input to the end: transparently gunzip and unzstd, split lines,
/// detect the format from the first non-empty lines (unless given), parse
/// each line and call `on_event` for each event. `progress` gets the on-disk
/// bytes consumed since its last call (about every MiB).
///
/// # Errors
/// [`IngestError::Open`], [`IngestError::Read`], [`IngestError::UnknownFormat`],
/// and [`IngestError::Strict`] in strict mode.
pub fn read_input(
    input: &Input,
    opts: &ReadOptions,
    progress: &(dyn Fn(u64) + Sync),
    mut on_event: &mut dyn FnMut(&EventRef<'_>, &Origin<'_>),
) -> Result<ReadStats, IngestError> {
    let mut stats = ReadStats::default();
    read_into(input, opts, progress, &mut on_event, &mut stats)?;
    Ok(stats)
}

/// [`read_input`] into a [`EventSink`], adding to `stats` as it goes: when
/// reading fails part-way (a truncated `.gz`, strict mode), `stats` still
/// counts every line read before the failure.
///
/// # Errors
/// As [`read_input`].
pub fn read_into(
    input: &Input,
    opts: &ReadOptions,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn EventSink,
    stats: &mut ReadStats,
) -> Result<(), IngestError> {
    let name = input.display();
    let span = tracing::debug_span!("read", file = %name);
    let _enter = span.enter();
    match input {
        Input::Stdin => read_chunked(
            std::io::stdin().lock(),
            &name,
            opts,
            progress,
            sink,
            stats,
            CHUNK,
        ),
        Input::File(p) => {
            let evtx = match opts.format {
                Some(f) => f.is_record_format(),
                None => crate::evtx::is_evtx_file(p),
            };
            if evtx {
                return crate::evtx::read_evtx_file(p, &name, opts, progress, sink, stats);
            }
            let f = std::fs::File::open(p).map_err(|source| IngestError::Open {
                path: name.clone(),
                source,
            })?;
            read_chunked(f, &name, opts, progress, sink, stats, CHUNK)
        }
    }
}

/// [`read_input`] over any reader (stdin, a socket, a test buffer); `name`
/// becomes `Origin::file`.
///
/// # Errors
/// As [`read_input`], minus `Open`.
pub fn read_reader(
    reader: impl Read,
    name: &str,
    opts: &ReadOptions,
    progress: &(dyn Fn(u64) + Sync),
    mut on_event: &mut dyn FnMut(&EventRef<'_>, &Origin<'_>),
) -> Result<ReadStats, IngestError> {
    let mut stats = ReadStats::default();
    read_chunked(
        reader,
        name,
        opts,
        progress,
        &mut on_event,
        &mut stats,
        CHUNK,
    )?;
    Ok(stats)
}

/// [`read_reader`] into an [`EventSink`], adding to `stats` as it goes (see
/// [`read_into`]).
///
/// # Errors
/// As [`read_reader`].
pub fn read_reader_into(
    reader: impl Read,
    name: &str,
    opts: &ReadOptions,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn EventSink,
    stats: &mut ReadStats,
) -> Result<(), IngestError> {
    read_chunked(reader, name, opts, progress, sink, stats, CHUNK)
}

/// The reader with a chosen read size (tests use tiny ones).
pub(crate) fn read_chunked(
    reader: impl Read,
    name: &str,
    opts: &ReadOptions,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn EventSink,
    stats: &mut ReadStats,
    chunk: usize,
) -> Result<(), IngestError> {
    let count = Rc::new(Cell::new(0u64));
    let counting = Counting {
        inner: reader,
        count: Rc::clone(&count),
    };
    let read_err = |source, line| IngestError::Read {
        path: name.to_owned(),
        line,
        source,
    };
    stats.files += 1;
    let mut src = decoded(counting).map_err(|e| read_err(e, 0))?;
    let max = opts.max_line_bytes;
    let chunk = chunk.max(1);
    let cap = max + chunk + 2 + ALIGN;
    let mut buf = vec![0u8; cap];
    // The unfinished line is moved to end at `base` before each read, so
    // that the read lands at an address aligned to `ALIGN` (the kernel's
    // copy into it is faster); `base` leaves room for a line of `max + 1`.
    let base = {
        let at = (buf.as_ptr() as usize).wrapping_add(max + 1);
        max + 1 + (ALIGN - at % ALIGN) % ALIGN
    };
    let (mut start, mut end, mut scan) = (0usize, 0usize, 0usize);
    if crate::docread::may_be_document(opts) {
        // JSON arrays and page wrappers are framed record by record.
        let (head, eof) = crate::docread::fill_head(&mut *src, &mut buf, max + 1, chunk)
            .map_err(|e| read_err(e, 0))?;
        if crate::docread::is_document(&buf[..head], eof) {
            let bytes = || count.get();
            return crate::docread::read_document(
                head, &mut buf, chunk, &mut *src, name, opts, progress, &bytes, sink, stats,
            );
        }
        end = head;
    }
    let mut lines = Lines::new(name, opts, sink, stats);
    // Newline offsets of one read's text (see [`newlines`]).
    let mut nls: Vec<u32> = Vec::new();
    let mut skipping = false;
    let mut reported = 0u64;
    let mut pipe: Option<Pipeline> = None;
    loop {
        if pipe.is_none() && Pipeline::wanted(opts, &lines) {
            pipe = Some(Pipeline::new(&lines));
        }
        if let Some(pl) = pipe.as_mut() {
            // Whole lines go to the pipeline as one block; an overlong line
            // is accounted here, after everything before it.
            if skipping {
                if let Some(off) = memchr::memchr(b'\n', &buf[scan..end]) {
                    pl.drain(&mut lines)?;
                    skipping = false;
                    lines.line(None)?;
                    pl.line_no = lines.line_no;
                    start = scan + off + 1;
                }
            }
            if !skipping {
                if let Some(last) = memchr::memrchr(b'\n', &buf[start..end]) {
                    let cut = start + last + 1;
                    pl.push(buf[start..cut].to_vec(), &mut lines)?;
                    start = cut;
                }
            }
        } else {
            // The whole lines read are checked as UTF-8 once, as one block
            // (SIMD; lines split at `\n` of valid text are valid text); a
            // block that fails is checked line by line, so a bad line is
            // found and accounted for as it always was.
            let block_start = start;
            // Every newline of what was read, found in one pass (no search
            // per line, whose end varies with the line's length).
            let found = newlines(&buf[scan..end], &mut nls);
            let block = match nls[..found].last() {
                Some(&off) if lines.has_parser() => {
                    simdutf8::basic::from_utf8(&buf[start..scan + off as usize]).ok()
                }
                _ => None,
            };
            let from = scan;
            for &off in &nls[..found] {
                let nl = from + off as usize;
                if skipping {
                    skipping = false;
                    lines.line(None)?;
                } else {
                    match block.and_then(|b| b.get(start - block_start..nl - block_start)) {
                        Some(text) => lines.line_str(text)?,
                        None => lines.line(Some(&buf[start..nl]))?,
                    }
                }
                start = nl + 1;
            }
        }
        scan = end;
        if skipping || end - start > max + 1 {
            skipping = true;
            start = end;
            scan = end;
        }
        let to = base - (end - start);
        if start != to {
            buf.copy_within(start..end, to);
            scan = scan - start + to;
            start = to;
            end = base;
        }
        if opts.stopped() {
            if let Some(pl) = pipe.as_mut() {
                pl.drain(&mut lines)?;
            }
            lines.stats.bytes += count.get();
            return Err(IngestError::Stopped {
                path: name.to_owned(),
            });
        }
        let room = (cap - end).min(chunk);
        let n = loop {
            match src.read(&mut buf[end..end + room]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    if let Some(pl) = pipe.as_mut() {
                        pl.drain(&mut lines)?;
                    }
                    // Account for what was read; an unfinished last line is
                    // rejected as truncated.
                    let line = lines.line_no;
                    if !skipping && start < end {
                        lines.line(Some(&buf[start..end]))?;
                    }
                    lines.finish()?;
                    lines.stats.bytes += count.get();
                    return Err(read_err(e, line));
                }
            }
        };
        let now = count.get();
        if now - reported >= PROGRESS_EVERY {
            progress(now - reported);
            reported = now;
        }
        if n == 0 {
            if let Some(pl) = pipe.as_mut() {
                pl.drain(&mut lines)?;
            }
            if skipping {
                lines.line(None)?;
            } else if start < end {
                lines.line(Some(&buf[start..end]))?;
            }
            break;
        }
        end += n;
    }
    let now = count.get();
    if now > reported {
        progress(now - reported);
    }
    lines.stats.bytes += now;
    lines.finish()
}

/// The offsets of the newlines of `b` (at most `u32::MAX` bytes) in
/// `out[..n]`, `n` returned. The bytes are compared 64 at a time and each
/// block's first newline is written whether there is one or not (the
/// count moves on only when there is): no branch per line. `out` grows to
/// one entry per newline and block (a read's worth: bounded by the read
/// size).
fn newlines(b: &[u8], out: &mut Vec<u32>) -> usize {
    // One entry per block and two to spare: the loop writes at most one
    // per block (more only in [`more_newlines`], which grows it).
    let need = b.len() / 64 + 2;
    if out.len() < need {
        out.resize(need, 0);
    }
    let nl = u8x16::splat(b'\n');
    let mut n = 0usize;
    let mut blocks = b.chunks_exact(64);
    let mut at = 0u32;
    for c in &mut blocks {
        let mut m = 0u64;
        for (k, q) in c.chunks_exact(16).enumerate() {
            let q = <[u8; 16]>::try_from(q).unwrap_or([0; 16]);
            m |= u64::from(u8x16::from(q).cmp_eq(nl).move_mask() as u16) << (16 * k);
        }
        // There is room for one entry per block left: `need` at the
        // start, and `more_newlines` leaves as much after its own.
        out[n] = at + m.trailing_zeros();
        n += usize::from(m != 0);
        m &= m.wrapping_sub(1);
        if m != 0 {
            n = more_newlines(out, n, at, m, need);
        }
        at += 64;
    }
    for (i, &c) in blocks.remainder().iter().enumerate() {
        if c == b'\n' {
            if n >= out.len() {
                out.resize(n + need, 0);
            }
            out[n] = at + i as u32;
            n += 1;
        }
    }
    n
}

/// The newlines of one block after its first (short lines), `m` their
/// mask, written from `out[n]` on, with room for one entry per block
/// after them; the new count. Out of [`newlines`]' loop, which keeps its
/// registers for the usual block of one newline or none.
#[cold]
#[inline(never)]
fn more_newlines(out: &mut Vec<u32>, mut n: usize, at: u32, mut m: u64, need: usize) -> usize {
    while m != 0 {
        if n + need > out.len() {
            out.resize(n + need, 0);
        }
        out[n] = at + m.trailing_zeros();
        n += 1;
        m &= m - 1;
    }
    n
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
