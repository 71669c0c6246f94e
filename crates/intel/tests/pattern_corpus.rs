//! Every line of the STIX 2.1 pattern corpus (the specification's examples,
//! the OASIS validator's failure cases, MISP's user-agent patterns): valid
//! lines parse and re-parse from their text, invalid lines are rejected,
//! and each valid pattern's mapping onto logs is the expected one.

use haboob_intel::pattern::{Pattern, Support};
use haboob_intel::{HashAlgo, Observable};
use std::io::BufRead;

/// Whether each valid line (in file order) can be evaluated on logs.
const LOGS: &[(&str, bool)] = &[
    ("[file:hashes.'SHA-256' = 'aec07", true),
    ("[email-message:from_ref.value MATCHES", false), // body_multipart
    ("[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type", false),
    ("[file:hashes.'SHA-256' = 'bf07", true),
    ("([file:hashes.MD5 = '7905", false), // win-registry-key
    ("[user-account:account_type", false),
    ("[artifact:", false),
    ("[file:name = 'foo.dll' AND file:parent_directory_ref", false),
    ("[file:extensions.'windows-pebinary-ext'", false),
    ("[file:mime_type = 'image/bmp'", false),
    ("[network-traffic:dst_ref.type = 'ipv4-addr'", true),
    ("[network-traffic:dst_ref.type = 'domain-name'", true),
    ("[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs", false),
    ("[url:value", true),
    ("[x509-certificate:", false),
    ("[windows-registry-key:", false),
    ("[(file:name = 'pdf.exe' OR file:size", false),
    ("[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject", false),
    ("[x-usb-device:", false),
    ("[process:command_line", false),
    ("[network-traffic:dst_ref.value ISSUBSET", true),
    ("([file:name = 'foo.dll'] AND [win-registry-key", false),
    ("[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a69faa']", true),
    ("[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'Mozilla Firefox']", true),
    ("[(network-traffic:src_ref.type", false), // request_header.'Content-Type'
];

#[test]
fn stix21_pattern_corpus() {
    let Some(path) = haboob_testdata::corpus_file_or_skip(
        "stix21_pattern_corpus",
        "intel/patterns/stix21-patterns.tsv",
    ) else {
        return;
    };
    let file = std::fs::File::open(&path).expect("open corpus file");
    let (mut valid, mut invalid) = (0, 0);
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.expect("read line");
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let mut cols = line.splitn(3, '\t');
        let (verdict, origin, text) = (
            cols.next().unwrap_or_default(),
            cols.next().unwrap_or_default(),
            cols.next()
                .unwrap_or_else(|| panic!("line {}: no pattern column", n + 1)),
        );
        let parsed = Pattern::parse(text);
        match verdict {
            "valid" => {
                let p = parsed.unwrap_or_else(|e| panic!("line {} ({origin}): {e}: {text}", n + 1));
                let again = Pattern::parse(&p.to_string())
                    .unwrap_or_else(|e| panic!("line {}: display {p} does not parse: {e}", n + 1));
                assert_eq!(again, p, "line {}: round trip through {p}", n + 1);
                let (prefix, logs) = LOGS[valid];
                assert!(
                    text.starts_with(prefix),
                    "line {}: expected {prefix}",
                    n + 1
                );
                assert_eq!(
                    p.support() == Support::Logs,
                    logs,
                    "line {}: support {:?} for {text}",
                    n + 1,
                    p.support()
                );
                valid += 1;
            }
            "invalid" => {
                assert!(parsed.is_err(), "line {} ({origin}) parsed: {text}", n + 1);
                invalid += 1;
            }
            v => panic!("line {}: verdict {v:?}", n + 1),
        }
    }
    assert_eq!((valid, invalid), (25, 17));
    assert_eq!(valid, LOGS.len());
}

#[test]
fn spec_examples_observables() {
    let any = |t: &str| Pattern::parse(t).expect("parse").as_any();
    let anchors = |t: &str| Pattern::parse(t).expect("parse").anchors();
    assert_eq!(
        any("[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']"),
        Some(vec![
            Observable::Url("http://example.com/foo".into()),
            Observable::Url("http://example.com/bar".into())
        ])
    );
    assert_eq!(
        any("[file:hashes.MD5 = 'CEAD3f77f6cda6ec00f57d76c9a69faa']"),
        Some(vec![Observable::Hash(
            HashAlgo::Md5,
            "cead3f77f6cda6ec00f57d76c9a69faa".into()
        )])
    );
    // A network-traffic reference keeps its direction: no Any, but anchors.
    let t = "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']";
    assert_eq!(any(t), None);
    assert_eq!(
        anchors(t),
        Some(vec![Observable::Ip(
            "2001:db8:dead:beef::/64".parse().unwrap()
        )])
    );
    let t = "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS";
    assert_eq!(any(t), None);
    assert_eq!(
        anchors(t),
        Some(vec![Observable::Domain("example.com".into())])
    );
    // Two observations: every event of a match carries one of the three.
    let t = "[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']";
    assert_eq!(any(t), None);
    assert_eq!(anchors(t).map(|a| a.len()), Some(3));
    // No anchor when an observation has none.
    assert_eq!(
        anchors("[file:name = 'foo.dll'] AND [url:value = 'http://a.example/']"),
        None
    );
}
