//! String patterns: Sigma's wildcards (`*`, `?`, `\` escapes), the
//! `windash` dash class, and matching on bytes, case-insensitive by
//! default.
//!
//! Case folding is ASCII only: rule text and field values are compared with
//! their ASCII letters folded, without allocating per event. A non-ASCII
//! letter matches only itself (`É` does not match `é`), which is what the
//! SQL and search backends of pySigma do for most targets.

use memchr::{memchr, memchr2, memmem};

/// One element of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Bytes that must appear as written (folded when the pattern is not cased).
    Lit(Vec<u8>),
    /// `*`: any run of characters.
    Star,
    /// `?`: one character.
    One,
    /// `windash`: one of `-`, `/`, en dash, em dash, horizontal bar.
    Dash,
}

/// The characters `windash` makes interchangeable.
pub(crate) const DASHES: [&str; 5] = ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"];

/// Parses a rule string into tokens: `*` and `?` are wildcards, `\*` and
/// `\?` are literal, `\\` is one backslash, any other backslash is literal.
pub(crate) fn parse_wildcards(s: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut lit = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => match b.get(i + 1) {
                Some(&c @ (b'*' | b'?' | b'\\')) => {
                    lit.push(c);
                    i += 2;
                    continue;
                }
                _ => lit.push(b'\\'),
            },
            c @ (b'*' | b'?') => {
                if !lit.is_empty() {
                    toks.push(Tok::Lit(std::mem::take(&mut lit)));
                }
                if c == b'*' {
                    if toks.last() != Some(&Tok::Star) {
                        toks.push(Tok::Star);
                    }
                } else {
                    toks.push(Tok::One);
                }
            }
            c => lit.push(c),
        }
        i += 1;
    }
    if !lit.is_empty() {
        toks.push(Tok::Lit(lit));
    }
    toks
}

/// The text of a rule string with escapes resolved, when it holds no
/// wildcard (for the encoding modifiers, which encode plain text).
pub(crate) fn plain(s: &str) -> Option<Vec<u8>> {
    let toks = parse_wildcards(s);
    match toks.as_slice() {
        [] => Some(Vec::new()),
        [Tok::Lit(l)] => Some(l.clone()),
        _ => None,
    }
}

/// `windash`: each `-` or `/` that starts a word (after a non-word
/// character or the start, before a word character, as pySigma's
/// `\B[-/]\b`) becomes the dash class.
pub(crate) fn windash(toks: Vec<Tok>) -> Vec<Tok> {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
    let mut out = Vec::new();
    for t in toks {
        let Tok::Lit(l) = t else {
            out.push(t);
            continue;
        };
        let mut cur = Vec::new();
        for (i, &c) in l.iter().enumerate() {
            let before_ok = i == 0 || !word(l[i - 1]);
            let after_ok = l.get(i + 1).is_some_and(|&d| word(d));
            if (c == b'-' || c == b'/') && before_ok && after_ok {
                if !cur.is_empty() {
                    out.push(Tok::Lit(std::mem::take(&mut cur)));
                }
                out.push(Tok::Dash);
            } else {
                cur.push(c);
            }
        }
        if !cur.is_empty() {
            out.push(Tok::Lit(cur));
        }
    }
    out
}

/// A compiled string pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    cased: bool,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Exact(Vec<u8>),
    Prefix(Vec<u8>),
    Suffix(Vec<u8>),
    Contains(Vec<u8>, Option<Box<memmem::Finder<'static>>>),
    Glob(Vec<Tok>),
}

impl Pattern {
    /// Compiles tokens; literals are folded to lower case unless `cased`.
    pub(crate) fn new(toks: Vec<Tok>, cased: bool) -> Pattern {
        let toks: Vec<Tok> = toks
            .into_iter()
            .map(|t| match t {
                Tok::Lit(mut l) if !cased => {
                    l.make_ascii_lowercase();
                    Tok::Lit(l)
                }
                t => t,
            })
            .collect();
        let kind = match toks.as_slice() {
            [] => Kind::Exact(Vec::new()),
            [Tok::Lit(l)] => Kind::Exact(l.clone()),
            [Tok::Lit(l), Tok::Star] => Kind::Prefix(l.clone()),
            [Tok::Star, Tok::Lit(l)] => Kind::Suffix(l.clone()),
            [Tok::Star, Tok::Lit(l), Tok::Star] => {
                let finder = cased.then(|| Box::new(memmem::Finder::new(l).into_owned()));
                Kind::Contains(l.clone(), finder)
            }
            [Tok::Star] => Kind::Prefix(Vec::new()),
            _ => Kind::Glob(toks),
        };
        Pattern { cased, kind }
    }

    /// The literal runs a match must contain (for the prefilter and tests).
    pub(crate) fn literals(&self) -> Vec<&[u8]> {
        match &self.kind {
            Kind::Exact(l) | Kind::Prefix(l) | Kind::Suffix(l) | Kind::Contains(l, _) => {
                vec![l.as_slice()]
            }
            Kind::Glob(t) => t
                .iter()
                .filter_map(|t| match t {
                    Tok::Lit(l) => Some(l.as_slice()),
                    _ => None,
                })
                .collect(),
        }
    }

    /// The integer an exact, all-digit pattern spells (EventID dispatch).
    pub(crate) fn exact_int(&self) -> Option<i64> {
        match &self.kind {
            Kind::Exact(l) if !l.is_empty() && l.iter().all(u8::is_ascii_digit) => {
                std::str::from_utf8(l).ok()?.parse().ok()
            }
            _ => None,
        }
    }

    /// True when the pattern is the empty exact string (matches `Null`).
    pub(crate) fn is_empty_exact(&self) -> bool {
        matches!(&self.kind, Kind::Exact(l) if l.is_empty())
    }

    /// Whether `hay` matches the whole pattern.
    pub(crate) fn is_match(&self, hay: &[u8]) -> bool {
        let c = self.cased;
        match &self.kind {
            Kind::Exact(l) => eq(hay, l, c),
            Kind::Prefix(l) => hay.len() >= l.len() && eq(&hay[..l.len()], l, c),
            Kind::Suffix(l) => hay.len() >= l.len() && eq(&hay[hay.len() - l.len()..], l, c),
            Kind::Contains(l, Some(f)) => l.is_empty() || f.find(hay).is_some(),
            Kind::Contains(l, None) => find_folded(hay, l).is_some(),
            Kind::Glob(t) => glob(t, hay, c),
        }
    }
}

/// Bytes equal, ASCII case folded unless `cased` (`lit` is already folded).
#[inline]
fn eq(hay: &[u8], lit: &[u8], cased: bool) -> bool {
    if cased {
        hay == lit
    } else {
        hay.len() == lit.len()
            && hay
                .iter()
                .zip(lit)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
    }
}

/// First position of the folded needle `lit` in `hay`, ignoring ASCII case.
pub(crate) fn find_folded(hay: &[u8], lit: &[u8]) -> Option<usize> {
    let Some(&first) = lit.first() else {
        return Some(0);
    };
    if hay.len() < lit.len() {
        return None;
    }
    let last_start = hay.len() - lit.len();
    let mut from = 0;
    while from <= last_start {
        let window = &hay[from..=last_start];
        let off = if first.is_ascii_lowercase() {
            memchr2(first, first.to_ascii_uppercase(), window)?
        } else {
            memchr(first, window)?
        };
        let at = from + off;
        if eq(&hay[at..at + lit.len()], lit, false) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Length of the UTF-8 character starting with byte `b` (1 for a stray byte).
fn char_len(b: u8) -> usize {
    match b {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Length of a dash of the `windash` class at the start of `h`.
fn dash_at(h: &[u8]) -> Option<usize> {
    DASHES
        .iter()
        .find(|d| h.starts_with(d.as_bytes()))
        .map(|d| d.len())
}

/// Wildcard match with backtracking to the last star (linear memory,
/// O(pattern × text) time at worst).
fn glob(toks: &[Tok], hay: &[u8], cased: bool) -> bool {
    // Positions: ti in toks, hi in hay; on failure resume after the last star.
    let (mut ti, mut hi) = (0usize, 0usize);
    let mut resume: Option<(usize, usize)> = None;
    loop {
        if ti == toks.len() {
            if hi == hay.len() {
                return true;
            }
        } else {
            let step = match &toks[ti] {
                Tok::Star => {
                    resume = Some((ti, hi));
                    ti += 1;
                    continue;
                }
                Tok::Lit(l) => (hay.len() >= hi + l.len() && eq(&hay[hi..hi + l.len()], l, cased))
                    .then_some(l.len()),
                Tok::One => (hi < hay.len()).then(|| char_len(hay[hi]).min(hay.len() - hi)),
                Tok::Dash => dash_at(&hay[hi..]),
            };
            if let Some(n) = step {
                ti += 1;
                hi += n;
                continue;
            }
        }
        // Mismatch: let the last star swallow one more character.
        match resume {
            Some((sti, shi)) if shi < hay.len() => {
                let next = shi + char_len(hay[shi]).min(hay.len() - shi);
                resume = Some((sti, next));
                ti = sti + 1;
                hi = next;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, cased: bool, hay: &str) -> bool {
        Pattern::new(parse_wildcards(p), cased).is_match(hay.as_bytes())
    }

    #[test]
    fn escapes_follow_the_specification() {
        assert_eq!(parse_wildcards(r"a\*b"), [Tok::Lit(b"a*b".to_vec())]);
        assert_eq!(parse_wildcards(r"a\?"), [Tok::Lit(b"a?".to_vec())]);
        assert_eq!(
            parse_wildcards(r"a\\*"),
            [Tok::Lit(b"a\\".to_vec()), Tok::Star]
        );
        assert_eq!(parse_wildcards(r"a\\\*"), [Tok::Lit(b"a\\*".to_vec())]);
        assert_eq!(parse_wildcards(r"\\\\"), [Tok::Lit(b"\\\\".to_vec())]);
        assert_eq!(
            parse_wildcards(r"C:\Windows"),
            [Tok::Lit(b"C:\\Windows".to_vec())]
        );
        assert_eq!(plain(r"x\*"), Some(b"x*".to_vec()));
        assert_eq!(plain("x*"), None);
    }

    #[test]
    fn wildcards_and_case() {
        assert!(m("*\\cmd.exe", false, "C:\\Windows\\System32\\CMD.EXE"));
        assert!(!m("*\\cmd.exe", true, "C:\\Windows\\System32\\CMD.EXE"));
        assert!(m("adm_*", false, "ADM_bob"));
        assert!(!m("adm_*", false, "xadm_bob"));
        assert!(m("*mimi*", false, "xxMiMixx"));
        assert!(!m("*mimi*", false, "xxMiMx"));
        assert!(m("a?c", false, "abc"));
        assert!(m("a?c", false, "aéc"));
        assert!(!m("a?c", false, "abbc"));
        assert!(m("a*b*c", false, "aXXbYYbc"));
        assert!(!m("a*b*c", false, "aXXbYYbd"));
        assert!(m("a\\*b", false, "a*b"));
        assert!(!m("a\\*b", false, "aXb"));
        assert!(m("", false, ""));
        assert!(!m("", false, "x"));
        assert!(m("*", false, ""));
        // Non-ASCII letters are not folded.
        assert!(!m("é", false, "É"));
        assert!(m("é", false, "é"));
    }

    #[test]
    fn windash_classes_word_starting_dashes_only() {
        let p = Pattern::new(windash(parse_wildcards("* -enc *")), false);
        for ok in [
            " -enc ",
            " /enc ",
            " \u{2013}enc ",
            " \u{2014}enc ",
            " \u{2015}enc ",
        ] {
            assert!(p.is_match(format!("powershell{ok}AAA").as_bytes()), "{ok}");
        }
        assert!(!p.is_match(b"powershell +enc AAA"));
        // `a-b` is inside a word: kept literal.
        let p = Pattern::new(windash(parse_wildcards("a-b")), false);
        assert!(p.is_match(b"a-b"));
        assert!(!p.is_match(b"a/b"));
    }

    #[test]
    fn folded_find() {
        assert_eq!(find_folded(b"xxABCxx", b"abc"), Some(2));
        assert_eq!(find_folded(b"ab", b"abc"), None);
        assert_eq!(find_folded(b"a-b", b"-b"), Some(1));
    }
}
