//! haboob's inputs: finding log files ([`discover`]), reading them
//! ([`read_input`]: plain, gzip or zstd, files or stdin), splitting them into
//! lines and parsing each line with one hand-written parser per [`Format`].
//!
//! Parsers borrow from the line buffer; the events handed to `on_event` are
//! [`haboob_model::EventRef`]s that live for one callback.
//!
//! ```
//! use haboob_ingest::{Format, JsonFieldMap, Parsed};
//! use haboob_model::EventRef;
//! let mut p = Format::Combined.parser(&JsonFieldMap::default());
//! let line = r#"192.0.2.7 - - [10/Oct/2000:13:55:36 -0700] "GET /.env?x=1 HTTP/1.1" 404 12 "-" "curl/8.0""#;
//! match p.parse(line).unwrap() {
//!     Parsed::Event(EventRef::Web(w)) => {
//!         assert_eq!((w.path, w.query, w.status), ("/.env", "x=1", 404));
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! ```
#![deny(missing_docs)]

mod alb;
mod clf;
mod clf_cache;
#[cfg(test)]
mod clf_ref;
mod clf_scan;
pub mod codec;
mod codec_audit;
mod codec_net;
mod detect;
mod docread;
mod errorlog;
mod evtx;
mod format;
mod iis;
mod input;
mod json;
mod jsondoc;
mod lines;
mod litespeed;
mod netcommon;
mod netjson;
mod options;
mod par;
mod proxy;
mod read;
mod squid;
mod text;
mod zeek;
mod zoraxy;

pub use format::Format;
pub use haboob_model::{LineParser, Parsed, RecordError};
pub use input::{discover, discover_all, Discovery, Input};
pub use json::JsonFieldMap;
pub use proxy::{ProxyConfig, TrustedProxies, MAX_HOPS};
pub use read::{
    read_input, read_into, read_reader, read_reader_into, EventSink, Parallel, ReadOptions,
    ReadStats, Rejection,
};

/// Why reading an input failed as a whole (bad lines are counted, not errors,
/// unless [`ReadOptions::strict`] is set).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The input could not be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// Input path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Reading (or decompressing) failed part-way.
    #[error("cannot read {path} after line {line}: {source}")]
    Read {
        /// Input path.
        path: String,
        /// Last line read completely.
        line: u64,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Strict mode: the first rejected line.
    #[error("{path}:{line}: {reason}")]
    Strict {
        /// Input path.
        path: String,
        /// 1-based line number.
        line: u64,
        /// Why the line was rejected.
        reason: String,
    },
    /// Auto-detection found no format accepting any of the first lines.
    #[error("{path}: cannot recognise the log format (tried: {tried}); use --log-format")]
    UnknownFormat {
        /// Input path.
        path: String,
        /// Format names tried, comma-separated.
        tried: String,
    },
    /// A CLI argument matched no file.
    #[error("no input matches {pattern}")]
    NoMatch {
        /// The argument as given.
        pattern: String,
    },
    /// Reading stopped early because another input failed in strict mode.
    #[error("{path}: stopped (another input failed in strict mode)")]
    Stopped {
        /// The input.
        path: String,
    },
    /// The input is JSON but no log: no format accepts its records (a
    /// configuration, a STIX bundle, `package.json`, a labels file).
    #[error("{path}: not a log: {reason}")]
    NotALog {
        /// Input path.
        path: String,
        /// What was found instead.
        reason: String,
    },
    /// A record-framed file (EVTX) could not be read.
    #[error("{path}: {reason}")]
    Records {
        /// The input.
        path: String,
        /// What went wrong.
        reason: String,
    },
}
