//! Test helpers: an in-memory [`Backend`] with hostile data, request
//! helpers over `oneshot`.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use haboob_model::{
    Alert, AlertSource, Campaign, Contact, Evidence, Funnel, Severity, Target, TargetSector, Ts,
};
use haboob_server::{Backend, ServerConfig};
use haboob_store::{
    AccountRow, AccountStage, Action, AlertQuery, AuditEntry, AuditQuery, Audited, CampaignDetail,
    CampaignQuery, CampaignRow, CampaignState, NotificationQuery, NotificationRow,
    OrganisationDetail, OrganisationRow, Page, Principal, Result, Role, Status, StoreError,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

pub const SCRIPT: &str = "<script>alert(1)</script>";
pub const IMG: &str = "\"><img src=x onerror=alert(1)>";
pub const TERM: &str = "\x1b[31mred\x1b]0;owned\x07";

pub const VIEWER: &str = "viewer-secret";
pub const ANALYST: &str = "analyst-secret";
pub const ADMIN: &str = "admin-secret";

/// An in-memory store: one hostile campaign `c1` and a benign `c2`.
pub struct MemBackend {
    tokens: HashMap<&'static str, Principal>,
    details: Mutex<Vec<CampaignDetail>>,
    audit: Mutex<Vec<AuditEntry>>,
}

fn ts(s: &str) -> Ts {
    Ts::parse_rfc3339(s).expect("test time")
}

pub fn hostile_alert() -> Alert {
    Alert {
        id: "a1".into(),
        detector: "auth.spray".into(),
        title: format!("spray by {SCRIPT}"),
        techniques: vec!["T1110.003".into()],
        severity: Severity::Critical,
        source: AlertSource {
            ip: Some("203.0.113.7".parse().expect("ip")),
            prefix: None,
            members: vec![],
        },
        target: format!("tenant{IMG}"),
        user: Some(SCRIPT.into()),
        first_seen: ts("2024-05-01T10:00:00Z"),
        last_seen: ts("2024-05-02T11:00:00Z"),
        count: 42,
        details: BTreeMap::from([("user_agent".to_string(), serde_json::json!(TERM))]),
        evidence: vec![Evidence {
            file: "access.log".into(),
            line: 7,
            raw: format!("203.0.113.7 - - [01/May/2024:10:00:00 +0000] \"GET /{IMG} HTTP/1.1\" 404 0 \"-\" \"{TERM}{SCRIPT}\""),
        }],
    }
}

fn campaign(
    id: &str,
    summary: &str,
    sev: Severity,
    org: &str,
    alerts: Vec<Alert>,
) -> CampaignDetail {
    let funnel = Funnel {
        attempts: 900,
        probed: 120,
        identified: 80,
        attacked: 30,
        compromised: 2,
    };
    CampaignDetail {
        campaign: Campaign {
            id: id.into(),
            summary: summary.into(),
            severity: sev,
            sources: vec!["203.0.113.7".parse().expect("ip")],
            targets: vec![Target {
                name: format!("site-{id}"),
                organisation: Some(org.into()),
                sector: TargetSector::Election,
                region: Some("OH".into()),
            }],
            alerts: alerts.iter().map(|a| a.id.clone()).collect(),
            detectors: vec!["auth.spray".into()],
            techniques: vec!["T1110.003".into()],
            reasons: vec![format!("same source {SCRIPT}")],
            first_seen: ts("2024-05-01T10:00:00Z"),
            last_seen: ts("2024-05-02T11:00:00Z"),
            funnel: Some(funnel),
            funnel_by_target: BTreeMap::from([(org.to_string(), funnel)]),
            compromised: vec![SCRIPT.into(), "alice".into()],
            actors: vec![],
            attribution: if id == "c1" {
                vec![haboob_model::intel::Attribution {
                    actor: format!("Mint Sandstorm {SCRIPT}"),
                    aliases: vec!["APT35".into(), SCRIPT.into()],
                    confidence: 72,
                    reasons: vec![haboob_model::intel::AttributionReason {
                        kind: haboob_model::intel::ReasonKind::Infrastructure,
                        text: format!("source 203.0.113.7 is listed ({SCRIPT})"),
                        weight: 60,
                    }],
                }]
            } else {
                vec![]
            },
        },
        state: CampaignState {
            revision: 1,
            ..CampaignState::default()
        },
        alerts,
        notes: vec![],
        notifications: vec![],
    }
}

impl MemBackend {
    pub fn new() -> MemBackend {
        let p = |n: &str, r| Principal {
            name: n.into(),
            role: r,
        };
        MemBackend {
            tokens: HashMap::from([
                (VIEWER, p("vera", Role::Viewer)),
                (ANALYST, p("ana", Role::Analyst)),
                (ADMIN, p("adm", Role::Admin)),
            ]),
            details: Mutex::new(vec![
                campaign(
                    "c1",
                    &format!("spray {IMG} {TERM}"),
                    Severity::Critical,
                    &format!("Org {SCRIPT}"),
                    vec![hostile_alert()],
                ),
                campaign("c2", "quiet scan", Severity::Low, "Plain Org", vec![]),
            ]),
            audit: Mutex::new(vec![]),
        }
    }

    pub fn status(&self, id: &str) -> Status {
        self.details
            .lock()
            .expect("lock")
            .iter()
            .find(|d| d.campaign.id == id)
            .expect("campaign")
            .state
            .status
    }
}

fn row(d: &CampaignDetail) -> CampaignRow {
    let c = &d.campaign;
    CampaignRow {
        id: c.id.clone(),
        summary: c.summary.clone(),
        severity: c.severity,
        state: d.state.clone(),
        sources: c.sources.len() as u64,
        targets: c.targets.iter().map(|t| t.name.clone()).collect(),
        organisations: c
            .targets
            .iter()
            .filter_map(|t| t.organisation.clone())
            .collect(),
        alerts: c.alerts.len() as u64,
        funnel: c.funnel,
        first_seen: c.first_seen,
        last_seen: c.last_seen,
    }
}

impl Backend for MemBackend {
    fn campaigns(&self, q: &CampaignQuery) -> Result<Page<CampaignRow>> {
        let all: Vec<CampaignRow> = self
            .details
            .lock()
            .expect("lock")
            .iter()
            .map(row)
            .filter(|r| q.min_severity.is_none_or(|s| r.severity >= s))
            .filter(|r| q.status.is_none_or(|s| r.state.status == s))
            .filter(|r| {
                q.organisation
                    .as_ref()
                    .is_none_or(|o| r.organisations.contains(o))
            })
            .collect();
        let limit = if q.limit == 0 { 50 } else { q.limit } as usize;
        let items: Vec<_> = all
            .iter()
            .skip(q.offset as usize)
            .take(limit)
            .cloned()
            .collect();
        let next = q.offset + items.len() as u64;
        Ok(Page {
            total: all.len() as u64,
            next_offset: (next < all.len() as u64).then_some(next),
            items,
        })
    }
    fn campaign(&self, id: &str) -> Result<Option<CampaignDetail>> {
        Ok(self
            .details
            .lock()
            .expect("lock")
            .iter()
            .find(|d| d.campaign.id == id)
            .cloned())
    }
    fn alerts(&self, q: &AlertQuery) -> Result<Page<Alert>> {
        let items: Vec<Alert> = self
            .details
            .lock()
            .expect("lock")
            .iter()
            .flat_map(|d| d.alerts.clone())
            .filter(|a| q.user.as_ref().is_none_or(|u| a.user.as_ref() == Some(u)))
            .map(|mut a| {
                a.evidence.clear();
                a
            })
            .collect();
        Ok(Page {
            total: items.len() as u64,
            next_offset: None,
            items,
        })
    }
    fn alert(&self, id: &str) -> Result<Option<Alert>> {
        Ok(self
            .details
            .lock()
            .expect("lock")
            .iter()
            .flat_map(|d| d.alerts.clone())
            .find(|a| a.id == id))
    }
    fn evidence(&self, alert_id: &str) -> Result<Vec<Evidence>> {
        Ok(self
            .alert(alert_id)?
            .map(|a| a.evidence)
            .unwrap_or_default())
    }
    fn organisations(&self) -> Result<Vec<OrganisationRow>> {
        Ok(self
            .details
            .lock()
            .expect("lock")
            .iter()
            .map(|d| {
                let t = &d.campaign.targets[0];
                OrganisationRow {
                    name: t.organisation.clone().unwrap_or_default(),
                    sector: t.sector,
                    region: t.region.clone(),
                    targets: vec![t.name.clone()],
                    campaigns: 1,
                    max_severity: Some(d.campaign.severity),
                    compromised: d.campaign.compromised.len() as u64,
                }
            })
            .collect())
    }
    fn organisation(&self, name: &str) -> Result<Option<OrganisationDetail>> {
        let Some(r) = self.organisations()?.into_iter().find(|o| o.name == name) else {
            return Ok(None);
        };
        let campaigns = self
            .campaigns(&CampaignQuery {
                organisation: Some(name.into()),
                ..CampaignQuery::default()
            })?
            .items;
        Ok(Some(OrganisationDetail {
            row: r,
            accounts: vec![AccountRow {
                user: SCRIPT.into(),
                stage: AccountStage::Compromised,
                campaigns: vec!["c1".into()],
            }],
            contacts: vec![Contact {
                organisation: name.into(),
                channel: "email".into(),
                address: format!("soc{IMG}@example.org"),
            }],
            notifications: vec![NotificationRow {
                id: 1,
                campaign_id: "c1".into(),
                revision: 1,
                organisation: name.into(),
                channel: "email".into(),
                address: "soc@example.org".into(),
                subject: format!("targeted {SCRIPT}"),
                body: "b".into(),
                state: haboob_store::NotificationState::Sent,
                attempts: 1,
                next_attempt_at: ts("2024-05-03T00:00:00Z"),
                last_error: None,
                sent_at: Some(ts("2024-05-03T00:00:01Z")),
            }],
            campaigns,
        }))
    }
    fn act(&self, who: &Principal, campaign_id: &str, action: &Action) -> Result<CampaignState> {
        let mut all = self.details.lock().expect("lock");
        let d = all
            .iter_mut()
            .find(|d| d.campaign.id == campaign_id)
            .ok_or_else(|| StoreError::NotFound(format!("campaign {campaign_id}")))?;
        match action {
            Action::SetStatus { status } => {
                let ok = matches!(
                    (d.state.status, status),
                    (Status::New, Status::Triaged)
                        | (Status::Triaged, Status::Notified)
                        | (Status::Notified, Status::Closed)
                        | (Status::Closed, Status::Triaged)
                );
                if !ok {
                    return Err(StoreError::InvalidTransition {
                        campaign: campaign_id.into(),
                        from: format!("{:?}", d.state.status),
                        to: format!("{status:?}"),
                    });
                }
                d.state.status = *status;
            }
            Action::Assign { assignee } => d.state.assignee = assignee.clone(),
            Action::Note { text } => d.notes.push(haboob_store::Note {
                author: who.name.clone(),
                at: ts("2024-05-05T00:00:00Z"),
                text: text.clone(),
            }),
        }
        self.audit.lock().expect("lock").push(AuditEntry {
            at: ts("2024-05-05T00:00:00Z"),
            actor: who.name.clone(),
            role: who.role,
            campaign: campaign_id.into(),
            action: Audited::Campaign(action.clone()),
        });
        Ok(d.state.clone())
    }
    fn audit(&self, _q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        Ok(self.audit.lock().expect("lock").clone())
    }
    fn verify_token(&self, secret: &str) -> Result<Option<Principal>> {
        Ok(self.tokens.get(secret).cloned())
    }
    fn notifications(&self, _q: &NotificationQuery) -> Result<Vec<NotificationRow>> {
        Ok(vec![])
    }
}

pub fn app_with(config: ServerConfig) -> (Router, Arc<MemBackend>) {
    let b = Arc::new(MemBackend::new());
    (haboob_server::app(b.clone(), config), b)
}

/// The app with a rate limit the tests do not reach (the limit has its own test).
pub fn app() -> (Router, Arc<MemBackend>) {
    app_with(ServerConfig {
        rate: haboob_server::RateLimit {
            per_second: 1000.0,
            burst: 100_000,
        },
        ..ServerConfig::default()
    })
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    /// The session id set by this response, if any.
    pub fn session(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.strip_prefix("haboob_session=")
                    .and_then(|r| r.split(';').next())
                    .map(str::to_string)
            })
            .filter(|s| !s.is_empty())
    }
}

pub async fn send(app: &Router, req: Request<Body>) -> Resp {
    let resp = app.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20)
        .await
        .expect("body");
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub fn req(method: Method, uri: &str, token: Option<&str>, body: Option<&str>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if body.is_some() {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    b.body(
        body.map(|s| Body::from(s.to_string()))
            .unwrap_or_else(Body::empty),
    )
    .expect("request")
}

pub async fn get(app: &Router, uri: &str, token: Option<&str>) -> Resp {
    send(app, req(Method::GET, uri, token, None)).await
}

/// A console request with a session cookie (and a form body for POST).
pub fn console(method: Method, uri: &str, session: &str, form: Option<&str>) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::COOKIE, format!("haboob_session={session}"));
    if form.is_some() {
        b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    b.body(
        form.map(|s| Body::from(s.to_string()))
            .unwrap_or_else(Body::empty),
    )
    .expect("request")
}

/// The value of the first hidden `csrf` field in a page.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("csrf field");
    let rest = &html[at + 19..];
    rest[..rest.find('"').expect("end")].to_string()
}

/// Log in to the console with `token`; the logged-in session id.
pub async fn login(app: &Router, token: &str) -> String {
    let page = get(app, "/login", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let pre = page.session().expect("pre-login session");
    let csrf = csrf_of(&page.body);
    let r = send(
        app,
        console(
            Method::POST,
            "/login",
            &pre,
            Some(&format!("csrf={csrf}&token={token}")),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let s = r.session().expect("session cookie");
    assert_ne!(s, pre, "a new session id after login");
    s
}
