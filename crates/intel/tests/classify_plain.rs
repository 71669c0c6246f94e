//! The one-pass shapes of `classify` (plain IPv4 addresses and networks,
//! domain names) and the byte-wise trims give exactly what the general
//! path gave before them: the previous `classify` is kept here as the
//! reference and both are run on random values built from the characters
//! feeds use (digits, dots, slashes, letters, `-_*:@[]()`, blanks, a
//! non-ASCII letter), on listed edge cases, and through `split_label`'s
//! callers (whole list lines).

use haboob_intel::sources::list::read_list_bytes_chunked;
use haboob_intel::sources::value::{classify, email, hash};
use haboob_intel::{ImportOptions, Observable};
use ipnet::IpNet;
use proptest::prelude::*;
use std::net::IpAddr;

/// The previous general path, whole (the reference).
mod reference {
    use super::*;

    pub fn ip_net(s: &str) -> Option<IpNet> {
        let s = s.trim();
        if let Ok(a) = s.parse::<IpAddr>() {
            return Some(IpNet::from(haboob_model::canonical_ip(a)));
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

    pub fn refang(s: &str) -> String {
        if !s.contains(['[', '(']) && !s.starts_with("hxxp") && !s.starts_with("HXXP") {
            return s.to_string();
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
        t
    }

    pub fn classify(raw: &str) -> Result<Observable, &'static str> {
        if raw.len() > 4096 {
            return Err("value longer than 4096 bytes");
        }
        let s = refang(raw.trim());
        let s = s.as_str();
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
            // (`email` checks its domain with `domain`: compared apart.)
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
}

/// Values of the shapes feeds hold, and near misses of them.
fn value() -> impl Strategy<Value = String> {
    let octet = prop_oneof![
        4 => (0u16..=255).prop_map(|o| o.to_string()),
        1 => (0u16..=999).prop_map(|o| format!("0{o}")),
        1 => (256u16..=9999).prop_map(|o| o.to_string()),
        1 => Just(String::new()),
    ];
    let v4 = (
        proptest::collection::vec(octet, 1..=5),
        proptest::option::of(prop_oneof![
            (0u8..=40).prop_map(|l| l.to_string()),
            Just("08".to_string()),
            Just(String::new()),
            Just("1x".to_string()),
        ]),
    )
        .prop_map(|(o, l)| match l {
            Some(l) => format!("{}/{l}", o.join(".")),
            None => o.join("."),
        });
    prop_oneof![
        4 => v4,
        4 => "[a-zA-Z0-9_*.-]{0,20}",
        3 => "(\\*\\.)?[a-z0-9-]{0,8}(\\.[a-zA-Z0-9_-]{0,8}){0,3}\\.?",
        2 => "[ \t]?[0-9a-fA-F.:/@\\[\\]()x ]{0,24}[ \t]?",
        1 => "[hH][xX][xX][pP][sS]?(://|\\[://\\])[a-zA-Z.\\[\\]]{0,12}(/[a-z]{0,4})?",
        1 => "[a-zA-Z][a-zA-Z0-9+.-]{0,5}://[a-zA-Z0-9.:@\\[\\]-]{0,12}[/?#]?[a-zA-Z0-9/?#=]{0,8}",
        1 => "[a-zé0-9.]{0,10}",
        1 => "[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}",
        1 => "[a-z0-9]{60,64}(\\.[a-z]{1,3})?",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn classify_equals_the_general_path(v in value()) {
        prop_assert_eq!(classify(&v), reference::classify(&v), "value {:?}", v);
    }
}

#[test]
fn edge_cases_equal_the_general_path() {
    let long_label = format!("{}.example", "a".repeat(64));
    let cases = [
        "1.2.3.4",
        "0.0.0.0/0",
        "255.255.255.255/32",
        "01.2.3.4",
        "1.2.3.4/33",
        "1.2.3.4/08",
        "1.2.3.4/",
        "1.2.3",
        "1.2.3.4.5",
        "256.1.1.1",
        "10.0.0.77/24",
        "1.2.3.com",
        "example.123",
        "*.Evil.Example.",
        "*.",
        ".example",
        "a..example",
        "evil_.example",
        "hxxpevil.example",
        "HXXPevil.example",
        "Hxxpevil.example",
        "d41d8cd98f00b204e9800998ecf8427e",
        "deadbeef",
        "https://Evil.Example/Path?Q#F",
        "HTTPS://EVIL.EXAMPLE",
        "a:b://c",
        "x://",
        "://host",
        "1http://h",
        "https://evil.example/a b",
        "hxxps://evil[.]example/x",
        "evil[.]example",
        "Bad@Evil.Example",
        "::ffff:198.51.100.9",
        "2001:db8::1/64",
        " 1.2.3.4 ",
        "\u{a0}evil.example",
        "évil.example",
        "",
        "*",
        &long_label,
    ];
    for v in cases {
        assert_eq!(classify(v), reference::classify(v), "value {v:?}");
    }
}

/// Whole lines (tabs, ` # ` labels, CR, blanks around values and labels,
/// user-agent lists) read as before: the same values, labels and counts as
/// a reading that trims with `str` methods.
#[test]
fn lines_split_and_trim_as_before() {
    let text =
        "# kind: any\n 1.2.3.4 \t label one \r\n5.6.7.0/24 # net\r\n\u{a0}evil.example\u{a0}\n\
                x.example #no-space-label\n\t\n#\nhxxps://a[.]example/p\tL\n";
    let opts = ImportOptions::default();
    let (b, s) = read_list_bytes_chunked(text.as_bytes(), 8, "t.txt", "list:t", &opts).unwrap();
    let got: Vec<(String, String)> = (0..b.len())
        .map(|k| {
            (
                b.value(k).unwrap_or_default().to_string(),
                b.indicator(k)
                    .and_then(|i| i.labels.first().cloned())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("1.2.3.4", "label one"),
            ("5.6.7.0/24", "net"),
            ("evil.example", ""),
            ("hxxps://a[.]example/p", "L"),
        ]
        .map(|(v, l)| (v.to_string(), l.to_string()))
    );
    // `x.example #no-space-label` is not a domain: rejected, not dropped.
    assert_eq!(s.rejected, 1);
    let ua = "# kind: user-agent\n Mozilla/5.0 (X) \tbot\r\n\r\n";
    let (b, _) = read_list_bytes_chunked(ua.as_bytes(), 8, "u.txt", "list:u", &opts).unwrap();
    assert_eq!(b.value(0), Some(" Mozilla/5.0 (X) "));
    assert_eq!(b.indicator(0).unwrap().labels, ["bot"]);
}
