//! The NCSA parser: cases by hand, and generated lines of every variant
//! read exactly as the reference parser ([`crate::clf_ref`]) reads them.

use super::*;
use crate::clf_ref;
use proptest::prelude::*;

fn web(kind: ClfKind, line: &str) -> Result<WebEvent<'_>, RecordError> {
    match Clf::new(kind, 1).parse_rec(line, None)? {
        Parsed::Event(EventRef::Web(w)) => Ok(w),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn combined_normal_and_ipv6() {
    let w = web(
        ClfKind::Combined,
        r#"2001:db8::7 - bob [01/Jan/2024:00:30:00 +0530] "POST /wp-login.php?x=1&y HTTP/1.1" 200 - "https://a.example/" "Mozilla/5.0 (X11)" "10.0.0.1""#,
    )
    .unwrap();
    assert_eq!(
        w.source_ip,
        "2001:db8::7".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!(w.ts.to_string(), "2023-12-31T19:00:00.000Z");
    assert_eq!(
        (w.method, w.path, w.query),
        ("POST", "/wp-login.php", "x=1&y")
    );
    assert_eq!((w.status, w.bytes), (200, 0));
    assert_eq!(
        (w.referrer, w.user_agent, w.site),
        ("https://a.example/", "Mozilla/5.0 (X11)", "")
    );
    assert_eq!(w.forwarded, "10.0.0.1");
    assert_eq!(w.protocol, "HTTP/1.1");
}

const HEAD: &str =
    r#"::ffff:10.0.0.5 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua""#;

#[test]
fn forwarded_after_the_user_agent() {
    let cases = [
        // nginx `main`: `"$http_user_agent" "$http_x_forwarded_for"`.
        (r#" "198.51.100.7, 10.1.2.3""#, 1, "198.51.100.7, 10.1.2.3"),
        (r#" "198.51.100.7""#, 1, "198.51.100.7"),
        (r#" "[2001:db8::7]:443""#, 1, "[2001:db8::7]:443"),
        (
            r#" "spoofed junk, 198.51.100.7""#,
            1,
            "spoofed junk, 198.51.100.7",
        ),
        (r#" "-""#, 1, ""),
        (r#" "unknown""#, 1, ""),
        (r#" "votes.example.gov" "198.51.100.7""#, 1, ""),
        // The second quoted field, unquoted ones skipped.
        (
            r#" "votes.example.gov" rt=0.003 "198.51.100.7""#,
            2,
            "198.51.100.7",
        ),
        (r#" "votes.example.gov" "198.51.100.7""#, 0, ""),
        (r#" "198.51.100.7""#, 2, ""),
        // Unquoted, missing or unterminated: not a header, not a rejection.
        (" 198.51.100.7", 1, ""),
        ("", 1, ""),
        (r#" "198.51.100.7"#, 1, ""),
    ];
    for (tail, field, want) in cases {
        let line = format!("{HEAD}{tail}");
        for kind in [ClfKind::Combined, ClfKind::VhostCombined] {
            let line = match kind {
                ClfKind::VhostCombined => format!("votes.example.gov:443 {line}"),
                _ => line.clone(),
            };
            let Parsed::Event(EventRef::Web(w)) =
                Clf::new(kind, field).parse_rec(&line, None).unwrap()
            else {
                panic!()
            };
            assert_eq!(w.forwarded, want, "{line}");
            // The peer logged IPv4-mapped is the IPv4 peer.
            assert_eq!(w.source_ip.to_string(), "10.0.0.5");
        }
    }
    // Common logs have no user agent to count from.
    let line = r#"10.0.0.5 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "198.51.100.7""#;
    let Parsed::Event(EventRef::Web(w)) =
        Clf::new(ClfKind::Common, 1).parse_rec(line, None).unwrap()
    else {
        panic!()
    };
    assert_eq!(w.forwarded, "");
}

#[test]
fn time_zones() {
    for (tz, want) in [
        ("-0700", "2000-10-10T20:55:36.000Z"),
        ("+1400", "2000-10-09T23:55:36.000Z"),
        ("+0000", "2000-10-10T13:55:36.000Z"),
    ] {
        let line =
            format!(r#"1.2.3.4 - - [10/Oct/2000:13:55:36 {tz}] "GET / HTTP/1.0" 200 5 "-" "-""#);
        assert_eq!(web(ClfKind::Combined, &line).unwrap().ts.to_string(), want);
    }
}

#[test]
fn escaped_quotes_and_dashes() {
    let w = web(
        ClfKind::Combined,
        r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a\"b HTTP/1.1" 404 - "-" "say \"hi\" \\""#,
    )
    .unwrap();
    assert_eq!(w.path, r#"/a\"b"#);
    assert_eq!(w.user_agent, r#"say \"hi\" \\"#);
    assert_eq!((w.referrer, w.bytes), ("", 0));
}

#[test]
fn malformed_requests_are_events() {
    let w = web(
        ClfKind::Combined,
        r#"1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "\x16\x03\x01\x01 \x02" 400 226 "-" "-""#,
    )
    .unwrap();
    assert_eq!(
        (w.method, w.path, w.status, w.protocol),
        ("", r"\x16\x03\x01\x01 \x02", 400, "")
    );
    // A version no client speaks is kept as logged (flood tools send
    // them); a target without one (HTTP/0.9 style) has none.
    let odd = r#"1.2.3.4 - - [10/Oct/2023:10:22:47 +0200] "GET / HTTP/1.2" 400 157 "-" "x""#;
    assert_eq!(web(ClfKind::Combined, odd).unwrap().protocol, "HTTP/1.2");
    let bare = r#"1.2.3.4 - - [10/Oct/2023:10:22:47 +0200] "GET /" 400 157 "-" "x""#;
    let w = web(ClfKind::Combined, bare).unwrap();
    assert_eq!((w.path, w.protocol), ("/", ""));
}

#[test]
fn common_and_vhost() {
    let w = web(
        ClfKind::Common,
        r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.0" 200 2326"#,
    )
    .unwrap();
    assert_eq!((w.path, w.bytes, w.user_agent), ("/x", 2326, ""));
    let line = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.0" 200 2326"#;
    assert_eq!(
        web(ClfKind::Combined, line).unwrap_err().reason,
        "missing \"referrer\""
    );
    let v = r#"votes.example.gov:443 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "ua""#;
    assert_eq!(
        web(ClfKind::VhostCombined, v).unwrap().site,
        "votes.example.gov"
    );
    let v = r#"votes.example.gov 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "ua""#;
    assert_eq!(
        web(ClfKind::VhostCombined, v).unwrap().site,
        "votes.example.gov"
    );
    assert!(web(ClfKind::Combined, v).is_err());
}

#[test]
fn bunkerweb_with_and_without_request_id() {
    // Layout of BunkerWeb's access log as parsed by the CrowdSec hub's
    // bunkerity/bunkerweb-logs parser (see tests/fixtures/SOURCES.md).
    let with_id = r#"shop.example 198.51.100.3 - 0f6d2c9a41b0e8d7 - [22/Oct/2025:14:31:07 +0000] "GET /.env HTTP/1.1" 404 162 "-" "curl/8.5.0""#;
    let w = web(ClfKind::BunkerWeb, with_id).unwrap();
    assert_eq!(
        (w.site, w.source_ip.to_string().as_str(), w.path, w.status),
        ("shop.example", "198.51.100.3", "/.env", 404)
    );
    assert_eq!((w.user, w.user_agent), ("", "curl/8.5.0"));
    let user = r#"shop.example:443 198.51.100.3 - 0f6d2c9a41b0e8d7 alice [22/Oct/2025:14:31:07 +0000] "GET / HTTP/2.0" 200 5 "-" "ua" 312 0.004 [shop] []"#;
    let w = web(ClfKind::BunkerWeb, user).unwrap();
    assert_eq!((w.site, w.user, w.bytes), ("shop.example", "alice", 5));
    let without = r#"shop.example 198.51.100.3 - - [22/Oct/2025:14:31:07 +0000] "GET /x HTTP/1.1" 200 5 "-" "ua""#;
    assert_eq!(web(ClfKind::BunkerWeb, without).unwrap().path, "/x");
    // vhost-combined does not take the request id.
    assert_eq!(
        web(ClfKind::VhostCombined, with_id).unwrap_err().reason,
        "missing [timestamp]"
    );
    for (line, reason) in [
        (
            r#"shop.example 198.51.100.3 - id1 u1 u2 [22/Oct/2025:14:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua""#,
            "missing [timestamp]",
        ),
        ("shop.example 198.51.100.3 - id1", "missing user field"),
        (
            r#"shop.example 198.51.100.3 - id1 - [22/Oct/2025:14:31:07 +0000] "GET / HTTP/1.1" 200 5"#,
            "missing \"referrer\"",
        ),
        (
            r#"shop.example not-an-ip - id1 - [22/Oct/2025:14:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua""#,
            "expected virtual host then client address",
        ),
    ] {
        assert_eq!(
            web(ClfKind::BunkerWeb, line).unwrap_err().reason,
            reason,
            "{line}"
        );
    }
}

#[test]
fn syslog_prefix() {
    let line = r#"Sep 15 16:13:46 ip-172-31-43-28 nginx[2869]: 81.150.104.130 - - [15/Sep/2021:16:13:46 +0000] "POST /wp-login.php HTTP/1.1" 200 5364 "-" "Firefox""#;
    let w = web(ClfKind::Combined, line).unwrap();
    assert_eq!(
        (w.source_ip.to_string().as_str(), w.path, w.user_agent),
        ("81.150.104.130", "/wp-login.php", "Firefox")
    );
    let jul = line.replace("Sep 15", "Jul  8");
    assert_eq!(web(ClfKind::Combined, &jul).unwrap().status, 200);
    let not = line.replace("nginx[2869]: ", "nginx[2869] ");
    assert_eq!(
        web(ClfKind::Combined, &not).unwrap_err().reason,
        "bad client address"
    );
}

#[test]
fn rejections_have_reasons() {
    let cases = [
        ("", "missing client address"),
        (
            "host.example - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"-\"",
            "bad client address",
        ),
        ("1.2.3.4 - -", "missing [timestamp]"),
        (
            "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700",
            "unterminated [timestamp]",
        ),
        (
            "1.2.3.4 - - [10/Oct/2000:13:55:36] \"GET / HTTP/1.0\" 200 1",
            "bad timestamp: bad timestamp layout: expected dd/Mon/yyyy:HH:MM:SS +zzzz",
        ),
        (
            "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] GET",
            "missing \"request\"",
        ),
        (
            "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0",
            "unterminated \"request\"",
        ),
        (
            "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 4o4 1 \"-\" \"-\"",
            "bad status code",
        ),
        (
            "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 x \"-\" \"-\"",
            "bad byte count",
        ),
        (
            "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\"",
            "missing \"user agent\"",
        ),
        (
            "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"abc",
            "unterminated \"user agent\"",
        ),
    ];
    for (line, reason) in cases {
        assert_eq!(
            web(ClfKind::Combined, line).unwrap_err().reason,
            reason,
            "{line}"
        );
    }
}

/// What a parser returned, comparable.
fn outcome(p: Result<Parsed<'_>, RecordError>) -> Result<WebEvent<'_>, RecordError> {
    match p? {
        Parsed::Event(EventRef::Web(w)) => Ok(w),
        other => panic!("unexpected {other:?}"),
    }
}

const KINDS: [ClfKind; 4] = [
    ClfKind::Common,
    ClfKind::Combined,
    ClfKind::VhostCombined,
    ClfKind::BunkerWeb,
];

/// Run `lines` through one parser of `kind` (its caches see the whole
/// sequence) and the reference, and compare every answer.
fn same_as_reference(kind: ClfKind, xff: u8, lines: &[String]) -> Result<(), TestCaseError> {
    let mut new = Clf::new(kind, xff);
    for line in lines {
        let got = outcome(new.parse_rec(line, None));
        let want = outcome(clf_ref::parse_rec(kind, xff, line));
        prop_assert_eq!(got, want, "{:?} field {}: {:?}", kind, xff, line);
    }
    Ok(())
}

fn one_of(v: &[&'static str]) -> BoxedStrategy<String> {
    prop::sample::select(v.to_vec())
        .prop_map(str::to_owned)
        .boxed()
}

/// Free text for quoted fields: separators, escapes, a backslash at the
/// end, non-ASCII; sometimes long enough to cross the mask ring.
fn free_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[a-zA-Z0-9 /?=&%.-]{0,50}",
        2 => r#"[a-z ?"\\é/-]{0,30}"#,
        1 => r#"[a-z]{0,5}\\"#,
        1 => ("[a-zé ]{0,4}", 100usize..700).prop_map(|(s, n)| s.repeat(n / s.len().max(1)).chars().take(n).collect()),
    ]
    .boxed()
}

fn request() -> BoxedStrategy<String> {
    prop_oneof![
        2 => one_of(&[
            "GET / HTTP/1.1",
            "GET /a?b=c HTTP/1.1",
            "POST /wp-login.php?x=1&y HTTP/2.0",
            "GET /",
            "GET  HTTP/1.1",
            "GET / HTTP/1.1 x",
            "GET /a b HTTP/1.1",
            "GET /a?b c HTTP/1.1",
            "GET /? HTTP/1.1",
            "GET ?x HTTP/1.0",
            "HELP",
            "-",
            "",
            " ",
            "GET ",
            "GE.T / HTTP/1.1",
            "G-E_T9 /x HTTP/1.1",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA / HTTP/1.1",
            "GET / http/1.1",
            "GET / HTTP/",
            r"\x16\x03\x01\x01 \x02",
            r#"GET /a\"b HTTP/1.1"#,
            r"GET /é?q=ü HTTP/1.1",
        ]),
        1 => ("[A-Z]{1,6}", free_text(), one_of(&["", " HTTP/1.1", " HTTP/1.0", " x"]))
            .prop_map(|(m, t, p)| format!("{m} {t}{p}")),
        1 => free_text(),
    ]
    .boxed()
}

/// Mostly one of `good`, sometimes one of `bad`.
fn mostly(good: &[&'static str], bad: &[&'static str]) -> BoxedStrategy<String> {
    prop_oneof![6 => one_of(good), 1 => one_of(bad)].boxed()
}

/// One line of the NCSA variant `kind` (with near misses), before
/// mutation.
fn line_of(kind: ClfKind) -> impl Strategy<Value = String> {
    let vhost = matches!(kind, ClfKind::VhostCombined | ClfKind::BunkerWeb);
    let head = (
        mostly(
            &[""],
            &[
                "Sep 15 16:13:46 ip-172-31-43-28 nginx[2869]: ",
                "Jul  8 01:02:03 h nginx: ",
                "Sep 15 16:13:46 host nginx[2869] ",
            ],
        ),
        if vhost {
            mostly(
                &[
                    "votes.example.gov:443 ",
                    "votes.example.gov ",
                    "shop.example ",
                ],
                &["-:80 ", ":443 ", " ", "a:b:8080 ", "x:44a ", "-"],
            )
        } else {
            mostly(&[""], &["votes.example.gov:443 "])
        },
        mostly(
            &[
                "1.2.3.4",
                "198.51.100.7",
                "2001:db8::7",
                "2001:db8::8",
                "::ffff:10.0.0.5",
                "2600:1700:6877:314f:80aa:6e8f:13ed:d7e6",
            ],
            &[
                "[2001:db8::7]",
                "host.example",
                "",
                "256.1.1.1",
                "1.2.3.4:80",
                "-",
            ],
        ),
        mostly(&["- "], &["ident ", "", "-  "]),
        if kind == ClfKind::BunkerWeb {
            mostly(&["", "0f6d2c9a41b0e8d7 "], &["id1 u1 "])
        } else {
            mostly(&[""], &["0f6d2c9a41b0e8d7 "])
        },
        mostly(&["-", "bob", "é"], &["[x"]),
    );
    let middle = (
        mostly(
            &[
                "[10/Oct/2000:13:55:36 -0700]",
                "[10/Oct/2000:13:55:37 -0700]",
                "[10/Oct/2000:13:55:60 -0700]",
                "[10/Oct/2000:13:56:00 -0700]",
                "[10/Oct/2000:13:55:36 +0000]",
                "[29/Feb/2024:23:59:59 +1400]",
            ],
            &[
                "[10/Oct/2000:13:55:61 -0700]",
                "[10/Oct/2000:13]55:36 -0700]",
                "[10/Oct/2000:13:55]36 -0700]",
                "[10/Oct/2000:13:55:36]",
                "[10/Oct/2000:13:55:36 -0700",
                "10/Oct/2000:13:55:36 -0700]",
                "[]",
                "[10/Oct/2000:13:55:3x -0700]",
                "[10/Oct/2000:13:55:36 -0700 ]",
            ],
        ),
        request(),
        mostly(
            &["200", "404", "-"],
            &[
                "",
                "4o4",
                "1000",
                "999",
                "0200",
                "20",
                "99999999999999999999",
            ],
        ),
        mostly(
            &["0", "5", "-", "12345"],
            &[
                "",
                "x",
                "9999999999999999999",
                "18446744073709551615",
                "007",
                "1-",
            ],
        ),
    );
    let tail = (
        prop_oneof![one_of(&["-", "https://a.example/", ""]), free_text()],
        prop_oneof![
            one_of(&["-", "curl/8.5.0", "Mozilla/5.0 (X11)"]),
            free_text()
        ],
        one_of(&[
            "",
            " \"198.51.100.7\"",
            " \"-\"",
            " rt=0.003 \"10.0.0.1, 198.51.100.7\"",
            " \"votes.example.gov\" \"198.51.100.7\"",
            " 198.51.100.7",
            " \"198.51.100.7",
            " \"a\\\"b\" \"[2001:db8::7]:443\"",
            "  \"198.51.100.7\" ",
        ]),
        if kind == ClfKind::Common {
            prop_oneof![4 => Just(0usize), 1 => 1usize..3].boxed()
        } else {
            prop_oneof![1 => Just(0usize), 6 => 1usize..3].boxed()
        },
    );
    (head, middle, tail).prop_map(
        |((sys, vh, host, ident, id, user), (ts, req, st, by), (rf, ua, tr, shape))| {
            let mut l = format!("{sys}{vh}{host} {ident}{id}{user} {ts} \"{req}\" {st} {by}");
            match shape {
                0 => {}
                1 => l.push_str(&format!(" \"{rf}\" \"{ua}\"{tr}")),
                _ => l.push_str(&format!(" \"{rf}\" \"{ua}\"")),
            }
            l
        },
    )
}

/// A line of any variant.
fn line() -> impl Strategy<Value = String> {
    prop::sample::select(KINDS.to_vec()).prop_flat_map(line_of)
}

/// A line with up to three characters replaced or inserted (separators,
/// non-ASCII) and maybe cut short.
fn mutated() -> impl Strategy<Value = String> {
    (
        line(),
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                prop::sample::select(vec![' ', '"', '\\', '[', ']', '?', 'é', 'a']),
                any::<bool>(),
            ),
            0..3,
        ),
        prop::option::weighted(0.2, any::<prop::sample::Index>()),
    )
        .prop_map(|(l, edits, cut)| {
            let mut c: Vec<char> = l.chars().collect();
            for (at, ch, insert) in edits {
                let i = at.index(c.len() + 1);
                if insert || i == c.len() {
                    c.insert(i, ch);
                } else {
                    c[i] = ch;
                }
            }
            if let Some(at) = cut {
                c.truncate(at.index(c.len() + 1));
            }
            c.into_iter().collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Every variant reads every generated line (in sequences, so the
    /// caches are exercised) exactly as the reference: same events, same
    /// rejections with the same reasons.
    #[test]
    fn generated_lines_read_as_the_reference(
        lines in prop::collection::vec(prop_oneof![3 => line(), 2 => mutated()], 1..8),
        xff in 0u8..3,
    ) {
        for kind in KINDS {
            same_as_reference(kind, xff, &lines)?;
        }
    }
}

#[test]
fn hand_picked_lines_read_as_the_reference() {
    let long = "é".repeat(400);
    let lines = [
        format!(r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /{long} HTTP/1.1" 200 5 "-" "{long}""#),
        format!(r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.1" 200 5 "{long}" "a\" b {long}" "198.51.100.7""#),
        r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.1" 200 5 "-" "abc\"#.to_owned(),
        r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.1" 200 5 "-" "abc\\"#.to_owned(),
        r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.1"  200 5 "-" "-""#.to_owned(),
        r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.1" 200"#.to_owned(),
        r#"votes.example.gov:443 2001:db8::7 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "ua""#.to_owned(),
    ];
    for kind in KINDS {
        for xff in 0..3 {
            same_as_reference(kind, xff, &lines).unwrap();
        }
    }
}

/// The generator is worth its cases: each variant accepts lines with every
/// part of the request and a forwarding header, and rejects lines for
/// many different reasons.
#[test]
fn generated_lines_cover_events_and_rejections() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strat = prop_oneof![3 => line(), 2 => mutated()];
    let mut full = [0usize; 4];
    let mut reasons = std::collections::BTreeSet::new();
    for _ in 0..5000 {
        let l = strat.new_tree(&mut runner).unwrap().current();
        for (k, kind) in KINDS.into_iter().enumerate() {
            match outcome(Clf::new(kind, 1).parse_rec(&l, None)) {
                Ok(w) if !(w.method.is_empty() || w.protocol.is_empty() || w.query.is_empty()) => {
                    full[k] += 1;
                }
                Ok(_) => {}
                Err(e) => {
                    reasons.insert(e.reason.into_owned());
                }
            }
        }
    }
    assert!(full.iter().all(|&n| n >= 20), "{full:?}");
    assert!(reasons.len() >= 25, "{reasons:?}");
}
