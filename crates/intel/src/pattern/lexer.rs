//! Tokens of the STIX 2.1 patterning language, each with its byte position.

use super::PatternError;
use haboob_model::Ts;

/// Reserved words (upper case; the language's keywords are case-sensitive).
const KEYWORDS: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "FOLLOWEDBY",
    "LIKE",
    "MATCHES",
    "ISSUPERSET",
    "ISSUBSET",
    "EXISTS",
    "LAST",
    "IN",
    "START",
    "STOP",
    "SECONDS",
    "TIMES",
    "WITHIN",
    "REPEATS",
];

pub(crate) fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s) || s == "true" || s == "false"
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    LBrack,
    RBrack,
    LParen,
    RParen,
    Comma,
    Colon,
    Dot,
    Star,
    Eq,
    Neq,
    Gt,
    Lt,
    Ge,
    Le,
    /// Identifier or keyword: `[A-Za-z_][A-Za-z0-9_-]*`.
    Word(String),
    Str(String),
    Int(i64),
    Float(f64),
    Hex(String),
    Bin(String),
    Time(Ts),
    Eof,
}

/// Pattern text quoted in an error, bounded to 64 bytes.
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 64;
    if s.len() <= MAX {
        return s.to_string();
    }
    format!("{}…", haboob_model::bounded(s, MAX))
}

pub(crate) fn err(pos: usize, reason: impl Into<String>) -> PatternError {
    PatternError {
        pos,
        reason: reason.into(),
    }
}

/// Splits a pattern into tokens (the last is `Eof`).
pub(crate) fn tokenize(src: &str) -> Result<Vec<(usize, Tok)>, PatternError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let tok = match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'[' => one(&mut i, Tok::LBrack),
            b']' => one(&mut i, Tok::RBrack),
            b'(' => one(&mut i, Tok::LParen),
            b')' => one(&mut i, Tok::RParen),
            b',' => one(&mut i, Tok::Comma),
            b':' => one(&mut i, Tok::Colon),
            b'*' => one(&mut i, Tok::Star),
            b'=' => {
                i += if b.get(i + 1) == Some(&b'=') { 2 } else { 1 };
                Tok::Eq
            }
            b'!' if b.get(i + 1) == Some(&b'=') => {
                i += 2;
                Tok::Neq
            }
            b'<' => match b.get(i + 1) {
                Some(b'=') => two(&mut i, Tok::Le),
                Some(b'>') => two(&mut i, Tok::Neq),
                _ => one(&mut i, Tok::Lt),
            },
            b'>' => match b.get(i + 1) {
                Some(b'=') => two(&mut i, Tok::Ge),
                _ => one(&mut i, Tok::Gt),
            },
            b'\'' => Tok::Str(string(src, &mut i)?),
            b'.' if !b.get(i + 1).is_some_and(u8::is_ascii_digit) => one(&mut i, Tok::Dot),
            b'0'..=b'9' | b'+' | b'-' | b'.' => number(src, &mut i)?,
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-')
                {
                    i += 1;
                }
                let word = &src[start..i];
                if b.get(i) == Some(&b'\'') && matches!(word, "h" | "b" | "t") {
                    let body = string(src, &mut i)?;
                    match word {
                        "h" => Tok::Hex(hex(&body, start)?),
                        "b" => Tok::Bin(base64(&body, start)?),
                        _ => Tok::Time(timestamp(&body, start)?),
                    }
                } else {
                    Tok::Word(word.to_string())
                }
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(err(i, format!("unexpected character {ch:?}")));
            }
        };
        out.push((start, tok));
    }
    out.push((b.len(), Tok::Eof));
    Ok(out)
}

fn one(i: &mut usize, t: Tok) -> Tok {
    *i += 1;
    t
}

fn two(i: &mut usize, t: Tok) -> Tok {
    *i += 2;
    t
}

/// A quoted string at `*i` (which is the opening quote): `\'` and `\\` are
/// the only escapes.
fn string(src: &str, i: &mut usize) -> Result<String, PatternError> {
    let start = *i;
    let b = src.as_bytes();
    let mut out = String::new();
    let mut j = start + 1;
    let mut run = j;
    while j < b.len() {
        match b[j] {
            b'\'' => {
                out.push_str(&src[run..j]);
                *i = j + 1;
                return Ok(out);
            }
            b'\\' => {
                out.push_str(&src[run..j]);
                match b.get(j + 1) {
                    Some(b'\'') => out.push('\''),
                    Some(b'\\') => out.push('\\'),
                    _ => return Err(err(j, "bad escape in string (only \\' and \\\\)")),
                }
                j += 2;
                run = j;
            }
            _ => j += 1,
        }
    }
    Err(err(start, "unterminated string"))
}

fn number(src: &str, i: &mut usize) -> Result<Tok, PatternError> {
    let b = src.as_bytes();
    let start = *i;
    let mut j = start;
    if matches!(b[j], b'+' | b'-') {
        j += 1;
    }
    let int_start = j;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
    }
    let int_digits = j - int_start;
    let mut is_float = false;
    if j < b.len() && b[j] == b'.' {
        let frac = j + 1;
        let mut k = frac;
        while k < b.len() && b[k].is_ascii_digit() {
            k += 1;
        }
        if k == frac {
            return Err(err(j, "digits expected after '.'"));
        }
        j = k;
        is_float = true;
    } else if int_digits == 0 {
        return Err(err(start, "number expected"));
    }
    if j < b.len() && (b[j].is_ascii_alphabetic() || b[j] == b'_') {
        return Err(err(j, "unexpected character after number"));
    }
    *i = j;
    let text = &src[start..j];
    let text = text.strip_prefix('+').unwrap_or(text);
    if is_float {
        text.parse::<f64>()
            .map(Tok::Float)
            .map_err(|_| err(start, "bad float"))
    } else {
        text.parse::<i64>()
            .map(Tok::Int)
            .map_err(|_| err(start, "integer out of range"))
    }
}

fn hex(body: &str, pos: usize) -> Result<String, PatternError> {
    if !body.len().is_multiple_of(2) || !body.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(err(pos, "hex literal needs pairs of hex digits"));
    }
    Ok(body.to_ascii_lowercase())
}

fn base64(body: &str, pos: usize) -> Result<String, PatternError> {
    let bad = || err(pos, "bad base64 literal");
    if !body.len().is_multiple_of(4) {
        return Err(bad());
    }
    let data = body.trim_end_matches('=');
    let pad = body.len() - data.len();
    if pad > 2 || (pad > 0 && data.len() % 4 < 2) {
        return Err(bad());
    }
    if !data
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
    {
        return Err(bad());
    }
    Ok(body.to_string())
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, with valid ranges.
fn timestamp(body: &str, pos: usize) -> Result<Ts, PatternError> {
    let b = body.as_bytes();
    let shape = b.len() >= 20
        && b.iter().enumerate().take(19).all(|(k, c)| match k {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
        && b[b.len() - 1] == b'Z'
        && (b.len() == 20
            || (b[19] == b'.'
                && b.len() > 21
                && b[20..b.len() - 1].iter().all(u8::is_ascii_digit)));
    if !shape {
        return Err(err(pos, "timestamp must be YYYY-MM-DDTHH:MM:SS[.s]Z"));
    }
    Ts::parse_rfc3339(body).map_err(|e| err(pos, format!("bad timestamp: {e}")))
}
