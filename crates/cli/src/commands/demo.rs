//! `haboob demo`: simulate, hunt, report — the README's first command.

use crate::args::{DemoArgs, Globals};
use crate::commands::hunt::{load_config, load_targets, print_summary, resolve_formats, run_hunt};
use crate::commands::simulate::simulate_into;
use crate::output::{self, Output};
use anyhow::{Context, Result};
use haboob_hunt::HuntOptions;
use std::path::PathBuf;

/// Run the demo.
pub fn run(g: &Globals, a: &DemoArgs) -> Result<u8> {
    let tmp;
    let dir: PathBuf = match &a.keep {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::tempdir().context("cannot create a temporary folder")?;
            tmp.path().to_path_buf()
        }
    };
    let web = dir.join("web");
    let signin = dir.join("signin");
    let actor = dir.join("actor");
    let sweep = dir.join("sweep");
    let intrusion = dir.join("intrusion");
    // election-actor and web-sweep at a tenth of the benign rate: their
    // point is the actor's six addresses and the sweep's hundreds, and it
    // keeps the demo about as fast.
    for (scenario, out, rate) in [
        ("election-recon", &web, 2000),
        ("account-campaign", &signin, 2000),
        ("election-actor", &actor, 200),
        ("web-sweep", &sweep, 200),
        ("election-intrusion", &intrusion, 200),
    ] {
        let msg = simulate_into(scenario, out, |o| {
            // election-intrusion needs four days (baseline, attack, defacement, after).
            o.days = if scenario == "election-intrusion" {
                a.days.max(4)
            } else {
                a.days
            };
            o.seed = a.seed;
            o.rate = rate;
            o.bytes = 0;
        })?;
        if !g.quiet {
            eprintln!("{msg}");
        }
    }
    let (_, out_format) = resolve_formats(std::slice::from_ref(&a.format))?;
    let out_format = out_format.unwrap_or(haboob_report::OutputFormat::Table);
    let opts = HuntOptions {
        targets: load_targets(&[
            web.join("targets.toml"),
            signin.join("targets.toml"),
            actor.join("targets.toml"),
            sweep.join("targets.toml"),
            intrusion.join("targets.toml"),
        ])?,
        config: {
            let mut c = load_config(Some(&web.join("haboob.toml")))?;
            // The election offices' editor networks of election-intrusion.
            let i = load_config(Some(&intrusion.join("haboob.toml")))?;
            c.web.defacement.editors.extend(i.web.defacement.editors);
            c
        },
        actors: Some(std::sync::Arc::new(super::actors::load_db(
            a.attack.as_deref(),
            None,
        )?)),
        // The ISAC intel each scenario wrote beside its logs.
        intel: super::intel::load_for_hunt(
            g,
            &[web.join("intel"), signin.join("intel"), actor.join("intel")],
            None,
        )?,
        ..HuntOptions::default()
    };
    // Metadata and the ISAC intel written beside the logs are no logs.
    let metadata = [
        "*.toml".to_string(),
        "labels.jsonl".to_string(),
        "isac.stix.json".to_string(),
        "isac-list.txt".to_string(),
    ];
    let report = run_hunt(g, &[dir.display().to_string()], &metadata, None, &opts)?;
    let mut out = Output::open(None)?;
    output::print(&report, out_format, g, &mut out)?;
    print_summary(g, &report);
    let url = match &a.store {
        Some(s) => super::store::resolve(s)?,
        None => super::store::demo_default(a.keep.as_deref())?,
    };
    match super::store::save(g, &url, &report, &opts.targets) {
        Ok(_) if !g.quiet => eprintln!(
            "serve the console on it: haboob serve --store {}",
            super::store::shell_word(&haboob_store::redact_url(&url))
        ),
        Ok(_) => {}
        // The default demo store is a convenience: the report stands without it.
        Err(e) if a.store.is_none() => eprintln!("warning: demo store not written: {e:#}"),
        Err(e) => return Err(e),
    }
    Ok(if report.errors.is_empty() { 0 } else { 2 })
}
