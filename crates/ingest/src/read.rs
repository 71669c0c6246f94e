//! Reading one input: decompression, line framing over a reused buffer,
//! format detection with replay, parsing and accounting.

use crate::detect::{detect, tried, DETECT_LINES};
use crate::par::Pipeline;
use crate::text::RecordParser;
use crate::{Format, IngestError, Input, JsonFieldMap};
use haboob_model::{EventRef, Origin, Parsed};
use std::borrow::Cow;
use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

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

use crate::options::Mark;
pub use crate::options::{Parallel, ReadOptions, ReadStats, Rejection};

/// Bytes read per `read` call.
const CHUNK: usize = 256 * 1024;
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
    let cap = max + chunk + 2;
    let mut buf = vec![0u8; cap];
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
            while let Some(off) = memchr::memchr(b'\n', &buf[scan..end]) {
                let nl = scan + off;
                if skipping {
                    skipping = false;
                    lines.line(None)?;
                } else {
                    lines.line(Some(&buf[start..nl]))?;
                }
                start = nl + 1;
                scan = start;
            }
        }
        scan = end;
        if skipping || end - start > max + 1 {
            skipping = true;
            start = end;
            scan = end;
        }
        if start > 0 {
            buf.copy_within(start..end, 0);
            end -= start;
            scan -= start;
            start = 0;
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

/// Most lines (empty ones included) held back for detection.
const MAX_PENDING: usize = 4096;

/// A line waiting for format detection (`None`: too long; empty lines are
/// kept as empty vectors, which do not allocate).
type Pending = Option<Vec<u8>>;

/// Per-input line handling: detection, parsing, accounting.
pub(crate) struct Lines<'o, 'f> {
    pub(crate) name: &'o str,
    pub(crate) opts: &'o ReadOptions,
    pub(crate) sink: &'f mut dyn EventSink,
    parser: Option<Box<dyn RecordParser>>,
    format: Option<Format>,
    pending: Vec<Pending>,
    pending_nonempty: usize,
    scratch: String,
    pub(crate) line_no: u64,
    /// `stats`' counts when this input started (`stats` adds up several).
    start: Mark,
    pub(crate) stats: &'f mut ReadStats,
}

impl<'o, 'f> Lines<'o, 'f> {
    pub(crate) fn new(
        name: &'o str,
        opts: &'o ReadOptions,
        sink: &'f mut dyn EventSink,
        stats: &'f mut ReadStats,
    ) -> Self {
        if let Some(f) = opts.format {
            sink.format(f);
        }
        Lines {
            name,
            opts,
            sink,
            parser: opts
                .format
                .map(|f| f.record_parser_with(&opts.json_fields, opts.combined_forwarded_field)),
            format: opts.format,
            pending: Vec::new(),
            pending_nonempty: 0,
            scratch: String::new(),
            line_no: 0,
            start: stats.mark(),
            stats,
        }
    }

    /// One framed line without its `\n` (`None`: longer than the limit).
    pub(crate) fn line(&mut self, raw: Option<&[u8]>) -> Result<(), IngestError> {
        if self.parser.is_some() {
            return self.process(raw);
        }
        let raw = raw.filter(|r| r.len() <= self.opts.max_line_bytes + 1);
        let nonempty = raw.is_some_and(|r| !r.trim_ascii().is_empty());
        if !nonempty && self.pending.is_empty() {
            // Empty or overlong lines need no parser: account for them now.
            return self.process(raw);
        }
        if nonempty {
            self.pending_nonempty += 1;
            self.pending.push(raw.map(<[u8]>::to_vec));
        } else {
            self.pending.push(raw.map(|_| Vec::new()));
        }
        if self.pending_nonempty >= DETECT_LINES || self.pending.len() >= MAX_PENDING {
            self.choose()?;
        }
        Ok(())
    }

    /// Detect the format from the pending lines and replay them.
    fn choose(&mut self) -> Result<(), IngestError> {
        let texts: Vec<Cow<'_, str>> = self
            .pending
            .iter()
            .flatten()
            .filter(|l| !l.trim_ascii().is_empty())
            .map(|l| String::from_utf8_lossy(l.strip_suffix(b"\r").unwrap_or(l)))
            .collect();
        let refs: Vec<&str> = texts.iter().map(|c| c.as_ref()).collect();
        let format = detect(&refs, &self.opts.json_fields);
        let Some(format) = format else {
            if refs.iter().all(|l| {
                l.trim_start_matches('\u{feff}')
                    .trim_start()
                    .starts_with('{')
            }) {
                return Err(IngestError::NotALog {
                    path: self.name.to_owned(),
                    reason: crate::docread::not_a_log_reason(refs.first().map(|l| l.trim())),
                });
            }
            return Err(IngestError::UnknownFormat {
                path: self.name.to_owned(),
                tried: tried(),
            });
        };
        drop(refs);
        drop(texts);
        tracing::debug!(
            file = self.name,
            format = format.name(),
            "Detected the log format."
        );
        self.format = Some(format);
        self.sink.format(format);
        self.parser = Some(
            format.record_parser_with(&self.opts.json_fields, self.opts.combined_forwarded_field),
        );
        for p in std::mem::take(&mut self.pending) {
            self.process(p.as_deref())?;
        }
        Ok(())
    }

    fn process(&mut self, raw: Option<&[u8]>) -> Result<(), IngestError> {
        self.process_known(raw, None)
    }

    /// One line known to be valid UTF-8 (a parser must be chosen).
    pub(crate) fn line_str(&mut self, line: &str) -> Result<(), IngestError> {
        self.process_known(Some(line.as_bytes()), Some(line))
    }

    /// `raw`, whose text is `known` when it was checked already.
    fn process_known(
        &mut self,
        raw: Option<&[u8]>,
        known: Option<&str>,
    ) -> Result<(), IngestError> {
        self.line_no += 1;
        self.stats.lines += 1;
        let max = self.opts.max_line_bytes;
        let Some(raw) = raw else {
            return self.reject(Cow::Owned(format!("line longer than {max} bytes")), "");
        };
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.len() > max {
            return self.reject(Cow::Owned(format!("line longer than {max} bytes")), "");
        }
        if raw.trim_ascii().is_empty() {
            return self.reject(Cow::Borrowed("empty line"), "");
        }
        // `raw` is a prefix of `known` (at most a `\r` shorter).
        let text = match known.and_then(|k| k.get(..raw.len())) {
            Some(s) => Cow::Borrowed(s),
            None => match std::str::from_utf8(raw) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => String::from_utf8_lossy(raw),
            },
        };
        let Some(parser) = self.parser.as_mut() else {
            // Not reached: non-empty lines are held until a parser is chosen.
            return self.reject(Cow::Borrowed("no parser chosen"), "");
        };
        match parser.parse_rec(&text, Some(&mut self.scratch)) {
            Ok(Parsed::Event(mut ev)) => {
                if let (EventRef::Web(w), Some(site)) = (&mut ev, self.opts.site.as_deref()) {
                    if w.site.is_empty() {
                        w.site = site;
                    }
                }
                if let (EventRef::Web(w), Some(p)) = (&mut ev, self.opts.proxies.as_deref()) {
                    w.source_ip = p.client(w.source_ip, w.forwarded);
                }
                self.stats.parsed += 1;
                self.stats.events += 1;
                let origin = Origin {
                    file: self.name,
                    line: self.line_no,
                    raw: &text,
                };
                self.sink.event(&ev, &origin);
                Ok(())
            }
            Ok(Parsed::Both(first, second)) => {
                // A Windows sign-in: the sign-in, then the Windows event;
                // one line, counted once (no web fix-ups apply).
                self.stats.parsed += 1;
                self.stats.events += 1;
                let origin = Origin {
                    file: self.name,
                    line: self.line_no,
                    raw: &text,
                };
                self.sink.event(&first, &origin);
                self.sink.event(&second, &origin);
                Ok(())
            }
            Ok(Parsed::Partial(ev, why)) => {
                self.stats.parsed += 1;
                self.stats.events += 1;
                self.stats.partial(
                    self.name,
                    self.line_no,
                    &why.reason,
                    self.opts.max_reject_samples,
                );
                let origin = Origin {
                    file: self.name,
                    line: self.line_no,
                    raw: &text,
                };
                self.sink.event(&ev, &origin);
                Ok(())
            }
            Ok(Parsed::Directive) => {
                self.stats.parsed += 1;
                Ok(())
            }
            Err(e) => {
                let reason = e.reason;
                self.reject(reason, &text)
            }
        }
    }

    fn reject(&mut self, reason: Cow<'static, str>, raw: &str) -> Result<(), IngestError> {
        self.stats.rejected += 1;
        tracing::debug!(file = self.name, line = self.line_no, reason = %reason, "Rejected a line.");
        if self.opts.strict {
            return Err(IngestError::Strict {
                path: self.name.to_owned(),
                line: self.line_no,
                reason: reason.into_owned(),
            });
        }
        self.sink.rejected(self.name, self.line_no, &reason, raw);
        if self.stats.samples.len() < self.opts.max_reject_samples {
            self.stats.samples.push(Rejection {
                file: self.name.to_owned(),
                line: self.line_no,
                reason: reason.into_owned(),
            });
        }
        Ok(())
    }

    /// One framed JSON record starting at `line` (document inputs), or why it
    /// could not be framed.
    pub(crate) fn record(
        &mut self,
        line: u64,
        raw: Result<&[u8], Cow<'static, str>>,
    ) -> Result<(), IngestError> {
        self.line_no = line.saturating_sub(1);
        match raw {
            Ok(raw) => self.process(Some(raw)),
            Err(reason) => {
                self.line_no += 1;
                self.stats.lines += 1;
                self.reject(reason, "")
            }
        }
    }

    /// One framed JSON record starting at `line`, known to be valid UTF-8
    /// (a parser must be chosen).
    pub(crate) fn record_str(&mut self, line: u64, text: &str) -> Result<(), IngestError> {
        self.line_no = line.saturating_sub(1);
        self.line_str(text)
    }

    /// The chosen format.
    pub(crate) fn format(&self) -> Option<Format> {
        self.format
    }

    /// Whether a parser is chosen.
    pub(crate) fn has_parser(&self) -> bool {
        self.parser.is_some()
    }

    /// The JSON field map in use.
    pub(crate) fn json_fields(&self) -> &JsonFieldMap {
        &self.opts.json_fields
    }

    /// Use `format` from now on (detected by the caller).
    pub(crate) fn set_format(&mut self, format: Format) {
        self.format = Some(format);
        self.sink.format(format);
        self.parser = Some(
            format.record_parser_with(&self.opts.json_fields, self.opts.combined_forwarded_field),
        );
    }

    pub(crate) fn finish(&mut self) -> Result<(), IngestError> {
        if self.parser.is_none() && self.pending_nonempty > 0 {
            self.choose()?;
        }
        if let Some(f) = self.format {
            *self.stats.formats.entry(f.name().to_owned()).or_default() += 1;
            self.stats.note_unparsed(self.name, f.name(), self.start);
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
