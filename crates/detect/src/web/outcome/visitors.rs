//! `web.exploit_success`'s visitor table, with the visits no one reads at
//! once applied in batches.
//!
//! Every page view and not-found answer updates its visitor's entry (by
//! site and source), but the entry is read only for a probe, an admin
//! endpoint or a scanner's random-looking path. Most visits are therefore
//! written to a short log (a few kilobytes, in order) and applied to the
//! table when the log is full or before any entry is read: the same updates
//! in the same order, so the table is the one direct updates make, but the
//! table's cache misses (one per visit, the table being larger than the
//! caches keep while a log streams by) overlap in one loop instead of
//! stalling each visit.

use super::profile::{secs, Visitor};
use super::Table;
use haboob_model::Ts;
use serde::{Deserialize, Serialize};

/// Visits logged before they are applied.
const LOG: usize = 512;

/// What a logged visit does to its visitor's entry (besides creating it,
/// with its first second, when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Visit {
    /// A 2xx answer (not a probe).
    Ok,
    /// A 404 answer.
    NotFound,
    /// Another answer (410): the entry is created, nothing counted.
    Other,
}

/// The visitor table and the visits not yet applied to it.
#[derive(Debug, Clone)]
pub(super) struct Visitors {
    table: Table<Visitor>,
    /// Deferred visits, in order: key, first second, what it counts.
    log: Vec<(u64, u32, Visit)>,
}

impl Visitors {
    /// A table of size `n` (see [`Table::new`]).
    pub fn new(n: usize) -> Self {
        Visitors {
            table: Table::new(n),
            log: Vec::with_capacity(LOG),
        }
    }

    /// Count a visit whose entry no one reads now: logged, applied later.
    #[inline]
    pub fn defer(&mut self, key: u64, now: Ts, visit: Visit) {
        self.log.push((key, secs(now), visit));
        if self.log.len() >= LOG {
            self.flush();
        }
    }

    /// The entry of `key` with every logged visit applied: the value, reset
    /// when the slot held another key (or none), and `true` when it was
    /// (as [`Table::slot`]).
    #[inline]
    pub fn slot(&mut self, key: u64) -> (&mut Visitor, bool) {
        if !self.log.is_empty() {
            self.flush();
        }
        self.table.slot(key)
    }

    /// Apply the logged visits in order.
    #[inline(never)]
    fn flush(&mut self) {
        apply(&mut self.table, &self.log);
        self.log.clear();
    }
}

/// Apply visits to a table, in order.
fn apply(table: &mut Table<Visitor>, log: &[(u64, u32, Visit)]) {
    for &(key, first_s, visit) in log {
        let (v, fresh) = table.slot(key);
        if fresh {
            v.first_s = first_s;
        }
        match visit {
            Visit::Ok => v.ok = v.ok.saturating_add(1),
            Visit::NotFound => v.not_found = v.not_found.saturating_add(1),
            Visit::Other => {}
        }
    }
}

/// Saved as the table alone, with the logged visits applied (the form saved
/// before visits were logged).
impl Serialize for Visitors {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.log.is_empty() {
            return self.table.serialize(s);
        }
        let mut t = self.table.clone();
        apply(&mut t, &self.log);
        t.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Visitors {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Visitors {
            table: Table::deserialize(d)?,
            log: Vec::with_capacity(LOG),
        })
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    /// What direct updates make of a visit (the rule before visits were
    /// logged).
    fn direct(t: &mut Table<Visitor>, key: u64, now: Ts, visit: Visit) {
        let (v, fresh) = t.slot(key);
        if fresh {
            v.first_s = secs(now);
        }
        match visit {
            Visit::Ok => v.ok = v.ok.saturating_add(1),
            Visit::NotFound => v.not_found = v.not_found.saturating_add(1),
            Visit::Other => {}
        }
    }

    fn saved<T: Serialize>(t: &T) -> serde_json::Value {
        serde_json::to_value(t).unwrap()
    }

    /// Logged visits, reads in between (which apply the log first) and
    /// saves (with the log applied) give what direct updates give, with
    /// colliding keys (a small table) and more visits than the log holds.
    #[test]
    fn logged_visits_make_the_table_direct_updates_make() {
        let mut logged = Visitors::new(64);
        let mut plain: Table<Visitor> = Table::new(64);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..5_000i64 {
            let key = crate::web::outcome::test_util::xorshift(&mut x) % 200;
            let now = Ts(1_700_000_000_000 + i * 1_500);
            let visit = [Visit::Ok, Visit::NotFound, Visit::Other][(x >> 20) as usize % 3];
            if (x >> 40).is_multiple_of(97) {
                // A read (a probe's): the same entry either way, then a
                // probe marked on both.
                let (a, fa) = logged.slot(key);
                let (b, fb) = plain.slot(key);
                if fb {
                    b.first_s = secs(now);
                }
                if fa {
                    a.first_s = secs(now);
                }
                assert_eq!(fa, fb);
                assert_eq!(saved(a), saved(b));
                a.probes = true;
                b.probes = true;
            } else {
                logged.defer(key, now, visit);
                direct(&mut plain, key, now, visit);
            }
            if i % 1_234 == 0 {
                assert_eq!(saved(&logged), saved(&plain), "after {i} visits");
            }
        }
        assert!(!logged.log.is_empty(), "the last visits are still logged");
        assert_eq!(saved(&logged), saved(&plain));
        // Restored: the table, nothing logged.
        let back: Visitors = serde_json::from_value(saved(&logged)).unwrap();
        assert!(back.log.is_empty());
        assert_eq!(saved(&back), saved(&plain));
    }
}
