//! CSV: one row per alert, with its campaign.

use crate::{campaign_of, csv_cell};
use haboob_hunt::HuntReport;
use std::io::{self, Write};

/// Write alerts as CSV with a header row. Cells are defused against
/// spreadsheet formula injection.
pub fn write_csv(r: &HuntReport, w: &mut dyn Write) -> io::Result<()> {
    write_rows(r, w).map_err(|e| match e.into_kind() {
        // Keep the I/O error itself so a closed pipe is seen as one.
        csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("CSV: {other:?}")),
    })
}

fn write_rows(r: &HuntReport, w: &mut dyn Write) -> csv::Result<()> {
    let camp = campaign_of(r);
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "id",
        "campaign",
        "detector",
        "severity",
        "source_ip",
        "source_prefix",
        "target",
        "user",
        "first_seen",
        "last_seen",
        "count",
        "techniques",
        "title",
        "evidence",
    ])?;
    for a in &r.alerts {
        let ev = a
            .evidence
            .first()
            .map(|e| format!("{}:{}", e.file, e.line))
            .unwrap_or_default();
        out.write_record([
            a.id.clone(),
            camp.get(a.id.as_str()).unwrap_or(&"").to_string(),
            a.detector.clone(),
            a.severity.as_str().to_string(),
            a.source.ip.map(|i| i.to_string()).unwrap_or_default(),
            a.source.prefix.clone().unwrap_or_default(),
            csv_cell(&a.target),
            csv_cell(a.user.as_deref().unwrap_or("")),
            a.first_seen.to_string(),
            a.last_seen.to_string(),
            a.count.to_string(),
            a.techniques.join(" "),
            csv_cell(&a.title),
            csv_cell(&ev),
        ])?;
    }
    out.flush()?;
    Ok(())
}
