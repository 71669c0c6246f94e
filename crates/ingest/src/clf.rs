//! NCSA log formats: `common`, `combined` (Apache/nginx), Apache
//! `vhost_combined` and BunkerWeb's, parsed by hand-written byte scanning:
//! the separators of a line are found in one pass ([`Scan`]) and every
//! field (words, quoted fields, the parts of the request) is cut from the
//! same masks.

use crate::clf_cache::Seen;
use crate::clf_scan::{find_byte, Masks, Scan};
use crate::proxy::plausible;
use crate::text::{dash, parse_status, RecordParser, Request};
use haboob_model::{EventRef, Parsed, RecordError, Ts, WebEvent};

/// Which NCSA variant a [`Clf`] parser reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClfKind {
    /// `%h %l %u %t "%r" %>s %b`, trailing fields ignored.
    Common,
    /// Common plus `"%{Referer}i" "%{User-agent}i"`, trailing fields ignored.
    Combined,
    /// `%v:%p` or `%v` then combined.
    VhostCombined,
    /// BunkerWeb: `$host $remote_addr - $request_id $remote_user [...]`,
    /// then combined; the request id is optional (older releases log none).
    BunkerWeb,
}

/// An NCSA parser: the variant, which quoted field after the user agent
/// holds the forwarding header (0: none; see
/// [`crate::ProxyConfig::combined_field`]), and the last timestamp read
/// and client address ([`Seen`]): the only state, it
/// changes no result.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clf {
    kind: ClfKind,
    forwarded_field: u8,
    seen: Seen,
    /// The separator masks of the line being read.
    masks: Masks,
}

impl Clf {
    pub(crate) fn new(kind: ClfKind, forwarded_field: u8) -> Clf {
        Clf {
            kind,
            forwarded_field,
            seen: Seen::default(),
            masks: Masks::default(),
        }
    }
}

impl RecordParser for Clf {
    fn parse_rec<'a>(
        &mut self,
        line: &'a str,
        _scratch: Option<&'a mut String>,
    ) -> Result<Parsed<'a>, RecordError> {
        let line = strip_syslog(line);
        // The event is built in the returned value (no copy of it).
        parse_ncsa(
            line,
            self.kind,
            self.forwarded_field,
            &mut self.seen,
            &mut self.masks,
        )
    }
}

/// Strip an RFC 3164 syslog prefix (`Sep 15 16:13:46 host nginx[2869]: `),
/// as written when nginx or Apache log to syslog. Lines starting with a
/// digit, `[` or `:` (addresses) are returned unchanged without scanning.
fn strip_syslog(line: &str) -> &str {
    let b = line.as_bytes();
    if b.len() < 20 || !b[0].is_ascii_uppercase() || b[3] != b' ' {
        return line;
    }
    let stamp_ok = b[..3].iter().all(u8::is_ascii_alphabetic)
        && (b[4] == b' ' || b[4].is_ascii_digit())
        && b[5].is_ascii_digit()
        && b[6] == b' '
        && b[9] == b':'
        && b[12] == b':'
        && b[15] == b' ';
    if !stamp_ok {
        return line;
    }
    let rest = &line[16..];
    let Some((_host, rest)) = rest.split_once(' ') else {
        return line;
    };
    match rest.split_once(": ") {
        Some((tag, body)) if !tag.is_empty() && !tag.contains(' ') => body,
        _ => line,
    }
}

/// `s[a..b]`; every cut of this parser is at an ASCII separator or an end
/// of the line, so always a character boundary.
#[inline(always)]
fn cut(s: &str, a: usize, b: usize) -> &str {
    match s.split_at_checked(b) {
        Some((head, _)) => head.split_at_checked(a).map_or("", |(_, mid)| mid),
        None => "",
    }
}

/// A cursor over the line and its separator masks, borrowed: the masks are
/// lent to calls, and a cursor holding them was kept in memory with them
/// (its position stored at every step), where now it stays in registers.
struct Cur<'a, 's, 'm> {
    s: &'a str,
    scan: &'s mut Scan<'a, 'm>,
    pos: usize,
}

impl<'a> Cur<'a, '_, '_> {
    /// Up to the next space (or the end), consuming the space.
    #[inline(always)]
    fn word(&mut self) -> Option<&'a str> {
        let len = self.s.len();
        if self.pos >= len {
            return None;
        }
        let start = self.pos;
        let b = self.s.as_bytes();
        // A one-byte word (`-`, most idents and users): no search.
        if b.get(start + 1) == Some(&b' ') && b[start] != b' ' {
            self.pos = start + 2;
            return Some(cut(self.s, start, start + 1));
        }
        let end = self.scan.space(start).unwrap_or(len);
        self.pos = (end + 1).min(len);
        Some(cut(self.s, start, end))
    }

    /// The word at the cursor when it is `min` to `max` ASCII digits
    /// (`min` at least one): its value, consumed as [`Cur::word`] consumes
    /// it; else `None`, consuming nothing. What [`decimal`] and [`status`]
    /// read of such a word.
    #[inline(always)]
    fn digits(&mut self, min: usize, max: usize) -> Option<u64> {
        let b = self.s.as_bytes();
        let start = self.pos;
        // Fewer than eight digits then a byte (most status codes and byte
        // counts, followed by a space): read as one word.
        if let Some(w) = b
            .get(start..start + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
        {
            if let Some((n, v)) = leading_digits(u64::from_le_bytes(w)) {
                if n < min.max(1) || n > max || b[start + n] != b' ' {
                    return None;
                }
                self.pos = start + n + 1;
                return Some(v);
            }
        }
        let mut i = start;
        let mut v = 0u64;
        while let Some(d) = b.get(i).map(|c| c.wrapping_sub(b'0')).filter(|&d| d <= 9) {
            if i - start == max {
                return None;
            }
            v = v * 10 + u64::from(d);
            i += 1;
        }
        if i - start < min.max(1) {
            return None;
        }
        match b.get(i) {
            None => self.pos = i,
            Some(b' ') => self.pos = i + 1,
            Some(_) => return None,
        }
        Some(v)
    }

    /// [`Cur::digits`]`(3, 3)` (a status code): three digits then a space
    /// read at their known places, none of which waits for another; the
    /// end of the line (no byte after the digits) as `digits` reads it.
    #[inline(always)]
    fn three_digits(&mut self) -> Option<u16> {
        let start = self.pos;
        let Some(&[h, t, u, sp]) = self
            .s
            .as_bytes()
            .get(start..start + 4)
            .and_then(|w| <&[u8; 4]>::try_from(w).ok())
        else {
            return self.digits(3, 3).and_then(|v| u16::try_from(v).ok());
        };
        let (h, t, u) = (
            h.wrapping_sub(b'0'),
            t.wrapping_sub(b'0'),
            u.wrapping_sub(b'0'),
        );
        if sp != b' ' || h > 9 || t > 9 || u > 9 {
            return None;
        }
        self.pos = start + 4;
        Some(u16::from(h) * 100 + u16::from(t) * 10 + u16::from(u))
    }

    #[inline(always)]
    fn eat(&mut self, b: u8) -> bool {
        if self.s.as_bytes().get(self.pos) == Some(&b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// After an opening `"`: where the field starts and where its closing
    /// unescaped `"` is, consuming it and one following space. A backslash
    /// escapes the byte after it, so a `"` is escaped when the run of
    /// backslashes right before it (in the field) is of odd length: the
    /// quotes are searched for, and the rare one after a backslash looks
    /// back (`quoted_at_as_an_escape_walk` holds this to the walk of
    /// [`crate::clf_ref`]).
    #[inline(always)]
    fn quoted_at(&mut self) -> Option<(usize, usize)> {
        let bytes = self.s.as_bytes();
        let start = self.pos;
        let mut i = start;
        loop {
            let q = self.scan.quote(i)?;
            if q > start && bytes.get(q - 1) == Some(&b'\\') && escaped(bytes, start, q) {
                i = q + 1;
                continue;
            }
            self.pos = q + 1;
            self.eat(b' ');
            return Some((start, q));
        }
    }

    #[inline(always)]
    fn quoted(&mut self) -> Option<&'a str> {
        let (a, b) = self.quoted_at()?;
        Some(cut(self.s, a, b))
    }
}

/// Split the request `s[a..e]`: `METHOD target [HTTP/x]`, from the
/// space mask. Anything else (TLS handshakes, binary junk, `-`) is kept
/// whole as the path with an empty method. Out of the parser's body
/// (one call a line): the body keeps fewer of its values on the stack
/// (Ir -1.2 % for the reading thread on `web-volume`). It takes the line
/// and its masks, not the cursor, which is never lent (see [`Cur`]).
#[inline(never)]
fn request<'a>(s: &'a str, scan: &mut Scan<'a, '_>, a: usize, e: usize) -> Request<'a> {
    let malformed = || {
        let r = cut(s, a, e);
        Request {
            method: "",
            path: if r == "-" { "" } else { r },
            query: "",
            protocol: "",
        }
    };
    let b = s.as_bytes();
    // `GET ` (most requests) is a valid method and its space: no search.
    let word4 = |at: usize| {
        b.get(at..at + 4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map(u32::from_le_bytes)
    };
    // `GET` is a valid method: no byte of it is checked.
    let get = word4(a) == Some(u32::from_le_bytes(*b"GET ")) && a + 3 < e;
    let s1 = if get {
        a + 3
    } else {
        match scan.space(a) {
            Some(i) if i < e => i,
            _ => return malformed(),
        }
    };
    let method = cut(s, a, s1);
    if !get
        && (!(1..=32).contains(&method.len()) || !method.bytes().all(|b| METHOD[usize::from(b)]))
    {
        return malformed();
    }
    // One space: no protocol; two: the protocol after the second;
    // more: a space in the target (malformed, whatever the last word).
    let (t_end, protocol) = match scan.space(s1 + 1) {
        Some(s2) if s2 < e => {
            // `HTTP/1.1` or `HTTP/1.0` up to the end holds no space.
            let plain = e == s2 + 9
                && word4(s2 + 1) == Some(u32::from_le_bytes(*b"HTTP"))
                && matches!(word4(s2 + 5), Some(w) if w == u32::from_le_bytes(*b"/1.1")
                    || w == u32::from_le_bytes(*b"/1.0"));
            if !plain && matches!(scan.space(s2 + 1), Some(s3) if s3 < e) {
                return malformed();
            }
            let protocol = cut(s, s2 + 1, e);
            if !plain && !protocol.starts_with("HTTP/") {
                return malformed();
            }
            (s2, protocol)
        }
        _ => (e, ""),
    };
    let t = s1 + 1;
    if t_end == t {
        return malformed();
    }
    let (path, query) = match find_byte(s.as_bytes(), t, t_end, b'?') {
        Some(q) => (cut(s, t, q), cut(s, q + 1, t_end)),
        None => (cut(s, t, t_end), ""),
    };
    Request {
        method,
        path,
        query,
        protocol,
    }
}

/// Whether the byte at `q` is escaped: preceded, within `b[start..q]`, by
/// an odd run of backslashes.
#[cold]
#[inline(never)]
fn escaped(b: &[u8], start: usize, q: usize) -> bool {
    let run = b
        .get(start..q)
        .unwrap_or_default()
        .iter()
        .rev()
        .take_while(|&&c| c == b'\\')
        .count();
    run % 2 == 1
}

/// The number `n` of ASCII digits that eight bytes (little-endian) start
/// with and their value, when fewer than eight (`None` when all eight are
/// digits), in a few word operations instead of a step per byte.
#[inline(always)]
fn leading_digits(w: u64) -> Option<(usize, u64)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Each byte minus `0`: a borrow leaves a byte only at or past the
    // first byte below `0`, never before the first non-digit.
    let d = w.wrapping_sub(ONES * u64::from(b'0'));
    // The high bit of each byte that is 10 or more (no carry between bytes).
    let big = (d | ((d & (ONES * 0x7f)) + ONES * 0x76)) & (ONES * 0x80);
    let n = (big.trailing_zeros() / 8) as usize;
    if n >= 8 {
        return None;
    }
    if n == 0 {
        return Some((0, 0));
    }
    // The `n` digits at the top (the first, most significant, in the
    // lowest byte), zeros (leading zeros) below them; then pairs, fours
    // and the eight combined.
    let v = d << (8 * (8 - n));
    let v = (v & 0x00ff_00ff_00ff_00ff) * 10 + ((v >> 8) & 0x00ff_00ff_00ff_00ff);
    let v = (v & 0x0000_ffff_0000_ffff) * 100 + ((v >> 16) & 0x0000_ffff_0000_ffff);
    let v = (v & 0xffff_ffff) * 10_000 + (v >> 32);
    Some((n, v))
}

/// The bytes of an HTTP method token ([`crate::text::is_method`]):
/// letters, digits, `-` and `_`.
static METHOD: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        c += 1;
    }
    t
};

/// Most trailing fields scanned for the forwarding header.
const MAX_TRAILING: usize = 16;

/// After the user agent: the `n`-th quoted field (1-based; unquoted fields
/// are skipped) when it looks like a forwarding header, else `""`. Trailing
/// fields are never a reason to reject the line. Inlined, though seldom
/// called (only with a forwarding field configured): a cursor lent to a
/// call is kept in memory.
#[inline(always)]
fn trailing_forwarded<'a>(c: &mut Cur<'a, '_, '_>, n: u8) -> &'a str {
    let mut seen = 0u8;
    for _ in 0..MAX_TRAILING {
        if seen == n {
            break;
        }
        if c.eat(b'"') {
            let Some(v) = c.quoted() else {
                return "";
            };
            seen += 1;
            if seen == n {
                return if plausible(v) { v } else { "" };
            }
        } else if c.word().is_none() {
            break;
        }
    }
    ""
}

/// An HTTP status as [`parse_status`] reads it; three digits directly.
#[inline(always)]
fn status(s: &str) -> Option<u16> {
    if let [h, t, u] = *s.as_bytes() {
        let (h, t, u) = (
            h.wrapping_sub(b'0'),
            t.wrapping_sub(b'0'),
            u.wrapping_sub(b'0'),
        );
        if h <= 9 && t <= 9 && u <= 9 {
            return Some(u16::from(h) * 100 + u16::from(t) * 10 + u16::from(u));
        }
    }
    parse_status(s)
}

/// An unsigned decimal as [`crate::text::parse_u64`] reads it (`-` or
/// empty = 0, at most 19 digits), in one loop.
#[inline(always)]
fn decimal(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() > 19 {
        return None;
    }
    let mut v = 0u64;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return (b == b"-").then_some(0);
        }
        v = v * 10 + u64::from(d);
    }
    Some(v)
}

/// The error of a bad virtual host or the address after it.
const VHOST: RecordError = RecordError::fixed("expected virtual host then client address");

/// Read the `[timestamp]` whose `[` was just eaten: a timestamp of the
/// same minute and zone as the last one, closed 26 bytes later, is read
/// from its seconds; any other text up to the first `]` whole.
#[inline(always)]
fn timestamp(c: &mut Cur<'_, '_, '_>, seen: &mut Seen) -> Result<Ts, RecordError> {
    let b = c.s.as_bytes();
    let p = c.pos;
    // A hit of the cache is a text that was read whole before, up to its
    // first `]`: it holds no `]`, so the one at 26 is the first.
    if b.get(p + 26) == Some(&b']') {
        if let Some(ts) = b.get(p..p + 26).and_then(|t| seen.ts.hit(t)) {
            c.pos = p + 27;
            return Ok(ts);
        }
    }
    let end = memchr::memchr(b']', b.get(p..).unwrap_or_default())
        .ok_or(RecordError::fixed("unterminated [timestamp]"))?;
    let ts = seen
        .ts
        .parse(cut(c.s, p, p + end))
        .map_err(|e| RecordError::new(format!("bad timestamp: {e}")))?;
    c.pos = p + end + 1;
    Ok(ts)
}

/// Parse `[%v[:%p] ]%h %l %u %t "%r" %>s %b` and, when combined, the
/// referrer and user agent that follow, and the `forwarded_field`-th
/// quoted field after them (see [`trailing_forwarded`]). Anything else
/// after that is ignored. For BunkerWeb, one more word (`$request_id`) may
/// stand between the ident and the user field. `seen` reads the client
/// address and the timestamp; `masks` receives the line's separators.
#[inline]
fn parse_ncsa<'a>(
    line: &'a str,
    kind: ClfKind,
    forwarded_field: u8,
    seen: &mut Seen,
    masks: &mut Masks,
) -> Result<Parsed<'a>, RecordError> {
    let (vhost, combined, request_id) = match kind {
        ClfKind::Common => (false, false, false),
        ClfKind::Combined => (false, true, false),
        ClfKind::VhostCombined => (true, true, false),
        ClfKind::BunkerWeb => (true, true, true),
    };
    let mut scan = Scan::new(line.as_bytes(), masks);
    let mut c = Cur {
        s: line,
        scan: &mut scan,
        pos: 0,
    };
    let mut site = "";
    if vhost {
        let sp = c
            .scan
            .space(0)
            .ok_or(RecordError::fixed("missing virtual host"))?;
        let v = cut(line, 0, sp);
        site = match v.rsplit_once(':') {
            Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => v,
        };
        if site.is_empty() {
            return Err(VHOST);
        }
        site = dash(site);
        c.pos = sp + 1;
    }
    let (no_host, bad_host) = if vhost {
        (VHOST, VHOST)
    } else {
        (
            RecordError::fixed("missing client address"),
            RecordError::fixed("bad client address"),
        )
    };
    let host = c.word().ok_or(no_host)?;
    let source_ip = seen.ip.parse(host).ok_or(bad_host)?;
    c.word().ok_or(RecordError::fixed("missing ident field"))?;
    let mut user = c.word().ok_or(RecordError::fixed("missing user field"))?;
    if request_id && line.as_bytes().get(c.pos) != Some(&b'[') {
        // The word read as the user was the request id.
        user = c.word().ok_or(RecordError::fixed("missing user field"))?;
    }
    if !c.eat(b'[') {
        return Err(RecordError::fixed("missing [timestamp]"));
    }
    let ts = timestamp(&mut c, seen)?;
    if !(c.eat(b' ') && c.eat(b'"')) {
        return Err(RecordError::fixed("missing \"request\""));
    }
    let (ra, re) = c
        .quoted_at()
        .ok_or(RecordError::fixed("unterminated \"request\""))?;
    // Three digits (almost every status) read in place; anything else as
    // a word, as it always was.
    let status = match c.three_digits() {
        Some(v) => v,
        None => {
            let w = c.word().ok_or(RecordError::fixed("missing status code"))?;
            self::status(w).ok_or(RecordError::fixed("bad status code"))?
        }
    };
    let bytes = match c.digits(1, 19) {
        Some(v) => v,
        None => {
            let w = c.word().ok_or(RecordError::fixed("missing byte count"))?;
            decimal(w).ok_or(RecordError::fixed("bad byte count"))?
        }
    };
    let (mut referrer, mut user_agent, mut forwarded) = ("", "", "");
    if combined {
        if !c.eat(b'"') {
            return Err(RecordError::fixed("missing \"referrer\""));
        }
        referrer = c
            .quoted()
            .ok_or(RecordError::fixed("unterminated \"referrer\""))?;
        if !c.eat(b'"') {
            return Err(RecordError::fixed("missing \"user agent\""));
        }
        user_agent = c
            .quoted()
            .ok_or(RecordError::fixed("unterminated \"user agent\""))?;
        // Nothing after the user agent (most lines): no trailing field.
        if forwarded_field > 0 && c.pos < line.len() {
            forwarded = trailing_forwarded(&mut c, forwarded_field);
        }
    }
    let r = request(line, c.scan, ra, re);
    Ok(Parsed::Event(EventRef::Web(WebEvent {
        ts,
        source_ip,
        method: r.method,
        path: r.path,
        query: r.query,
        status,
        bytes,
        user_agent: dash(user_agent),
        referrer: dash(referrer),
        site,
        user: dash(user),
        forwarded,
        protocol: r.protocol,
    })))
}

#[cfg(test)]
#[path = "clf_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "clf_words_tests.rs"]
mod words_tests;
