//! `haboob rules check`: load Sigma rules and report what does not load.

use crate::args::{RulesArgs, RulesCheckArgs, RulesCommand};
use anyhow::Result;
use haboob_sigma::{load, Counts, LoadError, Mapping};
use std::fmt::Write as _;
use std::io::Write;
use std::time::Instant;

/// Runs a `rules` subcommand.
pub fn run(a: &RulesArgs) -> Result<u8> {
    match &a.command {
        RulesCommand::Check(c) => check(c),
    }
}

/// Control characters of rule text shown escaped (rules are input too).
fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

fn row(out: &mut String, name: &str, c: &Counts) {
    let _ = writeln!(
        out,
        "{name:<40} {:>7} {:>11} {:>11} {:>7} {:>6} {:>7}",
        c.loaded,
        c.unsupported_logsource,
        c.unsupported_feature,
        c.invalid,
        c.correlations,
        c.filters
    );
}

fn check(a: &RulesCheckArgs) -> Result<u8> {
    let mapping = match &a.mapping {
        Some(p) => Mapping::from_file(p)?,
        None => Mapping::builtin(),
    };
    let t0 = Instant::now();
    let loaded = load(&a.paths, &mapping);
    let took = t0.elapsed();
    let mut out = String::new();
    if !a.summary {
        for e in &loaded.errors {
            let _ = writeln!(out, "{}", printable(&e.to_string()));
        }
        if !loaded.errors.is_empty() {
            out.push('\n');
        }
    }
    let _ = writeln!(
        out,
        "{:<40} {:>7} {:>11} {:>11} {:>7} {:>6} {:>7}",
        "folder", "loaded", "unsup.logsrc", "unsup.feat", "invalid", "correl", "filters"
    );
    for (name, c) in &loaded.tally.per_folder {
        row(&mut out, &printable(name), c);
    }
    row(&mut out, "total", &loaded.tally.total);
    let _ = writeln!(
        out,
        "{} rules loaded in {:.3} s",
        loaded.rules.len(),
        took.as_secs_f64()
    );
    std::io::stdout().lock().write_all(out.as_bytes())?;
    let invalid = loaded
        .errors
        .iter()
        .any(|e| matches!(e, LoadError::Invalid { .. } | LoadError::Io { .. }));
    Ok(u8::from(invalid))
}
