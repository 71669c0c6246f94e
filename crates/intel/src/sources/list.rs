//! Plain lists: one value per line, with an optional label.
//!
//! ```text
//! # kind: any            (optional header; `user-agent` makes every line a UA)
//! # actor: Cotton Sandstorm   (optional: actor of every line)
//! # tlp: amber   # confidence: 80   # valid-until: 2027-01-01T00:00:00Z
//! 203.0.113.7            seized VPS
//! 198.51.100.0/24 # hosting range
//! evil.example
//! https://evil.example/login.php
//! d41d8cd98f00b204e9800998ecf8427e
//! ```
//!
//! The label follows a tab or ` # `. Header lines are `# key: value`
//! comments before the first value; other `#` lines and blank lines are
//! skipped. Each value's kind is judged by its shape
//! ([`super::value::classify`]); a line that is none of the kinds is
//! rejected with `file:line: reason` and counted. Ids are
//! `list--<sha-256 hex of source and value>`.

use super::value::{self, classify, MAX_VALUE_BYTES};
use super::{kind_of, Import, ImportOptions};
use crate::{Indicator, IndicatorCondition, IntelError, Observable, Provenance, Tlp};
use haboob_model::Ts;
use sha2::{Digest, Sha256};
use std::io::BufRead;

/// What the values of a list are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListKind {
    /// Judged per line by shape.
    #[default]
    Any,
    /// Every line is an HTTP User-Agent (matched exactly).
    UserAgent,
}

impl std::str::FromStr for ListKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "any" | "auto" => Ok(ListKind::Any),
            "user-agent" | "user-agents" | "ua" => Ok(ListKind::UserAgent),
            o => Err(format!("unknown list kind {o:?} (any, user-agent)")),
        }
    }
}

/// `list--` and the SHA-256 hex of the source and the value.
pub fn list_id(source: &str, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(source.as_bytes());
    h.update([0xff]);
    h.update(value.as_bytes());
    let d = h.finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(6 + 64);
    s.push_str("list--");
    for b in d {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

/// Settings a list's header may give.
#[derive(Debug, Default)]
struct Header {
    kind: Option<ListKind>,
    actor: Option<String>,
    tlp: Option<Tlp>,
    confidence: Option<u8>,
    valid_until: Option<Ts>,
}

/// Parse a TLP name (`clear`, `white`, `green`, `amber`, `amber+strict`, `red`),
/// with or without a `tlp:` prefix: [`crate::tlp::by_name`].
pub use crate::tlp::by_name as parse_tlp;

/// Read a plain list. `file` names it in rejections; `source` is the
/// provenance source.
///
/// # Errors
/// Only when the input cannot be read; bad lines are counted rejections.
pub fn read_list<R: BufRead>(
    r: R,
    file: &str,
    source: &str,
    opts: &ImportOptions,
) -> Result<Import, IntelError> {
    let (batch, summary) = read_list_batch(r, file, source, opts)?;
    Ok(Import {
        indicators: batch.into_indicators(),
        summary,
    })
}

/// One value of a list: where its text is in [`ListBatch`]'s arena.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Offset of the value in the arena; the label follows it.
    start: u32,
    /// Value bytes (at most [`MAX_VALUE_BYTES`]).
    vlen: u16,
    /// Label bytes (0: none).
    llen: u16,
    /// Line number in the file.
    line: u32,
}

/// A plain list read compactly: its values and labels in one arena, the
/// header's provenance once for the list, ids derived on demand. What
/// [`read_list`] returns as [`Indicator`]s ([`ListBatch::indicator`] gives
/// each one, equal to [`read_list`]'s), at a fraction of the memory; the
/// index ([`crate::IntelIndex::build_with_lists`]) takes it as it is.
#[derive(Debug, Clone, Default)]
pub struct ListBatch {
    source: String,
    file: String,
    kind: ListKind,
    actors: Vec<String>,
    tlp: Option<Tlp>,
    confidence: Option<u8>,
    valid_until: Option<Ts>,
    imported: Ts,
    text: String,
    entries: Vec<Entry>,
    /// The values classified (taken by the index build).
    obs: Vec<Observable>,
}

impl ListBatch {
    /// Values held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no value is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The provenance source of every value.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Expiry of every value (the header's `valid-until`).
    pub fn valid_until(&self) -> Option<Ts> {
        self.valid_until
    }

    /// Value `k` as written (trimmed), which its id is derived from.
    pub fn value(&self, k: usize) -> Option<&str> {
        let e = self.entries.get(k)?;
        let s = e.start as usize;
        self.text.get(s..s + usize::from(e.vlen))
    }

    fn label(&self, e: &Entry) -> Option<&str> {
        let s = e.start as usize + usize::from(e.vlen);
        (e.llen > 0)
            .then(|| self.text.get(s..s + usize::from(e.llen)))
            .flatten()
    }

    /// The id of value `k` (`list--…`, as [`list_id`]).
    pub fn id(&self, k: usize) -> Option<String> {
        self.value(k).map(|v| list_id(&self.source, v))
    }

    /// The observable of value `k`, classified again from its text.
    fn observable(&self, v: &str) -> Option<Observable> {
        match self.kind {
            ListKind::UserAgent => Some(Observable::UserAgent(v.to_string())),
            ListKind::Any => classify(v).ok(),
        }
    }

    /// Value `k` as the [`Indicator`] [`read_list`] gives for it.
    pub fn indicator(&self, k: usize) -> Option<Indicator> {
        let obs = self.observable(self.value(k)?)?;
        self.make(k, obs)
    }

    fn make(&self, k: usize, obs: Observable) -> Option<Indicator> {
        let e = self.entries.get(k)?;
        let value = self.value(k)?;
        let label = self.label(e);
        Some(Indicator {
            id: list_id(&self.source, value),
            name: label.unwrap_or(value).chars().take(256).collect(),
            condition: IndicatorCondition::Any(vec![obs]),
            valid_from: None,
            valid_until: self.valid_until,
            labels: label.map(str::to_string).into_iter().collect(),
            actors: self.actors.clone(),
            provenance: Provenance {
                source: self.source.clone(),
                imported: self.imported,
                confidence: self.confidence,
                tlp: self.tlp,
                reference: Some(format!("{}:{}", self.file, e.line)),
            },
        })
    }

    /// Every value as an [`Indicator`], in order.
    pub fn into_indicators(mut self) -> Vec<Indicator> {
        let obs = self.take_observables();
        if obs.len() != self.len() {
            return (0..self.len()).filter_map(|k| self.indicator(k)).collect();
        }
        obs.into_iter()
            .enumerate()
            .filter_map(|(k, o)| self.make(k, o))
            .collect()
    }

    /// Keep the values whose `keep` is true (in order); the others are
    /// gone from [`ListBatch::len`] and the numbering.
    pub(crate) fn retain(&mut self, keep: &[bool]) {
        let mut i = 0;
        self.entries.retain(|_| {
            i += 1;
            keep.get(i - 1).copied().unwrap_or(true)
        });
        if !self.obs.is_empty() {
            let mut i = 0;
            self.obs.retain(|_| {
                i += 1;
                keep.get(i - 1).copied().unwrap_or(true)
            });
        }
    }

    /// The classified values, in order (once: later calls get none).
    pub(crate) fn take_observables(&mut self) -> Vec<Observable> {
        std::mem::take(&mut self.obs)
    }
}

#[path = "list_read.rs"]
mod read;
pub(crate) use read::read_list_vec;
pub use read::{read_list_batch, read_list_bytes, read_list_bytes_chunked, MAX_LIST_BYTES};

/// Skip to the end of the line without keeping it.
fn skip_line<R: BufRead>(r: &mut R) -> std::io::Result<()> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match memchr_newline(buf) {
            Some(i) => {
                r.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|c| *c == b'\n')
}

/// Split `value<TAB>label` or `value # label`.
fn split_label(line: &str, kind: ListKind) -> (&str, Option<&str>) {
    // One pass for a tab or a `#` (lines are short: a plain loop); a tab
    // after a `#` still wins.
    let b = line.as_bytes();
    let first = b.iter().position(|c| matches!(c, b'\t' | b'#'));
    let tab = match first {
        Some(i) if b[i] == b'\t' => Some(i),
        Some(i) => memchr::memchr(b'\t', &b[i..]).map(|t| i + t),
        None => None,
    };
    let (v, l) = match tab {
        Some(i) => (&line[..i], Some(&line[i + 1..])),
        // (`" # "` looked for only in lines with a `#`: most have none.)
        None if kind == ListKind::Any && first.is_some() => match line.split_once(" # ") {
            Some((v, l)) => (v, Some(l)),
            None => (line, None),
        },
        None => (line, None),
    };
    let l = l.map(value::trim).filter(|l| !l.is_empty());
    let v = if kind == ListKind::UserAgent {
        value::trim_newlines(v)
    } else {
        value::trim(v)
    };
    (v, l)
}

/// One `# key: value` header comment; other comments are ignored.
fn header_line(c: &str, h: &mut Header) -> Result<(), String> {
    let Some((k, v)) = c.split_once(':') else {
        return Ok(());
    };
    let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
    match k.as_str() {
        "kind" => h.kind = Some(v.parse()?),
        "actor" => h.actor = Some(v.chars().take(256).collect()),
        "tlp" => {
            h.tlp = Some(parse_tlp(v).ok_or_else(|| format!("unknown TLP {v:?}"))?);
        }
        "confidence" => {
            h.confidence = Some(
                v.parse::<u8>()
                    .ok()
                    .filter(|c| *c <= 100)
                    .ok_or_else(|| format!("confidence {v:?} is not 0-100"))?,
            );
        }
        "valid-until" | "valid_until" | "expires" => {
            h.valid_until = Some(
                Ts::parse_rfc3339(v).map_err(|_| format!("valid-until {v:?} is not RFC 3339"))?,
            );
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, kind: Option<ListKind>) -> Import {
        let opts = ImportOptions {
            list_kind: kind,
            ..ImportOptions::default()
        };
        read_list(text.as_bytes(), "ips.txt", "list:ips.txt", &opts).unwrap()
    }

    #[test]
    fn values_labels_and_rejections() {
        let i = read(
            "# a comment\n\n203.0.113.7\tseized VPS\n198.51.100.0/24 # hosting\nevil.example\n\
             not a value\n300.1.2.3\nhttps://evil.example/x\nbad@evil.example\n\
             d41d8cd98f00b204e9800998ecf8427e\n# later comment\n",
            None,
        );
        assert_eq!(i.indicators.len(), 6);
        assert_eq!(i.summary.rejected, 2);
        assert_eq!(
            i.summary
                .rejections
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [
                "ips.txt:6: not an IP address, CIDR, domain, URL, e-mail address or hash",
                "ips.txt:7: not a valid IP address or CIDR",
            ]
        );
        let kinds: Vec<_> = i
            .summary
            .by_kind
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            kinds,
            [
                ("cidr", 1),
                ("domain", 1),
                ("email", 1),
                ("hash", 1),
                ("ip", 1),
                ("url", 1)
            ]
        );
        assert_eq!(i.indicators[0].name, "seized VPS");
        assert_eq!(i.indicators[0].labels, ["seized VPS"]);
        assert_eq!(i.indicators[1].name, "hosting");
        assert_eq!(i.indicators[2].name, "evil.example");
        assert!(i.indicators[0].id.starts_with("list--"));
        assert_eq!(i.indicators[0].id.len(), 6 + 64);
        assert_eq!(i.indicators[0].id, list_id("list:ips.txt", "203.0.113.7"));
        assert_ne!(i.indicators[0].id, list_id("list:other.txt", "203.0.113.7"));
        assert_eq!(
            i.indicators[0].provenance.reference.as_deref(),
            Some("ips.txt:3")
        );
    }

    #[test]
    fn header_declares_user_agents_and_provenance() {
        let i = read(
            "# kind: user-agent\n# actor: Cotton Sandstorm\n# tlp: amber\n# confidence: 80\n\
             Mozilla/5.0 (compatible; EvilBot/1.0) # not a label\nsqlmap/1.7\tscanner\n",
            None,
        );
        assert_eq!(i.summary.rejected, 0);
        assert_eq!(i.indicators.len(), 2);
        assert_eq!(
            i.indicators[0].condition,
            IndicatorCondition::Any(vec![Observable::UserAgent(
                "Mozilla/5.0 (compatible; EvilBot/1.0) # not a label".into()
            )])
        );
        assert_eq!(i.indicators[1].name, "scanner");
        assert_eq!(i.indicators[1].actors, ["Cotton Sandstorm"]);
        assert_eq!(i.indicators[1].provenance.tlp, Some(Tlp::Amber));
        assert_eq!(i.indicators[1].provenance.confidence, Some(80));
        assert_eq!(i.summary.by_kind.get("user-agent"), Some(&2));
        // Without the header a UA line is not a value of any kind.
        let j = read("sqlmap/1.7\n", None);
        assert_eq!((j.indicators.len(), j.summary.rejected), (0, 1));
        // `--kind user-agent` does the same as the header.
        let k = read("sqlmap/1.7\n", Some(ListKind::UserAgent));
        assert_eq!((k.indicators.len(), k.summary.rejected), (1, 0));
    }

    #[test]
    fn bad_header_and_binary_lines_are_rejected_with_their_line() {
        let mut text = b"# tlp: purple\n203.0.113.7\n".to_vec();
        text.extend_from_slice(b"\xff\xfe\n");
        text.extend(std::iter::repeat_n(b'a', 10_000));
        text.extend_from_slice(b"\nevil.example\n");
        let i = read_list(&text[..], "x.txt", "list:x", &ImportOptions::default()).unwrap();
        assert_eq!(i.indicators.len(), 2);
        let r: Vec<_> = i
            .summary
            .rejections
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            r,
            [
                "x.txt:1: unknown TLP \"purple\"",
                "x.txt:3: not UTF-8 text",
                "x.txt:4: line longer than 8192 bytes",
            ]
        );
    }
}
