//! Account attack detectors (placeholder: implemented in its own change).
use crate::Detector;
use serde::{Deserialize, Serialize};

/// Auth detector settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {}

/// Build the auth detectors.
pub fn build(_cfg: &AuthConfig) -> Vec<Box<dyn Detector>> {
    Vec::new()
}
