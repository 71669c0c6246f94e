//! `haboob config`.

use crate::args::ConfigArgs;
use anyhow::{bail, Result};
use haboob_hunt::Config;

/// The default configuration as TOML, with a header.
pub fn default_toml() -> Result<String> {
    let body = toml::to_string_pretty(&Config::default())?;
    Ok(format!(
        "# haboob configuration: what to detect and what to leave alone.\n\
         # Every key is optional; absent keys keep these defaults. Unknown keys are errors.\n\
         # Use with: haboob hunt --config haboob.toml PATH...\n\n{body}"
    ))
}

/// `haboob config`.
pub fn run(a: &ConfigArgs) -> Result<u8> {
    if a.default {
        print!("{}", default_toml()?);
        return Ok(0);
    }
    if let Some(p) = &a.check {
        Config::load(p)?;
        eprintln!("{}: ok", p.display());
        return Ok(0);
    }
    bail!("nothing to do: use --default or --check FILE")
}
