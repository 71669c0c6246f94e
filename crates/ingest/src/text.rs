//! Shared pieces of the parsers: the internal parser trait (with a scratch
//! buffer for values that must be decoded), field decoding, IP addresses and
//! HTTP request lines.

use haboob_model::{canonical_ip, parse_ipv4, LineParser, Parsed, RecordError};
use std::net::IpAddr;

/// The parser trait the reader drives. `scratch` is a per-line buffer owned by
/// the reader: values that need decoding (IIS `+`, JSON escapes) are written
/// there. Without it (the public [`LineParser`] path) they stay as logged.
pub(crate) trait RecordParser: Send {
    fn parse_rec<'a>(
        &mut self,
        line: &'a str,
        scratch: Option<&'a mut String>,
    ) -> Result<Parsed<'a>, RecordError>;
}

impl RecordParser for Box<dyn RecordParser> {
    fn parse_rec<'a>(
        &mut self,
        line: &'a str,
        scratch: Option<&'a mut String>,
    ) -> Result<Parsed<'a>, RecordError> {
        (**self).parse_rec(line, scratch)
    }
}

/// Adapts a [`RecordParser`] to the public [`LineParser`] trait.
pub(crate) struct Public<P>(pub(crate) P);

impl<P: RecordParser> LineParser for Public<P> {
    fn parse<'a>(&mut self, line: &'a str) -> Result<Parsed<'a>, RecordError> {
        self.0.parse_rec(line, None)
    }
}

/// A field value as found in the line.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Text<'a> {
    /// Final as is.
    Raw(&'a str),
    /// `+` stands for a space (IIS W3C).
    Plus(&'a str),
    /// The inside of a JSON string literal, with escapes.
    Json(&'a str),
}

impl<'a> Text<'a> {
    fn raw(self) -> &'a str {
        match self {
            Text::Raw(s) | Text::Plus(s) | Text::Json(s) => s,
        }
    }
    fn needs_decoding(self) -> bool {
        match self {
            Text::Raw(_) => false,
            Text::Plus(s) => s.as_bytes().contains(&b'+'),
            Text::Json(s) => s.as_bytes().contains(&b'\\'),
        }
    }
}

/// Decode the given values, writing decoded ones into `scratch`.
pub(crate) fn resolve<'a, const N: usize>(
    texts: [Text<'a>; N],
    scratch: Option<&'a mut String>,
) -> [&'a str; N] {
    let Some(scratch) = scratch else {
        return texts.map(Text::raw);
    };
    scratch.clear();
    let mut ranges = [None; N];
    for (i, t) in texts.iter().enumerate() {
        if !t.needs_decoding() {
            continue;
        }
        let start = scratch.len();
        match *t {
            Text::Plus(s) => {
                for part in s.split('+') {
                    scratch.push_str(part);
                    scratch.push(' ');
                }
                scratch.pop();
            }
            Text::Json(s) => unescape_json(s, scratch),
            Text::Raw(_) => {}
        }
        ranges[i] = Some((start, scratch.len()));
    }
    let frozen: &'a String = scratch;
    let mut out = texts.map(Text::raw);
    for (o, r) in out.iter_mut().zip(ranges) {
        if let Some((a, b)) = r {
            *o = &frozen[a..b];
        }
    }
    out
}

/// Unescape the inside of a JSON string literal (already validated by
/// serde_json). Lone surrogates become U+FFFD.
fn unescape_json(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let b = rest.as_bytes();
        let Some(&e) = b.get(i + 1) else {
            return;
        };
        let mut next = i + 2;
        match e {
            b'n' => out.push('\n'),
            b't' => out.push('\t'),
            b'r' => out.push('\r'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'u' => {
                let hex = |at: usize| {
                    rest.get(at..at + 4)
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                };
                let hi = hex(i + 2).unwrap_or(0xfffd);
                next = i + 6;
                let c = if (0xd800..0xdc00).contains(&hi) && rest.get(next..next + 2) == Some("\\u")
                {
                    match hex(next + 2) {
                        Some(lo) if (0xdc00..0xe000).contains(&lo) => {
                            next += 6;
                            0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                        }
                        _ => 0xfffd,
                    }
                } else {
                    hi
                };
                out.push(char::from_u32(c).unwrap_or('\u{fffd}'));
            }
            other => out.push(char::from(other)),
        }
        rest = rest.get(next.min(rest.len())..).unwrap_or("");
    }
    out.push_str(rest);
}

/// Parse a client address: IPv4 fast path, IPv6, `[v6]`, optional `:port`
/// when `with_port` is set. IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is the IPv4
/// address ([`canonical_ip`]).
pub(crate) fn parse_ip(s: &str, with_port: bool) -> Option<IpAddr> {
    if let Some(v4) = parse_ipv4(s.as_bytes()) {
        return Some(IpAddr::V4(v4));
    }
    parse_ip_slow(s, with_port).map(canonical_ip)
}

fn parse_ip_slow(s: &str, with_port: bool) -> Option<IpAddr> {
    if let Some(inner) = s.strip_prefix('[') {
        let end = inner.find(']')?;
        let after = &inner[end + 1..];
        if !(after.is_empty() || (with_port && after.starts_with(':'))) {
            return None;
        }
        return inner[..end].parse().ok();
    }
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if with_port {
        let (host, port) = s.rsplit_once(':')?;
        if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !host.contains(':') {
            return parse_ipv4(host.as_bytes()).map(IpAddr::V4);
        }
    }
    None
}

/// Bytes of a word scanned eight at a time before a vector search.
const SHORT: usize = 16;

/// The first space in `b`. Most words are short (`-`, a status, an
/// address): eight bytes at a time as one number (the lowest byte equal to
/// a space is found exactly: a borrow only runs upwards) beats setting up
/// a vector search.
pub(crate) fn space_in(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i < SHORT {
        let Some(w) = b.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) else {
            break;
        };
        let x = u64::from_le_bytes(w) ^ (LO * u64::from(b' '));
        let m = x.wrapping_sub(LO) & !x & HI;
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr(b' ', b.get(i..)?).map(|j| i + j)
}

/// A parsed request line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Request<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    /// `HTTP/1.1` as logged; empty when the line has none.
    pub(crate) protocol: &'a str,
}

/// Split `METHOD target [HTTP/x]`. Anything else (TLS handshakes, binary
/// junk, `-`) is kept whole as the path with an empty method.
pub(crate) fn parse_request(r: &str) -> Request<'_> {
    let malformed = Request {
        method: "",
        path: if r == "-" { "" } else { r },
        query: "",
        protocol: "",
    };
    // Byte searches (memchr): `str::split_once(char)` is slower per line.
    let Some((method, rest)) = split_at_byte(r, space_in(r.as_bytes())) else {
        return malformed;
    };
    if !is_method(method) {
        return malformed;
    }
    let (target, protocol) = match split_at_byte(rest, memchr::memrchr(b' ', rest.as_bytes())) {
        Some((t, proto)) if proto.starts_with("HTTP/") => (t, proto),
        Some(_) => return malformed,
        None => (rest, ""),
    };
    // One pass for a space (malformed) or the query's `?`; after a `?`,
    // only the query is left to search for a space.
    let t = target.as_bytes();
    if t.is_empty() {
        return malformed;
    }
    let (path, query) = match memchr::memchr2(b' ', b'?', t) {
        None => (target, ""),
        Some(i) if t[i] == b' ' => return malformed,
        Some(i) => {
            if memchr::memchr(b' ', &t[i + 1..]).is_some() {
                return malformed;
            }
            split_at_byte(target, Some(i)).unwrap_or((target, ""))
        }
    };
    Request {
        method,
        path,
        query,
        protocol,
    }
}

/// An HTTP method token: 1-32 letters, digits, `-` or `_`.
fn is_method(m: &str) -> bool {
    !m.is_empty()
        && m.len() <= 32
        && m.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Split a request target at the first `?`.
pub(crate) fn split_query(target: &str) -> (&str, &str) {
    split_at_byte(target, memchr::memchr(b'?', target.as_bytes())).unwrap_or((target, ""))
}

/// `s` split around the ASCII byte at `at` (the byte dropped).
#[inline]
fn split_at_byte(s: &str, at: Option<usize>) -> Option<(&str, &str)> {
    let i = at?;
    // An ASCII byte is a character of its own: both sides are text.
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// Parse an unsigned decimal (`-` or empty = 0).
pub(crate) fn parse_u64(s: &str) -> Option<u64> {
    if s == "-" || s.is_empty() {
        return Some(0);
    }
    if s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // At most 19 digits: below `u64::MAX`, no overflow.
    Some(s.bytes().fold(0, |v, b| v * 10 + u64::from(b - b'0')))
}

/// Parse an HTTP status (`-` = 0, otherwise 100..=999 or 0).
pub(crate) fn parse_status(s: &str) -> Option<u16> {
    let v = parse_u64(s)?;
    u16::try_from(v).ok().filter(|&v| v <= 999)
}

/// `-` stands for an absent value.
pub(crate) fn dash(s: &str) -> &str {
    if s == "-" {
        ""
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips() {
        assert_eq!(parse_ip("1.2.3.4", false), Some("1.2.3.4".parse().unwrap()));
        assert_eq!(parse_ip("1.2.3.4:80", false), None);
        assert_eq!(
            parse_ip("1.2.3.4:80", true),
            Some("1.2.3.4".parse().unwrap())
        );
        assert_eq!(
            parse_ip("2001:db8::1", true),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            parse_ip("[2001:db8::1]:443", true),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(parse_ip("256.1.1.1", false), None);
        assert_eq!(parse_ip("1.2.3", false), None);
        assert_eq!(parse_ip("1..2.3", false), None);
        assert_eq!(parse_ip("01.2.3.4444", false), None);
        assert_eq!(parse_ip("example.com", true), None);
        for mapped in ["::ffff:1.2.3.4", "[::ffff:1.2.3.4]", "::FFFF:1.2.3.4"] {
            assert_eq!(parse_ip(mapped, false), parse_ip("1.2.3.4", false));
        }
        assert_eq!(
            parse_ip("[::ffff:1.2.3.4]:80", true),
            Some("1.2.3.4".parse().unwrap())
        );
    }

    #[test]
    fn requests() {
        let r = parse_request("GET /a?b=c HTTP/1.1");
        assert_eq!((r.method, r.path, r.query), ("GET", "/a", "b=c"));
        let r = parse_request("GET /");
        assert_eq!((r.method, r.path), ("GET", "/"));
        let r = parse_request(r"\x16\x03\x01\x01 \x02");
        assert_eq!((r.method, r.path), ("", r"\x16\x03\x01\x01 \x02"));
        let r = parse_request("-");
        assert_eq!((r.method, r.path), ("", ""));
        let r = parse_request("HELP");
        assert_eq!((r.method, r.path), ("", "HELP"));
    }

    #[test]
    fn decoding() {
        let mut s = String::new();
        let [a, b, c] = resolve(
            [
                Text::Plus("Mozilla/5.0+(X11)"),
                Text::Json(r#"a\"b\\c\/d\u00e9\ud83d\ude00"#),
                Text::Raw("x+y"),
            ],
            Some(&mut s),
        );
        assert_eq!((a, b, c), ("Mozilla/5.0 (X11)", "a\"b\\c/dé😀", "x+y"));
        let [a] = resolve([Text::Plus("a+b")], None);
        assert_eq!(a, "a+b");
    }

    /// The request split as `str::split_once`/`rsplit_once` would split it.
    fn by_str(r: &str) -> (&str, &str, &str, &str) {
        let malformed = ("", if r == "-" { "" } else { r }, "", "");
        let Some((method, rest)) = r.split_once(' ') else {
            return malformed;
        };
        if !is_method(method) {
            return malformed;
        }
        let (target, protocol) = match rest.rsplit_once(' ') {
            Some((t, proto)) if proto.starts_with("HTTP/") => (t, proto),
            Some(_) => return malformed,
            None => (rest, ""),
        };
        if target.is_empty() || target.contains(' ') {
            return malformed;
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        (method, path, query, protocol)
    }

    proptest::proptest! {
        #[test]
        fn byte_split_agrees_with_str_split(r in "[A-Za-z_ -]{0,20}( [/?a-zé %]{0,40})?( HTTP/1\\.[01]| x)?") {
            let q = parse_request(&r);
            proptest::prop_assert_eq!((q.method, q.path, q.query, q.protocol), by_str(&r));
        }
    }

    proptest::proptest! {
        /// The first space as `memchr` finds it, at any length and place.
        #[test]
        fn space_in_as_memchr(b in proptest::collection::vec(
            proptest::sample::select(vec![b' ', b'a', b'-', 0x20 ^ 0x80, 0x1f, 0x21, 0x00, 0xff]), 0..40)) {
            proptest::prop_assert_eq!(space_in(&b), memchr::memchr(b' ', &b));
        }
    }

    proptest::proptest! {
        /// Decimal fields read as `str::parse` reads them, up to 19 digits.
        #[test]
        fn decimals_as_str_parse(s in "[0-9]{0,21}|-|[0-9+ x-]{0,4}") {
            let want = if s == "-" || s.is_empty() {
                Some(0)
            } else if s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                s.parse::<u64>().ok()
            };
            proptest::prop_assert_eq!(parse_u64(&s), want);
        }
    }

    #[test]
    fn the_largest_decimals() {
        assert_eq!(
            parse_u64("9999999999999999999"),
            Some(9_999_999_999_999_999_999)
        );
        assert_eq!(parse_u64("18446744073709551615"), None);
        assert_eq!(parse_status("999"), Some(999));
        assert_eq!(parse_status("1000"), None);
    }
}
