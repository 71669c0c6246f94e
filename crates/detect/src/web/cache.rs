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
        if h.id == 0 || h.hash != hash || !same(&h.text, text) {
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

/// Slots of a [`TextMemo`] (a power of two).
const MEMO_SLOTS: usize = 256;

/// One remembered text: its bytes and its answer (no bytes when `held`
/// is false).
#[derive(Debug, Default)]
struct Remembered<V> {
    held: bool,
    text: Vec<u8>,
    answer: V,
}

/// Answers for texts that repeat on most requests (user agents,
/// referrers), remembered by a cheap mix of a few of their words, so that
/// one compare of the bytes gives the answer. Direct-mapped: two texts of
/// one slot replace each other (then computed as without the memo). Texts
/// longer than [`MAX_KEY`] are not kept.
#[derive(Debug)]
pub(crate) struct TextMemo<V> {
    slots: Vec<Remembered<V>>,
}

impl<V: Copy + Default> Default for TextMemo<V> {
    fn default() -> Self {
        TextMemo {
            slots: (0..MEMO_SLOTS).map(|_| Remembered::default()).collect(),
        }
    }
}

impl<V: Copy> TextMemo<V> {
    /// `f(text)`, from the memo when `text` is remembered.
    #[inline]
    pub fn get_or(&mut self, text: &[u8], f: impl FnOnce(&[u8]) -> V) -> V {
        if text.len() > MAX_KEY {
            return f(text);
        }
        let r = &mut self.slots[memo_slot(text)];
        if r.held && same(&r.text, text) {
            return r.answer;
        }
        let v = f(text);
        r.held = true;
        r.text.clear();
        r.text.extend_from_slice(text);
        r.answer = v;
        v
    }
}

/// User agents' hashes (the chain over some hundred bytes) and their ids
/// in a [`Texts`] table, remembered ([`TextMemo`]). A remembered id is the
/// one the table gave for these exact bytes, so it names them even after
/// the table's slot held another text (ids are never reused).
#[derive(Debug, Default)]
pub(crate) struct AgentMemo(TextMemo<(u64, Option<TextId>)>);

impl AgentMemo {
    /// `(hash(text), texts.id(text, hash(text)))`, from the memo when
    /// `text` is remembered; texts longer than [`MAX_KEY`] (never given an
    /// id) are hashed each time.
    #[inline]
    pub fn get(
        &mut self,
        text: &[u8],
        texts: &mut Texts,
        hash: impl FnOnce(&[u8]) -> u64,
    ) -> (u64, Option<TextId>) {
        self.0.get_or(text, |t| {
            let h = hash(t);
            (h, texts.id(t, h))
        })
    }
}

/// The [`TextMemo`] slot of a text: its length and two of its words
/// (the last and the middle one; a shorter text's bytes), mixed.
#[inline]
fn memo_slot(b: &[u8]) -> usize {
    let n = b.len();
    let word = |at: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[at..at + 8]);
        u64::from_le_bytes(a)
    };
    let (last, mid) = if n >= 8 {
        (word(n - 8), word(n / 2 - 4))
    } else {
        (b.iter().fold(0, |a, &c| a << 8 | u64::from(c)), 0)
    };
    let x = (last ^ mid.rotate_left(29) ^ n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (x >> 56) as usize & (MEMO_SLOTS - 1)
}

/// Whether `a` and `b` are the same bytes: `a == b`, compared eight bytes
/// at a time inline when short (paths: no call to `memcmp`, whose call
/// costs more than such a compare), by `memcmp` when longer.
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n > 32 {
        return a == b;
    }
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let mut at = 0;
    while at + 8 <= n {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    // The last, overlapping word covers what is left.
    at == n || word(a, n - 8) == word(b, n - 8)
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

    /// Agents that share a memo slot replace each other; every answer is
    /// the hash of the exact bytes and the table's id for them.
    #[test]
    fn the_memo_answers_for_the_exact_agent() {
        let a = b"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0".to_vec();
        let mut b = a.clone();
        b[0] = b'N';
        assert_eq!(memo_slot(&a), memo_slot(&b));
        let mut texts = Texts::default();
        let mut memo = AgentMemo::default();
        let fx = super::super::fxhash::hash_bytes;
        let (ha, ia) = memo.get(&a, &mut texts, fx);
        assert_eq!(ha, fx(&a));
        assert_eq!(ia, texts.id(&a, ha));
        let mut calls = 0;
        let mut counted = |t: &[u8]| {
            calls += 1;
            fx(t)
        };
        assert_eq!(memo.get(&a, &mut texts, &mut counted), (ha, ia));
        let (hb, ib) = memo.get(&b, &mut texts, &mut counted);
        assert_eq!((hb, ib), (fx(&b), texts.id(&b, fx(&b))));
        assert_ne!(ib, ia);
        assert_eq!(memo.get(&a, &mut texts, &mut counted), (ha, ia));
        assert_eq!(calls, 2, "hashed again only after its slot was taken");
        let long = vec![b'x'; MAX_KEY + 1];
        assert_eq!(memo.get(&long, &mut texts, fx), (fx(&long), None));
        assert_eq!(memo.get(b"", &mut texts, fx).0, fx(b""));
    }

    proptest! {
        /// [`same`] is `==` on texts of any length that differ anywhere
        /// (or nowhere).
        #[test]
        fn same_is_equality(
            a in proptest::collection::vec(any::<u8>(), 0..150),
            at in any::<usize>(),
            flip in 0u8..3,
        ) {
            let mut b = a.clone();
            match flip {
                0 if !b.is_empty() => { let i = at % b.len(); b[i] ^= 1 << (at % 8); }
                1 => b.push(0),
                _ => {}
            }
            prop_assert_eq!(same(&a, &b), a == b);
            prop_assert_eq!(same(&b, &a), a == b);
        }

        /// Through the memo, any agents in any order (few letters, near
        /// lengths: slots shared): the hash of the exact bytes, and an id
        /// that names one text only.
        #[test]
        fn memo_answers_are_those_of_the_exact_text(
            keys in proptest::collection::vec(proptest::collection::vec(b'a'..b'd', 0..40), 1..300),
        ) {
            let fx = super::super::fxhash::hash_bytes;
            let mut texts = Texts::default();
            let mut memo = AgentMemo::default();
            let mut seen = std::collections::HashMap::new();
            for k in &keys {
                let (h, id) = memo.get(k, &mut texts, fx);
                prop_assert_eq!(h, fx(k));
                let t = id.expect("short text");
                prop_assert_eq!(seen.entry(t.id).or_insert_with(|| k.clone()), k);
            }
        }

        /// Through a memo of answers (referrers), texts of any length and
        /// bytes in any order (slots shared, texts too long to keep): each
        /// answer is the function's on the exact bytes, computed again only
        /// when the text was not the last one of its slot.
        #[test]
        fn memo_answers_follow_the_exact_bytes(
            keys in proptest::collection::vec(
                prop_oneof![
                    8 => proptest::collection::vec(prop_oneof![Just(b'$'), b'a'..b'd'], 0..40),
                    1 => proptest::collection::vec(b'a'..b'c', MAX_KEY - 1..MAX_KEY + 3),
                ],
                1..300),
        ) {
            let mut memo = TextMemo::<bool>::default();
            let mut last: std::collections::HashMap<usize, Vec<u8>> = Default::default();
            for k in &keys {
                let want = k.contains(&b'$') || k.len() % 3 == 0;
                let mut computed = false;
                let got = memo.get_or(k, |t| {
                    computed = true;
                    t.contains(&b'$') || t.len() % 3 == 0
                });
                prop_assert_eq!(got, want);
                let kept = k.len() <= MAX_KEY;
                let held = kept && last.get(&memo_slot(k)) == Some(k);
                prop_assert_eq!(computed, !held);
                if kept {
                    last.insert(memo_slot(k), k.clone());
                }
            }
        }

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
