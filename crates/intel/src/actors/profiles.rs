//! haboob's own actor profiles: `crates/intel/data/actors.toml`, shipped in
//! the binary. The file documents its fields.

use crate::IntelError;
use haboob_model::TargetSector;
use serde::Deserialize;

/// The profiles shipped with haboob.
pub(crate) const BUILTIN: &str = include_str!("../../data/actors.toml");

/// A distinctive, publicly documented tooling fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fingerprint {
    /// Matches when an alert's user agent contains this text (ASCII
    /// case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent_contains: Option<String>,
    /// Matches when an alert names this tool (`details["tool"]`/`["tools"]`,
    /// ASCII case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// What it is and where it is documented.
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileFile {
    #[serde(default)]
    pub(crate) actor: Vec<Profile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) aliases: Vec<String>,
    pub(crate) attack_id: Option<String>,
    pub(crate) sponsor: Option<String>,
    pub(crate) summary: Option<String>,
    #[serde(default)]
    pub(crate) sectors: Vec<TargetSector>,
    #[serde(default)]
    pub(crate) regions: Vec<String>,
    #[serde(default)]
    pub(crate) techniques: Vec<String>,
    #[serde(default)]
    pub(crate) infrastructure: Vec<String>,
    #[serde(default)]
    pub(crate) tools: Vec<String>,
    #[serde(default)]
    pub(crate) fingerprints: Vec<Fingerprint>,
    pub(crate) utc_offset: Option<f32>,
    pub(crate) work_hours: Option<[u8; 2]>,
    #[serde(default)]
    pub(crate) sources: Vec<String>,
}

/// Parse a profiles file (`source_name` names it in errors).
pub(crate) fn parse(text: &str, source_name: &str) -> Result<Vec<Profile>, IntelError> {
    let file: ProfileFile = toml::from_str(text).map_err(|e| IntelError::Format {
        source_name: source_name.to_string(),
        reason: e.to_string(),
    })?;
    for (i, p) in file.actor.iter().enumerate() {
        let bad = |reason: String| IntelError::Rejected {
            source_name: source_name.to_string(),
            location: format!("actor {} ({})", i + 1, p.name),
            reason,
        };
        if p.name.trim().is_empty() {
            return Err(bad("empty name".into()));
        }
        if let Some([a, b]) = p.work_hours {
            if a > 23 || b > 24 || a == b {
                return Err(bad(format!("work_hours [{a}, {b}] out of range")));
            }
        }
        if let Some(o) = p.utc_offset {
            if !(-12.0..=14.0).contains(&o) {
                return Err(bad(format!("utc_offset {o} out of range")));
            }
        }
        if p.work_hours.is_some() != p.utc_offset.is_some() {
            return Err(bad("work_hours and utc_offset go together".into()));
        }
        for f in &p.fingerprints {
            if f.user_agent_contains.is_none() == f.tool.is_none() {
                return Err(bad(
                    "a fingerprint has exactly one of user_agent_contains or tool".into(),
                ));
            }
        }
        for t in &p.techniques {
            if !super::is_technique_id(t) {
                return Err(bad(format!("{t:?} is not an ATT&CK technique id")));
            }
        }
    }
    Ok(file.actor)
}
