//! NCSA log formats: `common`, `combined` (Apache/nginx) and Apache
//! `vhost_combined`, parsed by hand-written byte scanning.

use crate::clf_cache::Seen;
use crate::proxy::plausible;
use crate::text::{dash, parse_ip, parse_request, parse_status, parse_u64, space_in, RecordParser};
use haboob_model::{EventRef, Parsed, RecordError, WebEvent};

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
}

impl Clf {
    pub(crate) fn new(kind: ClfKind, forwarded_field: u8) -> Clf {
        Clf {
            kind,
            forwarded_field,
            seen: Seen::default(),
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
        let xff = self.forwarded_field;
        // One call of the parser (inlined): the event is built in place.
        let (line, site, xff, combined, id) = match self.kind {
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
                (rest, dash(site), xff, true, self.kind == ClfKind::BunkerWeb)
            }
        };
        let ev = parse_ncsa_id(line, site, xff, combined, id, &mut self.seen)?;
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
/// between the ident and the user field. `seen` reads the client address
/// and the timestamp.
#[inline]
fn parse_ncsa_id<'a>(
    line: &'a str,
    site: &'a str,
    forwarded_field: u8,
    combined: bool,
    request_id: bool,
    seen: &mut Seen,
) -> Result<WebEvent<'a>, RecordError> {
    let mut c = Cur { s: line, pos: 0 };
    let host = c
        .word()
        .ok_or(RecordError::fixed("missing client address"))?;
    let source_ip = seen
        .ip
        .parse(host)
        .ok_or(RecordError::fixed("bad client address"))?;
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
    let ts = seen
        .ts
        .parse(&rest[..end])
        .map_err(|e| RecordError::new(format!("bad timestamp: {e}")))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn web(kind: ClfKind, line: &str) -> Result<WebEvent<'_>, RecordError> {
        match Clf::new(kind, 1).parse_rec(line, None)? {
            Parsed::Event(EventRef::Web(w)) => Ok(w),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn combined_normal_and_ipv6() {
        let w = web(
            ClfKind::Combined,
            r#"2001:db8::7 - bob [01/Jan/2024:00:30:00 +0530] "POST /wp-login.php?x=1&y HTTP/1.1" 200 - "https://a.example/" "Mozilla/5.0 (X11)" "10.0.0.1""#,
        )
        .unwrap();
        assert_eq!(
            w.source_ip,
            "2001:db8::7".parse::<std::net::IpAddr>().unwrap()
        );
        assert_eq!(w.ts.to_string(), "2023-12-31T19:00:00.000Z");
        assert_eq!(
            (w.method, w.path, w.query),
            ("POST", "/wp-login.php", "x=1&y")
        );
        assert_eq!((w.status, w.bytes), (200, 0));
        assert_eq!(
            (w.referrer, w.user_agent, w.site),
            ("https://a.example/", "Mozilla/5.0 (X11)", "")
        );
        assert_eq!(w.forwarded, "10.0.0.1");
        assert_eq!(w.protocol, "HTTP/1.1");
    }

    const HEAD: &str =
        r#"::ffff:10.0.0.5 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua""#;

    #[test]
    fn forwarded_after_the_user_agent() {
        let cases = [
            // nginx `main`: `"$http_user_agent" "$http_x_forwarded_for"`.
            (r#" "198.51.100.7, 10.1.2.3""#, 1, "198.51.100.7, 10.1.2.3"),
            (r#" "198.51.100.7""#, 1, "198.51.100.7"),
            (r#" "[2001:db8::7]:443""#, 1, "[2001:db8::7]:443"),
            (
                r#" "spoofed junk, 198.51.100.7""#,
                1,
                "spoofed junk, 198.51.100.7",
            ),
            (r#" "-""#, 1, ""),
            (r#" "unknown""#, 1, ""),
            (r#" "votes.example.gov" "198.51.100.7""#, 1, ""),
            // The second quoted field, unquoted ones skipped.
            (
                r#" "votes.example.gov" rt=0.003 "198.51.100.7""#,
                2,
                "198.51.100.7",
            ),
            (r#" "votes.example.gov" "198.51.100.7""#, 0, ""),
            (r#" "198.51.100.7""#, 2, ""),
            // Unquoted, missing or unterminated: not a header, not a rejection.
            (" 198.51.100.7", 1, ""),
            ("", 1, ""),
            (r#" "198.51.100.7"#, 1, ""),
        ];
        for (tail, field, want) in cases {
            let line = format!("{HEAD}{tail}");
            for kind in [ClfKind::Combined, ClfKind::VhostCombined] {
                let line = match kind {
                    ClfKind::VhostCombined => format!("votes.example.gov:443 {line}"),
                    _ => line.clone(),
                };
                let Parsed::Event(EventRef::Web(w)) =
                    Clf::new(kind, field).parse_rec(&line, None).unwrap()
                else {
                    panic!()
                };
                assert_eq!(w.forwarded, want, "{line}");
                // The peer logged IPv4-mapped is the IPv4 peer.
                assert_eq!(w.source_ip.to_string(), "10.0.0.5");
            }
        }
        // Common logs have no user agent to count from.
        let line =
            r#"10.0.0.5 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "198.51.100.7""#;
        let Parsed::Event(EventRef::Web(w)) =
            Clf::new(ClfKind::Common, 1).parse_rec(line, None).unwrap()
        else {
            panic!()
        };
        assert_eq!(w.forwarded, "");
    }

    #[test]
    fn time_zones() {
        for (tz, want) in [
            ("-0700", "2000-10-10T20:55:36.000Z"),
            ("+1400", "2000-10-09T23:55:36.000Z"),
            ("+0000", "2000-10-10T13:55:36.000Z"),
        ] {
            let line = format!(
                r#"1.2.3.4 - - [10/Oct/2000:13:55:36 {tz}] "GET / HTTP/1.0" 200 5 "-" "-""#
            );
            assert_eq!(web(ClfKind::Combined, &line).unwrap().ts.to_string(), want);
        }
    }

    #[test]
    fn escaped_quotes_and_dashes() {
        let w = web(
            ClfKind::Combined,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a\"b HTTP/1.1" 404 - "-" "say \"hi\" \\""#,
        )
        .unwrap();
        assert_eq!(w.path, r#"/a\"b"#);
        assert_eq!(w.user_agent, r#"say \"hi\" \\"#);
        assert_eq!((w.referrer, w.bytes), ("", 0));
    }

    #[test]
    fn malformed_requests_are_events() {
        let w = web(
            ClfKind::Combined,
            r#"1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "\x16\x03\x01\x01 \x02" 400 226 "-" "-""#,
        )
        .unwrap();
        assert_eq!(
            (w.method, w.path, w.status, w.protocol),
            ("", r"\x16\x03\x01\x01 \x02", 400, "")
        );
        // A version no client speaks is kept as logged (flood tools send
        // them); a target without one (HTTP/0.9 style) has none.
        let odd = r#"1.2.3.4 - - [10/Oct/2023:10:22:47 +0200] "GET / HTTP/1.2" 400 157 "-" "x""#;
        assert_eq!(web(ClfKind::Combined, odd).unwrap().protocol, "HTTP/1.2");
        let bare = r#"1.2.3.4 - - [10/Oct/2023:10:22:47 +0200] "GET /" 400 157 "-" "x""#;
        let w = web(ClfKind::Combined, bare).unwrap();
        assert_eq!((w.path, w.protocol), ("/", ""));
    }

    #[test]
    fn common_and_vhost() {
        let w = web(
            ClfKind::Common,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.0" 200 2326"#,
        )
        .unwrap();
        assert_eq!((w.path, w.bytes, w.user_agent), ("/x", 2326, ""));
        let line = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.0" 200 2326"#;
        assert_eq!(
            web(ClfKind::Combined, line).unwrap_err().reason,
            "missing \"referrer\""
        );
        let v = r#"votes.example.gov:443 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "ua""#;
        assert_eq!(
            web(ClfKind::VhostCombined, v).unwrap().site,
            "votes.example.gov"
        );
        let v = r#"votes.example.gov 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "ua""#;
        assert_eq!(
            web(ClfKind::VhostCombined, v).unwrap().site,
            "votes.example.gov"
        );
        assert!(web(ClfKind::Combined, v).is_err());
    }

    #[test]
    fn bunkerweb_with_and_without_request_id() {
        // Layout of BunkerWeb's access log as parsed by the CrowdSec hub's
        // bunkerity/bunkerweb-logs parser (see tests/fixtures/SOURCES.md).
        let with_id = r#"shop.example 198.51.100.3 - 0f6d2c9a41b0e8d7 - [22/Oct/2025:14:31:07 +0000] "GET /.env HTTP/1.1" 404 162 "-" "curl/8.5.0""#;
        let w = web(ClfKind::BunkerWeb, with_id).unwrap();
        assert_eq!(
            (w.site, w.source_ip.to_string().as_str(), w.path, w.status),
            ("shop.example", "198.51.100.3", "/.env", 404)
        );
        assert_eq!((w.user, w.user_agent), ("", "curl/8.5.0"));
        let user = r#"shop.example:443 198.51.100.3 - 0f6d2c9a41b0e8d7 alice [22/Oct/2025:14:31:07 +0000] "GET / HTTP/2.0" 200 5 "-" "ua" 312 0.004 [shop] []"#;
        let w = web(ClfKind::BunkerWeb, user).unwrap();
        assert_eq!((w.site, w.user, w.bytes), ("shop.example", "alice", 5));
        let without = r#"shop.example 198.51.100.3 - - [22/Oct/2025:14:31:07 +0000] "GET /x HTTP/1.1" 200 5 "-" "ua""#;
        assert_eq!(web(ClfKind::BunkerWeb, without).unwrap().path, "/x");
        // vhost-combined does not take the request id.
        assert_eq!(
            web(ClfKind::VhostCombined, with_id).unwrap_err().reason,
            "missing [timestamp]"
        );
        for (line, reason) in [
            (
                r#"shop.example 198.51.100.3 - id1 u1 u2 [22/Oct/2025:14:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua""#,
                "missing [timestamp]",
            ),
            ("shop.example 198.51.100.3 - id1", "missing user field"),
            (
                r#"shop.example 198.51.100.3 - id1 - [22/Oct/2025:14:31:07 +0000] "GET / HTTP/1.1" 200 5"#,
                "missing \"referrer\"",
            ),
            (
                r#"shop.example not-an-ip - id1 - [22/Oct/2025:14:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua""#,
                "expected virtual host then client address",
            ),
        ] {
            assert_eq!(
                web(ClfKind::BunkerWeb, line).unwrap_err().reason,
                reason,
                "{line}"
            );
        }
    }

    #[test]
    fn syslog_prefix() {
        let line = r#"Sep 15 16:13:46 ip-172-31-43-28 nginx[2869]: 81.150.104.130 - - [15/Sep/2021:16:13:46 +0000] "POST /wp-login.php HTTP/1.1" 200 5364 "-" "Firefox""#;
        let w = web(ClfKind::Combined, line).unwrap();
        assert_eq!(
            (w.source_ip.to_string().as_str(), w.path, w.user_agent),
            ("81.150.104.130", "/wp-login.php", "Firefox")
        );
        let jul = line.replace("Sep 15", "Jul  8");
        assert_eq!(web(ClfKind::Combined, &jul).unwrap().status, 200);
        let not = line.replace("nginx[2869]: ", "nginx[2869] ");
        assert_eq!(
            web(ClfKind::Combined, &not).unwrap_err().reason,
            "bad client address"
        );
    }

    #[test]
    fn rejections_have_reasons() {
        let cases = [
            ("", "missing client address"),
            ("host.example - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"-\"", "bad client address"),
            ("1.2.3.4 - -", "missing [timestamp]"),
            ("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700", "unterminated [timestamp]"),
            ("1.2.3.4 - - [10/Oct/2000:13:55:36] \"GET / HTTP/1.0\" 200 1", "bad timestamp: bad timestamp layout: expected dd/Mon/yyyy:HH:MM:SS +zzzz"),
            ("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] GET", "missing \"request\""),
            ("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0", "unterminated \"request\""),
            ("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 4o4 1 \"-\" \"-\"", "bad status code"),
            ("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 x \"-\" \"-\"", "bad byte count"),
            ("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\"", "missing \"user agent\""),
            ("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"abc", "unterminated \"user agent\""),
        ];
        for (line, reason) in cases {
            assert_eq!(
                web(ClfKind::Combined, line).unwrap_err().reason,
                reason,
                "{line}"
            );
        }
    }
}
