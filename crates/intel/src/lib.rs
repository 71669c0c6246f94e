//! Threat intelligence for haboob.
//!
//! The vocabulary lives in `haboob_model::intel` (the store and export read
//! it too) and is re-exported here: an [`Indicator`] (what to look for, with
//! its provenance and expiry), the [`Observable`] values that are indexed, an
//! [`Observed`] view of one log event in STIX Cyber-observable terms, the
//! [`IntelHit`] details an intel alert carries (read by attribution and
//! export) and the [`Attribution`] of a campaign. [`IntelLookup`] is what
//! detectors ask: which indicators match this event.
//!
//! Modules: `pattern` (the STIX 2.1 patterning language: parse, anchors for
//! indexing, evaluation over [`Observed`], the one table of STIX paths),
//! `stix` (the one STIX reader: bundles, TAXII pages, indicators, intrusion
//! sets, relationships, markings), `tlp` (the one TLP table), `sources`
//! (plain lists, MISP feeds and events, TAXII 2.1 pulls), `index` (matching
//! at ingest speed, STIX patterns included), `observe` (the [`Observed`]
//! view of a log event), `actors` (ATT&CK and haboob's own profiles) and
//! `attribution` (ranked candidates with reasons).
#![deny(missing_docs)]

pub mod actors;
pub mod attribution;
pub mod error;
pub mod export;
pub mod index;
mod lookup;
pub mod observe;
pub mod pattern;
pub mod sources;
pub mod stix;
pub mod tlp;
pub mod victim;

pub use actors::{Actor, ActorDb};
pub use attribution::{attribute, AttributionOptions};
pub use error::IntelError;
pub use haboob_model::intel::{
    Attribution, AttributionReason, HashAlgo, Indicator, IndicatorCondition, IntelHit, Observable,
    Observed, Provenance, ReasonKind, Tlp, DETAILS_KEY,
};
pub use index::{
    BuildOptions, BuildReport, IntelIndex, PatternHit, PatternStateError, PatternStates,
    SavedPatternStates,
};
pub use lookup::IntelLookup;
pub use pattern::{Pattern, PatternError, PatternState, Support};
pub use sources::{load_path, Import, ImportOptions, ImportSummary};
pub use stix::{read_bundle, StixImport};
pub use victim::{VictimConfig, VictimSignal, VictimState};
