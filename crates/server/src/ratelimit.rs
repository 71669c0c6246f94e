//! Rate limits: a token bucket per client address (before authentication,
//! so guessing tokens is slow too) and one per token name (after it).
//! Over the limit: 429 with `Retry-After`.

use crate::{ApiError, AppState};
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Requests allowed: `burst` at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Requests allowed in a burst (the bucket's size).
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_second: 20.0,
            burst: 120,
        }
    }
}

/// Most buckets kept; past it, full (idle) buckets are dropped first.
const MAX_BUCKETS: usize = 100_000;

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets by key (`ip:ADDR` or `token:NAME`).
pub(crate) struct Limiter {
    rate: RateLimit,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Limiter {
    pub(crate) fn new(rate: RateLimit) -> Limiter {
        Limiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take one request from `key`'s bucket; `Err(seconds)` to wait when empty.
    pub(crate) fn check(&self, key: &str) -> Result<(), u64> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), u64> {
        let burst = f64::from(self.rate.burst.max(1));
        let per_second = self.rate.per_second.max(1e-6);
        let mut map = match self.buckets.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        if map.len() >= MAX_BUCKETS && !map.contains_key(key) {
            map.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_second < burst
            });
            if map.len() >= MAX_BUCKETS {
                // Every bucket is in use: refuse newcomers rather than grow.
                return Err(1);
            }
        }
        let b = map.entry(key.to_string()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * per_second).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - b.tokens) / per_second).ceil();
            Err((wait as u64).max(1))
        }
    }
}

/// The client's address as the listener saw it (`local` in tests that
/// call the router without a socket).
pub(crate) fn client_key(req: &Request) -> String {
    match req.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(addr)) => format!("ip:{}", addr.ip()),
        None => "ip:local".to_string(),
    }
}

/// Middleware: limit by client address.
pub(crate) async fn limit_by_address(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if req.uri().path() == "/healthz" {
        return next.run(req).await;
    }
    match state.limiter.check(&client_key(&req)) {
        Ok(()) => next.run(req).await,
        Err(secs) => ApiError::RateLimited(secs).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_empties_and_refills() {
        let l = Limiter::new(RateLimit {
            per_second: 2.0,
            burst: 3,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.check_at("ip:a", t0), Ok(()));
        }
        assert_eq!(l.check_at("ip:a", t0), Err(1));
        // Another key has its own bucket.
        assert_eq!(l.check_at("ip:b", t0), Ok(()));
        // Half a second gives one request back.
        assert_eq!(l.check_at("ip:a", t0 + Duration::from_millis(500)), Ok(()));
        assert_eq!(l.check_at("ip:a", t0 + Duration::from_millis(500)), Err(1));
        let slow = Limiter::new(RateLimit {
            per_second: 0.1,
            burst: 1,
        });
        assert_eq!(slow.check_at("k", t0), Ok(()));
        assert_eq!(slow.check_at("k", t0), Err(10));
    }
}
