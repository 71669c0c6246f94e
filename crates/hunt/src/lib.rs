//! The hunt pipeline: inputs → streams (files or rotation groups, in
//! parallel with rayon) → parsers → detectors → merged alerts → campaigns.
//!
//! Each stream owns its parsers and detector state; results are merged at the
//! end and sorted, so output does not depend on thread scheduling.
//!
//! ```no_run
//! use haboob_hunt::{hunt, HuntOptions};
//! let inputs = haboob_ingest::discover(&["logs/".to_string()]).unwrap();
//! let report = hunt(&inputs, &HuntOptions::default(), &|_| {});
//! println!("{} alerts in {} campaigns", report.alerts.len(), report.campaigns.len());
//! ```
#![deny(missing_docs)]

pub mod campaign;
pub mod config;
mod feed;
pub mod geo;
pub mod merge;
pub mod order;
pub mod spool;
pub mod streams;
pub mod targets;

pub use config::{Cidr, Config, ConfigError, HuntConfig};
pub use geo::{Geo, GeoError, GeoInfo};
pub use targets::Targets;

use haboob_ingest::{Format, Input, ReadOptions, ReadStats};
use haboob_model::{Alert, Campaign};
use rayon::prelude::*;

/// How to run a hunt.
#[derive(Debug, Clone, Default)]
pub struct HuntOptions {
    /// Log format for every input; `None` detects per file.
    pub format: Option<Format>,
    /// Stop at the first rejected line.
    pub strict: bool,
    /// Site and organisation mapping.
    pub targets: Targets,
    /// Detector and pipeline configuration.
    pub config: Config,
    /// Geo/ASN databases for sign-in sources, when supplied.
    pub geo: Option<std::sync::Arc<Geo>>,
}

/// Everything a hunt found, plus the accounting.
#[derive(Debug, Clone, Default)]
pub struct HuntReport {
    /// Campaigns, most severe first.
    pub campaigns: Vec<Campaign>,
    /// Alerts, by first_seen.
    pub alerts: Vec<Alert>,
    /// Lines read, parsed, rejected; rejection samples.
    pub stats: ReadStats,
    /// Alerts dropped because their source is allow-listed.
    pub suppressed: u64,
    /// Input errors (unreadable file, unknown format, strict failure), one
    /// line each naming the file; the other inputs were still hunted.
    pub errors: Vec<String>,
    /// Things the user should know about how inputs were read, one line
    /// each naming the file (e.g. a newest-first file read in time order).
    pub notices: Vec<String>,
}

pub(crate) const MAX_REJECT_SAMPLES: usize = 20;

#[derive(Default)]
pub(crate) struct StreamResult {
    alerts: Vec<Alert>,
    stats: ReadStats,
    errors: Vec<String>,
    notices: Vec<String>,
}

/// How to read one input of a hunt.
pub(crate) fn read_options(input: &Input, opts: &HuntOptions) -> ReadOptions {
    let site = match input {
        Input::File(p) => opts.targets.site_for_file(p).map(str::to_string),
        Input::Stdin => None,
    };
    ReadOptions {
        format: opts.format,
        strict: opts.strict,
        site,
        json_fields: opts.config.ingest.json_fields.clone(),
        ..ReadOptions::default()
    }
}

fn hunt_stream(
    stream: &[Input],
    opts: &HuntOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> StreamResult {
    let mut feed = feed::Feed::new(opts);
    let mut stats = ReadStats::default();
    let mut errors = Vec::new();
    let mut guard = order::OrderGuard::new(opts.config.ingest.order_tolerance_secs);
    let mut spool = order::StdinSpool::default();
    let progress = order::Progress::new(progress);
    for input in stream {
        if guard.disorder().is_some() {
            break;
        }
        let ro = read_options(input, opts);
        let res = order::read_first(
            input,
            &ro,
            &|n| progress.first_pass(n),
            &mut spool,
            &mut |ev, origin| {
                if guard.admit(ev.ts(), origin) {
                    feed.observe(ev, origin);
                }
            },
        );
        match res {
            Ok(s) => stats.merge(s, MAX_REJECT_SAMPLES),
            Err(e) => {
                tracing::debug!(input = %input.display(), error = %e, "Input failed.");
                errors.push(e.to_string());
            }
        }
    }
    if let Some(d) = guard.disorder() {
        // Out of order beyond the tolerance: start over, sorted.
        return order::rehunt_sorted(stream, opts, &progress, &spool, d);
    }
    StreamResult {
        alerts: feed.finish(),
        stats,
        errors,
        notices: Vec::new(),
    }
}

/// Hunt the inputs. Errors on one input are recorded in the report and the
/// others are still hunted; with `strict`, a rejected line is such an error.
pub fn hunt(inputs: &[Input], opts: &HuntOptions, progress: &(dyn Fn(u64) + Sync)) -> HuntReport {
    let streams = streams::group(inputs);
    let results: Vec<StreamResult> = streams
        .par_iter()
        .map(|s| hunt_stream(s, opts, progress))
        .collect();
    let mut stats = ReadStats::default();
    let mut alerts = Vec::new();
    let mut errors = Vec::new();
    let mut notices = Vec::new();
    for r in results {
        stats.merge(r.stats, MAX_REJECT_SAMPLES);
        alerts.extend(r.alerts);
        errors.extend(r.errors);
        notices.extend(r.notices);
    }
    let gap =
        i64::try_from(opts.config.hunt.merge_gap_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let mut alerts = merge::merge_alerts(alerts, gap);
    let allow = opts.config.hunt.allow_list().unwrap_or_default();
    let suppressed = merge::suppress(&mut alerts, &allow);
    let campaigns = campaign::group_all(&alerts, &opts.targets, &opts.config.hunt);
    HuntReport {
        campaigns,
        alerts,
        stats,
        suppressed,
        errors,
        notices,
    }
}
