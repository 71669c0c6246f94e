//! The client behind a reverse proxy, CDN or load balancer: the
//! `X-Forwarded-For` walk of nginx `real_ip` (`set_real_ip_from`,
//! `real_ip_recursive on`) and Apache `mod_remoteip`.
//!
//! A web event's `source_ip` is the peer that connected to the server and
//! `forwarded` is the forwarding header as logged. When the peer is a
//! trusted proxy, the header's comma-separated entries are walked right to
//! left (each hop appends the address it saw): trusted entries are skipped
//! and the right-most untrusted one is the client. If every entry is trusted
//! the left-most one is. An entry that is not an address (`unknown`, an
//! obfuscated RFC 7239 identifier, garbage) ends the walk at the last address
//! reached, a trusted one: the entry to its left was written by a hop nobody
//! trusted. When the peer is not trusted the header is ignored — anyone can
//! send one.

use haboob_model::parse_addr;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Most header entries examined per event; a longer run of trusted entries
/// stops at the last one reached (bounds the work an attacker can ask for).
pub const MAX_HOPS: usize = 16;

/// Longest header value taken from a log line (longer ones are left empty
/// by the parsers: no proxy writes them).
pub(crate) const MAX_FORWARDED_BYTES: usize = 2048;

/// Published ranges shipped with haboob: name and one-CIDR-a-line text.
const PRESETS: &[(&str, &str)] = &[
    ("cloudflare", include_str!("../data/cloudflare.txt")),
    ("private", include_str!("../data/private.txt")),
];

/// `[ingest.proxy]`: which peers are proxies whose forwarding header names
/// the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ProxyConfig {
    /// Trusted proxies: addresses or CIDR blocks (`"10.0.0.0/8"`,
    /// `"2001:db8::/32"`) of the load balancers, reverse proxies and CDNs in
    /// front of the logged servers. A request whose peer is trusted takes
    /// its source from the logged forwarding header (`X-Forwarded-For`,
    /// `X-Real-IP`, `CF-Connecting-IP`, `True-Client-IP`): the right-most
    /// untrusted entry, as nginx `real_ip_recursive on` does. Requests from
    /// other peers keep the peer: their header is ignored. Empty (the
    /// default): every source is the peer.
    pub trusted: Vec<String>,
    /// Published ranges to trust as well: `"cloudflare"` (Cloudflare's edge,
    /// from https://www.cloudflare.com/ips/), `"private"` (RFC 1918,
    /// loopback, link-local, IPv6 unique local: only when no client reaches
    /// the servers from inside those networks).
    pub presets: Vec<String>,
    /// Combined and vhost-combined logs: which quoted field after the user
    /// agent holds the forwarding header. 1 (the default) is the first, as
    /// in nginx's stock `main` format (`"$http_user_agent"
    /// "$http_x_forwarded_for"`) and Apache `"%{User-Agent}i"
    /// "%{X-Forwarded-For}i"`; 2 the second, and so on (unquoted fields are
    /// skipped); 0 reads none. The field is taken only when its last entry is
    /// an address, so `"-"` and other trailing fields are not mistaken for it.
    pub combined_field: u8,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            trusted: Vec::new(),
            presets: Vec::new(),
            combined_field: 1,
        }
    }
}

impl ProxyConfig {
    /// The trusted set, `None` when nothing is trusted.
    ///
    /// # Errors
    /// A bad address or block, or an unknown preset, named.
    pub fn trusted_set(&self) -> Result<Option<TrustedProxies>, String> {
        if self.trusted.is_empty() && self.presets.is_empty() {
            return Ok(None);
        }
        let mut blocks = Vec::new();
        for t in &self.trusted {
            blocks.push(parse_cidr(t).map_err(|e| format!("ingest.proxy.trusted: {e}"))?);
        }
        for p in &self.presets {
            let Some((_, text)) = PRESETS.iter().find(|(n, _)| n == p) else {
                let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "ingest.proxy.presets: unknown preset {:?} (expected one of: {})",
                    p.chars().take(40).collect::<String>(),
                    names.join(", ")
                ));
            };
            for line in text.lines().map(str::trim) {
                if !(line.is_empty() || line.starts_with('#')) {
                    blocks.push(parse_cidr(line).map_err(|e| format!("preset {p}: {e}"))?);
                }
            }
        }
        Ok(Some(TrustedProxies::from_blocks(blocks)))
    }
}

/// One address block as an inclusive range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    V4(u32, u32),
    V6(u128, u128),
}

/// Parse `a.b.c.d`, `a.b.c.d/n`, IPv6 likewise. Host bits are ignored (as
/// nginx does); an IPv4-mapped IPv6 block is the IPv4 block.
fn parse_cidr(s: &str) -> Result<Block, String> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a.trim(), Some(l.trim())),
        None => (s.trim(), None),
    };
    let bad = || {
        format!(
            "{:?} is not an address or CIDR block",
            s.chars().take(60).collect::<String>()
        )
    };
    let ip: IpAddr = addr.parse().map_err(|_| bad())?;
    let max: u8 = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => l.parse::<u8>().ok().filter(|l| *l <= max).ok_or_else(bad)?,
        None => max,
    };
    Ok(match ip {
        IpAddr::V4(v4) => v4_block(u32::from(v4), len),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) if len >= 96 => v4_block(u32::from(v4), len - 96),
            _ => {
                let host = u128::MAX.checked_shr(u32::from(len)).unwrap_or(0);
                let n = u128::from(v6) & !host;
                Block::V6(n, n | host)
            }
        },
    })
}

fn v4_block(n: u32, len: u8) -> Block {
    let host = u32::MAX.checked_shr(u32::from(len)).unwrap_or(0);
    Block::V4(n & !host, (n & !host) | host)
}

/// A set of trusted proxy addresses: sorted, merged ranges searched in
/// O(log n) without allocating.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

/// Sort and merge overlapping or adjacent inclusive ranges.
fn merge<T: Ord + Copy>(mut r: Vec<(T, T)>, next: impl Fn(T) -> Option<T>) -> Vec<(T, T)> {
    r.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(r.len());
    for (a, b) in r {
        match out.last_mut() {
            // Overlapping or adjacent (`next` is `None` past the top).
            Some(last) if !matches!(next(last.1), Some(n) if a > n) => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn within<T: Ord + Copy>(ranges: &[(T, T)], x: T) -> bool {
    let i = ranges.partition_point(|r| r.0 <= x);
    i > 0 && ranges[i - 1].1 >= x
}

impl TrustedProxies {
    /// The set of the given addresses and CIDR blocks.
    ///
    /// # Errors
    /// The first entry that is not an address or block, named.
    pub fn new<S: AsRef<str>>(blocks: impl IntoIterator<Item = S>) -> Result<Self, String> {
        let blocks = blocks
            .into_iter()
            .map(|s| parse_cidr(s.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies::from_blocks(blocks))
    }

    fn from_blocks(blocks: Vec<Block>) -> Self {
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for b in blocks {
            match b {
                Block::V4(a, z) => v4.push((a, z)),
                Block::V6(a, z) => v6.push((a, z)),
            }
        }
        TrustedProxies {
            v4: merge(v4, |x: u32| x.checked_add(1)),
            v6: merge(v6, |x: u128| x.checked_add(1)),
        }
    }

    /// Whether `ip` is a trusted proxy (an IPv4-mapped address is its IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(v4) => within(&self.v4, u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => within(&self.v4, u32::from(v4)),
                None => within(&self.v6, u128::from(v6)),
            },
        }
    }

    /// The client of a request from `peer` with the forwarding header
    /// `forwarded` (see the module documentation for the rule).
    pub fn client(&self, peer: IpAddr, forwarded: &str) -> IpAddr {
        if forwarded.is_empty() || !self.contains(peer) {
            return peer;
        }
        let mut addr = peer;
        let mut rest = forwarded;
        for _ in 0..MAX_HOPS {
            let Some((before, last)) = split_last(rest) else {
                break;
            };
            let Some(ip) = entry(last) else {
                break;
            };
            addr = ip;
            if !self.contains(ip) {
                break;
            }
            rest = before;
        }
        addr
    }
}

/// Split off the last comma-separated entry: (what is before it, the entry
/// without surrounding spaces). Trailing separators are skipped; `None` when
/// nothing is left. A byte loop: entries are short, and this runs per event.
fn split_last(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let mut end = b.len();
    while end > 0 && matches!(b[end - 1], b',' | b' ' | b'\t') {
        end -= 1;
    }
    if end == 0 {
        return None;
    }
    let mut start = end;
    while start > 0 && b[start - 1] != b',' {
        start -= 1;
    }
    // `start` and `end` sit next to ASCII bytes: both are char boundaries.
    Some((&s[..start], s[start..end].trim_ascii()))
}

/// One header entry: an address (`1.2.3.4`, `1.2.3.4:5`, `[v6]:5`, `v6`) or
/// an RFC 7239 `Forwarded` element (`for=1.2.3.4;proto=https`,
/// `for="[2001:db8::1]:443"`).
fn entry(e: &str) -> Option<IpAddr> {
    if let Some(ip) = parse_addr(e) {
        return Some(ip);
    }
    if !e.contains('=') {
        return None;
    }
    let value = e.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim().eq_ignore_ascii_case("for").then_some(v.trim())
    })?;
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    parse_addr(value)
}

/// Whether a logged field looks like a forwarding header: not too long and
/// its last entry (the one the nearest proxy wrote) is an address. The
/// entries left of it are the client's to choose and are not checked.
pub(crate) fn plausible(v: &str) -> bool {
    if v.len() > MAX_FORWARDED_BYTES {
        return false;
    }
    let Some((_, last)) = split_last(v) else {
        return false;
    };
    // A hex digit, `:`, `[` or `for=` starts every entry: cheap reject of words.
    let first = last.as_bytes()[0];
    (first.is_ascii_hexdigit() || first == b':' || first == b'[') && entry(last).is_some()
}

#[cfg(test)]
#[path = "proxy_tests.rs"]
mod tests;
