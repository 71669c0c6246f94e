//! Source addresses: parsing an address as logged ([`parse_addr`]), one
//! spelling per source ([`canonical_ip`]: `::ffff:1.2.3.4` is `1.2.3.4`), and
//! clustering into IPv4 /24 and IPv6 /64 prefixes.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A network prefix used to group nearby sources (`/24` or `/64`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct IpPrefix {
    /// Network address (host bits zeroed).
    pub network: IpAddr,
    /// Prefix length in bits.
    pub len: u8,
}

impl fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.len)
    }
}

/// The IPv4 address for an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, as
/// dual-stack servers log IPv4 clients); any other address unchanged. Every
/// parser passes its source address through this, so one client is one
/// source whichever way its server spelled it.
#[inline]
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Parse one address as logged, leniently: surrounding spaces, `[v6]`,
/// `[v6]:port` and `v4:port` are accepted; the result is canonical
/// ([`canonical_ip`]). `None` for anything else (`-`, `unknown`, host names,
/// garbage).
pub fn parse_addr(s: &str) -> Option<IpAddr> {
    let s = s.trim_ascii();
    if let Some(v4) = parse_ipv4(s.as_bytes()) {
        return Some(IpAddr::V4(v4));
    }
    let ip = if let Some(rest) = s.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        if !(after.is_empty() || port(after.strip_prefix(':')?)) {
            return None;
        }
        inner.parse::<Ipv6Addr>().ok()?
    } else {
        match s.split_once(':') {
            // One colon: an IPv4 address with a port (IPv6 has two or more).
            Some((a, p)) if !p.contains(':') => {
                return port(p)
                    .then(|| parse_ipv4(a.as_bytes()))
                    .flatten()
                    .map(IpAddr::V4);
            }
            Some(_) => s.parse::<Ipv6Addr>().ok()?,
            None => return None,
        }
    };
    let ip = IpAddr::V6(ip);
    Some(canonical_ip(ip))
}

/// A dotted-quad IPv4 address from bytes, without allocating (the parsers'
/// fast path: most logged addresses are IPv4). Exactly four decimal octets
/// of one to three digits; nothing else around them.
#[inline]
pub fn parse_ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut n = 0;
    let mut val: u32 = 0;
    let mut digits = 0;
    for &c in b {
        if c.is_ascii_digit() {
            if digits == 3 {
                return None;
            }
            val = val * 10 + u32::from(c - b'0');
            digits += 1;
        } else if c == b'.' && digits > 0 && n < 3 {
            octets[n] = u8::try_from(val).ok()?;
            n += 1;
            val = 0;
            digits = 0;
        } else {
            return None;
        }
    }
    if n != 3 || digits == 0 {
        return None;
    }
    octets[3] = u8::try_from(val).ok()?;
    Some(Ipv4Addr::from(octets))
}

/// A decimal port number.
fn port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

/// The /24 (IPv4) or /64 (IPv6) containing `ip`.
pub fn ip_prefix(ip: IpAddr) -> IpPrefix {
    match ip {
        IpAddr::V4(v4) => {
            let n = u32::from(v4) & 0xffff_ff00;
            IpPrefix {
                network: IpAddr::V4(Ipv4Addr::from(n)),
                len: 24,
            }
        }
        IpAddr::V6(v6) => {
            let n = u128::from(v6) & !((1u128 << 64) - 1);
            IpPrefix {
                network: IpAddr::V6(Ipv6Addr::from(n)),
                len: 64,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_as_logged() {
        for (text, want) in [
            ("1.2.3.4", "1.2.3.4"),
            (" 1.2.3.4 ", "1.2.3.4"),
            ("1.2.3.4:8080", "1.2.3.4"),
            ("::ffff:1.2.3.4", "1.2.3.4"),
            ("[::ffff:1.2.3.4]:443", "1.2.3.4"),
            ("2001:db8::1", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("::1", "::1"),
        ] {
            assert_eq!(parse_addr(text), Some(ip(want)), "{text}");
        }
        for bad in [
            "",
            "-",
            "unknown",
            "example.com",
            "1.2.3",
            "1.2.3.4:",
            "1.2.3.4:x",
            "1.2.3.4:123456",
            "[2001:db8::1",
            "[2001:db8::1]x",
            "[1.2.3.4]",
            "2001:db8::1:80:x",
            "_hidden",
            "1.2.3.4 5.6.7.8",
        ] {
            assert_eq!(parse_addr(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn mapped_is_ipv4() {
        assert_eq!(canonical_ip(ip("::ffff:10.0.0.5")), ip("10.0.0.5"));
        assert_eq!(canonical_ip(ip("::10.0.0.5")), ip("::10.0.0.5"));
        assert_eq!(canonical_ip(ip("2001:db8::1")), ip("2001:db8::1"));
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            ip_prefix("203.0.113.77".parse().unwrap()).to_string(),
            "203.0.113.0/24"
        );
        assert_eq!(
            ip_prefix("2001:db8:1:2:3:4:5:6".parse().unwrap()).to_string(),
            "2001:db8:1:2::/64"
        );
    }
}
