//! The words read in place (one-byte words, status codes, byte counts,
//! `GET ` and `HTTP/1.x`) against the reference reader, around every limit
//! of the fast paths.

use super::{Clf, ClfKind};
use crate::clf_ref;
use crate::text::RecordParser;

#[test]
fn words_read_in_place_as_the_reference() {
    let mut lines = Vec::new();
    for status in ["20", "200", "2000", "200x", "", "-", "é"] {
        for bytes in [
            "1",
            "1234567890123456789",
            "12345678901234567890",
            "12x",
            "-",
            "",
        ] {
            for tail in ["", " ", r#" "-" "ua""#, "  x"] {
                lines.push(format!(
                    r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" {status} {bytes}{tail}"#
                ));
            }
        }
    }
    // Requests around the `GET ` and `HTTP/1.x` shortcuts.
    for request in [
        "GET / HTTP/1.1",
        "GET / HTTP/1.0",
        "GET / HTTP/1. ",
        "GET / HTTP/1.1 ",
        "GET / HTTP/1.1x",
        "GET /a b HTTP/1.1",
        "GET  / HTTP/1.1",
        "GET /  HTTP/1.1",
        "GET /",
        "GET ",
        "GET",
        "GETX / HTTP/1.1",
        "get / HTTP/1.1",
        "POST /x?a=1 HTTP/1.1",
        r#"GET /\" HTTP/1.1"#,
    ] {
        lines.push(format!(
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "{request}" 200 5 "-" "ua""#
        ));
    }
    // One-byte words and their neighbours in the ident and user fields.
    for (ident, user) in [
        ("-", "-"),
        ("a", "b"),
        ("", "-"),
        ("-", ""),
        ("ab", "é"),
        ("é", "x"),
    ] {
        lines.push(format!(
            r#"1.2.3.4 {ident} {user} [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua""#
        ));
    }
    for kind in [
        ClfKind::Common,
        ClfKind::Combined,
        ClfKind::VhostCombined,
        ClfKind::BunkerWeb,
    ] {
        for xff in 0..3 {
            // One parser for the whole sequence (its caches see it all).
            let mut new = Clf::new(kind, xff);
            for line in &lines {
                let got = format!("{:?}", new.parse_rec(line, None));
                let want = format!("{:?}", clf_ref::parse_rec(kind, xff, line));
                assert_eq!(got, want, "{kind:?} field {xff}: {line:?}");
            }
        }
    }
}
