//! Throwaway databases for tests (feature `test-support`): a SQLite file in
//! a temporary folder, or a fresh schema on the PostgreSQL server named by
//! `$HABOOB_PG_URL`, dropped with the [`Scratch`].
//!
//! One place for what the store, server and command-line tests all need:
//! PostgreSQL tests are skipped (with a line on stderr) when the variable is
//! unset, and fail when it is unset under `CI=true`, so CI cannot pass by
//! skipping them.

use crate::Store;
use std::path::PathBuf;

/// Where a test's store lives; removed when dropped (drop the [`Store`]s
/// opened on it first).
#[derive(Debug)]
pub struct Scratch {
    /// The URL to open the store with (PostgreSQL: with the password and
    /// the test's schema as search path).
    pub url: String,
    /// The database file (SQLite).
    pub path: Option<PathBuf>,
    /// The temporary folder (SQLite).
    _dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the server URL and the test's schema.
    pg: Option<(String, String)>,
}

impl Scratch {
    /// A SQLite file in a fresh temporary folder.
    pub fn sqlite() -> Scratch {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("haboob.db");
        Scratch {
            url: format!("sqlite:{}", path.display()),
            path: Some(path),
            _dir: Some(dir),
            pg: None,
        }
    }

    /// A fresh schema named after `test` and the process on
    /// `$HABOOB_PG_URL`; `None` (and a line on stderr) when the variable is
    /// unset, a panic when it is unset under `CI=true`.
    pub fn postgres(test: &str) -> Option<Scratch> {
        let base = match std::env::var("HABOOB_PG_URL") {
            Ok(u) if !u.is_empty() => u,
            _ => {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!(
                        "{test}: HABOOB_PG_URL unset under CI=true (scripts/ci/postgres.sh sets it)"
                    );
                }
                eprintln!("skipped {test} on PostgreSQL: HABOOB_PG_URL unset");
                return None;
            }
        };
        let name: String = test
            .chars()
            .map(|c| match c.to_ascii_lowercase() {
                c @ ('a'..='z' | '0'..='9') => c,
                _ => '_',
            })
            .take(40)
            .collect();
        let schema = format!("t_{name}_{}", std::process::id());
        let mut admin =
            postgres::Client::connect(&base, postgres::NoTls).expect("connect to HABOOB_PG_URL");
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};"
            ))
            .expect("fresh schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(Scratch {
            url: format!("{base}{sep}options=-c%20search_path%3D{schema}"),
            path: None,
            _dir: None,
            pg: Some((base, schema)),
        })
    }

    /// Open (and migrate) the store.
    pub fn open(&self) -> Store {
        Store::open(&self.url).unwrap_or_else(|e| panic!("open {}: {e}", self.url))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.pg {
            if let Ok(mut c) = postgres::Client::connect(base, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}
