//! Squid's native `access.log` format:
//! `time elapsed client code/status bytes method URL user hierarchy/peer type`
//! (`logformat squid`). A `CONNECT` names `host:port`; other requests a full
//! URL. The client is the internal host; the peer, when an address, the
//! server contacted.

use crate::netcommon::{epoch_ts, host_ip, url_host};
use crate::text::{parse_ip, parse_status, RecordParser};
use haboob_model::{trim_domain, EventRef, NetEvent, NetKind, Parsed, RecordError};
use std::borrow::Cow;

/// The Squid native access-log parser.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Squid;

impl RecordParser for Squid {
    fn parse_rec<'a>(
        &mut self,
        line: &'a str,
        _scratch: Option<&'a mut String>,
    ) -> Result<Parsed<'a>, RecordError> {
        let mut f = line.split_ascii_whitespace();
        let mut next = |what: &'static str| f.next().ok_or(RecordError::fixed(what));
        let time = next("empty line")?;
        let ts = epoch_ts(time)?;
        let elapsed = next("missing elapsed time")?;
        if !elapsed.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            return Err(RecordError::fixed("bad elapsed time"));
        }
        let client = next("missing client address")?;
        let client = parse_ip(client, false).ok_or(RecordError::fixed("bad client address"))?;
        let code = next("missing result code")?;
        let (result, status) = code
            .split_once('/')
            .ok_or(RecordError::fixed("bad result code (expected CODE/status)"))?;
        if result.is_empty() || !result.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
            return Err(RecordError::fixed("bad result code (expected CODE/status)"));
        }
        let status = parse_status(status).ok_or(RecordError::fixed("bad HTTP status"))?;
        let bytes = next("missing byte count")?;
        if !bytes.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RecordError::fixed("bad byte count"));
        }
        let method = next("missing method")?;
        let url = next("missing URL")?;
        let _user = next("missing user")?;
        let hier = next("missing hierarchy/peer")?;
        let _type = next("missing content type")?;
        if f.next().is_some() {
            return Err(RecordError::fixed(
                "more than 10 fields (not Squid's native format)",
            ));
        }
        let host = trim_domain(url_host(url));
        let peer = hier.split_once('/').map_or("", |(_, p)| p);
        let literal = host_ip(host);
        let server = host_ip(peer).or(literal);
        Ok(Parsed::Event(EventRef::Net(NetEvent {
            client: Some(client),
            server,
            domain: Cow::Borrowed(if literal.is_some() { "" } else { host }),
            url: Cow::Borrowed(url),
            method: Cow::Borrowed(method),
            status,
            ..NetEvent::empty(ts, "squid", NetKind::Http)
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_and_plain_requests() {
        let mut p = Squid;
        let l = "1752030357.582     12 10.200.123.141 TCP_TUNNEL/200 4019 CONNECT login.example.com:443 - HIER_DIRECT/192.0.2.10 -";
        let Ok(Parsed::Event(EventRef::Net(n))) = p.parse_rec(l, None) else {
            panic!("{l}")
        };
        assert_eq!(n.ts.0, 1_752_030_357_582);
        assert_eq!(
            (&*n.domain, &*n.method, n.status),
            ("login.example.com", "CONNECT", 200)
        );
        assert_eq!(n.client, "10.200.123.141".parse().ok());
        assert_eq!(n.server, "192.0.2.10".parse().ok());
        let l = "1752030357.6 1 10.0.0.9 TCP_DENIED/403 0 GET http://198.51.100.7/x.exe alice HIER_NONE/- text/html";
        let Ok(Parsed::Event(EventRef::Net(n))) = p.parse_rec(l, None) else {
            panic!("{l}")
        };
        assert_eq!((&*n.domain, n.status), ("", 403));
        assert_eq!(n.server, "198.51.100.7".parse().ok());
        for bad in [
            "",
            "1752030357.6 1 10.0.0.9 TCP_DENIED/403 0 GET http://a/ - HIER_NONE/-",
            "1752030357.6 1 10.0.0.9 TCP_DENIED/403 0 GET http://a/ - HIER_NONE/- x y",
            "1752030357.6 1 host TCP_DENIED/403 0 GET http://a/ - HIER_NONE/- x",
            "1752030357.6 1 10.0.0.9 denied 0 GET http://a/ - HIER_NONE/- x",
            r#"10.0.0.9 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1"#,
        ] {
            assert!(p.parse_rec(bad, None).is_err(), "{bad}");
        }
    }
}
