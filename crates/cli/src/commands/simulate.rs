//! `haboob simulate`.

use crate::args::SimulateArgs;
use anyhow::{anyhow, Result};
use haboob_simulate::{simulate, Scenario, SimOptions};
use std::path::Path;

/// Simulate one scenario into `out`.
pub fn simulate_into(
    scenario: &str,
    days: u32,
    seed: u64,
    rate: u32,
    bytes: u64,
    out: &Path,
) -> Result<String> {
    let scenario: Scenario = scenario.parse().map_err(|e: String| anyhow!(e))?;
    let s = simulate(&SimOptions {
        scenario,
        days,
        seed,
        out: out.to_path_buf(),
        rate,
        bytes,
    })?;
    Ok(format!(
        "{}: wrote {} files, {} lines, {} bytes, {} labels to {}",
        scenario.name(),
        s.files.len(),
        s.lines,
        s.bytes,
        s.labels,
        out.display()
    ))
}

/// `haboob simulate`.
pub fn run(a: &SimulateArgs) -> Result<u8> {
    let msg = simulate_into(&a.scenario, a.days, a.seed, a.rate, a.bytes, &a.out)?;
    eprintln!("{msg}");
    Ok(0)
}
