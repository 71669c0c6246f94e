//! A multimap from keys to indicator numbers, flat: one hash probe gives a
//! range of a shared `Vec<u32>`. Built once, read by every lane.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// A fast non-cryptographic hasher (FxHash's multiply-rotate), for keys the
/// index builds itself. Log values are attacker-controlled, but a lookup is
/// one probe per key and the table is built from the indicators, not from
/// log data, so collisions cannot be planted by a log writer.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ (rest.len() as u64) << 56);
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.add(i as u64);
        self.add((i >> 64) as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // Final avalanche so that the low bits hashbrown uses are mixed.
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x
    }
}

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

pub(crate) type Fx = BuildHasherDefault<FxHasher>;

/// Keys to indicator numbers.
#[derive(Debug)]
pub(crate) struct Postings<K> {
    map: HashMap<K, (u32, u32), Fx>,
    ids: Vec<u32>,
}

impl<K> Default for Postings<K> {
    fn default() -> Self {
        Postings {
            map: HashMap::default(),
            ids: Vec::new(),
        }
    }
}

impl<K: Hash + Eq + Ord> Postings<K> {
    /// From (key, indicator) pairs, in any order (keys cheap to compare:
    /// numbers).
    pub(crate) fn build(mut pairs: Vec<(K, u32)>) -> Self {
        pairs.sort_unstable();
        pairs.dedup();
        Self::from_sorted(pairs.into_iter().map(|(k, id)| (0, k, id)))
    }

    /// From (key, indicator) pairs, in any order, sorted by the table's
    /// hash of the key first: a compare of two integers, not of two
    /// strings, in all but the rare equal hashes.
    pub(crate) fn build_hashed(pairs: Vec<(K, u32)>) -> Self {
        use std::hash::BuildHasher;
        let hasher = Fx::default();
        let mut pairs: Vec<(u64, K, u32)> = pairs
            .into_iter()
            .map(|(k, id)| (hasher.hash_one(&k), k, id))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        Self::from_sorted(pairs.into_iter())
    }

    /// From (group, key, indicator) triples sorted and without repeats:
    /// the indicators of a key are next to each other.
    fn from_sorted(pairs: impl ExactSizeIterator<Item = (u64, K, u32)>) -> Self {
        let mut map: HashMap<K, (u32, u32), Fx> = HashMap::default();
        map.reserve(pairs.len());
        let mut ids = Vec::with_capacity(pairs.len());
        let mut it = pairs.peekable();
        while let Some((h, k, id)) = it.next() {
            let start = ids.len() as u32;
            ids.push(id);
            while it.peek().is_some_and(|(h2, k2, _)| *h2 == h && *k2 == k) {
                if let Some((_, _, id2)) = it.next() {
                    ids.push(id2);
                }
            }
            let len = ids.len() as u32 - start;
            map.insert(k, (start, len));
        }
        Postings { map, ids }
    }

    /// The indicators of `k`.
    #[inline]
    pub(crate) fn get<Q>(&self, k: &Q) -> &[u32]
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match self.map.get(k) {
            Some(&(s, l)) => &self.ids[s as usize..(s + l) as usize],
            None => &[],
        }
    }

    /// Whether no key is held.
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl Postings<u32> {
    /// [`Postings::build`] for 32-bit keys (IPv4 networks): each pair packed
    /// in one `u64`, key above indicator, so that the sort compares plain
    /// integers in the order of the pairs.
    pub(crate) fn build_u32(pairs: Vec<(u32, u32)>) -> Self {
        let mut packed: Vec<u64> = pairs
            .into_iter()
            .map(|(k, id)| u64::from(k) << 32 | u64::from(id))
            .collect();
        packed.sort_unstable();
        packed.dedup();
        Self::from_sorted(packed.into_iter().map(|x| (0, (x >> 32) as u32, x as u32)))
    }
}

/// Which /24s of the address space (the top 24 bits of an IPv4 or IPv6
/// address) an indicator covers, as a bitmap of 2 MiB: one probe answers
/// "no indicator here" for most addresses, before a probe per prefix
/// length.
#[derive(Debug, Default)]
pub(crate) struct Top24 {
    bits: Vec<u64>,
}

impl Top24 {
    /// Over networks given as (top 24 bits of the network, prefix length).
    pub(crate) fn build(nets: impl Iterator<Item = (u32, u8)>) -> Self {
        let mut bits = Vec::new();
        for (top, len) in nets {
            if bits.is_empty() {
                bits = vec![0u64; 1 << 18];
            }
            // A network shorter than /24 covers 2^(24 - len) of them.
            let n = 1u32 << (24 - u32::from(len.min(24)));
            let top = top & !(n - 1) & 0x00ff_ffff;
            for t in top..top + n {
                bits[(t >> 6) as usize] |= 1 << (t & 63);
            }
        }
        Top24 { bits }
    }

    /// Whether an indicator may cover addresses with these top 24 bits.
    #[inline]
    pub(crate) fn maybe(&self, top: u32) -> bool {
        self.bits
            .get(((top & 0x00ff_ffff) >> 6) as usize)
            .is_some_and(|w| w & (1 << (top & 63)) != 0)
    }
}
