//! Behavioural detectors. Each [`Detector`] sees events of one input stream
//! (one file, or one rotation group of files) in time order, keeps bounded,
//! windowed state per source, and emits [`Alert`]s. The hunt pipeline merges
//! alerts from parallel streams afterwards.
//!
//! Detectors are chosen and tuned by [`DetectConfig`] (TOML, every field with a
//! working default); [`build`] turns a config into the runtime detectors.
#![deny(missing_docs)]

pub mod auth;
pub mod web;

use haboob_model::{Alert, EventRef, Origin};
use serde::{Deserialize, Serialize};

/// A stateful detector over one event stream.
pub trait Detector: Send {
    /// Stable detector id family (e.g. `web`), for logs.
    fn name(&self) -> &'static str;
    /// Observe one event. Alerts whose episode is over may be pushed to `out`.
    fn observe(&mut self, ev: &EventRef<'_>, origin: &Origin<'_>, out: &mut Vec<Alert>);
    /// End of stream: flush every open episode that meets its threshold.
    fn finish(&mut self, out: &mut Vec<Alert>);
    /// The impossible-travel detector, when this is it: the hunt asks it
    /// for the sign-ins it compares across streams
    /// ([`auth::TravelDetector::keep_track`], [`auth::travel_across`]).
    fn travel(&mut self) -> Option<&mut auth::TravelDetector> {
        None
    }
}

/// All detector settings; `haboob config --default` prints this as TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DetectConfig {
    /// Web reconnaissance detectors.
    pub web: web::WebConfig,
    /// Account attack detectors.
    pub auth: auth::AuthConfig,
}

/// Build the runtime detectors for one stream.
pub fn build(cfg: &DetectConfig) -> Vec<Box<dyn Detector>> {
    let mut v: Vec<Box<dyn Detector>> = Vec::new();
    v.extend(web::build(&cfg.web));
    v.extend(auth::build(&cfg.auth));
    v
}
