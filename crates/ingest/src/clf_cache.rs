//! What an NCSA log repeats from line to line, remembered by its parser:
//! the minute and zone of the timestamp (`10/Oct/2000:13:55:36 -0700`),
//! and the last client address that is not a plain IPv4 one. Each cache
//! answers exactly what parsing the text whole answers.

use crate::text::parse_ip;
use haboob_model::{canonical_ip, Ts, TsError};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use wide::u8x16;

/// The caches of one parser.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Seen {
    pub(crate) ts: TsCache,
    pub(crate) ip: IpCache,
}

/// Longest address text remembered (an IPv6 address with brackets is at
/// most 47 bytes).
const IP_TEXT: usize = 48;

/// The last client addresses parsed, by their text: a client sends
/// several requests in a row. The last plain IPv4 address is kept as its
/// text's length and two words (compared in three steps, where parsing
/// takes a step per byte); the last other one (IPv6, IPv4-mapped) as its
/// text, as the IPv6 parser is slow.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IpCache {
    /// [`v4_key`] of the last plain IPv4 text (length 0: none) and its
    /// address.
    v4_key: (usize, u64, u64),
    v4: Ipv4Addr,
    text: [u8; IP_TEXT],
    /// Length of `text` (0: nothing remembered) and its address.
    len: usize,
    ip: IpAddr,
}

impl Default for IpCache {
    fn default() -> IpCache {
        IpCache {
            v4_key: (0, 0, 0),
            v4: Ipv4Addr::UNSPECIFIED,
            text: [0; IP_TEXT],
            len: 0,
            ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        }
    }
}

/// A text of the length of a dotted IPv4 address (7 to 15 bytes) as its
/// length and its first and last eight bytes (four for seven bytes): two
/// texts of one length with the same words are the same text.
#[inline(always)]
fn v4_key(b: &[u8]) -> Option<(usize, u64, u64)> {
    let n = b.len();
    if n >= 8 {
        if n > 15 {
            return None;
        }
        let lo = <[u8; 8]>::try_from(&b[..8]).ok()?;
        let hi = <[u8; 8]>::try_from(&b[n - 8..]).ok()?;
        return Some((n, u64::from_le_bytes(lo), u64::from_le_bytes(hi)));
    }
    if n < 7 {
        return None;
    }
    let lo = <[u8; 4]>::try_from(&b[..4]).ok()?;
    let hi = <[u8; 4]>::try_from(&b[n - 4..]).ok()?;
    Some((
        n,
        u64::from(u32::from_le_bytes(lo)),
        u64::from(u32::from_le_bytes(hi)),
    ))
}

/// `haboob_model::parse_ipv4` of the text whose [`v4_key`] is `k`, from the key's
/// words without a branch per byte (the lengths of the numbers vary from
/// address to address, and a branch per byte is mispredicted at each):
/// the dots and digits of all sixteen bytes are found at once (SIMD
/// compares; the same tests in 128-bit word arithmetic, and the numbers
/// shifted out of a 128-bit word, cost some 70 more instructions per
/// address), and each number is read as three digits with its missing
/// leading ones weighted zero ([`number`]).
/// `dotted_as_parse_ipv4` holds it to `haboob_model::parse_ipv4`.
#[inline(always)]
fn dotted((n, lo, hi): (usize, u64, u64)) -> Option<Ipv4Addr> {
    // The text's bytes, in order from the lowest; zeros past its end (the
    // two words overlap by the same bytes).
    let w = u128::from(lo) | u128::from(hi) << (8 * (n - if n >= 8 { 8 } else { 4 }));
    let b = w.to_le_bytes();
    let v = u8x16::from(b);
    // Each byte's value as a digit: 9 or less for a digit only (wrapping).
    let d = v - u8x16::splat(b'0');
    let dots = u32::from(v.cmp_eq(u8x16::splat(b'.')).move_mask() as u16);
    let digits = u32::from(d.cmp_eq(d.min(u8x16::splat(9))).move_mask() as u16);
    // Every byte of the text a digit or a dot (the zeros past its end are
    // neither), and three dots.
    if dots | digits != (1 << n) - 1 || dots.count_ones() != 3 {
        return None;
    }
    // The second and third dots (three bits set: no underflow).
    let d1 = dots & (dots - 1);
    let d2 = d1 & (d1 - 1);
    let at = |m: u32| m.trailing_zeros() as usize;
    let (p1, p2, p3) = (at(dots), at(d1), at(d2));
    Some(Ipv4Addr::new(
        number(&b, 0, p1)?,
        number(&b, p1 + 1, p2)?,
        number(&b, p2 + 1, p3)?,
        number(&b, p3 + 1, n)?,
    ))
}

/// The value of the digits `b[s..e]` (digits: checked by the caller), one
/// to three of them, when it is at most 255: the three bytes up to `e`
/// read, those before `s` weighted zero (read wrapped into `b`, whatever
/// they are).
#[inline(always)]
fn number(b: &[u8; 16], s: usize, e: usize) -> Option<u8> {
    let len = e.wrapping_sub(s);
    if !(1..=3).contains(&len) {
        return None;
    }
    let digit = |i: usize| u32::from(b[i & 15].wrapping_sub(b'0'));
    let v = digit(e - 1)
        + 10 * u32::from(len >= 2) * digit(e.wrapping_sub(2))
        + 100 * u32::from(len >= 3) * digit(e.wrapping_sub(3));
    u8::try_from(v).ok()
}

impl IpCache {
    /// [`parse_ip`]`(s, false)`.
    #[inline]
    pub(crate) fn parse(&mut self, s: &str) -> Option<IpAddr> {
        let b = s.as_bytes();
        // A dotted IPv4 address has 7 to 15 bytes: any other text takes
        // the other path (where `parse_ipv4` fails as well).
        if let Some(k) = v4_key(b) {
            if k == self.v4_key {
                return Some(IpAddr::V4(self.v4));
            }
            if let Some(v4) = dotted(k) {
                self.v4_key = k;
                self.v4 = v4;
                return Some(IpAddr::V4(v4));
            }
        }
        self.parse_other(s)
    }

    /// [`parse_ip`]`(s, false)` of a text that is no dotted IPv4 address.
    #[inline(never)]
    fn parse_other(&mut self, s: &str) -> Option<IpAddr> {
        let b = s.as_bytes();
        if self.len != 0 && self.text.get(..self.len) == Some(b) {
            return Some(self.ip);
        }
        let ip = match hex_v6(b) {
            Some(v6) => canonical_ip(IpAddr::V6(v6)),
            None => parse_ip(s, false)?,
        };
        if let Some(t) = self.text.get_mut(..b.len()).filter(|_| !b.is_empty()) {
            t.copy_from_slice(b);
            self.len = b.len();
            self.ip = ip;
        }
        Some(ip)
    }
}

/// The value of a hexadecimal digit, or 16 and more for any other byte
/// (a table: one load instead of three range tests per byte).
#[inline(always)]
fn hex(c: u8) -> u16 {
    u16::from(HEX[usize::from(c)])
}

/// [`hex`] of every byte.
static HEX: [u8; 256] = {
    let mut t = [16u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => 16,
        };
        c += 1;
    }
    t
};

/// An IPv6 address written as hexadecimal groups only (`2001:db8::7`,
/// eight groups or fewer around one `::`), in one pass; `None` for any
/// other text (an embedded IPv4 address, a zone, brackets, anything
/// invalid), which the caller then hands to [`parse_ip`]. What it accepts
/// it reads as the standard parser does (the test
/// `hex_v6_reads_as_the_standard_parser` holds it to that).
fn hex_v6(b: &[u8]) -> Option<Ipv6Addr> {
    if !(2..=39).contains(&b.len()) {
        return None;
    }
    if let Some(ip) = eight_groups(b) {
        return Some(ip);
    }
    // Groups before the `::` go to the front, those after it to the back.
    let mut head = [0u16; 8];
    let mut tail = [0u16; 8];
    let (mut nh, mut nt) = (0usize, 0usize);
    let mut gap = false;
    let mut i = 0;
    if b.starts_with(b"::") {
        gap = true;
        i = 2;
    }
    while i < b.len() {
        let (mut v, mut digits) = (0u16, 0);
        while let Some(x) = b.get(i).map(|&c| hex(c)).filter(|&x| x < 16) {
            if digits == 4 {
                return None;
            }
            v = v << 4 | x;
            digits += 1;
            i += 1;
        }
        if digits == 0 {
            return None;
        }
        let group = if gap {
            nt += 1;
            tail.get_mut(nt - 1)?
        } else {
            nh += 1;
            head.get_mut(nh - 1)?
        };
        *group = v;
        match b.get(i) {
            None => break,
            Some(b':') => i += 1,
            Some(_) => return None,
        }
        if b.get(i) == Some(&b':') {
            if gap {
                return None;
            }
            gap = true;
            i += 1;
        } else if i == b.len() {
            // A single `:` at the end.
            return None;
        }
    }
    // `::` stands for at least one group.
    if (gap && nh + nt > 7) || (!gap && nh != 8) {
        return None;
    }
    let mut g = [0u16; 8];
    g[..nh].copy_from_slice(&head[..nh]);
    g[8 - nt..].copy_from_slice(&tail[..nt]);
    Some(Ipv6Addr::from(g))
}

/// [`hex_v6`] of an address of eight groups and no `::` (a client address
/// as most servers write it), without a branch per byte: its colons and
/// digits found by SIMD compares in overlapping sixteen-byte windows, each
/// group read from the four bytes up to its end as one word ([`group`]).
/// The loop of `hex_v6` took some 750 instructions for 39 bytes. `None`
/// for any other text (fewer than 16 bytes, a `::`, anything invalid),
/// which that loop then reads.
#[inline]
fn eight_groups(b: &[u8]) -> Option<Ipv6Addr> {
    let n = b.len();
    if !(16..=39).contains(&n) {
        return None;
    }
    // The colons and hexadecimal digits of `b[at..at + 16]`, as bits of
    // the bytes' places.
    let masks = |at: usize| -> (u64, u64) {
        let w = b
            .get(at..at + 16)
            .and_then(|w| <[u8; 16]>::try_from(w).ok())
            .unwrap_or([0; 16]);
        let v = u8x16::from(w);
        let colon = v.cmp_eq(u8x16::splat(b':')).move_mask() as u16;
        // `0`-`9` to 0-9, and `a`-`f` or `A`-`F` to 0-5 (wrapping).
        let d = v - u8x16::splat(b'0');
        let l = (v | u8x16::splat(0x20)) - u8x16::splat(b'a');
        let hex = d.cmp_eq(d.min(u8x16::splat(9))) | l.cmp_eq(l.min(u8x16::splat(5)));
        (
            u64::from(colon) << at,
            u64::from(hex.move_mask() as u16) << at,
        )
    };
    // Three windows cover 32 to 39 bytes, two 16 to 31.
    let (c0, h0) = masks(0);
    let (c1, h1) = if n >= 32 { masks(16) } else { (0, 0) };
    let (c2, h2) = masks(n - 16);
    let (colon, hex) = (c0 | c1 | c2, h0 | h1 | h2);
    // Every byte a colon or a digit; seven colons, none first or last,
    // none next to another.
    if colon | hex != (1 << n) - 1
        || colon.count_ones() != 7
        || colon & (colon >> 1 | 1 | 1 << (n - 1)) != 0
    {
        return None;
    }
    let mut g = [0u16; 8];
    let (mut rest, mut start) = (colon, 0usize);
    for (i, slot) in g.iter_mut().enumerate() {
        let end = if i < 7 {
            rest.trailing_zeros() as usize
        } else {
            n
        };
        rest &= rest.wrapping_sub(1);
        *slot = group(b, start, end)?;
        start = end + 1;
    }
    Some(Ipv6Addr::from(g))
}

/// The value of the hexadecimal digits `b[s..e]` (digits: checked by the
/// caller), one to four of them, with `b` at least four bytes long: the
/// four bytes up to `e` read as one word (from the start of `b` for a
/// first group shorter, moved up so that the group's last digit is the
/// top byte), those before `s` masked off.
#[inline(always)]
fn group(b: &[u8], s: usize, e: usize) -> Option<u16> {
    let len = e.wrapping_sub(s);
    if !(1..=4).contains(&len) {
        return None;
    }
    let from = e.saturating_sub(4);
    let w = b
        .get(from..from + 4)
        .and_then(|w| <[u8; 4]>::try_from(w).ok())?;
    let w = u32::from_le_bytes(w) << (8 * (4 - (e - from)));
    // Each byte's digit: its low four bits, and 9 more for a letter (the
    // only digits with bit 6 set).
    let v = (w & 0x0f0f_0f0f) + 9 * ((w >> 6) & 0x0101_0101);
    let v = v & (u32::MAX << (8 * (4 - len)));
    // Bytes 0 and 1, 2 and 3 paired, then the pairs (byte 0, the first
    // digit, the highest).
    let t = (v & 0x00ff_00ff) << 4 | (v >> 8 & 0x00ff_00ff);
    u16::try_from((t & 0xffff) << 8 | t >> 16).ok()
}

/// The last timestamp parsed by its minute and zone: a log repeats them
/// from line to line, so the next line with the same text up to its
/// seconds (`10/Oct/2000:13:55:`) and the same zone (` -0700`) needs only
/// its two second digits read. Any other text is parsed whole by
/// [`Ts::parse_clf`], so the results (and errors) are exactly its.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TsCache {
    /// The last text parsed whole, when `base` is set (its seconds, bytes
    /// 18..20, are not compared).
    key: [u8; 26],
    /// Its time with the seconds at 0, in milliseconds.
    base: Option<i64>,
}

impl TsCache {
    /// [`Ts::parse_clf`] of `s` when `s` is the text last parsed whole by
    /// [`TsCache::parse`] up to its seconds, else `None` (the caller then
    /// parses it): 26 bytes, the same minute and zone, two second digits.
    #[inline(always)]
    pub(crate) fn hit(&self, b: &[u8]) -> Option<Ts> {
        let (Some(base), 26) = (self.base, b.len()) else {
            return None;
        };
        // Bytes 0..16, 16..18 and 18..26 without the seconds, as words.
        let word = |x: &[u8], at: usize| {
            let w = <[u8; 8]>::try_from(x.get(at..at + 8).unwrap_or(&[0; 8])).unwrap_or([0; 8]);
            u64::from_le_bytes(w)
        };
        let k = &self.key;
        if word(b, 0) != word(k, 0)
            || word(b, 8) != word(k, 8)
            || (word(b, 16) ^ word(k, 16)) & 0xffff != 0
            || (word(b, 18) ^ word(k, 18)) & !0xffff != 0
        {
            return None;
        }
        let (t, u) = (b[18].wrapping_sub(b'0'), b[19].wrapping_sub(b'0'));
        // `parse_clf` takes seconds 00..=60 (a leap second).
        (t <= 9 && u <= 9 && t * 10 + u <= 60).then(|| Ts(base + i64::from(t * 10 + u) * 1000))
    }

    /// [`Ts::parse_clf`] of `s`.
    pub(crate) fn parse(&mut self, s: &str) -> Result<Ts, TsError> {
        let b = s.as_bytes();
        if let Some(ts) = self.hit(b) {
            return Ok(ts);
        }
        let ts = Ts::parse_clf(s)?;
        // Parsed: 26 bytes, bytes 18..20 the seconds' digits; the time is
        // linear in the seconds.
        let sec = i64::from(b[18] - b'0') * 10 + i64::from(b[19] - b'0');
        self.key.copy_from_slice(&b[..26]);
        self.base = Some(ts.0 - sec * 1000);
        Ok(ts)
    }
}

#[cfg(test)]
#[path = "clf_cache_tests.rs"]
mod tests;
