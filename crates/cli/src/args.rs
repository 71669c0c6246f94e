//! Command-line arguments (clap derive).

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// haboob hunts state-sponsored intrusion activity in logs: web
/// reconnaissance, attacks on accounts, campaigns and who must be told.
#[derive(Debug, Parser)]
#[command(name = "haboob", version, about, propagate_version = true)]
pub struct Args {
    #[command(flatten)]
    pub globals: Globals,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, ClapArgs)]
pub struct Globals {
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// No progress bar and only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Colour in the terminal report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Worker threads, 1-256 (default: all cores).
    #[arg(long, global = true, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Hunt logs: files, folders (recursive), globs, `-` for stdin; gzip and zstd are read transparently.
    Hunt(Box<HuntArgs>),
    /// Write realistic logs with labelled attacks (ground truth in labels.jsonl).
    Simulate(SimulateArgs),
    /// Simulate the bundled scenarios into a temporary folder, hunt them and print the report.
    Demo(DemoArgs),
    /// Print or check the configuration (detector thresholds, allow lists).
    Config(ConfigArgs),
    /// Print every input record as haboob reads it: one JSON object per line
    /// with ECS field names, or the rejection with its reason.
    Events(EventsArgs),
    /// Sigma rules: check that they load (`haboob rules check DIR_OR_FILE...`).
    Rules(RulesArgs),
    /// Tell the targeted organisations: queue one notification per
    /// organisation, contact and campaign change, send what is due (email,
    /// Slack, Teams, signed webhooks) and retry failures; exit 1 when a
    /// delivery was given up.
    Notify(NotifyArgs),
    /// Serve the HTTP API and web console over a store.
    Serve(ServeArgs),
    /// API and console tokens: create (the secret is printed once), list, revoke.
    Token(TokenArgs),
    /// Threat actors haboob knows (own profiles, plus ATT&CK with --attack):
    /// `list`, or `show NAME` by any alias.
    Actors(ActorsArgs),
    /// Share campaigns, matched indicators and attributions from a store:
    /// `export stix` (a STIX 2.1 bundle) or `export misp` (a MISP event).
    Export(crate::commands::export::ExportArgs),
    /// Threat intelligence: import files, folders or feeds, pull TAXII 2.1
    /// collections, list stored sources.
    Intel(IntelArgs),
}

#[derive(Debug, ClapArgs)]
pub struct ActorsArgs {
    #[command(subcommand)]
    pub command: ActorsCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ActorsFormat {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum ActorsCommand {
    /// Every actor: name, ATT&CK id, sponsor, aliases.
    List {
        /// MITRE ATT&CK Enterprise bundle (STIX JSON) to merge with the
        /// built-in profiles (default: `[intel] attack` of --config).
        #[arg(long, value_name = "PATH")]
        attack: Option<PathBuf>,
        /// Configuration file whose `[intel] attack` names the bundle.
        #[arg(short, long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: ActorsFormat,
    },
    /// One actor by any of its names (case, spaces and punctuation ignored):
    /// profile, aliases, sponsor, targeting, techniques, sources. An unknown
    /// name exits 1 with suggestions.
    Show {
        /// Name or alias, e.g. `APT35`, `Charming Kitten`, `G0059`.
        name: String,
        /// MITRE ATT&CK Enterprise bundle (STIX JSON) to merge.
        #[arg(long, value_name = "PATH")]
        attack: Option<PathBuf>,
        /// Configuration file whose `[intel] attack` names the bundle.
        #[arg(short, long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: ActorsFormat,
    },
}

#[derive(Debug, ClapArgs)]
pub struct ServeArgs {
    /// Store to serve: `sqlite:PATH`, a path, `postgres://…`, or `default`
    /// (the default SQLite store, as for `hunt --store`).
    #[arg(long, value_name = "URL", default_value = "default")]
    pub store: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: String,
    /// Requests per second allowed per client address and per token.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Requests allowed in a burst per client address and per token.
    #[arg(long, default_value_t = 120)]
    pub burst: u32,
    /// Mark the session cookie Secure (when served over HTTPS, e.g. behind
    /// a TLS-terminating proxy).
    #[arg(long)]
    pub secure_cookies: bool,
}

#[derive(Debug, ClapArgs)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenRole {
    Viewer,
    Analyst,
    Admin,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret (once; the store keeps a hash).
    Create {
        /// Store: `sqlite:PATH`, a path, `postgres://…`, or `default`.
        #[arg(long, value_name = "URL", default_value = "default")]
        store: String,
        /// viewer reads; analyst also changes status, assignee and notes;
        /// admin also reads the audit trail.
        #[arg(long, value_enum)]
        role: TokenRole,
        /// Who the token is for (unique).
        #[arg(long)]
        name: String,
    },
    /// List tokens (never their secrets).
    List {
        /// Store: `sqlite:PATH`, a path, `postgres://…`, or `default`.
        #[arg(long, value_name = "URL", default_value = "default")]
        store: String,
    },
    /// Revoke a token by name.
    Revoke {
        /// Store: `sqlite:PATH`, a path, `postgres://…`, or `default`.
        #[arg(long, value_name = "URL", default_value = "default")]
        store: String,
        /// The token's name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, ClapArgs)]
pub struct NotifyArgs {
    /// Store the hunts saved into: `sqlite:PATH`, a path, or `postgres://…`.
    #[arg(long, value_name = "URL")]
    pub store: String,
    /// Print what would be queued and sent (subjects, recipients); change
    /// nothing and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Configuration file with the `[notify]` section (SMTP server,
    /// webhook secret, minimum severity, retry schedule).
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Targets file(s) with the organisations' contacts (`[[organisation]]`);
    /// default: the contacts the hunts saved in the store.
    #[arg(short, long, value_name = "FILE")]
    pub targets: Vec<PathBuf>,
    /// Act as if it were this time (RFC 3339); for tests.
    #[arg(long, hide = true, value_name = "RFC3339")]
    pub now: Option<String>,
}

#[derive(Debug, ClapArgs)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Load Sigma rules, print every rule that is invalid or unsupported
    /// (file:line:column: reason) and the tally per folder; exit 1 when a
    /// rule is invalid.
    Check(RulesCheckArgs),
}

#[derive(Debug, ClapArgs)]
pub struct RulesCheckArgs {
    /// Rule files and folders (recursive, *.yml and *.yaml).
    #[arg(required = true, value_name = "DIR_OR_FILE")]
    pub paths: Vec<PathBuf>,
    /// Log source mapping replacing the built-in one (same format as
    /// crates/sigma/data/logsources.toml).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Print only the tally, not each rule that did not load.
    #[arg(long)]
    pub summary: bool,
}

#[derive(Debug, ClapArgs)]
pub struct EventsArgs {
    /// Inputs: files, folders, glob patterns, or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Log format of every input (combined, iis, entra, …); detected per file
    /// when not given.
    #[arg(short = 'l', long = "log-format", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Print parsed events only, not the rejected lines.
    #[arg(long)]
    pub no_rejected: bool,
    /// Add each event's named fields, as Sigma rules read them (web: the
    /// `webserver` and `proxy` taxonomies), under `haboob.fields`.
    #[arg(long)]
    pub fields: bool,
    /// Configuration file, read as `hunt` reads it (`[ingest]`: JSON field
    /// map, trusted proxies); default: `haboob.toml` beside the logs.
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Targets file(s), read as `hunt` reads them (the site of each log);
    /// default: `targets.toml` beside the logs.
    #[arg(short, long, value_name = "FILE")]
    pub targets: Vec<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct HuntArgs {
    /// Inputs: files, folders, glob patterns, or `-` for stdin. With
    /// --retro, only where `haboob.toml` and `targets.toml` are looked for
    /// (the inputs re-read are the ones the store records).
    #[arg(required_unless_present = "retro", value_name = "PATH")]
    pub paths: Vec<String>,
    /// Log format of every input (combined, common, vhost-combined, iis,
    /// json, aws-alb, entra, …); detected per file when not given.
    #[arg(short = 'l', long = "log-format", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Output format: table, jsonl or csv (default: table).
    #[arg(short = 'O', long = "output-format", value_name = "FORMAT")]
    pub output_format: Option<String>,
    /// Deprecated: an output format or a log format (may be given twice).
    /// Use --output-format and --log-format.
    #[arg(short, long = "format", value_name = "FORMAT")]
    pub formats: Vec<String>,
    /// Write results to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Fail on the first rejected line (exit 2, naming file, line and reason).
    #[arg(long)]
    pub strict: bool,
    /// Configuration file (see `haboob config --default`).
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Targets file(s) mapping sites to organisation, sector and region.
    #[arg(short, long, value_name = "FILE")]
    pub targets: Vec<PathBuf>,
    /// MaxMind-format database(s) (GeoLite2/GeoIP2 ASN, Country or City) used
    /// to add ASN, country and (City) location to sign-in sources
    /// (repeatable); locations feed `auth.impossible_travel`.
    #[arg(long, value_name = "FILE")]
    pub geoip: Vec<PathBuf>,
    /// Skip inputs whose file name or path matches GLOB (repeatable), e.g.
    /// `--exclude '*.toml'`.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Sigma rules to run beside the built-in detectors: YAML files or
    /// folders of them (repeatable). Hits are alerts (detector `sigma`).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Run no built-in detector (`web.*`, `auth.*`), whatever the
    /// configuration enables: only the Sigma rules of --rules and the
    /// indicators of --intel.
    #[arg(long)]
    pub no_builtin: bool,
    /// Sigma log-source mapping file replacing the shipped one (see
    /// `crates/sigma/data/logsources.toml`).
    #[arg(long = "sigma-mapping", value_name = "FILE")]
    pub sigma_mapping: Option<PathBuf>,
    /// Write the Sigma timeline (one row per rule hit, by time) to FILE:
    /// JSON Lines for `.jsonl`, else CSV; `-` for stdout.
    #[arg(long, value_name = "FILE", requires = "rules")]
    pub timeline: Option<PathBuf>,
    /// Save alerts and campaigns in a store: `sqlite:PATH`, a path, or
    /// `postgres://…`. Without a value (or `default`): `$HABOOB_STORE` when
    /// set, else the default SQLite store, `$XDG_DATA_HOME/haboob/haboob.db`
    /// (else `~/.local/share/haboob/haboob.db`).
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "default")]
    pub store: Option<String>,
    /// With --store: forget the read positions and detector state saved by
    /// earlier hunts and read every input from its start; stored alerts this
    /// hunt does not find again are retracted.
    #[arg(long, requires = "store")]
    pub from_scratch: bool,
    /// With --store: retro-hunt. Read again the inputs the store's hunts
    /// read (from their start to where hunting stopped) for the indicators
    /// imported since the last retro-hunt only (`intel.match` and
    /// `intel.victim`); old activity that matches becomes alerts and joins
    /// campaigns. Read positions are
    /// not moved; alerts already stored are not added again.
    #[arg(long, requires = "store", conflicts_with_all = ["from_scratch", "intel"])]
    pub retro: bool,
    /// Threat intelligence to match (detector `intel.match`): STIX 2.1
    /// bundles, MISP feeds or events, plain lists; files or folders
    /// (repeatable). With --store, the stored indicators are matched too.
    #[arg(long = "intel", value_name = "PATH")]
    pub intel: Vec<PathBuf>,
    /// MITRE ATT&CK Enterprise bundle (STIX JSON) merged with the built-in
    /// actor profiles for attribution (default: `[intel] attack` of the
    /// configuration; without either, the built-in profiles only).
    #[arg(long, value_name = "PATH")]
    pub attack: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct SimulateArgs {
    /// Scenario: election-recon, account-campaign, web-volume, web-sweep.
    #[arg(long, default_value = "election-recon")]
    pub scenario: String,
    /// Days of activity.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Random seed (same seed, same bytes).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output folder (created).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Benign requests per site per day.
    #[arg(long, default_value_t = 2000)]
    pub rate: u32,
    /// Target size in bytes for web-volume (e.g. 1000000000).
    #[arg(long, default_value_t = 1 << 30)]
    pub bytes: u64,
    /// Distinct client addresses in web-volume (0: a new one for every request).
    #[arg(long, default_value_t = haboob_simulate::DEFAULT_SOURCES)]
    pub sources: u64,
    /// Percentage of web-volume visits that are one hostile probe (a distinct
    /// path, mostly 4xx) instead of a browsing session; with `--sources 0`,
    /// the worst case for per-source state.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub probes: u32,
}

#[derive(Debug, ClapArgs)]
pub struct DemoArgs {
    /// Output format of the report.
    #[arg(short, long = "format", default_value = "table", value_name = "FORMAT")]
    pub format: String,
    /// Keep the simulated logs in this folder instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// Days to simulate.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Store to fill with the results (default: `haboob-demo.db` in the
    /// `--keep` folder, else beside the default store:
    /// `$XDG_DATA_HOME/haboob/haboob-demo.db`).
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// MITRE ATT&CK Enterprise bundle (STIX JSON) merged with the built-in
    /// actor profiles for attribution.
    #[arg(long, value_name = "PATH")]
    pub attack: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct ConfigArgs {
    /// Print the default configuration as commented TOML.
    #[arg(long, conflicts_with = "check")]
    pub default: bool,
    /// Check a configuration file and report the first error with its line.
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct IntelArgs {
    #[command(subcommand)]
    pub command: IntelCommand,
}

#[derive(Debug, Subcommand)]
pub enum IntelCommand {
    /// Read intel (STIX 2.1 bundle, MISP feed or event, plain list; a file,
    /// folder, or an http(s) MISP feed URL), print what was read, and save
    /// it with --store.
    Import {
        /// File, folder or MISP feed URL.
        #[arg(value_name = "PATH|URL")]
        path: String,
        /// Store: `sqlite:PATH`, a path, `postgres://…`, or `default`.
        #[arg(long, value_name = "URL")]
        store: Option<String>,
        /// Source name (default: derived from the file or URL).
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        /// TLP for indicators without one: clear, green, amber, amber+strict, red.
        #[arg(long, value_name = "TLP")]
        tlp: Option<String>,
        /// Plain lists: every line is of this kind (`user-agent`).
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        /// MISP: import `to_ids=false` attributes too (as context).
        #[arg(long)]
        include_context: bool,
        /// With --store, how the stored alerts the new indicators match are
        /// printed: table or json.
        #[arg(long, value_name = "FORMAT", default_value = "table")]
        format: String,
    },
    /// Pull a TAXII 2.1 collection (incremental with the stored cursor).
    Pull {
        /// Discovery URL (`…/taxii2/`) or API root.
        #[arg(value_name = "URL")]
        url: String,
        /// Collection id (or title).
        #[arg(long, value_name = "ID")]
        collection: String,
        /// User for basic authentication.
        #[arg(long, value_name = "USER", requires = "password_env")]
        user: Option<String>,
        /// Environment variable holding the password.
        #[arg(long, value_name = "VAR", requires = "user")]
        password_env: Option<String>,
        /// Environment variable holding a bearer token.
        #[arg(long, value_name = "VAR", conflicts_with = "user")]
        token_env: Option<String>,
        /// Store: `sqlite:PATH`, a path, `postgres://…`, or `default`.
        #[arg(long, value_name = "URL")]
        store: Option<String>,
        /// Only objects added after this time (overrides the stored cursor).
        #[arg(long, value_name = "TIME")]
        added_after: Option<String>,
        /// Source name (default: `taxii:<collection URL>`).
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        /// With --store, how the stored alerts the new indicators match are
        /// printed: table or json.
        #[arg(long, value_name = "FORMAT", default_value = "table")]
        format: String,
    },
    /// List the stored intel sources with their counts and cursors.
    List {
        /// Store: `sqlite:PATH`, a path, `postgres://…`, or `default`.
        #[arg(long, value_name = "URL", default_value = "default")]
        store: String,
    },
}
