//! A small direct-mapped cache of per-string verdicts (paths and user agents
//! repeat heavily in access logs). Keys are compared byte for byte, so a hash
//! collision costs a recomputation, never a wrong verdict.

/// Slots in a cache (a power of two).
const SLOTS: usize = 4096;
/// Longest key cached; longer ones are always recomputed.
pub(crate) const MAX_KEY: usize = 512;

/// Direct-mapped verdict cache: at most [`SLOTS`] keys of at most [`MAX_KEY`]
/// bytes each. Slot buffers are reused, so a warm cache does not allocate.
#[derive(Debug)]
pub(crate) struct VerdictCache<V> {
    slots: Vec<Option<(Vec<u8>, V)>>,
}

impl<V: Copy> Default for VerdictCache<V> {
    fn default() -> Self {
        VerdictCache {
            slots: (0..SLOTS).map(|_| None).collect(),
        }
    }
}

impl<V: Copy> VerdictCache<V> {
    /// The verdict for `key` (whose hash is `hash`), computed by `f` on a miss.
    #[inline]
    pub fn get_or(&mut self, key: &[u8], hash: u64, f: impl FnOnce(&[u8]) -> V) -> V {
        if key.len() > MAX_KEY {
            return f(key);
        }
        let slot = &mut self.slots[(hash as usize) & (SLOTS - 1)];
        match slot {
            Some((k, v)) if k.as_slice() == key => *v,
            Some((k, v)) => {
                let nv = f(key);
                k.clear();
                k.extend_from_slice(key);
                *v = nv;
                nv
            }
            None => {
                let nv = f(key);
                *slot = Some((key.to_vec(), nv));
                nv
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_keys_are_told_apart() {
        let mut c = VerdictCache::<bool>::default();
        let mut calls = 0;
        // Same hash on purpose: the key bytes decide.
        assert!(c.get_or(b"/admin", 7, |_| {
            calls += 1;
            true
        }));
        assert!(c.get_or(b"/admin", 7, |_| {
            calls += 1;
            false
        }));
        assert_eq!(calls, 1);
        assert!(!c.get_or(b"/news", 7, |_| {
            calls += 1;
            false
        }));
        assert!(c.get_or(b"/admin", 7, |k| k == b"/admin"));
        assert_eq!(calls, 2);
        let long = vec![b'a'; MAX_KEY + 1];
        assert!(c.get_or(&long, 1, |_| true));
        assert!(!c.get_or(&long, 1, |_| false));
    }
}
