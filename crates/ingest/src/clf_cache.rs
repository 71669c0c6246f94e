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
mod tests {
    use super::*;
    use haboob_model::parse_ipv4;
    use proptest::prelude::*;

    /// Texts near valid timestamps: each byte of a valid one, or a
    /// neighbour that breaks a field (digits out of range, other months,
    /// signs, separators, lengths).
    fn near() -> impl Strategy<Value = String> {
        let base = prop::sample::select(vec![
            "10/Oct/2000:13:55:36 -0700",
            "29/Feb/2024:23:59:59 +1400",
            "31/Dec/1999:00:00:00 +0000",
            "01/Sep/2026:00:00:60 +0530",
        ]);
        let swaps = prop::collection::vec(
            (
                0usize..27,
                prop::sample::select(b"0123456789:/ +-FebOctx\xc3".to_vec()),
            ),
            0..3,
        );
        (base, swaps, 0usize..4).prop_map(|(b, swaps, cut)| {
            let mut v = b.as_bytes().to_vec();
            for (i, c) in swaps {
                match v.get_mut(i) {
                    Some(x) => *x = c,
                    None => v.push(c),
                }
            }
            if cut == 3 {
                v.pop();
            }
            String::from_utf8_lossy(&v).into_owned()
        })
    }

    proptest! {
        /// Any sequence of texts gives what `Ts::parse_clf` gives each.
        #[test]
        fn the_cache_answers_as_parse_clf(texts in prop::collection::vec(near(), 1..40)) {
            let mut c = TsCache::default();
            for t in &texts {
                prop_assert_eq!(c.parse(t), Ts::parse_clf(t), "{}", t);
            }
        }
    }

    #[test]
    fn addresses_as_parse_ip() {
        let mut c = IpCache::default();
        let long = format!("{}1", "1".repeat(60));
        for s in [
            "2001:db8::7",
            "2001:db8::7",
            "2001:db8::8",
            "::ffff:10.0.0.5",
            "::ffff:10.0.0.5",
            "10.0.0.5",
            "[2001:db8::7]",
            "2001:db8::7:",
            "2001:db8::7:",
            "",
            "host.example",
            "2001:db8::8",
            long.as_str(),
        ] {
            assert_eq!(c.parse(s), parse_ip(s, false), "{s}");
        }
    }

    proptest! {
        /// Any sequence of address texts gives what `parse_ip` gives each.
        #[test]
        fn the_address_cache_answers_as_parse_ip(texts in prop::collection::vec(
            prop::sample::select(vec!["2001:db8::7", "2001:db8::07", "::ffff:1.2.3.4", "1.2.3.4",
                "[::1]", "::1", "fe80::1%eth0", "2001:db8::7 ", "", "x", "2001:DB8::7",
                "1.2.3.5", "01.2.3.4", "1.2.3.45", "255.255.255.255", "256.1.1.1", "1.2.3.4.",
                "1.2.3", "12345678", "1234567", "11.22.33.4", "1.22.33.4", "0.0.0.0", "1.2.3.4:80",
                "255.255.255.2555", "1::2", "::1.2.3.4"]), 1..30)) {
            let mut c = IpCache::default();
            for t in &texts {
                prop_assert_eq!(c.parse(t), parse_ip(t, false), "{}", t);
            }
        }
    }

    /// Texts near dotted addresses: valid ones with leading zeros and
    /// numbers past 255, and strings over their alphabet.
    fn near_v4() -> impl Strategy<Value = String> {
        let valid = (any::<[u16; 4]>(), any::<[u8; 4]>()).prop_map(|(o, z)| {
            o.iter()
                .zip(z)
                .map(|(&x, z)| {
                    let x = if z & 0x80 != 0 { x % 1000 } else { x % 256 };
                    format!("{}{x}", "0".repeat(usize::from(z % 4)))
                })
                .collect::<Vec<_>>()
                .join(".")
        });
        let alphabet = prop::collection::vec(
            prop::sample::select(b"0123456789......:/ \x00\xfe9a-".to_vec()),
            0..18,
        )
        .prop_map(|v| String::from_utf8_lossy(&v).into_owned());
        prop_oneof![valid, alphabet]
    }

    proptest! {
        #[test]
        fn dotted_as_parse_ipv4(t in near_v4()) {
            let b = t.as_bytes();
            prop_assert_eq!(v4_key(b).and_then(dotted), parse_ipv4(b), "{}", t);
        }
    }

    #[test]
    fn dotted_at_the_limits() {
        for t in [
            "0.0.0.0",
            "1.2.3.4",
            "255.255.255.255",
            "256.1.1.1",
            "1.1.1.256",
            "001.002.003.004",
            "1.2.3.4.",
            ".1.2.3",
            "1..2.3",
            "1.2.3",
            "1.2.3.4.5",
            "1234.1.1.1",
            "1.1.1.1234",
            "12.34.56.78",
            "99.99.99.99",
            "9.9.9.999",
            "10.0.0.5 ",
            "1.2.3.a",
            "1.2.3.:",
            "1.2.3./",
            "000.000.000.000",
            "9.99.199.255",
            "1.2.3.04",
            "255.255.255.25a",
            "1.2.3.4\0",
        ] {
            let b = t.as_bytes();
            assert_eq!(v4_key(b).and_then(dotted), parse_ipv4(b), "{t}");
        }
    }

    /// Texts near IPv6 addresses: valid ones written in random case with
    /// leading zeros, and strings over their alphabet.
    fn near_v6() -> impl Strategy<Value = String> {
        let valid =
            (any::<[u16; 8]>(), 0usize..9, 0usize..9, any::<u8>()).prop_map(|(g, a, n, style)| {
                let mut g = g;
                // Runs of zero groups, for `::` to stand for.
                for x in g.iter_mut().skip(a).take(n) {
                    *x = 0;
                }
                let ip = Ipv6Addr::from(g);
                let mut t = if style & 1 == 0 {
                    ip.to_string()
                } else {
                    g.iter()
                        .map(|x| format!("{x:04x}"))
                        .collect::<Vec<_>>()
                        .join(":")
                };
                if style & 2 != 0 {
                    t = t.to_uppercase();
                }
                t
            });
        let alphabet = prop::collection::vec(
            prop::sample::select(b"0123456789abcdefABCDEFg:::::.%[]".to_vec()),
            0..42,
        )
        .prop_map(|v| String::from_utf8(v).unwrap_or_default());
        prop_oneof![valid, alphabet]
    }

    proptest! {
        #[test]
        fn hex_v6_reads_as_the_standard_parser(t in near_v6()) {
            if let Some(ip) = hex_v6(t.as_bytes()) {
                prop_assert_eq!(Some(ip), t.parse::<Ipv6Addr>().ok(), "{}", t);
            }
            prop_assert_eq!(IpCache::default().parse(&t), parse_ip(&t, false), "{}", t);
        }
    }

    #[test]
    fn hex_table_as_the_digit_ranges() {
        for c in 0..=255u8 {
            let want = (c as char).to_digit(16).map_or(16, |d| d as u16);
            assert_eq!(hex(c), want, "{c}");
        }
    }

    #[test]
    fn hex_v6_takes_the_common_forms() {
        for t in [
            "2600:1700:6877:314f:80aa:6e8f:13ed:d7e6",
            "2001:db8::7",
            "::",
            "::1",
            "1::",
            "FE80::0001",
            "0:0:0:0:0:ffff:a00:5",
        ] {
            assert_eq!(hex_v6(t.as_bytes()), t.parse().ok(), "{t}");
            assert!(hex_v6(t.as_bytes()).is_some(), "{t}");
        }
        for t in [
            "::ffff:10.0.0.5",
            "fe80::1%eth0",
            "[::1]",
            "1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:8:9",
            "1::2:3:4:5:6:7:8",
            "1:::2",
            "1::2::3",
            ":1::2",
            "1::2:",
            "12345::",
            ":",
            "",
        ] {
            assert_eq!(hex_v6(t.as_bytes()), None, "{t}");
        }
    }

    #[test]
    fn same_minute_other_seconds_and_zones() {
        let mut c = TsCache::default();
        for (text, want) in [
            ("10/Oct/2000:13:55:36 -0700", Ok("2000-10-10T20:55:36.000Z")),
            ("10/Oct/2000:13:55:00 -0700", Ok("2000-10-10T20:55:00.000Z")),
            ("10/Oct/2000:13:55:59 -0700", Ok("2000-10-10T20:55:59.000Z")),
            ("10/Oct/2000:13:55:60 -0700", Ok("2000-10-10T20:56:00.000Z")),
            ("10/Oct/2000:13:55:61 -0700", Err(())),
            ("10/Oct/2000:13:55:5x -0700", Err(())),
            ("10/Oct/2000:13:55:36 +0000", Ok("2000-10-10T13:55:36.000Z")),
            ("10/Oct/2000:13:56:36 +0000", Ok("2000-10-10T13:56:36.000Z")),
            ("10/Oct/2000:13:56:36 +0000 ", Err(())),
        ] {
            let got = c.parse(text).map(|t| t.to_string()).map_err(|_| ());
            assert_eq!(got, want.map(str::to_owned), "{text}");
            assert_eq!(c.parse(text), Ts::parse_clf(text), "{text}");
        }
    }
}
