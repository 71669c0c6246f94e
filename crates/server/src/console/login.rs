//! Log in with a token (a session cookie is made), log out.

use super::{csrf_field, html_response, page, redirect};
use crate::auth::{cookie, session_cookie, verify, ConsoleSession, COOKIE};
use crate::{csrf, ApiError, AppState};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use maud::html;

fn login_page(status: StatusCode, session: &ConsoleSession, message: Option<&str>) -> Response {
    html_response(
        status,
        page(
            "Log in",
            None,
            html! {
                section.login {
                    h1 { "Log in" }
                    p { "Paste an API token (" code { "haboob token create --store URL --role analyst --name NAME" } ")." }
                    @if let Some(m) = message { p.error role="alert" { (m) } }
                    form id="login" method="post" action="/login" {
                        (csrf_field(session))
                        label for="token" { "Token" }
                        input id="token" type="password" name="token" autocomplete="off" required;
                        button id="login-submit" type="submit" { "Log in" }
                    }
                }
            },
        ),
    )
}

/// The session named by the request's cookie, or a new anonymous one
/// (with the `Set-Cookie` to send).
fn session(state: &AppState, headers: &HeaderMap) -> (ConsoleSession, Option<String>) {
    if let Some(id) = cookie(headers, COOKIE) {
        if let Some(v) = state.sessions.get(id) {
            return (
                ConsoleSession {
                    id: id.to_string(),
                    csrf: v.csrf,
                },
                None,
            );
        }
    }
    let (id, csrf) = state.sessions.create(None);
    (
        ConsoleSession {
            id: id.clone(),
            csrf,
        },
        Some(id),
    )
}

fn with_cookie(mut resp: Response, state: &AppState, id: &str) -> Response {
    resp.headers_mut().append(
        header::SET_COOKIE,
        session_cookie(id, state.config.secure_cookies, state.config.session_max),
    );
    resp
}

/// GET /login.
pub(crate) async fn form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (s, new) = session(&state, &headers);
    let resp = login_page(StatusCode::OK, &s, None);
    match new {
        Some(id) => with_cookie(resp, &state, &id),
        None => resp,
    }
}

/// Form fields by name (last wins), from an urlencoded body.
pub(crate) async fn form_fields(
    body: Body,
) -> Result<std::collections::HashMap<String, String>, ApiError> {
    let bytes = crate::api::body_bytes(body).await?;
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

/// Check the form's CSRF token against the session's.
pub(crate) fn check_csrf(
    fields: &std::collections::HashMap<String, String>,
    session: &ConsoleSession,
) -> Result<(), ApiError> {
    match fields.get("csrf") {
        Some(t) if csrf::same(t, &session.csrf) => Ok(()),
        _ => Err(ApiError::Forbidden("matching CSRF token (reload the page)")),
    }
}

/// POST /login: check the CSRF token of the pre-login session, verify the
/// token, and replace the session by a new logged-in one.
pub(crate) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let fields = match form_fields(body).await {
        Ok(f) => f,
        Err(e) => return super::error_page(&e),
    };
    let Some(id) = cookie(&headers, COOKIE) else {
        return super::error_page(&ApiError::Forbidden(
            "session cookie (reload the login page)",
        ));
    };
    let Some(view) = state.sessions.get(id) else {
        return super::error_page(&ApiError::Forbidden("live session (reload the login page)"));
    };
    let old = ConsoleSession {
        id: id.to_string(),
        csrf: view.csrf,
    };
    if let Err(e) = check_csrf(&fields, &old) {
        return super::error_page(&e);
    }
    let secret = fields.get("token").map(|s| s.trim()).unwrap_or("");
    let who = if secret.is_empty() || secret.len() > 512 {
        Ok(None)
    } else {
        verify(&state, secret).await
    };
    match who {
        Ok(Some(p)) => {
            state.sessions.remove(&old.id);
            let (new_id, _) = state.sessions.create(Some(secret.to_string()));
            tracing::info!(name = %p.name, "Console login.");
            with_cookie(redirect("/campaigns"), &state, &new_id)
        }
        Ok(None) => {
            tracing::info!("Console login with an invalid token.");
            login_page(
                StatusCode::UNAUTHORIZED,
                &old,
                Some("That token is not valid."),
            )
        }
        Err(e) => super::error_page(&e),
    }
}

/// POST /logout.
pub(crate) async fn logout(
    State(state): State<AppState>,
    Extension(session): Extension<ConsoleSession>,
    body: Body,
) -> Response {
    let fields = match form_fields(body).await {
        Ok(f) => f,
        Err(e) => return super::error_page(&e),
    };
    if let Err(e) = check_csrf(&fields, &session) {
        return super::error_page(&e);
    }
    state.sessions.remove(&session.id);
    with_cookie(redirect("/login"), &state, "").into_response()
}
