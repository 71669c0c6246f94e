//! Pieces of the parallel index build.

use super::postings::Postings;
use std::collections::BTreeMap;

/// Postings per prefix length, longest first, built in parallel (the lengths
/// of a feed are a handful; /32 holds most addresses).
pub(super) fn by_length<K: std::hash::Hash + Eq + Ord + Send>(
    m: BTreeMap<u8, Vec<(K, u32)>>,
    build: impl Fn(Vec<(K, u32)>) -> Postings<K> + Sync + Send,
) -> Vec<(u8, Postings<K>)> {
    use rayon::prelude::*;
    let v: Vec<(u8, Vec<(K, u32)>)> = m.into_iter().rev().collect();
    v.into_par_iter().map(|(l, v)| (l, build(v))).collect()
}

/// Which lengths (up to [`LenSet::MAX`] bytes; longer ones all count as
/// present) the keys of a table have: one bit test answers most misses
/// before hashing a long value.
#[derive(Debug, Default)]
pub(super) struct LenSet {
    bits: Vec<u64>,
}

impl LenSet {
    const MAX: usize = 4096;

    pub(super) fn build(lens: impl Iterator<Item = usize>) -> LenSet {
        let mut bits = vec![0u64; Self::MAX / 64 + 1];
        for l in lens {
            let l = l.min(Self::MAX);
            bits[l / 64] |= 1 << (l % 64);
        }
        LenSet { bits }
    }

    #[inline]
    pub(super) fn maybe(&self, len: usize) -> bool {
        let l = len.min(Self::MAX);
        self.bits
            .get(l / 64)
            .is_some_and(|w| w & (1 << (l % 64)) != 0)
    }
}
