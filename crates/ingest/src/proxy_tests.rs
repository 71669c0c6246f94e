use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// A load balancer at 10.0.0.5 and an internal proxy tier in 10.1.0.0/16,
/// plus one IPv6 block.
fn lb() -> TrustedProxies {
    TrustedProxies::new(["10.0.0.5", "10.1.0.0/16", "2001:db8:feed::/48"]).unwrap()
}

#[test]
fn membership_by_range() {
    let t = lb();
    for yes in [
        "10.0.0.5",
        "10.1.0.0",
        "10.1.255.255",
        "::ffff:10.0.0.5",
        "2001:db8:feed::1",
        "2001:db8:feed:ffff:ffff:ffff:ffff:ffff",
    ] {
        assert!(t.contains(ip(yes)), "{yes}");
    }
    for no in [
        "10.0.0.4",
        "10.0.0.6",
        "10.2.0.0",
        "10.0.255.255",
        "0.0.0.0",
        "255.255.255.255",
        "2001:db8:fee0::1",
        "2001:db8:fef0::",
        "::",
    ] {
        assert!(!t.contains(ip(no)), "{no}");
    }
    let all = TrustedProxies::new(["0.0.0.0/0", "::/0"]).unwrap();
    assert!(all.contains(ip("255.255.255.255")) && all.contains(ip("ffff::1")));
    assert!(!TrustedProxies::default().contains(ip("10.0.0.5")));
}

#[test]
fn blocks_merge_and_mask() {
    // Overlapping, adjacent and nested blocks merge into one range each.
    let t = TrustedProxies::new([
        "192.0.2.0/25",
        "192.0.2.128/25",
        "192.0.2.7",
        "198.51.100.1/24",
    ])
    .unwrap();
    assert_eq!(
        t.v4,
        vec![(0xc000_0200, 0xc000_02ff), (0xc633_6400, 0xc633_64ff)]
    );
    // An IPv4-mapped IPv6 block is the IPv4 block.
    let m = TrustedProxies::new(["::ffff:10.0.0.0/104"]).unwrap();
    assert!(m.contains(ip("10.9.9.9")) && !m.contains(ip("11.0.0.0")));
    for bad in [
        "ten",
        "10.0.0.0/33",
        "::/129",
        "10.0.0.0/",
        "10.0.0.0/x",
        "",
    ] {
        let e = TrustedProxies::new([bad]).unwrap_err();
        assert!(e.contains("is not an address or CIDR block"), "{bad}: {e}");
    }
}

#[test]
fn trusted_peer_takes_the_right_most_untrusted_entry() {
    let t = lb();
    let peer = ip("10.0.0.5");
    let cases = [
        // The scanner, then the internal tier that forwarded it.
        ("198.51.100.7", "198.51.100.7"),
        ("198.51.100.7, 10.1.2.3", "198.51.100.7"),
        // Spoofed left part: the client sent "1.1.1.1"; the right-most
        // untrusted entry is the address our proxy saw.
        ("1.1.1.1, 198.51.100.7, 10.1.2.3", "198.51.100.7"),
        ("1.1.1.1,198.51.100.7,10.1.2.3", "198.51.100.7"),
        // Every entry trusted: the left-most.
        ("10.1.9.9, 10.1.2.3", "10.1.9.9"),
        ("10.0.0.5", "10.0.0.5"),
        // Ports and IPv6 brackets.
        ("198.51.100.7:51234, 10.1.2.3:80", "198.51.100.7"),
        ("[2001:db8::7]:443, 10.1.2.3", "2001:db8::7"),
        ("2001:db8::7, [2001:db8:feed::2]", "2001:db8::7"),
        ("[2001:db8::7]", "2001:db8::7"),
        // IPv4-mapped entries are IPv4.
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("198.51.100.7, ::ffff:10.1.2.3", "198.51.100.7"),
        // RFC 7239 `Forwarded` elements.
        ("for=198.51.100.7;proto=https", "198.51.100.7"),
        (
            "for=\"[2001:db8::7]:443\", for=10.1.2.3;by=10.0.0.5",
            "2001:db8::7",
        ),
        // Empty entries and trailing separators are separators.
        ("198.51.100.7,, 10.1.2.3, ", "198.51.100.7"),
        // Nothing in it: the peer.
        (" , ,", "10.0.0.5"),
    ];
    for (header, want) in cases {
        assert_eq!(t.client(peer, header), ip(want), "{header:?}");
    }
    // A peer logged IPv4-mapped is the same trusted proxy.
    assert_eq!(
        t.client(ip("::ffff:10.0.0.5"), "198.51.100.7"),
        ip("198.51.100.7")
    );
    assert_eq!(t.client(peer, ""), peer);
}

#[test]
fn untrusted_peer_keeps_its_address_whatever_it_sends() {
    let t = lb();
    let scanner = ip("198.51.100.7");
    for header in [
        "1.1.1.1",
        "10.0.0.5",
        "1.1.1.1, 10.1.2.3",
        "unknown",
        "for=1.1.1.1",
        "garbage\u{0}\u{7f}, ,,::::",
    ] {
        assert_eq!(t.client(scanner, header), scanner, "{header:?}");
    }
    assert_eq!(
        TrustedProxies::default().client(scanner, "1.1.1.1"),
        scanner
    );
}

#[test]
fn a_non_address_entry_ends_the_walk_at_the_last_trusted_address() {
    let t = lb();
    let peer = ip("10.0.0.5");
    let cases = [
        // Nothing vouches for what is left of an entry that is not an
        // address: the source stays the proxy that wrote it.
        ("unknown", "10.0.0.5"),
        ("1.1.1.1, unknown", "10.0.0.5"),
        ("1.1.1.1, unknown, 10.1.2.3", "10.1.2.3"),
        ("1.1.1.1, _hidden, 10.1.2.3", "10.1.2.3"),
        ("for=unknown", "10.0.0.5"),
        ("1.1.1.1, example.com", "10.0.0.5"),
        ("1.1.1.1, 1.2.3.4.5", "10.0.0.5"),
        ("1.1.1.1, 198.51.100.7 203.0.113.9", "10.0.0.5"),
        ("\u{fffd}\u{0}'; DROP TABLE--", "10.0.0.5"),
        // Garbage left of the untrusted entry is never reached.
        ("garbage, 198.51.100.7", "198.51.100.7"),
        ("[::1, 198.51.100.7, 10.1.2.3", "198.51.100.7"),
    ];
    for (header, want) in cases {
        assert_eq!(t.client(peer, header), ip(want), "{header:?}");
    }
}

#[test]
fn over_long_headers_are_bounded() {
    let t = lb();
    let peer = ip("10.0.0.5");
    // A client-chosen run of trusted-looking entries: the walk stops after
    // MAX_HOPS entries, at a trusted address, never at the client's pick.
    let mut h = String::from("198.51.100.7");
    for i in 0..1000 {
        h.push_str(&format!(", 10.1.{}.{}", i / 250, i % 250));
    }
    let got = t.client(peer, &h);
    assert_eq!(got, ip("10.1.3.234"));
    assert_eq!(MAX_HOPS, 16);
    // A huge single entry is just not an address.
    let big = "9".repeat(100_000);
    assert_eq!(t.client(peer, &big), peer);
    // Commas only.
    assert_eq!(t.client(peer, &",".repeat(100_000)), peer);
}

#[test]
fn plausible_headers() {
    for yes in [
        "198.51.100.7",
        "garbage, 198.51.100.7",
        "1.1.1.1, 10.0.0.1:80",
        "[2001:db8::1]:443",
        "2001:db8::1",
        "for=192.0.2.60;proto=http",
        "Fe80::1",
    ] {
        assert!(plausible(yes), "{yes}");
    }
    let long = format!("{}1.2.3.4", " ".repeat(MAX_FORWARDED_BYTES));
    for no in [
        "",
        "-",
        "unknown",
        "1.2.3.4, unknown",
        "votes.example.gov",
        "rt=0.003",
        "Mozilla/5.0",
        "deadbeef",
        long.as_str(),
    ] {
        assert!(!plausible(no), "{no}");
    }
}

#[test]
fn config_presets_and_errors() {
    assert_eq!(ProxyConfig::default().trusted_set(), Ok(None));
    let cf = ProxyConfig {
        presets: vec!["cloudflare".into()],
        ..ProxyConfig::default()
    }
    .trusted_set()
    .unwrap()
    .unwrap();
    // 15 IPv4 blocks, two of them adjacent (104.16.0.0/13, 104.24.0.0/14).
    assert_eq!((cf.v4.len(), cf.v6.len()), (14, 7));
    for edge in [
        "104.16.0.1",
        "172.71.255.254",
        "173.245.48.1",
        "2606:4700::6810:1",
    ] {
        assert!(cf.contains(ip(edge)), "{edge}");
    }
    for other in ["8.8.8.8", "104.32.0.0", "10.0.0.5", "2001:db8::1"] {
        assert!(!cf.contains(ip(other)), "{other}");
    }
    let private = ProxyConfig {
        trusted: vec!["198.51.100.0/24".into()],
        presets: vec!["private".into()],
        ..ProxyConfig::default()
    }
    .trusted_set()
    .unwrap()
    .unwrap();
    for p in [
        "10.0.0.5",
        "172.31.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "fd00::1",
        "::1",
        "198.51.100.9",
    ] {
        assert!(private.contains(ip(p)), "{p}");
    }
    assert!(!private.contains(ip("172.32.0.1")));
    let bad = ProxyConfig {
        presets: vec!["akamai".into()],
        ..ProxyConfig::default()
    };
    assert_eq!(
        bad.trusted_set().unwrap_err(),
        "ingest.proxy.presets: unknown preset \"akamai\" (expected one of: cloudflare, private)"
    );
    let bad = ProxyConfig {
        trusted: vec!["10.0.0.0/8".into(), "lb.internal".into()],
        ..ProxyConfig::default()
    };
    assert_eq!(
        bad.trusted_set().unwrap_err(),
        "ingest.proxy.trusted: \"lb.internal\" is not an address or CIDR block"
    );
}
