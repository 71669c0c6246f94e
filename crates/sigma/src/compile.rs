//! Compiling a rule's `detection` once: search identifiers to selections
//! (field items with their modifier chains), conditions to a boolean
//! program with `x of` expanded, regexes built once with a size limit.

use crate::condition::{self, Expr};
use crate::eval::{parse_cidr, Item, Node, Op, Pos, Sel, Test, Unit, M};
use crate::mapping::{Mapping, Variant};
use crate::pattern::{parse_wildcards, plain, windash, Pattern, Tok};
use serde_yaml_ng::Value as Y;

/// Compiled regexes may not exceed this size (a hostile rule cannot make
/// the engine build a huge automaton; matching is linear in any case).
/// Unicode classes are large: SigmaHQ's `-k\s\w{1,64}` needs ~2 MiB.
pub(crate) const REGEX_SIZE_LIMIT: usize = 8 << 20;
/// The lazy DFA cache of one regex.
const REGEX_DFA_LIMIT: usize = 2 << 20;

/// Why a detection did not compile: the text to find in the document (for
/// the line and column) and the reason.
#[derive(Debug, Clone)]
pub(crate) enum CErr {
    Invalid { near: String, reason: String },
    Unsupported(String),
}

fn invalid(near: &str, reason: impl Into<String>) -> CErr {
    CErr::Invalid {
        near: near.to_string(),
        reason: reason.into(),
    }
}

/// A compiled detection for one mapping variant.
#[derive(Debug, Clone)]
pub(crate) struct Detection {
    pub(crate) sels: Vec<Sel>,
    pub(crate) cond: Node,
}

/// Compiles `detection` (a YAML map with `condition`), adding `extra`
/// selections (a Sigma filter: its map and condition, negated).
pub(crate) fn detection(
    det: &Y,
    filters: &[&Y],
    variant: &Variant,
    map: &Mapping,
) -> Result<Detection, CErr> {
    let mut sels = Vec::new();
    let cond = one(det, variant, map, &mut sels, "detection")?;
    let mut all = vec![cond];
    for f in filters {
        let fc = one(f, variant, map, &mut sels, "filter")?;
        all.push(Node::Not(Box::new(fc)));
    }
    let cond = if all.len() == 1 {
        all.remove(0)
    } else {
        Node::And(all)
    };
    Ok(Detection { sels, cond })
}

/// One detection block (rule or filter) into `sels`; returns its condition.
fn one(
    det: &Y,
    variant: &Variant,
    map: &Mapping,
    sels: &mut Vec<Sel>,
    what: &str,
) -> Result<Node, CErr> {
    let Some(m) = det.as_mapping() else {
        return Err(invalid(what, format!("`{what}` must be a map")));
    };
    let mut names: Vec<(String, usize)> = Vec::new();
    let mut cond: Option<&Y> = None;
    for (k, v) in m {
        let Some(k) = k.as_str() else {
            return Err(invalid(what, "search identifiers must be strings"));
        };
        if k == "condition" {
            cond = Some(v);
            continue;
        }
        if k == "timeframe" {
            continue;
        }
        let s = selection(k, v, variant, map)?;
        names.push((k.to_string(), sels.len()));
        sels.push(s);
    }
    let Some(cond) = cond else {
        return Err(invalid(what, format!("`{what}` has no `condition`")));
    };
    let texts: Vec<&str> = match cond {
        Y::String(s) => vec![s.as_str()],
        Y::Sequence(v) => v
            .iter()
            .map(|c| {
                c.as_str()
                    .ok_or_else(|| invalid("condition", "conditions must be strings"))
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(invalid(
                "condition",
                "`condition` must be a string or a list",
            ))
        }
    };
    let mut nodes = Vec::new();
    for t in texts {
        let e = condition::parse(t).map_err(|e| {
            invalid(
                t,
                format!("condition `{t}`: {} (character {})", e.reason, e.at + 1),
            )
        })?;
        nodes.push(resolve(&e, &names, t)?);
    }
    Ok(if nodes.len() == 1 {
        nodes.remove(0)
    } else {
        Node::Or(nodes)
    })
}

fn resolve(e: &Expr, names: &[(String, usize)], text: &str) -> Result<Node, CErr> {
    Ok(match e {
        Expr::Ident(n) => match names.iter().find(|(k, _)| k == n) {
            Some((_, i)) => Node::Sel(*i),
            None => {
                return Err(invalid(
                    text,
                    format!("condition `{text}`: unknown search identifier `{n}`"),
                ))
            }
        },
        Expr::Of { all, pattern } => {
            let hits: Vec<Node> = names
                .iter()
                .filter(|(k, _)| match pattern {
                    Some(p) => condition::ident_matches(p, k),
                    None => !k.starts_with('_'),
                })
                .map(|(_, i)| Node::Sel(*i))
                .collect();
            if hits.is_empty() {
                let p = pattern.as_deref().unwrap_or("them");
                return Err(invalid(
                    text,
                    format!("condition `{text}`: no search identifier matches `{p}`"),
                ));
            }
            if *all {
                Node::And(hits)
            } else {
                Node::Or(hits)
            }
        }
        Expr::Not(x) => Node::Not(Box::new(resolve(x, names, text)?)),
        Expr::And(v) => Node::And(
            v.iter()
                .map(|x| resolve(x, names, text))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(v) => Node::Or(
            v.iter()
                .map(|x| resolve(x, names, text))
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn scalar_text(v: &Y) -> Option<String> {
    match v {
        Y::String(s) => Some(s.clone()),
        Y::Number(n) => Some(n.to_string()),
        Y::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn selection(name: &str, v: &Y, variant: &Variant, map: &Mapping) -> Result<Sel, CErr> {
    match v {
        Y::Mapping(m) => {
            let mut items = Vec::new();
            let mut kws = Vec::new();
            for (k, val) in m {
                let Some(k) = k.as_str() else {
                    return Err(invalid(
                        name,
                        format!("`{name}`: field names must be strings"),
                    ));
                };
                if k.is_empty() || k.starts_with('|') {
                    kws.push(keywords(k, val, map)?);
                } else {
                    items.push(item(k, val, variant, map)?);
                }
            }
            if kws.is_empty() {
                Ok(Sel::All(items))
            } else {
                // Keyword entries of a map are AND-ed with its items.
                let mut parts: Vec<Sel> = kws;
                if !items.is_empty() {
                    parts.push(Sel::All(items));
                }
                Ok(Sel::And(parts))
            }
        }
        Y::Sequence(seq) if seq.iter().all(|x| x.is_mapping()) && !seq.is_empty() => Ok(Sel::Any(
            seq.iter()
                .map(|x| selection(name, x, variant, map))
                .collect::<Result<_, _>>()?,
        )),
        Y::Sequence(_) | Y::String(_) | Y::Number(_) => keywords(name, v, map),
        Y::Null => Err(invalid(
            name,
            format!("search identifier `{name}` is empty"),
        )),
        _ => Err(invalid(
            name,
            format!("search identifier `{name}`: unexpected value"),
        )),
    }
}

/// Splits `Field|mod|mod` into the field and its modifiers.
fn split_key(k: &str) -> (&str, Vec<&str>) {
    let mut it = k.split('|');
    let field = it.next().unwrap_or("");
    (field, it.collect())
}

/// Modifier chain, parsed.
#[derive(Default)]
struct Mods<'a> {
    pos: Option<&'a str>,
    all: bool,
    cased: bool,
    windash: bool,
    encodings: Vec<&'a str>,
    re: bool,
    re_flags: (bool, bool, bool),
    cidr: bool,
    exists: bool,
    expand: bool,
    fieldref: bool,
    cmp: Option<Op>,
    neq: bool,
    time: Option<Unit>,
}

fn mods<'a>(key: &str, list: &[&'a str]) -> Result<Mods<'a>, CErr> {
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
fn values(v: &Y) -> Vec<&Y> {
    match v {
        Y::Sequence(s) => s.iter().collect(),
        other => vec![other],
    }
}

/// Expands `%name%` placeholders (`\%` is a plain percent).
fn expand(s: &str, map: &Mapping) -> Result<Vec<String>, CErr> {
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

fn encode(enc: &str, data: Vec<u8>) -> Vec<Vec<u8>> {
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

fn regex(key: &str, s: &str, flags: (bool, bool, bool)) -> Result<M, CErr> {
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
fn string_tokens(key: &str, s: &str, m: &Mods<'_>) -> Result<Vec<Vec<Tok>>, CErr> {
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

fn item(key: &str, val: &Y, variant: &Variant, map: &Mapping) -> Result<Item, CErr> {
    let (field, list) = split_key(key);
    let m = mods(key, &list)?;
    let names = view_names(field, variant);
    if m.exists {
        let Y::Bool(b) = val else {
            return Err(invalid(
                key,
                format!("`{key}`: `exists` takes true or false"),
            ));
        };
        return Ok(Item {
            names,
            test: Test::Exists(*b),
        });
    }
    let vals = values(val);
    if vals.is_empty() {
        return Err(invalid(key, format!("`{key}`: empty list of values")));
    }
    if m.all && vals.len() < 2 && !m.expand {
        // Accepted (pySigma does), though the specification discourages it.
    }
    let mut ms = Vec::new();
    for v in vals {
        if v.is_null() {
            ms.push(M::Null);
            continue;
        }
        let Some(s) = scalar_text(v) else {
            return Err(invalid(
                key,
                format!("`{key}`: values must be strings, numbers or null"),
            ));
        };
        let texts = if m.expand { expand(&s, map)? } else { vec![s] };
        let mut alts = Vec::new();
        for s in texts {
            if m.re {
                alts.push(regex(key, &s, m.re_flags)?);
            } else if m.cidr {
                let (n, l) = parse_cidr(&s)
                    .ok_or_else(|| invalid(key, format!("`{key}`: `{s}` is not a network")))?;
                alts.push(M::Cidr(n, l));
            } else if m.fieldref {
                let pos = match m.pos {
                    Some("contains") => Pos::Contains,
                    Some("startswith") => Pos::Prefix,
                    Some("endswith") => Pos::Suffix,
                    _ => Pos::Exact,
                };
                alts.push(M::FieldRef {
                    names: view_names(&s, variant),
                    pos,
                    cased: m.cased,
                });
            } else if let Some(unit) = m.time {
                let n: f64 = s
                    .trim()
                    .parse()
                    .map_err(|_| invalid(key, format!("`{key}`: `{s}` is not a number")))?;
                alts.push(M::Time(unit, m.cmp.unwrap_or(Op::Eq), n));
            } else if let Some(op) = m.cmp {
                let n: f64 = s
                    .trim()
                    .parse()
                    .map_err(|_| invalid(key, format!("`{key}`: `{s}` is not a number")))?;
                alts.push(M::Cmp(op, n));
            } else {
                for toks in string_tokens(key, &s, &m)? {
                    alts.push(M::Str(Pattern::new(toks, m.cased)));
                }
            }
        }
        ms.push(if alts.len() == 1 {
            alts.remove(0)
        } else {
            M::AnyOf(alts)
        });
    }
    Ok(Item {
        names,
        test: Test::Values {
            all: m.all,
            neq: m.neq,
            ms,
        },
    })
}

/// Keywords: values searched in every field (plain values as `contains`).
fn keywords(key: &str, val: &Y, map: &Mapping) -> Result<Sel, CErr> {
    let (_, list) = split_key(key);
    let mut m = mods(key, &list)?;
    if m.pos.is_none() {
        m.pos = Some("contains");
    }
    if m.re || m.cidr || m.exists || m.fieldref || m.cmp.is_some() || m.time.is_some() {
        return Err(CErr::Unsupported(format!(
            "`{key}`: this modifier on keywords"
        )));
    }
    let mut pats = Vec::new();
    for v in values(val) {
        let Some(s) = scalar_text(v) else {
            return Err(invalid(key, "keywords must be strings or numbers"));
        };
        let texts = if m.expand { expand(&s, map)? } else { vec![s] };
        for s in texts {
            for toks in string_tokens(key, &s, &m)? {
                pats.push(Pattern::new(toks, m.cased));
            }
        }
    }
    Ok(Sel::Keywords { all: m.all, pats })
}

/// The names a Sigma field is read under for this variant.
fn view_names(field: &str, variant: &Variant) -> Vec<String> {
    match variant.rename.get(&field.to_ascii_lowercase()) {
        Some(v) => v.clone(),
        None => vec![field.to_string()],
    }
}

/// The `EventID` values a condition requires (`None`: any), for dispatch.
pub(crate) fn required_eventids(node: &Node, sels: &[Sel]) -> Option<Vec<i64>> {
    match node {
        Node::Sel(i) => sel_eventids(&sels[*i]),
        Node::Not(_) => None,
        Node::And(v) => v.iter().find_map(|n| required_eventids(n, sels)),
        Node::Or(v) => {
            let mut out = Vec::new();
            for n in v {
                out.extend(required_eventids(n, sels)?);
            }
            Some(out)
        }
    }
}

fn sel_eventids(s: &Sel) -> Option<Vec<i64>> {
    match s {
        Sel::All(items) => items.iter().find_map(|it| {
            if !it.names.iter().any(|n| n.eq_ignore_ascii_case("EventID")) || it.names.len() != 1 {
                return None;
            }
            let Test::Values {
                all: false,
                neq: false,
                ms,
            } = &it.test
            else {
                return None;
            };
            ms.iter()
                .map(|m| match m {
                    M::Str(p) => p.exact_int(),
                    _ => None,
                })
                .collect()
        }),
        Sel::Any(v) => {
            let mut out = Vec::new();
            for s in v {
                out.extend(sel_eventids(s)?);
            }
            Some(out)
        }
        Sel::And(v) => v.iter().find_map(sel_eventids),
        Sel::Keywords { .. } => None,
    }
}
