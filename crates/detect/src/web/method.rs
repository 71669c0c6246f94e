//! HTTP method tests shared by the web rules.

/// The request's method is `lower` (lower-case letters), in any case: what
/// `eq_ignore_ascii_case` answers, without a loop (`c | 0x20` is a letter
/// `l` only for `l` and its upper case).
#[inline]
pub(crate) fn method_is(method: &str, lower: &[u8]) -> bool {
    let m = method.as_bytes();
    m.len() == lower.len() && m.iter().zip(lower).all(|(c, l)| c | 0x20 == *l)
}

#[cfg(test)]
mod tests {
    use super::method_is;

    #[test]
    fn methods_match_as_eq_ignore_ascii_case_does() {
        let names: [&[u8]; 7] = [
            b"get", b"head", b"post", b"put", b"patch", b"delete", b"connect",
        ];
        // Every byte in every position of the names, and other lengths.
        for name in names {
            let upper = name.to_ascii_uppercase();
            for i in 0..name.len() {
                for b in 0..=255u8 {
                    let mut m = upper.clone();
                    m[i] = b;
                    let Ok(text) = std::str::from_utf8(&m) else {
                        continue;
                    };
                    let want = text.eq_ignore_ascii_case(std::str::from_utf8(name).unwrap());
                    assert_eq!(method_is(text, name), want, "{text:?}");
                }
            }
        }
        assert!(method_is("GeT", b"get"));
        assert!(!method_is("GETS", b"get"));
        assert!(!method_is("", b"get"));
        assert!(!method_is("G\x05T", b"get"));
    }
}
