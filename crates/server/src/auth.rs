//! Who is asking: bearer tokens for the API, session cookies for the
//! console, and the role each route needs.
//!
//! One middleware runs before every route (and before the fallback for
//! unknown paths), so nothing is reachable anonymously unless listed in
//! [`is_public`]: `/healthz`, the login page and the static assets.
//! Anonymous API requests get 401; anonymous console requests are sent to
//! the login page.

use crate::{blocking, csrf, ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use haboob_store::{Principal, Role};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Name of the console's session cookie.
pub(crate) const COOKIE: &str = "haboob_session";
/// Longest bearer secret or session id looked at.
const MAX_SECRET: usize = 512;
/// Most console sessions kept at once.
const MAX_SESSIONS: usize = 10_000;
/// Sessions made by opening the login page expire after this.
const ANONYMOUS_TTL: Duration = Duration::from_secs(15 * 60);

/// Paths open to anyone (exact).
pub(crate) fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/login" | "/static/haboob.css" | "/static/haboob.js"
    )
}

/// Fail unless `p` has at least `role`.
pub(crate) fn require(p: &Principal, role: Role) -> Result<(), ApiError> {
    if p.role >= role {
        Ok(())
    } else {
        Err(ApiError::Forbidden(match role {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }))
    }
}

/// The console session of a request (inserted by [`authenticate`]).
#[derive(Debug, Clone)]
pub(crate) struct ConsoleSession {
    /// Session id (the cookie's value).
    pub(crate) id: String,
    /// The session's CSRF token.
    pub(crate) csrf: String,
}

struct Session {
    /// The token the session logged in with; `None` before login.
    secret: Option<String>,
    csrf: String,
    created: Instant,
    last: Instant,
}

/// Server-side console sessions, by random id.
pub(crate) struct Sessions {
    idle: Duration,
    max: Duration,
    map: Mutex<HashMap<String, Session>>,
}

/// A live session's token secret (if logged in) and CSRF token.
pub(crate) struct SessionView {
    pub(crate) secret: Option<String>,
    pub(crate) csrf: String,
}

impl Sessions {
    pub(crate) fn new(idle: Duration, max: Duration) -> Sessions {
        Sessions {
            idle,
            max,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        match self.map.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn live(&self, s: &Session, now: Instant) -> bool {
        let idle = if s.secret.is_some() {
            self.idle
        } else {
            ANONYMOUS_TTL.min(self.idle)
        };
        now.saturating_duration_since(s.last) < idle
            && now.saturating_duration_since(s.created) < self.max
    }

    /// A new session; returns its id and CSRF token.
    pub(crate) fn create(&self, secret: Option<String>) -> (String, String) {
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| self.live(s, now));
        }
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| s.secret.is_some());
        }
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.last)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        let id = csrf::random_token();
        let token = csrf::random_token();
        map.insert(
            id.clone(),
            Session {
                secret,
                csrf: token.clone(),
                created: now,
                last: now,
            },
        );
        (id, token)
    }

    /// The live session `id`, touched; expired sessions are removed.
    pub(crate) fn get(&self, id: &str) -> Option<SessionView> {
        let now = Instant::now();
        let mut map = self.lock();
        let s = map.get(id)?;
        if !self.live(s, now) {
            map.remove(id);
            return None;
        }
        let s = map.get_mut(id)?;
        s.last = now;
        Some(SessionView {
            secret: s.secret.clone(),
            csrf: s.csrf.clone(),
        })
    }

    /// End a session.
    pub(crate) fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Sessions held (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty() && v.len() <= MAX_SECRET)
}

/// `Set-Cookie` for a session id (an empty id clears the cookie).
pub(crate) fn session_cookie(id: &str, secure: bool, max: Duration) -> HeaderValue {
    let age = if id.is_empty() { 0 } else { max.as_secs() };
    let mut v = format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={age}");
    if secure {
        v.push_str("; Secure");
    }
    // The id is hex, so the value is always a valid header.
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = v.split_once(' ')?;
    let secret = secret.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty() && secret.len() <= MAX_SECRET)
        .then_some(secret)
}

/// Verify a token secret against the store.
pub(crate) async fn verify(state: &AppState, secret: &str) -> Result<Option<Principal>, ApiError> {
    let secret = secret.to_string();
    blocking::call(&state.store, move |b| b.verify_token(&secret)).await
}

fn to_login() -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, HeaderValue::from_static("/login"))],
    )
        .into_response()
}

/// Middleware: find the principal, or refuse.
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if is_public(path) {
        return next.run(req).await;
    }
    let api = path == "/api" || path.starts_with("/api/");
    let principal = if api {
        let Some(secret) = bearer(req.headers()) else {
            return ApiError::Unauthenticated.into_response();
        };
        match verify(&state, secret).await {
            Ok(Some(p)) => p,
            Ok(None) => return ApiError::Unauthenticated.into_response(),
            Err(e) => return e.into_response(),
        }
    } else {
        let Some(id) = cookie(req.headers(), COOKIE).map(str::to_string) else {
            return to_login();
        };
        let Some(SessionView {
            secret: Some(secret),
            csrf,
        }) = state.sessions.get(&id)
        else {
            return to_login();
        };
        // Verified on every request, so a revoked token ends its sessions.
        match verify(&state, &secret).await {
            Ok(Some(p)) => {
                req.extensions_mut().insert(ConsoleSession { id, csrf });
                p
            }
            Ok(None) => {
                state.sessions.remove(&id);
                return to_login();
            }
            Err(e) => return crate::console::error_page(&e),
        }
    };
    if let Err(secs) = state.limiter.check(&format!("token:{}", principal.name)) {
        return ApiError::RateLimited(secs).into_response();
    }
    req.extensions_mut().insert(principal);
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_parsing() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; haboob_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer s3cret"),
        );
        assert_eq!(bearer(&h), Some("s3cret"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic s3cret"),
        );
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn sessions_expire_and_are_bounded() {
        let s = Sessions::new(Duration::from_secs(60), Duration::from_secs(3600));
        let (id, csrf) = s.create(Some("secret".into()));
        let v = s.get(&id).expect("live");
        assert_eq!(v.csrf, csrf);
        assert_eq!(v.secret.as_deref(), Some("secret"));
        s.remove(&id);
        assert!(s.get(&id).is_none());
        let zero = Sessions::new(Duration::ZERO, Duration::from_secs(3600));
        let (id, _) = zero.create(None);
        assert!(zero.get(&id).is_none(), "idle timeout");
        assert_eq!(zero.len(), 0);
        for _ in 0..MAX_SESSIONS + 5 {
            s.create(None);
        }
        assert!(s.len() <= MAX_SESSIONS);
    }
}
