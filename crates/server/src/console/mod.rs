//! The web console: server-rendered HTML (maud escapes every value), one
//! stylesheet and one small script served from the binary, SVG charts
//! drawn on the server. No inline script or style, so the strict
//! Content-Security-Policy holds.

mod campaigns;
mod charts;
mod login;
mod organisations;

use crate::auth::ConsoleSession;
use crate::ApiError;
use crate::AppState;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use haboob_model::{Severity, Ts};
use haboob_store::{Principal, Role, Status};
use maud::{html, Markup, DOCTYPE};

const CSS: &str = include_str!("assets/haboob.css");
const JS: &str = include_str!("assets/haboob.js");

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { redirect("/campaigns") }))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/campaigns", get(campaigns::list))
        .route("/campaigns/{id}", get(campaigns::show))
        .route("/campaigns/{id}/actions", post(campaigns::action))
        .route("/alerts/{id}", get(campaigns::alert_page))
        .route("/organisations", get(organisations::list))
        .route("/organisations/{name}", get(organisations::show))
        .route(
            "/static/haboob.css",
            get(|| async { asset(CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/static/haboob.js",
            get(|| async { asset(JS, "text/javascript; charset=utf-8") }),
        )
}

fn asset(body: &'static str, kind: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

/// A 303 to `to` (a path on this server).
pub(crate) fn redirect(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// An HTML response.
pub(crate) fn html_response(status: StatusCode, m: Markup) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        m.into_string(),
    )
        .into_response()
}

/// Who is looking, for the page header.
pub(crate) struct Viewer<'a> {
    pub(crate) who: &'a Principal,
    pub(crate) session: &'a ConsoleSession,
}

/// The page shell: header with navigation and logout, then `body`.
pub(crate) fn page(title: &str, viewer: Option<&Viewer<'_>>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · haboob" }
                link rel="stylesheet" href="/static/haboob.css";
                script src="/static/haboob.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/campaigns" { "haboob" }
                    @if let Some(v) = viewer {
                        nav {
                            a href="/campaigns" { "Campaigns" }
                            a href="/organisations" { "Organisations" }
                        }
                        div.who {
                            span { (crate::text::clean(&v.who.name, 80)) " · " (role_str(v.who.role)) }
                            form method="post" action="/logout" {
                                (csrf_field(v.session))
                                button type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// The hidden CSRF field every POST form carries.
pub(crate) fn csrf_field(s: &ConsoleSession) -> Markup {
    html! { input type="hidden" name="csrf" value=(s.csrf); }
}

/// A page for an error.
/// The record a page shows: its path id checked, then read from the store
/// by `read`; the error page when the id is bad, nothing has it (`what`
/// names the kind of record) or the store fails.
pub(crate) async fn fetch_or_page<T, F>(
    s: &AppState,
    param: &str,
    raw: String,
    what: &str,
    read: F,
) -> Result<T, Response>
where
    T: Send + 'static,
    F: FnOnce(&haboob_store::Store, &str) -> haboob_store::Result<Option<T>> + Send + 'static,
{
    let id = crate::api::path_id(param, raw).map_err(|e| error_page(&e))?;
    let key = id.clone();
    match crate::blocking::call(&s.store, move |b| read(b, &key)).await {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(error_page(&ApiError::NotFound(format!(
            "{what} {}",
            t(&id)
        )))),
        Err(e) => Err(error_page(&e)),
    }
}

pub(crate) fn error_page(e: &ApiError) -> Response {
    let status = e.status();
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %e, "Console error.");
    }
    let mut resp = html_response(
        status,
        page(
            status.canonical_reason().unwrap_or("Error"),
            None,
            html! {
                h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) }
                p.error { (e.to_string()) }
                p { a href="/campaigns" { "Back to the campaigns" } }
            },
        ),
    );
    if let ApiError::RateLimited(secs) = e {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(*secs));
    }
    resp
}

/// The page for an unknown console path.
pub(crate) fn not_found_page() -> Response {
    error_page(&ApiError::NotFound("page".into()))
}

pub(crate) fn role_str(r: Role) -> &'static str {
    match r {
        Role::Viewer => "viewer",
        Role::Analyst => "analyst",
        Role::Admin => "admin",
    }
}

/// `2024-05-01 10:00 UTC`.
pub(crate) fn when(t: Ts) -> String {
    let s = t.to_string();
    match (s.get(..10), s.get(11..16)) {
        (Some(d), Some(hm)) => format!("{d} {hm}"),
        _ => s,
    }
}

pub(crate) fn severity_badge(s: Severity) -> Markup {
    html! { span class=(format!("badge sev-{}", s.as_str())) { (s.as_str()) } }
}

pub(crate) fn status_badge(s: Status) -> Markup {
    let name = crate::api::query::status_str(s);
    html! { span class=(format!("badge st-{name}")) data-status=(name) { (name) } }
}

/// Percent-encode one path segment.
pub(crate) fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Attacker-controlled text for display: bounded, control characters escaped.
pub(crate) fn t(s: &str) -> String {
    crate::text::clean(s, 300)
}
