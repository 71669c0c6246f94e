//! Sigma rules over haboob's field view ([`haboob_model::FieldView`]).
//!
//! Plan and layout: `docs/design/sigma.md`. Rules are loaded from YAML as
//! written (multi-document files, collections, filters, correlations), each
//! either loads or is reported with its file and the precise reason
//! ([`LoadError`]); loaded rules are compiled once and matched against any
//! record that answers "value of field X".
//!
//! ```
//! use haboob_sigma::{load, Family, Mapping};
//! use haboob_model::JsonView;
//! let dir = std::env::temp_dir().join(format!("haboob-sigma-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("r.yml"), "title: t\nid: r1\nlogsource: {product: okta, service: okta}\n\
//!     detection:\n  sel:\n    eventType: user.session.impersonation.grant\n  condition: sel\n").unwrap();
//! let loaded = load(&[dir.clone()], &Mapping::builtin());
//! assert_eq!(loaded.tally.total.loaded, 1);
//! let ev = JsonView::new(r#"{"eventType":"user.session.impersonation.grant"}"#);
//! let mut hits = Vec::new();
//! loaded.rules.matches(Family::Okta, &ev, &mut hits);
//! assert_eq!(loaded.rules.meta(hits[0]).id, "r1");
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```
#![deny(missing_docs)]

mod compile;
mod condition;
pub mod correlation;
mod engine;
mod error;
mod eval;
mod load;
mod mapping;
mod memo;
mod modifiers;
mod pattern;
mod prefilter;
mod yamldoc;

pub use engine::{techniques, CorrelationDoc, Level, RuleIdx, RuleMeta, RuleSet};
pub use error::LoadError;
pub use load::{family_of, load, Counts, Loaded, Tally};
pub use mapping::{Family, Mapping};
