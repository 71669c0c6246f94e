//! `--store` on `hunt` and `demo`: where the store is, and saving a hunt's
//! results in it.

use crate::args::Globals;
use anyhow::{Context, Result};
use haboob_hunt::{HuntReport, Targets};
use haboob_store::{HuntWrite, SaveSummary, Store};
use std::path::PathBuf;

/// The default store's folder: `$XDG_DATA_HOME/haboob`, else
/// `~/.local/share/haboob`.
fn default_path() -> Result<PathBuf> {
    haboob_store::default_sqlite_path().context(
        "no default store location (neither XDG_DATA_HOME nor HOME is set): give --store PATH",
    )
}

/// Environment variable naming the store `default` stands for (a team's
/// PostgreSQL URL, say), so every command finds it without `--store URL`.
pub const STORE_ENV: &str = "HABOOB_STORE";

/// A `--store` value as a store URL: `default` (or no value) is
/// `$HABOOB_STORE` when set and not empty, else the default SQLite store.
pub fn resolve(arg: &str) -> Result<String> {
    let arg = arg.trim();
    if arg.is_empty() || arg == "default" {
        if let Some(url) = std::env::var_os(STORE_ENV) {
            let url = url.to_string_lossy().trim().to_string();
            if !url.is_empty() && url != "default" {
                return Ok(url);
            }
        }
        return Ok(format!("sqlite:{}", default_path()?.display()));
    }
    Ok(arg.to_string())
}

/// The demo's default store: `haboob-demo.db` in the kept folder, else
/// beside the default store.
pub fn demo_default(keep: Option<&std::path::Path>) -> Result<String> {
    let path = match keep {
        Some(dir) => dir.join("haboob-demo.db"),
        None => default_path()?.with_file_name("haboob-demo.db"),
    };
    Ok(format!("sqlite:{}", path.display()))
}

/// Save a hunt (alerts, the complete set of campaigns, declared targets)
/// and print one line saying what changed.
pub fn save(g: &Globals, url: &str, report: &HuntReport, targets: &Targets) -> Result<SaveSummary> {
    let store = open(url)?;
    save_run(g, &store, report, targets, &[], &[])
}

/// Open the store at `url`, the error naming it (password removed).
pub fn open(url: &str) -> Result<Store> {
    Store::open(url).with_context(|| format!("store {}", shown(url)))
}

fn shown(url: &str) -> String {
    haboob_report::terminal(&haboob_store::redact_url(url), 400)
}

/// [`save`] into an open store, in one transaction with the retracted
/// alert ids and the checkpoints of an incremental hunt.
pub fn save_run(
    g: &Globals,
    store: &Store,
    report: &HuntReport,
    targets: &Targets,
    retract: &[String],
    checkpoints: &[(&str, &[u8])],
) -> Result<SaveSummary> {
    let contacts = targets.contacts();
    let targets: Vec<haboob_model::Target> = targets.iter().cloned().collect();
    let sum = store
        .save_hunt(&HuntWrite {
            ran_at: haboob_model::Ts::now(),
            alerts: &report.alerts,
            retract_alerts: retract,
            campaigns: &report.campaigns,
            campaigns_complete: true,
            targets: &targets,
            contacts: &contacts,
            checkpoints,
        })
        .with_context(|| format!("store {}", shown(store.url())))?;
    if !g.quiet {
        eprintln!(
            "stored {} alerts ({} new, {} updated), {} campaigns in {}",
            report.alerts.len(),
            sum.alerts_new,
            sum.alerts_updated,
            report.campaigns.len(),
            haboob_report::terminal(store.url(), 400)
        );
    }
    Ok(sum)
}

/// `s` as one shell word (single-quoted unless plainly safe), for a
/// command line to copy.
pub fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./:@%+=,-".contains(&b));
    if plain {
        s.to_string()
    } else {
        format!(
            "'{}'",
            haboob_report::terminal(s, 4096).replace('\'', "'\\''")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("sqlite:/tmp/a.db"), "sqlite:/tmp/a.db");
        assert_eq!(
            shell_word("sqlite:/tmp/my dir/a.db"),
            "'sqlite:/tmp/my dir/a.db'"
        );
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }
}
