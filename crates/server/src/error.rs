//! One error type for the API, turned into a JSON response
//! `{"error": "..."}` with the matching status.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use haboob_store::StoreError;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A query parameter, path segment or body field is invalid (400).
    #[error("{param}: {reason}")]
    BadParam {
        /// The parameter's name.
        param: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The body is not what the endpoint takes (400).
    #[error("bad request body: {0}")]
    BadBody(String),
    /// The body is larger than [`crate::MAX_BODY_BYTES`] (413).
    #[error("request body larger than {0} bytes")]
    TooLarge(usize),
    /// No token, or a token that is not valid (401).
    #[error("authentication required")]
    Unauthenticated,
    /// The token's role is too low (403).
    #[error("this needs the {0} role")]
    Forbidden(&'static str),
    /// Nothing there (404).
    #[error("{0} not found")]
    NotFound(String),
    /// Not allowed in the campaign's current state (409).
    #[error("{0}")]
    Conflict(String),
    /// Too many requests; retry after this many seconds (429).
    #[error("too many requests; retry after {0} s")]
    RateLimited(u64),
    /// The store does not support this yet (501).
    #[error("not supported by this store: {0}")]
    Unsupported(String),
    /// Anything else; logged, shown as a bare 500.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// A bad parameter.
    pub(crate) fn param(param: &str, reason: impl Into<String>) -> ApiError {
        ApiError::BadParam {
            param: crate::text::clean(param, 64),
            reason: reason.into(),
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadParam { .. } | ApiError::BadBody(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unsupported(_) => StatusCode::NOT_IMPLEMENTED,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(crate::text::clean(&what, 200)),
            e @ (StoreError::InvalidTransition { .. } | StoreError::Conflict(_)) => {
                ApiError::Conflict(crate::text::clean(&e.to_string(), 300))
            }
            StoreError::Invalid(what) => ApiError::BadBody(crate::text::clean(&what, 300)),
            StoreError::Unsupported(what) => ApiError::Unsupported(what),
            e => {
                tracing::error!(error = %e, "Store error.");
                ApiError::Internal
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::json!({ "error": self.to_string() });
        let mut resp = (status, axum::Json(body)).into_response();
        if let ApiError::RateLimited(secs) = self {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"haboob\""),
            );
        }
        resp
    }
}
