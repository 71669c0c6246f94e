//! Reading JSON documents (arrays, page wrappers, Log Analytics results)
//! record by record: the choice between line framing and the
//! [`Framer`](crate::jsondoc::Framer), detection over whole records, and the
//! "not a log" outcome.

use crate::detect::{detect, DETECT_LINES};
use crate::json::Obj;
use crate::jsondoc::{Framed, Framer, MAX_RECORD};
use crate::par::Pipeline;
use crate::read::{EventSink, Lines};
use crate::{Format, IngestError, ReadOptions, ReadStats};

use std::borrow::Cow;
use std::io::Read;

/// Whether a reader may frame this input as JSON documents.
pub(crate) fn may_be_document(opts: &ReadOptions) -> bool {
    opts.format.is_none_or(Format::is_json)
}

/// Fill `buf` from `src` until the first non-blank line is complete, `limit`
/// bytes are held, or the input ends. Returns the bytes held and whether the
/// input ended.
pub(crate) fn fill_head(
    src: &mut dyn Read,
    buf: &mut [u8],
    limit: usize,
    chunk: usize,
) -> std::io::Result<(usize, bool)> {
    let limit = limit.min(buf.len());
    let mut end = 0;
    loop {
        let head = &buf[..end];
        if let Some(first) = head.iter().position(|b| !is_blank(*b)) {
            if head[first..].contains(&b'\n') {
                return Ok((end, false));
            }
        }
        if end >= limit {
            return Ok((end, false));
        }
        let room = (limit - end).min(chunk);
        match src.read(&mut buf[end..end + room]) {
            Ok(0) => return Ok((end, true)),
            Ok(n) => end += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0xef | 0xbb | 0xbf)
}

/// True when the input whose head is `head` is a JSON document to frame
/// record by record rather than JSON Lines (or another line format): its
/// first line is a JSON array, or opens one (`[` then `{`, `[`, `"`, `]` or
/// nothing: an Apache error line `[Fri Oct 08 …]` is no array), or opens an
/// object without closing it on that line (pretty-printed), or is a page
/// wrapper (`{"value":[…]}` on one line).
pub(crate) fn is_document(head: &[u8], eof: bool) -> bool {
    let Some(first) = head.iter().position(|b| !is_blank(*b)) else {
        return false;
    };
    let rest = &head[first..];
    let (line, whole) = match memchr::memchr(b'\n', rest) {
        Some(nl) => (&rest[..nl], true),
        None => (rest, eof),
    };
    let opens = |allowed: &[u8]| {
        let after = line[1..].trim_ascii_start();
        after.first().is_none_or(|b| allowed.contains(b))
    };
    match rest[0] {
        b'[' => {
            serde_json::from_slice::<serde::de::IgnoredAny>(line.trim_ascii()).is_ok()
                || opens(b"{[\"]")
        }
        // A line longer than the head is a one-line document, or a JSON line
        // longer than the line limit: the framer takes both.
        b'{' => opens(b"\"}") && !(whole && is_plain_object(line)),
        _ => false,
    }
}

/// A complete JSON object that is not a page wrapper.
fn is_plain_object(line: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(line.trim_ascii()) else {
        return false;
    };
    match serde_json::from_str::<Obj<'_>>(text) {
        Ok(o) => !o.0.iter().any(|(k, v)| {
            matches!(
                k.as_ref(),
                "value" | "items" | "records" | "Records" | "tables"
            ) && v.get().starts_with('[')
        }),
        Err(_) => false,
    }
}

/// Why JSON records are not a log, naming the first record's keys.
pub(crate) fn not_a_log_reason(first: Option<&str>) -> String {
    let keys: Vec<String> = first
        .and_then(|t| serde_json::from_str::<Obj<'_>>(t).ok())
        .map(|o| {
            o.0.iter()
                .take(8)
                .map(|(k, _)| format!("{:?}", k.chars().take(40).collect::<String>()))
                .collect()
        })
        .unwrap_or_default();
    if keys.is_empty() {
        "JSON whose records no log format accepts".to_owned()
    } else {
        format!(
            "JSON whose records no log format accepts (first record's keys: {})",
            keys.join(", ")
        )
    }
}

/// A framed record waiting for detection.
type PendingRecord = (u64, Result<Vec<u8>, Cow<'static, str>>);

/// Framed records gathered into one block for the parallel parse.
const BLOCK_BYTES: usize = 256 * 1024;

/// Records of one document input on their way to the parsers.
struct Doc<'o, 'f> {
    lines: Lines<'o, 'f>,
    name: &'o str,
    decided: bool,
    pending: Vec<PendingRecord>,
    pending_records: usize,
    /// The parallel parse, once the format is known (as for line inputs,
    /// see [`Pipeline::wanted`]), with the block being gathered.
    pipe: Option<Pipeline>,
    block: Vec<u8>,
    block_records: Vec<(u64, usize)>,
}

impl Doc<'_, '_> {
    fn framed(&mut self, f: Framed<'_>) -> Result<(), IngestError> {
        if self.decided {
            let Some(pipe) = self.pipe.as_mut() else {
                return match f {
                    Framed::Record { line, text } => self.lines.record(line, Ok(text)),
                    Framed::Reject { line, reason } => self.lines.record(line, Err(reason)),
                };
            };
            return match f {
                Framed::Record { line, text } => {
                    self.block.extend_from_slice(text);
                    self.block_records.push((line, self.block.len()));
                    if self.block.len() >= BLOCK_BYTES {
                        let data = std::mem::take(&mut self.block);
                        let records = std::mem::take(&mut self.block_records);
                        pipe.push_records(data, records, &mut self.lines)?;
                    }
                    Ok(())
                }
                // Rejected in order, after every record before it.
                Framed::Reject { line, reason } => {
                    self.drain()?;
                    self.lines.record(line, Err(reason))
                }
            };
        }
        match f {
            Framed::Record { line, text } => {
                self.pending_records += 1;
                self.pending.push((line, Ok(text.to_vec())));
            }
            Framed::Reject { line, reason } => self.pending.push((line, Err(reason))),
        }
        if self.pending_records >= DETECT_LINES || self.pending.len() >= 4 * DETECT_LINES {
            self.decide()?;
        }
        Ok(())
    }

    /// Parse and deliver every record gathered for the parallel parse.
    fn drain(&mut self) -> Result<(), IngestError> {
        let Some(pipe) = self.pipe.as_mut() else {
            return Ok(());
        };
        if !self.block_records.is_empty() {
            let data = std::mem::take(&mut self.block);
            let records = std::mem::take(&mut self.block_records);
            pipe.push_records(data, records, &mut self.lines)?;
        }
        pipe.drain(&mut self.lines)
    }

    /// Use the parallel parse from now on where it is wanted.
    fn start_pipeline(&mut self) {
        if Pipeline::wanted(self.lines.opts, &self.lines) {
            self.pipe = Some(Pipeline::new(&self.lines));
        }
    }

    /// Detect the format from the held records and replay them.
    fn decide(&mut self) -> Result<(), IngestError> {
        self.decided = true;
        if !self.lines.has_parser() && !self.pending.is_empty() {
            let texts: Vec<Cow<'_, str>> = self
                .pending
                .iter()
                .filter_map(|(_, r)| r.as_ref().ok())
                .map(|t| String::from_utf8_lossy(t))
                .collect();
            let refs: Vec<&str> = texts.iter().map(|c| c.as_ref()).collect();
            let Some(format) = detect(&refs, self.lines.json_fields()) else {
                let reason = match (refs.first(), self.pending.first()) {
                    (None, Some((_, Err(why)))) => {
                        format!("a JSON document with no readable record ({why})")
                    }
                    (first, _) => not_a_log_reason(first.copied()),
                };
                return Err(IngestError::NotALog {
                    path: self.name.to_owned(),
                    reason,
                });
            };
            tracing::debug!(
                file = self.name,
                format = format.name(),
                "Detected the log format of a JSON document."
            );
            self.lines.set_format(format);
        }
        for (line, r) in std::mem::take(&mut self.pending) {
            match r {
                Ok(text) => self.lines.record(line, Ok(&text))?,
                Err(reason) => self.lines.record(line, Err(reason))?,
            }
        }
        self.start_pipeline();
        Ok(())
    }
}

/// Where in a buffer at address `buf` to read data from offset `pos` of a
/// file so that the kernel's copy has source and destination at the same
/// offset within a page (at most `slack` bytes in; 0 when `slack` is less
/// than a page). Reading at the buffer's start put the destination 16 bytes
/// past the source modulo 4 KiB (the allocator's header): every load of the
/// copy then aliased a store just made, and the copy of a pretty-printed
/// array cost four times the same bytes' copy in line framing (measured).
pub(crate) fn co_aligned(buf: usize, pos: u64, slack: usize) -> usize {
    const PAGE: usize = 4096;
    if slack < PAGE {
        return 0;
    }
    let want = (pos % PAGE as u64) as usize;
    (want + PAGE - buf % PAGE) % PAGE
}

/// Read a JSON document input: the first `head_len` bytes of `buf` (already
/// read), then the rest of `src` in reads of `chunk` bytes into `buf`. `bytes` gives the on-disk bytes
/// consumed so far, for `progress`. `ReadStats::lines` counts records.
#[allow(clippy::too_many_arguments)] // the reader's state, handed over once
pub(crate) fn read_document(
    head_len: usize,
    buf: &mut [u8],
    chunk: usize,
    src: &mut dyn Read,
    name: &str,
    opts: &ReadOptions,
    progress: &(dyn Fn(u64) + Sync),
    bytes: &dyn Fn() -> u64,
    sink: &mut dyn EventSink,
    stats: &mut ReadStats,
) -> Result<(), IngestError> {
    let rec_opts = ReadOptions {
        max_line_bytes: MAX_RECORD,
        ..opts.clone()
    };
    let mut doc = Doc {
        lines: Lines::new(name, &rec_opts, sink, stats),
        name,
        decided: opts.format.is_some(),
        pending: Vec::new(),
        pending_records: 0,
        pipe: None,
        block: Vec::new(),
        block_records: Vec::new(),
    };
    if doc.decided {
        doc.start_pipeline();
    }
    let mut framer = Framer::new(MAX_RECORD);
    framer.feed(&buf[..head_len], &mut |f| doc.framed(f))?;
    let mut reported = 0u64;
    let chunk = chunk.clamp(1, buf.len());
    loop {
        let at = co_aligned(buf.as_ptr() as usize, bytes(), buf.len() - chunk);
        let n = match src.read(&mut buf[at..at + chunk]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(source) => {
                // Count what was read before the failure.
                doc.drain()?;
                doc.lines.finish()?;
                doc.lines.stats.bytes += bytes();
                return Err(IngestError::Read {
                    path: name.to_owned(),
                    line: framer.line(),
                    source,
                });
            }
        };
        if opts.stopped() {
            doc.drain()?;
            doc.lines.stats.bytes += bytes();
            return Err(IngestError::Stopped {
                path: name.to_owned(),
            });
        }
        let now = bytes();
        if now - reported >= 1 << 20 {
            progress(now - reported);
            reported = now;
        }
        if n == 0 {
            break;
        }
        framer.feed(&buf[at..at + n], &mut |f| doc.framed(f))?;
    }
    framer.finish(&mut |f| doc.framed(f))?;
    if !doc.decided {
        doc.decide()?;
    }
    doc.drain()?;
    let now = bytes();
    if now > reported {
        progress(now - reported);
    }
    doc.lines.stats.bytes += now;
    doc.lines.finish()
}

#[cfg(test)]
#[path = "docread_tests.rs"]
mod tests;
