//! Pieces shared by the network-log parsers (Zeek, Suricata, Squid): epoch
//! times, DNS response codes, URL hosts.

use crate::text::parse_ip;
use haboob_model::{RecordError, Ts};
use std::net::IpAddr;

/// Epoch seconds with an optional fraction (`1300475167.096535`), as Zeek
/// and Squid write them; the fraction is cut to milliseconds.
pub(crate) fn epoch_ts(s: &str) -> Result<Ts, RecordError> {
    const BAD: RecordError = RecordError::fixed("bad epoch time (expected seconds[.fraction])");
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    if secs.is_empty()
        || secs.len() > 12
        || !secs.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(BAD);
    }
    let secs: i64 = secs.parse().map_err(|_| BAD)?;
    let mut ms = 0i64;
    for i in 0..3 {
        ms = ms * 10 + frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
    }
    Ok(Ts(secs * 1000 + ms))
}

/// A time that is either epoch seconds or RFC 3339 (Zeek JSON writes either,
/// per `LogAscii::json_timestamps`).
pub(crate) fn epoch_or_iso(s: &str) -> Result<Ts, RecordError> {
    if s.contains('-') {
        Ts::parse_rfc3339(s).map_err(|_| RecordError::fixed("bad time (expected RFC 3339)"))
    } else {
        epoch_ts(s)
    }
}

/// The numeric DNS response code of its name (`NXDOMAIN` is 3); 0 when
/// unknown or `NOERROR`.
pub(crate) fn rcode_num(name: &str) -> u16 {
    const NAMES: [&str; 11] = [
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
        "NXRRSET", "NOTAUTH", "NOTZONE",
    ];
    NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(name))
        .map_or(0, |i| i as u16)
}

/// The host of a proxy request target: `host:port` (`CONNECT`),
/// `scheme://[user@]host[:port]/…`, or empty for an origin-form `/path`.
/// An IPv6 literal keeps no brackets.
pub(crate) fn url_host(target: &str) -> &str {
    let rest = match target.find("://") {
        Some(i) => &target[i + 3..],
        None if target.starts_with('/') => return "",
        None => target,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let auth = &rest[..end];
    let host = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
    if let Some(v6) = host.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// A host that is an address literal, as an address.
pub(crate) fn host_ip(host: &str) -> Option<IpAddr> {
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
    {
        return None;
    }
    parse_ip(host, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_codes_and_hosts() {
        assert_eq!(epoch_ts("1300475167.096535").unwrap().0, 1_300_475_167_096);
        assert_eq!(epoch_ts("1300475167").unwrap().0, 1_300_475_167_000);
        assert_eq!(epoch_ts("1300475167.5").unwrap().0, 1_300_475_167_500);
        for bad in ["", "-1", "1e9", "12.x", "."] {
            assert!(epoch_ts(bad).is_err(), "{bad}");
        }
        assert_eq!(
            epoch_or_iso("2011-03-18T19:06:07.096535Z").unwrap().0,
            1_300_475_167_096
        );
        assert_eq!(rcode_num("NXDOMAIN"), 3);
        assert_eq!(rcode_num("whatever"), 0);
        assert_eq!(url_host("login.example.com:443"), "login.example.com");
        assert_eq!(url_host("http://u@a.example:8080/x?y"), "a.example");
        assert_eq!(url_host("https://[2001:db8::1]:443/"), "2001:db8::1");
        assert_eq!(url_host("/only/path"), "");
        assert_eq!(url_host("ftp://b.example"), "b.example");
        assert_eq!(host_ip("2001:db8::1"), "2001:db8::1".parse().ok());
        assert_eq!(host_ip("a.example"), None);
    }
}
