//! What followed the probes: exploitation that worked (`web.exploit_success`),
//! scripted record harvesting (`web.harvest`) and defacement
//! (`web.defacement`), read from access logs alone.
//!
//! `web.exploit_success` and `web.defacement` compare a request with what the
//! site answered to others (its not-found pages, its pages' usual sizes, its
//! script paths): they keep per-site state and run in the shared lane (see
//! [`crate::Part`]). `web.harvest` is per source.
//!
//! Per-site and per-page state lives in bounded maps with eviction or in
//! direct-mapped tables ([`Table`]): a fixed number of slots, a colliding key
//! replaces the older one, so memory never grows with the log.

mod baseline;
mod config;
mod defacement;
mod harvest;
mod profile;
mod run;
mod success;
mod visitors;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_defacement;
#[cfg(test)]
mod tests_harvest;

pub use config::{DefacementConfig, ExploitSuccessConfig, HarvestConfig};
pub(crate) use run::Outcomes;

use super::Cidr;
use serde::{Deserialize, Serialize};

/// Parse a list of CIDR entries, skipping (with a warning) bad ones; call
/// [`super::WebConfig::validate`] first to reject them.
pub(crate) fn cidrs(list: &[String], what: &str) -> Vec<Cidr> {
    list.iter()
        .filter_map(|s| {
            let c = Cidr::parse(s).ok();
            if c.is_none() {
                tracing::warn!(entry = %super::episode::bounded(s), list = what, "Skipped bad address entry.");
            }
            c
        })
        .collect()
}

/// `|a - b| <= tol`.
#[inline]
pub(crate) fn near(a: u64, b: u64, tol: u64) -> bool {
    a.abs_diff(b) <= tol
}

/// Mix two hashes into one non-zero table key.
#[inline]
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    let x = (a ^ b.rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (x ^ (x >> 31)) | 1
}

/// A direct-mapped table of `V` keyed by non-zero 64-bit hashes: a fixed
/// number of slots (a power of two), a key landing on an occupied slot
/// replaces its value. A key and its value sit side by side (one cache line
/// per lookup). Saved sparsely (occupied slots only).
///
/// Keys are made odd, so a table of size `n` (its saved size) only ever
/// used its odd slots: the key's bits 1.. pick one of `n / 2` slots, and
/// only those are stored (half the memory and twice the keys per cache line
/// of the first layout, with the same keys sharing a slot).
#[derive(Debug, Clone)]
pub(crate) struct Table<V> {
    slots: Vec<(u64, V)>,
}

impl<V> Table<V> {
    /// The size the table was made with (twice its slots).
    pub fn size(&self) -> usize {
        self.slots.len() * 2
    }

    /// The slot of `key`: the one the odd slot `key | 1 mod size` was.
    #[inline]
    fn index(&self, key: u64) -> usize {
        ((key >> 1) as usize) & (self.slots.len() - 1)
    }
}

impl<V: Default + Clone> Table<V> {
    /// A table of size `n` (rounded up to a power of two, at least 16),
    /// holding up to `n / 2` keys.
    pub fn new(n: usize) -> Self {
        let n = n.clamp(16, 1 << 24).next_power_of_two();
        Table {
            slots: vec![(0, V::default()); n / 2],
        }
    }

    /// The value for `key`, reset to the default when the slot held another
    /// key (or none); `true` when it was reset.
    #[inline]
    pub fn slot(&mut self, key: u64) -> (&mut V, bool) {
        let key = key | 1;
        let i = self.index(key);
        let s = &mut self.slots[i];
        let fresh = s.0 != key;
        if fresh {
            *s = (key, V::default());
        }
        (&mut s.1, fresh)
    }

    /// The value for `key` when stored.
    #[inline]
    pub fn get(&self, key: u64) -> Option<&V> {
        let key = key | 1;
        let s = &self.slots[self.index(key)];
        (s.0 == key).then_some(&s.1)
    }
}

/// The saved form of a [`Table`]: its size and occupied slots.
#[derive(Serialize, Deserialize)]
struct Sparse<V> {
    n: usize,
    used: Vec<(u64, V)>,
}

impl<V: Serialize + Clone> Serialize for Table<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let used: Vec<(u64, V)> = self.slots.iter().filter(|s| s.0 != 0).cloned().collect();
        Sparse {
            n: self.size(),
            used,
        }
        .serialize(s)
    }
}

impl<'de, V: Deserialize<'de> + Default + Clone> Deserialize<'de> for Table<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let sp = Sparse::<V>::deserialize(d)?;
        let mut t = Table::new(sp.n);
        for (k, v) in sp.used {
            let (slot, _) = t.slot(k);
            *slot = v;
        }
        Ok(t)
    }
}

/// Extension of the last path segment (lower case, without the dot; empty
/// when none or longer than 6 bytes).
///
/// Only the last seven bytes are read: the last `.` or `/` among them is
/// the extension's dot when it is a `.` (no `/` follows it); when it is a
/// `/`, or neither is there, the last segment has no extension of at most
/// six bytes. Called on every page view: the seven bytes are tested at once
/// (one 8-byte word), with no search call.
#[inline]
pub(crate) fn extension(path: &[u8]) -> &[u8] {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let n = path.len();
    let Some(tail) = n.checked_sub(8).and_then(|s| path.get(s..)) else {
        return extension_short(path);
    };
    let w = u64::from_le_bytes(tail.try_into().unwrap_or_default());
    // `.` (0x2e) and `/` (0x2f) differ in the low bit only: bytes that are
    // either, as their high bit; the first byte (eighth from the end) is
    // outside the window.
    let marks = zero_bytes((w | ONES) ^ (0x2f * ONES)) & !0x80;
    if marks == 0 {
        return &[];
    }
    let i = n - 8 + (63 - marks.leading_zeros() as usize) / 8;
    if path[i] == b'.' {
        &path[i + 1..]
    } else {
        &[]
    }
}

/// [`extension`] of a path shorter than eight bytes.
fn extension_short(path: &[u8]) -> &[u8] {
    let mut i = path.len();
    while i > 0 {
        i -= 1;
        match path[i] {
            b'.' => return &path[i + 1..],
            b'/' => return &[],
            _ => {}
        }
    }
    &[]
}

/// The high bit of each zero byte of `x`, and nothing else (exact: no
/// borrow crosses bytes).
#[inline]
fn zero_bytes(x: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// Helpers of the outcome rules' unit tests.
#[cfg(test)]
pub(crate) mod test_util {
    /// Every byte string of up to `max_len` bytes over `alphabet`, to `f`.
    pub(crate) fn every_path(alphabet: &[u8], max_len: u32, mut f: impl FnMut(&[u8])) {
        let k = alphabet.len();
        let mut path = Vec::with_capacity(max_len as usize);
        for len in 0..=max_len {
            for n in 0..k.pow(len) {
                path.clear();
                let mut x = n;
                for _ in 0..len {
                    path.push(alphabet[x % k]);
                    x /= k;
                }
                f(&path);
            }
        }
    }

    /// The next value of a xorshift64 sequence (a fixed pseudo-random
    /// order of keys for table tests).
    pub(crate) fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn table_replaces_on_collision_and_saves_sparsely() {
        let mut t: Table<u32> = Table::new(16);
        *t.slot(2).0 = 5;
        assert_eq!(t.get(2), Some(&5));
        // 2 | 1 == 3: keys are made odd, so 2 and 3 are one key.
        assert_eq!(t.get(3), Some(&5));
        let (v, fresh) = t.slot(2 + 16);
        assert!(fresh);
        assert_eq!(*v, 0);
        assert_eq!(t.get(2), None);
        let s = crate::DetectorState::of("t", &t).unwrap();
        let back: Table<u32> = s.into("t").unwrap();
        assert_eq!(back.get(18), Some(&0));
        assert_eq!(back.size(), 16);
        assert_eq!(back.slots.len(), 8);
    }

    /// The slot each key lands on is the one it had when tables stored all
    /// `n` slots and indexed by `(key | 1) mod n`: the same keys share a
    /// slot, and the saved form (size, occupied slots in slot order) is the
    /// one that layout saved.
    #[test]
    fn slots_are_the_odd_slots_of_the_first_layout() {
        let n = 64usize;
        let mut t: Table<u32> = Table::new(n);
        let mut first: Vec<(u64, u32)> = vec![(0, 0); n];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for i in 0..2000u32 {
            let key = test_util::xorshift(&mut x) % 1000;
            *t.slot(key).0 = i;
            let k = key | 1;
            let s = &mut first[(k as usize) & (n - 1)];
            *s = (k, i);
            assert_eq!(t.get(key), Some(&i));
        }
        let used: Vec<(u64, u32)> = first.iter().copied().filter(|s| s.0 != 0).collect();
        let json = serde_json::to_value(&t).unwrap();
        let want = serde_json::json!({"n": n, "used": used});
        assert_eq!(json, want);
    }

    #[test]
    fn extensions() {
        assert_eq!(extension(b"/a/b.php"), b"php");
        assert_eq!(extension(b"/a.b/c"), b"");
        assert_eq!(extension(b"/x.toolong7"), b"");
        assert_eq!(extension(b"/x.tolong"), b"tolong");
        assert_eq!(extension(b"/"), b"");
        assert_eq!(extension(b"a.b"), b"b");
        assert_eq!(extension(b"/a."), b"");
        assert_eq!(extension(b"/a.b.c/d.e.gz"), b"gz");
        assert_eq!(extension(b""), b"");
    }

    /// The definition [`extension`] implements: the last segment's last
    /// dot, with at most six bytes after it.
    fn extension_by_definition(path: &[u8]) -> &[u8] {
        let last = memchr::memrchr(b'/', path).map_or(path, |i| &path[i + 1..]);
        match memchr::memrchr(b'.', last) {
            Some(d) if last.len() - d - 1 <= 6 => &last[d + 1..],
            _ => &[],
        }
    }

    /// Every path of up to ten bytes over `/`, `.`, a letter and bytes one
    /// bit away from `.` or `/` (`-`, `o`, `\xae`, `\xaf`, zero): every
    /// placement of slashes and dots in and around the seven-byte window.
    #[test]
    fn extension_is_the_last_segments_short_extension() {
        let others = [b'-', b'o', 0xae, 0xaf, 0];
        test_util::every_path(b"/.a", 10, |path| {
            // The letters replaced by each near byte in turn.
            for &o in &others {
                let near: Vec<u8> = path
                    .iter()
                    .map(|&c| if c == b'a' { o } else { c })
                    .collect();
                assert_eq!(extension(&near), extension_by_definition(&near), "{near:?}");
            }
            assert_eq!(
                extension(path),
                extension_by_definition(path),
                "{:?}",
                String::from_utf8_lossy(path)
            );
        });
    }
}
