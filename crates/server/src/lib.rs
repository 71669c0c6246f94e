//! The haboob HTTP API and web console, over a [`haboob_store::Store`].
//!
//! [`app`] builds the whole [`axum::Router`]: the JSON API under `/api/v1`
//! (described by the OpenAPI document at `/api/v1/openapi.json`), the
//! server-rendered console (`/login`, `/campaigns`, `/organisations`, …),
//! the static assets and `/healthz`. Every route but `/healthz`, the login
//! page and the static assets needs a token: `Authorization: Bearer SECRET`
//! for the API, a session cookie (made by logging in with a token) for the
//! console. Roles: viewer < analyst < admin. [`serve`] runs the router on a
//! listener until a shutdown future resolves.
//!
//! The store is synchronous: handlers call it through
//! `tokio::task::spawn_blocking`. The server takes the [`Store`] itself
//! (SQLite or PostgreSQL); its tests run on both.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use std::sync::Arc;
//! let store = haboob_store::Store::open("sqlite:haboob.db").expect("store");
//! let app = haboob_server::app(Arc::new(store), haboob_server::ServerConfig::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! haboob_server::serve(listener, app, std::future::pending()).await
//! # }
//! ```
#![deny(missing_docs)]

mod api;
mod auth;
mod blocking;
mod console;
mod csrf;
mod error;
mod headers;
mod openapi;
mod ratelimit;
mod text;

pub use api::ROUTES as API_ROUTES;
pub use error::ApiError;
pub use openapi::document as openapi_document;
pub use ratelimit::RateLimit;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use haboob_store::Store;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Largest request body accepted (JSON actions, console forms).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Requests allowed per client address and per token.
    pub rate: RateLimit,
    /// Mark the session cookie `Secure` (set when served over HTTPS, e.g.
    /// behind a TLS-terminating proxy).
    pub secure_cookies: bool,
    /// Console sessions end after this long without a request.
    pub session_idle: Duration,
    /// Console sessions end after this long in any case.
    pub session_max: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            rate: RateLimit::default(),
            secure_cookies: false,
            session_idle: Duration::from_secs(30 * 60),
            session_max: Duration::from_secs(12 * 3600),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) store: Arc<Store>,
    pub(crate) sessions: Arc<auth::Sessions>,
    pub(crate) limiter: Arc<ratelimit::Limiter>,
    pub(crate) config: Arc<ServerConfig>,
}

/// The whole router: API, console, static assets, `/healthz`, with
/// authentication, rate limiting and security headers applied to every
/// route (and to unknown paths).
pub fn app(store: Arc<Store>, config: ServerConfig) -> Router {
    let state = AppState {
        store,
        sessions: Arc::new(auth::Sessions::new(config.session_idle, config.session_max)),
        limiter: Arc::new(ratelimit::Limiter::new(config.rate)),
        config: Arc::new(config),
    };
    Router::new()
        .nest("/api/v1", api::router())
        .merge(console::router())
        .route("/healthz", axum::routing::get(healthz))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ratelimit::limit_by_address,
        ))
        .layer(axum::middleware::from_fn(headers::security_headers))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn not_found(
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> axum::response::Response {
    if uri.path() == "/api" || uri.path().starts_with("/api/") {
        axum::response::IntoResponse::into_response(ApiError::NotFound("no such endpoint".into()))
    } else {
        console::not_found_page()
    }
}

/// Serve `app` on `listener` (client addresses feed the rate limiter) until
/// `shutdown` resolves, then finish the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
