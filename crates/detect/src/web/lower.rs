//! Lower-casing a request path eight bytes at a time, its words chained into
//! [`hash_bytes`](super::fxhash::hash_bytes)'s state as they are written: a
//! path with nothing to decode (no `%`, the common shape) is read once for
//! its decoded copy and its hash.

use super::fxhash::chain_word;

/// Eight bytes of 0x01.
const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of each of eight bytes.
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether one of the eight bytes of `x` is `b`.
#[inline]
pub(crate) fn has_byte(x: u64, b: u8) -> bool {
    let y = x ^ (ONES * u64::from(b));
    // A byte of `y` is zero exactly where `x` holds `b`; the classic test
    // is exact for "some byte is zero".
    y.wrapping_sub(ONES) & !y & HIGH != 0
}

/// The eight bytes of `x` ASCII-lower-cased (`A`–`Z` to `a`–`z`, every
/// other byte as it is), as `u8::to_ascii_lowercase` on each.
#[inline]
pub(crate) fn lower8(x: u64) -> u64 {
    let low7 = x & !HIGH;
    // High bit set where the byte's low seven bits are >= `A`, and where
    // they are > `Z` (no carry crosses a byte: at most 0x7f + 0x3f).
    let ge_a = low7 + ONES * u64::from(0x80 - b'A');
    let gt_z = low7 + ONES * u64::from(0x80 - b'Z' - 1);
    // Upper-case ASCII: in range and the byte's own high bit clear.
    let upper = ge_a & !gt_z & !x & HIGH;
    x | (upper >> 2)
}

/// Append `path` lower-cased to `out`, chaining each of its whole
/// eight-byte words (lower-cased) into the hash chain from state 0 as it is
/// written: `Some((state, tail))`, the state after the whole words and the
/// last `path.len() % 8` bytes (lower-cased) as one zero-padded
/// little-endian word, what [`hash_tail`](super::fxhash::hash_tail)
/// finishes; `None` when the path holds a `%` (it needs decoding; `out`
/// then holds part of it, to be cleared). The path is copied once and
/// lower-cased in place; its last bytes are read and written as the
/// overlapping last word (lower-casing twice changes nothing).
#[inline]
pub(crate) fn lower_hashed(path: &[u8], out: &mut Vec<u8>) -> Option<(u64, u64)> {
    let start = out.len();
    out.extend_from_slice(path);
    let buf = &mut out[start..];
    let n = buf.len();
    if n < 8 {
        let mut tail = 0;
        for (i, b) in buf.iter_mut().enumerate() {
            if *b == b'%' {
                return None;
            }
            b.make_ascii_lowercase();
            tail |= u64::from(*b) << (8 * i);
        }
        return Some((0, tail));
    }
    let mut h = 0;
    for c in buf.chunks_exact_mut(8) {
        let l = lower_word(c)?;
        h = chain_word(h, l);
    }
    let r = n % 8;
    if r == 0 {
        return Some((h, 0));
    }
    let l = lower_word(&mut buf[n - 8..])?;
    Some((h, l >> (8 * (8 - r))))
}

/// Lower-case eight bytes in place and give them as a little-endian word;
/// `None` (unchanged) when one is `%`.
#[inline]
fn lower_word(c: &mut [u8]) -> Option<u64> {
    let mut a = [0u8; 8];
    a.copy_from_slice(c);
    let x = u64::from_le_bytes(a);
    if has_byte(x, b'%') {
        return None;
    }
    let l = lower8(x);
    c.copy_from_slice(&l.to_le_bytes());
    Some(l)
}

/// High bit of each byte of `x` that is zero, exactly (no borrow from a
/// lower byte marks a higher one, unlike [`has_byte`]'s test).
#[inline]
fn zero_bytes(x: u64) -> u64 {
    let low = !HIGH;
    !(((x & low).wrapping_add(low)) | x | low)
}

/// Where the last segment of `path` starts (after its last `/`, 0 without
/// one) and where that segment's extension starts (after its last `.`;
/// `None` when the segment has no dot): `memrchr` of `/`, then of `.` in
/// the segment, read eight bytes at a time from the end instead (paths are
/// short: two calls of `memrchr` cost more than the few words read).
#[inline]
pub(crate) fn name_and_ext(path: &[u8]) -> (usize, Option<usize>) {
    let mut dot: Option<usize> = None;
    let mut end = path.len();
    while end >= 8 {
        let base = end - 8;
        let mut a = [0u8; 8];
        a.copy_from_slice(&path[base..end]);
        let x = u64::from_le_bytes(a);
        let slash = zero_bytes(x ^ (ONES * u64::from(b'/')));
        let mut dots = zero_bytes(x ^ (ONES * u64::from(b'.')));
        if slash != 0 {
            let s = (63 - slash.leading_zeros() as usize) / 8;
            // Only dots after the slash are in the last segment.
            dots &= (!0u64 << (8 * s)) << 8;
            if dot.is_none() && dots != 0 {
                dot = Some(base + (63 - dots.leading_zeros() as usize) / 8);
            }
            return (base + s + 1, dot.map(|d| d + 1));
        }
        if dot.is_none() && dots != 0 {
            dot = Some(base + (63 - dots.leading_zeros() as usize) / 8);
        }
        end = base;
    }
    for i in (0..end).rev() {
        match path[i] {
            b'/' => return (i + 1, dot.map(|d| d + 1)),
            b'.' if dot.is_none() => dot = Some(i),
            _ => {}
        }
    }
    (0, dot.map(|d| d + 1))
}

#[cfg(test)]
mod tests {
    use super::super::fxhash::{hash_bytes, hash_resume, hash_tail};
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_byte_lowers_as_the_standard_library() {
        for b in 0..=255u8 {
            // Each byte in every position, beside bytes that could carry.
            for at in 0..8 {
                let mut a = [0xffu8; 8];
                a[at] = b;
                let want: Vec<u8> = a.iter().map(u8::to_ascii_lowercase).collect();
                assert_eq!(lower8(u64::from_le_bytes(a)).to_le_bytes().to_vec(), want);
                assert_eq!(has_byte(u64::from_le_bytes(a), b'%'), a.contains(&b'%'));
                let mut z = [0u8; 8];
                z[at] = b;
                assert_eq!(has_byte(u64::from_le_bytes(z), b'%'), b == b'%');
            }
        }
    }

    /// [`name_and_ext`] as it was defined: `memrchr` of `/`, then of `.`
    /// after it.
    fn name_and_ext_reference(path: &[u8]) -> (usize, Option<usize>) {
        let name_at = memchr::memrchr(b'/', path).map_or(0, |i| i + 1);
        let ext_at = memchr::memrchr(b'.', &path[name_at..]).map(|d| name_at + d + 1);
        (name_at, ext_at)
    }

    #[test]
    fn names_and_extensions_of_paths() {
        for (p, want) in [
            (&b""[..], (0, None)),
            (b"/", (1, None)),
            (b"a.b", (0, Some(2))),
            (b"/assets/css/main.b81e2.css", (12, Some(23))),
            (b"/opinion/2026/08/05/senate-race-tightens", (20, None)),
            (b"/a.b/c", (5, None)),
            (b"/a/b.tar.gz", (3, Some(9))),
            (b"/x/abcdefg.", (3, Some(11))),
            (b"/abcdefgh/", (10, None)),
            (b"/v1.2/api/.git/../wp-config.php.bak/", (36, None)),
            (b"/.........../.", (13, Some(14))),
        ] {
            assert_eq!(name_and_ext(p), want, "{}", p.escape_ascii());
            assert_eq!(name_and_ext_reference(p), want, "{}", p.escape_ascii());
        }
    }

    proptest! {
        /// Words of any bytes: lower-cased and searched as byte by byte.
        #[test]
        fn words_agree_with_bytes(a in proptest::array::uniform8(any::<u8>())) {
            let want: Vec<u8> = a.iter().map(u8::to_ascii_lowercase).collect();
            let x = u64::from_le_bytes(a);
            prop_assert_eq!(lower8(x).to_le_bytes().to_vec(), want);
            prop_assert_eq!(has_byte(x, b'%'), a.contains(&b'%'));
        }

        /// Paths of slashes, dots and other bytes, in every position of
        /// a word: the last segment and extension as `memrchr` finds them.
        #[test]
        fn names_and_extensions_agree_with_memrchr(
            path in proptest::collection::vec(
                prop_oneof![Just(b'/'), Just(b'.'), Just(b'a'), Just(0xaeu8), Just(0x2fu8 | 0x80), any::<u8>()],
                0..40),
        ) {
            prop_assert_eq!(name_and_ext(&path), name_and_ext_reference(&path));
        }

        /// A path without `%`: its lower-cased copy, and the chain that
        /// finishes into the copy's hash; with a `%`: refused.
        #[test]
        fn paths_lower_and_hash_as_the_plain_definitions(
            path in proptest::collection::vec(
                prop_oneof![b'A'..=b'Z', b'a'..=b'z', Just(b'%'), Just(b'/'), any::<u8>()],
                0..60),
        ) {
            let mut out = b"x".to_vec();
            let got = lower_hashed(&path, &mut out);
            if path.contains(&b'%') {
                prop_assert_eq!(got, None);
            } else {
                let want: Vec<u8> = path.iter().map(u8::to_ascii_lowercase).collect();
                prop_assert_eq!(&out[1..], &want[..]);
                let (h, tail) = got.expect("no %");
                let whole = path.len() & !7;
                prop_assert_eq!(hash_resume(h, &want[whole..], want.len()), hash_bytes(&want));
                prop_assert_eq!(hash_tail(h, tail, want.len()), hash_bytes(&want));
            }
        }
    }
}
