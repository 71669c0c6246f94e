//! A streaming framer for JSON documents: splits exported JSON into one record
//! per array element, whatever its layout (pretty-printed, one line, several
//! pages), over a bounded buffer.
//!
//! Accepted shapes (at the top level, one after another):
//! - an array `[rec, rec, …]` (Entra portal "Download JSON", Okta API);
//! - a wrapper object whose records sit in a top-level array member `value`
//!   (Microsoft Graph pages, with `@odata.*` members), `items` (Google
//!   Reports API), `records` (Azure diagnostic-settings blobs) or `Records`
//!   (AWS CloudTrail files); the other
//!   members are skipped;
//! - a Log Analytics query result `{"tables":[{"columns":[…],"rows":[…]}]}`:
//!   each row becomes an object keyed by the column names;
//! - any other object: itself one record (`jq .` output of JSON Lines).
//!
//! The framer is string-aware (escapes, brackets inside strings), keeps only
//! the record being gathered (at most `max` bytes; longer records are
//! rejected and skipped to the next element) and removes whitespace outside
//! strings. Array punctuation and wrapper members are not records.

use memchr::memchr;
use serde_json::value::RawValue;
use std::borrow::Cow;

mod scan;
use scan::{starts_value, Gather};

/// Longest record gathered (bytes, whitespace outside strings removed).
pub(crate) const MAX_RECORD: usize = 1 << 20;

/// What the framer hands on, in input order.
#[derive(Debug)]
pub(crate) enum Framed<'a> {
    /// One record starting at `line` (1-based).
    Record {
        /// Line where the record starts.
        line: u64,
        /// The compacted record text.
        text: &'a [u8],
    },
    /// A record that could not be framed.
    Reject {
        /// Line where it starts.
        line: u64,
        /// Why.
        reason: Cow<'static, str>,
    },
}

/// Arrays whose elements the framer walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arr {
    /// Elements are records.
    Records,
    /// Elements are Log Analytics tables.
    Tables,
    /// Elements are Log Analytics rows (arrays of values).
    Rows,
}

/// Objects whose members the framer walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Obj {
    /// A page wrapper (`value`, `items`, `records`, `tables`).
    Wrapper,
    /// A Log Analytics table (`columns`, `rows`).
    Table,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Arr(Arr),
    Obj(Obj),
}

/// Where the scanner is among an object's members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    /// Before a key (after `{` or `,`).
    Expect,
    /// Inside the key string.
    In,
    /// After the key, before `:`.
    Colon,
    /// After `:`, before the value.
    Value,
    /// Inside or after the value.
    After,
}

/// What a scanned value becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    Record,
    Columns,
    Row,
    Discard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Between documents.
    Top,
    /// Text outside any document, skipped to the end of its line.
    Junk,
    /// Scanning a value (record, columns, row or skipped member).
    Value,
    /// In an array, between elements.
    Between,
    /// In a wrapper or table object, between members.
    Members,
}

/// The framer's state; feed it bytes in any chunking.
#[derive(Debug)]
pub(crate) struct Framer {
    max: usize,
    line: u64,
    mode: Mode,
    stack: Vec<Ctx>,
    junk_line: u64,
    // The value being scanned.
    rec: Gather,
    rec_line: u64,
    dest: Dest,
    depth: u32,
    in_str: bool,
    esc: bool,
    over: bool,
    bare: bool,
    // A top-level object that may turn out to be a wrapper.
    cand: bool,
    key: Key,
    key_at: (usize, usize),
    // Member keys of wrapper and table objects.
    key_buf: Vec<u8>,
    // Log Analytics column names, JSON-quoted.
    cols: Option<Vec<String>>,
    row: Vec<u8>,
}

/// Wrapper members holding records.
fn wrapper_array(key: &[u8]) -> Option<Arr> {
    match key {
        // `Records`: the files CloudTrail writes to S3.
        b"value" | b"items" | b"records" | b"Records" => Some(Arr::Records),
        b"tables" => Some(Arr::Tables),
        _ => None,
    }
}

impl Framer {
    /// A framer rejecting records longer than `max` bytes.
    pub(crate) fn new(max: usize) -> Framer {
        Framer {
            max,
            line: 1,
            mode: Mode::Top,
            stack: Vec::new(),
            junk_line: 0,
            rec: Gather::default(),
            rec_line: 0,
            dest: Dest::Record,
            depth: 0,
            in_str: false,
            esc: false,
            over: false,
            bare: false,
            cand: false,
            key: Key::Expect,
            key_at: (0, 0),
            key_buf: Vec::new(),
            cols: None,
            row: Vec::new(),
        }
    }

    /// The current line (1-based).
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// Scan `data`, calling `sink` for each record or rejection.
    pub(crate) fn feed<E>(
        &mut self,
        data: &[u8],
        sink: &mut dyn FnMut(Framed<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut i = 0;
        while i < data.len() {
            i = match self.mode {
                Mode::Top => self.top(data, i),
                Mode::Junk => self.junk(data, i, sink)?,
                Mode::Value => self.value(data, i, sink)?,
                Mode::Between => self.between(data, i),
                Mode::Members => self.members(data, i),
            };
        }
        Ok(())
    }

    /// The input ended: reject a record left open.
    pub(crate) fn finish<E>(
        &mut self,
        sink: &mut dyn FnMut(Framed<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        match self.mode {
            Mode::Junk => {
                self.mode = Mode::Top;
                sink(Framed::Reject {
                    line: self.junk_line,
                    reason: Cow::Borrowed("not JSON: text outside any JSON document"),
                })?;
            }
            Mode::Value if self.bare && !self.in_str => self.end_value(sink)?,
            Mode::Value if self.dest != Dest::Discard => {
                self.mode = Mode::Top;
                sink(Framed::Reject {
                    line: self.rec_line,
                    reason: Cow::Borrowed("truncated JSON record (the input ends inside it)"),
                })?;
            }
            _ => {}
        }
        if !self.stack.is_empty() || self.mode != Mode::Top {
            tracing::debug!(
                line = self.line,
                "The JSON document ends before its closing brackets."
            );
        }
        Ok(())
    }

    fn top(&mut self, data: &[u8], mut i: usize) -> usize {
        while i < data.len() {
            match data[i] {
                b'\n' => self.line += 1,
                // Whitespace, BOMs of concatenated files, commas between objects.
                b' ' | b'\t' | b'\r' | 0xef | 0xbb | 0xbf | b',' => {}
                b'[' => {
                    self.stack.push(Ctx::Arr(Arr::Records));
                    self.mode = Mode::Between;
                    return i + 1;
                }
                b'{' => {
                    self.start_value(Dest::Record, b'{');
                    self.cand = true;
                    self.key = Key::Expect;
                    return i;
                }
                _ => {
                    self.junk_line = self.line;
                    self.mode = Mode::Junk;
                    return i;
                }
            }
            i += 1;
        }
        i
    }

    fn junk<E>(
        &mut self,
        data: &[u8],
        i: usize,
        sink: &mut dyn FnMut(Framed<'_>) -> Result<(), E>,
    ) -> Result<usize, E> {
        let Some(off) = memchr(b'\n', &data[i..]) else {
            return Ok(data.len());
        };
        self.line += 1;
        self.mode = Mode::Top;
        sink(Framed::Reject {
            line: self.junk_line,
            reason: Cow::Borrowed("not JSON: text outside any JSON document"),
        })?;
        Ok(i + off + 1)
    }

    fn start_value(&mut self, dest: Dest, first: u8) {
        self.mode = Mode::Value;
        self.dest = dest;
        self.rec.clear();
        self.rec_line = self.line;
        self.depth = 0;
        self.in_str = false;
        self.esc = false;
        self.over = false;
        self.cand = false;
        self.bare = !matches!(first, b'{' | b'[' | b'"');
        debug_assert!(starts_value(first));
    }

    #[inline]
    fn push(&mut self, s: &[u8]) {
        if self.rec.len() + s.len() <= self.max && !self.over {
            if self.dest != Dest::Discard {
                self.rec.extend(s);
            }
        } else {
            self.over = true;
        }
    }

    /// Back to the enclosing container after a value or container ended.
    fn resume(&mut self) {
        match self.stack.last() {
            None => self.mode = Mode::Top,
            Some(Ctx::Arr(_)) => self.mode = Mode::Between,
            Some(Ctx::Obj(_)) => {
                self.mode = Mode::Members;
                self.key = Key::After;
            }
        }
    }

    fn end_value<E>(&mut self, sink: &mut dyn FnMut(Framed<'_>) -> Result<(), E>) -> Result<(), E> {
        let (line, over, dest, max) = (self.rec_line, self.over, self.dest, self.max);
        self.cand = false;
        self.bare = false;
        self.resume();
        let too_long = || Framed::Reject {
            line,
            reason: Cow::Owned(format!("JSON record longer than {max} bytes")),
        };
        match dest {
            Dest::Discard => Ok(()),
            Dest::Record if over => sink(too_long()),
            Dest::Record => sink(Framed::Record {
                line,
                text: self.rec.as_slice(),
            }),
            Dest::Columns => {
                self.cols = if over {
                    None
                } else {
                    columns(self.rec.as_slice())
                };
                if self.cols.is_none() {
                    tracing::debug!(line, "Unreadable Log Analytics columns.");
                }
                Ok(())
            }
            Dest::Row if over => sink(too_long()),
            Dest::Row => match row(self.cols.as_deref(), self.rec.as_slice(), &mut self.row) {
                Ok(()) => sink(Framed::Record {
                    line,
                    text: &self.row,
                }),
                Err(reason) => sink(Framed::Reject { line, reason }),
            },
        }
    }

    fn between(&mut self, data: &[u8], mut i: usize) -> usize {
        while i < data.len() {
            let b = data[i];
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' | b',' | b':' | b'\\' => {}
                b']' | b'}' => {
                    // `}` is a mismatched bracket: end the array all the same.
                    self.stack.pop();
                    self.resume();
                    return i + 1;
                }
                _ => {
                    match self.stack.last() {
                        Some(Ctx::Arr(Arr::Tables)) if b == b'{' => {
                            self.stack.push(Ctx::Obj(Obj::Table));
                            self.cols = None;
                            self.mode = Mode::Members;
                            self.key = Key::Expect;
                            return i + 1;
                        }
                        Some(Ctx::Arr(Arr::Rows)) => self.start_value(Dest::Row, b),
                        _ => self.start_value(Dest::Record, b),
                    }
                    return i;
                }
            }
            i += 1;
        }
        i
    }

    fn members(&mut self, data: &[u8], mut i: usize) -> usize {
        while i < data.len() {
            let b = data[i];
            if self.key == Key::In {
                if self.esc {
                    self.esc = false;
                } else if b == b'\\' {
                    self.esc = true;
                } else if b == b'"' {
                    self.key = Key::Colon;
                    i += 1;
                    continue;
                }
                if self.key_buf.len() < 32 {
                    self.key_buf.push(b);
                }
                if b == b'\n' {
                    self.line += 1;
                }
                i += 1;
                continue;
            }
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                b'"' if self.key == Key::Expect => {
                    self.key = Key::In;
                    self.key_buf.clear();
                }
                b':' if self.key == Key::Colon => self.key = Key::Value,
                b',' => self.key = Key::Expect,
                b'}' => {
                    if self.stack.pop() == Some(Ctx::Obj(Obj::Table)) {
                        self.cols = None;
                    }
                    self.resume();
                    return i + 1;
                }
                _ if self.key == Key::Value && starts_value(b) => {
                    self.key = Key::After;
                    let kind = match self.stack.last() {
                        Some(Ctx::Obj(k)) => *k,
                        _ => Obj::Wrapper,
                    };
                    let key = self.key_buf.as_slice();
                    let arr = match (kind, key) {
                        (Obj::Table, b"rows") => Some(Arr::Rows),
                        (Obj::Wrapper, k) => wrapper_array(k),
                        _ => None,
                    };
                    if let (Some(arr), b'[') = (arr, b) {
                        self.stack.push(Ctx::Arr(arr));
                        self.mode = Mode::Between;
                        return i + 1;
                    }
                    let dest = if (kind, key) == (Obj::Table, b"columns".as_slice()) {
                        Dest::Columns
                    } else {
                        Dest::Discard
                    };
                    self.start_value(dest, b);
                    return i;
                }
                // Anything else in an object is malformed punctuation: skip it.
                _ => {}
            }
            i += 1;
        }
        i
    }
}

/// JSON-quoted column names of a Log Analytics table.
fn columns(text: &[u8]) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Col {
        name: String,
    }
    let cols: Vec<Col> = serde_json::from_slice(text).ok()?;
    cols.iter()
        .map(|c| serde_json::to_string(&c.name).ok())
        .collect()
}

/// A Log Analytics row as an object keyed by the column names, into `out`.
fn row(cols: Option<&[String]>, text: &[u8], out: &mut Vec<u8>) -> Result<(), Cow<'static, str>> {
    let Some(cols) = cols else {
        return Err(Cow::Borrowed(
            "Log Analytics row without the table's columns before it",
        ));
    };
    let values: Vec<&RawValue> = serde_json::from_slice(text)
        .map_err(|e| Cow::Owned(format!("bad Log Analytics row: {e}")))?;
    if values.len() != cols.len() {
        return Err(Cow::Owned(format!(
            "Log Analytics row has {} values for {} columns",
            values.len(),
            cols.len()
        )));
    }
    out.clear();
    out.push(b'{');
    for (n, (c, v)) in cols.iter().zip(&values).enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(c.as_bytes());
        out.push(b':');
        out.extend_from_slice(v.get().as_bytes());
    }
    out.push(b'}');
    Ok(())
}

#[cfg(test)]
mod tests;
