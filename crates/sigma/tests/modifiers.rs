//! Every modifier and condition form, each with a hit and a near miss.

mod common;
use common::{hit, s, Rec};
use haboob_model::Value;

fn one(field: &'static str, v: Value<'static>) -> Rec {
    Rec(vec![(field, v)])
}

#[test]
fn plain_values_are_case_insensitive_and_whole() {
    let d = "sel:\n    eventType: user.session.START\ncondition: sel";
    assert!(hit(d, &one("eventType", s("User.Session.Start"))));
    assert!(!hit(d, &one("eventType", s("user.session.start.x"))));
    assert!(!hit(d, &one("other", s("user.session.start"))));
}

#[test]
fn cased_keeps_case() {
    let d = "sel:\n    eventType|cased: Abc\ncondition: sel";
    assert!(hit(d, &one("eventType", s("Abc"))));
    assert!(!hit(d, &one("eventType", s("abc"))));
}

#[test]
fn contains_startswith_endswith() {
    let d = "sel:\n    a|contains: mimi\ncondition: sel";
    assert!(hit(d, &one("a", s("xxMIMIxx"))));
    assert!(!hit(d, &one("a", s("xxmimxx"))));
    let d = "sel:\n    a|startswith: 'C:\\Windows\\'\ncondition: sel";
    assert!(hit(d, &one("a", s("c:\\windows\\system32"))));
    assert!(!hit(d, &one("a", s("d:\\windows\\system32"))));
    let d = "sel:\n    a|endswith: '\\cmd.exe'\ncondition: sel";
    assert!(hit(d, &one("a", s("C:\\x\\CMD.EXE"))));
    assert!(!hit(d, &one("a", s("C:\\x\\cmd.exe.bak"))));
}

#[test]
fn wildcards_and_escapes() {
    let d = "sel:\n    a: 'ab?d*z'\ncondition: sel";
    assert!(hit(d, &one("a", s("abcdXYZ"))));
    assert!(!hit(d, &one("a", s("abdXYZ"))));
    let d = "sel:\n    a: 'lit\\*'\ncondition: sel";
    assert!(hit(d, &one("a", s("lit*"))));
    assert!(!hit(d, &one("a", s("litX"))));
}

#[test]
fn lists_or_and_all() {
    let d = "sel:\n    a:\n        - x\n        - y\ncondition: sel";
    assert!(hit(d, &one("a", s("y"))));
    assert!(!hit(d, &one("a", s("z"))));
    let d = "sel:\n    a|contains|all:\n        - x\n        - y\ncondition: sel";
    assert!(hit(d, &one("a", s("__y__x__"))));
    assert!(!hit(d, &one("a", s("__y__"))));
}

#[test]
fn maps_are_and_lists_of_maps_are_or() {
    let d = "sel:\n    a: 1\n    b: 2\ncondition: sel";
    assert!(hit(d, &Rec(vec![("a", s("1")), ("b", Value::Int(2))])));
    assert!(!hit(d, &Rec(vec![("a", s("1")), ("b", Value::Int(3))])));
    let d = "sel:\n    - a: 1\n    - b: 2\ncondition: sel";
    assert!(hit(d, &Rec(vec![("a", s("0")), ("b", Value::Int(2))])));
    assert!(!hit(d, &Rec(vec![("a", s("0")), ("b", Value::Int(3))])));
}

#[test]
fn numbers_match_integers_and_text() {
    let d = "sel:\n    EventID: 4624\ncondition: sel";
    assert!(hit(d, &one("EventID", Value::Int(4624))));
    assert!(hit(d, &one("EventID", s("4624"))));
    assert!(!hit(d, &one("EventID", Value::Int(46240))));
    assert!(!hit(d, &one("EventID", s("4625"))));
}

#[test]
fn null_and_empty() {
    let d = "sel:\n    a: null\ncondition: sel";
    assert!(hit(d, &Rec(vec![])));
    assert!(hit(d, &one("a", Value::Null)));
    assert!(!hit(d, &one("a", s("x"))));
    let d = "sel:\n    a: ''\ncondition: sel";
    assert!(hit(d, &one("a", Value::Null)));
    assert!(hit(d, &one("a", s(""))));
    assert!(!hit(d, &one("a", s("x"))));
    assert!(!hit(d, &Rec(vec![])));
}

#[test]
fn exists() {
    let d = "sel:\n    a|exists: true\ncondition: sel";
    assert!(hit(d, &one("a", Value::Null)));
    assert!(!hit(d, &one("b", s("x"))));
    let d = "sel:\n    a|exists: false\ncondition: sel";
    assert!(hit(d, &one("b", s("x"))));
    assert!(!hit(d, &one("a", s("x"))));
}

#[test]
fn keywords_search_every_field() {
    let d = "keywords:\n    - 'event::clear'\n    - 'drop'\ncondition: keywords";
    assert!(hit(
        d,
        &Rec(vec![("x", s("1")), ("msg", s("mimikatz EVENT::Clear"))])
    ));
    assert!(hit(
        d,
        &Rec(vec![("n", Value::Int(5)), ("msg", s("dropped"))])
    ));
    assert!(!hit(d, &Rec(vec![("msg", s("event:clear"))])));
    let d =
        "keywords:\n    '|all':\n        - 'Oab'\n        - ' -ExternalUrl '\ncondition: keywords";
    assert!(hit(
        d,
        &Rec(vec![("a", s("oab")), ("b", s("x -externalurl y"))])
    ));
    assert!(!hit(
        d,
        &Rec(vec![("a", s("oab")), ("b", s("x -internalurl y"))])
    ));
}

#[test]
fn base64_and_base64offset() {
    // "cmd" -> "Y21k"
    let d = "sel:\n    a|base64: cmd\ncondition: sel";
    assert!(hit(d, &one("a", s("Y21k"))));
    assert!(!hit(d, &one("a", s("Y21kZA=="))));
    // "http" at offsets 0, 1, 2 of encoded text.
    let d = "sel:\n    a|base64offset|contains: http\ncondition: sel";
    for plain in ["http://x", "Ahttp://x", "ABhttp://x"] {
        let enc = b64(plain.as_bytes());
        let leaked: &'static str = Box::leak(enc.into_boxed_str());
        assert!(hit(d, &one("a", s(leaked))), "{plain}");
    }
    assert!(!hit(d, &one("a", s("aHR0-no"))));
    // `all`: every value (any of its three encodings) must be found.
    let d = "sel:\n    a|base64offset|contains|all:\n        - http\n        - ftp\ncondition: sel";
    let both: &'static str =
        Box::leak(format!("{} {}", b64(b"xhttp"), b64(b"ftp")).into_boxed_str());
    assert!(hit(d, &one("a", s(both))));
    let http_only: &'static str = Box::leak(b64(b"xhttp").into_boxed_str());
    assert!(!hit(d, &one("a", s(http_only))));
    // The same on keywords: each value in some field, any of its encodings.
    let d = "kw:\n    '|base64offset|all':\n        - http\n        - ftp\ncondition: kw";
    let ftp: &'static str = Box::leak(b64(b"ftp").into_boxed_str());
    assert!(hit(d, &Rec(vec![("a", s(http_only)), ("b", s(ftp))])));
    assert!(!hit(d, &Rec(vec![("a", s(http_only))])));
    assert!(!hit(d, &one("a", s("ZnRwOi8v"))));
}

fn b64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn utf16_encodings() {
    // wide|base64: "cmd" as UTF-16LE "c\0m\0d\0" -> "YwBtAGQA"
    let d = "sel:\n    a|wide|base64: cmd\ncondition: sel";
    assert!(hit(d, &one("a", s("YwBtAGQA"))));
    assert!(!hit(d, &one("a", s("Y21k"))));
    let d = "sel:\n    a|utf16le|base64: cmd\ncondition: sel";
    assert!(hit(d, &one("a", s("YwBtAGQA"))));
    // UTF-16BE "\0c\0m\0d" -> "AGMAbQBk"
    let d = "sel:\n    a|utf16be|base64: cmd\ncondition: sel";
    assert!(hit(d, &one("a", s("AGMAbQBk"))));
    assert!(!hit(d, &one("a", s("YwBtAGQA"))));
    // BOM FF FE + LE -> "//5jAG0AZAA="
    let d = "sel:\n    a|utf16|base64: cmd\ncondition: sel";
    assert!(hit(d, &one("a", s("//5jAG0AZAA="))));
    assert!(!hit(d, &one("a", s("YwBtAGQA"))));
    // Without base64: the raw UTF-16LE bytes.
    let d = "sel:\n    a|wide|contains: ab\ncondition: sel";
    assert!(hit(d, &one("a", s("xa\0b\0y"))));
    assert!(!hit(d, &one("a", s("xaby"))));
}

#[test]
fn windash() {
    let d = "sel:\n    a|windash|contains: ' -enc '\ncondition: sel";
    assert!(hit(d, &one("a", s("powershell /enc AAA"))));
    assert!(hit(d, &one("a", s("powershell \u{2014}enc AAA"))));
    assert!(hit(d, &one("a", s("powershell -ENC AAA"))));
    assert!(!hit(d, &one("a", s("powershell +enc AAA"))));
}

#[test]
fn regex_and_flags() {
    let d = "sel:\n    a|re: '^ab+c$'\ncondition: sel";
    assert!(hit(d, &one("a", s("abbbc"))));
    assert!(!hit(d, &one("a", s("ABBBC"))));
    let d = "sel:\n    a|re|i: '^ab+c$'\ncondition: sel";
    assert!(hit(d, &one("a", s("ABBBC"))));
    assert!(!hit(d, &one("a", s("ABBBD"))));
    let d = "sel:\n    a|re|m: '^x$'\ncondition: sel";
    assert!(hit(d, &one("a", s("a\nx\nb"))));
    assert!(!hit(d, &one("a", s("a\nxy\nb"))));
    let d = "sel:\n    a|re|s: 'a.b'\ncondition: sel";
    assert!(hit(d, &one("a", s("a\nb"))));
    let d = "sel:\n    a|re: 'a.b'\ncondition: sel";
    assert!(!hit(d, &one("a", s("a\nb"))));
    // Unanchored search, numbers as text.
    let d = "sel:\n    a|re: '46[0-9]{2}'\ncondition: sel";
    assert!(hit(d, &one("a", Value::Int(4624))));
    assert!(!hit(d, &one("a", Value::Int(4524))));
}

#[test]
fn cidr() {
    let d = "sel:\n    ip|cidr:\n        - 10.0.0.0/8\n        - 'fd00::/8'\ncondition: sel";
    assert!(hit(d, &one("ip", s("10.20.30.40"))));
    assert!(hit(d, &one("ip", s("fd12::1"))));
    assert!(!hit(d, &one("ip", s("11.0.0.1"))));
    assert!(!hit(d, &one("ip", s("fe80::1"))));
}

#[test]
fn expand_placeholders_from_the_mapping() {
    let m = haboob_sigma::Mapping::parse(
        "[placeholders]\nAdmins = [\"adm_*\", \"root\"]\n\n[[source]]\nproduct = \"okta\"\nservice = \"okta\"\nfamily = \"okta\"\n",
        std::path::Path::new("m.toml"),
    )
    .unwrap();
    let l = common::load_text_with(
        &common::okta_rule("sel:\n    user|expand: '%Admins%'\ncondition: sel"),
        &m,
    );
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let mut out = Vec::new();
    l.rules.matches(
        haboob_sigma::Family::Okta,
        &one("user", s("ADM_bob")),
        &mut out,
    );
    assert_eq!(out.len(), 1);
    out.clear();
    l.rules
        .matches(haboob_sigma::Family::Okta, &one("user", s("bob")), &mut out);
    assert!(out.is_empty());
    // Unresolved placeholder: unsupported, named.
    let e = common::only_error(&common::okta_rule(
        "sel:\n    user|expand: '%Nope%'\ncondition: sel",
    ));
    assert!(
        matches!(e, haboob_sigma::LoadError::Unsupported { ref feature, .. } if feature.contains("%Nope%")),
        "{e}"
    );
}

#[test]
fn fieldref() {
    let d = "sel:\n    a|fieldref: b\ncondition: sel";
    assert!(hit(d, &Rec(vec![("a", s("Bob")), ("b", s("bob"))])));
    assert!(!hit(d, &Rec(vec![("a", s("bob")), ("b", s("alice"))])));
    assert!(!hit(d, &Rec(vec![("a", s("bob"))])));
    let d = "sel:\n    a|fieldref|endswith: b\ncondition: sel";
    assert!(hit(d, &Rec(vec![("a", s("xx\\bob")), ("b", s("bob"))])));
    assert!(!hit(d, &Rec(vec![("a", s("bob\\xx")), ("b", s("bob"))])));
}

#[test]
fn numeric_comparisons() {
    for (m, yes, no) in [
        ("gt", 11, 10),
        ("gte", 10, 9),
        ("lt", 9, 10),
        ("lte", 10, 11),
    ] {
        let d = format!("sel:\n    n|{m}: 10\ncondition: sel");
        assert!(hit(&d, &one("n", Value::Int(yes))), "{m}");
        assert!(!hit(&d, &one("n", Value::Int(no))), "{m}");
    }
    let d = "sel:\n    n|gt: 10\ncondition: sel";
    assert!(hit(d, &one("n", s("12"))));
    assert!(!hit(d, &one("n", s("x"))));
}

#[test]
fn neq_and_time_parts() {
    let d = "sel:\n    a|neq:\n        - x\n        - y\ncondition: sel";
    assert!(hit(d, &one("a", s("z"))));
    assert!(!hit(d, &one("a", s("y"))));
    assert!(!hit(d, &Rec(vec![])));
    let d = "sel:\n    t|hour|gte: 22\ncondition: sel";
    assert!(hit(d, &one("t", s("2026-11-28T23:01:00Z"))));
    assert!(!hit(d, &one("t", s("2026-11-28T21:59:00Z"))));
    let d = "sel:\n    t|month: 11\ncondition: sel";
    assert!(hit(d, &one("t", s("2026-11-28T23:01:00Z"))));
    assert!(!hit(d, &one("t", s("2026-10-28T23:01:00Z"))));
}

fn ab(a: &'static str, b: &'static str) -> Rec {
    Rec(vec![("a", s(a)), ("b", s(b))])
}

#[test]
fn condition_forms() {
    let sels = "sel_a:\n    a: 1\nsel_b:\n    b: 1\n_hidden:\n    a: 9\n";
    let c = |cond: &str| format!("{sels}condition: {cond}");
    assert!(hit(&c("sel_a and sel_b"), &ab("1", "1")));
    assert!(!hit(&c("sel_a and sel_b"), &ab("1", "0")));
    assert!(hit(&c("sel_a or sel_b"), &ab("0", "1")));
    assert!(!hit(&c("sel_a or sel_b"), &ab("0", "0")));
    assert!(hit(&c("sel_a and not sel_b"), &ab("1", "0")));
    assert!(!hit(&c("sel_a and not sel_b"), &ab("1", "1")));
    assert!(hit(&c("1 of sel_*"), &ab("0", "1")));
    assert!(!hit(&c("1 of sel_*"), &ab("0", "0")));
    assert!(hit(&c("all of sel_*"), &ab("1", "1")));
    assert!(!hit(&c("all of sel_*"), &ab("1", "0")));
    assert!(hit(&c("1 of them"), &ab("1", "0")));
    // `them` leaves out identifiers starting with `_`.
    assert!(!hit(&c("1 of them"), &ab("9", "0")));
    assert!(hit(&c("all of them"), &ab("1", "1")));
    assert!(!hit(&c("all of them"), &ab("1", "0")));
    // Precedence: or < and < not; parentheses.
    assert!(hit(&c("sel_a or sel_b and not sel_a"), &ab("1", "0")));
    assert!(!hit(&c("(sel_a or sel_b) and not sel_a"), &ab("1", "0")));
    assert!(hit(&c("(sel_a or sel_b) and not sel_a"), &ab("0", "1")));
    assert!(hit(&c("not 1 of sel_* or _hidden"), &ab("9", "0")));
    // A list of conditions is OR.
    let d = format!("{sels}condition:\n    - sel_a\n    - sel_b");
    assert!(hit(&d, &ab("0", "1")));
    assert!(!hit(&d, &ab("0", "0")));
}
