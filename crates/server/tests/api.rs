//! The API and console over a real store (SQLite; PostgreSQL too for the
//! tests about what queries return): anonymous requests denied everywhere,
//! roles, parameters, OpenAPI, rate limits, bodies.

mod common;

use axum::http::{header, Method, StatusCode};
use axum::Router;
use common::*;
use haboob_server::{RateLimit, ServerConfig};
use std::collections::BTreeSet;
use std::sync::Arc;

sqlite!(
    anonymous_is_denied_everywhere_but_healthz_and_login,
    every_route_answers_with_a_token_and_openapi_lists_exactly_them,
    bad_input_is_a_400_naming_the_parameter,
    security_headers_on_every_response,
);
both!(
    roles_are_enforced,
    filters_reach_the_store,
    api_json_keeps_hostile_strings_as_data,
);

/// Every console page and form target, with the methods it answers.
const CONSOLE: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/campaigns"),
    ("GET", "/campaigns/c1"),
    ("POST", "/campaigns/c1/actions"),
    ("GET", "/alerts/a1"),
    ("GET", "/organisations"),
    ("GET", "/organisations/Plain%20Org"),
    ("POST", "/logout"),
];
/// Open to anyone.
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/static/haboob.css"),
    ("GET", "/static/haboob.js"),
];
const UNKNOWN: &[&str] = &[
    "/nope",
    "/api",
    "/api/v1",
    "/api/v2/campaigns",
    "/api/v1/nope",
    "/api/v1/campaigns/c1/nope",
    "/static/other.js",
    "/campaigns/c1/extra",
    "/healthz/x",
    "/.env",
    "/%2e%2e/etc/passwd",
];
const METHODS: &[Method] = &[
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::HEAD,
    Method::OPTIONS,
];

fn api_path(p: &str) -> String {
    format!(
        "/api/v1{}",
        p.replace("{id}", if p.starts_with("/alerts") { "a1" } else { "c1" })
            .replace("{name}", "Plain%20Org")
    )
}

async fn anonymous_is_denied_everywhere_but_healthz_and_login(app: Router, b: Arc<Fixture>) {
    let mut paths: BTreeSet<String> = haboob_server::API_ROUTES
        .iter()
        .map(|(_, p)| api_path(p))
        .collect();
    paths.extend(CONSOLE.iter().map(|(_, p)| p.to_string()));
    paths.extend(PUBLIC.iter().map(|(_, p)| p.to_string()));
    paths.extend(UNKNOWN.iter().map(|p| p.to_string()));
    let mut checked = 0;
    for path in &paths {
        for m in METHODS {
            let r = send(&app, req(m.clone(), path, None, None)).await;
            checked += 1;
            if PUBLIC.iter().any(|(_, p)| p == path) {
                assert!(
                    r.status != StatusCode::UNAUTHORIZED && r.status != StatusCode::SEE_OTHER
                        || path == "/login",
                    "{m} {path}: public, got {}",
                    r.status
                );
                continue;
            }
            if path.starts_with("/api") {
                assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{m} {path}");
                assert_eq!(
                    r.header(header::WWW_AUTHENTICATE),
                    "Bearer realm=\"haboob\""
                );
                if *m != Method::HEAD {
                    assert_eq!(r.json()["error"], "authentication required", "{m} {path}");
                }
            } else {
                assert_eq!(r.status, StatusCode::SEE_OTHER, "{m} {path}");
                assert_eq!(r.header(header::LOCATION), "/login", "{m} {path}");
            }
            assert!(!r.body.contains("spray"), "{m} {path} leaked data");
        }
    }
    assert_eq!(checked, paths.len() * METHODS.len());
    assert!(checked > 150);
    let h = get(&app, "/healthz", None).await;
    assert_eq!(
        (h.status, h.json()["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    // A bad or revoked token is no better than none, on the API and the console.
    let cut = &b.viewer[..b.viewer.len() - 1];
    for bad in ["wrong", "", cut, &"x".repeat(600)] {
        assert_eq!(
            get(&app, "/api/v1/campaigns", Some(bad)).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = send(
        &app,
        console(Method::GET, "/campaigns", "not-a-session", None),
    )
    .await;
    assert_eq!(
        (r.status, r.header(header::LOCATION)),
        (StatusCode::SEE_OTHER, "/login")
    );
    // A pre-login session is not a login.
    let pre = get(&app, "/login", None).await.session().expect("session");
    let r = send(&app, console(Method::GET, "/campaigns", &pre, None)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

async fn every_route_answers_with_a_token_and_openapi_lists_exactly_them(
    app: Router,
    b: Arc<Fixture>,
) {
    let doc = get(&app, "/api/v1/openapi.json", Some(b.viewer.as_str())).await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (m, op) in ops.as_object().expect("ops") {
            assert!(
                op["responses"]["200"].is_object(),
                "{m} {path} documents its 200"
            );
            documented.insert((m.to_uppercase(), path.clone()));
        }
    }
    let routed: BTreeSet<(String, String)> = haboob_server::API_ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, routed);
    // Every $ref resolves.
    let text = doc.to_string();
    for part in text.split("\"$ref\":\"#/components/").skip(1) {
        let target = &part[..part.find('"').expect("end")];
        let mut v = &doc["components"];
        for k in target.split('/') {
            v = &v[k];
        }
        assert!(!v.is_null(), "dangling $ref {target}");
    }
    // Each listed route is served (admin can do all) and other methods are 405.
    for (m, p) in haboob_server::API_ROUTES {
        let path = api_path(p);
        let body = (*m == "POST").then_some(r#"{"action":"note","text":"seen"}"#);
        let method = Method::from_bytes(m.as_bytes()).expect("method");
        let r = send(
            &app,
            req(method.clone(), &path, Some(b.admin.as_str()), body),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{m} {path}: {}", r.body);
        for other in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
            if other != method {
                let r = send(
                    &app,
                    req(other.clone(), &path, Some(b.admin.as_str()), None),
                )
                .await;
                assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{other} {path}");
            }
        }
    }
    for p in UNKNOWN.iter().filter(|p| p.starts_with("/api")) {
        let r = get(&app, p, Some(b.admin.as_str())).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{p}");
        assert!(r.json()["error"].is_string());
    }
}

async fn roles_are_enforced(app: Router, b: Arc<Fixture>) {
    let act = |t: &str, body: &'static str| {
        let app = app.clone();
        let t = t.to_string();
        async move {
            send(
                &app,
                req(
                    Method::POST,
                    "/api/v1/campaigns/c1/actions",
                    Some(&t),
                    Some(body),
                ),
            )
            .await
        }
    };
    let r = act(
        b.viewer.as_str(),
        r#"{"action":"set_status","status":"triaged"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["error"], "this needs the analyst role");
    assert_eq!(b.status("c1").await, haboob_store::Status::New);
    let r = act(
        b.analyst.as_str(),
        r#"{"action":"set_status","status":"triaged"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "triaged");
    assert_eq!(b.status("c1").await, haboob_store::Status::Triaged);
    // Not along the workflow: 409.
    let r = act(
        b.analyst.as_str(),
        r#"{"action":"set_status","status":"new"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Audit: admin only.
    assert_eq!(
        get(&app, "/api/v1/audit", Some(b.viewer.as_str()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, "/api/v1/audit", Some(b.analyst.as_str()))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let a = get(&app, "/api/v1/audit", Some(b.admin.as_str())).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()[0]["actor"], "ana");
    // The trail also holds the creation of the three tokens (by "test").
    let campaign_actions: Vec<_> = a
        .json()
        .as_array()
        .expect("list")
        .iter()
        .filter(|e| e["campaign"] != "")
        .cloned()
        .collect();
    assert_eq!(
        campaign_actions.len(),
        1,
        "the refused actions are not in the trail"
    );
    assert_eq!(
        a.json().as_array().map(Vec::len),
        Some(4),
        "one campaign action and three token creations"
    );
    // Viewers read.
    assert_eq!(
        get(&app, "/api/v1/campaigns/c1", Some(b.viewer.as_str()))
            .await
            .status,
        StatusCode::OK
    );
}

async fn bad_input_is_a_400_naming_the_parameter(app: Router, b: Arc<Fixture>) {
    for (uri, msg) in [
        (
            "/api/v1/campaigns?severity=extreme",
            "severity: expected low, medium, high or critical",
        ),
        (
            "/api/v1/campaigns?since=last%20week",
            "since: expected an RFC 3339 time such as 2024-05-01T00:00:00Z",
        ),
        (
            "/api/v1/campaigns?limit=100000",
            "limit: expected a whole number from 1 to 500",
        ),
        (
            "/api/v1/campaigns?status=open",
            "status: expected new, triaged, notified or closed",
        ),
        ("/api/v1/campaigns?color=red", "color: unknown parameter"),
        (
            "/api/v1/alerts?until=2024-13-01T00:00:00Z",
            "until: expected an RFC 3339 time such as 2024-05-01T00:00:00Z",
        ),
        (
            "/api/v1/notifications?state=lost",
            "state: expected pending, sent or failed",
        ),
        ("/api/v1/organisations?x=1", "x: unknown parameter"),
    ] {
        let r = get(&app, uri, Some(b.viewer.as_str())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(r.json()["error"], msg, "{uri}");
        assert!(r
            .header(header::CONTENT_TYPE)
            .starts_with("application/json"));
    }
    let post = |body: String| {
        let app = app.clone();
        let b = b.clone();
        async move {
            send(
                &app,
                req(
                    Method::POST,
                    "/api/v1/campaigns/c1/actions",
                    Some(b.analyst.as_str()),
                    Some(&body),
                ),
            )
            .await
        }
    };
    let r = post("{\"action\":\"explode\"}".into()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"]
        .as_str()
        .expect("msg")
        .starts_with("bad request body: unknown variant `explode`"));
    assert_eq!(
        post("not json".into()).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post(r#"{"action":"note","text":"  "}"#.into()).await.json()["error"],
        "text: empty note"
    );
    let big = format!(r#"{{"action":"note","text":"{}"}}"#, "a".repeat(70 * 1024));
    let r = post(big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["error"], "request body larger than 65536 bytes");
    let r = get(&app, "/api/v1/campaigns/nope", Some(b.viewer.as_str())).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("campaign nope not found"))
    );
    let long = format!("/api/v1/alerts/{}", "x".repeat(300));
    assert_eq!(
        get(&app, &long, Some(b.viewer.as_str())).await.json()["error"],
        "id: must be 1 to 256 bytes"
    );
}

async fn filters_reach_the_store(app: Router, b: Arc<Fixture>) {
    let r = get(
        &app,
        "/api/v1/campaigns?severity=high",
        Some(b.viewer.as_str()),
    )
    .await
    .json();
    assert_eq!(
        (r["total"].as_u64(), r["items"][0]["id"].as_str()),
        (Some(1), Some("c1"))
    );
    let r = get(&app, "/api/v1/campaigns?limit=1", Some(b.viewer.as_str()))
        .await
        .json();
    assert_eq!(
        (r["total"].as_u64(), r["next_offset"].as_u64()),
        (Some(2), Some(1))
    );
}

#[test]
fn rate_limit_answers_429_with_retry_after() {
    let config = ServerConfig {
        rate: RateLimit {
            per_second: 0.5,
            burst: 3,
        },
        ..ServerConfig::default()
    };
    run(Db::Sqlite, "rate_limit", config, rate_limit_body);
}

async fn rate_limit_body(app: Router, b: Arc<Fixture>) {
    for _ in 0..3 {
        assert_eq!(
            get(&app, "/api/v1/campaigns", Some(b.viewer.as_str()))
                .await
                .status,
            StatusCode::OK
        );
    }
    let r = get(&app, "/api/v1/campaigns", Some(b.viewer.as_str())).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.header(header::RETRY_AFTER), "2");
    assert!(r.json()["error"]
        .as_str()
        .expect("msg")
        .starts_with("too many requests"));
    // Anonymous token guessing from the same address is limited too.
    assert_eq!(
        get(&app, "/api/v1/campaigns", Some("guess")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The health check is not limited.
    assert_eq!(get(&app, "/healthz", None).await.status, StatusCode::OK);
}

async fn security_headers_on_every_response(app: Router, b: Arc<Fixture>) {
    for (uri, token) in [
        ("/healthz", None),
        ("/login", None),
        ("/api/v1/campaigns", Some(b.viewer.as_str())),
        ("/api/v1/campaigns", None),
        ("/nope", None),
        ("/static/haboob.js", None),
    ] {
        let r = get(&app, uri, token).await;
        let csp = r.header(header::CONTENT_SECURITY_POLICY);
        assert!(csp.starts_with("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"), "{uri}: {csp}");
        assert_eq!(r.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{uri}");
        assert_eq!(r.header(header::REFERRER_POLICY), "no-referrer", "{uri}");
    }
    let js = get(&app, "/static/haboob.js", None).await;
    assert!(js
        .header(header::CONTENT_TYPE)
        .starts_with("text/javascript"));
    assert!(get(&app, "/static/haboob.css", None)
        .await
        .header(header::CONTENT_TYPE)
        .starts_with("text/css"));
}

async fn api_json_keeps_hostile_strings_as_data(app: Router, b: Arc<Fixture>) {
    let r = get(&app, "/api/v1/alerts/a1/evidence", Some(b.viewer.as_str())).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r
        .header(header::CONTENT_TYPE)
        .starts_with("application/json"));
    assert!(
        !r.body.contains('\x1b'),
        "terminal escapes are \\u escaped in JSON"
    );
    assert!(r.body.contains("\\u001b[31m"));
    let ev = r.json();
    assert_eq!(
        ev[0]["raw"],
        common::hostile_alert().evidence[0].raw.as_str(),
        "round-trips exactly"
    );
    let r = get(
        &app,
        "/api/v1/alerts?user=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        Some(b.viewer.as_str()),
    )
    .await
    .json();
    assert_eq!(r["items"][0]["user"], SCRIPT);
    assert_eq!(
        r["items"][0]["evidence"],
        serde_json::json!([]),
        "lists come without evidence"
    );
}
