//! `haboob hunt`.

use crate::args::{Globals, HuntArgs};
use crate::output::{self, Output};
use anyhow::{bail, Context, Result};
use haboob_hunt::{Config, HuntOptions, HuntReport, Targets};
use haboob_ingest::{Discovery, Format, Input};
use haboob_report::OutputFormat;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A `--log-format` value.
pub fn parse_log_format(v: &str) -> Result<Format> {
    v.trim().parse::<Format>().map_err(|e| {
        let hint = match v.trim() {
            "table" | "jsonl" | "ndjson" | "csv" | "text" => {
                " (that is an output format: use --output-format)"
            }
            _ => "",
        };
        anyhow::anyhow!("--log-format: {e}{hint}")
    })
}

/// An `--output-format` value.
pub fn parse_output_format(v: &str) -> Result<OutputFormat> {
    match v.trim() {
        "table" | "text" => Ok(OutputFormat::Table),
        "jsonl" | "ndjson" => Ok(OutputFormat::Jsonl),
        "csv" => Ok(OutputFormat::Csv),
        other => {
            let hint = if other.parse::<Format>().is_ok() {
                " (that is a log format: use --log-format)"
            } else {
                ""
            };
            bail!(
                "--output-format {:?}: expected table, jsonl or csv{hint}",
                haboob_report::terminal(other, 40)
            )
        }
    }
}

/// The formats of a hunt from the new flags and the deprecated `--format`.
fn formats(a: &HuntArgs, quiet: bool) -> Result<(Option<Format>, OutputFormat)> {
    let (mut log, mut out) = (None, None);
    if !a.formats.is_empty() && !quiet {
        eprintln!("haboob: note: --format is deprecated; use --log-format and --output-format");
    }
    if !a.formats.is_empty() {
        (log, out) = resolve_formats(&a.formats)?;
    }
    if let Some(v) = &a.log_format {
        if log.replace(parse_log_format(v)?).is_some() {
            bail!("--log-format given with a log format in --format");
        }
    }
    if let Some(v) = &a.output_format {
        if out.replace(parse_output_format(v)?).is_some() {
            bail!("--output-format given with an output format in --format");
        }
    }
    Ok((log, out.unwrap_or(OutputFormat::Table)))
}

/// `haboob.toml` and `targets.toml` at the root of folder arguments (the
/// simulator writes them there), used when no `--config` / `--targets` is
/// given.
pub(crate) fn beside_logs(paths: &[String], name: &str) -> Vec<PathBuf> {
    paths
        .iter()
        .map(Path::new)
        .filter(|p| p.is_dir())
        .map(|p| p.join(name))
        .filter(|p| p.is_file())
        .collect()
}

/// Split `--format` values into a log format and an output format (each
/// `None` when not given).
pub fn resolve_formats(values: &[String]) -> Result<(Option<Format>, Option<OutputFormat>)> {
    let mut log = None;
    let mut out = None;
    for v in values {
        let v = v.trim();
        if let Ok(o) = parse_output_format(v) {
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
    Ok((log, out))
}

/// Load the config file (default config when none).
pub fn load_config(path: Option<&PathBuf>) -> Result<Config> {
    match path {
        Some(p) => Ok(Config::load(p)?),
        None => Ok(Config::default()),
    }
}

/// `config` with every built-in detector off (each `enabled` of the
/// `[web.*]` and `[auth.*]` tables): a hunt with only Sigma rules and
/// indicators (`--no-builtin`).
pub fn without_builtin(config: &Config) -> Result<Config> {
    let mut v = serde_json::to_value(config).context("--no-builtin")?;
    for family in ["web", "auth"] {
        if let Some(tables) = v.get_mut(family).and_then(|t| t.as_object_mut()) {
            for t in tables.values_mut() {
                if let Some(e) = t.get_mut("enabled") {
                    *e = false.into();
                }
            }
        }
    }
    serde_json::from_value(v).context("--no-builtin")
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

/// Run a hunt with a progress bar on stderr when it is a terminal. Paths
/// that match nothing are errors in the report; the others are hunted.
/// `output` (`-o FILE`) must not be one of the inputs.
pub fn run_hunt(
    g: &Globals,
    paths: &[String],
    excludes: &[String],
    output: Option<&Path>,
    opts: &HuntOptions,
) -> Result<HuntReport> {
    run_hunt_with(
        g,
        paths,
        excludes,
        output,
        opts,
        &mut |inputs, opts, progress| Ok(haboob_hunt::hunt(inputs, opts, progress)),
    )
}

/// How the inputs are hunted: [`haboob_hunt::hunt`], or incrementally.
pub type HuntFn<'a> =
    dyn FnMut(&[Input], &HuntOptions, &(dyn Fn(u64) + Sync)) -> Result<HuntReport> + 'a;

/// [`run_hunt`] with the hunt itself given.
pub fn run_hunt_with(
    g: &Globals,
    paths: &[String],
    excludes: &[String],
    output: Option<&Path>,
    opts: &HuntOptions,
    hunt: &mut HuntFn<'_>,
) -> Result<HuntReport> {
    let Discovery {
        inputs,
        found,
        skipped,
        errors,
    } = haboob_ingest::discover_all(paths);
    check_output(output, &inputs)?;
    let inputs = exclude(inputs, excludes)?;
    let opts = HuntOptions {
        found,
        ..opts.clone()
    };
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
    let res = hunt(&inputs, &opts, &|n| pb.inc(n));
    pb.finish_and_clear();
    let mut report = res?;
    let mut errs: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    errs.append(&mut report.errors);
    report.errors = errs;
    let mut skips: Vec<String> = skipped
        .iter()
        .map(|p| format!("{}: not a log (by its name)", p.display()))
        .collect();
    skips.append(&mut report.skipped);
    report.skipped = skips;
    Ok(report)
}

/// Refuse `-o FILE` when FILE is one of the inputs.
fn check_output(output: Option<&Path>, inputs: &[Input]) -> Result<()> {
    let Some(out) = output else { return Ok(()) };
    let Ok(out) = out.canonicalize() else {
        return Ok(()); // does not exist yet
    };
    for i in inputs {
        if let Input::File(p) = i {
            if p.canonicalize().is_ok_and(|p| p == out) {
                bail!(
                    "-o {}: refusing to overwrite an input",
                    haboob_report::terminal(&out.display().to_string(), 400)
                );
            }
        }
    }
    Ok(())
}

/// Print what the run skipped, its accounting and its errors on stderr.
pub fn print_summary(g: &Globals, report: &HuntReport) {
    if !g.quiet {
        if !report.skipped.is_empty() {
            let names: Vec<String> = report
                .skipped
                .iter()
                .take(5)
                .map(|s| haboob_report::terminal(s.split(": ").next().unwrap_or(s), 200))
                .collect();
            let more = report.skipped.len().saturating_sub(names.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            eprintln!(
                "skipped {} files that are not logs: {}{more}",
                report.skipped.len(),
                names.join(", ")
            );
        }
        eprintln!("{}", haboob_report::accounting(report));
        for n in &report.notices {
            eprintln!("notice: {}", haboob_report::terminal(n, 400));
        }
    }
    for e in &report.errors {
        eprintln!("error: {}", haboob_report::terminal(e, 400));
    }
}

/// `haboob hunt`: exit 0 = no alerts, 1 = alerts, 2 = an input failed.
pub fn run(g: &Globals, a: &HuntArgs) -> Result<u8> {
    let (format, out_format) = formats(a, g.quiet)?;
    let mut config_path = a.config.clone();
    let mut target_paths = a.targets.clone();
    if config_path.is_none() {
        config_path = beside_logs(&a.paths, "haboob.toml").into_iter().next();
        if let (Some(p), false) = (&config_path, g.quiet) {
            eprintln!(
                "using {} (found beside the logs; --config overrides)",
                p.display()
            );
        }
    }
    if target_paths.is_empty() {
        target_paths = beside_logs(&a.paths, "targets.toml");
        for p in target_paths.iter().filter(|_| !g.quiet) {
            eprintln!(
                "using {} (found beside the logs; --targets overrides)",
                p.display()
            );
        }
    }
    let mut config = load_config(config_path.as_ref())?;
    if a.no_builtin {
        config = without_builtin(&config)?;
    }
    let actors = super::actors::load_db(a.attack.as_deref(), config.intel.attack.as_deref())?;
    let mut opts = HuntOptions {
        format,
        strict: a.strict,
        targets: load_targets(&target_paths)?,
        config,
        actors: Some(std::sync::Arc::new(actors)),
        geo: haboob_hunt::geo::open_optional(&a.geoip)?.map(std::sync::Arc::new),
        sigma: super::hunt_sigma::load(g, a)?,
        intel: super::intel::load_for_hunt(g, &a.intel, a.store.as_deref())?,
        ..HuntOptions::default()
    };
    if a.retro {
        return super::hunt_retro::run(g, a, &opts, out_format);
    }
    let mut stored = None;
    let report = match &a.store {
        None => run_hunt(g, &a.paths, &a.exclude, a.output.as_deref(), &opts)?,
        Some(s) => {
            let mut inc = super::hunt_store::Incremental::open(s, a.from_scratch)?;
            let report = run_hunt_with(
                g,
                &a.paths,
                &a.exclude,
                a.output.as_deref(),
                &opts,
                &mut |inputs, opts, progress| inc.hunt(g, inputs, opts, progress),
            )?;
            stored = Some(inc);
            report
        }
    };
    let mut out = Output::open(a.output.as_deref())?;
    output::print(&report, out_format, g, &mut out)?;
    if let Some(s) = &report.sigma {
        let mut sink = std::io::sink();
        let table: &mut dyn std::io::Write = if out_format == OutputFormat::Table {
            &mut out
        } else {
            &mut sink
        };
        super::hunt_sigma::write(g, a, s, table)?;
        out.flush()?;
    }
    print_summary(g, &report);
    if let Some(inc) = stored {
        inc.save(g, &report, &opts.targets)?;
    }
    // The process exits next: the intel index (a million indicators are a
    // million allocations, ~30 ms to free one by one) is left to the
    // operating system, which reclaims it at once.
    if let Some(index) = opts.intel.take() {
        std::mem::forget(index);
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
    fn no_builtin_turns_every_detector_off_and_nothing_else() {
        let count = |c: &Config, on: bool| {
            let text = serde_json::to_string(c).unwrap();
            text.matches(&format!("\"enabled\":{on}")).count()
        };
        let default = Config::default();
        let off = without_builtin(&default).unwrap();
        assert_eq!(count(&default, true), 24);
        assert_eq!(count(&off, true), 0);
        assert_eq!(count(&off, false), 24);
        // Nothing else moved: switched back on, it is the default again.
        let on = serde_json::to_string(&off)
            .unwrap()
            .replace("\"enabled\":false", "\"enabled\":true");
        let back: Config = serde_json::from_str(&on).unwrap();
        assert_eq!(back, default);
    }

    #[test]
    fn format_values_split() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(resolve_formats(&[]).unwrap(), (None, None));
        assert_eq!(
            resolve_formats(&v(&["iis", "jsonl"])).unwrap(),
            (Some(Format::Iis), Some(OutputFormat::Jsonl))
        );
        assert_eq!(
            resolve_formats(&v(&["json"])).unwrap(),
            (Some(Format::Json), None)
        );
        assert!(resolve_formats(&v(&["csv", "jsonl"])).is_err());
        assert!(resolve_formats(&v(&["yaml"])).is_err());
    }
}
