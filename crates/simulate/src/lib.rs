//! Deterministic simulator of realistic logs with labelled attacks (ground truth).
#![deny(missing_docs)]

pub mod account;
