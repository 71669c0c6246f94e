//! The NCSA parser as it was before the one-pass scan ([`crate::clf_scan`]),
//! kept as the oracle of the tests: the parser in [`crate::clf`] must
//! return exactly what this one returns (events and reasons). The code is
//! as it was, but for the caches of addresses and timestamps: it calls
//! what they answer for ([`parse_ip`], [`Ts::parse_clf`]) instead.

use crate::clf::ClfKind;
use crate::proxy::plausible;
use crate::text::{dash, parse_ip, parse_request, parse_status, parse_u64, space_in};
use haboob_model::{EventRef, Parsed, RecordError, Ts, WebEvent};

/// Today's `Clf::parse_rec` as it was before the one-pass scan.
pub(super) fn parse_rec<'a>(
    kind: ClfKind,
    forwarded_field: u8,
    line: &'a str,
) -> Result<Parsed<'a>, RecordError> {
    {
        let line = strip_syslog(line);
        let xff = forwarded_field;
        // One call of the parser (inlined): the event is built in place.
        let (line, site, xff, combined, id) = match kind {
            ClfKind::Common => (line, "", 0, false, false),
            ClfKind::Combined => (line, "", xff, true, false),
            ClfKind::VhostCombined | ClfKind::BunkerWeb => {
                let (vhost, rest) = line
                    .split_once(' ')
                    .ok_or(RecordError::fixed("missing virtual host"))?;
                let site = match vhost.rsplit_once(':') {
                    Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => h,
                    _ => vhost,
                };
                if site.is_empty()
                    || parse_ip(rest.split(' ').next().unwrap_or(""), false).is_none()
                {
                    return Err(RecordError::fixed(
                        "expected virtual host then client address",
                    ));
                }
                (rest, dash(site), xff, true, kind == ClfKind::BunkerWeb)
            }
        };
        let ev = parse_ncsa_id(line, site, xff, combined, id)?;
        Ok(Parsed::Event(EventRef::Web(ev)))
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

/// A cursor over the line's bytes.
struct Cur<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cur<'a> {
    /// Up to the next space (or the end), consuming the space.
    fn word(&mut self) -> Option<&'a str> {
        let rest = &self.s[self.pos..];
        if rest.is_empty() {
            return None;
        }
        match space_in(rest.as_bytes()) {
            Some(i) => {
                self.pos += i + 1;
                Some(&rest[..i])
            }
            None => {
                self.pos = self.s.len();
                Some(rest)
            }
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.s.as_bytes().get(self.pos) == Some(&b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// After an opening `"`: up to the closing unescaped `"`, consuming it
    /// and one following space.
    fn quoted(&mut self) -> Option<&'a str> {
        let bytes = self.s.as_bytes();
        let start = self.pos;
        let mut i = start;
        loop {
            let off = memchr::memchr2(b'"', b'\\', &bytes[i..])?;
            i += off;
            if bytes[i] == b'\\' {
                i += 2;
                if i > bytes.len() {
                    return None;
                }
                continue;
            }
            self.pos = i + 1;
            self.eat(b' ');
            return Some(&self.s[start..i]);
        }
    }
}

/// Most trailing fields scanned for the forwarding header.
const MAX_TRAILING: usize = 16;

/// After the user agent: the `n`-th quoted field (1-based; unquoted fields
/// are skipped) when it looks like a forwarding header, else `""`. Trailing
/// fields are never a reason to reject the line.
fn trailing_forwarded<'a>(c: &mut Cur<'a>, n: u8) -> &'a str {
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

/// Parse `%h %l %u %t "%r" %>s %b` and, when `combined`, the referrer and
/// user agent that follow, and the `forwarded_field`-th quoted field after
/// them (see [`trailing_forwarded`]). Anything else after that is ignored.
/// When `request_id`, one more word (BunkerWeb's `$request_id`) may stand
/// between the ident and the user field.
/// and the timestamp.
#[inline]
fn parse_ncsa_id<'a>(
    line: &'a str,
    site: &'a str,
    forwarded_field: u8,
    combined: bool,
    request_id: bool,
) -> Result<WebEvent<'a>, RecordError> {
    let mut c = Cur { s: line, pos: 0 };
    let host = c
        .word()
        .ok_or(RecordError::fixed("missing client address"))?;
    let source_ip = parse_ip(host, false).ok_or(RecordError::fixed("bad client address"))?;
    c.word().ok_or(RecordError::fixed("missing ident field"))?;
    let mut user = c.word().ok_or(RecordError::fixed("missing user field"))?;
    if request_id && !c.s[c.pos..].starts_with('[') {
        // The word read as the user was the request id.
        user = c.word().ok_or(RecordError::fixed("missing user field"))?;
    }
    if !c.eat(b'[') {
        return Err(RecordError::fixed("missing [timestamp]"));
    }
    let rest = &line[c.pos..];
    let end = memchr::memchr(b']', rest.as_bytes())
        .ok_or(RecordError::fixed("unterminated [timestamp]"))?;
    let ts =
        Ts::parse_clf(&rest[..end]).map_err(|e| RecordError::new(format!("bad timestamp: {e}")))?;
    c.pos += end + 1;
    if !(c.eat(b' ') && c.eat(b'"')) {
        return Err(RecordError::fixed("missing \"request\""));
    }
    let request = c
        .quoted()
        .ok_or(RecordError::fixed("unterminated \"request\""))?;
    let status = c.word().ok_or(RecordError::fixed("missing status code"))?;
    let status = parse_status(status).ok_or(RecordError::fixed("bad status code"))?;
    let bytes = c.word().ok_or(RecordError::fixed("missing byte count"))?;
    let bytes = parse_u64(bytes).ok_or(RecordError::fixed("bad byte count"))?;
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
        if forwarded_field > 0 {
            forwarded = trailing_forwarded(&mut c, forwarded_field);
        }
    }
    let r = parse_request(request);
    Ok(WebEvent {
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
    })
}
