//! The words read in place (one-byte words, status codes, byte counts,
//! `GET ` and `HTTP/1.x`) against the reference reader, around every limit
//! of the fast paths.

use super::{leading_digits, Clf, ClfKind};
use crate::clf_ref;
use crate::text::RecordParser;
use proptest::prelude::*;

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
    // A status read in place at the end of the line, or with too few
    // bytes after it for the word read (`three_digits` falls back there).
    for tail in [
        "200", "20", "2000", "200 ", "200x", "20 5", "200 5", "2 ", "2", "",
    ] {
        lines.push(format!(
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" {tail}"#
        ));
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
        "GET  HTTP/1.1",
        "GET\t/ HTTP/1.1",
        "GET / HTTP/1.1 HTTP/1.1",
        "GET / HTTP/2",
        "GET / http/1.1",
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
    agree_with_the_reference(
        &[
            ClfKind::Common,
            ClfKind::Combined,
            ClfKind::VhostCombined,
            ClfKind::BunkerWeb,
        ],
        &lines,
    );
}

/// Quotes after runs of backslashes (none to five, at the start of a field
/// and inside it, before its end and at the end of the line), in every
/// quoted field: the quote search with its look back reads them as the
/// reference's escape walk.
#[test]
fn quoted_at_as_an_escape_walk() {
    let mut texts = Vec::new();
    for run in 0..6 {
        let r = "\\".repeat(run);
        for t in [
            format!("{r}\""),
            format!("a{r}\"b"),
            format!("{r}\"x{r}\"y"),
            format!("a b{r}"),
            format!("\\a{r}\" z"),
            format!("é{r}\"é"),
        ] {
            texts.push(t);
        }
    }
    let mut lines = Vec::new();
    for t in &texts {
        lines.push(format!(
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /{t} HTTP/1.1" 200 5 "-" "ua""#
        ));
        lines.push(format!(
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "{t}" "ua" "198.51.100.7""#
        ));
        lines.push(format!(
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "{t}" "x{t}" "198.51.100.7""#
        ));
        lines.push(format!(
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "{t}"#
        ));
    }
    agree_with_the_reference(&[ClfKind::Common, ClfKind::Combined], &lines);
}

/// What [`leading_digits`] stands for: the digits an eight-byte word
/// starts with, a step per byte.
fn leading_digits_walk(w: [u8; 8]) -> Option<(usize, u64)> {
    let n = w.iter().take_while(|c| c.is_ascii_digit()).count();
    (n < 8).then(|| {
        let v = w[..n]
            .iter()
            .fold(0u64, |v, c| v * 10 + u64::from(c - b'0'));
        (n, v)
    })
}

proptest! {
    /// Words of digits and their neighbours (`/` and `:` around the digits,
    /// bytes that borrow when `0` is taken away, high bytes).
    #[test]
    fn leading_digits_as_a_walk(w in prop::array::uniform8(prop::sample::select(
        b"0123456789/: -\x00\x7f\x80\xb0\xb9\xffa".to_vec()))) {
        prop_assert_eq!(leading_digits(u64::from_le_bytes(w)), leading_digits_walk(w), "{:?}", w);
    }

    /// Any byte anywhere.
    #[test]
    fn leading_digits_as_a_walk_any(w in any::<[u8; 8]>(), n in 0usize..8) {
        // Mostly digits up to `n`.
        let mut w = w;
        for c in w.iter_mut().take(n) {
            *c = b'0' + (*c % 10);
        }
        prop_assert_eq!(leading_digits(u64::from_le_bytes(w)), leading_digits_walk(w), "{:?}", w);
    }
}

#[test]
fn leading_digits_at_every_length() {
    for n in 0..=8 {
        for fill in [b'9', b'0', b'5'] {
            for stop in [b' ', b'/', b':', 0, 0xff] {
                let mut w = [stop; 8];
                w[..n].fill(fill);
                assert_eq!(
                    leading_digits(u64::from_le_bytes(w)),
                    leading_digits_walk(w),
                    "{w:?}"
                );
            }
        }
    }
    assert_eq!(
        leading_digits(u64::from_le_bytes(*b"1234567 ")),
        Some((7, 1_234_567))
    );
    assert_eq!(
        leading_digits(u64::from_le_bytes(*b"200 2326")),
        Some((3, 200))
    );
    assert_eq!(leading_digits(u64::from_le_bytes(*b"12345678")), None);
}

/// Each line parses as the reference parser reads it, for each kind and
/// forwarded-for field, one parser per sequence (its caches see it all).
fn agree_with_the_reference(kinds: &[ClfKind], lines: &[String]) {
    for &kind in kinds {
        for xff in 0..3 {
            let mut new = Clf::new(kind, xff);
            for line in lines {
                let got = format!("{:?}", new.parse_rec(line, None));
                let want = format!("{:?}", clf_ref::parse_rec(kind, xff, line));
                assert_eq!(got, want, "{kind:?} field {xff}: {line:?}");
            }
        }
    }
}
