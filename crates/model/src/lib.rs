//! haboob's shared vocabulary: the normalized event ([`EventRef`]), the
//! alert ([`Alert`]) and the campaign ([`Campaign`]) every other crate speaks.
//!
//! Events are borrowed views into a reader's line buffer so the hot path does
//! not allocate; only evidence attached to an alert becomes owned text.
//! Alerts held in bulk can be kept packed (encoded and compressed) in a
//! [`PackedAlerts`].
//!
//! ```
//! use haboob_model::{Ts, WebEvent};
//! let ev = WebEvent {
//!     ts: Ts::from_secs(0),
//!     source_ip: "192.0.2.1".parse().unwrap(),
//!     method: "GET",
//!     path: "/.env",
//!     query: "",
//!     status: 404,
//!     bytes: 0,
//!     user_agent: "curl/8.0",
//!     referrer: "",
//!     site: "votes.example.gov",
//!     user: "",
//!     forwarded: "",
//!     protocol: "",
//! };
//! assert_eq!(ev.status_class(), 4);
//! ```
#![deny(missing_docs)]

mod alert;
pub mod alerts;
mod audit;
mod audit_syscalls;
mod cidr;
mod cloud;
mod details;
mod event;
pub mod fields;
mod hash;
pub mod intel;
mod ip;
mod net;
pub mod packed;
mod parse;
mod record;
mod record_json;
mod record_xml;
mod text;
mod time;

pub use alert::{
    Alert, AlertSource, Campaign, Contact, Evidence, Funnel, Severity, Stage, StageKind, Target,
    TargetSector, MAX_CAMPAIGN_TOOLS, MAX_EVIDENCE_BYTES, MAX_STAGE_EVIDENCE,
};
pub use alerts::Alerts;
pub use audit::{AuditError, AuditEvent};
pub use cidr::{Cidr, CidrError};
pub use cloud::CloudEvent;
pub use details::Details;
pub use event::{
    AuthEvent, AuthOutcome, EventRef, FailureClass, GeoPoint, Origin, WafEvent, WebEvent, WinEvent,
    LINUX_SYSMON_CHANNEL,
};
pub use hash::{content_id, Fnv64};
pub use ip::{canonical_ip, ip_prefix, parse_addr, parse_ipv4, IpPrefix};
pub use net::{bound_list, trim_domain, NetEvent, NetKind, MAX_ANSWERS_BYTES};
pub use packed::PackedAlerts;
pub use parse::{LineParser, Parsed, RecordError};
pub use record::{decimal, decimal_u64, FieldView, Value};
pub use record_json::{JsonView, WinView};
pub use text::{bounded, terminal, truncate_bounded};
pub use time::{Ts, TsError};
