//! What the server needs from a store.

use haboob_model::{Alert, Evidence};
use haboob_store::{
    Action, AlertQuery, AuditEntry, AuditQuery, CampaignDetail, CampaignQuery, CampaignRow,
    CampaignState, NotificationQuery, NotificationRow, OrganisationDetail, OrganisationRow, Page,
    Principal, Result, Store,
};

/// The store operations the API and console call (all synchronous; the
/// server runs them on the blocking pool). [`Store`] implements it; see
/// there for what each returns.
pub trait Backend: Send + Sync + 'static {
    /// [`Store::campaigns`].
    fn campaigns(&self, q: &CampaignQuery) -> Result<Page<CampaignRow>>;
    /// [`Store::campaign`].
    fn campaign(&self, id: &str) -> Result<Option<CampaignDetail>>;
    /// [`Store::alerts`].
    fn alerts(&self, q: &AlertQuery) -> Result<Page<Alert>>;
    /// [`Store::alert`].
    fn alert(&self, id: &str) -> Result<Option<Alert>>;
    /// [`Store::evidence`].
    fn evidence(&self, alert_id: &str) -> Result<Vec<Evidence>>;
    /// [`Store::organisations`].
    fn organisations(&self) -> Result<Vec<OrganisationRow>>;
    /// [`Store::organisation`].
    fn organisation(&self, name: &str) -> Result<Option<OrganisationDetail>>;
    /// [`Store::act`].
    fn act(&self, who: &Principal, campaign_id: &str, action: &Action) -> Result<CampaignState>;
    /// [`Store::audit`].
    fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>>;
    /// [`Store::verify_token`].
    fn verify_token(&self, secret: &str) -> Result<Option<Principal>>;
    /// [`Store::notifications`].
    fn notifications(&self, q: &NotificationQuery) -> Result<Vec<NotificationRow>>;
}

impl Backend for Store {
    fn campaigns(&self, q: &CampaignQuery) -> Result<Page<CampaignRow>> {
        Store::campaigns(self, q)
    }
    fn campaign(&self, id: &str) -> Result<Option<CampaignDetail>> {
        Store::campaign(self, id)
    }
    fn alerts(&self, q: &AlertQuery) -> Result<Page<Alert>> {
        Store::alerts(self, q)
    }
    fn alert(&self, id: &str) -> Result<Option<Alert>> {
        Store::alert(self, id)
    }
    fn evidence(&self, alert_id: &str) -> Result<Vec<Evidence>> {
        Store::evidence(self, alert_id)
    }
    fn organisations(&self) -> Result<Vec<OrganisationRow>> {
        Store::organisations(self)
    }
    fn organisation(&self, name: &str) -> Result<Option<OrganisationDetail>> {
        Store::organisation(self, name)
    }
    fn act(&self, who: &Principal, campaign_id: &str, action: &Action) -> Result<CampaignState> {
        Store::act(self, who, campaign_id, action)
    }
    fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        Store::audit(self, q)
    }
    fn verify_token(&self, secret: &str) -> Result<Option<Principal>> {
        Store::verify_token(self, secret)
    }
    fn notifications(&self, q: &NotificationQuery) -> Result<Vec<NotificationRow>> {
        Store::notifications(self, q)
    }
}

/// Run a store call on the blocking pool.
pub(crate) async fn call<T, F>(
    backend: &std::sync::Arc<dyn Backend>,
    f: F,
) -> std::result::Result<T, crate::ApiError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Backend) -> Result<T> + Send + 'static,
{
    let b = backend.clone();
    match tokio::task::spawn_blocking(move || f(b.as_ref())).await {
        Ok(r) => r.map_err(crate::ApiError::from),
        Err(e) => {
            tracing::error!(error = %e, "Store call panicked or was cancelled.");
            Err(crate::ApiError::Internal)
        }
    }
}
