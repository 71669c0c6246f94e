//! Web reconnaissance detectors (placeholder: implemented in its own change).
use crate::Detector;
use serde::{Deserialize, Serialize};

/// Web detector settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {}

/// Build the web detectors.
pub fn build(_cfg: &WebConfig) -> Vec<Box<dyn Detector>> {
    Vec::new()
}
