//! One file per subcommand.

pub mod actors;
pub mod config;
pub mod demo;
pub mod events;
pub mod export;
pub mod hunt;
pub mod hunt_retro;
pub mod hunt_sigma;
pub mod hunt_store;
pub mod intel;
pub mod intel_matches;
pub mod notify;
pub mod rules;
pub mod serve;
pub mod simulate;
pub mod store;
pub mod token;
