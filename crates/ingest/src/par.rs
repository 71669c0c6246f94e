//! Parallel parsing of one line-framed input, delivered in order.
//!
//! Parsing is most of the cost of hunting a web log, and one big file is one
//! stream: detectors must see its events in file order. Once the format is
//! known, the reader cuts what it reads into blocks of whole lines; a round
//! of blocks is parsed on the thread pool, each block into a compact record
//! buffer ([`crate::codec`]), while the previous round is handed to the sink
//! on the reading thread, record by record, in line order. The sink therefore
//! sees exactly the calls the one-threaded reader makes (events and
//! rejections, same lines, same order), so results do not depend on the
//! number of threads.
//!
//! JSON documents (arrays, page wrappers) go the same way: their framed
//! records are as independent as lines, and a block of them carries each
//! record's starting line ([`Pipeline::push_records`]).
//!
//! Memory: two rounds in flight, each about [`ROUND_BYTES`] of text plus its
//! records.

use crate::codec::{decode, encode, put_str, Cursor};
use crate::read::{EventSink, Lines, Parallel, ReadOptions, ReadStats};
use crate::IngestError;
use haboob_model::{EventRef, Origin};
use rayon::prelude::*;

/// Text parsed per round (the reader's blocks are added up to this).
const ROUND_BYTES: usize = 4 << 20;

/// Whole lines of one input, each ending in `\n`, or framed JSON records.
pub(crate) struct Block {
    data: Vec<u8>,
    /// Line number of the first line, 1-based.
    first_line: u64,
    /// Framed records instead of lines: each record's starting line and
    /// where it ends in `data` (it starts where the one before ends).
    records: Vec<(u64, usize)>,
}

/// What one block gave: records in line order, and its accounting.
#[derive(Default)]
struct Parsed {
    /// The block's text when it is valid UTF-8: records refer to ranges of it.
    text: String,
    records: Vec<u8>,
    datasets: Vec<&'static str>,
    stats: ReadStats,
    error: Option<IngestError>,
}

const EVENT: u8 = 0;
const REJECTED: u8 = 1;

/// Encodes what the line parser gives into a block's record buffer.
struct Encoder<'p> {
    base: &'p str,
    records: &'p mut Vec<u8>,
    datasets: &'p mut Vec<&'static str>,
}

impl Encoder<'_> {
    /// Start a record of `kind`; returns where its length goes.
    fn open(&mut self, kind: u8) -> usize {
        self.records.push(kind);
        let at = self.records.len();
        self.records.extend_from_slice(&[0; 4]);
        at
    }

    fn close(&mut self, at: usize) {
        let len = u32::try_from(self.records.len() - at - 4).unwrap_or(u32::MAX);
        self.records[at..at + 4].copy_from_slice(&len.to_le_bytes());
    }
}

impl EventSink for Encoder<'_> {
    fn event(&mut self, ev: &EventRef<'_>, origin: &Origin<'_>) {
        let at = self.open(EVENT);
        encode(
            ev,
            origin,
            usize::MAX,
            self.base,
            self.datasets,
            self.records,
        );
        self.close(at);
    }

    fn rejected(&mut self, _file: &str, line: u64, reason: &str, raw: &str) {
        let at = self.open(REJECTED);
        self.records.extend_from_slice(&line.to_le_bytes());
        put_str(self.records, reason);
        put_str(self.records, raw);
        self.close(at);
    }
}

/// Parse one block with a fresh line parser (the format is set in `opts`).
/// A block of valid UTF-8 (nearly always) is checked once, and its events'
/// texts are kept as ranges of it.
fn parse_block(block: Block, name: &str, opts: &ReadOptions) -> Parsed {
    let mut p = Parsed::default();
    let (text, bytes) = match String::from_utf8(block.data) {
        Ok(t) => (t, Vec::new()),
        Err(e) => (String::new(), e.into_bytes()),
    };
    let mut enc = Encoder {
        base: &text,
        records: &mut p.records,
        datasets: &mut p.datasets,
    };
    let mut lines = Lines::new(name, opts, &mut enc, &mut p.stats);
    lines.line_no = block.first_line - 1;
    let valid = bytes.is_empty();
    let data = if valid { text.as_bytes() } else { &bytes };
    let mut at = 0;
    if !block.records.is_empty() {
        let res = block.records.iter().try_for_each(|&(line, end)| {
            let raw = data.get(at..end).unwrap_or_default();
            // Records start and end at ASCII bytes: char boundaries.
            let r = match text.get(at..end).filter(|_| valid) {
                Some(t) => lines.record_str(line, t),
                None => lines.record(line, Ok(raw)),
            };
            at = end;
            r
        });
        p.error = res.err();
        p.text = text;
        return p;
    }
    // One pass over the line ends of whichever holds the block.
    let res = memchr::memchr_iter(b'\n', data).try_for_each(|nl| {
        // `\n` is one byte: in valid text both ends are char boundaries.
        let r = if valid {
            lines.line_str(&text[at..nl])
        } else {
            lines.line(Some(&bytes[at..nl]))
        };
        at = nl + 1;
        r
    });
    p.error = res.err();
    p.text = text;
    p
}

/// Hand a parsed block's records to the sink, in order.
fn deliver(p: Parsed, lines: &mut Lines<'_, '_>) -> Result<(), IngestError> {
    let name = lines.name;
    let mut c = Cursor {
        data: &p.records,
        base: "",
    };
    // Not reached: the records were written just before, by `encode`.
    let corrupt = |e: std::io::Error| IngestError::Read {
        path: name.to_owned(),
        line: 0,
        source: e,
    };
    while !c.data.is_empty() {
        let kind = c.u8().map_err(corrupt)?;
        let len = u32::from_le_bytes(c.arr().map_err(corrupt)?) as usize;
        let rec = c.take(len).map_err(corrupt)?;
        match kind {
            EVENT => {
                let (ev, line, raw) = decode(rec, &p.text, &p.datasets).map_err(corrupt)?;
                let origin = Origin {
                    file: name,
                    line,
                    raw,
                };
                lines.sink.event(&ev, &origin);
            }
            _ => {
                let mut r = Cursor {
                    data: rec,
                    base: "",
                };
                let line = u64::from_le_bytes(r.arr().map_err(corrupt)?);
                let reason = r.str().map_err(corrupt)?;
                let raw = r.str().map_err(corrupt)?;
                lines.sink.rejected(name, line, reason, raw);
            }
        }
    }
    lines.stats.merge(p.stats, lines.opts.max_reject_samples);
    match p.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Blocks waiting to be parsed, and the round parsed before them.
pub(crate) struct Pipeline {
    opts: ReadOptions,
    round: Vec<Block>,
    round_bytes: usize,
    parsed: Vec<Parsed>,
    /// Lines cut into blocks so far (the next block's first line - 1).
    pub(crate) line_no: u64,
}

impl Pipeline {
    /// Whether an input read with `opts` is parsed in parallel: a format
    /// whose lines parse independently is chosen, more than one thread, and
    /// not strict (a strict reader stops at its first bad line).
    pub(crate) fn wanted(opts: &ReadOptions, lines: &Lines<'_, '_>) -> bool {
        let Some(f) = lines.format() else {
            return false;
        };
        let asked = match opts.parallel {
            Parallel::Off => false,
            Parallel::WhereItPays => f.parse_outweighs_hand_off(),
            Parallel::Always => true,
        };
        asked && f.lines_are_independent() && !opts.strict && rayon::current_num_threads() > 1
    }

    pub(crate) fn new(lines: &Lines<'_, '_>) -> Pipeline {
        Pipeline {
            opts: ReadOptions {
                format: lines.format(),
                stop: None,
                stop_input: None,
                ..lines.opts.clone()
            },
            round: Vec::new(),
            round_bytes: 0,
            parsed: Vec::new(),
            line_no: lines.line_no,
        }
    }

    /// Queue whole lines (`data` ends in `\n`); a full round is parsed while
    /// the previous one is delivered.
    pub(crate) fn push(
        &mut self,
        data: Vec<u8>,
        lines: &mut Lines<'_, '_>,
    ) -> Result<(), IngestError> {
        let n = memchr::memchr_iter(b'\n', &data).count() as u64;
        self.round_bytes += data.len();
        self.round.push(Block {
            data,
            first_line: self.line_no + 1,
            records: Vec::new(),
        });
        self.line_no += n;
        if self.round_bytes >= ROUND_BYTES {
            self.step(lines)?;
        }
        Ok(())
    }

    /// Queue framed JSON records: `data` holds them one after another,
    /// `records` each one's starting line and end in `data` (in order, the
    /// last ending at `data.len()`).
    pub(crate) fn push_records(
        &mut self,
        data: Vec<u8>,
        records: Vec<(u64, usize)>,
        lines: &mut Lines<'_, '_>,
    ) -> Result<(), IngestError> {
        if let Some(&(last, _)) = records.last() {
            self.line_no = last;
        }
        self.round_bytes += data.len();
        self.round.push(Block {
            data,
            first_line: 1,
            records,
        });
        if self.round_bytes >= ROUND_BYTES {
            self.step(lines)?;
        }
        Ok(())
    }

    /// Parse the queued round while delivering the one parsed before.
    fn step(&mut self, lines: &mut Lines<'_, '_>) -> Result<(), IngestError> {
        let round = std::mem::take(&mut self.round);
        self.round_bytes = 0;
        let done = std::mem::take(&mut self.parsed);
        let name = lines.name;
        let opts = &self.opts;
        let mut next = Vec::new();
        let mut res = Ok(());
        rayon::in_place_scope(|s| {
            s.spawn(|_| {
                next = round
                    .into_par_iter()
                    .map(|b| parse_block(b, name, opts))
                    .collect();
            });
            for p in done {
                if res.is_ok() {
                    res = deliver(p, lines);
                }
            }
        });
        self.parsed = next;
        res
    }

    /// Parse and deliver everything queued (before a line the reader handles
    /// itself, and at the end).
    pub(crate) fn drain(&mut self, lines: &mut Lines<'_, '_>) -> Result<(), IngestError> {
        self.step(lines)?;
        self.step(lines)?;
        lines.line_no = self.line_no;
        Ok(())
    }
}

#[cfg(test)]
#[path = "par_tests.rs"]
mod tests;
