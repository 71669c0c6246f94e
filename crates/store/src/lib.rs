//! The haboob store: what hunts found (alerts, campaigns, evidence), what
//! analysts did (status, assignee, notes, audit trail), who may look (tokens
//! with roles), what was sent (notifications), and where the last hunt
//! stopped (checkpoints), in SQLite (default, one file, WAL) or PostgreSQL.
//!
//! The API is synchronous and `&self`: a [`Store`] is `Send + Sync` and may
//! be shared behind an `Arc` (the HTTP server calls it from
//! `spawn_blocking`). Every value that came from a log goes in as a bound
//! parameter, never as SQL text.
//!
//! INTERFACE CONTRACT (session 5): the signatures below are what `server`,
//! `notify` and the hunt command code against. The implementation replaces
//! the `unimplemented` bodies.
#![deny(missing_docs)]

mod error;
mod types;

pub use error::StoreError;
pub use types::*;

use haboob_model::{Alert, Evidence, Ts};

/// Result of a store operation.
pub type Result<T> = std::result::Result<T, StoreError>;

/// An open store (a pool of connections to one database).
pub struct Store {
    url: String,
}

fn todo_impl<T>() -> Result<T> {
    Err(StoreError::Unsupported("not implemented yet".into()))
}

impl Store {
    /// Open (creating if needed) and migrate to the latest schema.
    /// `url`: `sqlite:PATH`, a plain path (SQLite), or `postgres://…`.
    pub fn open(url: &str) -> Result<Store> {
        let _ = url;
        todo_impl()
    }

    /// The URL the store was opened with, password removed.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Schema version after migration (the number of the last migration).
    pub fn schema_version(&self) -> Result<u32> {
        todo_impl()
    }

    // ---- hunt side -------------------------------------------------------

    /// Save one hunt's results in one transaction (see [`HuntWrite`]).
    pub fn save_hunt(&self, w: &HuntWrite<'_>) -> Result<SaveSummary> {
        let _ = w;
        todo_impl()
    }

    /// The checkpoint blob saved under `key` by an earlier [`Store::save_hunt`].
    pub fn checkpoint(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let _ = key;
        todo_impl()
    }

    /// Every stored alert with its evidence (for regrouping campaigns after
    /// an incremental hunt), by first_seen then id.
    pub fn all_alerts(&self) -> Result<Vec<Alert>> {
        todo_impl()
    }

    // ---- read side (API, console, notify) --------------------------------

    /// A filtered page of campaigns, most severe then most recent first.
    pub fn campaigns(&self, q: &CampaignQuery) -> Result<Page<CampaignRow>> {
        let _ = q;
        todo_impl()
    }

    /// One campaign with its state, alerts, notes and notifications.
    pub fn campaign(&self, id: &str) -> Result<Option<CampaignDetail>> {
        let _ = id;
        todo_impl()
    }

    /// A filtered page of alerts (without evidence), by first_seen.
    pub fn alerts(&self, q: &AlertQuery) -> Result<Page<Alert>> {
        let _ = q;
        todo_impl()
    }

    /// One alert with its evidence.
    pub fn alert(&self, id: &str) -> Result<Option<Alert>> {
        let _ = id;
        todo_impl()
    }

    /// The evidence lines of one alert, in stored order.
    pub fn evidence(&self, alert_id: &str) -> Result<Vec<Evidence>> {
        let _ = alert_id;
        todo_impl()
    }

    /// Every organisation seen in a campaign or declared in targets.
    pub fn organisations(&self) -> Result<Vec<OrganisationRow>> {
        todo_impl()
    }

    /// One organisation: its campaigns, accounts and notifications.
    pub fn organisation(&self, name: &str) -> Result<Option<OrganisationDetail>> {
        let _ = name;
        todo_impl()
    }

    // ---- analysts --------------------------------------------------------

    /// Apply an analyst action to a campaign and record it in the audit
    /// trail. Status moves only along `new → triaged → notified → closed`
    /// (and back to `triaged` from `closed` to reopen); anything else is
    /// [`StoreError::InvalidTransition`].
    pub fn act(
        &self,
        who: &Principal,
        campaign_id: &str,
        action: &Action,
    ) -> Result<CampaignState> {
        let _ = (who, campaign_id, action);
        todo_impl()
    }

    /// The audit trail, newest first.
    pub fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let _ = q;
        todo_impl()
    }

    // ---- tokens ----------------------------------------------------------

    /// Create a token; the secret is returned once and stored hashed.
    pub fn create_token(&self, name: &str, role: Role) -> Result<NewToken> {
        let _ = (name, role);
        todo_impl()
    }

    /// Who holds this secret, if it is a live token (updates last use).
    pub fn verify_token(&self, secret: &str) -> Result<Option<Principal>> {
        let _ = secret;
        todo_impl()
    }

    /// Every token (never the secrets).
    pub fn tokens(&self) -> Result<Vec<TokenInfo>> {
        todo_impl()
    }

    /// Revoke a token by name; false when there is none.
    pub fn revoke_token(&self, name: &str) -> Result<bool> {
        let _ = name;
        todo_impl()
    }

    // ---- notifications ---------------------------------------------------

    /// Queue a notification unless one with the same key exists; the id of
    /// the new row, or `None` when it was already queued (or sent).
    pub fn enqueue_notification(&self, n: &NewNotification<'_>) -> Result<Option<i64>> {
        let _ = n;
        todo_impl()
    }

    /// Pending notifications whose next attempt is due at `now`.
    pub fn due_notifications(&self, now: Ts, limit: u32) -> Result<Vec<NotificationRow>> {
        let _ = (now, limit);
        todo_impl()
    }

    /// Record the outcome of one delivery attempt.
    pub fn record_delivery(&self, id: i64, outcome: &Delivery) -> Result<()> {
        let _ = (id, outcome);
        todo_impl()
    }

    /// Notifications, newest first, optionally of one campaign or organisation.
    pub fn notifications(&self, q: &NotificationQuery) -> Result<Vec<NotificationRow>> {
        let _ = q;
        todo_impl()
    }
}
