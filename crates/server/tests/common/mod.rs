//! Test helpers: a real store (SQLite in a temporary folder, or a fresh
//! schema on `$HABOOB_PG_URL`) seeded through its public write API with
//! hostile data, and request helpers over `oneshot`.
//!
//! Each test is an `async fn(Router, Arc<Fixture>)` run by [`run`] on a
//! runtime of its own: the sync PostgreSQL client may not be dropped or
//! called inside a runtime, so the store is seeded before the runtime
//! starts, read inside it through `spawn_blocking` ([`Fixture::status`]),
//! and dropped after it ends.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use haboob_model::{
    Alert, AlertSource, Campaign, Contact, Evidence, Funnel, Severity, Target, TargetSector, Ts,
};
use haboob_server::ServerConfig;
use haboob_store::testing::Scratch;
use haboob_store::{Delivery, HuntWrite, NewNotification, Role, Status, Store};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use tower::ServiceExt;

pub const SCRIPT: &str = "<script>alert(1)</script>";
pub const IMG: &str = "\"><img src=x onerror=alert(1)>";
pub const TERM: &str = "\x1b[31mred\x1b]0;owned\x07";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// A SQLite file in a temporary folder.
    Sqlite,
    /// A fresh schema on `$HABOOB_PG_URL`.
    Postgres,
}

/// A seeded store: one hostile campaign `c1` (alert `a1`, organisation
/// `Org <script>…`) and a benign `c2` (`Plain Org`), and the secrets of
/// three tokens: `vera` (viewer), `ana` (analyst), `adm` (admin).
pub struct Fixture {
    pub store: Arc<Store>,
    pub viewer: String,
    pub analyst: String,
    pub admin: String,
    /// Where the store lives; dropped after `store` (fields drop in order).
    _scratch: Scratch,
}

impl Fixture {
    /// The workflow status of a campaign, read from the store.
    pub async fn status(&self, id: &str) -> Status {
        let store = self.store.clone();
        let id = id.to_string();
        tokio::task::spawn_blocking(move || {
            store
                .campaign(&id)
                .expect("read campaign")
                .expect("campaign")
                .state
                .status
        })
        .await
        .expect("store call")
    }
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
        details: haboob_model::Details::from([
            ("user_agent".to_string(), serde_json::json!(TERM)),
            // The organisation page lists the accounts alerts name.
            ("users_compromised".to_string(), serde_json::json!([SCRIPT])),
        ]),
        evidence: vec![Evidence {
            file: "access.log".into(),
            line: 7,
            raw: format!("203.0.113.7 - - [01/May/2024:10:00:00 +0000] \"GET /{IMG} HTTP/1.1\" 404 0 \"-\" \"{TERM}{SCRIPT}\""),
        }],
    }
}

fn campaign(id: &str, summary: &str, sev: Severity, org: &str, alerts: &[Alert]) -> Campaign {
    let funnel = Funnel {
        attempts: 900,
        probed: 120,
        identified: 80,
        attacked: 30,
        compromised: 2,
    };
    let target = |name: String| Target {
        name,
        organisation: Some(org.into()),
        sector: TargetSector::Election,
        region: Some("OH".into()),
    };
    let mut targets = vec![target(format!("site-{id}"))];
    // The alerts' own targets belong to the organisation too.
    for a in alerts {
        targets.push(target(a.target.clone()));
    }
    Campaign {
        id: id.into(),
        summary: summary.into(),
        severity: sev,
        sources: vec!["203.0.113.7".parse().expect("ip")],
        targets,
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
        stages: vec![],
        tools: vec!["sqlmap".into(), format!("tool {SCRIPT}")],
    }
}

/// Seed `store` through its public write API; the three token secrets.
fn seed(store: &Store) -> [String; 3] {
    let alerts = vec![hostile_alert()];
    let hostile_org = format!("Org {SCRIPT}");
    let campaigns = vec![
        campaign(
            "c1",
            &format!("spray {IMG} {TERM}"),
            Severity::Critical,
            &hostile_org,
            &alerts,
        ),
        campaign("c2", "quiet scan", Severity::Low, "Plain Org", &[]),
    ];
    let targets: Vec<Target> = campaigns
        .iter()
        .flat_map(|c| c.targets.iter().cloned())
        .collect();
    let contacts = vec![Contact {
        organisation: hostile_org.clone(),
        channel: "email".into(),
        address: format!("soc{IMG}@example.org"),
    }];
    store
        .save_hunt(&HuntWrite {
            ran_at: ts("2024-05-03T00:00:00Z"),
            alerts: &haboob_model::Alerts::from(alerts.clone()),
            retract_alerts: &[],
            campaigns: &campaigns,
            campaigns_complete: true,
            targets: &targets,
            contacts: &contacts,
            checkpoints: &[],
        })
        .expect("save hunt");
    let subject = format!("targeted {SCRIPT}");
    let id = store
        .enqueue_notification(&NewNotification {
            campaign_id: "c1",
            revision: 1,
            organisation: &hostile_org,
            channel: "email",
            address: "soc@example.org",
            subject: &subject,
            body: "b",
            due_at: ts("2024-05-03T00:00:00Z"),
        })
        .expect("enqueue")
        .expect("new notification");
    store
        .record_delivery(
            id,
            &Delivery::Sent {
                at: ts("2024-05-03T00:00:01Z"),
            },
        )
        .expect("record delivery");
    let token = |name: &str, role| {
        store
            .create_token(name, role, "test")
            .expect("create token")
            .secret
    };
    [
        token("vera", Role::Viewer),
        token("ana", Role::Analyst),
        token("adm", Role::Admin),
    ]
}

fn open(db: Db, test: &str) -> Option<Fixture> {
    let scratch = match db {
        Db::Sqlite => Scratch::sqlite(),
        Db::Postgres => Scratch::postgres(&format!("srv_{test}"))?,
    };
    let store = scratch.open();
    let [viewer, analyst, admin] = seed(&store);
    Some(Fixture {
        store: Arc::new(store),
        viewer,
        analyst,
        admin,
        _scratch: scratch,
    })
}

/// A rate limit the tests do not reach (the limit has its own test).
pub fn unlimited() -> ServerConfig {
    ServerConfig {
        rate: haboob_server::RateLimit {
            per_second: 1000.0,
            burst: 100_000,
        },
        ..ServerConfig::default()
    }
}

/// Run `test` over the app on a freshly seeded store (skipped, with a line
/// on stderr, on PostgreSQL when `$HABOOB_PG_URL` is unset; a failure under
/// `CI=true`).
pub fn run<F, Fut>(db: Db, name: &str, config: ServerConfig, test: F)
where
    F: FnOnce(Router, Arc<Fixture>) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(fx) = open(db, name) else { return };
    let fx = Arc::new(fx);
    let app = haboob_server::app(fx.store.clone(), config);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(test(app, fx.clone()));
    drop(rt);
    // The last reference to the store goes here, outside the runtime.
    drop(fx);
}

/// `sqlite!(name, …)`: a `#[test]` per async test function, on SQLite.
#[macro_export]
macro_rules! sqlite {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                $crate::common::run(
                    $crate::common::Db::Sqlite,
                    stringify!($name),
                    $crate::common::unlimited(),
                    super::$name,
                );
            }
        }
    )*};
}

/// `both!(name, …)`: `name::sqlite` and `name::postgres` for each async
/// test function (the tests about what the store's queries return).
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                $crate::common::run(
                    $crate::common::Db::Sqlite,
                    stringify!($name),
                    $crate::common::unlimited(),
                    super::$name,
                );
            }
            #[test]
            fn postgres() {
                $crate::common::run(
                    $crate::common::Db::Postgres,
                    stringify!($name),
                    $crate::common::unlimited(),
                    super::$name,
                );
            }
        }
    )*};
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
