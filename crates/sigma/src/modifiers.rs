//! Modifier chains: parsing `field|mod|mod`, and what the value modifiers
//! do to a rule value (placeholders, encodings, `windash`, position,
//! regexes) before it becomes a matcher.

use crate::compile::{invalid, CErr};
use crate::eval::{Op, Unit, M};
use crate::mapping::Mapping;
use crate::pattern::{parse_wildcards, plain, windash, Tok};
use serde_yaml_ng::Value as Y;

/// Compiled regexes may not exceed this size (a hostile rule cannot make
/// the engine build a huge automaton; matching is linear in any case).
/// Unicode classes are large: SigmaHQ's `-k\s\w{1,64}` needs ~2 MiB.
pub(crate) const REGEX_SIZE_LIMIT: usize = 8 << 20;
/// The lazy DFA cache of one regex.
const REGEX_DFA_LIMIT: usize = 2 << 20;

/// Splits `Field|mod|mod` into the field and its modifiers.
pub(crate) fn split_key(k: &str) -> (&str, Vec<&str>) {
    let mut it = k.split('|');
    let field = it.next().unwrap_or("");
    (field, it.collect())
}

/// Modifier chain, parsed.
#[derive(Default)]
pub(crate) struct Mods<'a> {
    pub(crate) pos: Option<&'a str>,
    pub(crate) all: bool,
    pub(crate) cased: bool,
    pub(crate) windash: bool,
    pub(crate) encodings: Vec<&'a str>,
    pub(crate) re: bool,
    pub(crate) re_flags: (bool, bool, bool),
    pub(crate) cidr: bool,
    pub(crate) exists: bool,
    pub(crate) expand: bool,
    pub(crate) fieldref: bool,
    pub(crate) cmp: Option<Op>,
    pub(crate) neq: bool,
    pub(crate) time: Option<Unit>,
}

pub(crate) fn mods<'a>(key: &str, list: &[&'a str]) -> Result<Mods<'a>, CErr> {
    let mut m = Mods::default();
    for &x in list {
        match x {
            "contains" | "startswith" | "endswith" => {
                if m.pos.is_some() {
                    return Err(invalid(
                        key,
                        format!("`{key}`: more than one of contains/startswith/endswith"),
                    ));
                }
                m.pos = Some(x);
            }
            "all" => m.all = true,
            "cased" => m.cased = true,
            "windash" => m.windash = true,
            "base64" | "base64offset" | "utf16le" | "utf16be" | "utf16" | "wide" => {
                m.encodings.push(x)
            }
            "re" => m.re = true,
            "i" => m.re_flags.0 = true,
            "m" => m.re_flags.1 = true,
            "s" => m.re_flags.2 = true,
            "cidr" => m.cidr = true,
            "exists" => m.exists = true,
            "expand" => m.expand = true,
            "fieldref" => m.fieldref = true,
            "gt" => m.cmp = Some(Op::Gt),
            "gte" => m.cmp = Some(Op::Gte),
            "lt" => m.cmp = Some(Op::Lt),
            "lte" => m.cmp = Some(Op::Lte),
            "neq" => m.neq = true,
            "minute" => m.time = Some(Unit::Minute),
            "hour" => m.time = Some(Unit::Hour),
            "day" => m.time = Some(Unit::Day),
            "week" => m.time = Some(Unit::Week),
            "month" => m.time = Some(Unit::Month),
            "year" => m.time = Some(Unit::Year),
            other => return Err(invalid(key, format!("`{key}`: unknown modifier `{other}`"))),
        }
    }
    if (m.re_flags.0 || m.re_flags.1 || m.re_flags.2) && !m.re {
        return Err(invalid(key, format!("`{key}`: `i`, `m`, `s` need `re`")));
    }
    Ok(m)
}

/// The values of an entry: one scalar or a list.
pub(crate) fn values(v: &Y) -> Vec<&Y> {
    match v {
        Y::Sequence(s) => s.iter().collect(),
        other => vec![other],
    }
}

/// Expands `%name%` placeholders (`\%` is a plain percent).
pub(crate) fn expand(s: &str, map: &Mapping) -> Result<Vec<String>, CErr> {
    let mut outs = vec![String::new()];
    let mut rest = s;
    while let Some(i) = rest.find(['%', '\\']) {
        let (head, tail) = rest.split_at(i);
        outs.iter_mut().for_each(|o| o.push_str(head));
        if let Some(t) = tail.strip_prefix("\\%") {
            outs.iter_mut().for_each(|o| o.push('%'));
            rest = t;
            continue;
        }
        if let Some(t) = tail.strip_prefix('\\') {
            outs.iter_mut().for_each(|o| o.push('\\'));
            rest = t;
            continue;
        }
        let t = &tail[1..];
        let Some(end) = t.find('%') else {
            outs.iter_mut().for_each(|o| o.push('%'));
            rest = t;
            continue;
        };
        let name = &t[..end];
        let Some(vals) = map.placeholder(name).filter(|v| !v.is_empty()) else {
            return Err(CErr::Unsupported(format!(
                "placeholder %{name}% has no values (add it to [placeholders] of the mapping)"
            )));
        };
        outs = outs
            .iter()
            .flat_map(|o| vals.iter().map(move |v| format!("{o}{v}")))
            .collect();
        rest = &t[end + 1..];
    }
    outs.iter_mut().for_each(|o| o.push_str(rest));
    Ok(outs)
}

pub(crate) fn encode(enc: &str, data: Vec<u8>) -> Vec<Vec<u8>> {
    let s = String::from_utf8_lossy(&data).into_owned();
    match enc {
        "base64" => vec![b64(&data)],
        "base64offset" => (0..3)
            .map(|i| {
                let mut padded = vec![b' '; i];
                padded.extend_from_slice(&data);
                let e = b64(&padded);
                let start = [0, 2, 3][i];
                let end_cut = [0, 3, 2][(data.len() + i) % 3];
                e[start.min(e.len())..e.len().saturating_sub(end_cut).max(start.min(e.len()))]
                    .to_vec()
            })
            .collect(),
        "utf16le" | "wide" => vec![s.encode_utf16().flat_map(u16::to_le_bytes).collect()],
        "utf16be" => vec![s.encode_utf16().flat_map(u16::to_be_bytes).collect()],
        _ => {
            let mut v = vec![0xFF, 0xFE];
            v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
            vec![v]
        }
    }
}

/// Standard Base64 with padding.
pub(crate) fn b64(data: &[u8]) -> Vec<u8> {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(A[(n >> 18) as usize & 63]);
        out.push(A[(n >> 12) as usize & 63]);
        out.push(if c.len() > 1 {
            A[(n >> 6) as usize & 63]
        } else {
            b'='
        });
        out.push(if c.len() > 2 {
            A[n as usize & 63]
        } else {
            b'='
        });
    }
    out
}

pub(crate) fn regex(key: &str, s: &str, flags: (bool, bool, bool)) -> Result<M, CErr> {
    let r = regex::RegexBuilder::new(s)
        .case_insensitive(flags.0)
        .multi_line(flags.1)
        .dot_matches_new_line(flags.2)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_LIMIT)
        .build();
    match r {
        Ok(r) => Ok(M::Re(r)),
        Err(regex::Error::CompiledTooBig(n)) => Err(CErr::Unsupported(format!(
            "regex larger than the size limit ({n} bytes) in `{key}`"
        ))),
        Err(e) => {
            let msg = e.to_string();
            let last = msg
                .lines()
                .rev()
                .find(|l| l.starts_with("error:"))
                .unwrap_or(&msg);
            let feature = if msg.contains("look-around") {
                Some("regex look-around (the `regex` crate has none)")
            } else if msg.contains("backreferences") {
                Some("regex backreference (the `regex` crate has none)")
            } else if msg.contains("unrecognized flag") || msg.contains("unrecognized escape") {
                Some("PCRE regex syntax the `regex` crate lacks")
            } else {
                None
            };
            match feature {
                Some(f) => Err(CErr::Unsupported(format!("{f} in `{key}`: {last}"))),
                None => Err(invalid(key, format!("`{key}`: bad regex: {last}"))),
            }
        }
    }
}

/// String tokens of one value with the string modifiers applied.
pub(crate) fn string_tokens(key: &str, s: &str, m: &Mods<'_>) -> Result<Vec<Vec<Tok>>, CErr> {
    let mut alts: Vec<Vec<Tok>> = if m.encodings.is_empty() {
        vec![parse_wildcards(s)]
    } else {
        let Some(raw) = plain(s) else {
            return Err(CErr::Unsupported(format!(
                "wildcards in a value to encode (`{key}`)"
            )));
        };
        if m.windash {
            return Err(CErr::Unsupported(format!(
                "`windash` with an encoding (`{key}`)"
            )));
        }
        let mut datas = vec![raw];
        for e in &m.encodings {
            datas = datas.into_iter().flat_map(|d| encode(e, d)).collect();
        }
        datas.into_iter().map(|d| vec![Tok::Lit(d)]).collect()
    };
    if m.windash {
        alts = alts.into_iter().map(windash).collect();
    }
    for t in &mut alts {
        match m.pos {
            Some("contains") => {
                t.insert(0, Tok::Star);
                t.push(Tok::Star);
            }
            Some("startswith") => t.push(Tok::Star),
            Some("endswith") => t.insert(0, Tok::Star),
            _ => {}
        }
        t.dedup_by(|a, b| *a == Tok::Star && *b == Tok::Star);
    }
    Ok(alts)
}
