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

pub mod actor;
mod alert_spill;
mod attrib;
pub mod background;
pub mod campaign;
pub mod config;
mod feed;
pub mod geo;
pub mod incremental;
pub mod intel_config;
mod intel_join;
pub mod intel_match;
mod lanes;
mod link;
pub mod merge;
pub mod notify_config;
pub mod order;
mod packed_end;
mod pool;
mod reorder;
pub mod research;
pub mod retro;
pub mod sigma;
pub mod sigma_corr;
pub mod sitename;
pub mod spool;
pub mod stages;
pub mod streams;
pub mod targets;
pub mod victim;

pub use config::{Cidr, Config, ConfigError, HuntConfig};
pub use geo::{Geo, GeoError, GeoInfo};
pub use notify_config::{NotifyConfig, SmtpConfig, SmtpTls, WebhookConfig};
pub use targets::Targets;

use haboob_ingest::{Format, IngestError, Input, ReadOptions, ReadStats};
use haboob_model::{Alert, Alerts, Campaign};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
    /// Inputs found by walking a folder or a glob rather than named: one
    /// whose format is not recognised is skipped as "not a log" (listed in
    /// [`HuntReport::skipped`]) instead of being an error.
    pub found: BTreeSet<PathBuf>,
    /// Sigma rules to run beside the built-in detectors.
    pub sigma: Option<sigma::SigmaOptions>,
    /// Loaded threat intelligence: detector `intel.match` runs when it
    /// holds any indicator (see [`intel_match`]).
    pub intel: Option<Arc<haboob_intel::IntelIndex>>,
    /// Actor knowledge: when set, every campaign is attributed
    /// (`Campaign::attribution`, best candidate first).
    pub actors: Option<Arc<haboob_intel::ActorDb>>,
}

/// Everything a hunt found, plus the accounting.
#[derive(Debug, Clone, Default)]
pub struct HuntReport {
    /// Campaigns, most severe first.
    pub campaigns: Vec<Campaign>,
    /// One-off commodity probes, counted rather than each a campaign.
    pub background: background::Background,
    /// Alerts, by first_seen.
    pub alerts: Alerts,
    /// Lines read, parsed, rejected; rejection samples.
    pub stats: ReadStats,
    /// Alerts dropped because their source is allow-listed.
    pub suppressed: u64,
    /// Input errors (unreadable file, unknown format, strict failure), one
    /// line each naming the file; the other inputs were still hunted (except
    /// after a strict failure, which stops the run).
    pub errors: Vec<String>,
    /// Files found in folders that are not logs, with the reason.
    pub skipped: Vec<String>,
    /// Things the user should know about how inputs were read, one line
    /// each naming the file (e.g. a newest-first file read in time order).
    pub notices: Vec<String>,
    /// What the Sigma rules found, when rules were given (their alerts are
    /// among `alerts`).
    pub sigma: Option<sigma::SigmaReport>,
}

pub(crate) const MAX_REJECT_SAMPLES: usize = 20;

#[derive(Default)]
pub(crate) struct StreamResult {
    alerts: Vec<Alert>,
    /// Alerts packed as they came (see [`lanes::with_sink`]).
    packed: haboob_model::PackedAlerts,
    stats: ReadStats,
    errors: Vec<String>,
    notices: Vec<String>,
    skipped: Vec<String>,
    /// Located successes for impossible travel across streams.
    travel: Option<haboob_detect::auth::TravelTrack>,
    /// Sigma timeline rows and counts.
    sigma: Option<sigma::StreamSigma>,
}

/// What every input of a hunt is read with, built once per hunt (format,
/// JSON field map and trusted proxies of `opts.config.ingest`, the
/// strict-mode stop flag); [`read_options`] adds what differs per input.
/// Public so that `haboob events` reads exactly as a hunt does.
pub fn base_read_options(opts: &HuntOptions, stop: &Arc<AtomicBool>) -> ReadOptions {
    let proxy = &opts.config.ingest.proxy;
    let proxies = match proxy.trusted_set() {
        Ok(set) => set.map(Arc::new),
        Err(e) => {
            tracing::warn!(error = %e, "Ignoring the proxy configuration.");
            None
        }
    };
    ReadOptions {
        format: opts.format,
        strict: opts.strict,
        json_fields: opts.config.ingest.json_fields.clone(),
        stop: Some(Arc::clone(stop)),
        proxies,
        combined_forwarded_field: proxy.combined_field,
        parallel: haboob_ingest::Parallel::WhereItPays,
        ..ReadOptions::default()
    }
}

/// How to read one input of a hunt: `base` with the input's site (for
/// lines that do not name one; see [`sitename`]).
pub fn read_options(input: &Input, opts: &HuntOptions, base: &ReadOptions) -> ReadOptions {
    let site = match input {
        Input::File(p) => opts.targets.site_name_for_file(p),
        Input::Stdin => sitename::STDIN_SITE.to_string(),
    };
    ReadOptions {
        site: Some(site),
        ..base.clone()
    }
}

fn hunt_stream(
    stream: &[Input],
    opts: &HuntOptions,
    progress: &(dyn Fn(u64) + Sync),
    base: &ReadOptions,
    stop: &AtomicBool,
) -> StreamResult {
    let bytes = stream.iter().filter_map(Input::len).sum();
    let lanes = lanes::lanes_for_stream(opts, bytes);
    let (res, out) = lanes::with_sink(opts, lanes, |feed| {
        hunt_stream_into(stream, opts, progress, base, stop, feed)
    });
    match res {
        // Out of order beyond the tolerance: start over, sorted.
        Err(rehunt) => *rehunt,
        Ok(mut r) => {
            r.alerts = out.alerts;
            r.packed = out.packed;
            r.travel = out.travel;
            r.sigma = out.sigma;
            r
        }
    }
}

/// Read one stream into `feed`: its result without the alerts, or `Err`
/// with the result of hunting it again sorted by time.
fn hunt_stream_into(
    stream: &[Input],
    opts: &HuntOptions,
    progress: &(dyn Fn(u64) + Sync),
    base: &ReadOptions,
    stop: &AtomicBool,
    feed: &mut lanes::Sink<'_, '_, '_>,
) -> Result<StreamResult, Box<StreamResult>> {
    let mut stats = ReadStats::default();
    let mut errors = Vec::new();
    let mut skipped = Vec::new();
    let mut guard = order::OrderGuard::new(opts.config.ingest.order_tolerance_secs);
    let mut spool = order::StdinSpool::default();
    let mut reorder = reorder::Reorder::new(
        opts.config.ingest.order_tolerance_secs,
        order::sort_buffer_bytes(opts),
    );
    let progress = order::Progress::new(progress);
    for input in stream {
        if guard.disorder().is_some() || stop.load(Ordering::Relaxed) {
            break;
        }
        let mut ro = read_options(input, opts, base);
        // A file stops being read once its stream needs sorting (the sorted
        // pass reads it again); standard input is read to its end, into the
        // spool the sort reads from.
        let give_up = matches!(input, Input::File(_)).then(|| Arc::new(AtomicBool::new(false)));
        ro.stop_input = give_up.clone();
        let mut file_stats = ReadStats::default();
        let res = order::read_first(
            input,
            &ro,
            &|n| progress.first_pass(n),
            &mut spool,
            &mut |ev: &haboob_model::EventRef<'_>, origin: &haboob_model::Origin<'_>| {
                // The time is read once, for the guard and the buffer.
                let ts = ev.ts();
                if guard.admit(ts, origin) {
                    reorder.push_at(ts, ev, origin, &mut |ev, o| feed.observe(ev, o));
                } else if let Some(g) = &give_up {
                    g.store(true, Ordering::Relaxed);
                }
            },
            &mut file_stats,
        );
        stats.merge(file_stats, MAX_REJECT_SAMPLES);
        match res {
            Ok(()) => {}
            Err(IngestError::Stopped { .. }) => break,
            Err(e @ (IngestError::UnknownFormat { .. } | IngestError::NotALog { .. }))
                if is_found(input, opts) =>
            {
                tracing::debug!(input = %input.display(), error = %e, "Skipped: not a log.");
                // Counted as skipped, not as a file hunted.
                stats.files = stats.files.saturating_sub(1);
                skipped.push(format!("{}: not a log this tool reads", input.display()));
            }
            Err(e) => {
                tracing::debug!(input = %input.display(), error = %e, "Input failed.");
                if matches!(e, IngestError::Strict { .. }) {
                    stop.store(true, Ordering::Relaxed);
                }
                errors.push(e.to_string());
            }
        }
    }
    if let Some(d) = guard.disorder() {
        if !stop.load(Ordering::Relaxed) {
            // Out of order beyond the tolerance: start over, sorted.
            let mut r = order::rehunt_sorted(stream, opts, base, &progress, &spool, d);
            r.skipped = skipped;
            return Err(Box::new(r));
        }
    }
    reorder.drain(&mut |ev, o| feed.observe(ev, o));
    let mut notices = Vec::new();
    if reorder.engaged() {
        tracing::debug!(
            held = reorder.most_held(),
            "Stream reordered within the tolerance."
        );
    }
    if reorder.released_early() > 0 {
        notices.push(format!(
            "{}: {} records out of time order were fed before the order was settled: the reorder buffer ([ingest] sort_buffer_mb) was full",
            stream.first().map_or_else(String::new, |i| i.display().to_string()),
            reorder.released_early()
        ));
    }
    Ok(StreamResult {
        stats,
        errors,
        notices,
        skipped,
        ..StreamResult::default()
    })
}

fn is_found(input: &Input, opts: &HuntOptions) -> bool {
    matches!(input, Input::File(p) if opts.found.contains(p))
}

/// Hunt the inputs. Errors on one input are recorded in the report and the
/// others are still hunted; with `strict`, a rejected line is such an error.
pub fn hunt(inputs: &[Input], opts: &HuntOptions, progress: &(dyn Fn(u64) + Sync)) -> HuntReport {
    let streams = streams::group(inputs);
    let stop = Arc::new(AtomicBool::new(false));
    let base = base_read_options(opts, &stop);
    let results: Vec<StreamResult> = streams
        .par_iter()
        .map(|s| hunt_stream(s, opts, progress, &base, &stop))
        .collect();
    assemble(results, opts)
}

/// The end of a hunt, over what every stream found: travel across streams,
/// Sigma correlation, merge, suppression, campaigns and the background.
pub(crate) fn assemble(results: Vec<StreamResult>, opts: &HuntOptions) -> HuntReport {
    let mut stats = ReadStats::default();
    let mut alerts = Vec::new();
    let mut packed = alert_spill::store(
        &alert_spill::TempSpill::shared(),
        opts.config.hunt.spill_alerts_after_mib,
    );
    let mut errors = Vec::new();
    let mut notices = Vec::new();
    let mut skipped = Vec::new();
    let mut tracks = Vec::new();
    let mut sigma_parts = Vec::new();
    alerts.reserve_exact(results.iter().map(|r| r.alerts.len()).sum());
    for r in results {
        sigma_parts.extend(r.sigma);
        // In stream order (not the order streams ended): deterministic.
        tracks.extend(r.travel);
        stats.merge(r.stats, MAX_REJECT_SAMPLES);
        alerts.extend(r.alerts);
        packed.append(r.packed);
        errors.extend(r.errors);
        notices.extend(r.notices);
        skipped.extend(r.skipped);
    }
    alerts.extend(haboob_detect::auth::travel_across(
        &opts.config.auth,
        &tracks,
    ));
    drop(tracks);
    let sigma = opts.sigma.as_ref().map(|s| {
        let (report, correlated) = sigma::merge(s, sigma_parts);
        alerts.extend(correlated);
        report
    });
    errors.extend(accounting_errors(&stats, opts));
    let gap =
        i64::try_from(opts.config.hunt.merge_gap_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let mut report = HuntReport {
        stats,
        errors,
        notices,
        skipped,
        sigma,
        ..HuntReport::default()
    };
    if !packed.is_empty() {
        // Some lane packed its alerts: the others' join them.
        for a in alerts.drain(..) {
            packed.push(&a);
        }
        drop(alerts);
        tracing::debug!(
            alerts = packed.len(),
            bytes = packed.heap_bytes(),
            "Alerts packed."
        );
        let end = packed_end::end(packed, opts, gap);
        report.campaigns = end.campaigns;
        report.background = end.background;
        report.suppressed = end.suppressed;
        report.alerts = Alerts::from(end.store);
        return report;
    }
    let mut alerts = merge::merge_alerts(alerts, gap);
    let allow = opts.config.hunt.allow_list().unwrap_or_default();
    report.suppressed = merge::suppress(&mut alerts, &allow);
    let (campaigns, background) = campaigns_of(alerts.as_slice(), opts);
    report.campaigns = campaigns;
    report.background = background;
    report.alerts = Alerts::from(alerts);
    report
}

/// The campaigns of `alerts` (merged, suppressed, in order) and the
/// background, attributed when an actor database is loaded: the same for
/// alerts held as they are and packed ones.
pub(crate) fn campaigns_of<P: pool::Pool + ?Sized>(
    alerts: &P,
    opts: &HuntOptions,
) -> (Vec<Campaign>, background::Background) {
    let (mut campaigns, background) = campaign::group_split_of(
        alerts,
        &opts.targets,
        &opts.config.hunt,
        opts.geo.as_deref(),
        &research::ResearchNets::from_config(&opts.config.web),
    );
    if let Some(db) = &opts.actors {
        attrib::attribute_all(&mut campaigns, alerts, db);
    }
    (campaigns, background)
}

/// Errors the accounting reveals: files of which nothing parsed, and a run
/// with more than the configured share of lines rejected.
fn accounting_errors(stats: &ReadStats, opts: &HuntOptions) -> Vec<String> {
    let mut out: Vec<String> = stats
        .unparsed
        .iter()
        .map(|(path, format, lines)| {
            let hint = match (opts.format, format.as_str()) {
                (Some(_), "json") => {
                    " (--format json is a log format; for JSON output use --output-format jsonl)"
                }
                (Some(_), _) => " (is --log-format right for this file?)",
                (None, _) => " (the file looks like this format but none of its lines parsed)",
            };
            format!("{path}: none of {lines} lines parsed as {format}{hint}")
        })
        .collect();
    let share = opts.config.ingest.max_rejected_share;
    if stats.lines > 0 && out.is_empty() {
        let rejected = stats.rejected as f64 / stats.lines as f64;
        if rejected > share {
            let mut where_ = String::new();
            for s in stats.samples.iter().take(3) {
                where_.push_str(&format!("; e.g. {}:{}: {}", s.file, s.line, s.reason));
            }
            out.push(format!(
                "{} of {} lines rejected ({:.0} %, over the configured {:.0} % [ingest] max_rejected_share){where_}",
                stats.rejected,
                stats.lines,
                rejected * 100.0,
                share * 100.0
            ));
        }
    }
    out
}
