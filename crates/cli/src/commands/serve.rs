//! `haboob serve`: the HTTP API and web console over a store.

use crate::args::ServeArgs;
use anyhow::{Context, Result};
use haboob_server::{RateLimit, ServerConfig};
use std::sync::Arc;

/// Run the server until Ctrl-C or SIGTERM.
pub fn run(a: &ServeArgs) -> Result<u8> {
    let url = crate::commands::store::resolve(&a.store)?;
    let shown = haboob_report::terminal(&haboob_store::redact_url(&url), 400);
    let store =
        haboob_store::Store::open(&url).with_context(|| format!("cannot open store {shown}"))?;
    let config = ServerConfig {
        rate: RateLimit {
            per_second: a.rate,
            burst: a.burst,
        },
        secure_cookies: a.secure_cookies,
        ..ServerConfig::default()
    };
    let app = haboob_server::app(Arc::new(store), config);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&a.listen)
            .await
            .with_context(|| format!("cannot listen on {}", a.listen))?;
        let addr = listener.local_addr().context("listener address")?;
        if !addr.ip().is_loopback() && !a.secure_cookies {
            tracing::warn!(%addr, "Serving beyond loopback without --secure-cookies; put it behind TLS.");
        }
        eprintln!("haboob: serving http://{addr}/ (console) and http://{addr}/api/v1 (API); Ctrl-C stops");
        haboob_server::serve(listener, app, shutdown())
            .await
            .context("server failed")
    })?;
    Ok(0)
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
