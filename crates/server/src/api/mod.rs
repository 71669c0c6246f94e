//! The JSON API under `/api/v1`.

pub(crate) mod query;

use crate::auth::require;
use crate::blocking::call;
use crate::{ApiError, AppState, MAX_BODY_BYTES};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use haboob_model::{Alert, Evidence};
use haboob_store::{
    Action, AuditEntry, AuditQuery, CampaignDetail, CampaignRow, CampaignState, NotificationQuery,
    NotificationRow, OrganisationDetail, OrganisationRow, Page, Principal, Role,
};
use query::Params;

/// Every API route as `(method, path)`, paths relative to `/api/v1` in
/// OpenAPI's template syntax. The router below and the OpenAPI document
/// are checked against this list by the tests.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/campaigns"),
    ("GET", "/campaigns/{id}"),
    ("POST", "/campaigns/{id}/actions"),
    ("GET", "/alerts"),
    ("GET", "/alerts/{id}"),
    ("GET", "/alerts/{id}/evidence"),
    ("GET", "/organisations"),
    ("GET", "/organisations/{name}"),
    ("GET", "/audit"),
    ("GET", "/notifications"),
    ("GET", "/openapi.json"),
];

/// Longest id or name accepted in a path.
const MAX_ID: usize = 256;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(campaigns))
        .route("/campaigns/{id}", get(campaign))
        .route("/campaigns/{id}/actions", post(campaign_action))
        .route("/alerts", get(alerts))
        .route("/alerts/{id}", get(alert))
        .route("/alerts/{id}/evidence", get(evidence))
        .route("/organisations", get(organisations))
        .route("/organisations/{name}", get(organisation))
        .route("/audit", get(audit))
        .route("/notifications", get(notifications))
        .route("/openapi.json", get(openapi))
}

/// A path segment, bounded.
pub(crate) fn path_id(name: &str, v: String) -> Result<String, ApiError> {
    if v.is_empty() || v.len() > MAX_ID {
        return Err(ApiError::param(
            name,
            format!("must be 1 to {MAX_ID} bytes"),
        ));
    }
    Ok(v)
}

async fn campaigns(
    State(s): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Page<CampaignRow>>, ApiError> {
    let p = Params::parse(raw.as_deref(), query::CAMPAIGN_PARAMS)?;
    let q = query::campaign_query(&p)?;
    Ok(Json(call(&s.store, move |b| b.campaigns(&q)).await?))
}

async fn campaign(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CampaignDetail>, ApiError> {
    let id = path_id("id", id)?;
    let key = id.clone();
    call(&s.store, move |b| b.campaign(&key))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("campaign {}", crate::text::clean(&id, 80))))
}

/// Read a request body up to [`MAX_BODY_BYTES`].
pub(crate) async fn body_bytes(body: Body) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::TooLarge(MAX_BODY_BYTES))
}

async fn campaign_action(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<CampaignState>, ApiError> {
    require(&who, Role::Analyst)?;
    let id = path_id("id", id)?;
    let bytes = body_bytes(body).await?;
    let action: Action = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadBody(crate::text::clean(&e.to_string(), 300)))?;
    Ok(Json(act(&s, who, id, action).await?))
}

/// Apply an analyst action (API and console).
pub(crate) async fn act(
    s: &AppState,
    who: Principal,
    id: String,
    action: Action,
) -> Result<CampaignState, ApiError> {
    if let Action::Note { text } = &action {
        if text.trim().is_empty() {
            return Err(ApiError::param("text", "empty note"));
        }
    }
    if let Action::Assign {
        assignee: Some(a), ..
    } = &action
    {
        if a.len() > MAX_ID {
            return Err(ApiError::param(
                "assignee",
                format!("longer than {MAX_ID} bytes"),
            ));
        }
    }
    tracing::info!(actor = %who.name, campaign = %crate::text::clean(&id, 80), "Analyst action.");
    call(&s.store, move |b| b.act(&who, &id, &action)).await
}

async fn alerts(
    State(s): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Page<Alert>>, ApiError> {
    let p = Params::parse(raw.as_deref(), query::ALERT_PARAMS)?;
    let q = query::alert_query(&p)?;
    Ok(Json(call(&s.store, move |b| b.alerts(&q)).await?))
}

async fn alert(State(s): State<AppState>, Path(id): Path<String>) -> Result<Json<Alert>, ApiError> {
    let id = path_id("id", id)?;
    let key = id.clone();
    call(&s.store, move |b| b.alert(&key))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("alert {}", crate::text::clean(&id, 80))))
}

async fn evidence(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Evidence>>, ApiError> {
    let id = path_id("id", id)?;
    let key = id.clone();
    let ev = call(&s.store, move |b| {
        let ev = b.evidence(&key)?;
        if ev.is_empty() && b.alert(&key)?.is_none() {
            return Ok(None);
        }
        Ok(Some(ev))
    })
    .await?;
    ev.map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("alert {}", crate::text::clean(&id, 80))))
}

async fn organisations(
    State(s): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<OrganisationRow>>, ApiError> {
    Params::parse(raw.as_deref(), &[])?;
    Ok(Json(call(&s.store, |b| b.organisations()).await?))
}

async fn organisation(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<OrganisationDetail>, ApiError> {
    let name = path_id("name", name)?;
    let key = name.clone();
    call(&s.store, move |b| b.organisation(&key))
        .await?
        .map(Json)
        .ok_or_else(|| {
            ApiError::NotFound(format!("organisation {}", crate::text::clean(&name, 80)))
        })
}

async fn audit(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    require(&who, Role::Admin)?;
    let p = Params::parse(raw.as_deref(), &["campaign", "actor", "limit"])?;
    let q = AuditQuery {
        campaign: p.str("campaign").map(str::to_string),
        actor: p.str("actor").map(str::to_string),
        limit: p.limit()?,
    };
    Ok(Json(call(&s.store, move |b| b.audit(&q)).await?))
}

async fn notifications(
    State(s): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<NotificationRow>>, ApiError> {
    let p = Params::parse(
        raw.as_deref(),
        &["campaign", "organisation", "state", "limit"],
    )?;
    let q = NotificationQuery {
        campaign: p.str("campaign").map(str::to_string),
        organisation: p.str("organisation").map(str::to_string),
        state: p.notification_state("state")?,
        limit: p.limit()?,
    };
    Ok(Json(call(&s.store, move |b| b.notifications(&q)).await?))
}

async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}
