//! Intel sources: plain lists ([`list`]), MISP feeds and event exports
//! ([`misp`]), STIX 2.1 bundles and objects (read by [`crate::stix`]) and
//! TAXII 2.1 pulls ([`taxii`]). Each reader turns its input into [`Indicator`]s with their
//! provenance and an [`ImportSummary`] that counts every value: imported
//! (per kind), rejected (with file:line or object id and the reason),
//! unsupported (per type) or skipped as context. Nothing is dropped silently.
//!
//! [`load_path`] reads a file or folder and picks the reader by content.

pub mod list;
pub mod misp;
pub mod taxii;
pub mod value;

use crate::{Indicator, IntelError, Observable, Tlp};
use haboob_model::Ts;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Rejections kept as samples in a summary (the rest are counted).
pub const MAX_REJECT_SAMPLES: usize = 20;
/// Largest JSON document read (a MISP event, a STIX bundle), bytes.
pub const MAX_JSON_BYTES: u64 = 512 << 20;

/// How to import a source.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Source name for provenance; `None` derives one from the path or URL
    /// (`list:ips.txt`, `misp:<feed folder>`, `stix:<file>`).
    pub source: Option<String>,
    /// Import time (provenance `imported`).
    pub imported: Ts,
    /// TLP for indicators that carry none.
    pub tlp: Option<Tlp>,
    /// Plain lists only: every line is of this kind (`--kind user-agent`).
    pub list_kind: Option<list::ListKind>,
    /// MISP: import `to_ids=false` attributes too (as context).
    pub include_context: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            source: None,
            imported: Ts(0),
            tlp: None,
            list_kind: None,
            include_context: false,
        }
    }
}

/// One value or object that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// `file:line`, `file: object id` or URL.
    pub location: String,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}

/// What an import read: counts per kind, rejections, unsupported types.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Values imported, per kind (`ip`, `cidr`, `domain`, `url`, `email`,
    /// `account`, `user-agent`, `hash`, `pattern`).
    pub by_kind: BTreeMap<String, u64>,
    /// Values or objects rejected.
    pub rejected: u64,
    /// The first [`MAX_REJECT_SAMPLES`] rejections.
    pub rejections: Vec<Rejection>,
    /// Values of types this tool does not look for in logs, per type
    /// (MISP attribute types, STIX object types).
    pub unsupported: BTreeMap<String, u64>,
    /// The first [`MAX_REJECT_SAMPLES`] unsupported objects with an id
    /// (STIX indicators), and why.
    pub unsupported_samples: Vec<Rejection>,
    /// MISP `to_ids=false` attributes (context): seen.
    pub context_seen: u64,
    /// MISP `to_ids=false` attributes imported (`--include-context`).
    pub context_imported: u64,
    /// Objects or lines skipped on purpose (comments excluded), per reason
    /// (e.g. `documentation link`, `revoked`).
    pub skipped: BTreeMap<String, u64>,
}

impl ImportSummary {
    /// Count one rejection, keeping the first few.
    pub fn reject(&mut self, location: impl Into<String>, reason: impl Into<String>) {
        self.rejected += 1;
        if self.rejections.len() < MAX_REJECT_SAMPLES {
            self.rejections.push(Rejection {
                location: location.into(),
                reason: reason.into(),
            });
        }
    }

    /// Count one imported value of `kind`.
    pub fn count(&mut self, kind: &str) {
        match self.by_kind.get_mut(kind) {
            Some(n) => *n += 1,
            None => {
                self.by_kind.insert(kind.to_string(), 1);
            }
        }
    }

    /// Count a value whose type is not used.
    pub fn unsupported(&mut self, ty: &str) {
        let ty: String = ty.chars().take(64).collect();
        *self.unsupported.entry(ty).or_default() += 1;
    }

    /// Keep one unsupported object (location and reason) as a sample; the
    /// count is [`ImportSummary::unsupported`]'s.
    pub fn sample_unsupported(&mut self, location: impl Into<String>, reason: impl Into<String>) {
        if self.unsupported_samples.len() < MAX_REJECT_SAMPLES {
            self.unsupported_samples.push(Rejection {
                location: location.into(),
                reason: reason.into(),
            });
        }
    }

    /// Count a value skipped on purpose.
    pub fn skip(&mut self, reason: &str) {
        *self.skipped.entry(reason.to_string()).or_default() += 1;
    }

    /// Add another summary's counts.
    pub fn merge(&mut self, o: ImportSummary) {
        for (k, v) in o.by_kind {
            *self.by_kind.entry(k).or_default() += v;
        }
        for (k, v) in o.unsupported {
            *self.unsupported.entry(k).or_default() += v;
        }
        for (k, v) in o.skipped {
            *self.skipped.entry(k).or_default() += v;
        }
        self.rejected += o.rejected;
        for r in o.rejections {
            if self.rejections.len() < MAX_REJECT_SAMPLES {
                self.rejections.push(r);
            }
        }
        for r in o.unsupported_samples {
            if self.unsupported_samples.len() < MAX_REJECT_SAMPLES {
                self.unsupported_samples.push(r);
            }
        }
        self.context_seen += o.context_seen;
        self.context_imported += o.context_imported;
    }

    /// Values imported, all kinds.
    pub fn imported(&self) -> u64 {
        self.by_kind.values().sum()
    }
}

/// Indicators read from a source, and the accounting.
#[derive(Debug, Clone, Default)]
pub struct Import {
    /// The indicators.
    pub indicators: Vec<Indicator>,
    /// What was read.
    pub summary: ImportSummary,
}

impl Import {
    /// Add another import.
    pub fn extend(&mut self, o: Import) {
        self.indicators.extend(o.indicators);
        self.summary.merge(o.summary);
    }
}

/// The summary kind of an observable (`ip` for one address, `cidr` for a
/// network).
pub fn kind_of(o: &Observable) -> &'static str {
    match o {
        Observable::Ip(n) if n.prefix_len() == n.max_prefix_len() => "ip",
        Observable::Ip(_) => "cidr",
        Observable::Domain(_) => "domain",
        Observable::Url(_) => "url",
        Observable::Email(_) => "email",
        Observable::Account(_) => "account",
        Observable::UserAgent(_) => "user-agent",
        Observable::Hash(..) => "hash",
    }
}

/// What a file holds, judged by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A STIX 2.1 bundle (or a JSON array of STIX objects).
    Stix,
    /// A MISP event export.
    MispEvent,
    /// A MISP feed folder (`manifest.json` and one file per event).
    MispFeed,
    /// A plain list.
    List,
}

/// Judge a JSON document: STIX bundle, MISP event, or neither.
pub(crate) fn json_kind(v: &serde_json::Value) -> Option<SourceKind> {
    let probe = |o: &serde_json::Value| -> Option<SourceKind> {
        if o.get("Event").is_some() || o.get("response").is_some() {
            return Some(SourceKind::MispEvent);
        }
        match o.get("type").and_then(|t| t.as_str()) {
            Some("bundle") => Some(SourceKind::Stix),
            Some(t) if t.contains("--") || o.get("spec_version").is_some() => {
                Some(SourceKind::Stix)
            }
            _ if o
                .get("id")
                .and_then(|i| i.as_str())
                .is_some_and(|i| i.contains("--")) =>
            {
                Some(SourceKind::Stix)
            }
            _ => None,
        }
    };
    match v {
        serde_json::Value::Array(a) => a.first().and_then(probe),
        o => probe(o),
    }
}

/// Read a JSON file (bounded to [`MAX_JSON_BYTES`]).
pub(crate) fn read_json(path: &Path) -> Result<serde_json::Value, IntelError> {
    let name = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|error| IntelError::Io {
        source_name: name.clone(),
        error,
    })?;
    let mut buf = Vec::new();
    f.take(MAX_JSON_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|error| IntelError::Io {
            source_name: name.clone(),
            error,
        })?;
    if buf.len() as u64 > MAX_JSON_BYTES {
        return Err(IntelError::Format {
            source_name: name,
            reason: format!("larger than {} MiB", MAX_JSON_BYTES >> 20),
        });
    }
    serde_json::from_slice(&buf).map_err(|e| IntelError::Format {
        source_name: name,
        reason: format!("not valid JSON: {e}"),
    })
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Read intel from a file or folder, the reader chosen by content: a folder
/// with `manifest.json` is a MISP feed, another folder is read file by file
/// (sorted; files that are none of the kinds are errors); a JSON file is a
/// STIX bundle or a MISP event export; anything else is a plain list.
///
/// # Errors
/// The path cannot be read, or a JSON file is neither STIX nor MISP.
pub fn load_path(path: &Path, opts: &ImportOptions) -> Result<Import, IntelError> {
    if path.is_dir() {
        if path.join("manifest.json").is_file() {
            let source = opts
                .source
                .clone()
                .unwrap_or_else(|| format!("misp:{}", file_name(path)));
            return misp::read_feed_dir(path, &source, opts);
        }
        let mut all = Import::default();
        for p in folder_entries(path)? {
            all.extend(load_path(&p, opts)?);
        }
        return Ok(all);
    }
    let (kind, json) = sniff_file(path)?;
    let name = file_name(path);
    let json = json.unwrap_or_default();
    match kind {
        SourceKind::List => {
            let (batch, summary) = read_list_file(path, &name, opts)?;
            Ok(Import {
                indicators: batch.into_indicators(),
                summary,
            })
        }
        SourceKind::MispEvent | SourceKind::MispFeed => {
            let v = json;
            let source = opts
                .source
                .clone()
                .unwrap_or_else(|| format!("misp:{name}"));
            Ok(misp::read_events_value(
                &v,
                &path.display().to_string(),
                &source,
                opts,
            ))
        }
        SourceKind::Stix => {
            let v = json;
            let source = opts
                .source
                .clone()
                .unwrap_or_else(|| format!("stix:{name}"));
            crate::stix::import_value(&v, &path.display().to_string(), &source, opts)
        }
    }
}

/// Intel read for an index ([`crate::IntelIndex::build_with_lists`]): the
/// indicators of STIX and MISP sources, plain lists kept compact
/// ([`list::ListBatch`]), and the accounting.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Indicators of sources other than plain lists.
    pub indicators: Vec<Indicator>,
    /// Plain lists, in the order read.
    pub lists: Vec<list::ListBatch>,
    /// What was read.
    pub summary: ImportSummary,
}

impl Loaded {
    /// Add another load.
    pub fn extend(&mut self, o: Loaded) {
        self.indicators.extend(o.indicators);
        self.lists.extend(o.lists);
        self.summary.merge(o.summary);
    }
}

/// [`load_path`] for an index: the same sources, accounting and order, but
/// plain lists are kept as [`list::ListBatch`]es instead of one
/// [`Indicator`] per line (the 1M-line lists of a feed load in a fraction
/// of the time and memory).
///
/// # Errors
/// As [`load_path`].
pub fn load_for_index(path: &Path, opts: &ImportOptions) -> Result<Loaded, IntelError> {
    let mut out = Loaded::default();
    if path.is_dir() && !path.join("manifest.json").is_file() {
        for p in folder_entries(path)? {
            out.extend(load_for_index(&p, opts)?);
        }
        return Ok(out);
    }
    if !path.is_dir() && !sniff_json(path)? {
        let (batch, summary) = read_list_file(path, &file_name(path), opts)?;
        out.lists.push(batch);
        out.summary = summary;
        return Ok(out);
    }
    let imp = load_path(path, opts)?;
    out.indicators = imp.indicators;
    out.summary = imp.summary;
    Ok(out)
}

/// The files of a folder that are read as intel, sorted (hidden ones left
/// out).
fn folder_entries(path: &Path) -> Result<Vec<std::path::PathBuf>, IntelError> {
    let mut entries: Vec<_> = std::fs::read_dir(path)
        .map_err(|error| IntelError::Io {
            source_name: path.display().to_string(),
            error,
        })?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort();
    Ok(entries)
}

/// Read the plain list at `path` (`name`: its file name).
fn read_list_file(
    path: &Path,
    name: &str,
    opts: &ImportOptions,
) -> Result<(list::ListBatch, ImportSummary), IntelError> {
    let source = opts
        .source
        .clone()
        .unwrap_or_else(|| format!("list:{name}"));
    let io = |error| IntelError::Io {
        source_name: path.display().to_string(),
        error,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let size = f.metadata().map_err(io)?.len();
    if size <= list::MAX_LIST_BYTES as u64 {
        // A feed file (not a log): read whole, its lines parsed in parallel
        // chunks; the batch holds its text anyway.
        let mut data = Vec::with_capacity(size as usize);
        std::io::Read::read_to_end(&mut std::io::Read::take(f, size), &mut data).map_err(io)?;
        return list::read_list_vec(data, &path.display().to_string(), &source, opts);
    }
    list::read_list_batch(
        std::io::BufReader::with_capacity(1 << 16, f),
        &path.display().to_string(),
        &source,
        opts,
    )
}

/// Whether a file starts like JSON (`{` or `[` after blanks and a BOM).
fn sniff_json(path: &Path) -> Result<bool, IntelError> {
    let name = path.display().to_string();
    let mut f = std::fs::File::open(path).map_err(|error| IntelError::Io {
        source_name: name.clone(),
        error,
    })?;
    let mut head = [0u8; 512];
    let n = f.read(&mut head).map_err(|error| IntelError::Io {
        source_name: name.clone(),
        error,
    })?;
    let first = head[..n]
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace() && *b != 0xef && *b != 0xbb && *b != 0xbf);
    Ok(matches!(first, Some(b'{' | b'[')))
}

/// Judge a file by its first bytes (and, for JSON, its document, which is
/// returned).
fn sniff_file(path: &Path) -> Result<(SourceKind, Option<serde_json::Value>), IntelError> {
    let name = path.display().to_string();
    if !sniff_json(path)? {
        return Ok((SourceKind::List, None));
    }
    let v = read_json(path)?;
    match json_kind(&v) {
        Some(k) => Ok((k, Some(v))),
        None => Err(IntelError::Format {
            source_name: name,
            reason: "JSON that is neither a STIX 2.1 bundle nor a MISP event".into(),
        }),
    }
}
