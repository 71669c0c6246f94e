//! Recursive-descent parser for the STIX 2.1 patterning language
//! (OASIS STIX 2.1, section 9).
//!
//! Precedence, loosest first: `FOLLOWEDBY`, observation `OR`, observation
//! `AND`, qualifiers; inside an observation `OR`, then `AND`.

use super::ast::{
    CmpOp, CompExpr, Literal, ObjectPath, ObsExpr, Operand, PathStep, Qualifier, Re, Test,
};
use super::lexer::{clip, err, tokenize, Tok};
use super::PatternError;

/// Deepest nesting of parentheses and brackets accepted.
const MAX_DEPTH: usize = 64;
/// Largest compiled regular expression (`MATCHES`, `LIKE`), in bytes.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Largest `REPEATS` count (the evaluator keeps one entry per repeat).
pub(crate) const MAX_REPEATS: i64 = 65_536;

pub(crate) fn parse(src: &str) -> Result<ObsExpr, PatternError> {
    let toks = tokenize(src)?;
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
    };
    let e = p.followed_by()?;
    match p.peek() {
        Tok::Eof => Ok(e),
        t => Err(err(
            p.pos(),
            format!("unexpected {} after the pattern", describe(t)),
        )),
    }
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    i: usize,
    depth: usize,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Eof => "end of pattern".into(),
        Tok::Word(w) => format!("'{}'", clip(w)),
        Tok::Str(_) => "string".into(),
        Tok::Int(n) => format!("number {n}"),
        Tok::Float(x) => format!("number {x}"),
        Tok::Hex(_) | Tok::Bin(_) | Tok::Time(_) => "literal".into(),
        t => format!("{t:?}"),
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.i].1
    }

    fn pos(&self) -> usize {
        self.toks[self.i].0
    }

    fn bump(&mut self) -> Tok {
        let t = self.toks[self.i].1.clone();
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Word(x) if x == w)
    }

    fn eat_word(&mut self, w: &str) -> bool {
        let yes = self.is_word(w);
        if yes {
            self.bump();
        }
        yes
    }

    fn expect(&mut self, t: Tok, what: &str) -> Result<(), PatternError> {
        if *self.peek() == t {
            self.bump();
            Ok(())
        } else {
            Err(err(
                self.pos(),
                format!("expected {what}, found {}", describe(self.peek())),
            ))
        }
    }

    fn expect_word(&mut self, w: &str) -> Result<(), PatternError> {
        if self.eat_word(w) {
            Ok(())
        } else {
            Err(err(
                self.pos(),
                format!("expected {w}, found {}", describe(self.peek())),
            ))
        }
    }

    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(self.pos(), "nested too deeply"));
        }
        Ok(())
    }

    fn followed_by(&mut self) -> Result<ObsExpr, PatternError> {
        let mut items = vec![self.obs_or()?];
        while self.eat_word("FOLLOWEDBY") {
            items.push(self.obs_or()?);
        }
        Ok(join(items, ObsExpr::FollowedBy))
    }

    fn obs_or(&mut self) -> Result<ObsExpr, PatternError> {
        let mut items = vec![self.obs_and()?];
        while self.eat_word("OR") {
            items.push(self.obs_and()?);
        }
        Ok(join(items, ObsExpr::Or))
    }

    fn obs_and(&mut self) -> Result<ObsExpr, PatternError> {
        let mut items = vec![self.qualified()?];
        while self.eat_word("AND") {
            items.push(self.qualified()?);
        }
        Ok(join(items, ObsExpr::And))
    }

    fn qualified(&mut self) -> Result<ObsExpr, PatternError> {
        let mut e = self.obs_primary()?;
        loop {
            let at = self.pos();
            let q = if self.eat_word("WITHIN") {
                let secs = match self.bump() {
                    Tok::Int(n) if n > 0 => n as f64,
                    Tok::Float(x) if x > 0.0 => x,
                    _ => return Err(err(at, "WITHIN needs a positive number of SECONDS")),
                };
                self.expect_word("SECONDS")?;
                Qualifier::Within(secs)
            } else if self.eat_word("REPEATS") {
                let n = match self.bump() {
                    Tok::Int(n) if (1..=MAX_REPEATS).contains(&n) => n as u32,
                    _ => {
                        return Err(err(
                            at,
                            format!("REPEATS needs a count from 1 to {MAX_REPEATS}"),
                        ))
                    }
                };
                self.expect_word("TIMES")?;
                Qualifier::Repeats(n)
            } else if self.eat_word("START") {
                let a = self.timestamp("START")?;
                self.expect_word("STOP")?;
                let b = self.timestamp("STOP")?;
                if b <= a {
                    return Err(err(at, "STOP must be after START"));
                }
                Qualifier::StartStop(a, b)
            } else {
                return Ok(e);
            };
            if has_qualifier_kind(&e, &q) {
                return Err(err(at, "the same qualifier twice on one expression"));
            }
            e = ObsExpr::Qualified(Box::new(e), q);
        }
    }

    fn timestamp(&mut self, what: &str) -> Result<haboob_model::Ts, PatternError> {
        let at = self.pos();
        match self.bump() {
            Tok::Time(t) => Ok(t),
            _ => Err(err(at, format!("{what} needs a timestamp t'...'"))),
        }
    }

    fn obs_primary(&mut self) -> Result<ObsExpr, PatternError> {
        self.enter()?;
        let e = match self.peek() {
            Tok::LBrack => {
                self.bump();
                let c = self.comp_or()?;
                self.expect(Tok::RBrack, "']'")?;
                ObsExpr::Observation(c)
            }
            Tok::LParen => {
                self.bump();
                let e = self.followed_by()?;
                self.expect(Tok::RParen, "')'")?;
                e
            }
            t => {
                return Err(err(
                    self.pos(),
                    format!("expected '[' or '(', found {}", describe(t)),
                ))
            }
        };
        self.depth -= 1;
        Ok(e)
    }

    fn comp_or(&mut self) -> Result<CompExpr, PatternError> {
        let mut items = vec![self.comp_and()?];
        while self.eat_word("OR") {
            items.push(self.comp_and()?);
        }
        Ok(join(items, CompExpr::Or))
    }

    fn comp_and(&mut self) -> Result<CompExpr, PatternError> {
        let mut items = vec![self.prop_test()?];
        while self.eat_word("AND") {
            items.push(self.prop_test()?);
        }
        Ok(join(items, CompExpr::And))
    }

    fn prop_test(&mut self) -> Result<CompExpr, PatternError> {
        if *self.peek() == Tok::LParen {
            self.enter()?;
            self.bump();
            let c = self.comp_or()?;
            self.expect(Tok::RParen, "')'")?;
            self.depth -= 1;
            return Ok(c);
        }
        if self.eat_word("EXISTS") {
            let path = self.object_path()?;
            return Ok(CompExpr::Test(Test::new(
                path,
                false,
                CmpOp::Exists,
                Operand::None,
            )));
        }
        let path = self.object_path()?;
        let negated = self.eat_word("NOT");
        let op_pos = self.pos();
        let op = match self.bump() {
            Tok::Eq => CmpOp::Eq,
            Tok::Neq => CmpOp::Neq,
            Tok::Gt => CmpOp::Gt,
            Tok::Lt => CmpOp::Lt,
            Tok::Ge => CmpOp::Ge,
            Tok::Le => CmpOp::Le,
            Tok::Word(w) => match w.as_str() {
                "IN" => CmpOp::In,
                "LIKE" => CmpOp::Like,
                "MATCHES" => CmpOp::Matches,
                "ISSUBSET" => CmpOp::IsSubset,
                "ISSUPERSET" => CmpOp::IsSuperset,
                _ => {
                    return Err(err(
                        op_pos,
                        format!("expected a comparison operator, found '{}'", clip(&w)),
                    ))
                }
            },
            t => {
                return Err(err(
                    op_pos,
                    format!("expected a comparison operator, found {}", describe(&t)),
                ))
            }
        };
        let val_pos = self.pos();
        let operand = match op {
            CmpOp::In => Operand::Set(self.set_literal()?),
            CmpOp::Like | CmpOp::Matches | CmpOp::IsSubset | CmpOp::IsSuperset => {
                let s = match self.bump() {
                    Tok::Str(s) => s,
                    t => {
                        return Err(err(
                            val_pos,
                            format!("{} needs a string, found {}", op.as_str(), describe(&t)),
                        ))
                    }
                };
                match op {
                    CmpOp::Like => Operand::Regex(compile(like_to_regex(&s), s, val_pos)?),
                    CmpOp::Matches => Operand::Regex(compile(s.clone(), s, val_pos)?),
                    _ => Operand::Literal(Literal::Str(s)),
                }
            }
            _ => {
                let lit = self.literal()?;
                if matches!(op, CmpOp::Gt | CmpOp::Lt | CmpOp::Ge | CmpOp::Le)
                    && matches!(lit, Literal::Bool(_))
                {
                    return Err(err(val_pos, "a boolean cannot be ordered"));
                }
                Operand::Literal(lit)
            }
        };
        let test = Test::new(path, negated, op, operand);
        check_hash(&test, val_pos)?;
        Ok(CompExpr::Test(test))
    }

    fn set_literal(&mut self) -> Result<Vec<Literal>, PatternError> {
        self.expect(Tok::LParen, "'(' starting a set")?;
        let mut items = Vec::new();
        if *self.peek() == Tok::RParen {
            self.bump();
            return Ok(items);
        }
        loop {
            items.push(self.literal()?);
            match self.bump() {
                Tok::Comma => continue,
                Tok::RParen => return Ok(items),
                t => {
                    return Err(err(
                        self.toks[self.i.saturating_sub(1)].0,
                        format!("expected ',' or ')' in a set, found {}", describe(&t)),
                    ))
                }
            }
        }
    }

    fn literal(&mut self) -> Result<Literal, PatternError> {
        let at = self.pos();
        Ok(match self.bump() {
            Tok::Str(s) => Literal::Str(s),
            Tok::Int(n) => Literal::Int(n),
            Tok::Float(x) => Literal::Float(x),
            Tok::Hex(h) => Literal::Hex(h),
            Tok::Bin(b) => Literal::Binary(b),
            Tok::Time(t) => Literal::Timestamp(t),
            Tok::Word(w) if w == "true" => Literal::Bool(true),
            Tok::Word(w) if w == "false" => Literal::Bool(false),
            t => {
                return Err(err(
                    at,
                    format!("expected a literal, found {}", describe(&t)),
                ))
            }
        })
    }

    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let at = self.pos();
        let object_type = match self.bump() {
            Tok::Word(w) if !super::lexer::is_keyword(&w) => w,
            t => {
                return Err(err(
                    at,
                    format!("expected an object type, found {}", describe(&t)),
                ))
            }
        };
        self.expect(Tok::Colon, "':' after the object type")?;
        let mut steps = vec![PathStep::Key(self.key()?)];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    steps.push(PathStep::Key(self.key()?));
                }
                Tok::LBrack => {
                    self.bump();
                    let at = self.pos();
                    steps.push(match self.bump() {
                        Tok::Star => PathStep::AnyIndex,
                        Tok::Int(n) => PathStep::Index(n),
                        _ => return Err(err(at, "expected an index or '*'")),
                    });
                    self.expect(Tok::RBrack, "']' closing the index")?;
                }
                _ => return Ok(ObjectPath { object_type, steps }),
            }
        }
    }

    fn key(&mut self) -> Result<String, PatternError> {
        let at = self.pos();
        match self.bump() {
            Tok::Str(s) => Ok(s),
            Tok::Word(w) if !w.contains('-') && !super::lexer::is_keyword(&w) => Ok(w),
            t => Err(err(
                at,
                format!("expected a property name, found {}", describe(&t)),
            )),
        }
    }
}

fn join<T>(mut items: Vec<T>, f: fn(Vec<T>) -> T) -> T {
    if items.len() == 1 {
        items.pop().expect("one item")
    } else {
        f(items)
    }
}

fn has_qualifier_kind(e: &ObsExpr, q: &Qualifier) -> bool {
    match e {
        ObsExpr::Qualified(inner, have) => {
            std::mem::discriminant(have) == std::mem::discriminant(q)
                || has_qualifier_kind(inner, q)
        }
        _ => false,
    }
}

fn like_to_regex(s: &str) -> String {
    let mut out = String::from("(?s)^");
    for c in s.chars() {
        match c {
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            c => out.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    out.push('$');
    out
}

fn compile(re: String, source: String, pos: usize) -> Result<Re, PatternError> {
    let regex = regex::RegexBuilder::new(&re)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| err(pos, format!("bad regular expression: {e}")))?;
    Ok(Re { source, regex })
}

/// Hex length of a hash named in `hashes.'NAME'`, by the name upper-cased
/// without `-`/`_`.
fn hash_len(name: &str) -> Option<usize> {
    let n: String = name
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    Some(match n.as_str() {
        "MD5" => 32,
        "SHA1" | "RIPEMD160" => 40,
        "SHA224" | "SHA3224" => 56,
        "SHA256" | "SHA3256" => 64,
        "SHA384" | "SHA3384" => 96,
        "SHA512" | "SHA3512" | "WHIRLPOOL" => 128,
        _ => return None,
    })
}

/// A known hash compared for equality must be hex of its length.
fn check_hash(t: &Test, pos: usize) -> Result<(), PatternError> {
    let n = t.path.steps.len();
    let name = match (t.path.steps.get(n.wrapping_sub(2)), t.path.steps.last()) {
        (Some(PathStep::Key(h)), Some(PathStep::Key(name))) if h == "hashes" => name,
        _ => return Ok(()),
    };
    let Some(len) = hash_len(name) else {
        return Ok(());
    };
    let values: Vec<&Literal> = match (&t.op, &t.operand) {
        (CmpOp::Eq | CmpOp::Neq, Operand::Literal(l)) => vec![l],
        (CmpOp::In, Operand::Set(items)) => items.iter().collect(),
        _ => return Ok(()),
    };
    for v in values {
        if let Literal::Str(s) = v {
            if s.len() != len || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(err(
                    pos,
                    format!(
                        "'{}' is not a {} hash ({len} hex digits)",
                        clip(s),
                        clip(name)
                    ),
                ));
            }
        }
    }
    Ok(())
}
