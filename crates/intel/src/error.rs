//! Errors that say where: the source (file or URL), the object or line, and why.

use thiserror::Error;

/// An intel input that could not be used.
#[derive(Debug, Error)]
pub enum IntelError {
    /// The source could not be read.
    #[error("{source_name}: {error}")]
    Io {
        /// File path or URL.
        source_name: String,
        /// The I/O error.
        #[source]
        error: std::io::Error,
    },
    /// The source is not valid JSON (or not the expected document).
    #[error("{source_name}: {reason}")]
    Format {
        /// File path or URL.
        source_name: String,
        /// What is wrong, with the position when known.
        reason: String,
    },
    /// One object or line of the source was rejected (the rest is used).
    #[error("{source_name}: {location}: {reason}")]
    Rejected {
        /// File path or URL.
        source_name: String,
        /// Line number, object id or JSON path.
        location: String,
        /// Why it was rejected.
        reason: String,
    },
}
