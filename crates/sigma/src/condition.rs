//! The condition grammar: `and`, `or`, `not`, parentheses, `1 of x*`,
//! `all of x*`, `1 of them`, `all of them`. Precedence, least to most
//! binding: `or`, `and`, `not`, `x of`, parentheses. `x of` patterns are
//! expanded against the rule's search identifiers when the rule compiles.

/// A parsed condition, identifiers still by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    /// A search identifier.
    Ident(String),
    /// `1 of pattern` (`all == false`) or `all of pattern`; `them` is `*`
    /// without the identifiers starting with `_`.
    Of {
        /// `all of` rather than `1 of`.
        all: bool,
        /// The identifier pattern (`*` wildcards), `None` for `them`.
        pattern: Option<String>,
    },
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

/// A condition that does not parse: what and at which character (0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CondError {
    pub(crate) at: usize,
    pub(crate) reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum T {
    LParen,
    RParen,
    And,
    Or,
    Not,
    One,
    All,
    Of,
    Them,
    Word(String),
    Pipe,
}

fn lex(s: &str) -> Result<Vec<(usize, T)>, CondError> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let t = match c {
            b'(' => T::LParen,
            b')' => T::RParen,
            b'|' => T::Pipe,
            _ => {
                let start = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && !b"()|".contains(&b[i]) {
                    i += 1;
                }
                let w = &s[start..i];
                let t = match w.to_ascii_lowercase().as_str() {
                    "and" => T::And,
                    "or" => T::Or,
                    "not" => T::Not,
                    "1" | "any" => T::One,
                    "all" => T::All,
                    "of" => T::Of,
                    "them" => T::Them,
                    _ => T::Word(w.to_string()),
                };
                out.push((start, t));
                continue;
            }
        };
        out.push((i, t));
        i += 1;
    }
    Ok(out)
}

struct P {
    toks: Vec<(usize, T)>,
    pos: usize,
    end: usize,
}

impl P {
    fn peek(&self) -> Option<&T> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }
    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(a, _)| *a)
    }
    fn err<X>(&self, reason: impl Into<String>) -> Result<X, CondError> {
        Err(CondError {
            at: self.at(),
            reason: reason.into(),
        })
    }

    fn or(&mut self) -> Result<Expr, CondError> {
        let mut v = vec![self.and()?];
        while self.peek() == Some(&T::Or) {
            self.pos += 1;
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::Or(v)
        })
    }

    fn and(&mut self) -> Result<Expr, CondError> {
        let mut v = vec![self.not()?];
        while self.peek() == Some(&T::And) {
            self.pos += 1;
            v.push(self.not()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::And(v)
        })
    }

    fn not(&mut self) -> Result<Expr, CondError> {
        if self.peek() == Some(&T::Not) {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, CondError> {
        match self.peek().cloned() {
            Some(T::LParen) => {
                self.pos += 1;
                let e = self.or()?;
                if self.peek() != Some(&T::RParen) {
                    return self.err("expected `)`");
                }
                self.pos += 1;
                Ok(e)
            }
            Some(q @ (T::One | T::All)) => {
                self.pos += 1;
                if self.peek() != Some(&T::Of) {
                    return self.err("expected `of` after `1`/`all`");
                }
                self.pos += 1;
                let pattern = match self.peek().cloned() {
                    Some(T::Them) => None,
                    Some(T::Word(w)) => Some(w),
                    _ => return self.err("expected `them` or a search identifier pattern"),
                };
                self.pos += 1;
                Ok(Expr::Of {
                    all: q == T::All,
                    pattern,
                })
            }
            Some(T::Word(w)) => {
                self.pos += 1;
                Ok(Expr::Ident(w))
            }
            Some(T::Pipe) => self.err(
                "aggregation after `|` (Sigma 1 `count()` …) is not part of the condition grammar; \
                 use a correlation rule",
            ),
            Some(t) => self.err(format!("unexpected {t:?}")),
            None => self.err("unexpected end of condition"),
        }
    }
}

/// Parses one condition string.
pub(crate) fn parse(s: &str) -> Result<Expr, CondError> {
    let toks = lex(s)?;
    let mut p = P {
        toks,
        pos: 0,
        end: s.len(),
    };
    let e = p.or()?;
    if p.pos < p.toks.len() {
        if p.peek() == Some(&T::Pipe) {
            return p.err(
                "aggregation after `|` (Sigma 1 `count()` …) is not supported; use a correlation rule",
            );
        }
        return p.err("unexpected text after the condition");
    }
    Ok(e)
}

/// True when `name` matches the identifier pattern (`*` wildcards only).
pub(crate) fn ident_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Expr {
        Expr::Ident(s.into())
    }

    #[test]
    fn precedence_or_and_not() {
        assert_eq!(
            parse("a or b and not c").unwrap(),
            Expr::Or(vec![
                id("a"),
                Expr::And(vec![id("b"), Expr::Not(Box::new(id("c")))])
            ])
        );
        assert_eq!(
            parse("(a or b) and c").unwrap(),
            Expr::And(vec![Expr::Or(vec![id("a"), id("b")]), id("c")])
        );
        assert_eq!(
            parse("not not a").unwrap(),
            Expr::Not(Box::new(Expr::Not(Box::new(id("a")))))
        );
    }

    #[test]
    fn of_forms() {
        assert_eq!(
            parse("1 of sel* and not all of them").unwrap(),
            Expr::And(vec![
                Expr::Of {
                    all: false,
                    pattern: Some("sel*".into())
                },
                Expr::Not(Box::new(Expr::Of {
                    all: true,
                    pattern: None
                }))
            ])
        );
    }

    #[test]
    fn errors_say_where() {
        let e = parse("a and (b or c").unwrap_err();
        assert_eq!(e.at, 13);
        let e = parse("a and").unwrap_err();
        assert_eq!(
            (e.at, e.reason.as_str()),
            (5, "unexpected end of condition")
        );
        let e = parse("a b").unwrap_err();
        assert_eq!(e.at, 2);
        let e = parse("sel | count() > 5").unwrap_err();
        assert_eq!(e.at, 4);
        assert!(parse("1 of").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn identifier_patterns() {
        assert!(ident_matches("sel*", "selection"));
        assert!(ident_matches("*_main_*", "filter_main_x"));
        assert!(!ident_matches("*_main_*", "filter_mainx"));
        assert!(ident_matches("a*b*c", "aXbYc"));
        assert!(!ident_matches("a*b*c", "acb"));
        assert!(ident_matches("x", "x"));
        assert!(!ident_matches("x", "xy"));
    }
}
