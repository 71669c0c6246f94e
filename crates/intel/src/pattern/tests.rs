//! Hand-written cases: literals and escapes, precedence, errors with their
//! positions, each operator on events, the stateful qualifiers, and the
//! observables for an index.

use super::*;
use crate::HashAlgo;
use haboob_model::Ts;
use proptest::prelude::*;

fn p(t: &str) -> Pattern {
    Pattern::parse(t).unwrap_or_else(|e| panic!("{t}: {e}"))
}

fn error(t: &str) -> (usize, String) {
    let e = Pattern::parse(t).expect_err(t);
    (e.pos, e.reason)
}

fn test_of(t: &str) -> Test {
    match p(t).expr {
        ObsExpr::Observation(CompExpr::Test(t)) => t,
        e => panic!("not one test: {e:?}"),
    }
}

fn ev() -> Observed<'static> {
    Observed::default()
}

#[test]
fn string_escapes() {
    let t = test_of(r"[file:name = 'it\'s a \\ back\\slash']");
    assert_eq!(
        t.operand,
        Operand::Literal(Literal::Str(r"it's a \ back\slash".into()))
    );
    assert_eq!(t.to_string(), r"file:name = 'it\'s a \\ back\\slash'");
    // Only \' and \\ are escapes.
    assert_eq!(error(r"[file:name = 'a\nb']").0, 15);
    assert_eq!(error("[file:name = 'open]").0, 13);
}

#[test]
fn literals() {
    let lit = |t: &str| match test_of(t).operand {
        Operand::Literal(l) => l,
        o => panic!("{o:?}"),
    };
    assert_eq!(lit("[x:n = 12]"), Literal::Int(12));
    assert_eq!(lit("[x:n = -12]"), Literal::Int(-12));
    assert_eq!(lit("[x:n > 7.5]"), Literal::Float(7.5));
    assert_eq!(lit("[x:n = true]"), Literal::Bool(true));
    assert_eq!(lit("[x:n = h'FFd8']"), Literal::Hex("ffd8".into()));
    assert_eq!(lit("[x:n = b'AAEC']"), Literal::Binary("AAEC".into()));
    assert_eq!(lit("[x:n = b'AAE=']"), Literal::Binary("AAE=".into()));
    assert_eq!(
        lit("[x:n = t'2014-01-13T07:03:17Z']"),
        Literal::Timestamp(Ts::from_secs(1_389_596_597))
    );
    assert_eq!(
        lit("[x:n = t'2014-01-13T07:03:17.250Z']"),
        Literal::Timestamp(Ts(1_389_596_597_250))
    );
    assert!(Pattern::parse("[x:n = h'abc']").is_err());
    assert!(Pattern::parse("[x:n = b'A===']").is_err());
    assert!(Pattern::parse("[x:n = t'2014-01-13 07:03:17Z']").is_err());
    assert!(Pattern::parse("[x:n = t'2014-02-30T07:03:17Z']").is_err());
    assert!(Pattern::parse("[x:n = True]").is_err());
}

#[test]
fn object_paths() {
    let t = test_of(
        "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'x']",
    );
    assert_eq!(t.path.object_type, "network-traffic");
    assert_eq!(
        t.path.steps,
        vec![
            PathStep::Key("extensions".into()),
            PathStep::Key("http-request-ext".into()),
            PathStep::Key("request_header".into()),
            PathStep::Key("User-Agent".into()),
        ]
    );
    let t = test_of("[email-message:body_multipart[*].body_raw_ref.name = 'a']");
    assert_eq!(t.path.steps[1], PathStep::AnyIndex);
    let t = test_of("[file:extensions.'windows-pebinary-ext'.sections[2].entropy > 7.0]");
    assert_eq!(t.path.steps[3], PathStep::Index(2));
    assert_eq!(
        t.path.to_string(),
        "file:extensions.'windows-pebinary-ext'.sections[2].entropy"
    );
    // A property name with '-' must be quoted.
    assert!(Pattern::parse("[file:hashes.SHA-256 = 'aa']").is_err());
}

#[test]
fn precedence() {
    // Inside an observation AND binds tighter than OR.
    match p("[a:x = '1' OR a:y = '2' AND a:z = '3']").expr {
        ObsExpr::Observation(CompExpr::Or(items)) => {
            assert!(matches!(items[0], CompExpr::Test(_)));
            assert!(matches!(&items[1], CompExpr::And(v) if v.len() == 2));
        }
        e => panic!("{e:?}"),
    }
    // Observation AND over OR over FOLLOWEDBY; a qualifier binds to the
    // nearest observation.
    match p("[a:x = '1'] OR [a:x = '2'] AND [a:x = '3'] FOLLOWEDBY [a:x = '4'] WITHIN 5 SECONDS")
        .expr
    {
        ObsExpr::FollowedBy(items) => {
            assert!(matches!(&items[0], ObsExpr::Or(v) if matches!(v[1], ObsExpr::And(_))));
            assert!(matches!(&items[1], ObsExpr::Qualified(_, Qualifier::Within(s)) if *s == 5.0));
        }
        e => panic!("{e:?}"),
    }
    // Parentheses.
    let q = p("([a:x = '1'] OR [a:x = '2']) AND [a:x = '3']");
    assert!(matches!(&q.expr, ObsExpr::And(v) if matches!(v[0], ObsExpr::Or(_))));
    assert_eq!(
        q.to_string(),
        "([a:x = '1'] OR [a:x = '2']) AND [a:x = '3']"
    );
    let q = p("[(a:x = '1' OR a:y = '2') AND a:z NOT = '3']");
    assert_eq!(
        q.to_string(),
        "[(a:x = '1' OR a:y = '2') AND a:z NOT = '3']"
    );
    let q = p("[a:x = '1'] REPEATS 2 TIMES WITHIN 10 SECONDS START t'2020-01-01T00:00:00Z' STOP t'2020-01-02T00:00:00Z'");
    assert_eq!(
        q.to_string(),
        "[a:x = '1'] REPEATS 2 TIMES WITHIN 10 SECONDS START t'2020-01-01T00:00:00.000Z' STOP t'2020-01-02T00:00:00.000Z'"
    );
}

#[test]
fn errors_name_the_position() {
    let e = |t: &str, pos: usize, reason: &str| {
        let (at, why) = error(t);
        assert_eq!(at, pos, "{t}: {why}");
        assert!(why.contains(reason), "{t}: {why}");
    };
    // The validator's failure cases (intel/patterns/stix21-patterns.tsv).
    e("file:size = 1280", 0, "expected '[' or '('");
    e("[file:size = ]", 13, "expected a literal");
    e(
        "[file:hashes.MD5 = cead3f77f6cda6ec00f57d76c9a6879f]",
        19,
        "expected a literal",
    );
    e("[file.size = 1280]", 5, "expected ':'");
    e(
        r"[file:name MATCHES /.*\.dll/]",
        19,
        "unexpected character '/'",
    );
    e(
        "[w:key = 'k'] WITHIN ]",
        14,
        "WITHIN needs a positive number",
    );
    e("[w:key = 'k'] WITHIN 5 HOURS]", 23, "expected SECONDS");
    e(
        "[w:key = 'k'] WITHIN -5 SECONDS]",
        14,
        "WITHIN needs a positive number",
    );
    e(
        "[network-traffic:dst_ref.value ISSUBSET ]",
        40,
        "ISSUBSET needs a string",
    );
    e("[file:hashes.MD5 =? 'x']", 18, "unexpected character '?'");
    e(
        "[x_whatever:detected == t'2457-73-22T32:81:84.1Z']",
        24,
        "bad timestamp",
    );
    e("[artifact:payload_bin = b'====']", 24, "bad base64");
    e("[foo:bar=1] within 2 seconds", 12, "unexpected 'within'");
    e("[file:hashes.'SHA-256' = 'f00']", 25, "not a SHA-256 hash");
    e(
        "[w:key = 'k'] WITHIN 5 SECONDS WITHIN 6 SECONDS",
        31,
        "same qualifier twice",
    );
    e(
        "([w:key = 'k'] REPEATS 2 TIMES REPEATS 3 TIMES)",
        31,
        "same qualifier twice",
    );
    e(
        "[w:key = 'k'] START t'2016-06-01T01:30:00Z' STOP t'2016-06-01T02:20:00Z' START t'2016-06-01T01:30:00Z' STOP t'2016-06-01T02:20:00Z'",
        73,
        "same qualifier twice",
    );
    // Others.
    e("[a:x = '1'", 10, "expected ']'");
    e("[a:x = '1'] AND", 15, "expected '[' or '('");
    e("[a:x MATCHES '(']", 13, "bad regular expression");
    e(
        "[a:x MATCHES 'a{100000}{100000}']",
        13,
        "bad regular expression",
    );
    e("[a:x = '1'] REPEATS 0 TIMES", 12, "REPEATS needs a count");
    e(
        "[a:x = '1'] START t'2020-01-02T00:00:00Z' STOP t'2020-01-01T00:00:00Z'",
        12,
        "STOP must be after START",
    );
    e("[a:x IN ('a' 'b')]", 13, "expected ',' or ')'");
    e("[a:x > true]", 7, "boolean cannot be ordered");
    let deep = format!("{}[a:x = '1']{}", "(".repeat(100), ")".repeat(100));
    assert!(error(&deep).1.contains("nested too deeply"));
    assert!(Pattern::parse(&"x".repeat(MAX_PATTERN_LEN + 1)).is_err());
}

#[test]
fn hash_values_are_checked() {
    assert!(Pattern::parse("[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']").is_ok());
    assert!(Pattern::parse("[file:hashes.md5 = 'cead3f77f6cda6ec00f57d76c9a6879']").is_err());
    assert!(Pattern::parse("[file:hashes.'SHA-1' IN ('aa', 'bb')]").is_err());
    // Unknown algorithms are not checked.
    assert!(Pattern::parse("[file:hashes.SSDEEP = '3:abc:def']").is_ok());
}

fn ip(s: &str) -> std::net::IpAddr {
    s.parse().expect("ip")
}

#[test]
fn operators_on_events() {
    let web = Observed {
        src_ip: Some(ip("203.0.113.7")),
        dst_ip: Some(ip("192.0.2.10")),
        domain: Some("WWW.Example.com"),
        url: Some("https://www.example.com/login.php?x=1"),
        http_method: Some("POST"),
        http_path: Some("/login.php?x=1"),
        user_agent: Some("python-requests/2.31"),
        account: Some("1007"),
        ..ev()
    };
    let yes = |t: &str| assert!(p(t).matches(&web), "{t} should match");
    let no = |t: &str| assert!(!p(t).matches(&web), "{t} should not match");
    // = and != (domains case-insensitive, trailing dot ignored)
    yes("[domain-name:value = 'www.example.com.']");
    no("[domain-name:value = 'example.com']");
    yes("[domain-name:value != 'example.com']");
    yes("[url:value = 'https://www.example.com/login.php?x=1']");
    no("[url:value = 'https://WWW.example.com/login.php?x=1']");
    // Addresses: source or destination, CIDR, written as domain-name.
    yes("[ipv4-addr:value = '203.0.113.7']");
    yes("[ipv4-addr:value = '192.0.2.0/24']");
    yes("[ipv4-addr:value = '203.0.113.7/32']");
    no("[ipv4-addr:value = '198.51.100.1']");
    yes("[domain-name:value = '203.0.113.7']");
    yes("[network-traffic:src_ref.value = '203.0.113.7']");
    no("[network-traffic:src_ref.value = '192.0.2.10']");
    yes("[network-traffic:dst_ref.value = '192.0.2.10']");
    yes("[network-traffic:dst_ref.value = 'www.example.com']");
    yes("[network-traffic:dst_ref.type = 'domain-name']");
    yes("[network-traffic:src_ref.type = 'ipv4-addr']");
    no("[network-traffic:src_ref.type = 'ipv6-addr']");
    // ISSUBSET / ISSUPERSET
    yes("[ipv4-addr:value ISSUBSET '203.0.113.0/24']");
    no("[network-traffic:dst_ref.value ISSUBSET '203.0.113.0/24']");
    yes("[ipv4-addr:value ISSUPERSET '192.0.2.10/32']");
    no("[ipv4-addr:value ISSUPERSET '192.0.2.0/24']");
    // IN
    yes("[network-traffic:extensions.'http-request-ext'.request_method IN ('GET', 'POST')]");
    no("[network-traffic:extensions.'http-request-ext'.request_method IN ('GET', 'HEAD')]");
    yes("[ipv4-addr:value IN ('198.51.100.1', '203.0.113.0/24')]");
    // LIKE and MATCHES
    yes("[network-traffic:extensions.'http-request-ext'.request_value LIKE '/login._hp%']");
    no("[network-traffic:extensions.'http-request-ext'.request_value LIKE '/login.php']");
    yes("[network-traffic:extensions.'http-request-ext'.request_header.'user-agent' MATCHES '^python-requests/2\\\\.']");
    no("[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' MATCHES '^curl/']");
    // Numeric and ordering comparisons
    yes("[user-account:user_id >= 1000]");
    no("[user-account:user_id > 1007]");
    yes("[user-account:user_id = 1007]");
    yes("[user-account:account_login < '2']");
    no("[user-account:user_id > 'a']");
    // NOT, AND, OR
    yes("[domain-name:value NOT = 'evil.example']");
    no("[domain-name:value NOT LIKE '%.Example.com']");
    yes("[ipv4-addr:value = '203.0.113.7' AND url:value LIKE 'https://%']");
    no("[ipv4-addr:value = '203.0.113.7' AND url:value LIKE 'http://%']");
    yes("[ipv4-addr:value = '198.51.100.9' OR url:value LIKE 'https://%']");
    // A path the event lacks is false, with or without NOT.
    no("[email-addr:value NOT = 'a@b.example']");
    no("[file:name != 'x']");
    no("[x509-certificate:issuer NOT = 'CN=x']");
    // EXISTS
    yes("[EXISTS network-traffic:extensions.'http-request-ext'.request_header.'User-Agent']");
    no("[EXISTS email-addr:value]");
    // OR of observations is stateless; AND of observations is not.
    yes("[email-addr:value = 'a@b.example'] OR [domain-name:value = 'www.example.com']");
    no("[email-addr:value = 'a@b.example'] AND [domain-name:value = 'www.example.com']");
}

#[test]
fn hashes_emails_files_on_events() {
    let hashes = [
        (
            HashAlgo::Sha256,
            "AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F",
        ),
        (HashAlgo::Md5, "cead3f77f6cda6ec00f57d76c9a6879f"),
    ];
    let o = Observed {
        hashes: &hashes,
        file_name: Some("pdf.exe"),
        email: Some("JDoe@Example.com"),
        src_ip: Some(ip("::ffff:203.0.113.7")),
        ..ev()
    };
    for t in [
        "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
        "[file:hashes.sha256 = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
        "[file:hashes.MD5 = 'CEAD3F77F6CDA6EC00F57D76C9A6879F']",
        "[file:name = 'pdf.exe']",
        "[email-message:sender_ref.value = 'jdoe@example.com']",
        "[email-addr:value MATCHES '(?i)^jdoe@']",
        "[ipv4-addr:value = '203.0.113.7']",
    ] {
        assert!(p(t).matches(&o), "{t}");
    }
    for t in [
        "[file:hashes.'SHA-1' = '46aba99aa7158e4609aaa72b50990842fd22ae86']",
        "[file:hashes.MD5 = 'aec070645fe53ee3b3763059376134f0']",
        "[file:name = 'PDF.exe']",
    ] {
        assert!(!p(t).matches(&o), "{t}");
    }
}

fn dom(d: &'static str) -> Observed<'static> {
    Observed {
        domain: Some(d),
        ..ev()
    }
}

#[test]
fn state_and_followedby() {
    let pat = p("[domain-name:value = 'a.example'] FOLLOWEDBY [domain-name:value = 'b.example']");
    assert!(!pat.is_stateless());
    assert!(!pat.matches(&dom("b.example")));
    let mut s = pat.state();
    assert!(!s.observe(&dom("b.example"), Ts::from_secs(1)));
    assert!(!s.observe(&dom("a.example"), Ts::from_secs(2)));
    assert!(!s.observe(&dom("c.example"), Ts::from_secs(3)));
    assert!(s.observe(&dom("b.example"), Ts::from_secs(4)));

    let pat = p("[domain-name:value = 'a.example'] AND [domain-name:value = 'b.example']");
    let mut s = pat.state();
    assert!(!s.observe(&dom("b.example"), Ts::from_secs(1)));
    assert!(s.observe(&dom("a.example"), Ts::from_secs(2)));

    // One event never fills two steps of FOLLOWEDBY.
    let pat =
        p("[domain-name:value LIKE '%.example'] FOLLOWEDBY [domain-name:value LIKE '%.example']");
    let mut s = pat.state();
    assert!(!s.observe(&dom("a.example"), Ts::from_secs(1)));
    assert!(s.observe(&dom("a.example"), Ts::from_secs(2)));
}

#[test]
fn state_within_repeats_startstop() {
    let pat = p("([domain-name:value = 'a.example'] FOLLOWEDBY [domain-name:value = 'b.example']) WITHIN 60 SECONDS");
    let mut s = pat.state();
    assert!(!s.observe(&dom("a.example"), Ts::from_secs(0)));
    assert!(!s.observe(&dom("b.example"), Ts::from_secs(61)));
    assert!(!s.observe(&dom("a.example"), Ts::from_secs(100)));
    assert!(s.observe(&dom("b.example"), Ts::from_secs(160)));

    let pat = p("[domain-name:value = 'a.example'] REPEATS 3 TIMES WITHIN 10 SECONDS");
    let mut s = pat.state();
    assert!(!s.observe(&dom("a.example"), Ts::from_secs(0)));
    assert!(!s.observe(&dom("a.example"), Ts::from_secs(5)));
    assert!(!s.observe(&dom("other.example"), Ts::from_secs(6)));
    assert!(!s.observe(&dom("a.example"), Ts::from_secs(11))); // 0..11 too wide
    assert!(s.observe(&dom("a.example"), Ts::from_secs(12))); // 5, 11, 12

    let pat = p("[domain-name:value = 'a.example'] START t'2020-01-01T00:00:00Z' STOP t'2020-01-02T00:00:00Z'");
    let day = Ts::parse_rfc3339("2020-01-01T00:00:00Z").unwrap().secs();
    let mut s = pat.state();
    assert!(!s.observe(&dom("a.example"), Ts::from_secs(day - 1)));
    assert!(s.observe(&dom("a.example"), Ts::from_secs(day + 3600)));
    assert!(!s.observe(&dom("a.example"), Ts::from_secs(day + 86_400)));
}

#[test]
fn as_any_normalises() {
    let any = |t: &str| p(t).as_any();
    assert_eq!(
        any("[domain-name:value = 'Evil.Example.' OR domain-name:value = '::ffff:192.0.2.1' OR ipv6-addr:value = '2001:DB8::1']"),
        Some(vec![
            Observable::Domain("evil.example".into()),
            Observable::Ip("192.0.2.1/32".parse().unwrap()),
            Observable::Ip("2001:db8::1/128".parse().unwrap()),
        ])
    );
    assert_eq!(
        any("[email-addr:value = 'A@B.Example'] OR [user-account:account_login = 'Admin']"),
        Some(vec![
            Observable::Email("a@b.example".into()),
            Observable::Account("Admin".into()),
        ])
    );
    assert_eq!(
        any("[ipv4-addr:value ISSUBSET '198.51.100.77/24']"),
        Some(vec![Observable::Ip("198.51.100.0/24".parse().unwrap())])
    );
    assert_eq!(
        any("[domain-name:value IN ('a.example', 'b.example')]"),
        Some(vec![
            Observable::Domain("a.example".into()),
            Observable::Domain("b.example".into()),
        ])
    );
    // Not an OR of equalities.
    assert_eq!(
        any("[domain-name:value = 'a.example'] WITHIN 5 SECONDS"),
        None
    );
    assert_eq!(any("[domain-name:value != 'a.example']"), None);
    assert_eq!(any("[domain-name:value NOT = 'a.example']"), None);
    assert_eq!(any("[domain-name:value LIKE '%.example']"), None);
    assert_eq!(any("[ipv4-addr:value = 'not an ip']"), None);
    assert_eq!(any("[file:name = 'a.exe']"), None);
    assert_eq!(any("[a:x = '1' AND domain-name:value = 'a.example']"), None);
    // but anchored
    assert_eq!(
        p("[a:x = '1' AND domain-name:value = 'a.example']").anchors(),
        Some(vec![Observable::Domain("a.example".into())])
    );
    assert_eq!(p("[domain-name:value LIKE '%.example']").anchors(), None);
    assert_eq!(
        p("[url:value = 'http://a.example/'] OR [domain-name:value LIKE '%.example']").anchors(),
        None
    );
}

#[test]
fn support_names_what_logs_lack() {
    assert_eq!(
        p("[process:name = 'a'] OR [windows-registry-key:key = 'k']").support(),
        Support::NotOnLogs("not in logs: process:name, windows-registry-key:key".into())
    );
    let partial = p("[process:name = 'a'] OR [domain-name:value = 'a.example']");
    assert_eq!(partial.support(), Support::Logs);
    assert_eq!(partial.unsupported_paths(), ["process:name"]);
}

fn arb_literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        "[ -~]{0,12}".prop_map(Literal::Str),
        any::<i64>().prop_map(Literal::Int),
        (-1.0e6f64..1.0e6).prop_map(Literal::Float),
        any::<bool>().prop_map(Literal::Bool),
        "([0-9a-f]{2}){0,4}".prop_map(Literal::Hex),
        (0i64..4_000_000_000_000).prop_map(|ms| Literal::Timestamp(Ts(ms))),
    ]
}

fn arb_path() -> impl Strategy<Value = ObjectPath> {
    (
        "[a-z][a-z0-9-]{0,8}",
        prop::collection::vec(
            prop_oneof![
                "[a-z_][a-z0-9_]{0,6}".prop_map(PathStep::Key),
                "[ -~]{1,6}".prop_map(PathStep::Key),
                (0i64..9).prop_map(PathStep::Index),
                Just(PathStep::AnyIndex),
            ],
            0..3,
        ),
        "[a-z_][a-z0-9_]{0,6}",
    )
        .prop_filter("keywords are not names", |(t, _, k)| {
            !super::lexer::is_keyword(t) && !super::lexer::is_keyword(k)
        })
        .prop_map(|(object_type, rest, first)| {
            let mut steps = vec![PathStep::Key(first)];
            steps.extend(rest);
            ObjectPath { object_type, steps }
        })
}

fn arb_test() -> impl Strategy<Value = CompExpr> {
    (arb_path(), any::<bool>(), arb_literal(), 0u8..4).prop_map(|(path, negated, lit, op)| {
        let (op, operand) = match op {
            0 => (CmpOp::Eq, Operand::Literal(lit)),
            1 => (CmpOp::Neq, Operand::Literal(lit)),
            2 => (CmpOp::In, Operand::Set(vec![lit.clone(), lit])),
            _ => (CmpOp::Exists, Operand::None),
        };
        CompExpr::Test(Test::new(path, negated && op != CmpOp::Exists, op, operand))
    })
}

fn arb_comp() -> impl Strategy<Value = CompExpr> {
    arb_test().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(CompExpr::And),
            prop::collection::vec(inner, 2..4).prop_map(CompExpr::Or),
        ]
    })
}

fn arb_qualifier() -> impl Strategy<Value = Qualifier> {
    prop_oneof![
        (1u32..50).prop_map(Qualifier::Repeats),
        (1i64..100_000).prop_map(|s| Qualifier::Within(s as f64)),
        (1u32..10_000).prop_map(|s| Qualifier::Within(f64::from(s) / 8.0)),
        (0i64..2_000_000_000_000, 1i64..1_000_000)
            .prop_map(|(a, d)| Qualifier::StartStop(Ts(a), Ts(a + d))),
    ]
}

fn arb_obs() -> impl Strategy<Value = ObsExpr> {
    arb_comp()
        .prop_map(ObsExpr::Observation)
        .prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(ObsExpr::And),
                prop::collection::vec(inner.clone(), 2..4).prop_map(ObsExpr::Or),
                prop::collection::vec(inner.clone(), 2..4).prop_map(ObsExpr::FollowedBy),
                (inner, arb_qualifier())
                    .prop_filter("one qualifier per expression", |(e, _)| {
                        !matches!(e, ObsExpr::Qualified(..))
                    })
                    .prop_map(|(e, q)| ObsExpr::Qualified(Box::new(e), q)),
            ]
        })
}

proptest! {
    #[test]
    fn display_parses_back(expr in arb_obs()) {
        let pat = Pattern { expr };
        let text = pat.to_string();
        let again = Pattern::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(again, pat, "{}", text);
    }
}
