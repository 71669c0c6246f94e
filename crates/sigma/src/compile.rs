//! Compiling a rule's `detection` once: search identifiers to selections
//! (field items with their modifier chains), conditions to a boolean
//! program with `x of` expanded, regexes built once with a size limit.

use crate::condition::{self, Expr};
use crate::eval::{parse_cidr, Item, Node, Op, Pos, Sel, Test, M};
use crate::mapping::{Mapping, Variant};
use crate::modifiers::{expand, mods, regex, split_key, string_tokens, values};
use crate::pattern::Pattern;
use serde_yaml_ng::Value as Y;

/// Why a detection did not compile: the text to find in the document (for
/// the line and column) and the reason.
#[derive(Debug, Clone)]
pub(crate) enum CErr {
    Invalid { near: String, reason: String },
    Unsupported(String),
}

pub(crate) fn invalid(near: &str, reason: impl Into<String>) -> CErr {
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
        let mut alts = Vec::new();
        for s in texts {
            for toks in string_tokens(key, &s, &m)? {
                alts.push(Pattern::new(toks, m.cased));
            }
        }
        pats.push(alts);
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
