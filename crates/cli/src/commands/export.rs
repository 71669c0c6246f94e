//! `haboob export stix|misp`: share campaigns, matched indicators and
//! attributions from a store as a STIX 2.1 bundle or a MISP event.

use anyhow::{bail, Context, Result};
use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use haboob_intel::export::{misp_event, stix_bundle, ExportCampaign, ExportOptions};
use haboob_intel::Tlp;
use haboob_model::Severity;
use haboob_store::{CampaignQuery, Store};
use std::io::Write;
use std::path::PathBuf;

/// `haboob export`.
#[derive(Debug, ClapArgs)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub format: ExportFormat,
}

/// What to write.
#[derive(Debug, Subcommand)]
pub enum ExportFormat {
    /// A STIX 2.1 bundle: campaigns, attacker-source indicators and observed
    /// data, sightings of matched indicators, intrusion sets of attributions.
    Stix(ExportOpts),
    /// A MISP event (JSON, as MISP imports it).
    Misp(ExportOpts),
}

/// Marking of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlpArg {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

/// Options shared by both formats.
#[derive(Debug, ClapArgs)]
pub struct ExportOpts {
    /// Store to read: `sqlite:PATH`, a path, `postgres://…`, or `default`.
    #[arg(long, value_name = "URL", default_value = "default")]
    pub store: String,
    /// Only these campaigns (repeatable); default: every live campaign.
    #[arg(long = "campaign", value_name = "ID")]
    pub campaigns: Vec<String>,
    /// Only campaigns of at least this severity (when no --campaign is given).
    #[arg(long, value_name = "LEVEL", default_value = "medium")]
    pub min_severity: String,
    /// TLP marking of every exported object.
    #[arg(long, value_enum, default_value = "amber")]
    pub tlp: TlpArg,
    /// Producer name (STIX identity, MISP organisation).
    #[arg(long, default_value = "haboob")]
    pub producer: String,
    /// Write here instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn severity(s: &str) -> Result<Severity> {
    Ok(match s {
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        other => bail!("unknown severity {other:?} (low, medium, high, critical)"),
    })
}

fn campaigns(store: &Store, o: &ExportOpts) -> Result<Vec<ExportCampaign>> {
    let ids: Vec<String> = if o.campaigns.is_empty() {
        let mut q = CampaignQuery {
            min_severity: Some(severity(&o.min_severity)?),
            limit: 500,
            ..Default::default()
        };
        let mut ids = Vec::new();
        loop {
            let page = store.campaigns(&q).context("cannot list campaigns")?;
            ids.extend(page.items.into_iter().map(|r| r.id));
            match page.next_offset {
                Some(n) => q.offset = n,
                None => break,
            }
        }
        ids
    } else {
        o.campaigns.clone()
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(d) = store.campaign(&id).with_context(|| {
            format!("cannot read campaign {}", haboob_report::terminal(&id, 80))
        })?
        else {
            bail!(
                "no campaign {} in the store",
                haboob_report::terminal(&id, 80)
            );
        };
        out.push(ExportCampaign {
            campaign: d.campaign,
            alerts: d.alerts,
        });
    }
    Ok(out)
}

/// Run `haboob export`.
pub fn run(a: &ExportArgs) -> Result<u8> {
    let (o, stix) = match &a.format {
        ExportFormat::Stix(o) => (o, true),
        ExportFormat::Misp(o) => (o, false),
    };
    let store = crate::commands::store::open(&crate::commands::store::resolve(&o.store)?)?;
    let set = campaigns(&store, o)?;
    let opts = ExportOptions {
        producer: o.producer.clone(),
        tlp: match o.tlp {
            TlpArg::Clear => Tlp::Clear,
            TlpArg::Green => Tlp::Green,
            TlpArg::Amber => Tlp::Amber,
            TlpArg::AmberStrict => Tlp::AmberStrict,
            TlpArg::Red => Tlp::Red,
        },
        created: haboob_model::Ts::now(),
    };
    let doc = if stix {
        stix_bundle(&set, &opts)
    } else {
        misp_event(&set, &opts)
    };
    let text = serde_json::to_string_pretty(&doc)?;
    match &o.output {
        Some(p) => std::fs::write(p, text + "\n")
            .with_context(|| format!("cannot write {}", p.display()))?,
        None => writeln!(std::io::stdout().lock(), "{text}")?,
    }
    tracing::info!(campaigns = set.len(), "export written");
    eprintln!("haboob: exported {} campaign(s)", set.len());
    Ok(0)
}
