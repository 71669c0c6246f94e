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
pub mod geo;
pub mod merge;
pub mod streams;
pub mod targets;

pub use config::{Cidr, Config, ConfigError, HuntConfig};
pub use geo::{Geo, GeoError, GeoInfo};
pub use targets::Targets;

use haboob_ingest::{read_input, Format, Input, ReadOptions, ReadStats};
use haboob_model::{Alert, Campaign, EventRef};
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
}

const MAX_REJECT_SAMPLES: usize = 20;

struct StreamResult {
    alerts: Vec<Alert>,
    stats: ReadStats,
    errors: Vec<String>,
}

fn hunt_stream(
    stream: &[Input],
    opts: &HuntOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> StreamResult {
    let mut detectors = haboob_detect::build(&opts.config.detect());
    let mut alerts = Vec::new();
    let mut stats = ReadStats::default();
    let mut errors = Vec::new();
    let mut geo = opts.geo.as_deref().map(geo::GeoCache::new);
    for input in stream {
        let site = match input {
            Input::File(p) => opts.targets.site_for_file(p).map(str::to_string),
            Input::Stdin => None,
        };
        let ro = ReadOptions {
            format: opts.format,
            strict: opts.strict,
            site,
            json_fields: opts.config.ingest.json_fields.clone(),
            ..ReadOptions::default()
        };
        let res = read_input(input, &ro, progress, &mut |ev, origin| {
            let enriched = match (&mut geo, ev) {
                (Some(cache), EventRef::Auth(a)) => cache.enrich(a).map(EventRef::Auth),
                _ => None,
            };
            let ev = enriched.as_ref().unwrap_or(ev);
            // Exchange sign-ins in IIS logs feed the auth detectors as well.
            let derived = match ev {
                EventRef::Web(w) => {
                    haboob_detect::auth::exchange::auth_event(w).map(EventRef::Auth)
                }
                EventRef::Auth(_) => None,
            };
            for ev in std::iter::once(ev).chain(derived.as_ref()) {
                for d in detectors.iter_mut() {
                    d.observe(ev, origin, &mut alerts);
                }
            }
        });
        match res {
            Ok(s) => stats.merge(s, MAX_REJECT_SAMPLES),
            Err(e) => {
                tracing::debug!(input = %input.display(), error = %e, "Input failed.");
                errors.push(e.to_string());
            }
        }
    }
    for d in detectors.iter_mut() {
        d.finish(&mut alerts);
    }
    StreamResult {
        alerts,
        stats,
        errors,
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
    for r in results {
        stats.merge(r.stats, MAX_REJECT_SAMPLES);
        alerts.extend(r.alerts);
        errors.extend(r.errors);
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
    }
}
