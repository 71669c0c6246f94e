//! Recognising and normalising one indicator value: addresses and networks,
//! domains, URLs, e-mail addresses, hashes. Shared by the list and MISP
//! readers (STIX values go through the same functions).

use crate::{HashAlgo, Observable};
use ipnet::{IpNet, Ipv4Net};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::LazyLock;

/// Longest value accepted, bytes.
pub const MAX_VALUE_BYTES: usize = 4096;

/// [`str::trim`], without the work when `s` starts and ends with a visible
/// ASCII character (most values): the same result either way.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(f), Some(l)) if f.is_ascii_graphic() && l.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// `s` without `\r` and `\n` at either end (`trim_matches(['\r', '\n'])`).
#[inline]
pub(crate) fn trim_newlines(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|c| !matches!(c, b'\r' | b'\n'));
    let Some(start) = start else {
        return "";
    };
    let end = b
        .iter()
        .rposition(|c| !matches!(c, b'\r' | b'\n'))
        .map_or(start, |e| e + 1);
    // Both ends are next to ASCII bytes: char boundaries.
    &s[start..end]
}

/// An IPv4 address or `address/length` in the plain spelling (octets and
/// length in decimal without leading zeros), parsed by hand; `None` for
/// anything else, which [`ip_net`] then judges. What it accepts, the
/// standard and `ipnet` parsers accept as the same network.
fn ipv4_plain(b: &[u8]) -> Option<IpNet> {
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (n, o) in octets.iter_mut().enumerate() {
        if n > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        let mut v = 0u32;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit() && i - start < 3) {
            v = v * 10 + u32::from(c - b'0');
            i += 1;
        }
        let len = i - start;
        if len == 0 || v > 255 || (len > 1 && b[start] == b'0') {
            return None;
        }
        *o = v as u8;
    }
    let len = match b.get(i) {
        None => 32,
        Some(b'/') => {
            let d = &b[i + 1..];
            if d.is_empty()
                || d.len() > 2
                || !d.iter().all(u8::is_ascii_digit)
                || (d.len() > 1 && d[0] == b'0')
            {
                return None;
            }
            let p = d.iter().fold(0u8, |a, c| a * 10 + (c - b'0'));
            if p > 32 {
                return None;
            }
            p
        }
        Some(_) => return None,
    };
    Some(IpNet::V4(
        Ipv4Net::new(Ipv4Addr::from(octets), len).ok()?.trunc(),
    ))
}

/// The two shapes most feed lines have, judged in one pass over the bytes:
/// a plain IPv4 address or network, and a domain name (letters, digits,
/// `-`, `_`, `.`, a leading `*.`). `None` sends the value to the general
/// path of [`classify`]; what this returns, that path returns too (the
/// value has no blank, bracket, `:`, `@` or defanged scheme, so it is
/// neither refanged nor a URL, e-mail address, IPv6 address or hash).
fn classify_plain(raw: &str) -> Option<Observable> {
    let b = raw.as_bytes();
    let (mut numeric, mut dot) = (true, false);
    for &c in b {
        match c {
            b'0'..=b'9' => {}
            b'.' => dot = true,
            b'/' => return ipv4_plain(b).map(Observable::Ip),
            c if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'*') => numeric = false,
            _ => return None,
        }
    }
    if numeric {
        return ipv4_plain(b).map(Observable::Ip);
    }
    // A hash has no dot; `hxxp` is refanged.
    if !dot || b.get(..4).is_some_and(|p| p.eq_ignore_ascii_case(b"hxxp")) {
        return None;
    }
    domain(raw).map(Observable::Domain)
}

/// An address or network, normalised: one address as a host prefix,
/// IPv4-mapped IPv6 as IPv4, host bits cleared.
pub fn ip_net(s: &str) -> Option<IpNet> {
    let s = trim(s);
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
    let s = trim(s);
    let s = s.strip_prefix("*.").unwrap_or(s);
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() || s.len() > 253 {
        return None;
    }
    // One pass: every label 1-63 letters, digits, `-` or `_`.
    let (mut start, mut dots, mut digits) = (0, 0, true);
    for (i, &c) in s.as_bytes().iter().enumerate() {
        if c == b'.' {
            if i == start || i - start > 63 {
                return None;
            }
            (start, dots, digits) = (i + 1, dots + 1, true);
        } else if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' {
            digits &= c.is_ascii_digit();
        } else {
            return None;
        }
    }
    let last = s.len() - start;
    if dots == 0 || last == 0 || last > 63 || digits {
        return None;
    }
    Some(s.to_ascii_lowercase())
}

/// Where `://` first is in `s` (one searcher, built once).
fn scheme_end(s: &str) -> Option<usize> {
    static SEP: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"://"));
    SEP.find(s.as_bytes())
}

/// A URL (`scheme://host…`): scheme and host lower-case, the rest as given.
pub fn url(s: &str) -> Option<String> {
    let s = trim(s);
    url_at(s, scheme_end(s)?)
}

/// [`url`] of a trimmed `s` whose first `://` is at `at`.
fn url_at(s: &str, at: usize) -> Option<String> {
    let (scheme, rest) = (&s[..at], &s[at + 3..]);
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
    let host_end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    if host_end == 0 {
        return None;
    }
    let mut u = String::with_capacity(s.len());
    u.push_str(s);
    u[..at + 3 + host_end].make_ascii_lowercase();
    Some(u)
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
    if memchr::memchr2(b'[', b'(', s.as_bytes()).is_none()
        && !s.starts_with("hxxp")
        && !s.starts_with("HXXP")
    {
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
    if let Some(o) = classify_plain(raw) {
        return Ok(o);
    }
    let s = refang(trim(raw));
    let s = s.as_ref();
    if s.is_empty() {
        return Err("empty value");
    }
    // (No address or network has `://` in it: URLs skip the address
    // parsers.)
    let t = trim(s);
    if let Some(at) = scheme_end(t) {
        return url_at(t, at).map(Observable::Url).ok_or("not a valid URL");
    }
    if let Some(n) = ip_net(s) {
        return Ok(Observable::Ip(n));
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
