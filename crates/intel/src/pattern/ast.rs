//! The syntax tree of a STIX 2.1 pattern, and its canonical text
//! (`Display`): parsing the text of a tree gives the same tree.

use haboob_model::Ts;
use ipnet::IpNet;
use std::fmt;

/// An observation expression: one `[...]` observation, or observations
/// joined by `AND`, `OR`, `FOLLOWEDBY`, or qualified.
#[derive(Debug, Clone, PartialEq)]
pub enum ObsExpr {
    /// `[ comparison-expression ]`: one observed event.
    Observation(CompExpr),
    /// Observations joined by `AND` (all seen, in any order).
    And(Vec<ObsExpr>),
    /// Observations joined by `OR` (any seen).
    Or(Vec<ObsExpr>),
    /// Observations joined by `FOLLOWEDBY` (all seen, in this order).
    FollowedBy(Vec<ObsExpr>),
    /// An observation expression with a qualifier.
    Qualified(Box<ObsExpr>, Qualifier),
}

/// An observation qualifier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`: all events of the match within n seconds.
    Within(f64),
    /// `REPEATS n TIMES`: the expression matched n times.
    Repeats(u32),
    /// `START t'..' STOP t'..'`: the match lies in `[start, stop)`.
    StartStop(Ts, Ts),
}

/// A comparison expression inside one observation.
#[derive(Debug, Clone, PartialEq)]
pub enum CompExpr {
    /// All hold.
    And(Vec<CompExpr>),
    /// Any holds.
    Or(Vec<CompExpr>),
    /// One comparison.
    Test(Test),
}

/// One comparison: `object-path [NOT] operator value`, or `EXISTS path`.
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    /// The object path compared.
    pub path: ObjectPath,
    /// `NOT` before the operator.
    pub negated: bool,
    /// The operator.
    pub op: CmpOp,
    /// The right-hand side.
    pub operand: Operand,
    /// The operand's string literals read as addresses or networks (one
    /// per literal, None when not one), parsed once.
    pub(crate) nets: Vec<Option<IpNet>>,
    /// The log field the path reads, if logs carry it.
    pub(crate) field: Option<super::mapping::Field>,
}

impl Test {
    pub(crate) fn new(path: ObjectPath, negated: bool, op: CmpOp, operand: Operand) -> Test {
        let net = |l: &Literal| l.as_str().and_then(super::mapping::parse_net);
        let nets = match &operand {
            Operand::Literal(l) => vec![net(l)],
            Operand::Set(items) => items.iter().map(net).collect(),
            _ => Vec::new(),
        };
        Test {
            field: super::mapping::field_of(&path),
            path,
            negated,
            op,
            operand,
            nets,
        }
    }

    /// The address or network of the i-th literal, if it is one.
    pub(crate) fn net(&self, i: usize) -> Option<IpNet> {
        self.nets.get(i).copied().flatten()
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Neq,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `IN (...)`
    In,
    /// `LIKE '...'` (`%` any run, `_` one character)
    Like,
    /// `MATCHES '...'` (a regular expression)
    Matches,
    /// `ISSUBSET 'cidr'`
    IsSubset,
    /// `ISSUPERSET 'cidr'`
    IsSuperset,
    /// `EXISTS path`
    Exists,
}

impl CmpOp {
    /// The operator as written in a pattern.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Neq => "!=",
            CmpOp::Gt => ">",
            CmpOp::Lt => "<",
            CmpOp::Ge => ">=",
            CmpOp::Le => "<=",
            CmpOp::In => "IN",
            CmpOp::Like => "LIKE",
            CmpOp::Matches => "MATCHES",
            CmpOp::IsSubset => "ISSUBSET",
            CmpOp::IsSuperset => "ISSUPERSET",
            CmpOp::Exists => "EXISTS",
        }
    }
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// None (`EXISTS`).
    None,
    /// One literal.
    Literal(Literal),
    /// A set (`IN`).
    Set(Vec<Literal>),
    /// A compiled expression (`LIKE`, `MATCHES`).
    Regex(Re),
}

/// A compiled `LIKE` or `MATCHES` operand; equal when the source text is.
#[derive(Debug, Clone)]
pub struct Re {
    /// The string literal as written (unescaped).
    pub source: String,
    pub(crate) regex: regex::Regex,
}

impl PartialEq for Re {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Re {
    /// True when `s` matches.
    pub fn is_match(&self, s: &str) -> bool {
        self.regex.is_match(s)
    }
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `'text'` (unescaped).
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `h'..'`: lower-case hex digits.
    Hex(String),
    /// `b'..'`: base64 text.
    Binary(String),
    /// `t'..'`.
    Timestamp(Ts),
}

impl Literal {
    /// The string, for a string literal.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Literal::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// An object path: `type:step.step[n].'quoted key'`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectPath {
    /// Cyber-observable type (`ipv4-addr`, `file`, `x-custom`).
    pub object_type: String,
    /// Property steps; the first is always a key.
    pub steps: Vec<PathStep>,
}

/// One step of an object path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// `.name` or `.'quoted name'`.
    Key(String),
    /// `[n]`.
    Index(i64),
    /// `[*]`.
    AnyIndex,
}

fn write_str_lit(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("'")?;
    for c in s.chars() {
        match c {
            '\'' => f.write_str("\\'")?,
            '\\' => f.write_str("\\\\")?,
            c => fmt::Write::write_char(f, c)?,
        }
    }
    f.write_str("'")
}

fn is_plain_key(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !super::lexer::is_keyword(s)
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_plain_key(k) {
                        f.write_str(k)?;
                    } else {
                        write_str_lit(f, k)?;
                    }
                }
                PathStep::Index(n) => write!(f, "[{n}]")?,
                PathStep::AnyIndex => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => write_str_lit(f, s),
            Literal::Int(n) => write!(f, "{n}"),
            Literal::Float(x) => {
                let s = x.to_string();
                if s.contains('.') {
                    f.write_str(&s)
                } else {
                    write!(f, "{s}.0")
                }
            }
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Hex(h) => write!(f, "h'{h}'"),
            Literal::Binary(b) => write!(f, "b'{b}'"),
            Literal::Timestamp(t) => write!(f, "t'{}'", t.to_rfc3339()),
        }
    }
}

impl fmt::Display for Test {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.op == CmpOp::Exists {
            return write!(f, "EXISTS {}", self.path);
        }
        write!(f, "{} ", self.path)?;
        if self.negated {
            f.write_str("NOT ")?;
        }
        write!(f, "{} ", self.op.as_str())?;
        match &self.operand {
            Operand::None => Ok(()),
            Operand::Literal(l) => write!(f, "{l}"),
            Operand::Regex(r) => write_str_lit(f, &r.source),
            Operand::Set(items) => {
                f.write_str("(")?;
                for (i, l) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{l}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for CompExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (items, sep) = match self {
            CompExpr::Test(t) => return write!(f, "{t}"),
            CompExpr::And(items) => (items, " AND "),
            CompExpr::Or(items) => (items, " OR "),
        };
        for (i, c) in items.iter().enumerate() {
            if i > 0 {
                f.write_str(sep)?;
            }
            match c {
                CompExpr::Test(_) => write!(f, "{c}")?,
                _ => write!(f, "({c})")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Within(s) => write!(f, "WITHIN {s} SECONDS"),
            Qualifier::Repeats(n) => write!(f, "REPEATS {n} TIMES"),
            Qualifier::StartStop(a, b) => {
                write!(f, "START t'{}' STOP t'{}'", a.to_rfc3339(), b.to_rfc3339())
            }
        }
    }
}

impl fmt::Display for ObsExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (items, sep) = match self {
            ObsExpr::Observation(c) => return write!(f, "[{c}]"),
            ObsExpr::Qualified(inner, q) => {
                return match **inner {
                    ObsExpr::Observation(_) | ObsExpr::Qualified(..) => write!(f, "{inner} {q}"),
                    _ => write!(f, "({inner}) {q}"),
                };
            }
            ObsExpr::And(items) => (items, " AND "),
            ObsExpr::Or(items) => (items, " OR "),
            ObsExpr::FollowedBy(items) => (items, " FOLLOWEDBY "),
        };
        for (i, c) in items.iter().enumerate() {
            if i > 0 {
                f.write_str(sep)?;
            }
            match c {
                ObsExpr::Observation(_) | ObsExpr::Qualified(..) => write!(f, "{c}")?,
                _ => write!(f, "({c})")?,
            }
        }
        Ok(())
    }
}
