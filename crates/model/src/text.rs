//! Making attacker-controlled text safe to show.

use std::fmt::Write;

/// Escape control characters (C0, DEL, C1: ESC, CR, BEL, …) and invisible
/// or bidirectional formatting characters as `\u{1b}`-style text so a log
/// line cannot drive the terminal or hide what it says, and bound the length
/// to `max` chars (adding `…` when cut).
pub fn terminal(s: &str, max: usize) -> String {
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

/// `s` cut to at most `max` bytes at a character boundary (no marker added).
pub fn bounded(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Cut an owned `s` to at most `max` bytes at a character boundary.
pub fn truncate_bounded(s: &mut String, max: usize) {
    let keep = bounded(s, max).len();
    s.truncate(keep);
}
