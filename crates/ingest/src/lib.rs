//! TEMPORARY stub of the ingest API (replaced by the real crate at merge).
#![allow(missing_docs, clippy::all)]
pub use haboob_model::{LineParser, Parsed, RecordError};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Format {
    Combined,
    Common,
    VhostCombined,
    Iis,
    Json,
    AwsAlb,
}
impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Combined => "combined",
            Format::Common => "common",
            Format::VhostCombined => "vhost-combined",
            Format::Iis => "iis",
            Format::Json => "json",
            Format::AwsAlb => "aws-alb",
        }
    }
    pub fn all() -> &'static [Format] {
        &[
            Format::Combined,
            Format::Common,
            Format::VhostCombined,
            Format::Iis,
            Format::Json,
            Format::AwsAlb,
        ]
    }
}
impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Format::all()
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown format {s}"))
    }
}
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JsonFieldMap {
    pub timestamp: Vec<String>,
}
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    Stdin,
    File(PathBuf),
}
impl Input {
    pub fn display(&self) -> String {
        match self {
            Input::Stdin => "-".into(),
            Input::File(p) => p.display().to_string(),
        }
    }
    pub fn len(&self) -> Option<u64> {
        None
    }
}
pub fn discover(args: &[String]) -> Result<Vec<Input>, IngestError> {
    Ok(args
        .iter()
        .map(|a| {
            if a == "-" {
                Input::Stdin
            } else {
                Input::File(a.into())
            }
        })
        .collect())
}
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub format: Option<Format>,
    pub strict: bool,
    pub site: Option<String>,
    pub json_fields: JsonFieldMap,
    pub max_line_bytes: usize,
    pub max_reject_samples: usize,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub file: String,
    pub line: u64,
    pub reason: String,
}
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadStats {
    pub files: u64,
    pub bytes: u64,
    pub lines: u64,
    pub parsed: u64,
    pub events: u64,
    pub rejected: u64,
    pub formats: std::collections::BTreeMap<String, u64>,
    pub samples: Vec<Rejection>,
}
impl ReadStats {
    pub fn merge(&mut self, _other: ReadStats, _max_samples: usize) {}
}
pub fn read_input(
    _input: &Input,
    _opts: &ReadOptions,
    _progress: &(dyn Fn(u64) + Sync),
    _on_event: &mut dyn FnMut(&haboob_model::EventRef<'_>, &haboob_model::Origin<'_>),
) -> Result<ReadStats, IngestError> {
    unimplemented!()
}
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path} after line {line}: {source}")]
    Read {
        path: String,
        line: u64,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {reason}")]
    Strict {
        path: String,
        line: u64,
        reason: String,
    },
    #[error("{path}: cannot recognise the log format (tried: {tried}); use --format")]
    UnknownFormat { path: String, tried: String },
    #[error("no input matches {pattern}")]
    NoMatch { pattern: String },
}
