//! The contract between framing (which splits input into lines or records)
//! and a format parser (which turns one into an [`EventRef`]).

use crate::EventRef;
use std::borrow::Cow;
use std::fmt;

/// What a parser made of one line.
// A `Parsed` lives for one line on the stack and events are the common
// case: boxing the event would allocate per line to save bytes nobody keeps.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Parsed<'a> {
    /// A normalized event.
    Event(EventRef<'a>),
    /// One record that is two events, delivered in this order: a Windows
    /// sign-in event is its [`EventRef::Auth`] then its [`EventRef::Win`].
    /// Counted as one parsed line and one event.
    Both(EventRef<'a>, EventRef<'a>),
    /// A record of which only one view could be read: a Windows sign-in
    /// record whose sign-in fields do not map is still its Windows event
    /// (Sigma rules see it; an attacker cannot hide a record from them by
    /// garbling the fields the sign-in view needs). Counted as one parsed
    /// line, one event, and one partial record with its reason sampled.
    Partial(EventRef<'a>, RecordError),
    /// A line the format defines but that carries no event (IIS `#Fields:`
    /// directive, CSV header, comment). Counted as parsed.
    Directive,
}

/// Why one line was rejected: counted, sampled with file and line, skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// Human reason, e.g. `bad status code "4o4"`.
    pub reason: Cow<'static, str>,
}

impl RecordError {
    /// A rejection with a fixed reason.
    pub const fn fixed(reason: &'static str) -> RecordError {
        RecordError {
            reason: Cow::Borrowed(reason),
        }
    }
    /// A rejection with a computed reason (attacker text must be bounded and
    /// escaped by the caller; prefer describing the field, not quoting it).
    pub fn new(reason: impl Into<Cow<'static, str>>) -> RecordError {
        RecordError {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for RecordError {}

/// A per-file, stateful line parser (state: IIS `#Fields:`, CSV header).
pub trait LineParser: Send {
    /// Parse one line, without its line terminator.
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError>;
}
