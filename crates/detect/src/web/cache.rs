//! Per-text verdicts without comparing the text once per rule: paths, targets
//! and user agents repeat heavily in access logs, and several rules keep a
//! verdict on the same text. [`Texts`] gives each distinct text (of at most
//! [`MAX_KEY`] bytes) a [`TextId`], comparing it byte for byte once per
//! request; a rule's [`VerdictCache`] keeps its verdict under that id. An id
//! is never given to two texts (ids are not reused), so a hash collision
//! costs a recomputation, never a wrong verdict.

/// Slots in a text table and in a verdict cache (a power of two).
const SLOTS: usize = 4096;
/// Longest text given an id; longer ones are always recomputed.
pub(crate) const MAX_KEY: usize = 512;

/// A text's identity in a [`Texts`] table: where it is held and the number
/// it was given there (unique in the table's life).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TextId {
    slot: u32,
    id: u64,
}

/// One held text: its hash, its id (0: empty), its bytes.
#[derive(Debug, Default)]
struct Held {
    hash: u64,
    id: u64,
    text: Vec<u8>,
}

/// Direct-mapped table of texts: at most [`SLOTS`] texts of at most
/// [`MAX_KEY`] bytes each. Slot buffers are reused, so a warm table does not
/// allocate.
#[derive(Debug)]
pub(crate) struct Texts {
    slots: Vec<Held>,
    /// The last id given.
    last: u64,
}

impl Default for Texts {
    fn default() -> Self {
        Texts {
            slots: (0..SLOTS).map(|_| Held::default()).collect(),
            last: 0,
        }
    }
}

impl Texts {
    /// The id of `text` (whose hash is `hash`): the one it holds when the
    /// same bytes are held, else a new one (the slot's text replaced); `None`
    /// when the text is longer than [`MAX_KEY`].
    #[inline]
    pub fn id(&mut self, text: &[u8], hash: u64) -> Option<TextId> {
        if text.len() > MAX_KEY {
            return None;
        }
        let slot = (hash as usize) & (SLOTS - 1);
        let h = &mut self.slots[slot];
        if h.id == 0 || h.hash != hash || h.text.as_slice() != text {
            self.last += 1;
            h.id = self.last;
            h.hash = hash;
            h.text.clear();
            h.text.extend_from_slice(text);
        }
        Some(TextId {
            slot: slot as u32,
            id: h.id,
        })
    }
}

/// One rule's verdicts by [`TextId`] (of one [`Texts`] table).
#[derive(Debug)]
pub(crate) struct VerdictCache<V> {
    /// Per table slot: the id whose verdict is kept (0: none) and the verdict.
    slots: Vec<(u64, V)>,
}

impl<V: Copy + Default> Default for VerdictCache<V> {
    fn default() -> Self {
        VerdictCache {
            slots: vec![(0, V::default()); SLOTS],
        }
    }
}

impl<V: Copy + Default> VerdictCache<V> {
    /// The verdict for `key`, whose id is `id` (`None`: not held, always
    /// computed), computed by `f` on a miss.
    #[inline]
    pub fn get_or(&mut self, id: Option<TextId>, key: &[u8], f: impl FnOnce(&[u8]) -> V) -> V {
        let Some(t) = id else { return f(key) };
        let s = &mut self.slots[t.slot as usize];
        if s.0 != t.id {
            *s = (t.id, f(key));
        }
        s.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn colliding_texts_are_told_apart() {
        let mut texts = Texts::default();
        let mut c = VerdictCache::<bool>::default();
        let mut calls = 0;
        // Same hash on purpose: the bytes decide.
        let admin = texts.id(b"/admin", 7);
        assert_eq!(texts.id(b"/admin", 7), admin);
        assert!(c.get_or(admin, b"/admin", |_| {
            calls += 1;
            true
        }));
        assert!(c.get_or(admin, b"/admin", |_| {
            calls += 1;
            false
        }));
        assert_eq!(calls, 1);
        let news = texts.id(b"/news", 7);
        assert_ne!(news, admin);
        assert!(!c.get_or(news, b"/news", |_| {
            calls += 1;
            false
        }));
        // Back again: a new id (the slot held `/news`), computed again.
        let again = texts.id(b"/admin", 7);
        assert_ne!(again, admin);
        assert!(c.get_or(again, b"/admin", |k| k == b"/admin"));
        assert_eq!(calls, 2);
        // Same length and hash, other bytes.
        assert_ne!(texts.id(b"/admim", 7), again);
        let long = vec![b'a'; MAX_KEY + 1];
        assert_eq!(texts.id(&long, 1), None);
        assert!(c.get_or(None, &long, |_| true));
        assert!(!c.get_or(None, &long, |_| false));
    }

    proptest! {
        /// Through the table and two caches, every verdict is the function's
        /// own on the exact bytes, whatever the hashes (few, so that texts
        /// collide and replace each other), and one id is one text.
        #[test]
        fn verdicts_are_those_of_the_exact_text(
            keys in proptest::collection::vec(
                (proptest::collection::vec(b'a'..b'e', 0..6), 0u64..6), 1..400),
        ) {
            let mut texts = Texts::default();
            let mut len = VerdictCache::<usize>::default();
            let mut sum = VerdictCache::<u32>::default();
            let mut seen = std::collections::HashMap::new();
            for (k, h) in &keys {
                // Far hashes share slots too.
                let hash = h << 12 | h;
                let id = texts.id(k, hash);
                let t = id.expect("short text");
                prop_assert_eq!(seen.entry(t.id).or_insert_with(|| k.clone()), k);
                prop_assert_eq!(len.get_or(id, k, |k| k.len()), k.len());
                let s: u32 = k.iter().map(|&b| u32::from(b)).sum();
                prop_assert_eq!(sum.get_or(id, k, |k| k.iter().map(|&b| u32::from(b)).sum()), s);
            }
        }
    }
}
