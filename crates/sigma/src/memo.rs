//! What the prefilter's scan found in a field value, remembered per thread
//! and per automaton: logs repeat most of their longer values (user
//! agents, referrers, request targets, image paths, command lines), and
//! looking one up (a hash and a comparison) costs a fraction of scanning it.
//!
//! A value is looked up by its exact bytes (the hash only picks the slot),
//! so a hit gives what a scan would: the needles found in that value alone.
//! Scanning values one by one finds what a scan of them joined by the
//! separator finds, as no needle holds the separator. Memory: at most
//! [`MEMOS`] tables per thread of [`SLOTS`] values of at most [`MAX_LEN`]
//! bytes each.

use aho_corasick::AhoCorasick;

/// Values shorter than this are scanned with the event's other short
/// values (a lookup would cost about as much as their scan).
pub(crate) const MIN_LEN: usize = 16;
/// Values longer than this are scanned every time (not kept).
pub(crate) const MAX_LEN: usize = 256;
/// Values remembered per automaton (a power of two).
const SLOTS: usize = 512;
/// Automata remembered per thread (the least recently used is dropped).
const MEMOS: usize = 16;

#[derive(Debug, Default, Clone)]
struct Slot {
    hash: u64,
    /// The value as it was read (not folded); empty when the slot is free.
    text: Vec<u8>,
    /// Needle ids found in it.
    ids: Vec<u32>,
}

/// One automaton's remembered values.
#[derive(Debug)]
pub(crate) struct Memo {
    /// The automaton's [`crate::prefilter`] id.
    owner: u64,
    last_used: u64,
    slots: Box<[Slot]>,
    /// Folded copy of the value being scanned.
    folded: Vec<u8>,
}

/// A fast hash of a value's bytes (8 at a time); the slot's bytes are
/// compared before its result is used, so collisions only cost a scan.
fn hash(b: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = b.len() as u64;
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(a)).wrapping_mul(K);
    }
    let mut a = [0u8; 8];
    a[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h.rotate_left(5) ^ u64::from_le_bytes(a)).wrapping_mul(K);
    h ^ (h >> 32)
}

impl Memo {
    fn new(owner: u64) -> Memo {
        Memo {
            owner,
            last_used: 0,
            slots: vec![Slot::default(); SLOTS].into_boxed_slice(),
            folded: Vec::new(),
        }
    }

    /// Calls `found(id)` for each needle `ac` finds in `value` (folded to
    /// ASCII lower case first, as the needles are), scanning it only when
    /// it is not remembered.
    pub(crate) fn scan(&mut self, ac: &AhoCorasick, value: &[u8], found: &mut dyn FnMut(u32)) {
        let h = hash(value);
        let slot = &mut self.slots[h as usize & (SLOTS - 1)];
        if slot.hash != h || slot.text != value {
            slot.hash = h;
            slot.text.clear();
            slot.text.extend_from_slice(value);
            slot.ids.clear();
            self.folded.clear();
            self.folded.extend_from_slice(value);
            self.folded.make_ascii_lowercase();
            for m in ac.find_overlapping_iter(self.folded.as_slice()) {
                slot.ids
                    .push(u32::try_from(m.pattern().as_usize()).unwrap_or(u32::MAX));
            }
            slot.ids.sort_unstable();
            slot.ids.dedup();
        }
        slot.ids.iter().for_each(|&id| found(id));
    }
}

/// This thread's memos, most recently used last-used highest.
#[derive(Debug, Default)]
pub(crate) struct Memos {
    tick: u64,
    memos: Vec<Memo>,
}

impl Memos {
    /// The memo of automaton `owner`, made (in place of the least recently
    /// used one when there are [`MEMOS`]) if there is none.
    pub(crate) fn of(&mut self, owner: u64) -> &mut Memo {
        self.tick += 1;
        let i = match self.memos.iter().position(|m| m.owner == owner) {
            Some(i) => i,
            None if self.memos.len() < MEMOS => {
                self.memos.push(Memo::new(owner));
                self.memos.len() - 1
            }
            None => {
                let (i, _) = self
                    .memos
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, m)| m.last_used)
                    .unwrap_or((0, &self.memos[0]));
                self.memos[i] = Memo::new(owner);
                i
            }
        };
        let m = &mut self.memos[i];
        m.last_used = self.tick;
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(m: &mut Memo, ac: &AhoCorasick, v: &[u8]) -> Vec<u32> {
        let mut got = Vec::new();
        m.scan(ac, v, &mut |id| got.push(id));
        got
    }

    #[test]
    fn a_remembered_value_gives_what_its_scan_gives() {
        let ac = AhoCorasick::new(["union select", "sqlmap/", "select"]).unwrap();
        let mut m = Memo::new(1);
        let ua = b"sqlmap/1.7.2#stable (https://sqlmap.org) UNION SELECT";
        assert_eq!(found(&mut m, &ac, ua), [0, 1, 2]);
        assert_eq!(found(&mut m, &ac, ua), [0, 1, 2]);
        assert_eq!(
            found(&mut m, &ac, b"Mozilla/5.0 (X11; Linux x86_64)"),
            [] as [u32; 0]
        );
        // Every value, remembered or not, keeps its own answer even when
        // they share slots (more values than slots).
        for round in 0..2 {
            for i in 0..(SLOTS * 3) {
                let v = if i % 7 == 0 {
                    format!("/search?q={i} Union Select 1")
                } else {
                    format!("/news/2026/08/article-{i}")
                };
                let want: &[u32] = if i % 7 == 0 { &[0, 2] } else { &[] };
                assert_eq!(found(&mut m, &ac, v.as_bytes()), want, "{v} round {round}");
            }
        }
    }

    #[test]
    fn least_recently_used_memo_makes_room() {
        let mut ms = Memos::default();
        for owner in 0..MEMOS as u64 {
            ms.of(owner);
        }
        ms.of(0);
        ms.of(99);
        assert_eq!(ms.memos.len(), MEMOS);
        let owners: Vec<u64> = ms.memos.iter().map(|m| m.owner).collect();
        assert!(owners.contains(&0) && owners.contains(&99) && !owners.contains(&1));
    }

    #[test]
    fn hash_reads_every_byte() {
        let a = hash(b"Mozilla/5.0 (X11; Linux x86_64; rv:130.0)");
        let b = hash(b"Mozilla/5.0 (X11; Linux x86_64; rv:130.1)");
        assert_ne!(a, b);
        assert_ne!(hash(b"abc"), hash(b"abd"));
        assert_ne!(hash(b""), hash(b"\0"));
    }
}
