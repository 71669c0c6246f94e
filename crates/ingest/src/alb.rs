//! AWS Application Load Balancer access logs: space-separated fields, some
//! quoted, the request as `"GET https://host:443/path?q HTTP/1.1"`.
//!
//! The load balancer is the proxy: its `client:port` field is the address
//! that connected to it, so `source_ip` is already the client and
//! `forwarded` stays empty (ALB logs no forwarding header). Behind a CDN
//! (CloudFront in front of the ALB) that client is the CDN edge, and the
//! log does not say who was behind it.

use crate::text::{dash, parse_ip, parse_status, parse_u64, split_query, RecordParser};
use haboob_model::{EventRef, Parsed, RecordError, Ts, WebEvent};

/// Columns read (0-based): type, time, elb, client:port, …, elb_status_code,
/// …, sent_bytes, "request", "user_agent", …, "domain_name".
const TIME: usize = 1;
const CLIENT: usize = 3;
const ELB_STATUS: usize = 8;
const SENT_BYTES: usize = 11;
const REQUEST: usize = 12;
const USER_AGENT: usize = 13;
const DOMAIN: usize = 18;
const WANT: usize = 19;

/// The ALB parser (stateless).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Alb;

/// Split into fields; quoted fields lose their quotes (escapes kept).
fn fields<'a>(line: &'a str, out: &mut [&'a str; WANT]) -> Result<(), RecordError> {
    let b = line.as_bytes();
    let mut i = 0;
    for slot in out.iter_mut() {
        if i >= b.len() {
            return Err(RecordError::fixed("too few fields for an ALB log"));
        }
        if b[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            loop {
                let off = memchr::memchr2(b'"', b'\\', &b[j..])
                    .ok_or(RecordError::fixed("unterminated quoted field"))?;
                j += off;
                if b[j] == b'\\' {
                    j += 2;
                    if j > b.len() {
                        return Err(RecordError::fixed("unterminated quoted field"));
                    }
                    continue;
                }
                break;
            }
            *slot = &line[start..j];
            i = j + 1;
        } else {
            let end = memchr::memchr(b' ', &b[i..]).map_or(b.len(), |o| i + o);
            *slot = &line[i..end];
            i = end;
        }
        if i < b.len() {
            if b[i] != b' ' {
                return Err(RecordError::fixed("no space after a quoted field"));
            }
            i += 1;
        }
    }
    Ok(())
}

impl RecordParser for Alb {
    fn parse_rec<'a>(
        &mut self,
        line: &'a str,
        _scratch: Option<&'a mut String>,
    ) -> Result<Parsed<'a>, RecordError> {
        let mut f = [""; WANT];
        fields(line, &mut f)?;
        if !matches!(f[0], "http" | "https" | "h2" | "grpcs" | "ws" | "wss") {
            return Err(RecordError::fixed("unknown ALB request type"));
        }
        let ts = Ts::parse_rfc3339(f[TIME])
            .map_err(|e| RecordError::new(format!("bad timestamp: {e}")))?;
        let source_ip = parse_ip(f[CLIENT], true).ok_or(RecordError::fixed("bad client:port"))?;
        let status =
            parse_status(f[ELB_STATUS]).ok_or(RecordError::fixed("bad elb_status_code"))?;
        let bytes = parse_u64(f[SENT_BYTES]).ok_or(RecordError::fixed("bad sent_bytes"))?;
        let mut req = f[REQUEST].splitn(3, ' ');
        let (method, url) = match (req.next(), req.next()) {
            (Some(m), Some(u)) => (m, u),
            _ => ("", f[REQUEST]),
        };
        let protocol = req.next().filter(|p| p.starts_with("HTTP/")).unwrap_or("");
        let (host, target) = split_url(url);
        let (path, query) = split_query(target);
        let site = if host.is_empty() {
            dash(f[DOMAIN])
        } else {
            host
        };
        Ok(Parsed::Event(EventRef::Web(WebEvent {
            ts,
            source_ip,
            method: dash(method),
            path: dash(path),
            query,
            status,
            bytes,
            user_agent: dash(f[USER_AGENT]),
            referrer: "",
            site,
            user: "",
            forwarded: "",
            protocol,
        })))
    }
}

/// `https://host:443/p?q` into (`host`, `/p?q`); other forms give no host.
fn split_url(url: &str) -> (&str, &str) {
    let Some((_, rest)) = url.split_once("://") else {
        return ("", url);
    };
    let (authority, target) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    (host, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"https 2023-04-26T12:23:14.948827Z app/x/490d 192.168.1.100:44750 10.0.0.66:9000 0.000 0.002 0.000 404 404 5 257 "HEAD https://www.example.com:443/admin.php?a=b HTTP/1.1" "Mozilla/5.00 (Nikto/2.1.5)" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:x "Root=1-5" "vote.example.gov" "-" 1 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.66:9000" "200" "-" "-""#;

    #[test]
    fn alb_line() {
        let Parsed::Event(EventRef::Web(w)) = Alb.parse_rec(LINE, None).unwrap() else {
            panic!()
        };
        assert_eq!(w.ts.to_string(), "2023-04-26T12:23:14.948Z");
        assert_eq!(w.source_ip.to_string(), "192.168.1.100");
        assert_eq!((w.method, w.path, w.query), ("HEAD", "/admin.php", "a=b"));
        assert_eq!((w.status, w.bytes, w.site), (404, 257, "www.example.com"));
        assert_eq!(w.user_agent, "Mozilla/5.00 (Nikto/2.1.5)");
        assert_eq!(w.protocol, "HTTP/1.1");
    }

    #[test]
    fn alb_odd_lines() {
        let l = LINE
            .replace("https://www.example.com:443/admin.php?a=b", "-")
            .replace("\"HEAD - HTTP/1.1\"", "\"- - - \"");
        let Parsed::Event(EventRef::Web(w)) = Alb.parse_rec(&l, None).unwrap() else {
            panic!()
        };
        assert_eq!((w.method, w.path, w.site), ("", "", "vote.example.gov"));
        assert_eq!(
            Alb.parse_rec("https 2023", None).unwrap_err().reason,
            "too few fields for an ALB log"
        );
        let mapped = LINE.replace("192.168.1.100:44750", "[::ffff:192.168.1.100]:44750");
        let Parsed::Event(EventRef::Web(w)) = Alb.parse_rec(&mapped, None).unwrap() else {
            panic!()
        };
        assert_eq!(
            (w.source_ip.to_string().as_str(), w.forwarded),
            ("192.168.1.100", "")
        );
        let bad = LINE.replace("192.168.1.100:44750", "nohost");
        assert_eq!(
            Alb.parse_rec(&bad, None).unwrap_err().reason,
            "bad client:port"
        );
        let bad = LINE.replacen("https", "ftp", 1);
        assert_eq!(
            Alb.parse_rec(&bad, None).unwrap_err().reason,
            "unknown ALB request type"
        );
    }
}
