//! Deterministic simulator of realistic web-server logs with labelled
//! ground truth, for testing and benchmarking haboob.
//!
//! [`simulate`] writes one [`Scenario`] into a folder described by
//! [`SimOptions`] and returns a [`SimSummary`]. Every scenario writes
//! `labels.jsonl`: one [`Label`] per (source, site, role), read back with
//! [`read_labels`]. The same seed always gives byte-identical output.
//! `election-recon`, `election-actor` and `account-campaign` also write
//! `intel/isac.stix.json` and `intel/isac-list.txt`: intel an ISAC would
//! publish about their seeded actors (who they are is documented in
//! `intel.rs`; their labels carry `attributed_to`), with decoys.
//!
//! - [`Scenario::ElectionRecon`]: seven sites (election offices in three
//!   states, a news site, a campaign) in four log formats, with benign hard
//!   negatives and a state-backed actor's reconnaissance spread over weeks.
//! - [`Scenario::ElectionActor`]: one actor's six addresses over eight sites
//!   in four formats and four weeks, with look-alike benign and commodity
//!   sources.
//! - [`Scenario::WebVolume`]: one large combined log written fast, for
//!   benchmarks.
//! - [`Scenario::WebSweep`]: a distributed backup-file sweep from hundreds
//!   of addresses against two sites, beside single-source probes and benign
//!   many-source traffic.
//! - [`Scenario::ElectionIntrusion`]: an intrusion stage by stage (scanner
//!   reconnaissance, exploitation, webshell, voter-record harvest,
//!   defacement) against four state election sites, beside benign
//!   look-alikes; labels carry the stage reached per site.
//!
//! ```no_run
//! use haboob_simulate::{simulate, Scenario, SimOptions};
//! let opts = SimOptions { days: 3, ..SimOptions::new(Scenario::ElectionRecon, "/tmp/sim") };
//! let summary = simulate(&opts).unwrap();
//! assert!(summary.labels > 0);
//! ```
#![deny(missing_docs)]

pub mod account;
mod actor;
mod clock;
mod election;
mod intel;
mod intrusion;
mod label;
mod sweep;
mod volume;
mod write;

pub use label::{read_labels, Label, LabelKind};

use std::path::PathBuf;

/// Which world to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scenario {
    /// `election-recon`: reconnaissance and limited scanning of election,
    /// news and campaign sites, in several log formats.
    ElectionRecon,
    /// `web-volume`: one big combined access log of a target size.
    WebVolume,
    /// `account-campaign`: a month of Entra ID and Microsoft 365 sign-ins for
    /// several organisations, with an identification → attack → takeover
    /// campaign (2,700 identification attempts, 241 attacked, 4 compromised).
    AccountCampaign,
    /// `election-actor`: one actor's six addresses in three networks walking
    /// its own wordlist against eight sites in four formats over four weeks,
    /// beside crawlers, a monitor, a research scanner, commodity scanners and
    /// one-off exploit probes.
    ElectionActor,
    /// `web-sweep`: a distributed backup-file sweep (340 addresses, one or
    /// two `HEAD` requests each, no user agent, over ten hours) against two
    /// sites, with single-source probes and benign many-source patterns.
    WebSweep,
    /// `election-intrusion`: one actor's stages against four state election
    /// sites (scanner reconnaissance, exploitation of one site, a webshell,
    /// a scripted voter-lookup harvest, a defacement of another), beside
    /// benign look-alikes (crawler, results feed, journalist, monitor,
    /// editors); labels carry stages and the records taken. 4 to 14 days.
    ElectionIntrusion,
}

impl Scenario {
    /// The scenario's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::ElectionRecon => "election-recon",
            Scenario::WebVolume => "web-volume",
            Scenario::AccountCampaign => "account-campaign",
            Scenario::ElectionActor => "election-actor",
            Scenario::WebSweep => "web-sweep",
            Scenario::ElectionIntrusion => "election-intrusion",
        }
    }

    /// Every scenario, in a stable order.
    pub fn all() -> &'static [Scenario] {
        &[
            Scenario::ElectionRecon,
            Scenario::AccountCampaign,
            Scenario::ElectionActor,
            Scenario::WebVolume,
            Scenario::WebSweep,
            Scenario::ElectionIntrusion,
        ]
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Scenario, String> {
        Scenario::all()
            .iter()
            .copied()
            .find(|sc| sc.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Scenario::all().iter().map(|s| s.name()).collect();
                format!("unknown scenario (expected one of: {})", names.join(", "))
            })
    }
}

/// `web-volume`'s default number of distinct client addresses.
pub const DEFAULT_SOURCES: u64 = 4096;

/// How to run a scenario.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Which scenario.
    pub scenario: Scenario,
    /// Length of the simulated period in days, from 2026-09-01T00:00Z (default 30).
    pub days: u32,
    /// RNG seed; the same seed gives byte-identical output (default 42).
    pub seed: u64,
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Benign requests per site per day (default 2000).
    pub rate: u32,
    /// `web-volume`: approximate size of the log in bytes (default 1 GiB).
    pub bytes: u64,
    /// `web-volume`: distinct client addresses (default 4,096); 0 gives every
    /// request a new address.
    pub sources: u64,
    /// `web-volume`: percentage (0-100) of visits that are one hostile probe
    /// (a distinct path, mostly answered 4xx, a varied user agent) instead
    /// of a browsing session: internet background noise at botnet scale,
    /// the worst case for per-source state (default 0).
    pub probes: u32,
}

impl SimOptions {
    /// Defaults for a scenario writing into `out`.
    pub fn new(scenario: Scenario, out: impl Into<PathBuf>) -> SimOptions {
        SimOptions {
            scenario,
            days: 30,
            seed: 42,
            out: out.into(),
            rate: 2000,
            bytes: 1 << 30,
            sources: DEFAULT_SOURCES,
            probes: 0,
        }
    }
}

/// What a run wrote.
#[derive(Debug, Clone, Default)]
pub struct SimSummary {
    /// Every file written (logs first, then metadata such as `labels.jsonl`).
    pub files: Vec<PathBuf>,
    /// Request lines written (format directives such as IIS `#Fields:` excluded).
    pub lines: u64,
    /// Bytes of log text written, before any compression.
    pub bytes: u64,
    /// Records in `labels.jsonl`.
    pub labels: u64,
}

/// Why a simulation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// Reading or writing a file failed.
    #[error("cannot write or read {}", .path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An option is out of range.
    #[error("invalid option: {0}")]
    Options(&'static str),
    /// A line of `labels.jsonl` is not a valid label.
    #[error("{}:{line}: bad label: {source}", .path.display())]
    BadLabel {
        /// The labels file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

impl SimError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> SimError {
        let path = path.into();
        move |source| SimError::Io { path, source }
    }
}

/// Run a scenario, writing its files under `opts.out`.
pub fn simulate(opts: &SimOptions) -> Result<SimSummary, SimError> {
    if opts.days == 0 || opts.days > 3660 {
        return Err(SimError::Options("days must be between 1 and 3660"));
    }
    std::fs::create_dir_all(&opts.out).map_err(SimError::io(&opts.out))?;
    tracing::debug!(
        scenario = opts.scenario.name(),
        days = opts.days,
        seed = opts.seed,
        "Simulating."
    );
    match opts.scenario {
        Scenario::ElectionRecon => election::run(opts),
        Scenario::WebVolume => volume::run(opts),
        Scenario::ElectionActor => actor::run(opts),
        Scenario::WebSweep => sweep::run(opts),
        Scenario::ElectionIntrusion => intrusion::run(opts),
        Scenario::AccountCampaign => {
            let s = account::write_account_campaign(&opts.out, opts.days, opts.seed)
                .map_err(SimError::io(&opts.out))?;
            let bytes = s
                .files
                .iter()
                .filter_map(|f| std::fs::metadata(f).ok())
                .map(|m| m.len())
                .sum();
            let mut summary = SimSummary {
                lines: s.events,
                bytes,
                labels: std::fs::read_to_string(opts.out.join("labels.jsonl"))
                    .map(|t| t.lines().count() as u64)
                    .unwrap_or(0),
                files: s.files,
            };
            intel::write(&opts.out, &intel::ACCOUNT_CAMPAIGN, &mut summary)?;
            Ok(summary)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_round_trip() {
        for sc in Scenario::all() {
            assert_eq!(sc.name().parse::<Scenario>().unwrap(), *sc);
        }
        assert!("election".parse::<Scenario>().is_err());
    }

    #[test]
    fn zero_days_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let opts = SimOptions {
            days: 0,
            ..SimOptions::new(Scenario::ElectionRecon, dir.path())
        };
        assert!(matches!(simulate(&opts), Err(SimError::Options(_))));
    }
}
