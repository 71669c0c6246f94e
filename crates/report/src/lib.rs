//! Printers for hunt results: a terminal report ([`write_table`]), JSON Lines
//! ([`write_jsonl`]) and CSV ([`write_csv`]). Attacker-controlled text (user
//! agents, paths, user names) is escaped for the terminal and defused for
//! spreadsheets; JSON escaping is serde_json's.
#![deny(missing_docs)]

mod csv_out;
mod escape;
mod jsonl;
mod table;
mod timeline;

pub use csv_out::write_csv;
pub use escape::{csv_cell, terminal};
pub use jsonl::write_jsonl;
pub use table::{write_table, TableOptions};
pub use timeline::{write_rule_summary, write_timeline, TimelineFormat};

use haboob_hunt::HuntReport;
use std::collections::BTreeMap;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Human report for a terminal.
    Table,
    /// One JSON object per line.
    Jsonl,
    /// Alerts as CSV rows.
    Csv,
}

/// The one-line accounting: `N lines, N parsed, N rejected, N files`.
pub fn accounting(r: &HuntReport) -> String {
    accounting_of(&r.stats)
}

/// [`accounting`] of read counts; `N parsed (M in part)` when some records
/// were read in part (a Windows sign-in read only as its Windows event).
pub fn accounting_of(s: &haboob_ingest::ReadStats) -> String {
    let part = if s.partial > 0 {
        format!(" ({} in part)", s.partial)
    } else {
        String::new()
    };
    format!(
        "{} lines, {} parsed{part}, {} rejected, {} files",
        s.lines, s.parsed, s.rejected, s.files
    )
}

/// What an alert summarised as background exploitation shows as its campaign.
pub const BACKGROUND: &str = "background";

/// Map alert id → campaign id ([`BACKGROUND`] for one-off probes).
pub fn campaign_of(r: &HuntReport) -> BTreeMap<&str, &str> {
    let mut m = BTreeMap::new();
    for a in &r.background.alert_ids {
        m.insert(a.as_str(), BACKGROUND);
    }
    for c in &r.campaigns {
        for a in &c.alerts {
            m.insert(a.as_str(), c.id.as_str());
        }
    }
    m
}
