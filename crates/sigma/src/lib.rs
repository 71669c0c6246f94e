//! Sigma rules over haboob's field view ([`haboob_model::FieldView`]).
//!
//! Plan and layout: `docs/design/sigma.md`. Rules are loaded from YAML as
//! written (multi-document files, collections, filters, correlations), each
//! either loads or is reported with its file and the precise reason
//! ([`LoadError`]); loaded rules are compiled once and matched against any
//! record that answers "value of field X".
#![deny(missing_docs)]

pub mod correlation;
mod error;

pub use error::LoadError;
