//! Why a rule did not load.

use std::path::PathBuf;

/// A rule (or a document of a rule file) that did not load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        reason: String,
    },
    /// Not a valid Sigma rule: bad YAML, a missing or malformed section, a
    /// condition that does not parse, an unknown modifier, …
    #[error("{path}:{line}:{column}: invalid rule: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the offending document or item (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// What is wrong, precisely.
        reason: String,
    },
    /// A valid rule haboob cannot run: a log source it does not read, or a
    /// feature it does not implement.
    #[error("{path}: rule {rule}: unsupported: {feature}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The rule's id (or title when it has none).
        rule: String,
        /// What is missing (e.g. `logsource product=linux category=process_creation`).
        feature: String,
    },
}
