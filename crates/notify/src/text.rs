//! Attacker-controlled text made safe to put in a message: bounded, control
//! and bidirectional-override characters removed, escaped for the medium.

/// One line of untrusted text: control characters (CR, LF, tab, NUL, …) and
/// bidirectional overrides become a space, runs of spaces collapse, and the
/// result is cut to at most `max` characters (an ellipsis marks the cut).
pub fn line(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 4));
    let mut n = 0usize;
    let mut space = false;
    for c in s.chars() {
        let c = if c.is_control() || is_bidi(c) { ' ' } else { c };
        if c == ' ' {
            if space || out.is_empty() {
                continue;
            }
            space = true;
        } else {
            space = false;
        }
        if n == max {
            out.truncate(out.trim_end().len());
            out.push('…');
            return out;
        }
        out.push(c);
        n += 1;
    }
    out.truncate(out.trim_end().len());
    out
}

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// Escape for HTML text and attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escape for Slack `mrkdwn` text: `&`, `<` and `>` are the only control
/// characters (they open links and mentions such as `<!channel>`).
pub fn slack(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Escape for Teams message-card text (Markdown with some HTML): HTML
/// special characters become entities and Markdown punctuation is
/// backslash-escaped, so no link, image or emphasis can be formed.
pub fn teams(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '!' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_removes_controls_and_bounds() {
        assert_eq!(
            line("bob\r\nBcc: eve@x.example", 100),
            "bob Bcc: eve@x.example"
        );
        assert_eq!(line("  a\t\tb\u{0}c  ", 100), "a b c");
        assert_eq!(line("ab\u{202e}cd", 100), "ab cd");
        assert_eq!(line("abcdef", 3), "abc…");
        assert_eq!(line("abc", 3), "abc");
        assert_eq!(line("ééééé", 2), "éé…");
    }

    #[test]
    fn escapes() {
        assert_eq!(
            html("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(
            slack("<!channel> & <https://x|y>"),
            "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"
        );
        assert_eq!(teams("[x](http://e) *b*"), "\\[x\\]\\(http://e\\) \\*b\\*");
    }
}
