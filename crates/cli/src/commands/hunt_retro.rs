//! `haboob hunt --store URL --retro`: read again the inputs the store's
//! incremental hunts read, for the indicators imported since the last
//! retro-hunt only (see `haboob_hunt::retro`).
//!
//! The cursor is the number of the last import hunted for, kept in the
//! store as the checkpoint [`RETRO_KEY`] (decimal text); it moves in the
//! same transaction that saves the new alerts and the hunt checkpoint that
//! carries them, so a retro-hunt killed before it saves is simply run
//! again. The hunt checkpoint's read positions do not move.

use crate::args::{Globals, HuntArgs};
use crate::output::{self, Output};
use anyhow::{bail, Context, Result};
use haboob_hunt::incremental::hunt_incremental;
use haboob_hunt::retro::{retro_hunt, with_alerts};
use haboob_hunt::{HuntOptions, HuntReport};
use haboob_intel::{BuildOptions, IntelIndex};
use haboob_report::{terminal, OutputFormat};
use haboob_store::IndicatorQuery;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The store's key of the retro-hunt cursor.
pub const RETRO_KEY: &str = "retro";

/// Names listed per kind of note (missing, moved, errors).
const SHOWN: usize = 10;

fn list(g: &Globals, what: &str, lines: &[String]) {
    if g.quiet || lines.is_empty() {
        return;
    }
    eprintln!("{what}: {}", lines.len());
    for l in lines.iter().take(SHOWN) {
        eprintln!("  {}", terminal(l, 400));
    }
    if lines.len() > SHOWN {
        eprintln!("  … and {} more", lines.len() - SHOWN);
    }
}

/// Run the retro-hunt: exit 0 = nothing new, 1 = new alerts, 2 = a
/// recorded input could not be read.
pub fn run(g: &Globals, a: &HuntArgs, opts: &HuntOptions, out_format: OutputFormat) -> Result<u8> {
    let Some(arg) = a.store.as_deref() else {
        bail!("--retro needs --store");
    };
    let url = super::store::resolve(arg)?;
    let st = super::store::open(&url)?;
    let shown = terminal(st.url(), 400);
    let key = super::hunt_store::CHECKPOINT_KEY;
    let Some(prev) = st
        .checkpoint(key)
        .with_context(|| format!("store {shown}"))?
    else {
        bail!("store {shown}: no incremental hunt recorded (hunt --store URL PATH... first): nothing to read again");
    };
    let cursor: i64 = match st.checkpoint(RETRO_KEY)? {
        Some(b) => std::str::from_utf8(&b)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .with_context(|| format!("store {shown}: the retro-hunt cursor is not a number"))?,
        None => 0,
    };
    let last = st.last_import()?;
    let new = st.indicators(&IndicatorQuery {
        import_after: Some(cursor),
        import_through: Some(last),
        ..Default::default()
    })?;
    if new.is_empty() {
        if !g.quiet {
            eprintln!(
                "retro-hunt: no indicators imported since the last retro-hunt (import {cursor}): nothing to read again"
            );
        }
        return Ok(0);
    }
    let (index, built) = IntelIndex::build(new, &BuildOptions::default());
    if !g.quiet {
        eprintln!(
            "retro-hunt: {} indicators new since import {cursor} (imports {}..={last})",
            built.indicators,
            cursor + 1
        );
        for (id, why) in built.unsupported.iter().take(SHOWN) {
            eprintln!(
                "  cannot be evaluated on logs: {}: {}",
                terminal(id, 200),
                terminal(why, 300)
            );
        }
    }
    let ropts = HuntOptions {
        intel: Some(Arc::new(index)),
        ..opts.clone()
    };
    let resume = |e| {
        anyhow::anyhow!("store {shown}: {e} (retro-hunt with the --config, --targets, --log-format and --geoip of the hunts that filled it)")
    };
    let retro = retro_hunt(&prev, &ropts, &|_| {}).map_err(resume)?;
    if !g.quiet {
        eprintln!(
            "retro-hunt: {} recorded files read again ({} bytes, {} lines, {} rejected)",
            retro.read.files, retro.read.bytes, retro.read.stats.lines, retro.read.stats.rejected
        );
    }
    list(g, "rotated since they were read", &retro.read.moved);
    list(g, "not found", &retro.read.missing);
    for e in &retro.read.errors {
        eprintln!("error: {}", terminal(e, 400));
    }
    // Alerts already stored (found by a hunt that had the indicator, or
    // an earlier retro-hunt) are not added again.
    let found: Vec<String> = retro
        .alerts
        .values()
        .flatten()
        .map(|a| a.id.clone())
        .collect();
    let stored = st.stored_alert_ids(&found)?;
    let mut alerts = retro.alerts;
    for list in alerts.values_mut() {
        list.retain(|a| !stored.contains(&a.id));
    }
    let (ck, added) = with_alerts(&prev, opts, alerts).map_err(resume)?;
    let inc = hunt_incremental(&[], opts, Some(&ck), &|_| {}).map_err(resume)?;
    // A hunt that saved meanwhile: its positions must not be undone.
    if st.checkpoint(key)?.as_deref() != Some(prev.as_slice()) {
        bail!(
            "store {shown}: a hunt saved into it during the retro-hunt; run the retro-hunt again"
        );
    }
    let cursor_text = last.to_string();
    super::store::save_run(
        g,
        &st,
        &inc.report,
        &opts.targets,
        &inc.retracted,
        &[
            (key, inc.checkpoint.as_slice()),
            (RETRO_KEY, cursor_text.as_bytes()),
        ],
    )?;
    if !g.quiet {
        eprintln!(
            "retro-hunt: {added} new alerts ({} found already stored); cursor now import {last}",
            stored.len()
        );
    }
    // Print the new alerts and the campaigns that hold them.
    let found_set: BTreeSet<&str> = found.iter().map(String::as_str).collect();
    let new_ids: BTreeSet<&str> = inc
        .report
        .alerts
        .iter()
        .filter_map(|a| found_set.get(a.id.as_str()).copied())
        .filter(|id| !stored.contains(*id))
        .collect();
    let shown_report = HuntReport {
        alerts: inc
            .report
            .alerts
            .iter()
            .filter(|a| new_ids.contains(a.id.as_str()))
            .map(Cow::into_owned)
            .collect(),
        campaigns: inc
            .report
            .campaigns
            .iter()
            .filter(|c| c.alerts.iter().any(|id| new_ids.contains(id.as_str())))
            .cloned()
            .collect(),
        stats: retro.read.stats.clone(),
        errors: retro.read.errors.clone(),
        ..HuntReport::default()
    };
    let mut out = Output::open(a.output.as_deref())?;
    output::print(&shown_report, out_format, g, &mut out)?;
    Ok(if !retro.read.errors.is_empty() {
        2
    } else if added == 0 {
        0
    } else {
        1
    })
}
