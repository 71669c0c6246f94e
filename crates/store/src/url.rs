//! Store URLs: `sqlite:PATH`, a plain path, or `postgres://…`.

use crate::{Result, StoreError};
use std::path::PathBuf;

/// Where a store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    Sqlite(PathBuf),
    /// The URL as given (with its password: it is needed to connect).
    Postgres(String),
}

pub(crate) fn parse(url: &str) -> Result<Location> {
    let bad = |reason: &str| StoreError::BadUrl {
        url: redact_url(url),
        reason: reason.to_string(),
    };
    if url.trim().is_empty() {
        return Err(bad("empty"));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Location::Postgres(url.to_string()));
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        // sqlite:///abs/path and sqlite://rel are accepted as well as sqlite:path.
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path.is_empty() {
            return Err(bad("no path after sqlite:"));
        }
        return Ok(Location::Sqlite(PathBuf::from(path)));
    }
    if let Some((scheme, _)) = url.split_once("://") {
        if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+')
        {
            return Err(bad(
                "unknown scheme (expected sqlite:PATH, a path, or postgres://…)",
            ));
        }
    }
    Ok(Location::Sqlite(PathBuf::from(url)))
}

/// `url` without its password (in `user:password@` or a `password=` parameter).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{user}@{host}")
        }
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|kv| !kv.to_ascii_lowercase().starts_with("password="))
                .collect();
            if kept.is_empty() {
                path.to_string()
            } else {
                format!("{path}?{}", kept.join("&"))
            }
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// The default SQLite store: `$XDG_DATA_HOME/haboob/haboob.db`, else
/// `~/.local/share/haboob/haboob.db`; `None` when neither variable is set.
pub fn default_sqlite_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/share"))
        })?;
    Some(base.join("haboob").join("haboob.db"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        assert_eq!(
            parse("sqlite:/tmp/a.db").unwrap(),
            Location::Sqlite("/tmp/a.db".into())
        );
        assert_eq!(
            parse("sqlite:///tmp/a.db").unwrap(),
            Location::Sqlite("/tmp/a.db".into())
        );
        assert_eq!(parse("a.db").unwrap(), Location::Sqlite("a.db".into()));
        assert!(matches!(
            parse("postgres://u:p@h/db").unwrap(),
            Location::Postgres(_)
        ));
        assert!(matches!(
            parse("mysql://h/db"),
            Err(StoreError::BadUrl { .. })
        ));
        assert!(matches!(parse(""), Err(StoreError::BadUrl { .. })));
        assert!(matches!(parse("sqlite:"), Err(StoreError::BadUrl { .. })));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://haboob:s3cret@127.0.0.1:55432/haboob?sslmode=disable"),
            "postgres://haboob@127.0.0.1:55432/haboob?sslmode=disable"
        );
        assert_eq!(
            redact_url("postgres://h/db?user=a&password=s3cret"),
            "postgres://h/db?user=a"
        );
        assert_eq!(redact_url("sqlite:/tmp/a.db"), "sqlite:/tmp/a.db");
        assert_eq!(redact_url("postgres://u@h"), "postgres://u@h");
    }
}
