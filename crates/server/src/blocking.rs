//! Store calls from async handlers.

use haboob_store::{Result, Store};
use std::sync::Arc;

/// Run a store call on the blocking pool (the store is synchronous; the
/// PostgreSQL client may not block inside the runtime).
pub(crate) async fn call<T, F>(store: &Arc<Store>, f: F) -> std::result::Result<T, crate::ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> Result<T> + Send + 'static,
{
    let s = store.clone();
    match tokio::task::spawn_blocking(move || f(s.as_ref())).await {
        Ok(r) => r.map_err(crate::ApiError::from),
        Err(e) => {
            tracing::error!(error = %e, "Store call panicked or was cancelled.");
            Err(crate::ApiError::Internal)
        }
    }
}
