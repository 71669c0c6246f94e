//! TODO
pub mod account;
