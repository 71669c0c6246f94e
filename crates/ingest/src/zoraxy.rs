//! Zoraxy reverse proxy logs: one file for access and system records, each
//! behind Go's `log` prefix (`2025/05/01 14:14:02 `, optional):
//!
//! ```text
//! [2025-05-01 14:14:02.417736] [router:host-http] [origin:shop.example] [client: 198.51.100.7] [useragent: curl/8.5.0] GET /.env 404
//! [2025-05-01 14:14:03.000001] [system:info] Starting Zoraxy
//! ```
//!
//! A `[router:…]` record is a request: `origin` is the host asked for (the
//! site), the target is logged with its query, no byte count. Other Zoraxy
//! records (`[system:info]`, `[dynamic-proxy:error]`, …) are read and
//! counted (`Parsed::Directive`). Times are local without a zone and taken
//! as UTC.

use crate::text::{parse_ip, parse_status, split_query, RecordParser};
use haboob_model::{EventRef, Parsed, RecordError, Ts, WebEvent};

/// The Zoraxy parser (stateless).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Zoraxy;

/// Strip Go's `log` prefix `yyyy/mm/dd HH:MM:SS ` when present.
fn strip_go_prefix(line: &str) -> &str {
    let b = line.as_bytes();
    if b.len() > 20
        && b[4] == b'/'
        && b[7] == b'/'
        && b[10] == b' '
        && b[13] == b':'
        && b[19] == b' '
    {
        &line[20..]
    } else {
        line
    }
}

/// `rest` starts with `tag`: the value up to the next `] `, and what follows.
fn bracket<'a>(
    rest: &'a str,
    tag: &str,
    what: &'static str,
) -> Result<(&'a str, &'a str), RecordError> {
    let body = rest.strip_prefix(tag).ok_or(RecordError::fixed(what))?;
    let end = memchr::memmem::find(body.as_bytes(), b"] ").ok_or(RecordError::fixed(what))?;
    Ok((&body[..end], &body[end + 2..]))
}

impl RecordParser for Zoraxy {
    fn parse_rec<'a>(
        &mut self,
        line: &'a str,
        _scratch: Option<&'a mut String>,
    ) -> Result<Parsed<'a>, RecordError> {
        let rest = strip_go_prefix(line);
        let (stamp, rest) = bracket(rest, "[", "missing [timestamp]")?;
        // Zoraxy writes `2006-01-02 15:04:05.000000`: no `T`, no zone.
        if stamp.as_bytes().get(10) != Some(&b' ') {
            return Err(RecordError::fixed("not a Zoraxy timestamp"));
        }
        let ts = Ts::parse_rfc3339(stamp)
            .map_err(|e| RecordError::new(format!("bad timestamp: {e}")))?;
        if !rest.starts_with("[router:") {
            // A system record `[module:level] message`: read and counted.
            let tag_end = memchr::memchr(b']', rest.as_bytes());
            return match (rest.as_bytes().first(), tag_end) {
                (Some(b'['), Some(e)) if rest[1..e].contains(':') => Ok(Parsed::Directive),
                _ => Err(RecordError::fixed("missing [router:…] or [module:level]")),
            };
        }
        let (_router, rest) = bracket(rest, "[router:", "unterminated [router:…]")?;
        let (origin, rest) = bracket(rest, "[origin:", "missing [origin:…]")?;
        let (client, rest) = bracket(rest, "[client: ", "missing [client: …]")?;
        let source_ip =
            parse_ip(client.trim(), true).ok_or(RecordError::fixed("bad client address"))?;
        let ua_body = rest
            .strip_prefix("[useragent: ")
            .ok_or(RecordError::fixed("missing [useragent: …]"))?;
        // The user agent may hold `] `: the request follows the last one.
        let end = memchr::memmem::rfind(ua_body.as_bytes(), b"] ")
            .ok_or(RecordError::fixed("unterminated [useragent: …]"))?;
        let (user_agent, request) = (&ua_body[..end], &ua_body[end + 2..]);
        let (method, rest) = request
            .split_once(' ')
            .ok_or(RecordError::fixed("missing request"))?;
        let (target, status) = rest
            .rsplit_once(' ')
            .ok_or(RecordError::fixed("missing status code"))?;
        let status = parse_status(status).ok_or(RecordError::fixed("bad status code"))?;
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(RecordError::fixed("bad request method"));
        }
        let (path, query) = split_query(target);
        Ok(Parsed::Event(EventRef::Web(WebEvent {
            ts,
            source_ip,
            method,
            path,
            query,
            status,
            bytes: 0,
            user_agent,
            referrer: "",
            site: origin,
            user: "",
            forwarded: "",
            protocol: "",
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Layout of Zoraxy's log as parsed by the CrowdSec hub's
    // Raithmir/zoraxy-logs parser (see tests/fixtures/SOURCES.md).
    const LINE: &str = "2025/05/01 14:14:02 [2025-05-01 14:14:02.417736] [router:host-http] [origin:shop.example] [client: 198.51.100.7] [useragent: Mozilla/5.0 zgrab/0.x] GET /wp-login.php?x=1 404";

    fn parse(line: &str) -> Result<Parsed<'_>, RecordError> {
        Zoraxy.parse_rec(line, None)
    }

    fn web(line: &str) -> WebEvent<'_> {
        match parse(line) {
            Ok(Parsed::Event(EventRef::Web(w))) => w,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn access_records() {
        let w = web(LINE);
        assert_eq!(w.ts.to_string(), "2025-05-01T14:14:02.417Z");
        assert_eq!(w.source_ip.to_string(), "198.51.100.7");
        assert_eq!(
            (w.method, w.path, w.query, w.status),
            ("GET", "/wp-login.php", "x=1", 404)
        );
        assert_eq!(
            (w.site, w.user_agent),
            ("shop.example", "Mozilla/5.0 zgrab/0.x")
        );
        // Without Go's prefix, an IPv6 client, a user agent holding `] `,
        // an empty origin (a request to the bare address).
        let w = web("[2025-05-01 14:14:02.417736] [router:root-no_resp] [origin:] [client: 2001:db8::7] [useragent: odd] (x)] POST / 444");
        assert_eq!(w.source_ip.to_string(), "2001:db8::7");
        assert_eq!(
            (w.user_agent, w.site, w.method, w.status),
            ("odd] (x)", "", "POST", 444)
        );
    }

    #[test]
    fn system_records_are_read() {
        let sys =
            "2025/05/01 14:14:03 [2025-05-01 14:14:03.000001] [system:info] Starting Zoraxy v3.1.0";
        assert!(matches!(parse(sys), Ok(Parsed::Directive)));
    }

    #[test]
    fn bad_lines_are_rejected_with_reasons() {
        let cases = [
            ("", "missing [timestamp]"),
            ("2025/05/01 14:14:02 hello", "missing [timestamp]"),
            (
                "[2025-05-01T14:14:02Z] [router:host-http] x",
                "not a Zoraxy timestamp",
            ),
            (
                "[2025-05-01 25:14:02.1] [router:host-http] x",
                "bad timestamp: timestamp field out of range: time of day",
            ),
            ("[2025-05-01 14:14:02.1] free text", "missing [router:…] or [module:level]"),
            (
                "[2025-05-01 14:14:02.1] [router:host-http] [client: 1.2.3.4] [useragent: a] GET / 200",
                "missing [origin:…]",
            ),
            (
                "[2025-05-01 14:14:02.1] [router:host-http] [origin:a] [client: nope] [useragent: a] GET / 200",
                "bad client address",
            ),
            (
                "[2025-05-01 14:14:02.1] [router:host-http] [origin:a] [client: 1.2.3.4] [useragent: a] GET / 2oo",
                "bad status code",
            ),
            (
                "[2025-05-01 14:14:02.1] [router:host-http] [origin:a] [client: 1.2.3.4] [useragent: a] GET",
                "missing request",
            ),
            (
                "[2025-05-01 14:14:02.1] [router:host-http] [origin:a] [client: 1.2.3.4] [useragent: a",
                "unterminated [useragent: …]",
            ),
        ];
        for (line, reason) in cases {
            assert_eq!(parse(line).unwrap_err().reason, reason, "{line}");
        }
    }
}
