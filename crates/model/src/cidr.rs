//! Address blocks as configured and as published (`198.51.100.0/24`,
//! `2001:db8::/32`, or one address): allow lists, admin sources, the
//! scanning networks research projects publish.

use std::fmt;
use std::net::IpAddr;

/// An address block: a network and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    net: IpAddr,
    len: u8,
}

/// Why a block was refused; the text is quoted, bounded to 80 characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CidrError {
    /// The part before `/` is not an address.
    #[error("{0:?} is not an address or CIDR block")]
    Address(String),
    /// The prefix length is not a number within the family's bits.
    #[error("bad prefix length in {0:?}")]
    Length(String),
}

impl Cidr {
    /// Parse `a.b.c.d`, `a.b.c.d/n`, and IPv6 likewise (spaces around the
    /// parts are ignored). Host bits may be set: they are ignored when
    /// testing membership.
    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        let quoted = || crate::bounded(s, 80).to_string();
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let net: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| CidrError::Address(quoted()))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let len = match len {
            Some(l) => l
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|l| *l <= max)
                .ok_or_else(|| CidrError::Length(quoted()))?,
            None => max,
        };
        Ok(Cidr { net, len })
    }

    /// Whether `ip` lies in this block (an IPv4 block never holds an IPv6
    /// address, nor the reverse).
    #[inline]
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.len)).unwrap_or(0);
                u32::from(n) & mask == u32::from(i) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(i)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.len))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(i) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.net, self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_hold_their_addresses_and_no_others() {
        let c = Cidr::parse("198.51.100.0/24").unwrap();
        assert!(c.contains(ip("198.51.100.0")));
        assert!(c.contains(ip("198.51.100.255")));
        assert!(!c.contains(ip("198.51.101.0")));
        assert!(!c.contains(ip("::ffff:198.51.100.1")));
        let one = Cidr::parse(" 192.0.2.7 ").unwrap();
        assert!(one.contains(ip("192.0.2.7")));
        assert!(!one.contains(ip("192.0.2.6")));
        let all = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        assert!(!all.contains(ip("2001:db8::1")));
        let v6 = Cidr::parse("2602:80d:1000:b0cc:e::/80").unwrap();
        assert!(v6.contains(ip("2602:80d:1000:b0cc:e::1234")));
        assert!(v6.contains(ip("2602:80d:1000:b0cc:e:0:ffff:1")));
        assert!(!v6.contains(ip("2602:80d:1000:b0cc:f::1")));
        assert_eq!(v6.to_string(), "2602:80d:1000:b0cc:e::/80");
        // Host bits set: the block is still the /24.
        assert!(Cidr::parse("198.51.100.9/24")
            .unwrap()
            .contains(ip("198.51.100.200")));
    }

    #[test]
    fn bad_blocks_say_why() {
        assert_eq!(
            Cidr::parse("example.org/24").unwrap_err().to_string(),
            "\"example.org/24\" is not an address or CIDR block"
        );
        assert_eq!(
            Cidr::parse("198.51.100.0/33").unwrap_err(),
            CidrError::Length("198.51.100.0/33".into())
        );
        assert!(Cidr::parse("2001:db8::/129").is_err());
        assert!(Cidr::parse("198.51.100.0/").is_err());
        assert!(Cidr::parse("").is_err());
    }
}
