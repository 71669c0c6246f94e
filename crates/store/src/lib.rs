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

mod analyst;
mod codec;
mod db;
mod error;
mod intel;
mod migrate;
mod notify;
mod org_summary;
mod orgs;
mod pool;
mod postgres;
mod read;
mod retro;
mod save;
mod save_alerts;
mod sqlite;
#[cfg(feature = "test-support")]
pub mod testing;
mod tokens;
mod types;
mod url;

pub use codec::{MAX_BODY_BYTES, MAX_ERROR_BYTES, MAX_NAME_BYTES, MAX_NOTE_BYTES, MAX_TEXT_BYTES};
pub use error::StoreError;
pub use tokens::SECRET_PREFIX;
pub use types::*;
pub use url::{default_sqlite_path, redact_url};

use db::{Dialect, Tx};
use haboob_model::{Alert, Evidence, Ts};

/// Result of a store operation.
pub type Result<T> = std::result::Result<T, StoreError>;

/// Connections kept open per store.
const POOL_SIZE: usize = 8;

/// An open store (a pool of connections to one database).
pub struct Store {
    url: String,
    dialect: Dialect,
    pool: pool::Pool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("url", &self.url).finish()
    }
}

/// The wall clock as a [`Ts`].
pub(crate) fn now() -> Ts {
    Ts::now()
}

/// Start a write transaction (SQLite takes the write lock at once, so two
/// writers queue on the busy timeout instead of failing to upgrade).
pub(crate) fn begin_write(tx: &mut Tx<'_>, op: &str) -> Result<()> {
    match tx.dialect() {
        Dialect::Sqlite => tx.batch(op, "BEGIN IMMEDIATE"),
        Dialect::Postgres => tx.batch(op, "BEGIN"),
    }
}

/// Commit when `r` is Ok, roll back otherwise (also when the commit fails).
pub(crate) fn finish<T>(tx: &mut Tx<'_>, op: &str, r: Result<T>) -> Result<T> {
    let r = r.and_then(|v| tx.batch(op, "COMMIT").map(|()| v));
    if r.is_err() {
        if let Err(e) = tx.conn.batch("ROLLBACK") {
            tracing::debug!(op, error = %e, "rollback after a failed store operation");
        }
    }
    r
}

impl Store {
    /// Open (creating if needed) and migrate to the latest schema.
    /// `url`: `sqlite:PATH`, a plain path (SQLite), or `postgres://…`.
    pub fn open(url: &str) -> Result<Store> {
        let (dialect, pool) = match url::parse(url)? {
            url::Location::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| StoreError::Database {
                        url: redact_url(url),
                        op: format!("create folder {}", dir.display()),
                        message: e.to_string(),
                    })?;
                }
                let open = move || {
                    sqlite::SqliteConn::open(&path).map(|c| Box::new(c) as Box<dyn db::Conn>)
                };
                (Dialect::Sqlite, pool::Pool::new(POOL_SIZE, Box::new(open)))
            }
            url::Location::Postgres(conn_url) => {
                let open = move || {
                    postgres::PgConn::open(&conn_url).map(|c| Box::new(c) as Box<dyn db::Conn>)
                };
                (
                    Dialect::Postgres,
                    pool::Pool::new(POOL_SIZE, Box::new(open)),
                )
            }
        };
        let store = Store {
            url: redact_url(url),
            dialect,
            pool,
        };
        let mut lease = store.lease("open")?;
        migrate::migrate(lease.conn(), &store.url)?;
        drop(lease);
        Ok(store)
    }

    fn lease(&self, op: &str) -> Result<pool::Lease<'_>> {
        self.pool.get().map_err(|message| StoreError::Database {
            url: self.url.clone(),
            op: format!("{op}: connect"),
            message,
        })
    }

    /// Run `f` in a write transaction.
    fn write<T>(&self, op: &str, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let mut lease = self.lease(op)?;
        let mut tx = Tx {
            conn: lease.conn(),
            url: &self.url,
        };
        begin_write(&mut tx, op)?;
        let r = f(&mut tx);
        finish(&mut tx, op, r)
    }

    /// Run `f` in a read transaction (one consistent snapshot).
    fn read<T>(&self, op: &str, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let mut lease = self.lease(op)?;
        let mut tx = Tx {
            conn: lease.conn(),
            url: &self.url,
        };
        tx.batch(op, "BEGIN")?;
        let r = f(&mut tx);
        finish(&mut tx, op, r)
    }

    /// The URL the store was opened with, password removed.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this store is PostgreSQL (else SQLite).
    pub fn is_postgres(&self) -> bool {
        self.dialect == Dialect::Postgres
    }

    /// Schema version after migration (the number of the last migration).
    pub fn schema_version(&self) -> Result<u32> {
        self.read("schema_version", migrate::version)
    }

    // ---- hunt side -------------------------------------------------------

    /// Save one hunt's results in one transaction (see [`HuntWrite`]).
    pub fn save_hunt(&self, w: &HuntWrite<'_>) -> Result<SaveSummary> {
        self.write("save_hunt", |tx| save::save_hunt(tx, w))
    }

    /// The checkpoint blob saved under `key` by an earlier [`Store::save_hunt`].
    pub fn checkpoint(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.read("checkpoint", |tx| save::checkpoint(tx, key))
    }

    /// Every stored alert with its evidence (for regrouping campaigns after
    /// an incremental hunt), by first_seen then id.
    pub fn all_alerts(&self) -> Result<Vec<Alert>> {
        self.read("all_alerts", read::all_alerts)
    }

    // ---- threat intelligence ---------------------------------------------

    /// Save indicators from one source (upsert by id) and its cursor, in
    /// one transaction.
    pub fn save_indicators(&self, w: &IntelWrite<'_>) -> Result<IntelSaved> {
        self.import_indicators(w).map(|i| i.saved)
    }

    /// [`Store::save_indicators`], with the number of the import: the
    /// indicators it added or changed carry it (unchanged ones keep theirs).
    pub fn import_indicators(&self, w: &IntelWrite<'_>) -> Result<IntelImport> {
        self.write("save_indicators", |tx| intel::save(tx, w))
    }

    /// The number of the last import of indicators (0 when none).
    pub fn last_import(&self) -> Result<i64> {
        self.read("last_import", intel::last_import)
    }

    /// Stored indicators matching `q`, by id.
    pub fn indicators(&self, q: &IndicatorQuery) -> Result<Vec<haboob_model::intel::Indicator>> {
        self.read("indicators", |tx| intel::indicators(tx, q))
    }

    /// The pull cursor saved for `source`.
    pub fn intel_cursor(&self, source: &str) -> Result<Option<String>> {
        self.read("intel_cursor", |tx| intel::cursor(tx, source))
    }

    /// Every intel source with its indicator count, by name.
    pub fn intel_sources(&self) -> Result<Vec<IntelSourceRow>> {
        self.read("intel_sources", intel::sources)
    }

    // ---- retro-hunting ---------------------------------------------------

    /// One page of every stored alert (evidence included) in (first_seen,
    /// id) order after `after`, and the cursor of the next page (`None` at
    /// the end). Pages are at most 500 alerts (0 means 50).
    pub fn alerts_after(
        &self,
        after: Option<&AlertCursor>,
        limit: u32,
    ) -> Result<(Vec<Alert>, Option<AlertCursor>)> {
        self.read("alerts_after", |tx| retro::alerts_after(tx, after, limit))
    }

    /// `(alert id, campaign id)` for each of `ids` in a live (not
    /// superseded) campaign, by alert then campaign.
    pub fn live_campaigns_of(&self, ids: &[String]) -> Result<Vec<(String, String)>> {
        self.read("live_campaigns_of", |tx| retro::live_campaigns_of(tx, ids))
    }

    /// Which of `ids` are stored alerts.
    pub fn stored_alert_ids(&self, ids: &[String]) -> Result<std::collections::BTreeSet<String>> {
        self.read("stored_alert_ids", |tx| retro::stored_alert_ids(tx, ids))
    }

    // ---- read side (API, console, notify) --------------------------------

    /// A filtered page of campaigns, most severe then most recent first.
    pub fn campaigns(&self, q: &CampaignQuery) -> Result<Page<CampaignRow>> {
        self.read("campaigns", |tx| read::campaigns(tx, q))
    }

    /// One campaign with its state, alerts, notes and notifications.
    pub fn campaign(&self, id: &str) -> Result<Option<CampaignDetail>> {
        self.read("campaign", |tx| read::campaign(tx, id))
    }

    /// A filtered page of alerts (without evidence), by first_seen.
    pub fn alerts(&self, q: &AlertQuery) -> Result<Page<Alert>> {
        self.read("alerts", |tx| read::alerts(tx, q))
    }

    /// One alert with its evidence.
    pub fn alert(&self, id: &str) -> Result<Option<Alert>> {
        self.read("alert", |tx| read::alert(tx, id))
    }

    /// The evidence lines of one alert, in stored order.
    pub fn evidence(&self, alert_id: &str) -> Result<Vec<Evidence>> {
        self.read("evidence", |tx| read::evidence(tx, alert_id))
    }

    /// Every organisation seen in a campaign or declared in targets.
    pub fn organisations(&self) -> Result<Vec<OrganisationRow>> {
        self.read("organisations", orgs::organisations)
    }

    /// One organisation: its campaigns, accounts and notifications.
    pub fn organisation(&self, name: &str) -> Result<Option<OrganisationDetail>> {
        self.read("organisation", |tx| orgs::organisation(tx, name))
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
        self.write("act", |tx| analyst::act(tx, who, campaign_id, action))
    }

    /// The audit trail, newest first.
    pub fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        self.read("audit", |tx| analyst::audit(tx, q))
    }

    // ---- tokens ----------------------------------------------------------

    /// Create a token; the secret is returned once and stored hashed. The
    /// audit trail records `by` (who ran the command) as an admin action.
    pub fn create_token(&self, name: &str, role: Role, by: &str) -> Result<NewToken> {
        self.write("create_token", |tx| tokens::create(tx, name, role, by))
    }

    /// Who holds this secret, if it is a live token (updates last use).
    pub fn verify_token(&self, secret: &str) -> Result<Option<Principal>> {
        tokens::verify(self, secret)
    }

    /// Every token (never the secrets).
    pub fn tokens(&self) -> Result<Vec<TokenInfo>> {
        self.read("tokens", tokens::list)
    }

    /// Revoke a token by name; false when there is no live one. The audit
    /// trail records `by` as an admin action.
    pub fn revoke_token(&self, name: &str, by: &str) -> Result<bool> {
        self.write("revoke_token", |tx| tokens::revoke(tx, name, by))
    }

    // ---- notifications ---------------------------------------------------

    /// Queue a notification unless one with the same key exists; the id of
    /// the new row, or `None` when it was already queued (or sent).
    pub fn enqueue_notification(&self, n: &NewNotification<'_>) -> Result<Option<i64>> {
        self.write("enqueue_notification", |tx| notify::enqueue(tx, n))
    }

    /// Pending notifications whose next attempt is due at `now`.
    pub fn due_notifications(&self, now: Ts, limit: u32) -> Result<Vec<NotificationRow>> {
        self.read("due_notifications", |tx| notify::due(tx, now, limit))
    }

    /// Record the outcome of one delivery attempt.
    pub fn record_delivery(&self, id: i64, outcome: &Delivery) -> Result<()> {
        self.write("record_delivery", |tx| notify::record(tx, id, outcome))
    }

    /// Notifications, newest first, optionally of one campaign or organisation.
    pub fn notifications(&self, q: &NotificationQuery) -> Result<Vec<NotificationRow>> {
        self.read("notifications", |tx| notify::list(tx, q))
    }
}
