//! The STIX 2.1 patterning language (OASIS STIX 2.1, section 9): parse,
//! decide what of it logs can answer, extract observables for an index,
//! and evaluate on [`Observed`] events.
//!
//! ```
//! use haboob_intel::pattern::{Pattern, Support};
//! use haboob_intel::{Observable, Observed};
//!
//! let p = Pattern::parse("[domain-name:value = 'Evil.Example.' OR ipv4-addr:value = '198.51.100.0/24']").unwrap();
//! assert_eq!(p.support(), Support::Logs);
//! assert_eq!(
//!     p.as_any().unwrap(),
//!     vec![
//!         Observable::Domain("evil.example".into()),
//!         Observable::Ip("198.51.100.0/24".parse().unwrap()),
//!     ]
//! );
//! let ev = Observed { src_ip: Some("198.51.100.7".parse().unwrap()), ..Observed::default() };
//! assert!(p.matches(&ev));
//! ```
//!
//! Object paths logs can answer (the rest makes a comparison false):
//! `ipv4-addr:value`/`ipv6-addr:value` (source or destination),
//! `network-traffic:src_ref.value`/`dst_ref.value`/`src_ref.type`/`dst_ref.type`,
//! `domain-name:value` (an address written there is compared with the
//! addresses), `url:value`, `email-addr:value`,
//! `email-message:from_ref.value`/`sender_ref.value`,
//! `user-account:user_id`/`account_login`,
//! `network-traffic:extensions.'http-request-ext'.request_method`,
//! `.request_value` (path, or full URL), `.request_header.'User-Agent'`,
//! `file:hashes.*` (MD5, SHA-1, SHA-256, SHA-512, keys in any case, with or
//! without `-`), `file:name` and `network-traffic:src_port`/`dst_port`.
//! The table of these paths lives once, in `mapping.rs`; it also writes
//! patterns for observables ([`observable_pattern`], used by the STIX
//! export).

mod ast;
mod eval;
mod fields;
mod lexer;
mod mapping;
mod parser;
mod state;
#[cfg(test)]
mod tests;

pub use ast::{
    CmpOp, CompExpr, Literal, ObjectPath, ObsExpr, Operand, PathStep, Qualifier, Re, Test,
};
pub(crate) use fields::{first_value, observed_mask};
pub use mapping::{hit_observable, observable_pattern};
pub use state::{NodeSnapshot, PatternState, Step};

use crate::{Observable, Observed};
use std::fmt;
use thiserror::Error;

/// Longest pattern text accepted, in bytes.
pub const MAX_PATTERN_LEN: usize = 64 * 1024;

/// Why a pattern did not parse: the byte position and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("at byte {pos}: {reason}")]
pub struct PatternError {
    /// Byte offset in the pattern text.
    pub pos: usize,
    /// What is wrong.
    pub reason: String,
}

/// Whether a pattern can match log events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    /// At least one `OR` branch reads only what logs carry.
    Logs,
    /// No branch can match a log event; the reason names what logs lack.
    NotOnLogs(String),
}

/// A parsed STIX 2.1 pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    expr: ObsExpr,
}

impl Pattern {
    /// Parses a pattern; the error names the byte position and the reason.
    /// `MATCHES` expressions are compiled (a bad or oversized regular
    /// expression is an error), hash values of known algorithms checked.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        if text.len() > MAX_PATTERN_LEN {
            return Err(PatternError {
                pos: MAX_PATTERN_LEN,
                reason: format!("pattern longer than {MAX_PATTERN_LEN} bytes"),
            });
        }
        parser::parse(text).map(|expr| Pattern { expr })
    }

    /// The syntax tree.
    pub fn expr(&self) -> &ObsExpr {
        &self.expr
    }

    /// Whether logs can answer the pattern, and if not, why.
    pub fn support(&self) -> Support {
        let mut missing = Vec::new();
        if mapping::obs_support(&self.expr, &mut missing) {
            Support::Logs
        } else {
            Support::NotOnLogs(format!("not in logs: {}", missing.join(", ")))
        }
    }

    /// Object paths the pattern reads that logs do not carry (also for a
    /// pattern whose other branches are supported).
    pub fn unsupported_paths(&self) -> Vec<String> {
        let mut missing = Vec::new();
        mapping::obs_support(&self.expr, &mut missing);
        missing
    }

    /// The observables, when the pattern is only an `OR` of equalities (or
    /// `IN`, or `ISSUBSET` of a network) on indexable paths, in one
    /// observation or observations joined by `OR`, without qualifiers:
    /// then an event matches exactly when it carries one of them (a
    /// domain's sub-domains included). Values are normalised (see
    /// [`Observable`]); an address written as `domain-name:value` is an
    /// address.
    pub fn as_any(&self) -> Option<Vec<Observable>> {
        let mut out = Vec::new();
        if !mapping::as_any(&self.expr, &mut out) {
            return None;
        }
        dedup(&mut out);
        Some(out)
    }

    /// Observables one of which every event taking part in a match carries
    /// (for an index to pre-filter events), or None when there is no such
    /// set.
    pub fn anchors(&self) -> Option<Vec<Observable>> {
        let mut out = mapping::anchors(&self.expr)?;
        dedup(&mut out);
        Some(out)
    }

    /// True when one event alone decides a match: one observation, or
    /// observations joined by `OR`, without qualifiers.
    pub fn is_stateless(&self) -> bool {
        fn go(e: &ObsExpr) -> bool {
            match e {
                ObsExpr::Observation(_) => true,
                ObsExpr::Or(items) => items.iter().all(go),
                _ => false,
            }
        }
        go(&self.expr)
    }

    /// Whether one event matches a stateless pattern (see
    /// [`Pattern::is_stateless`]); always false for other patterns, which
    /// need a [`PatternState`].
    pub fn matches(&self, o: &Observed<'_>) -> bool {
        fn go(e: &ObsExpr, o: &Observed<'_>) -> bool {
            match e {
                ObsExpr::Observation(c) => eval::eval_comp(c, o),
                ObsExpr::Or(items) => items.iter().any(|e| go(e, o)),
                _ => false,
            }
        }
        go(&self.expr, o)
    }

    /// The event fields the pattern reads, as a mask (see `fields`).
    pub(crate) fn reads(&self) -> u32 {
        fields::pattern_mask(&self.expr)
    }

    /// The seconds of a `WITHIN` qualifier on the whole pattern: every
    /// match lies within them.
    pub fn within_secs(&self) -> Option<f64> {
        match &self.expr {
            ObsExpr::Qualified(_, Qualifier::Within(s)) => Some(*s),
            _ => None,
        }
    }

    /// A fresh evaluation state for a stream of events.
    pub fn state(&self) -> PatternState {
        PatternState::new(self.clone())
    }
}

fn dedup(v: &mut Vec<Observable>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|o| seen.insert(o.clone()));
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl std::str::FromStr for Pattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pattern::parse(s)
    }
}
