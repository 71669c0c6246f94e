//! Per-input line handling: format detection over held-back lines with
//! replay, parsing, site and proxy fix-ups, rejection accounting.

use crate::detect::{detect, tried, DETECT_LINES};
use crate::options::{Mark, ReadOptions, ReadStats, Rejection};
use crate::read::EventSink;
use crate::text::RecordParser;
use crate::{Format, IngestError, JsonFieldMap};
use haboob_model::{EventRef, Origin, Parsed};
use std::borrow::Cow;

// A parsed web event (and so a result holding one) owns nothing: its
// result is left undropped in `Lines::process_known`.
const _: () = assert!(!std::mem::needs_drop::<haboob_model::WebEvent<'static>>());

/// Most lines (empty ones included) held back for detection.
pub(crate) const MAX_PENDING: usize = 4096;

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
            line_no: opts.first_line,
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
        // A line that starts with a byte other than white space (almost
        // all) is not blank: no trimming.
        if raw.first().is_none_or(u8::is_ascii_whitespace) && raw.trim_ascii().is_empty() {
            return self.reject(Cow::Borrowed("empty line"), "");
        }
        // `raw` is `known` without its last `\r`, if any.
        let text = match known.map(|k| k.strip_suffix('\r').unwrap_or(k)) {
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
        let origin = Origin {
            file: self.name,
            line: self.line_no,
            raw: &text,
        };
        // The result is matched where it lies (by reference): an event is
        // some 250 bytes, and moving it out of the result costs a copy per
        // line. A web event owns nothing (asserted above): its result
        // needs no drop, so none is run (the drop of the result, a call
        // through every variant, cost some 45 instructions per line).
        let mut parsed = parser.parse_rec(&text, Some(&mut self.scratch));
        if let Ok(Parsed::Event(ev @ EventRef::Web(_))) = &mut parsed {
            if let EventRef::Web(w) = &mut *ev {
                if let (true, Some(site)) = (w.site.is_empty(), self.opts.site.as_deref()) {
                    w.site = site;
                }
                if let Some(p) = self.opts.proxies.as_deref() {
                    w.source_ip = p.client(w.source_ip, w.forwarded);
                }
            }
            self.stats.parsed += 1;
            self.stats.events += 1;
            self.sink.event(ev, &origin);
            std::mem::forget(parsed);
            return Ok(());
        }
        let rejected = match &mut parsed {
            Ok(Parsed::Event(ev)) => {
                // A sign-in whose record names no tenant, domain or host,
                // or a firewall line that names no host, was recorded by
                // the site the file belongs to.
                match (&mut *ev, self.opts.site.as_deref()) {
                    (EventRef::Auth(a), Some(site)) if a.target().is_empty() => {
                        a.host = Cow::Borrowed(site);
                    }
                    (EventRef::Waf(w), Some(site)) if w.site.is_empty() => w.site = site,
                    _ => {}
                }
                self.stats.parsed += 1;
                self.stats.events += 1;
                self.sink.event(ev, &origin);
                None
            }
            Ok(Parsed::Both(first, second)) => {
                // A Windows sign-in: the sign-in, then the Windows event;
                // one line, counted once (no web fix-ups apply).
                self.stats.parsed += 1;
                self.stats.events += 1;
                self.sink.event(first, &origin);
                self.sink.event(second, &origin);
                None
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
                self.sink.event(ev, &origin);
                None
            }
            Ok(Parsed::Directive) => {
                self.stats.parsed += 1;
                None
            }
            Err(e) => Some(std::mem::take(&mut e.reason)),
        };
        match rejected {
            Some(reason) => self.reject(reason, &text),
            None => Ok(()),
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
