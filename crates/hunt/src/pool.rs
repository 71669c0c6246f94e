//! The alerts the end of a hunt groups, read by index: held as they are (a
//! slice) or packed ([`Packed`]: decoded on demand, in the order they were
//! packed in, which the end of a packed hunt made the report's). Grouping
//! is written once over [`Pool`], so both ways give the same campaigns.
//!
//! What grouping reads of every alert (its link [`Facts`], which tell its
//! [`Family`], and the hash of its id) packed alerts may carry beside them
//! ([`Packed::knowing`]), found by the one reading of every alert at the
//! end of a packed hunt: then only the alerts that grouping needs whole
//! are decoded again.

use crate::campaign::Family;
use crate::link::{Facts, Gathered};
use crate::targets::Targets;
use haboob_model::packed::Cursor;
use haboob_model::{Alert, PackedAlerts};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

/// Alerts by index, `0..len()`.
pub(crate) trait Pool {
    /// Number of alerts.
    fn len(&self) -> usize;

    /// Calls `f` with the family of every alert and its index, in order.
    fn each_family(&self, f: impl FnMut(usize, Family));

    /// What linking reads of the alerts `idx` (ascending), by their place
    /// in `idx`.
    fn gather(&self, idx: &[usize], targets: &Targets) -> Gathered;

    /// The index of each id of `wanted` (of alerts sharing an id, the
    /// last). An id no alert has is left out, or (packed alerts whose ids'
    /// hashes are known, at odds of about one in 2^64 per alert) given
    /// the index of an alert of another id: callers check the ids.
    fn indices_of(&self, wanted: &HashSet<&str>) -> HashMap<String, usize>;

    /// Calls `f` once with the alerts of `idx`, in that order.
    fn with<R>(&self, idx: &[usize], f: impl FnOnce(&[&Alert]) -> R) -> R;
}

impl Pool for [Alert] {
    fn len(&self) -> usize {
        <[Alert]>::len(self)
    }

    fn each_family(&self, mut f: impl FnMut(usize, Family)) {
        for (i, a) in self.iter().enumerate() {
            f(i, Family::of(a));
        }
    }

    fn gather(&self, idx: &[usize], targets: &Targets) -> Gathered {
        let mut g = Gathered::with_capacity(idx.len());
        for &i in idx {
            g.add(&self[i], targets);
        }
        g
    }

    fn indices_of(&self, wanted: &HashSet<&str>) -> HashMap<String, usize> {
        let mut at = HashMap::with_capacity(wanted.len());
        for (i, a) in self.iter().enumerate() {
            if wanted.contains(a.id.as_str()) {
                at.insert(a.id.clone(), i);
            }
        }
        at
    }

    fn with<R>(&self, idx: &[usize], f: impl FnOnce(&[&Alert]) -> R) -> R {
        let refs: Vec<&Alert> = idx.iter().map(|&i| &self[i]).collect();
        f(&refs)
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

/// The hash an id is looked up by in [`Packed::knowing`]'s ids.
pub(crate) fn id_hash(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

/// Packed alerts, read through one cursor, so that reading alerts in the
/// order they were packed in decompresses each chunk about once.
pub(crate) struct Packed<'a> {
    store: &'a PackedAlerts,
    cursor: RefCell<Cursor<'a>>,
    /// What grouping reads of each alert, by index, when known: taken by
    /// [`Pool::gather`] (empty: the alerts are read).
    known: RefCell<Vec<Facts>>,
    /// The [`id_hash`] of each alert's id, by index, when known.
    ids: Vec<u64>,
}

impl<'a> Packed<'a> {
    /// The alerts of `store`, read whenever grouping needs them.
    #[cfg(test)]
    pub(crate) fn new(store: &'a PackedAlerts) -> Packed<'a> {
        Packed::knowing(store, Vec::new(), Vec::new())
    }

    /// The alerts of `store`, with what grouping reads of each (`known`)
    /// and the [`id_hash`] of each id (`ids`), by index; either may be
    /// empty (then the alerts are read for it).
    pub(crate) fn knowing(store: &'a PackedAlerts, known: Vec<Facts>, ids: Vec<u64>) -> Packed<'a> {
        let known = if known.len() == store.len() {
            known
        } else {
            Vec::new()
        };
        let ids = if ids.len() == store.len() {
            ids
        } else {
            Vec::new()
        };
        Packed {
            store,
            cursor: RefCell::new(store.cursor_keeping(CHUNKS_KEPT)),
            known: RefCell::new(known),
            ids,
        }
    }

    /// Calls `f` with each alert of `idx` and its place in `idx`, read
    /// through the cursor.
    fn each_of(&self, idx: &[usize], mut f: impl FnMut(usize, &Alert)) {
        for (j, &i) in idx.iter().enumerate() {
            let a = self.cursor.borrow_mut().get(i);
            f(j, &a);
        }
    }
}

impl Pool for Packed<'_> {
    fn len(&self) -> usize {
        self.store.len()
    }

    fn each_family(&self, mut f: impl FnMut(usize, Family)) {
        let known = self.known.borrow();
        if known.is_empty() {
            for (i, a) in self.store.iter().enumerate() {
                f(i, Family::of(&a));
            }
        } else {
            for (i, k) in known.iter().enumerate() {
                f(i, k.family());
            }
        }
    }

    fn gather(&self, idx: &[usize], targets: &Targets) -> Gathered {
        let known = std::mem::take(&mut *self.known.borrow_mut());
        let ascending = idx.windows(2).all(|w| w[0] < w[1]);
        if known.is_empty() || !ascending || idx.last().is_some_and(|&i| i >= known.len()) {
            let mut g = Gathered::with_capacity(idx.len());
            self.each_of(idx, |_, a| g.add(a, targets));
            return g;
        }
        let mut g = Gathered::with_capacity(idx.len());
        // (place in `idx`, index) of the alerts to read for their profiles.
        let mut profiled = Vec::new();
        let mut want = idx.iter().copied().peekable();
        for (i, k) in known.into_iter().enumerate() {
            if want.next_if_eq(&i).is_some() {
                if k.profiled() {
                    profiled.push((g.len(), i));
                }
                g.push(k);
            }
        }
        let mut cursor = self.cursor.borrow_mut();
        for (j, i) in profiled {
            g.profile(j, &cursor.get(i), targets);
        }
        g
    }

    fn indices_of(&self, wanted: &HashSet<&str>) -> HashMap<String, usize> {
        let mut at = HashMap::with_capacity(wanted.len());
        if self.ids.is_empty() {
            for (i, a) in self.store.iter().enumerate() {
                if wanted.contains(a.id.as_str()) {
                    at.insert(a.id, i);
                }
            }
            return at;
        }
        // Of each hash wanted: the ids wanted, the alerts and the last.
        let mut by_hash: HashMap<u64, (u32, u32, usize)> = HashMap::with_capacity(wanted.len());
        for w in wanted {
            by_hash.entry(id_hash(w)).or_default().0 += 1;
        }
        for (i, h) in self.ids.iter().enumerate() {
            if let Some(e) = by_hash.get_mut(h) {
                e.1 += 1;
                e.2 = i;
            }
        }
        for w in wanted {
            if let Some(&(1, 1, i)) = by_hash.get(&id_hash(w)) {
                at.insert(w.to_string(), i);
            }
        }
        // A hash shared (an id of several alerts, or ids alike in hash):
        // those alerts are read for their ids.
        let shared: Vec<usize> = self
            .ids
            .iter()
            .enumerate()
            .filter(|(_, h)| by_hash.get(h).is_some_and(|e| e.0 > 1 || e.1 > 1))
            .map(|(i, _)| i)
            .collect();
        self.each_of(&shared, |j, a| {
            if wanted.contains(a.id.as_str()) {
                at.insert(a.id.clone(), shared[j]);
            }
        });
        at
    }

    fn with<R>(&self, idx: &[usize], f: impl FnOnce(&[&Alert]) -> R) -> R {
        let alerts = self.store.get_many(idx);
        let refs: Vec<&Alert> = alerts.iter().collect();
        f(&refs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::tests::scan;
    use crate::merge::tests::alert;
    use haboob_model::AlertSource;

    /// Alerts of every kind grouping reads: web alerts (fingerprinted, an
    /// unknown User-Agent after a known one, a tool, a cluster with
    /// members), sign-in and intel alerts, and two alerts of one id.
    fn alerts() -> Vec<Alert> {
        let mut v = vec![
            scan("192.0.2.10", "a", 0, "00000000000000aa", false, 1),
            alert("web.scan", "192.0.2.10", "b", 100, 200),
            scan("198.51.100.20", "b", 9, "00000000000000aa", false, 1),
            scan("198.51.100.20", "c", 10, "none", false, 1),
            alert("auth.brute_force", "203.0.113.7", "t-news", 300, 900),
            alert("intel.match", "203.0.113.7", "t-news", 400, 500),
            alert("intel.match", "203.0.113.99", "b", 400, 500),
            alert("web.scanner_ua", "203.0.113.8", "c", 50, 60),
            alert("web.sweep", "203.0.113.9", "a", 70, 80),
            alert("web.exploit", "192.0.2.10", "a", 100, 200),
        ];
        v[7].details
            .insert("tool".into(), serde_json::json!("zgrab"));
        v[8].source = AlertSource {
            ip: None,
            prefix: None,
            members: vec![
                "203.0.113.9".parse().unwrap(),
                "192.0.2.77".parse().unwrap(),
            ],
        };
        v[9].id = v[1].id.clone();
        v
    }

    #[test]
    fn what_is_known_of_an_alert_is_small() {
        // Beside each packed alert until it is linked.
        assert_eq!(std::mem::size_of::<Option<Facts>>(), 48);
    }

    #[test]
    fn packed_alerts_group_alike_read_or_known() {
        let plain = alerts();
        let mut store = PackedAlerts::new();
        for a in &plain {
            store.push(a);
        }
        let known = || plain.iter().map(Facts::of).collect::<Vec<_>>();
        let ids: Vec<u64> = plain.iter().map(|a| id_hash(&a.id)).collect();
        let targets = Targets::default();
        let cfg = crate::HuntConfig::default();
        let research = crate::research::ResearchNets::default();
        let want = serde_json::to_string(&crate::campaign::group_split_of(
            plain.as_slice(),
            &targets,
            &cfg,
            None,
            &research,
        ))
        .unwrap();
        for pool in [
            Packed::new(&store),
            Packed::knowing(&store, known(), ids.clone()),
            Packed::knowing(&store, known(), Vec::new()),
        ] {
            let got = crate::campaign::group_split_of(&pool, &targets, &cfg, None, &research);
            assert_eq!(serde_json::to_string(&got).unwrap(), want);
        }
        // Ids read, or found by hash (read for the id two alerts share).
        let mut wanted: HashSet<&str> = plain.iter().map(|a| a.id.as_str()).collect();
        wanted.insert("al-none");
        let at = plain.as_slice().indices_of(&wanted);
        assert_eq!(at.len(), plain.len() - 1);
        assert_eq!(at[&plain[1].id], 9);
        for ids in [Vec::new(), ids] {
            let pool = Packed::knowing(&store, Vec::new(), ids);
            assert_eq!(pool.indices_of(&wanted), at);
        }
    }

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
