//! Reading a plain list into a [`ListBatch`]: from a stream, line by line
//! ([`read_list_batch`]), or from bytes in memory, whose lines after the
//! header are parsed in parallel chunks ([`read_list_bytes`]) with the same
//! result: values, line numbers, rejections and counts.

use super::{classify, kind_of, split_label, Entry, Header, ListBatch, ListKind, MAX_VALUE_BYTES};
use crate::sources::{ImportOptions, ImportSummary};
use crate::{IntelError, Observable};
use rayon::prelude::*;
use std::io::BufRead;

/// Lines at least this long (without the newline) are rejected.
const MAX_LINE_BYTES: usize = MAX_VALUE_BYTES * 2;
/// Bytes per chunk of [`read_list_bytes`] (a 20 MB feed gives ~20 tasks).
const CHUNK_BYTES: usize = 1 << 20;

/// The state of reading one list (or one chunk of it).
struct Reader<'a> {
    file: &'a str,
    opts: &'a ImportOptions,
    summary: ImportSummary,
    batch: ListBatch,
    header: Header,
    in_header: bool,
    kind: ListKind,
    /// Counts per kind, added to the summary at the end.
    counts: Vec<(&'static str, u64)>,
}

impl<'a> Reader<'a> {
    fn new(file: &'a str, source: &str, opts: &'a ImportOptions) -> Self {
        Reader {
            file,
            opts,
            summary: ImportSummary::default(),
            batch: ListBatch {
                source: source.to_string(),
                file: file.to_string(),
                imported: opts.imported,
                ..ListBatch::default()
            },
            header: Header::default(),
            in_header: true,
            kind: opts.list_kind.unwrap_or_default(),
            counts: Vec::new(),
        }
    }

    /// A reader of the lines after the header of `r` (which has seen it).
    fn body_of(r: &Reader<'a>) -> Self {
        let mut b = Reader::new(r.file, "", r.opts);
        b.in_header = false;
        b.kind = r.kind;
        b
    }

    /// Line `line_no` (1-based) without its newline; `long` when it was cut
    /// at [`MAX_LINE_BYTES`].
    fn line(&mut self, buf: &[u8], line_no: u64, long: bool) {
        let file = self.file;
        let summary = &mut self.summary;
        if long {
            summary.reject(format!("{file}:{line_no}"), "line longer than 8192 bytes");
            return;
        }
        let Ok(line) = std::str::from_utf8(buf) else {
            summary.reject(format!("{file}:{line_no}"), "not UTF-8 text");
            return;
        };
        let end = buf
            .iter()
            .rposition(|c| !matches!(c, b'\n' | b'\r'))
            .map_or(0, |e| e + 1);
        // (Cut next to an ASCII byte: a char boundary.)
        let line = &line[..end];
        let line = if line_no == 1 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let trimmed = crate::sources::value::trim(line);
        if trimmed.is_empty() {
            return;
        }
        if let Some(c) = trimmed.strip_prefix('#') {
            if self.in_header {
                if let Err(e) = super::header_line(c, &mut self.header) {
                    summary.reject(format!("{file}:{line_no}"), e);
                }
            }
            return;
        }
        let batch = &mut self.batch;
        if self.in_header {
            // The header ends at the first value: it holds for every value.
            self.in_header = false;
            let header = &self.header;
            self.kind = self.opts.list_kind.or(header.kind).unwrap_or_default();
            batch.kind = self.kind;
            batch.actors = header.actor.iter().cloned().collect();
            batch.tlp = header.tlp.or(self.opts.tlp);
            batch.confidence = header.confidence;
            batch.valid_until = header.valid_until;
        }
        let kind = self.kind;
        let (value, label) = split_label(line, kind);
        let obs = match kind {
            ListKind::UserAgent => {
                if value.len() > MAX_VALUE_BYTES {
                    Err("value longer than 4096 bytes")
                } else if value.bytes().any(|b| b.is_ascii_control()) {
                    Err("control characters in a user agent")
                } else {
                    Ok(Observable::UserAgent(value.to_string()))
                }
            }
            ListKind::Any => classify(value),
        };
        let obs = match obs {
            Ok(o) => o,
            Err(reason) => {
                summary.reject(format!("{file}:{line_no}"), reason);
                return;
            }
        };
        let label = label.unwrap_or("");
        let (Ok(start), Ok(vlen), Ok(llen), Ok(line)) = (
            u32::try_from(batch.text.len() + value.len() + label.len())
                .map(|_| batch.text.len() as u32),
            u16::try_from(value.len()),
            u16::try_from(label.len()),
            u32::try_from(line_no),
        ) else {
            summary.reject(
                format!("{file}:{line_no}"),
                "list larger than 4 GiB or 4 billion lines",
            );
            return;
        };
        let k = kind_of(&obs);
        // (The same literal: most often the same address too.)
        match self
            .counts
            .iter_mut()
            .find(|(c, _)| std::ptr::eq(*c, k) || *c == k)
        {
            Some((_, n)) => *n += 1,
            None => self.counts.push((k, 1)),
        }
        batch.text.push_str(value);
        batch.text.push_str(label);
        batch.entries.push(Entry {
            start,
            vlen,
            llen,
            line,
        });
        batch.obs.push(obs);
    }

    /// Append the values and accounting of `o` (read after `self`).
    fn append(&mut self, o: Reader<'_>) {
        let off = self.batch.text.len();
        self.batch.text.push_str(&o.batch.text);
        for mut e in o.batch.entries {
            // Both arenas are below 4 GiB together ([`read_list_bytes`]
            // reads at most 256 MiB), so the offset fits.
            e.start = (e.start as usize + off) as u32;
            self.batch.entries.push(e);
        }
        self.batch.obs.extend(o.batch.obs);
        self.summary.merge(o.summary);
        for (k, n) in o.counts {
            match self.counts.iter_mut().find(|(c, _)| *c == k) {
                Some((_, c)) => *c += n,
                None => self.counts.push((k, n)),
            }
        }
    }

    fn finish(mut self) -> (ListBatch, ImportSummary) {
        for (k, n) in self.counts {
            *self.summary.by_kind.entry(k.to_string()).or_default() += n;
        }
        tracing::debug!(
            file = self.file,
            imported = self.batch.len(),
            rejected = self.summary.rejected,
            "List read."
        );
        (self.batch, self.summary)
    }
}

/// [`super::read_list`] without making an [`crate::Indicator`] per line:
/// the list as a [`ListBatch`], and the accounting.
///
/// # Errors
/// Only when the input cannot be read; bad lines are counted rejections.
pub fn read_list_batch<R: BufRead>(
    mut r: R,
    file: &str,
    source: &str,
    opts: &ImportOptions,
) -> Result<(ListBatch, ImportSummary), IntelError> {
    let mut st = Reader::new(file, source, opts);
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let io = |error| IntelError::Io {
        source_name: file.to_string(),
        error,
    };
    loop {
        buf.clear();
        let n = std::io::Read::take(&mut r, MAX_LINE_BYTES as u64)
            .read_until(b'\n', &mut buf)
            .map_err(io)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let long = !buf.ends_with(b"\n") && n == MAX_LINE_BYTES;
        if long {
            super::skip_line(&mut r).map_err(io)?;
        }
        st.line(&buf, line_no, long);
    }
    Ok(st.finish())
}

/// Most bytes [`read_list_bytes`] takes whole (its arena offsets are 32-bit;
/// a list this large is held in memory once, larger ones are streamed).
pub const MAX_LIST_BYTES: usize = 1 << 28;

/// [`read_list_batch`] over a list held in memory (at most
/// [`MAX_LIST_BYTES`]; longer ones are read as a stream): the header is
/// read first, then the lines after it in parallel chunks on the rayon
/// pool. The same batch and accounting as [`read_list_batch`].
///
/// # Errors
/// As [`read_list_batch`].
pub fn read_list_bytes(
    data: &[u8],
    file: &str,
    source: &str,
    opts: &ImportOptions,
) -> Result<(ListBatch, ImportSummary), IntelError> {
    read_list_bytes_chunked(data, CHUNK_BYTES, file, source, opts)
}

/// [`read_list_bytes`] with chunks of about `chunk` bytes (tests cut small
/// lists into many chunks).
#[doc(hidden)]
pub fn read_list_bytes_chunked(
    data: &[u8],
    chunk: usize,
    file: &str,
    source: &str,
    opts: &ImportOptions,
) -> Result<(ListBatch, ImportSummary), IntelError> {
    if data.len() > MAX_LIST_BYTES {
        return read_list_batch(data, file, source, opts);
    }
    let (st, parts) = parse_parts(data, chunk, file, source, opts);
    Ok(merge(st, parts))
}

/// [`read_list_bytes`] taking the bytes, freed once parsed (before the
/// chunks are joined: the peak holds the text once less).
pub(crate) fn read_list_vec(
    data: Vec<u8>,
    file: &str,
    source: &str,
    opts: &ImportOptions,
) -> Result<(ListBatch, ImportSummary), IntelError> {
    if data.len() > MAX_LIST_BYTES {
        return read_list_batch(&data[..], file, source, opts);
    }
    let (st, parts) = parse_parts(&data, CHUNK_BYTES, file, source, opts);
    drop(data);
    Ok(merge(st, parts))
}

/// The header (and first value) read in order, then the lines after it in
/// chunks of about `chunk` bytes on the pool, in order.
fn parse_parts<'a>(
    data: &[u8],
    chunk: usize,
    file: &'a str,
    source: &str,
    opts: &'a ImportOptions,
) -> (Reader<'a>, Vec<Reader<'a>>) {
    let chunk = chunk.max(1);
    let mut st = Reader::new(file, source, opts);
    let mut line_no = 0u64;
    let mut rest = data;
    while st.in_header && !rest.is_empty() {
        let (line, after) = split_line(rest);
        line_no += 1;
        st.line(
            &line[..line.len().min(MAX_LINE_BYTES)],
            line_no,
            line.len() >= MAX_LINE_BYTES,
        );
        rest = after;
    }
    // The rest cut at line ends into chunks, each with its first line number.
    let mut chunks: Vec<(&[u8], u64)> = Vec::new();
    while !rest.is_empty() {
        let end = if rest.len() <= chunk {
            rest.len()
        } else {
            memchr::memchr(b'\n', &rest[chunk..]).map_or(rest.len(), |i| chunk + i + 1)
        };
        let (c, after) = rest.split_at(end);
        chunks.push((c, line_no + 1));
        line_no += memchr::memchr_iter(b'\n', c).count() as u64;
        if !c.ends_with(b"\n") {
            // The last line, without a newline.
            line_no += 1;
        }
        rest = after;
    }
    let parts = chunks
        .into_par_iter()
        .map(|(mut c, first)| {
            let mut r = Reader::body_of(&st);
            let mut n = first;
            while !c.is_empty() {
                let (line, after) = split_line(c);
                r.line(
                    &line[..line.len().min(MAX_LINE_BYTES)],
                    n,
                    line.len() >= MAX_LINE_BYTES,
                );
                n += 1;
                c = after;
            }
            r
        })
        .collect();
    (st, parts)
}

/// The parts joined in order (room for all of them made first; each part
/// freed once copied).
fn merge(mut st: Reader<'_>, parts: Vec<Reader<'_>>) -> (ListBatch, ImportSummary) {
    let b = &mut st.batch;
    b.text
        .reserve(parts.iter().map(|p| p.batch.text.len()).sum());
    b.entries
        .reserve(parts.iter().map(|p| p.batch.entries.len()).sum());
    b.obs.reserve(parts.iter().map(|p| p.batch.obs.len()).sum());
    for p in parts {
        st.append(p);
    }
    st.finish()
}

/// The first line of `b` (without its newline) and the rest after it.
fn split_line(b: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memchr(b'\n', b) {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &[]),
    }
}
