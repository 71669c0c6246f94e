//! `haboob simulate`.

use crate::args::SimulateArgs;
use anyhow::{anyhow, Result};
use haboob_simulate::{simulate, Scenario, SimOptions};
use std::path::Path;

/// Simulate one scenario into `out`, with the scenario's defaults changed by
/// `tune`.
pub fn simulate_into(
    scenario: &str,
    out: &Path,
    tune: impl FnOnce(&mut SimOptions),
) -> Result<String> {
    let scenario: Scenario = scenario.parse().map_err(|e: String| anyhow!(e))?;
    let mut opts = SimOptions::new(scenario, out);
    tune(&mut opts);
    let s = simulate(&opts)?;
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
    let msg = simulate_into(&a.scenario, &a.out, |o| {
        o.days = a.days;
        o.seed = a.seed;
        o.rate = a.rate;
        o.bytes = a.bytes;
        o.sources = a.sources;
        o.probes = a.probes;
    })?;
    eprintln!("{msg}");
    Ok(0)
}
