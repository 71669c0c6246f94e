//! Threat intelligence for haboob.
//!
//! * [`types`]: the contract every part shares: an [`Indicator`] (what to
//!   look for, with its provenance and expiry), the [`Observable`] values
//!   that are indexed, an [`Observed`] view of one log event in STIX
//!   Cyber-observable terms, and the [`IntelHit`] details an intel alert
//!   carries (read by attribution and export).
//!
//! Planned modules (issue 15): `pattern` (the STIX 2.1 patterning language:
//! parse, anchors for indexing, evaluation over [`Observed`]), `stix`
//! (bundles: indicators, intrusion sets, relationships, markings), `sources`
//! (plain lists, MISP feeds and events, TAXII 2.1 pulls), `index` (matching
//! at ingest speed), `actors` (ATT&CK and haboob's own profiles) and
//! `attribution` (ranked candidates with reasons).
#![deny(missing_docs)]

pub mod error;
pub mod types;

pub use error::IntelError;
pub use types::{
    HashAlgo, Indicator, IndicatorCondition, IntelHit, Observable, Observed, Provenance, Tlp,
};
