//! Tests of [`super`]: each cache and reader against the parser it stands for.

use super::*;
use haboob_model::parse_ipv4;
use proptest::prelude::*;

/// Texts near valid timestamps: each byte of a valid one, or a
/// neighbour that breaks a field (digits out of range, other months,
/// signs, separators, lengths).
fn near() -> impl Strategy<Value = String> {
    let base = prop::sample::select(vec![
        "10/Oct/2000:13:55:36 -0700",
        "29/Feb/2024:23:59:59 +1400",
        "31/Dec/1999:00:00:00 +0000",
        "01/Sep/2026:00:00:60 +0530",
    ]);
    let swaps = prop::collection::vec(
        (
            0usize..27,
            prop::sample::select(b"0123456789:/ +-FebOctx\xc3".to_vec()),
        ),
        0..3,
    );
    (base, swaps, 0usize..4).prop_map(|(b, swaps, cut)| {
        let mut v = b.as_bytes().to_vec();
        for (i, c) in swaps {
            match v.get_mut(i) {
                Some(x) => *x = c,
                None => v.push(c),
            }
        }
        if cut == 3 {
            v.pop();
        }
        String::from_utf8_lossy(&v).into_owned()
    })
}

proptest! {
    /// Any sequence of texts gives what `Ts::parse_clf` gives each.
    #[test]
    fn the_cache_answers_as_parse_clf(texts in prop::collection::vec(near(), 1..40)) {
        let mut c = TsCache::default();
        for t in &texts {
            prop_assert_eq!(c.parse(t), Ts::parse_clf(t), "{}", t);
        }
    }
}

#[test]
fn addresses_as_parse_ip() {
    let mut c = IpCache::default();
    let long = format!("{}1", "1".repeat(60));
    for s in [
        "2001:db8::7",
        "2001:db8::7",
        "2001:db8::8",
        "::ffff:10.0.0.5",
        "::ffff:10.0.0.5",
        "10.0.0.5",
        "[2001:db8::7]",
        "2001:db8::7:",
        "2001:db8::7:",
        "",
        "host.example",
        "2001:db8::8",
        long.as_str(),
    ] {
        assert_eq!(c.parse(s), parse_ip(s, false), "{s}");
    }
}

proptest! {
    /// Any sequence of address texts gives what `parse_ip` gives each.
    #[test]
    fn the_address_cache_answers_as_parse_ip(texts in prop::collection::vec(
        prop::sample::select(vec!["2001:db8::7", "2001:db8::07", "::ffff:1.2.3.4", "1.2.3.4",
            "[::1]", "::1", "fe80::1%eth0", "2001:db8::7 ", "", "x", "2001:DB8::7",
            "1.2.3.5", "01.2.3.4", "1.2.3.45", "255.255.255.255", "256.1.1.1", "1.2.3.4.",
            "1.2.3", "12345678", "1234567", "11.22.33.4", "1.22.33.4", "0.0.0.0", "1.2.3.4:80",
            "255.255.255.2555", "1::2", "::1.2.3.4"]), 1..30)) {
        let mut c = IpCache::default();
        for t in &texts {
            prop_assert_eq!(c.parse(t), parse_ip(t, false), "{}", t);
        }
    }
}

/// Texts near dotted addresses: valid ones with leading zeros and
/// numbers past 255, and strings over their alphabet.
fn near_v4() -> impl Strategy<Value = String> {
    let valid = (any::<[u16; 4]>(), any::<[u8; 4]>()).prop_map(|(o, z)| {
        o.iter()
            .zip(z)
            .map(|(&x, z)| {
                let x = if z & 0x80 != 0 { x % 1000 } else { x % 256 };
                format!("{}{x}", "0".repeat(usize::from(z % 4)))
            })
            .collect::<Vec<_>>()
            .join(".")
    });
    let alphabet = prop::collection::vec(
        prop::sample::select(b"0123456789......:/ \x00\xfe9a-".to_vec()),
        0..18,
    )
    .prop_map(|v| String::from_utf8_lossy(&v).into_owned());
    prop_oneof![valid, alphabet]
}

proptest! {
    #[test]
    fn dotted_as_parse_ipv4(t in near_v4()) {
        let b = t.as_bytes();
        prop_assert_eq!(v4_key(b).and_then(dotted), parse_ipv4(b), "{}", t);
    }
}

#[test]
fn dotted_at_the_limits() {
    for t in [
        "0.0.0.0",
        "1.2.3.4",
        "255.255.255.255",
        "256.1.1.1",
        "1.1.1.256",
        "001.002.003.004",
        "1.2.3.4.",
        ".1.2.3",
        "1..2.3",
        "1.2.3",
        "1.2.3.4.5",
        "1234.1.1.1",
        "1.1.1.1234",
        "12.34.56.78",
        "99.99.99.99",
        "9.9.9.999",
        "10.0.0.5 ",
        "1.2.3.a",
        "1.2.3.:",
        "1.2.3./",
        "000.000.000.000",
        "9.99.199.255",
        "1.2.3.04",
        "255.255.255.25a",
        "1.2.3.4\0",
    ] {
        let b = t.as_bytes();
        assert_eq!(v4_key(b).and_then(dotted), parse_ipv4(b), "{t}");
    }
}

/// Texts near IPv6 addresses: valid ones written in random case with
/// leading zeros, and strings over their alphabet.
fn near_v6() -> impl Strategy<Value = String> {
    let valid =
        (any::<[u16; 8]>(), 0usize..9, 0usize..9, any::<u8>()).prop_map(|(g, a, n, style)| {
            let mut g = g;
            // Runs of zero groups, for `::` to stand for.
            for x in g.iter_mut().skip(a).take(n) {
                *x = 0;
            }
            let ip = Ipv6Addr::from(g);
            let mut t = if style & 1 == 0 {
                ip.to_string()
            } else {
                g.iter()
                    .map(|x| format!("{x:04x}"))
                    .collect::<Vec<_>>()
                    .join(":")
            };
            if style & 2 != 0 {
                t = t.to_uppercase();
            }
            t
        });
    let alphabet = prop::collection::vec(
        prop::sample::select(b"0123456789abcdefABCDEFg:::::.%[]".to_vec()),
        0..42,
    )
    .prop_map(|v| String::from_utf8(v).unwrap_or_default());
    prop_oneof![valid, alphabet]
}

proptest! {
    #[test]
    fn hex_v6_reads_as_the_standard_parser(t in near_v6()) {
        if let Some(ip) = hex_v6(t.as_bytes()) {
            prop_assert_eq!(Some(ip), t.parse::<Ipv6Addr>().ok(), "{}", t);
        }
        prop_assert_eq!(IpCache::default().parse(&t), parse_ip(&t, false), "{}", t);
    }
}

/// Eight groups of one to four digits in any case, and texts near
/// them (a group too long, a letter past `f`, a `::`, a stray colon).
fn near_eight_groups() -> impl Strategy<Value = String> {
    (
        any::<[u16; 8]>(),
        any::<[u8; 8]>(),
        0usize..40,
        prop::sample::select(vec!["", "0", "g", ":", "::", "G", "/", "@", "`"]),
    )
        .prop_map(|(g, lens, at, extra)| {
            let mut t = g
                .iter()
                .zip(lens)
                .map(|(x, l)| {
                    let full = if l & 0x80 != 0 {
                        format!("{x:04X}")
                    } else {
                        format!("{x:04x}")
                    };
                    // Leading digits dropped when they are zeros (or
                    // kept, as leading zeros).
                    let keep = usize::from(l % 4) + 1;
                    let cut = full.len() - keep;
                    if full[..cut].bytes().all(|c| c == b'0') {
                        full[cut..].to_string()
                    } else {
                        full
                    }
                })
                .collect::<Vec<_>>()
                .join(":");
            let at = at.min(t.len());
            t.insert_str(at, extra);
            t
        })
}

proptest! {
    #[test]
    fn eight_groups_read_as_the_standard_parser(t in near_eight_groups()) {
        if let Some(ip) = eight_groups(t.as_bytes()) {
            prop_assert_eq!(Some(ip), t.parse::<Ipv6Addr>().ok(), "{}", t);
        } else if t.len() >= 16 && !t.contains("::") && t.parse::<Ipv6Addr>().is_ok() {
            prop_assert!(false, "eight groups not read: {}", t);
        }
        prop_assert_eq!(IpCache::default().parse(&t), parse_ip(&t, false), "{}", t);
    }
}

#[test]
fn hex_table_as_the_digit_ranges() {
    for c in 0..=255u8 {
        let want = (c as char).to_digit(16).map_or(16, |d| d as u16);
        assert_eq!(hex(c), want, "{c}");
    }
}

#[test]
fn hex_v6_takes_the_common_forms() {
    for t in [
        "2600:1700:6877:314f:80aa:6e8f:13ed:d7e6",
        "2001:db8::7",
        "::",
        "::1",
        "1::",
        "FE80::0001",
        "0:0:0:0:0:ffff:a00:5",
    ] {
        assert_eq!(hex_v6(t.as_bytes()), t.parse().ok(), "{t}");
        assert!(hex_v6(t.as_bytes()).is_some(), "{t}");
    }
    for t in [
        "::ffff:10.0.0.5",
        "fe80::1%eth0",
        "[::1]",
        "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8:9",
        "1::2:3:4:5:6:7:8",
        "1:::2",
        "1::2::3",
        ":1::2",
        "1::2:",
        "12345::",
        ":",
        "",
    ] {
        assert_eq!(hex_v6(t.as_bytes()), None, "{t}");
    }
}

#[test]
fn same_minute_other_seconds_and_zones() {
    let mut c = TsCache::default();
    for (text, want) in [
        ("10/Oct/2000:13:55:36 -0700", Ok("2000-10-10T20:55:36.000Z")),
        ("10/Oct/2000:13:55:00 -0700", Ok("2000-10-10T20:55:00.000Z")),
        ("10/Oct/2000:13:55:59 -0700", Ok("2000-10-10T20:55:59.000Z")),
        ("10/Oct/2000:13:55:60 -0700", Ok("2000-10-10T20:56:00.000Z")),
        ("10/Oct/2000:13:55:61 -0700", Err(())),
        ("10/Oct/2000:13:55:5x -0700", Err(())),
        ("10/Oct/2000:13:55:36 +0000", Ok("2000-10-10T13:55:36.000Z")),
        ("10/Oct/2000:13:56:36 +0000", Ok("2000-10-10T13:56:36.000Z")),
        ("10/Oct/2000:13:56:36 +0000 ", Err(())),
    ] {
        let got = c.parse(text).map(|t| t.to_string()).map_err(|_| ());
        assert_eq!(got, want.map(str::to_owned), "{text}");
        assert_eq!(c.parse(text), Ts::parse_clf(text), "{text}");
    }
}
