//! Recognising and normalising one indicator value: addresses and networks,
//! domains, URLs, e-mail addresses, hashes. Shared by the list and MISP
//! readers (STIX values go through the same functions).

use crate::{HashAlgo, Observable};
use ipnet::IpNet;
use std::net::IpAddr;

/// Longest value accepted, bytes.
pub const MAX_VALUE_BYTES: usize = 4096;

/// An address or network, normalised: one address as a host prefix,
/// IPv4-mapped IPv6 as IPv4, host bits cleared.
pub fn ip_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    if let Ok(a) = s.parse::<IpAddr>() {
        let a = haboob_model::canonical_ip(a);
        return Some(IpNet::from(a));
    }
    let n: IpNet = s.parse().ok()?;
    let n = match n {
        IpNet::V6(v6) => match v6.addr().to_ipv4_mapped() {
            Some(v4) if v6.prefix_len() >= 96 => {
                IpNet::V4(ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96).ok()?)
            }
            _ => n,
        },
        IpNet::V4(_) => n,
    };
    Some(n.trunc())
}

/// A domain name, lower-case, without a trailing dot or a leading `*.`;
/// `None` when it is not one (labels of letters, digits, `-` and `_`, at
/// least two labels, a top-level label that is not all digits).
pub fn domain(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.strip_prefix("*.").unwrap_or(s);
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() || s.len() > 253 || !s.contains('.') {
        return None;
    }
    let mut last = "";
    for label in s.split('.') {
        if label.is_empty()
            || label.len() > 63
            || !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return None;
        }
        last = label;
    }
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.to_ascii_lowercase())
}

/// A URL (`scheme://host…`): scheme and host lower-case, the rest as given.
pub fn url(s: &str) -> Option<String> {
    let s = s.trim();
    let (scheme, rest) = s.split_once("://")?;
    if scheme.is_empty()
        || !scheme.as_bytes()[0].is_ascii_alphabetic()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        || rest.is_empty()
        || s.bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return None;
    }
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(host_end);
    if host.is_empty() {
        return None;
    }
    Some(format!(
        "{}://{}{tail}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    ))
}

/// The host of a normalised URL (without user info and port; an IPv6
/// literal without brackets).
pub fn url_host(u: &str) -> Option<&str> {
    let rest = u.split_once("://")?.1;
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..host_end];
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    if let Some(v6) = host.strip_prefix('[') {
        return v6.split_once(']').map(|(h, _)| h);
    }
    Some(host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    }))
}

/// The path, query and fragment of a normalised URL (`/` when absent).
pub fn url_path(u: &str) -> &str {
    let rest = u.split_once("://").map_or(u, |(_, r)| r);
    match rest.find(['/', '?', '#']) {
        Some(i) => &rest[i..],
        None => "/",
    }
}

/// An e-mail address, lower-case.
pub fn email(s: &str) -> Option<String> {
    let s = s.trim();
    let (local, dom) = s.rsplit_once('@')?;
    if local.is_empty()
        || local.len() > 64
        || local
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || b == b'@')
    {
        return None;
    }
    let dom = domain(dom)?;
    Some(format!("{}@{dom}", local.to_ascii_lowercase()))
}

/// A hash, its algorithm by length of the hex: MD5 (32), SHA-1 (40),
/// SHA-256 (64), SHA-512 (128).
pub fn hash(s: &str) -> Option<(HashAlgo, String)> {
    let s = s.trim();
    if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let algo = match s.len() {
        32 => HashAlgo::Md5,
        40 => HashAlgo::Sha1,
        64 => HashAlgo::Sha256,
        128 => HashAlgo::Sha512,
        _ => return None,
    };
    Some((algo, s.to_ascii_lowercase()))
}

/// Undo common defanging: `hxxp` → `http`, `[.]`/`(.)`/`[dot]` → `.`,
/// `[@]`/`[at]` → `@`, `[:]` → `:`.
pub fn refang(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['[', '(']) && !s.starts_with("hxxp") && !s.starts_with("HXXP") {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut t = s
        .replace("[.]", ".")
        .replace("(.)", ".")
        .replace("[dot]", ".")
        .replace("[@]", "@")
        .replace("[at]", "@")
        .replace("[:]", ":")
        .replace("[://]", "://");
    for (from, to) in [
        ("hxxps", "https"),
        ("hxxp", "http"),
        ("HXXPS", "https"),
        ("HXXP", "http"),
    ] {
        if let Some(r) = t.strip_prefix(from) {
            t = format!("{to}{r}");
            break;
        }
    }
    std::borrow::Cow::Owned(t)
}

/// The kind of a value by its shape, in this order: address or network,
/// URL (has a scheme), e-mail address, hash (hex of 32/40/64/128 digits),
/// domain. Defanged values are refanged first.
///
/// # Errors
/// A static reason when the value is none of these.
pub fn classify(raw: &str) -> Result<Observable, &'static str> {
    if raw.len() > MAX_VALUE_BYTES {
        return Err("value longer than 4096 bytes");
    }
    let s = refang(raw.trim());
    let s = s.as_ref();
    if s.is_empty() {
        return Err("empty value");
    }
    if let Some(n) = ip_net(s) {
        return Ok(Observable::Ip(n));
    }
    if s.contains(':') && s.contains("://") {
        return url(s).map(Observable::Url).ok_or("not a valid URL");
    }
    if s.contains('@') {
        return email(s)
            .map(Observable::Email)
            .ok_or("not a valid e-mail address");
    }
    if let Some((a, h)) = hash(s) {
        return Ok(Observable::Hash(a, h));
    }
    if let Some(d) = domain(s) {
        return Ok(Observable::Domain(d));
    }
    if s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("hex of a length that is no MD5, SHA-1, SHA-256 or SHA-512");
    }
    if s.bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'/' || b == b':')
    {
        return Err("not a valid IP address or CIDR");
    }
    Err("not an IP address, CIDR, domain, URL, e-mail address or hash")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_shape() {
        let k = |s: &str| classify(s).map(|o| crate::sources::kind_of(&o));
        assert_eq!(k("203.0.113.7"), Ok("ip"));
        assert_eq!(k("2001:db8::1"), Ok("ip"));
        assert_eq!(k("203.0.113.0/24"), Ok("cidr"));
        assert_eq!(k("Evil.Example.COM."), Ok("domain"));
        assert_eq!(k("https://evil.example/a?b"), Ok("url"));
        assert_eq!(k("hxxps://evil[.]example/x"), Ok("url"));
        assert_eq!(k("Bad@Evil.Example"), Ok("email"));
        assert_eq!(k("d41d8cd98f00b204e9800998ecf8427e"), Ok("hash"));
        assert_eq!(k(&"a".repeat(64)), Ok("hash"));
        assert!(k("300.1.2.3").is_err());
        assert!(k("203.0.113.0/33").is_err());
        assert!(k("localhost").is_err());
        assert!(k("abc def").is_err());
        assert!(k("deadbeef").is_err());
        assert!(k("1.2.3.4.5").is_err());
    }

    #[test]
    fn normalised() {
        assert_eq!(
            classify("::ffff:198.51.100.9").unwrap(),
            Observable::Ip("198.51.100.9/32".parse().unwrap())
        );
        assert_eq!(
            classify("198.51.100.77/24").unwrap(),
            Observable::Ip("198.51.100.0/24".parse().unwrap())
        );
        assert_eq!(
            classify("*.Evil.Example.").unwrap(),
            Observable::Domain("evil.example".into())
        );
        assert_eq!(
            classify("HTTPS://Evil.Example/Path").unwrap(),
            Observable::Url("https://evil.example/Path".into())
        );
        assert_eq!(
            url_host("https://u@evil.example:8443/p"),
            Some("evil.example")
        );
        assert_eq!(url_host("http://[2001:db8::1]:80/"), Some("2001:db8::1"));
        assert_eq!(url_path("https://evil.example"), "/");
        assert_eq!(url_path("https://evil.example/a?b"), "/a?b");
    }
}
