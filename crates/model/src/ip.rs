//! Source address clustering: IPv4 /24 and IPv6 /64 prefixes.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A network prefix used to group nearby sources (`/24` or `/64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
