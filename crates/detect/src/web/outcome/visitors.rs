//! `web.exploit_success`'s facts about each (site, source), with the updates
//! that nothing reads at once queued and applied in batches.
//!
//! Most requests a site gets are ordinary page views and not-found answers:
//! they only count towards their source's facts, which are read later (by a
//! probe or a scanner's random path). The facts live in a direct-mapped
//! [`Table`] far larger than the CPU caches keep warm, so that one update per
//! request, done in line, waits for memory every time. Queued and applied in
//! a tight loop, many of those waits overlap.
//!
//! Nothing changes but the timing: the queue is applied before any read of
//! the table (or its saved state), each slot's updates in arrival order, so
//! every read sees exactly the table that updating in line would have made,
//! collisions and replacements included.

use super::profile::Visitor;
use super::Table;
use serde::{Deserialize, Serialize};

/// Updates queued at most (16 bytes each).
const QUEUE: usize = 2048;

/// What one request adds to its source's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seen {
    /// An ordinary 2xx answer.
    Ok,
    /// A 404 answer.
    NotFound,
    /// An exploit probe.
    Probe,
    /// Anything else (only the first request's time counts).
    Other,
}

impl Visitor {
    /// Count one request seen `s` seconds after the epoch (`fresh`: the
    /// source's first, in a slot just reset).
    #[inline]
    fn see(&mut self, fresh: bool, s: u32, seen: Seen) {
        if fresh {
            self.first_s = s;
        }
        match seen {
            Seen::Ok => self.ok = self.ok.saturating_add(1),
            Seen::NotFound => self.not_found = self.not_found.saturating_add(1),
            Seen::Probe => self.probes = true,
            Seen::Other => {}
        }
    }
}

/// The facts by (site, source) key, with queued updates.
#[derive(Debug, Clone)]
pub(super) struct Visitors {
    table: Table<Visitor>,
    queue: Vec<(u64, u32, Seen)>,
}

impl Visitors {
    /// A table of at least `n` slots (see [`Table::new`]).
    pub fn new(n: usize) -> Self {
        Visitors {
            table: Table::new(n),
            queue: Vec::with_capacity(QUEUE),
        }
    }

    /// Count a request whose facts nothing reads now.
    #[inline]
    pub fn queue(&mut self, key: u64, s: u32, seen: Seen) {
        self.queue.push((key, s, seen));
        if self.queue.len() >= QUEUE {
            self.flush();
        }
    }

    /// Count a request and return the facts as they were before it (for a
    /// source new to the slot: no requests, first seen now).
    pub fn see(&mut self, key: u64, s: u32, seen: Seen) -> Visitor {
        self.flush();
        let (v, fresh) = self.table.slot(key);
        let mut before = *v;
        if fresh {
            before.first_s = s;
        }
        v.see(fresh, s, seen);
        before
    }

    /// Apply the queued updates in slot order, so that the table is walked
    /// forwards (a memory page serves several); the sort is stable, so the
    /// updates of one slot keep their arrival order, and updates of different
    /// slots do not depend on each other.
    fn flush(&mut self) {
        let t = &self.table;
        self.queue.sort_by_key(|e| t.slot_of(e.0));
        for (key, s, seen) in self.queue.drain(..) {
            let (v, fresh) = self.table.slot(key);
            v.see(fresh, s, seen);
        }
    }
}

/// Saved as the table with the queue applied (the form saved before there
/// was a queue).
impl Serialize for Visitors {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        if self.queue.is_empty() {
            return self.table.serialize(ser);
        }
        let mut done = self.clone();
        done.flush();
        done.table.serialize(ser)
    }
}

impl<'de> Deserialize<'de> for Visitors {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Visitors {
            table: Table::deserialize(d)?,
            queue: Vec::with_capacity(QUEUE),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The table as updated in line, one request at a time.
    fn in_line(t: &mut Table<Visitor>, key: u64, s: u32, seen: Seen) -> Visitor {
        let (v, fresh) = t.slot(key);
        if fresh {
            v.first_s = s;
        }
        let before = *v;
        v.see(false, s, seen);
        before
    }

    fn seen(i: u8) -> Seen {
        [Seen::Ok, Seen::NotFound, Seen::Probe, Seen::Other][usize::from(i % 4)]
    }

    fn saved(v: &impl Serialize) -> String {
        serde_json::to_string(v).unwrap()
    }

    proptest! {
        /// Queued or in line, every read sees the same facts, and the saved
        /// states are the same: keys from a small set on a 16-slot table,
        /// so that they collide and replace each other.
        #[test]
        fn queued_updates_read_and_save_as_in_line(
            reqs in proptest::collection::vec((0u64..40, 0u8..8, any::<bool>()), 0..3000),
        ) {
            let mut q = Visitors::new(16);
            let mut t: Table<Visitor> = Table::new(16);
            for (i, (k, kind, read)) in reqs.into_iter().enumerate() {
                let key = k * 0x9e37_79b9_7f4a_7c15;
                let s = 1_000 + i as u32;
                let what = seen(kind);
                let want = in_line(&mut t, key, s, what);
                if read {
                    let got = q.see(key, s, what);
                    prop_assert_eq!(saved(&got), saved(&want));
                } else {
                    q.queue(key, s, what);
                }
                if i % 500 == 0 {
                    prop_assert_eq!(saved(&q), saved(&t));
                }
            }
            prop_assert_eq!(saved(&q), saved(&t));
            let back: Visitors = serde_json::from_str(&saved(&q)).unwrap();
            prop_assert_eq!(saved(&back), saved(&t));
        }
    }

    #[test]
    fn a_full_queue_is_applied_and_a_read_sees_earlier_updates() {
        let mut q = Visitors::new(1 << 15);
        for i in 0..QUEUE as u64 {
            q.queue(i * 2 + 1, 7, Seen::Ok);
        }
        assert!(q.queue.is_empty(), "applied when full");
        q.queue(3, 9, Seen::NotFound);
        q.queue(3, 9, Seen::NotFound);
        assert_eq!(q.queue.len(), 2);
        let v = q.see(3, 10, Seen::Ok);
        assert_eq!((v.first_s, v.ok, v.not_found, v.probes), (7, 1, 2, false));
        let fresh = q.see(5 << 40 | 1, 11, Seen::Probe);
        assert_eq!((fresh.first_s, fresh.ok, fresh.probes), (11, 0, false));
    }
}
