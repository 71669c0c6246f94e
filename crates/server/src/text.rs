//! Attacker-controlled text made safe to show: bounded, control and
//! direction-changing characters written as `\u{…}` escapes. HTML escaping
//! is maud's job; JSON escaping serde_json's.

use std::fmt::Write as _;

/// `s` with at most `max` characters (then `…`), control characters
/// (C0, DEL, C1) and invisible or bidirectional formatting characters
/// replaced by `\u{hex}`.
pub(crate) fn clean(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max) + 8);
    for (n, c) in s.chars().enumerate() {
        if n >= max {
            out.push('…');
            break;
        }
        if c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
        {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
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
