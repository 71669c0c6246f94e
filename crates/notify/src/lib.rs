//! Tell the targeted organisations what happened to them.
//!
//! - [`compose()`] turns one campaign and one organisation into a
//!   [`Notification`]: who was targeted, what was seen and when, which of
//!   *its* accounts were identified, attacked and compromised (never another
//!   organisation's), an evidence summary and what to do now. Pure.
//! - [`render`] makes the subject line and the body of each channel:
//!   plain-text email with an escaped HTML alternative, Slack and Teams
//!   webhook payloads, and the notification as JSON for generic webhooks.
//! - [`Channels`] delivers one message: SMTP with STARTTLS (`lettre`) or an
//!   HTTP POST (`ureq`) signed with `X-Haboob-Signature: sha256=<hex
//!   HMAC-SHA256(secret, timestamp "." body)>` and `X-Haboob-Timestamp`.
//! - [`plan`], [`enqueue`] and [`deliver_due`] run the loop over the
//!   store: one notification per organisation, campaign revision, channel
//!   and address, retried on the `[notify] retry_secs` schedule.
//!
//! Everything taken from logs (account names, evidence lines, targets) is
//! cleaned by [`text::line`] (control characters removed, bounded) before it
//! reaches a message, and escaped for each medium.
//!
//! ```
//! use haboob_model::{Alert, Campaign, Target, TargetSector, Ts};
//! use haboob_notify::{compose, render, Sender};
//!
//! let target = Target {
//!     name: "elections.oh.example".into(),
//!     organisation: Some("Ohio Secretary of State".into()),
//!     sector: TargetSector::Election,
//!     region: Some("OH".into()),
//! };
//! let campaign = Campaign {
//!     id: "cp-1".into(), summary: String::new(), severity: Default::default(),
//!     sources: vec![], targets: vec![target], alerts: vec![], detectors: vec![],
//!     techniques: vec![], reasons: vec![], first_seen: Ts(0), last_seen: Ts(0),
//!     funnel: None, funnel_by_target: Default::default(), compromised: vec![],
//!     actors: vec![], attribution: vec![], stages: vec![], tools: vec![],
//! };
//! let sender = Sender { name: "Example SOC".into(), reply_to: "soc@example.org".into() };
//! let n = compose(&campaign, 1, &[], "Ohio Secretary of State", &sender).unwrap();
//! assert!(render::subject(&n).contains("Ohio Secretary of State targeted"));
//! assert!(compose(&campaign, 1, &[], "Daily Planet", &sender).is_none());
//! ```
#![deny(missing_docs)]

pub mod compose;
pub mod deliver;
pub mod render;
pub mod send;
pub mod text;

pub use compose::{compose, Notification, Sender};
pub use deliver::{deliver_due, enqueue, failure, not_queued, plan, Planned, RunSummary};
pub use render::Channel;
pub use send::{signature, Channels, Outgoing, SendError};
