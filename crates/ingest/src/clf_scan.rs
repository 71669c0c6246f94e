//! One pass over an NCSA line for its separators: its bytes are classified
//! sixteen at a time (portable SIMD: SSE2 on x86-64, NEON on aarch64) into
//! a mask of spaces and a mask of double quotes, and the
//! parser walks the masks. Words, quoted fields and the split of the
//! request all come from the same two masks, instead of a short search
//! (with its fixed setup cost) per field.

use wide::u8x16;

/// Blocks of 64 bytes classified up front: lines up to 512 bytes (almost
/// all) are classified in one loop; the blocks of longer lines past these
/// are classified when a search reaches them.
const NEAR: usize = 8;

/// Near blocks whose space masks are filled up front (the first 128 bytes
/// hold the client, the time and most requests).
const SP_FIRST: usize = 2;

/// The masks of the first [`NEAR`] blocks of a line, kept by the parser
/// from line to line (filled anew for each; no copy of them per line).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Masks {
    /// Spaces, bit `j` of `sp[k]` for byte `64 * k + j`.
    sp: [u64; NEAR],
    /// Double quotes, likewise.
    qt: [u64; NEAR],
}

/// The separator masks of one line.
pub(crate) struct Scan<'a, 'm> {
    b: &'a [u8],
    /// Its first blocks' masks (those past its end are stale, never read).
    m: &'m mut Masks,
    /// The near blocks whose space masks are filled (the quote masks of
    /// all near blocks are filled up front; spaces are searched for near
    /// the start of a line only, up to the end of the request).
    sp_done: usize,
    /// The last block past [`NEAR`] classified (`usize::MAX`: none) and its
    /// masks.
    far: (usize, u64, u64),
}

const SPACE: u8 = b' ';
const QUOTE: u8 = b'"';

/// Spaces and double quotes of sixteen bytes.
#[inline(always)]
fn masks16(c: [u8; 16]) -> (u64, u64) {
    let v = u8x16::from(c);
    let sp = v.cmp_eq(u8x16::splat(SPACE)).move_mask() as u16;
    let qt = v.cmp_eq(u8x16::splat(QUOTE)).move_mask() as u16;
    (u64::from(sp), u64::from(qt))
}

/// The masks of the 64 bytes of `b`, built in registers.
#[inline(always)]
fn masks64(b: &[u8; 64]) -> (u64, u64) {
    let (mut sp, mut qt) = (0u64, 0u64);
    for (k, c) in b.chunks_exact(16).enumerate() {
        let (s, q) = masks16(<[u8; 16]>::try_from(c).unwrap_or([0; 16]));
        sp |= s << (16 * k);
        qt |= q << (16 * k);
    }
    (sp, qt)
}

/// The mask of the spaces or (`QT`) the double quotes of
/// sixteen bytes.
#[inline(always)]
fn mask16<const QT: bool>(c: [u8; 16]) -> u64 {
    let v = u8x16::from(c);
    let m = if QT {
        v.cmp_eq(u8x16::splat(QUOTE))
    } else {
        v.cmp_eq(u8x16::splat(SPACE))
    };
    u64::from(m.move_mask() as u16)
}

/// One mask (see [`mask16`]) of the bytes `b[at..at + 64]` (the line's
/// end, if before, ends it).
#[inline(always)]
fn block1<const QT: bool>(b: &[u8], at: usize) -> u64 {
    if let Some(full) = b
        .get(at..at + 64)
        .and_then(|c| <&[u8; 64]>::try_from(c).ok())
    {
        let mut m = 0u64;
        for (k, c) in full.chunks_exact(16).enumerate() {
            m |= mask16::<QT>(<[u8; 16]>::try_from(c).unwrap_or([0; 16])) << (16 * k);
        }
        return m;
    }
    let (sp, qt) = block(b, at);
    if QT {
        qt
    } else {
        sp
    }
}

/// The masks of the bytes `b[at..at + 64]` (the line's end, if before,
/// ends them).
#[inline(always)]
fn block(b: &[u8], at: usize) -> (u64, u64) {
    if let Some(full) = b
        .get(at..at + 64)
        .and_then(|c| <&[u8; 64]>::try_from(c).ok())
    {
        return masks64(full);
    }
    // The last block of a line of 64 bytes or more: the line's last 64
    // bytes, shifted down to `at` (the same work whatever is left of the
    // line, where a loop over what is left would end at a place that
    // varies from line to line).
    if let Some(last) = b
        .len()
        .checked_sub(64)
        .and_then(|s| b.get(s..))
        .and_then(|c| <&[u8; 64]>::try_from(c).ok())
    {
        let shift = at + 64 - b.len();
        let (sp, qt) = masks64(last);
        return (sp >> shift, qt >> shift);
    }
    let (mut sp, mut qt) = (0, 0);
    let end = b.len().min(at + 64);
    let mut i = at;
    while i < end {
        let (s, q) = chunk(b, i);
        sp |= s << (i - at);
        qt |= q << (i - at);
        i += 16;
    }
    (sp, qt)
}

/// The masks of the bytes `b[i..i + 16]`, without the bits past the end
/// of `b` (`i < b.len()`).
#[inline(always)]
fn chunk(b: &[u8], i: usize) -> (u64, u64) {
    if let Some(c) = b.get(i..i + 16).and_then(|c| <[u8; 16]>::try_from(c).ok()) {
        return masks16(c);
    }
    let n = b.len();
    if let Some(c) = n
        .checked_sub(16)
        .and_then(|s| b.get(s..))
        .and_then(|c| <[u8; 16]>::try_from(c).ok())
    {
        // The last sixteen bytes of the line, shifted down to `i`.
        let (s, q) = masks16(c);
        let shift = i + 16 - n;
        return (s >> shift, q >> shift);
    }
    // A line shorter than sixteen bytes.
    let mut pad = [0u8; 16];
    for (p, &x) in pad.iter_mut().zip(b.get(i..).unwrap_or_default()) {
        *p = x;
    }
    masks16(pad)
}

impl<'a, 'm> Scan<'a, 'm> {
    /// Classify the first 512 bytes of `b` into `m`: their quote masks,
    /// and the space masks of the first [`SP_FIRST`] blocks (the others
    /// when a search reaches them).
    #[inline(always)]
    pub(crate) fn new(b: &'a [u8], m: &'m mut Masks) -> Scan<'a, 'm> {
        let blocks = b.len().div_ceil(64).min(NEAR);
        let sp_done = blocks.min(SP_FIRST);
        for k in 0..sp_done {
            let (sp, qt) = block(b, 64 * k);
            m.sp[k] = sp;
            m.qt[k] = qt;
        }
        for k in sp_done..blocks {
            m.qt[k] = block1::<true>(b, 64 * k);
        }
        Scan {
            b,
            m,
            sp_done,
            far: (usize::MAX, 0, 0),
        }
    }

    /// Fill the space masks of the near blocks up to `k` (`k < NEAR`).
    #[cold]
    #[inline(never)]
    fn spaces_to(&mut self, k: usize) {
        while self.sp_done <= k {
            if let Some(m) = self.m.sp.get_mut(self.sp_done) {
                *m = block1::<false>(self.b, 64 * self.sp_done);
            }
            self.sp_done += 1;
        }
    }

    /// The masks of block `k` (past the near ones).
    #[cold]
    #[inline(never)]
    fn far_block(&mut self, k: usize) -> (u64, u64) {
        if self.far.0 != k {
            let (sp, qt) = block(self.b, k * 64);
            self.far = (k, sp, qt);
        }
        (self.far.1, self.far.2)
    }

    #[inline(always)]
    fn mask<const QT: bool>(&mut self, k: usize) -> u64 {
        if k < NEAR {
            if QT {
                return self.m.qt[k];
            }
            if k >= self.sp_done {
                self.spaces_to(k);
            }
            return self.m.sp[k];
        }
        let (sp, qt) = self.far_block(k);
        if QT {
            qt
        } else {
            sp
        }
    }

    /// The first separator of the chosen mask at or after `from`.
    #[inline(always)]
    fn next<const QT: bool>(&mut self, from: usize) -> Option<usize> {
        if from >= self.b.len() {
            return None;
        }
        let mut k = from / 64;
        let mut m = self.mask::<QT>(k) & (u64::MAX << (from % 64));
        while m == 0 {
            k += 1;
            if k * 64 >= self.b.len() {
                return None;
            }
            m = self.mask::<QT>(k);
        }
        Some(k * 64 + m.trailing_zeros() as usize)
    }

    /// The first space at or after `from`.
    #[inline(always)]
    pub(crate) fn space(&mut self, from: usize) -> Option<usize> {
        self.next::<false>(from)
    }

    /// The first double quote at or after `from`.
    #[inline(always)]
    pub(crate) fn quote(&mut self, from: usize) -> Option<usize> {
        self.next::<true>(from)
    }
}

/// The first `needle` in `b[from..to]`, sixteen bytes at a time (short
/// texts: the request target), reading past `to` within `b` when it can.
#[inline(always)]
pub(crate) fn find_byte(b: &[u8], from: usize, to: usize, needle: u8) -> Option<usize> {
    let n = u8x16::splat(needle);
    let mut i = from;
    while i < to {
        let m = match b.get(i..i + 16).and_then(|c| <[u8; 16]>::try_from(c).ok()) {
            Some(c) => u64::from(u8x16::from(c).cmp_eq(n).move_mask() as u16),
            None => {
                return b
                    .get(i..to)?
                    .iter()
                    .position(|&c| c == needle)
                    .map(|j| i + j)
            }
        };
        if m != 0 {
            let at = i + m.trailing_zeros() as usize;
            return (at < to).then_some(at);
        }
        i += 16;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bytes rich in separators and their neighbours.
    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop::sample::select(b" \"\\a?-]\x00\xff\x22\x5c\xa0\xdc\x20".to_vec()),
            0..700,
        )
    }

    proptest! {
        /// Every search, in any order (forward, back, far), answers as a
        /// byte-by-byte search.
        #[test]
        fn masks_answer_as_a_byte_search(b in bytes(), froms in prop::collection::vec(0usize..720, 1..40)) {
            // Masks left by a longer line of separators: stale, never read.
            let mut m = Masks::default();
            let _ = Scan::new(&[b' '; 600], &mut m).space(0);
            let _ = Scan::new(&[b'"'; 600], &mut m).space(0);
            let mut s = Scan::new(&b, &mut m);
            for from in froms {
                let tail = b.get(from..).unwrap_or(&[]);
                let sp = tail.iter().position(|&c| c == b' ').map(|i| i + from);
                let qt = tail.iter().position(|&c| c == b'"').map(|i| i + from);
                prop_assert_eq!(s.space(from), sp, "space from {}", from);
                prop_assert_eq!(s.quote(from), qt, "quote from {}", from);
            }
        }

        #[test]
        fn find_byte_as_position(b in bytes(), x in 0usize..720, y in 0usize..720,
                needle in prop::sample::select(b"?a \x00\xff".to_vec())) {
            let (from, to) = (x.min(y).min(b.len()), x.max(y).min(b.len()));
            let want = b[from..to].iter().position(|&c| c == needle).map(|i| i + from);
            prop_assert_eq!(find_byte(&b, from, to, needle), want);
        }
    }

    #[test]
    fn long_lines_far_blocks() {
        // Separators past the near blocks (512 bytes), walked both ways.
        let mut b = vec![b'a'; 2000];
        for i in [0, 63, 64, 511, 512, 1023, 1999] {
            b[i] = b' ';
        }
        b[1500] = b'"';
        let mut m = Masks::default();
        let mut s = Scan::new(&b, &mut m);
        assert_eq!(s.space(1024), Some(1999));
        assert_eq!(s.space(1), Some(63));
        assert_eq!(s.space(513), Some(1023));
        assert_eq!(s.quote(0), Some(1500));
        assert_eq!(s.space(2000), None);
        assert_eq!(s.quote(1501), None);
        // Every length around the chunk and block sizes.
        for n in 0..200 {
            let b: Vec<u8> = (0..n)
                .map(|i| if i % 7 == 3 { b' ' } else { b'"' })
                .collect();
            let mut s = Scan::new(&b, &mut m);
            for from in 0..=n {
                let want = b[from..].iter().position(|&c| c == b' ').map(|i| i + from);
                assert_eq!(s.space(from), want, "{n} {from}");
            }
        }
    }
}
