//! The words read in place (one-byte words, status codes, byte counts)
//! against the reference reader, around every limit of the fast paths.

use super::{Clf, ClfKind};
use crate::clf_ref;
use crate::text::RecordParser;

#[test]
fn status_and_byte_counts_read_as_the_reference() {
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
