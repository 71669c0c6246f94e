//! Settings of the account-attack detectors (TOML, every field defaulted).

use serde::{Deserialize, Serialize};

/// Settings shared by every auth detector plus one sub-table per detector.
///
/// ```toml
/// [auth]
/// idle_secs = 604800
/// [auth.spray]
/// min_accounts = 10
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// A source idle for this long (event time) is evicted; if it looked
    /// hostile its summary is retired and still clustered at the end.
    /// Default 7 days.
    pub idle_secs: i64,
    /// Touches (one per sign-in attempt) kept per source; later attempts are
    /// only counted. Default 4096.
    pub max_touches_per_source: usize,
    /// Distinct account names tracked; names past the cap are counted and
    /// ignored (a warning is logged once). Default 2,000,000.
    pub max_users: usize,
    /// Sources whose summary is retired after idling. Default 200,000.
    pub max_retired_sources: usize,
    /// Sources that may hold evidence lines at once. Default 20,000.
    pub max_evidence_sources: usize,
    /// Evidence lines per alert. Default 10.
    pub max_evidence: usize,
    /// Account names listed per alert detail (`users_probed`, …). Default 10,000.
    pub max_listed_users: usize,
    /// Bytes kept of an account name or client string (attacker text). Default 256.
    pub max_text_bytes: usize,
    /// How hostile sources are grouped into clusters.
    pub cluster: ClusterConfig,
    /// `auth.enumeration`.
    pub enumeration: EnumerationConfig,
    /// `auth.spray`.
    pub spray: SprayConfig,
    /// `auth.stuffing`.
    pub stuffing: StuffingConfig,
    /// `auth.brute_force`.
    pub brute_force: BruteForceConfig,
    /// Fast bursts from one source (`auth.burst`, or `auth.brute_force` on one name).
    pub burst: BurstConfig,
    /// `auth.takeover`.
    pub takeover: TakeoverConfig,
    /// `auth.mfa_fatigue`.
    pub mfa_fatigue: MfaFatigueConfig,
    /// `auth.ssh_probe`.
    pub ssh_probe: SshProbeConfig,
    /// `auth.impossible_travel`.
    pub impossible_travel: ImpossibleTravelConfig,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            idle_secs: 7 * 86_400,
            max_touches_per_source: 4096,
            max_users: 2_000_000,
            max_retired_sources: 200_000,
            max_evidence_sources: 20_000,
            max_evidence: 10,
            max_listed_users: 10_000,
            max_text_bytes: 256,
            cluster: ClusterConfig::default(),
            enumeration: EnumerationConfig::default(),
            spray: SprayConfig::default(),
            stuffing: StuffingConfig::default(),
            brute_force: BruteForceConfig::default(),
            burst: BurstConfig::default(),
            takeover: TakeoverConfig::default(),
            mfa_fatigue: MfaFatigueConfig::default(),
            ssh_probe: SshProbeConfig::default(),
            impossible_travel: ImpossibleTravelConfig::default(),
        }
    }
}

/// Clustering of suspect sources into one actor.
///
/// A source is a *suspect* when at least `min_bad_share` of the accounts it
/// tried are "bad" for it: they failed from it and never succeeded from it
/// (a user mistyping then succeeding, or a stale phone client of a user who
/// signed in from that address before, is explained and not bad). Suspects
/// are linked when they share two of: /24 (or /64) prefix, ASN, client
/// string, rhythm (median gap between attempts within `rhythm_tolerance`).
/// A cluster is hostile when it has `min_bad_users` distinct bad accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// Minimum share of a source's accounts that are bad. Default 0.5.
    pub min_bad_share: f64,
    /// Minimum distinct bad accounts for a hostile cluster (or lone source). Default 5.
    pub min_bad_users: usize,
    /// Relative tolerance when comparing rhythms (0.25 = within 25 %). Default 0.25.
    pub rhythm_tolerance: f64,
    /// Attempts a source needs before it has a rhythm. Default 3.
    pub min_rhythm_attempts: usize,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            min_bad_share: 0.5,
            min_bad_users: 5,
            rhythm_tolerance: 0.25,
            min_rhythm_attempts: 3,
        }
    }
}

/// `auth.enumeration`: a hostile cluster asking about many names, many of
/// which do not exist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct EnumerationConfig {
    /// Run it.
    pub enabled: bool,
    /// Minimum distinct names probed. Default 10.
    pub min_users: usize,
    /// Minimum share of attempts answered "unknown user". Default 0.2.
    pub min_unknown_share: f64,
}

impl Default for EnumerationConfig {
    fn default() -> Self {
        EnumerationConfig {
            enabled: true,
            min_users: 10,
            min_unknown_share: 0.2,
        }
    }
}

/// `auth.spray`: a hostile cluster revisiting many existing accounts with
/// few attempts each (one password per round).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SprayConfig {
    /// Run it.
    pub enabled: bool,
    /// Minimum existing accounts attacked. Default 5.
    pub min_accounts: usize,
    /// Maximum mean password attempts per attacked account (more is brute force). Default 10.
    pub max_mean_attempts: f64,
    /// Explicit-credential attempts (Windows 4648): minimum distinct
    /// accounts one `computer\subject` presents within one episode. RunAs,
    /// scheduled tasks and mapped drives present one or a few. Default 10.
    pub explicit_min_accounts: usize,
    /// Explicit-credential episodes end after this gap between attempts.
    /// Default 1 hour.
    pub explicit_gap_secs: i64,
}

impl Default for SprayConfig {
    fn default() -> Self {
        SprayConfig {
            enabled: true,
            min_accounts: 5,
            max_mean_attempts: 10.0,
            explicit_min_accounts: 10,
            explicit_gap_secs: 3600,
        }
    }
}

/// `auth.stuffing`: many distinct existing accounts, each tried once or
/// twice (leaked user/password pairs), mostly wrong passwords.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StuffingConfig {
    /// Run it.
    pub enabled: bool,
    /// Minimum distinct names tried. Default 20.
    pub min_users: usize,
    /// Maximum mean attempts per name. Default 1.5.
    pub max_mean_attempts: f64,
    /// Minimum share of attempts answered "bad password". Default 0.6.
    pub min_bad_password_share: f64,
}

impl Default for StuffingConfig {
    fn default() -> Self {
        StuffingConfig {
            enabled: true,
            min_users: 20,
            max_mean_attempts: 1.5,
            min_bad_password_share: 0.6,
        }
    }
}

/// `auth.brute_force`: many password failures on one account (High), or
/// on one name that does not exist (Low: commodity guessing such as SSH
/// `Invalid user hadoop`, counted with the same thresholds; such names never
/// count as identified or attacked in the funnel).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BruteForceConfig {
    /// Run it.
    pub enabled: bool,
    /// Minimum password failures on one account within `window_secs`. Default 10.
    pub min_failures: usize,
    /// Sliding window. Default 1 day.
    pub window_secs: i64,
}

impl Default for BruteForceConfig {
    fn default() -> Self {
        BruteForceConfig {
            enabled: true,
            min_failures: 10,
            window_secs: 86_400,
        }
    }
}

/// Commodity bursts, the shape fail2ban or CrowdSec block: one source that
/// never signed in anywhere fails `min_failures` times within `window_secs`.
/// On a single name the alert is `auth.brute_force`, on several names
/// `auth.burst` (T1110); both Low. Only sources outside a hostile cluster
/// that raised an alert are checked (that cluster's alerts cover them), at most
/// one alert per source (none when `auth.brute_force` already fired for it).
/// Failures counted: unknown user, bad password, locked, disabled and
/// unclassified failures; MFA prompts and denials are not guesses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BurstConfig {
    /// Run it.
    pub enabled: bool,
    /// Minimum failures within `window_secs`. Default 5.
    pub min_failures: usize,
    /// Sliding window. Default 60 s.
    pub window_secs: i64,
}

impl Default for BurstConfig {
    fn default() -> Self {
        BurstConfig {
            enabled: true,
            min_failures: 5,
            window_secs: 60,
        }
    }
}

/// `auth.takeover`: a success by an attacking source or cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TakeoverConfig {
    /// Run it.
    pub enabled: bool,
}

impl Default for TakeoverConfig {
    fn default() -> Self {
        TakeoverConfig { enabled: true }
    }
}

/// `auth.mfa_fatigue`: repeated MFA prompts or denials for one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MfaFatigueConfig {
    /// Run it.
    pub enabled: bool,
    /// Minimum prompts or denials within `window_secs`. Default 5.
    pub min_prompts: usize,
    /// Sliding window. Default 15 minutes.
    pub window_secs: i64,
}

impl Default for MfaFatigueConfig {
    fn default() -> Self {
        MfaFatigueConfig {
            enabled: true,
            min_prompts: 5,
            window_secs: 900,
        }
    }
}

/// `auth.ssh_probe`: SSH connections that never reach authentication
/// (key-exchange or banner failures, connections closed before a user name
/// was sent) from one address, or from several addresses of one /24 (/64).
/// Low (T1595, T1046). Quiet when the source's sign-in attempts are as many
/// as its probes (a password guesser's connections close the same way) or
/// when it signed in; see the `auth::probe` module docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SshProbeConfig {
    /// Run it.
    pub enabled: bool,
    /// Minimum probes within `window_secs`. A lone scan opens one to three
    /// connections, a client with an outdated cipher list fails once per
    /// try. Default 10.
    pub min_probes: usize,
    /// Sliding window; an episode also ends after this long without a
    /// probe. Default 1 hour.
    pub window_secs: i64,
    /// Also count the probes of a /24 (/64) together: scanners spread over
    /// a network each stay under the bar. Default true.
    pub prefix_aggregation: bool,
    /// Minimum distinct addresses for a prefix alert. Default 2.
    pub prefix_min_members: usize,
    /// Addresses (and prefixes) tracked at once; probes from further ones
    /// are counted and ignored. Default 100,000.
    pub max_sources: usize,
}

impl Default for SshProbeConfig {
    fn default() -> Self {
        SshProbeConfig {
            enabled: true,
            min_probes: 10,
            window_secs: 3600,
            prefix_aggregation: true,
            prefix_min_members: 2,
            max_sources: 100_000,
        }
    }
}

/// `auth.impossible_travel`: two successful sign-ins of one account from
/// places too far apart for the time between them (High, T1078). Needs
/// locations: a City database given with `--geoip`. Distances are
/// great-circle distances less both places' accuracy radii.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ImpossibleTravelConfig {
    /// Run it.
    pub enabled: bool,
    /// Fastest plausible travel, km/h; faster fires. Default 1000 (an
    /// airliner, door to door, is slower).
    pub max_speed_kmh: f64,
    /// Minimum distance, km, so that geo-IP noise (mobile carriers, VPN
    /// exits in a neighbouring country) stays quiet. Default 500.
    pub min_distance_km: f64,
    /// Accounts whose last located sign-in is kept (about 700 bytes each);
    /// sign-ins of further accounts are counted and ignored. Default 200,000.
    pub max_accounts: usize,
    /// At most one alert per account within this many seconds. Default 1 day.
    pub realert_secs: i64,
}

impl Default for ImpossibleTravelConfig {
    fn default() -> Self {
        ImpossibleTravelConfig {
            enabled: true,
            max_speed_kmh: 1000.0,
            min_distance_km: 500.0,
            max_accounts: 200_000,
            realert_secs: 86_400,
        }
    }
}
