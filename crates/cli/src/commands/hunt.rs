//! `haboob hunt`.

use crate::args::{Globals, HuntArgs};
use crate::output::{self, Output};
use anyhow::{bail, Context, Result};
use haboob_hunt::{Config, HuntOptions, HuntReport, Targets};
use haboob_ingest::{Format, Input};
use haboob_report::OutputFormat;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::PathBuf;

/// Split `--format` values into a log format and an output format.
pub fn resolve_formats(values: &[String]) -> Result<(Option<Format>, OutputFormat)> {
    let mut log = None;
    let mut out = None;
    for v in values {
        let v = v.trim();
        let o = match v {
            "table" | "text" => Some(OutputFormat::Table),
            "jsonl" | "ndjson" => Some(OutputFormat::Jsonl),
            "csv" => Some(OutputFormat::Csv),
            _ => None,
        };
        if let Some(o) = o {
            if out.replace(o).is_some() {
                bail!("--format: output format given twice");
            }
        } else if let Ok(f) = v.parse::<Format>() {
            if log.replace(f).is_some() {
                bail!("--format: log format given twice");
            }
        } else {
            let logs: Vec<&str> = Format::all().iter().map(|f| f.name()).collect();
            bail!(
                "--format {v:?}: not an output format (table, jsonl, csv) nor a log format ({})",
                logs.join(", ")
            );
        }
    }
    Ok((log, out.unwrap_or(OutputFormat::Table)))
}

/// Load the config file (default config when none).
pub fn load_config(path: Option<&PathBuf>) -> Result<Config> {
    match path {
        Some(p) => Ok(Config::load(p)?),
        None => Ok(Config::default()),
    }
}

/// Load and merge targets files.
pub fn load_targets(paths: &[PathBuf]) -> Result<Targets> {
    let mut t = Targets::default();
    for p in paths {
        t.extend(Targets::load(p)?);
    }
    Ok(t)
}

/// Drop inputs whose file name or full path matches one of `globs`.
pub fn exclude(inputs: Vec<Input>, globs: &[String]) -> Result<Vec<Input>> {
    let pats = globs
        .iter()
        .map(|g| glob::Pattern::new(g).with_context(|| format!("--exclude {g:?}")))
        .collect::<Result<Vec<_>>>()?;
    Ok(inputs
        .into_iter()
        .filter(|i| match i {
            Input::Stdin => true,
            Input::File(p) => {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                !pats.iter().any(|g| g.matches(&name) || g.matches_path(p))
            }
        })
        .collect())
}

/// Run a hunt with a progress bar on stderr when it is a terminal.
pub fn run_hunt(
    g: &Globals,
    paths: &[String],
    excludes: &[String],
    opts: &HuntOptions,
) -> Result<HuntReport> {
    let inputs = exclude(haboob_ingest::discover(paths)?, excludes)?;
    let total: u64 = inputs.iter().filter_map(|i| i.len()).sum();
    let pb = if g.quiet {
        ProgressBar::hidden()
    } else {
        let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template(
                "{spinner} {bytes}/{total_bytes} {binary_bytes_per_sec} {wide_bar} {eta}",
            )
            .context("progress template")?,
        );
        pb
    };
    let report = haboob_hunt::hunt(&inputs, opts, &|n| pb.inc(n));
    pb.finish_and_clear();
    Ok(report)
}

/// `haboob hunt`: exit 0 = no alerts, 1 = alerts, 2 = an input failed.
pub fn run(g: &Globals, a: &HuntArgs) -> Result<u8> {
    let (format, out_format) = resolve_formats(&a.formats)?;
    let opts = HuntOptions {
        format,
        strict: a.strict,
        targets: load_targets(&a.targets)?,
        config: load_config(a.config.as_ref())?,
        geo: haboob_hunt::geo::open_optional(&a.geoip)?.map(std::sync::Arc::new),
    };
    let report = run_hunt(g, &a.paths, &a.exclude, &opts)?;
    let mut out = Output::open(a.output.as_deref())?;
    output::print(&report, out_format, g, &mut out)?;
    if !g.quiet {
        eprintln!("{}", haboob_report::accounting(&report));
        for n in &report.notices {
            eprintln!("notice: {}", haboob_report::terminal(n, 400));
        }
    }
    for e in &report.errors {
        eprintln!("error: {}", haboob_report::terminal(e, 400));
    }
    Ok(if !report.errors.is_empty() {
        2
    } else if report.alerts.is_empty() {
        0
    } else {
        1
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_values_split() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(resolve_formats(&[]).unwrap(), (None, OutputFormat::Table));
        assert_eq!(
            resolve_formats(&v(&["iis", "jsonl"])).unwrap(),
            (Some(Format::Iis), OutputFormat::Jsonl)
        );
        assert_eq!(
            resolve_formats(&v(&["json"])).unwrap(),
            (Some(Format::Json), OutputFormat::Table)
        );
        assert!(resolve_formats(&v(&["csv", "jsonl"])).is_err());
        assert!(resolve_formats(&v(&["yaml"])).is_err());
    }
}
