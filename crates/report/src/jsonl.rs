//! JSON Lines: campaigns, then the background summary (when any), then
//! alerts, then one summary object.

use crate::campaign_of;
use haboob_hunt::HuntReport;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Tagged<'a, T: Serialize> {
    kind: &'static str,
    #[serde(flatten)]
    inner: &'a T,
    #[serde(skip_serializing_if = "Option::is_none")]
    campaign: Option<&'a str>,
}

#[derive(Serialize)]
struct Summary<'a> {
    kind: &'static str,
    lines: u64,
    parsed: u64,
    rejected: u64,
    #[serde(skip_serializing_if = "is_zero")]
    partial: u64,
    files: u64,
    bytes: u64,
    campaigns: usize,
    alerts: usize,
    suppressed: u64,
    errors: &'a [String],
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Write the report as JSON Lines: `{"kind":"campaign",…}` objects, then
/// one `{"kind":"background",…}` when one-off probes were summarised, then
/// `{"kind":"alert",…,"campaign":id}` (`"background"` for those probes),
/// then `{"kind":"summary",…}`.
pub fn write_jsonl(r: &HuntReport, w: &mut dyn Write) -> io::Result<()> {
    let camp = campaign_of(r);
    for c in &r.campaigns {
        serde_json::to_writer(
            &mut *w,
            &Tagged {
                kind: "campaign",
                inner: c,
                campaign: None,
            },
        )?;
        w.write_all(b"\n")?;
    }
    if !r.background.is_empty() {
        serde_json::to_writer(
            &mut *w,
            &Tagged {
                kind: "background",
                inner: &r.background,
                campaign: None,
            },
        )?;
        w.write_all(b"\n")?;
    }
    for a in &r.alerts {
        serde_json::to_writer(
            &mut *w,
            &Tagged {
                kind: "alert",
                inner: &*a,
                campaign: camp.get(a.id.as_str()).copied(),
            },
        )?;
        w.write_all(b"\n")?;
    }
    serde_json::to_writer(
        &mut *w,
        &Summary {
            kind: "summary",
            lines: r.stats.lines,
            parsed: r.stats.parsed,
            rejected: r.stats.rejected,
            partial: r.stats.partial,
            files: r.stats.files,
            bytes: r.stats.bytes,
            campaigns: r.campaigns.len(),
            alerts: r.alerts.len(),
            suppressed: r.suppressed,
            errors: &r.errors,
        },
    )?;
    w.write_all(b"\n")
}
