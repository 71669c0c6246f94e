//! The `[intel]` section of `haboob.toml`.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Threat intelligence and actor knowledge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct IntelConfig {
    /// The MITRE ATT&CK Enterprise bundle (STIX JSON) whose intrusion sets,
    /// aliases, techniques and software are merged with haboob's own actor
    /// profiles for attribution and `haboob actors`; `--attack PATH`
    /// overrides it. Without it only the built-in profiles are used.
    pub attack: Option<PathBuf>,
}
