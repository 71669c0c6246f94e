//! Making attacker-controlled text safe to show.

pub use haboob_model::terminal;

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
