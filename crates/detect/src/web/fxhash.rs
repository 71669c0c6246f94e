//! The web rules' fast in-memory hashing: [`FxBuild`] for their maps and
//! sets, [`hash_bytes`] for path and site hashes.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};

/// A small, fast, non-cryptographic hasher (FxHash-style multiply-rotate) for
/// in-memory maps keyed by addresses and path hashes. Not used for ids.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxBuild;

/// See [`FxBuild`].
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Fx(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Fx {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for Fx {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            self.add(u64::from_le_bytes(a));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut a = [0u8; 8];
            a[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(a) ^ (rest.len() as u64) << 59);
        }
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

impl BuildHasher for FxBuild {
    type Hasher = Fx;
    #[inline]
    fn build_hasher(&self) -> Fx {
        Fx(0)
    }
}

/// Hash of a byte string (paths, sites) for distinct counting and keys.
#[inline]
pub(crate) fn hash_bytes(b: &[u8]) -> u64 {
    hash_resume(0, b, b.len())
}

/// One step of [`hash_bytes`]'s chain: the state after one more whole
/// eight-byte word (read little-endian).
#[inline]
pub(crate) fn chain_word(h: u64, w: u64) -> u64 {
    (h.rotate_left(5) ^ w).wrapping_mul(SEED)
}

/// [`hash_bytes`] of a text of `len` bytes whose leading whole eight-byte
/// words are already chained into `h` (0 for none) and whose remaining
/// bytes are `rest`: a text that starts with another one's whole words
/// resumes its chain instead of hashing them again.
#[inline]
pub(crate) fn hash_resume(h: u64, rest: &[u8], len: usize) -> u64 {
    let mut f = Fx(h);
    f.write(rest);
    avalanche(f.finish(), len)
}

/// [`hash_bytes`] of a text of `len` bytes whose whole eight-byte words
/// are chained into `h` and whose last `len % 8` bytes are `tail` (a
/// zero-padded little-endian word; ignored when `len % 8` is 0).
#[inline]
pub(crate) fn hash_tail(h: u64, tail: u64, len: usize) -> u64 {
    let r = len % 8;
    let h = if r == 0 {
        h
    } else {
        chain_word(h, tail ^ (r as u64) << 59)
    };
    avalanche(h, len)
}

/// The final avalanche, so that short inputs spread over all bits.
#[inline]
fn avalanche(h: u64, len: usize) -> u64 {
    let mut x = h ^ len as u64;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^ (x >> 33)
}

/// A hash set of u64 with the fast hasher.
pub(crate) type FxSet = HashSet<u64, FxBuild>;

#[cfg(test)]
mod tests {
    use super::*;

    /// [`hash_bytes`] written plainly: the hashes are kept in saved states
    /// (distinct-path sets), so a faster version must give the same ones.
    fn reference(b: &[u8]) -> u64 {
        let mut h = 0u64;
        let mut chunks = b.chunks_exact(8);
        let add = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(SEED);
        for c in &mut chunks {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            h = add(h, u64::from_le_bytes(a));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut a = [0u8; 8];
            a[..rest.len()].copy_from_slice(rest);
            h = add(h, u64::from_le_bytes(a) ^ (rest.len() as u64) << 59);
        }
        let mut x = h ^ b.len() as u64;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^ (x >> 33)
    }

    #[test]
    fn known_values_do_not_change() {
        assert_eq!(hash_bytes(b""), reference(b""));
        assert_eq!(hash_bytes(b"/index.html"), 0x6df6_d66c_e77f_7203);
        // Every length up to 200 bytes.
        let bytes: Vec<u8> = (0..200u32).map(|i| (i * 37 + 11) as u8).collect();
        assert_eq!(hash_bytes(&bytes[..100]), 0x3d1a_6f7e_f0ea_4fe9);
        for n in 0..bytes.len() {
            assert_eq!(hash_bytes(&bytes[..n]), reference(&bytes[..n]), "{n}");
        }
    }

    proptest::proptest! {
        /// Resuming the chain after any number of whole words of a text
        /// gives the text's hash.
        #[test]
        fn resumed_chains_give_the_whole_hash(
            b in proptest::collection::vec(proptest::num::u8::ANY, 0..100),
            words in 0usize..13,
        ) {
            let words = words.min(b.len() / 8);
            let mut h = 0;
            for c in b[..8 * words].chunks_exact(8) {
                h = chain_word(h, u64::from_le_bytes(c.try_into().unwrap()));
            }
            proptest::prop_assert_eq!(hash_resume(h, &b[8 * words..], b.len()), reference(&b));
        }

        #[test]
        fn same_as_one_word_per_step(b in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            proptest::prop_assert_eq!(hash_bytes(&b), reference(&b));
        }
    }
}
