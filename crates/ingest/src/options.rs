//! How inputs are read ([`ReadOptions`]) and what reading them counted
//! ([`ReadStats`]).

use crate::{Format, JsonFieldMap, TrustedProxies};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// How to read inputs.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// The format of every input; `None` detects it per input.
    pub format: Option<Format>,
    /// Fail on the first rejected line with [`IngestError::Strict`].
    pub strict: bool,
    /// Site for events whose format carries none (`WebEvent::site == ""`).
    pub site: Option<String>,
    /// Field map for JSON logs.
    pub json_fields: JsonFieldMap,
    /// Longer lines are rejected without being buffered whole.
    pub max_line_bytes: usize,
    /// Rejections kept with file, line and reason.
    pub max_reject_samples: usize,
    /// Set by another reader to stop this one early (strict mode across
    /// parallel inputs): reading ends with [`IngestError::Stopped`].
    pub stop: Option<Arc<AtomicBool>>,
    /// Set by the caller to stop reading this input early (the hunt, once a
    /// stream turned out to need sorting): ends like `stop`.
    pub stop_input: Option<Arc<AtomicBool>>,
    /// Trusted proxies: a web event whose peer is one takes its source from
    /// its forwarding header ([`TrustedProxies::client`]); `None`: never.
    pub proxies: Option<Arc<TrustedProxies>>,
    /// Combined logs: which quoted field after the user agent is the
    /// forwarding header ([`crate::ProxyConfig::combined_field`]).
    pub combined_forwarded_field: u8,
    /// Parse a large line-framed input on several threads of the rayon pool
    /// (events still reach the sink in line order, see `par`); never when
    /// `strict`.
    pub parallel: Parallel,
}

impl ReadOptions {
    /// Whether reading should stop now (`stop` or `stop_input` set).
    pub fn stopped(&self) -> bool {
        [&self.stop, &self.stop_input]
            .into_iter()
            .flatten()
            .any(|s| s.load(Ordering::Relaxed))
    }
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: None,
            strict: false,
            site: None,
            json_fields: JsonFieldMap::default(),
            max_line_bytes: 64 * 1024,
            max_reject_samples: 20,
            stop: None,
            stop_input: None,
            proxies: None,
            combined_forwarded_field: crate::ProxyConfig::default().combined_field,
            parallel: Parallel::Off,
        }
    }
}

/// When a reader parses one input on several threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parallel {
    /// Never: one thread per input.
    #[default]
    Off,
    /// For formats whose parsing outweighs handing events over (JSON lines).
    WhereItPays,
    /// For every format whose lines parse independently.
    Always,
}

/// One rejected line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Input name.
    pub file: String,
    /// 1-based line number.
    pub line: u64,
    /// Why it was rejected.
    pub reason: String,
}

/// Accounting; invariant: `lines == parsed + rejected`. `Rejection::line`
/// and `Origin::line` are 1-based lines; a JSON document's record is named by
/// the line where it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Inputs of which no line parsed although some were read, with the
    /// format tried (`path`, `format`, lines read).
    pub unparsed: Vec<(String, String, u64)>,
    /// Inputs read.
    pub files: u64,
    /// On-disk (compressed) bytes consumed.
    pub bytes: u64,
    /// Lines seen; for JSON documents (arrays, page wrappers, Log Analytics
    /// results) framed record by record, records (array punctuation and
    /// wrapper members are not counted).
    pub lines: u64,
    /// Lines parsed into an event or a directive.
    pub parsed: u64,
    /// Lines (records) that produced events: a Windows sign-in record,
    /// delivered as its sign-in and as its Windows event, counts once.
    pub events: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Parsed lines of which one view failed (a Windows sign-in record read
    /// only as its Windows event); each is also in `parsed`, and sampled in
    /// `samples` with the reason.
    pub partial: u64,
    /// Format name → number of inputs read with it.
    pub formats: BTreeMap<String, u64>,
    /// The first rejections.
    pub samples: Vec<Rejection>,
}

/// [`ReadStats`] line counts at the start of one input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    lines: u64,
    parsed: u64,
}

impl ReadStats {
    /// The counts now, to tell later what one input added.
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            lines: self.lines,
            parsed: self.parsed,
        }
    }

    /// Record `name` in [`ReadStats::unparsed`] when it added lines since
    /// `start` and none of them parsed.
    pub(crate) fn note_unparsed(&mut self, name: &str, format: &str, start: Mark) {
        let lines = self.lines - start.lines;
        if lines > 0 && self.parsed == start.parsed {
            self.unparsed
                .push((name.to_owned(), format.to_owned(), lines));
        }
    }

    /// Count a partial record (see [`ReadStats::partial`]), sampling it while
    /// fewer than `max_samples` samples are kept.
    pub(crate) fn partial(&mut self, file: &str, line: u64, reason: &str, max_samples: usize) {
        self.partial += 1;
        tracing::debug!(file, line, reason, "Read a record in part.");
        if self.samples.len() < max_samples {
            self.samples.push(Rejection {
                file: file.to_owned(),
                line,
                reason: format!("read as a Windows event only, not as a sign-in: {reason}"),
            });
        }
    }

    /// Add `other` into `self`, keeping at most `max_samples` samples.
    pub fn merge(&mut self, other: ReadStats, max_samples: usize) {
        self.files += other.files;
        self.unparsed.extend(other.unparsed);
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.parsed += other.parsed;
        self.events += other.events;
        self.rejected += other.rejected;
        self.partial += other.partial;
        for (k, v) in other.formats {
            *self.formats.entry(k).or_default() += v;
        }
        let room = max_samples.saturating_sub(self.samples.len());
        self.samples.extend(other.samples.into_iter().take(room));
    }
}
