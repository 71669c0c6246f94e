//! Test-only: where haboob's real-data corpus is, and what a test does when
//! it is not there.
//!
//! The corpus is a set of public log samples (web access logs, sign-in
//! exports, Windows event logs, CrowdSec hub tests, ...) pinned file by file
//! in `corpus/manifest.tsv` (source repository, commit, licence, SHA-256).
//! It is not in the repository; real-data tests find it here.
//!
//! # Where the corpus is looked for
//!
//! [`corpus_dir`] returns the first of:
//! 1. `$HABOOB_CORPUS`, when the variable is set and not empty. It is then the
//!    only place looked at: if it is not a directory, there is no corpus
//!    (`HABOOB_CORPUS=/nonexistent` forces the no-corpus path).
//! 2. `<workspace>/../shared/corpus`, the copy beside the clone.
//! 3. The download cache, [`cache_dir`]: `$XDG_CACHE_HOME/haboob/corpus`, or
//!    `~/.cache/haboob/corpus` when `XDG_CACHE_HOME` is unset. It counts only
//!    once `scripts/corpus.sh` has finished and verified every hash (it then
//!    writes the stamp file [`VERIFIED_STAMP`] there).
//!
//! # In a test
//!
//! ```no_run
//! # fn read_all(_: &std::path::Path) {}
//! #[test]
//! fn apache_logs_parse() {
//!     // The corpus root, or skip: one line on stderr saying how to get it.
//!     let Some(corpus) = haboob_testdata::corpus_or_skip("apache_logs_parse") else {
//!         return;
//!     };
//!     read_all(&corpus.join("weblogs/elastic-examples/apache_logs"));
//! }
//! ```
//!
//! or, for one file (also skips when the file is one of the few `derived`
//! files that `scripts/corpus.sh` cannot download):
//!
//! ```no_run
//! let Some(path) = haboob_testdata::corpus_file_or_skip(
//!     "okta_events",
//!     "signin/panther-analysis/rules/okta_rules",
//! ) else {
//!     return;
//! };
//! ```
//!
//! A skipped test passes; the skip line is written straight to the process's
//! stderr, so it shows even though the test harness captures test output:
//!
//! ```text
//! skipped apache_logs_parse: no real-data corpus (HABOOB_CORPUS unset, no ../shared/corpus, no verified download in /home/u/.cache/haboob/corpus); get it: scripts/corpus.sh (downloads and verifies it) or set HABOOB_CORPUS=<dir>
//! ```
//!
//! **Under CI (`CI=true` or `CI=1`) a missing corpus is a panic, never a
//! skip**, so a CI run cannot silently test less.
//!
//! Converting a local helper of the form
//! `fn corpus(rel: &str) -> PathBuf { PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/")).join(rel) }`:
//! add `haboob-testdata.workspace = true` to the crate's
//! `[dev-dependencies]`, then at the top of each real-data test
//! `let Some(root) = haboob_testdata::corpus_or_skip("<test name>") else { return };`
//! and use `root.join(rel)`.
//!
//! This crate is std-only and never published.

#![deny(missing_docs)]

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Environment variable naming the corpus directory.
pub const CORPUS_ENV: &str = "HABOOB_CORPUS";

/// File `scripts/corpus.sh` writes in its destination once every hash is
/// verified; the download cache counts as a corpus only when it is there.
pub const VERIFIED_STAMP: &str = ".verified";

/// How to get the corpus, as printed in skip and failure messages.
pub const HOW_TO_GET: &str =
    "get it: scripts/corpus.sh (downloads and verifies it) or set HABOOB_CORPUS=<dir>";

/// The manifest: one row per corpus file (see its header).
const MANIFEST: &str = include_str!("../../../corpus/manifest.tsv");

/// Where a corpus was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `$HABOOB_CORPUS`.
    Env,
    /// `<workspace>/../shared/corpus`.
    Shared,
    /// The verified download cache.
    Cache,
}

/// The outcome of looking for the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Found, with where.
    Found(PathBuf, Origin),
    /// Not found; the text says what was looked at.
    Missing(String),
}

/// `<workspace>/../shared/corpus`: the copy beside the clone.
pub fn shared_dir() -> PathBuf {
    // This crate sits at <workspace>/crates/testdata.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

/// The download cache `scripts/corpus.sh` fills by default:
/// `$XDG_CACHE_HOME/haboob/corpus`, else `$HOME/.cache/haboob/corpus`
/// (None when neither variable gives an absolute path).
pub fn cache_dir() -> Option<PathBuf> {
    cache_dir_from(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"))
}

fn cache_dir_from(xdg: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let absolute = |v: Option<OsString>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    absolute(xdg)
        .or_else(|| absolute(home).map(|h| h.join(".cache")))
        .map(|c| c.join("haboob").join("corpus"))
}

/// Looks for the corpus in the documented order (see the crate docs).
pub fn lookup() -> Lookup {
    lookup_in(
        std::env::var_os(CORPUS_ENV),
        &shared_dir(),
        cache_dir().as_deref(),
    )
}

fn lookup_in(env: Option<OsString>, shared: &Path, cache: Option<&Path>) -> Lookup {
    if let Some(dir) = env.filter(|v| !v.is_empty()).map(PathBuf::from) {
        return if dir.is_dir() {
            Lookup::Found(dir, Origin::Env)
        } else {
            Lookup::Missing(format!("{CORPUS_ENV}={} is not a directory", dir.display()))
        };
    }
    if shared.is_dir() {
        return Lookup::Found(shared.to_path_buf(), Origin::Shared);
    }
    if let Some(cache) = cache {
        if cache.join(VERIFIED_STAMP).is_file() {
            return Lookup::Found(cache.to_path_buf(), Origin::Cache);
        }
    }
    let cache = cache.map_or_else(|| "no cache dir".to_string(), |c| c.display().to_string());
    Lookup::Missing(format!(
        "{CORPUS_ENV} unset, no ../shared/corpus, no verified download in {cache}"
    ))
}

/// The corpus directory, if there is one (see the crate docs for the order).
pub fn corpus_dir() -> Option<PathBuf> {
    match lookup() {
        Lookup::Found(dir, _) => Some(dir),
        Lookup::Missing(_) => None,
    }
}

/// True under CI: `CI` is `true` or `1` (any case).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Skips (one line on stderr, returns None) or, under CI, panics.
fn skip<T>(test: &str, why: &str, ci: bool) -> Option<T> {
    if ci {
        panic!("{test}: {why}, and CI is set, so the test may not skip; {HOW_TO_GET}");
    }
    // Straight to the process's stderr: the test harness captures eprintln!,
    // and the skip must show.
    let line = format!("skipped {test}: {why}; {HOW_TO_GET}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    None
}

/// The corpus root for a real-data test, or None after one stderr line
/// (`skipped <test>: ...; get it: ...`) when there is no corpus.
///
/// # Panics
/// When there is no corpus and `CI` is set ([`in_ci`]).
pub fn corpus_or_skip(test: &str) -> Option<PathBuf> {
    match lookup() {
        Lookup::Found(dir, _) => Some(dir),
        Lookup::Missing(why) => skip(test, &format!("no real-data corpus ({why})"), in_ci()),
    }
}

/// `<corpus>/<rel>` (a file or a folder) for a real-data test, or None after
/// one stderr line when there is no corpus, or when the corpus is the
/// download cache and `rel` is a `derived` file the download cannot fetch.
/// A folder is returned whenever it exists.
///
/// # Panics
/// When the corpus was found but lacks `rel` (an incomplete or stale copy:
/// the message names it), or, under CI, instead of skipping.
pub fn corpus_file_or_skip(test: &str, rel: &str) -> Option<PathBuf> {
    file_or_skip(lookup(), test, rel, in_ci())
}

fn file_or_skip(found: Lookup, test: &str, rel: &str, ci: bool) -> Option<PathBuf> {
    let (root, origin) = match found {
        Lookup::Found(dir, origin) => (dir, origin),
        Lookup::Missing(why) => return skip(test, &format!("no real-data corpus ({why})"), ci),
    };
    let path = root.join(rel);
    if path.exists() {
        return Some(path);
    }
    if origin == Origin::Cache && is_derived(rel) {
        let why = format!(
            "{rel} is a derived file (corpus/manifest.tsv), which the download in {} cannot hold",
            root.display()
        );
        return skip(test, &why, ci);
    }
    panic!(
        "{test}: the corpus at {} has no {rel}: an incomplete or stale copy (re-run scripts/corpus.sh, or check corpus/manifest.tsv)",
        root.display()
    );
}

/// One `file` row of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFile<'a> {
    /// Lower-case hex SHA-256 of the content.
    pub sha256: &'a str,
    /// Size in bytes.
    pub bytes: u64,
    /// Path inside the corpus.
    pub path: &'a str,
    /// `raw`, `zip` or `derived`.
    pub kind: &'a str,
    /// Key of the `source` row it comes from.
    pub source: &'a str,
}

/// The manifest's `file` rows (rows that do not parse are skipped here; the
/// crate's tests check that there are none).
pub fn manifest_files() -> impl Iterator<Item = ManifestFile<'static>> {
    MANIFEST.lines().filter_map(|line| {
        let mut c = line.split('\t');
        if c.next()? != "file" {
            return None;
        }
        Some(ManifestFile {
            sha256: c.next()?,
            bytes: c.next()?.parse().ok()?,
            path: c.next()?,
            kind: c.next()?,
            source: c.next()?,
        })
    })
}

/// Whether the manifest lists `rel` (or a file under it) as `derived`.
fn is_derived(rel: &str) -> bool {
    let rel = rel.trim_end_matches('/');
    manifest_files().any(|f| {
        f.kind == "derived"
            && (f.path == rel
                || f.path
                    .strip_prefix(rel)
                    .is_some_and(|rest| rest.starts_with('/')))
    })
}

#[cfg(test)]
mod tests;
