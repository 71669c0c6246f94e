//! The question detectors ask of loaded intel.

use crate::{IntelHit, Observed};
use haboob_model::Ts;

/// Which loaded indicators match one observed event. Implemented by the
/// index (`index` module); detectors (`intel.match` for attacker sources,
/// `intel.victim` for internal hosts reaching bad infrastructure) call it
/// once per event.
pub trait IntelLookup: Send + Sync {
    /// Appends a hit for every indicator valid at `ts` that matches `obs`
    /// (at most one hit per indicator). `out` is not cleared. STIX patterns
    /// decided by one event are included (field `pattern`); patterns over
    /// several events need the caller's state
    /// ([`crate::IntelIndex::pattern_matches`] with a
    /// [`crate::PatternStates`]).
    fn lookup(&self, obs: &Observed<'_>, ts: Ts, out: &mut Vec<IntelHit>);

    /// True when nothing is loaded (callers may skip building `Observed`).
    fn is_empty(&self) -> bool;
}
