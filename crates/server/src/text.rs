//! Attacker-controlled text made safe to show: bounded, control and
//! direction-changing characters written as `\u{…}` escapes. HTML escaping
//! is maud's job; JSON escaping serde_json's.

/// `s` with at most `max` characters (then `…`), control characters
/// (C0, DEL, C1) and invisible or bidirectional formatting characters
/// replaced by `\u{hex}`: the terminal report's escaping, shared.
pub(crate) fn clean(s: &str, max: usize) -> String {
    haboob_model::terminal(s, max)
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn escapes_terminal_bytes_and_bounds() {
        assert_eq!(clean("a\x1b[31mb\u{202e}c", 100), "a\\u{1b}[31mb\\u{202e}c");
        assert_eq!(clean("abcdef", 3), "abc…");
        assert_eq!(clean("tab\there\n", 100), "tab\\u{9}here\\u{a}");
        assert_eq!(clean("<script>", 100), "<script>");
    }
}
