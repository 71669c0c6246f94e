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

/// Defuse spreadsheet formula injection: a cell starting with `=`, `+`, `-`,
/// `@`, tab or CR is prefixed with `'`.
pub fn csv_cell(s: &str) -> String {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls_and_bounds() {
        assert_eq!(terminal("a\x1b[31mb\r\n", 100), "a\\u{1b}[31mb\\u{d}\\u{a}");
        assert_eq!(terminal("abcdef", 3), "abc…");
        assert_eq!(terminal("x\u{202e}y", 10), "x\\u{202e}y");
        assert_eq!(terminal("ünïcode ok", 100), "ünïcode ok");
    }

    #[test]
    fn defuses_formulas() {
        assert_eq!(csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_cell("@SUM(1)"), "'@SUM(1)");
        assert_eq!(csv_cell("/index.html"), "/index.html");
    }
}
