//! The `haboob.toml` file: what to detect (detector thresholds) and what to
//! leave alone (declared pen-tests, monitors). Flags say how to run.

use haboob_detect::{auth::AuthConfig, web::WebConfig, DetectConfig};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Pipeline settings.
    pub hunt: HuntConfig,
    /// How inputs are read.
    pub ingest: IngestConfig,
    /// Web reconnaissance detectors.
    pub web: WebConfig,
    /// Account attack detectors.
    pub auth: AuthConfig,
    /// Notifications to the targeted organisations (`haboob notify`).
    pub notify: crate::notify_config::NotifyConfig,
    /// Threat intelligence and actor knowledge.
    pub intel: crate::intel_config::IntelConfig,
}

/// How inputs are read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// A run in which more than this share of all lines (0.0-1.0) was
    /// rejected exits with status 2, naming the files most rejected: the
    /// results of such a run cannot be trusted (wrong format, truncated or
    /// binary files). A file of which no line parsed always exits 2.
    pub max_rejected_share: f64,
    /// JSON access logs: for each field, the JSON keys tried in order (dotted
    /// paths reach into nested objects, `[n]` picks an array element). The
    /// defaults cover nginx `log_format` JSON, Caddy, ECS and Envoy.
    pub json_fields: haboob_ingest::JsonFieldMap,
    /// Servers behind a load balancer, reverse proxy or CDN: which peers are
    /// trusted proxies, so that the client is taken from the logged
    /// `X-Forwarded-For` (or `X-Real-IP`, `CF-Connecting-IP`,
    /// `True-Client-IP`) instead of the proxy's own address.
    pub proxy: haboob_ingest::ProxyConfig,
    /// A record earlier than the latest one read from its stream by more
    /// than this many seconds means the stream is out of time order (e.g.
    /// newest first): it is then sorted by time and hunted again. Smaller
    /// steps back are normal (servers log a request when it ends) and are
    /// read as they come.
    pub order_tolerance_secs: u64,
    /// Memory for sorting an out-of-order stream, MiB per stream; beyond
    /// it, sorted runs go to temporary files and are merged. Also bounds
    /// the reorder buffer of a stream that steps back within the tolerance.
    pub sort_buffer_mb: u64,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            max_rejected_share: 0.5,
            json_fields: haboob_ingest::JsonFieldMap::default(),
            proxy: haboob_ingest::ProxyConfig::default(),
            order_tolerance_secs: crate::order::DEFAULT_TOLERANCE_SECS,
            sort_buffer_mb: 64,
        }
    }
}

/// Pipeline settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct HuntConfig {
    /// Sources whose alerts are suppressed (declared pen-tests, own scanners):
    /// single addresses or CIDR blocks, e.g. `"198.51.100.7"`, `"192.0.2.0/28"`.
    pub allow_sources: Vec<String>,
    /// Alerts of one detector, source and target closer than this many
    /// seconds (e.g. split across rotated files) are merged into one.
    pub merge_gap_secs: u64,
    /// Sources in the same /24 (or /64) whose activity is within this many
    /// hours are grouped into one campaign.
    pub prefix_window_hours: u64,
    /// The same tool fingerprint on several sites within this many hours
    /// groups the sources into one campaign.
    pub tool_window_hours: u64,
    /// A stream (file or rotation group) of at least `lanes_min_mb` is
    /// detected in this many source lanes plus one shared lane, which run
    /// on several cores: sources are split by network (/24, /64), the
    /// detectors that compare sources see every event. Results do not
    /// depend on `--threads`; per-source caps (`[web]
    /// max_tracked_sources`) are divided among the lanes. 1 turns lanes off.
    /// An incremental hunt (`--store`) uses lanes for every stream of files
    /// whatever its size, and keeps a stream in the lanes it was first
    /// saved in.
    pub detection_lanes: u32,
    /// Streams smaller than this many MiB (and standard input) are detected
    /// on one lane (not used by incremental hunts).
    pub lanes_min_mb: u64,
    /// Once a lane holds this many alerts, its alerts are packed (encoded
    /// and compressed, a tenth of their size or less) and read back when
    /// needed: a flood of alerts (every request a probe from a new address)
    /// then takes little memory. Results are the same; 0 never packs (not
    /// used by incremental hunts).
    pub pack_alerts_after: usize,
    /// Once the packed alerts of one store hold this many MiB of memory,
    /// further ones go to an anonymous temporary file (in `TMPDIR`, gone
    /// when the hunt ends) and are read back when needed: memory then
    /// stays near this figure per store however many alerts a hunt finds.
    /// Results are the same; 0 keeps them all in memory.
    pub spill_alerts_after_mib: u64,
}

impl Default for HuntConfig {
    fn default() -> Self {
        HuntConfig {
            allow_sources: Vec::new(),
            merge_gap_secs: 600,
            prefix_window_hours: 24,
            tool_window_hours: 2,
            detection_lanes: 2,
            lanes_min_mb: 64,
            pack_alerts_after: 4096,
            spill_alerts_after_mib: 16,
        }
    }
}

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// File path.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is invalid or has unknown keys (message names line and column).
    #[error("{path}: {message}")]
    Parse {
        /// File path.
        path: String,
        /// What is wrong and where.
        message: String,
    },
}

impl Config {
    /// Load and validate a TOML file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let origin = path.display().to_string();
        let mut cfg = Config::parse(&text, &origin)?;
        // Rule files named relative to the configuration file's folder.
        let dir = path.parent().unwrap_or(Path::new(""));
        for f in [
            &mut cfg.web.exploit.extra_rules,
            &mut cfg.web.sensitive.extra_rules,
            &mut cfg.web.scanner_ua.extra_rules,
            &mut cfg.web.sweep.extra_rules,
            &mut cfg.web.sweep.crawler_rules,
        ]
        .into_iter()
        .flatten()
        {
            let p = Path::new(f.as_str());
            if p.is_relative() {
                *f = dir.join(p).display().to_string();
            }
        }
        cfg.web.validate_rules().map_err(|e| ConfigError::Parse {
            path: origin,
            message: e.to_string(),
        })?;
        Ok(cfg)
    }

    /// Parse TOML text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_string(),
            message: e.to_string(),
        })?;
        cfg.hunt
            .allow_list()
            .map_err(|message| ConfigError::Parse {
                path: origin.to_string(),
                message,
            })?;
        cfg.notify
            .validate()
            .map_err(|message| ConfigError::Parse {
                path: origin.to_string(),
                message,
            })?;
        cfg.ingest
            .proxy
            .trusted_set()
            .map_err(|message| ConfigError::Parse {
                path: origin.to_string(),
                message,
            })?;
        Ok(cfg)
    }

    /// The detector part.
    pub fn detect(&self) -> DetectConfig {
        DetectConfig {
            web: self.web.clone(),
            auth: self.auth.clone(),
        }
    }
}

/// A parsed allow-list entry: an address block.
pub use haboob_model::Cidr;

impl HuntConfig {
    /// The parsed allow list.
    pub fn allow_list(&self) -> Result<Vec<Cidr>, String> {
        self.allow_sources
            .iter()
            .map(|s| Cidr::parse(s).map_err(|e| format!("allow_sources: {e}")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_contains() {
        let c = Cidr::parse("192.0.2.0/28").unwrap();
        assert!(c.contains("192.0.2.15".parse().unwrap()));
        assert!(!c.contains("192.0.2.16".parse().unwrap()));
        let one = Cidr::parse("2001:db8::1").unwrap();
        assert!(one.contains("2001:db8::1".parse().unwrap()));
        assert!(!one.contains("2001:db8::2".parse().unwrap()));
        assert!(!one.contains("192.0.2.1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("ten").is_err());
    }

    #[test]
    fn unknown_keys_are_refused_with_location() {
        let err = Config::parse("[hunt]\nallow_source = []\n", "x.toml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("x.toml: "), "{msg}");
        assert!(msg.contains("allow_source"), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn proxy_section_is_checked() {
        let ok = "[ingest.proxy]\ntrusted = [\"10.0.0.0/8\"]\npresets = [\"cloudflare\"]\ncombined_field = 2\n";
        let cfg = Config::parse(ok, "p.toml").unwrap();
        assert_eq!(cfg.ingest.proxy.combined_field, 2);
        let set = cfg.ingest.proxy.trusted_set().unwrap().unwrap();
        assert!(set.contains("10.9.9.9".parse().unwrap()));
        assert!(set.contains("104.16.0.1".parse().unwrap()));
        let err = Config::parse("[ingest.proxy]\ntrusted = [\"lb\"]\n", "p.toml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.toml: ingest.proxy.trusted: \"lb\" is not an address or CIDR block"
        );
        let err =
            Config::parse("[ingest.proxy]\npresets = [\"cloudfront\"]\n", "p.toml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.toml: ingest.proxy.presets: unknown preset \"cloudfront\" (expected one of: cloudflare, private)"
        );
    }

    #[test]
    fn notify_section() {
        let cfg = Config::parse(
            "[notify]\nmin_severity = \"critical\"\nretry_secs = [1, 2]\n[notify.smtp]\nhost = \"mail.example\"\ntls = \"opportunistic\"\n",
            "n.toml",
        )
        .unwrap();
        assert_eq!(cfg.notify.min_severity, haboob_model::Severity::Critical);
        assert_eq!(cfg.notify.retry_secs, [1, 2]);
        assert_eq!(
            cfg.notify.smtp.tls,
            crate::notify_config::SmtpTls::Opportunistic
        );
        assert_eq!(cfg.notify.smtp.port, 587);
        let e = Config::parse("[notify.smtp]\ntls = \"always\"\n", "n.toml").unwrap_err();
        assert!(e.to_string().contains("always"), "{e}");
        let e = Config::parse("[notify.smtp]\nfrom = \"nobody\"\n", "n.toml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "n.toml: notify.smtp.from: \"nobody\" is not an email address"
        );
    }

    #[test]
    fn default_roundtrips() {
        let text = toml::to_string(&Config::default()).unwrap();
        assert_eq!(Config::parse(&text, "d").unwrap(), Config::default());
    }

    #[test]
    fn extra_rules_are_read_from_the_config_folder() {
        let dir = std::env::temp_dir().join(format!("haboob-rules-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cfg_path = dir.join("haboob.toml");
        std::fs::write(&cfg_path, "[web.exploit]\nextra_rules = \"rules.toml\"\n").unwrap();
        // Missing file: refused, naming the setting and the file.
        let e = Config::load(&cfg_path).unwrap_err().to_string();
        assert!(
            e.contains("web.exploit.extra_rules") && e.contains("rules.toml"),
            "{e}"
        );
        std::fs::write(
            dir.join("rules.toml"),
            "[[product]]\nproduct = \"Acme\"\nclass = \"admin\"\npatterns = [\"/acme/console\"]\n",
        )
        .unwrap();
        let cfg = Config::load(&cfg_path).unwrap();
        assert_eq!(
            cfg.web.exploit.extra_rules.as_deref(),
            Some(dir.join("rules.toml").display().to_string().as_str())
        );
        // A bad entry: refused with the file's name.
        std::fs::write(dir.join("rules.toml"), "[[product]]\nproduct = 1\n").unwrap();
        let e = Config::load(&cfg_path).unwrap_err().to_string();
        assert!(e.contains("rule file") && e.contains("rules.toml"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
