//! Network observations from DNS, proxy and network-monitor logs (Zeek,
//! Suricata, Squid): what an internal host asked for or contacted.

use crate::Ts;
use std::borrow::Cow;
use std::net::IpAddr;

/// The most bytes of DNS answers a [`NetEvent`] keeps (cut on a `,`).
pub const MAX_ANSWERS_BYTES: usize = 512;

/// What a network observation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetKind {
    /// A DNS query (with its answers when the log has them).
    Dns,
    /// An HTTP request, seen on the wire or through a proxy.
    Http,
    /// A TLS handshake (the server name is the SNI).
    Tls,
    /// A connection (no application detail).
    Conn,
}

impl NetKind {
    /// Every kind, in a fixed order (the codec stores the index).
    pub const ALL: [NetKind; 4] = [NetKind::Dns, NetKind::Http, NetKind::Tls, NetKind::Conn];

    /// Lower-case name: `dns`, `http`, `tls`, `conn`.
    pub fn name(self) -> &'static str {
        match self {
            NetKind::Dns => "dns",
            NetKind::Http => "http",
            NetKind::Tls => "tls",
            NetKind::Conn => "conn",
        }
    }
}

/// One network observation: a host (usually internal) resolving a name or
/// contacting a server. Empty strings stand for absent values; texts borrow
/// the line, owned only where an escape had to be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetEvent<'a> {
    /// `@timestamp`.
    pub ts: Ts,
    /// `event.dataset`: `zeek.dns`, `zeek.http`, `zeek.ssl`, `zeek.conn`,
    /// `suricata.dns`, `suricata.http`, `suricata.tls`, `squid`.
    pub dataset: &'static str,
    /// What was observed.
    pub kind: NetKind,
    /// `source.ip`: the host that asked or connected (the internal host).
    pub client: Option<IpAddr>,
    /// `destination.ip`: the server contacted (for DNS, the resolver; for
    /// a proxy, the upstream server when logged).
    pub server: Option<IpAddr>,
    /// `destination.domain`: the DNS query name, HTTP `Host`, TLS SNI or
    /// `CONNECT` host, lower-case as logged, without a trailing dot.
    pub domain: Cow<'a, str>,
    /// `url.original`: the URL or request target as logged.
    pub url: Cow<'a, str>,
    /// `http.request.method`; empty when not HTTP.
    pub method: Cow<'a, str>,
    /// HTTP status, or the DNS rcode (0 when not logged).
    pub status: u16,
    /// `user_agent.original`.
    pub user_agent: Cow<'a, str>,
    /// DNS answers (addresses and names), comma-separated, at most
    /// [`MAX_ANSWERS_BYTES`].
    pub answers: Cow<'a, str>,
    /// Sensor, proxy user or interface when logged (Zeek `_path`/`uid`
    /// are not kept); empty when absent.
    pub sensor: Cow<'a, str>,
}

impl<'a> NetEvent<'a> {
    /// An observation of `kind` from `dataset` at `ts` with every other
    /// field absent: the base for struct-update syntax in the parsers.
    pub fn empty(ts: Ts, dataset: &'static str, kind: NetKind) -> NetEvent<'a> {
        NetEvent {
            ts,
            dataset,
            kind,
            client: None,
            server: None,
            domain: Cow::Borrowed(""),
            url: Cow::Borrowed(""),
            method: Cow::Borrowed(""),
            status: 0,
            user_agent: Cow::Borrowed(""),
            answers: Cow::Borrowed(""),
            sensor: Cow::Borrowed(""),
        }
    }

    /// The answers that are IP addresses (at most `MAX_ANSWERS_BYTES` worth).
    pub fn answer_ips(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.answers
            .split(',')
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
    }
}

/// `s` cut to at most `max` bytes on a char boundary, and on the last `,`
/// before the cut when it had to be cut (answer lists stay whole items).
pub fn bound_list(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let cut = crate::bounded(s, max);
    match cut.rfind(',') {
        Some(i) => &cut[..i],
        None => cut,
    }
}

/// A domain as compared: without a trailing dot. (Case is the caller's:
/// loggers write names lower-case; intel lookups fold case themselves.)
pub fn trim_domain(d: &str) -> &str {
    d.strip_suffix('.').unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_cut_on_whole_items() {
        assert_eq!(bound_list("a,b,c", 10), "a,b,c");
        assert_eq!(bound_list("1.2.3.4,5.6.7.8", 10), "1.2.3.4");
        assert_eq!(bound_list("abcdef", 3), "abc");
        assert_eq!(bound_list("éé", 3), "é");
        let mut n = NetEvent::empty(Ts::from_secs(0), "zeek.dns", NetKind::Dns);
        n.answers = Cow::Borrowed("x.example,192.0.2.1, 2001:db8::1");
        let ips: Vec<String> = n.answer_ips().map(|i| i.to_string()).collect();
        assert_eq!(ips, ["192.0.2.1", "2001:db8::1"]);
        assert_eq!(trim_domain("a.example."), "a.example");
    }
}
