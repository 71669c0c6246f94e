//! The alerts the end of a hunt groups, read by index: held as they are (a
//! slice) or packed ([`Packed`]: decoded on demand, in the order a list of
//! indices gives). Grouping is written once over [`Pool`], so both ways
//! give the same campaigns.

use haboob_model::packed::Cursor;
use haboob_model::{Alert, PackedAlerts};
use std::cell::RefCell;

/// Alerts by index, `0..len()`.
pub(crate) trait Pool {
    /// Number of alerts.
    fn len(&self) -> usize;

    /// Calls `f` with each alert of `idx` (and its index), in that order,
    /// one at a time.
    fn each_of(&self, idx: &[usize], f: impl FnMut(usize, &Alert));

    /// Calls `f` once with the alerts of `idx`, in that order.
    fn with<R>(&self, idx: &[usize], f: impl FnOnce(&[&Alert]) -> R) -> R;

    /// Calls `f` with every alert and its index, in order.
    fn each(&self, mut f: impl FnMut(usize, &Alert)) {
        let all: Vec<usize> = (0..self.len()).collect();
        self.each_of(&all, |i, a| f(i, a));
    }
}

impl Pool for [Alert] {
    fn len(&self) -> usize {
        <[Alert]>::len(self)
    }

    fn each_of(&self, idx: &[usize], mut f: impl FnMut(usize, &Alert)) {
        for &i in idx {
            f(i, &self[i]);
        }
    }

    fn with<R>(&self, idx: &[usize], f: impl FnOnce(&[&Alert]) -> R) -> R {
        let refs: Vec<&Alert> = idx.iter().map(|&i| &self[i]).collect();
        f(&refs)
    }

    fn each(&self, mut f: impl FnMut(usize, &Alert)) {
        for (i, a) in self.iter().enumerate() {
            f(i, a);
        }
    }
}

/// Alerts read at once while campaigns are built or attributed, about
/// (whole groups: a group larger alone is read alone).
pub(crate) const GROUPS_READ: usize = 4096;

/// How many of the groups of `sizes` alerts each make each batch read at
/// once: whole groups, about [`GROUPS_READ`] alerts a batch.
pub(crate) fn batch_lens(sizes: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let mut out = Vec::new();
    let (mut groups, mut alerts) = (0, 0);
    for n in sizes {
        if groups > 0 && alerts + n > GROUPS_READ {
            out.push(groups);
            (groups, alerts) = (0, 0);
        }
        groups += 1;
        alerts += n;
    }
    if groups > 0 {
        out.push(groups);
    }
    out
}

/// Decompressed chunks kept while packed alerts are read: a group's
/// alerts may lie in several (about 4 MiB).
const CHUNKS_KEPT: usize = 64;

/// Packed alerts, read through one cursor, so that reading groups of
/// alerts close in the order they were packed in decompresses each chunk
/// about once.
pub(crate) struct Packed<'a> {
    store: &'a PackedAlerts,
    cursor: RefCell<Cursor<'a>>,
}

impl<'a> Packed<'a> {
    pub(crate) fn new(store: &'a PackedAlerts) -> Packed<'a> {
        Packed {
            store,
            cursor: RefCell::new(store.cursor_keeping(CHUNKS_KEPT)),
        }
    }
}

impl Pool for Packed<'_> {
    fn len(&self) -> usize {
        self.store.len()
    }

    fn each_of(&self, idx: &[usize], mut f: impl FnMut(usize, &Alert)) {
        for &i in idx {
            let a = self.cursor.borrow_mut().get(i);
            f(i, &a);
        }
    }

    fn with<R>(&self, idx: &[usize], f: impl FnOnce(&[&Alert]) -> R) -> R {
        let alerts = self.store.get_many(idx);
        let refs: Vec<&Alert> = alerts.iter().collect();
        f(&refs)
    }

    fn each(&self, mut f: impl FnMut(usize, &Alert)) {
        for (i, a) in self.store.iter().enumerate() {
            f(i, &a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_whole_groups_of_about_the_size() {
        assert_eq!(batch_lens([]), Vec::<usize>::new());
        assert_eq!(batch_lens([1, 1, 1]), [3]);
        assert_eq!(batch_lens([4000, 96, 1, 5000, 2]), [2, 1, 1, 1]);
        assert_eq!(batch_lens([GROUPS_READ, GROUPS_READ]), [1, 1]);
        let n = 3 * GROUPS_READ;
        assert_eq!(batch_lens(std::iter::repeat_n(1, n)), [GROUPS_READ; 3]);
    }
}
