//! Store errors.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The URL is neither `sqlite:PATH`, a path, nor `postgres://…`.
    #[error("bad store URL {url:?}: {reason}")]
    BadUrl {
        /// The URL as given (password removed).
        url: String,
        /// Why.
        reason: String,
    },
    /// The database refused an operation.
    #[error("store {url}: {op}: {message}")]
    Database {
        /// The store URL (password removed).
        url: String,
        /// What was being done, e.g. `save_hunt: insert alert`.
        op: String,
        /// The database's message.
        message: String,
    },
    /// The database's schema is newer than this binary knows.
    #[error("store schema version {found} is newer than this haboob's {known}; upgrade haboob")]
    SchemaTooNew {
        /// Version in the database.
        found: u32,
        /// Latest version this binary has.
        known: u32,
    },
    /// A status change not allowed by the workflow.
    #[error("campaign {campaign}: cannot go from {from} to {to}")]
    InvalidTransition {
        /// Campaign id.
        campaign: String,
        /// Current status.
        from: String,
        /// Requested status.
        to: String,
    },
    /// No such campaign, alert, token or notification.
    #[error("{0} not found")]
    NotFound(String),
    /// The thing to create exists already (e.g. a token name).
    #[error("{0} already exists")]
    Conflict(String),
    /// A value the store refuses (e.g. an empty token name).
    #[error("invalid {0}")]
    Invalid(String),
    /// Not supported by this build or backend.
    #[error("unsupported: {0}")]
    Unsupported(String),
}
