//! `haboob hunt --rules`: loading Sigma rules for a hunt, and writing what
//! they found (the timeline file, the per-rule summary).

use crate::args::{Globals, HuntArgs};
use anyhow::{bail, Context, Result};
use haboob_hunt::sigma::{SigmaOptions, SigmaReport};
use haboob_report::TimelineFormat;
use std::io::Write;
use std::sync::Arc;

/// Timeline rows kept at most (the rest are counted and reported).
pub const MAX_TIMELINE_ROWS: usize = 2_000_000;

/// Load `--rules` (none: `None`). Rules that do not load are reported on
/// stderr with the tally; a hunt needs at least one that does.
pub fn load(g: &Globals, a: &HuntArgs) -> Result<Option<SigmaOptions>> {
    if a.rules.is_empty() {
        return Ok(None);
    }
    let mapping = match &a.sigma_mapping {
        Some(p) => haboob_sigma::Mapping::from_file(p)?,
        None => haboob_sigma::Mapping::builtin(),
    };
    let loaded = haboob_sigma::load(&a.rules, &mapping);
    if !g.quiet {
        let invalid: Vec<_> = loaded
            .errors
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    haboob_sigma::LoadError::Invalid { .. } | haboob_sigma::LoadError::Io { .. }
                )
            })
            .collect();
        for e in invalid.iter().take(10) {
            eprintln!("sigma: {}", haboob_report::terminal(&e.to_string(), 400));
        }
        if invalid.len() > 10 {
            eprintln!("sigma: … and {} more invalid rules", invalid.len() - 10);
        }
        let t = &loaded.tally.total;
        eprintln!(
            "sigma: {} rules loaded, {} for log sources haboob does not read, {} using unsupported features, {} invalid, {} correlations (`haboob rules check` lists every rule not loaded)",
            t.loaded, t.unsupported_logsource, t.unsupported_feature, t.invalid, t.correlations
        );
    }
    if loaded.rules.is_empty() {
        bail!("--rules: no rule loaded from {} path(s)", a.rules.len());
    }
    let (correlations, errors) = haboob_hunt::sigma_corr::Correlations::build(&loaded.rules);
    if !g.quiet {
        for e in &errors {
            eprintln!("sigma: {}", haboob_report::terminal(&e.to_string(), 400));
        }
    }
    Ok(Some(SigmaOptions {
        rules: Arc::new(loaded.rules),
        timeline: a.timeline.is_some(),
        max_timeline_rows: MAX_TIMELINE_ROWS,
        correlations: correlations.map(Arc::new),
    }))
}

/// Write the timeline file, and the per-rule summary under a table.
pub fn write(g: &Globals, a: &HuntArgs, r: &SigmaReport, table: &mut dyn Write) -> Result<()> {
    if let Some(p) = &a.timeline {
        let format = TimelineFormat::for_path(p);
        if p.as_os_str() == "-" {
            let mut out = std::io::stdout().lock();
            haboob_report::write_timeline(&r.timeline, format, &mut out)?;
        } else {
            let f = std::fs::File::create(p)
                .with_context(|| format!("--timeline: cannot create {}", p.display()))?;
            let mut w = std::io::BufWriter::new(f);
            haboob_report::write_timeline(&r.timeline, format, &mut w)
                .with_context(|| format!("--timeline: writing {}", p.display()))?;
        }
        if r.timeline_dropped > 0 && !g.quiet {
            eprintln!(
                "sigma: the timeline keeps the first {} rows by time; {} more were not written",
                r.timeline.len(),
                r.timeline_dropped
            );
        }
    }
    if r.correlation_dropped > 0 && !g.quiet {
        eprintln!(
            "sigma: {} hits of correlated rules past the first {} were not correlated",
            r.correlation_dropped,
            haboob_hunt::sigma_corr::MAX_HELD
        );
    }
    haboob_report::write_rule_summary(&r.rules, table)?;
    Ok(())
}
