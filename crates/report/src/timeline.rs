//! The Sigma timeline: one row per rule hit, sorted by time (what Hayabusa
//! and Chainsaw users work from), as CSV or JSON Lines; and the per-rule hit
//! summary.

use crate::{csv_cell, terminal};
use haboob_hunt::sigma::{RuleSummary, TimelineRow};
use std::io::{self, Write};

/// A timeline's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineFormat {
    /// CSV with a header row, cells defused against formula injection.
    Csv,
    /// One JSON object per row.
    Jsonl,
}

impl TimelineFormat {
    /// From a file name: `.jsonl`/`.ndjson`/`.json` → JSON Lines, else CSV.
    pub fn for_path(p: &std::path::Path) -> TimelineFormat {
        match p.extension().and_then(|e| e.to_str()) {
            Some("jsonl" | "ndjson" | "json") => TimelineFormat::Jsonl,
            _ => TimelineFormat::Csv,
        }
    }
}

/// Write the rows.
pub fn write_timeline(
    rows: &[TimelineRow],
    format: TimelineFormat,
    w: &mut dyn Write,
) -> io::Result<()> {
    match format {
        TimelineFormat::Jsonl => {
            for r in rows {
                serde_json::to_writer(&mut *w, r)?;
                w.write_all(b"\n")?;
            }
            w.flush()
        }
        TimelineFormat::Csv => write_csv(rows, w).map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(io) => io,
            other => io::Error::other(format!("CSV: {other:?}")),
        }),
    }
}

fn write_csv(rows: &[TimelineRow], w: &mut dyn Write) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "timestamp",
        "rule_id",
        "rule_title",
        "level",
        "family",
        "event_id",
        "source",
        "target",
        "user",
        "file",
        "line",
    ])?;
    for r in rows {
        out.write_record([
            r.timestamp.to_string(),
            csv_cell(&r.rule_id),
            csv_cell(&r.rule_title),
            r.level.clone(),
            r.family.clone(),
            r.event_id.map(|n| n.to_string()).unwrap_or_default(),
            r.source.map(|i| i.to_string()).unwrap_or_default(),
            csv_cell(&r.target),
            csv_cell(&r.user),
            csv_cell(&r.file),
            r.line.to_string(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// The per-rule summary as text lines for a terminal: hits, level, id, title.
pub fn write_rule_summary(rules: &[RuleSummary], w: &mut dyn Write) -> io::Result<()> {
    if rules.is_empty() {
        return writeln!(w, "Sigma: no rule matched");
    }
    writeln!(w, "Sigma rules that matched ({}):", rules.len())?;
    for r in rules {
        writeln!(
            w,
            "  {:>8}  {:<13} {}  {}",
            r.hits,
            r.level,
            terminal(&r.rule_id, 64),
            terminal(&r.title, 120)
        )?;
    }
    Ok(())
}
