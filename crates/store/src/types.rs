//! The values the store takes and gives.

use haboob_model::{Alert, Alerts, Campaign, Contact, Funnel, Severity, Target, TargetSector, Ts};
use serde::{Deserialize, Serialize};

/// One hunt's results, saved in one transaction by [`crate::Store::save_hunt`].
#[derive(Debug, Clone, Copy)]
pub struct HuntWrite<'a> {
    /// When the hunt ran (wall clock).
    pub ran_at: Ts,
    /// Alerts to upsert by id (the newest content wins; evidence replaced).
    pub alerts: &'a Alerts,
    /// Alert ids to delete (provisional alerts of an earlier run that this
    /// run no longer produces).
    pub retract_alerts: &'a [String],
    /// Campaigns to upsert by id. A campaign whose stored content changed
    /// gets its revision bumped (notifications key on revisions).
    pub campaigns: &'a [Campaign],
    /// When true, `campaigns` is the whole current set: a stored campaign
    /// not in it is marked superseded by the new campaign sharing most of
    /// its alerts, and its analyst state (status, assignee, notes) carries
    /// over to that campaign.
    pub campaigns_complete: bool,
    /// Targets known from `targets.toml` (organisation, sector, region).
    pub targets: &'a [Target],
    /// Notification contacts per organisation, from `targets.toml`.
    pub contacts: &'a [Contact],
    /// Checkpoints to save: `(key, blob)`, e.g. read positions and detector
    /// state for incremental hunting.
    pub checkpoints: &'a [(&'a str, &'a [u8])],
}

/// What [`crate::Store::save_hunt`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveSummary {
    /// Alerts new to the store.
    pub alerts_new: u64,
    /// Stored alerts whose content changed.
    pub alerts_updated: u64,
    /// Campaigns new to the store.
    pub campaigns_new: u64,
    /// Stored campaigns whose content changed (revision bumped).
    pub campaigns_updated: u64,
}

/// Analyst workflow status of a campaign.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not looked at yet.
    #[default]
    New,
    /// An analyst looked and confirmed or is working it.
    Triaged,
    /// The targeted organisations were told.
    Notified,
    /// Done.
    Closed,
}

impl Status {
    /// Lower-case name, as stored and serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Triaged => "triaged",
            Status::Notified => "notified",
            Status::Closed => "closed",
        }
    }

    /// Whether the workflow allows moving from `self` to `to`:
    /// `new → triaged → notified → closed`, and `closed → triaged` to reopen.
    pub fn can_go_to(self, to: Status) -> bool {
        matches!(
            (self, to),
            (Status::New, Status::Triaged)
                | (Status::Triaged, Status::Notified)
                | (Status::Notified, Status::Closed)
                | (Status::Closed, Status::Triaged)
        )
    }
}

/// Role of a token holder; each includes the rights of the ones before.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything.
    #[default]
    Viewer,
    /// Also changes status, assignee and notes.
    Analyst,
    /// Also manages tokens and notifications.
    Admin,
}

impl Role {
    /// Lower-case name, as stored and serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
}

/// An authenticated token holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Token name (who it was given to).
    pub name: String,
    /// Role.
    pub role: Role,
}

/// A token just created: the secret is shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    /// Token name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The secret to hand over; the store keeps only its hash.
    pub secret: String,
}

/// A stored token (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Token name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Created.
    pub created_at: Ts,
    /// Last verified.
    pub last_used: Option<Ts>,
    /// Revoked tokens verify as nobody.
    pub revoked: bool,
}

/// An analyst action on a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Move along the workflow.
    SetStatus {
        /// The new status.
        status: Status,
    },
    /// Assign to someone (`None` unassigns).
    Assign {
        /// Assignee name.
        assignee: Option<String>,
    },
    /// Add a note.
    Note {
        /// Text (bounded by the store to 8 KiB).
        text: String,
    },
}

/// Token administration, as the audit trail records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum TokenAction {
    /// A token was created.
    CreateToken {
        /// Its name.
        name: String,
        /// Its role.
        role: Role,
    },
    /// A token was revoked.
    RevokeToken {
        /// Its name.
        name: String,
    },
}

/// What an audit entry records: an analyst action on a campaign, or token
/// administration (with an empty campaign). Serialised as the action itself
/// (`{"action": "note", …}`, `{"action": "create_token", …}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audited {
    /// On a campaign.
    Campaign(Action),
    /// On tokens.
    Token(TokenAction),
}

/// Analyst state of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CampaignState {
    /// Workflow status.
    pub status: Status,
    /// Assignee.
    pub assignee: Option<String>,
    /// Content revision (1 when first stored; +1 each time a hunt changes it).
    pub revision: i64,
    /// Last change by a hunt or an analyst.
    pub updated_at: Ts,
    /// The campaign that absorbed this one, when it was regrouped.
    pub superseded_by: Option<String>,
}

/// A note on a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// Who wrote it (token name).
    pub author: String,
    /// When.
    pub at: Ts,
    /// Text.
    pub text: String,
}

/// Filters for [`crate::Store::campaigns`]. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignQuery {
    /// At least this severity.
    pub min_severity: Option<Severity>,
    /// Touching a target of this sector.
    pub sector: Option<TargetSector>,
    /// Touching this organisation.
    pub organisation: Option<String>,
    /// Naming this tool (exactly, as [`haboob_model::Campaign::tools`]
    /// lists it).
    pub tool: Option<String>,
    /// In this status.
    pub status: Option<Status>,
    /// Active at or after (last_seen ≥ since).
    pub since: Option<Ts>,
    /// Active at or before (first_seen ≤ until).
    pub until: Option<Ts>,
    /// Include superseded campaigns (default: no).
    pub include_superseded: bool,
    /// Page size (the store caps it at 500; 0 means 50).
    pub limit: u32,
    /// Rows to skip.
    pub offset: u64,
}

/// A page of results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Rows matching the filter in all.
    pub total: u64,
    /// Offset of the next page, if any.
    pub next_offset: Option<u64>,
}

/// One campaign in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignRow {
    /// Campaign id.
    pub id: String,
    /// Summary line.
    pub summary: String,
    /// Highest severity.
    pub severity: Severity,
    /// Analyst state.
    pub state: CampaignState,
    /// Number of source addresses.
    pub sources: u64,
    /// Target names.
    pub targets: Vec<String>,
    /// Organisations of the targets.
    pub organisations: Vec<String>,
    /// Number of alerts.
    pub alerts: u64,
    /// Account funnel, for sign-in campaigns.
    pub funnel: Option<Funnel>,
    /// First activity.
    pub first_seen: Ts,
    /// Last activity.
    pub last_seen: Ts,
}

/// One campaign in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignDetail {
    /// The campaign as the hunt built it (funnel, sources, targets, reasons).
    pub campaign: Campaign,
    /// Analyst state.
    pub state: CampaignState,
    /// Its alerts (evidence included), by first_seen.
    pub alerts: Vec<Alert>,
    /// Notes, oldest first.
    pub notes: Vec<Note>,
    /// Notifications about it, newest first.
    pub notifications: Vec<NotificationRow>,
}

/// Filters for [`crate::Store::alerts`]. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertQuery {
    /// Member of this campaign.
    pub campaign: Option<String>,
    /// From this detector (e.g. `web.scan`).
    pub detector: Option<String>,
    /// At least this severity.
    pub min_severity: Option<Severity>,
    /// Source address or prefix text, exact.
    pub source: Option<String>,
    /// Target name, exact.
    pub target: Option<String>,
    /// Account name, exact.
    pub user: Option<String>,
    /// last_seen ≥ since.
    pub since: Option<Ts>,
    /// first_seen ≤ until.
    pub until: Option<Ts>,
    /// Page size (capped at 500; 0 means 50).
    pub limit: u32,
    /// Rows to skip.
    pub offset: u64,
}

/// How far an account got in the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStage {
    /// Confirmed to exist.
    Identified,
    /// Received password attempts.
    Attacked,
    /// Taken over.
    Compromised,
}

/// An account of an organisation seen in alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    /// Account name.
    pub user: String,
    /// Furthest stage reached.
    pub stage: AccountStage,
    /// Campaigns it appears in.
    pub campaigns: Vec<String>,
}

/// One organisation in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationRow {
    /// Name.
    pub name: String,
    /// Sector.
    pub sector: TargetSector,
    /// Region.
    pub region: Option<String>,
    /// Its targets (sites, tenants).
    pub targets: Vec<String>,
    /// Campaigns touching it (not superseded).
    pub campaigns: u64,
    /// Highest severity of those.
    pub max_severity: Option<Severity>,
    /// Accounts taken over.
    pub compromised: u64,
}

/// One organisation in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganisationDetail {
    /// The list row.
    pub row: OrganisationRow,
    /// Campaigns touching it, most severe first.
    pub campaigns: Vec<CampaignRow>,
    /// Accounts seen, furthest stage first.
    pub accounts: Vec<AccountRow>,
    /// Notification contacts.
    pub contacts: Vec<Contact>,
    /// Notifications to it, newest first.
    pub notifications: Vec<NotificationRow>,
}

/// Filters for [`crate::Store::audit`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Of this campaign.
    pub campaign: Option<String>,
    /// By this token name.
    pub actor: Option<String>,
    /// At most this many (0 means 100).
    pub limit: u32,
}

/// One analyst action, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When.
    pub at: Ts,
    /// Token name.
    pub actor: String,
    /// Role at the time.
    pub role: Role,
    /// Campaign (empty for token administration).
    pub campaign: String,
    /// The action.
    pub action: Audited,
}

/// A notification to queue.
#[derive(Debug, Clone, Copy)]
pub struct NewNotification<'a> {
    /// Campaign it is about.
    pub campaign_id: &'a str,
    /// Campaign revision it describes (one notification per change).
    pub revision: i64,
    /// Organisation told.
    pub organisation: &'a str,
    /// Channel (`email`, `slack`, `teams`, `webhook`).
    pub channel: &'a str,
    /// Recipient address or URL.
    pub address: &'a str,
    /// Subject line.
    pub subject: &'a str,
    /// Rendered body (bounded by the store to 256 KiB).
    pub body: &'a str,
    /// Due from.
    pub due_at: Ts,
}

/// Delivery state of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationState {
    /// Waiting for its next attempt.
    Pending,
    /// Delivered.
    Sent,
    /// Gave up after the last retry.
    Failed,
}

/// A stored notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRow {
    /// Row id.
    pub id: i64,
    /// Campaign.
    pub campaign_id: String,
    /// Revision described.
    pub revision: i64,
    /// Organisation.
    pub organisation: String,
    /// Channel.
    pub channel: String,
    /// Address.
    pub address: String,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
    /// State.
    pub state: NotificationState,
    /// Attempts so far.
    pub attempts: u32,
    /// Next attempt (pending only).
    pub next_attempt_at: Ts,
    /// Last error, if an attempt failed.
    pub last_error: Option<String>,
    /// When delivered.
    pub sent_at: Option<Ts>,
}

/// Outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    /// Delivered at this time.
    Sent {
        /// When.
        at: Ts,
    },
    /// Failed; retry at `retry_at`, or give up when `None`.
    Failed {
        /// When it failed.
        at: Ts,
        /// Why (bounded by the store to 2 KiB).
        error: String,
        /// Next attempt.
        retry_at: Option<Ts>,
    },
}

/// Filters for [`crate::Store::notifications`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationQuery {
    /// About this campaign.
    pub campaign: Option<String>,
    /// To this organisation.
    pub organisation: Option<String>,
    /// In this state.
    pub state: Option<NotificationState>,
    /// At most this many (0 means 100).
    pub limit: u32,
}

/// Indicators from one intel source, saved by [`crate::Store::save_indicators`].
#[derive(Debug, Clone, Copy)]
pub struct IntelWrite<'a> {
    /// Indicators to upsert by id (the newest content wins).
    pub indicators: &'a [haboob_model::intel::Indicator],
    /// The source they came from (a feed, collection, file).
    pub source: &'a str,
    /// The source's new pull cursor (TAXII `added_after`), if any; `None`
    /// keeps the stored one.
    pub cursor: Option<&'a str>,
}

/// What [`crate::Store::save_indicators`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntelSaved {
    /// Indicators not stored before.
    pub added: u64,
    /// Stored indicators whose content changed.
    pub updated: u64,
    /// Stored indicators saved again unchanged.
    pub unchanged: u64,
}

/// One save of indicators ([`crate::Store::import_indicators`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntelImport {
    /// What changed.
    pub saved: IntelSaved,
    /// The import's number: the indicators it added or changed carry it
    /// (see [`IndicatorQuery::import_after`]). Numbers grow by one per save.
    pub import: i64,
}

/// Where a page of [`crate::Store::alerts_after`] ends: the next page
/// starts after this alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertCursor {
    /// The last alert's first_seen.
    pub first_seen: Ts,
    /// The last alert's id.
    pub id: String,
}

/// Which stored indicators to read.
#[derive(Debug, Clone, Default)]
pub struct IndicatorQuery {
    /// Only this source.
    pub source: Option<String>,
    /// Only indicators valid at this time (not expired, already valid).
    pub valid_at: Option<Ts>,
    /// Only indicators first imported at or after this time.
    pub imported_since: Option<Ts>,
    /// Only indicators added or changed by an import numbered above this
    /// ([`IntelImport::import`]; retro-hunting: new since a cursor).
    pub import_after: Option<i64>,
    /// Only indicators whose last adding or changing import is numbered at
    /// most this.
    pub import_through: Option<i64>,
}

/// One intel source as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntelSourceRow {
    /// Source name.
    pub source: String,
    /// Indicators stored from it.
    pub indicators: u64,
    /// Last save from it (wall clock).
    pub last_imported: Ts,
    /// Its pull cursor, if any.
    pub cursor: Option<String>,
}
