//! The literal prefilter: per dispatch list, one Aho-Corasick automaton
//! (ASCII case-insensitive) over the literal needles rules require. For
//! each event the fields those rules name are scanned once; a rule none of
//! whose required needles occurs is skipped without being evaluated.
//!
//! A rule's needle set is a *necessary* condition derived from its
//! condition: a selection needs one of its items' literals (a map: the
//! item with the most selective needles; a list: the union), `and` needs
//! one child's set, `or` the union of all children's, `not` and items
//! without literals (regexes, numbers, null, keywords) give none (the rule
//! always runs). Needles are matched in any scanned field, which keeps the
//! test necessary (never skips a rule that would match).

use crate::eval::{Node, Sel, Test, M};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use haboob_model::{FieldView, Value};
use std::cell::RefCell;
use std::collections::HashMap;

/// Needles shorter than this are not worth an automaton state (they occur
/// almost everywhere); an item whose best literal is shorter gives none.
const MIN_NEEDLE: usize = 3;

/// Lists with fewer rules with needles than this run without prefilter.
pub(crate) const MIN_RULES: usize = 8;

/// Literals and the fields they come from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Needles {
    pub(crate) lits: Vec<Vec<u8>>,
    pub(crate) fields: Vec<String>,
}

impl Needles {
    fn union(mut self, o: Needles) -> Needles {
        self.lits.extend(o.lits);
        self.fields.extend(o.fields);
        self
    }
    /// Higher is more selective: the shortest needle's length, then fewer.
    fn score(&self) -> (usize, std::cmp::Reverse<usize>) {
        let min = self.lits.iter().map(Vec::len).min().unwrap_or(0);
        (min, std::cmp::Reverse(self.lits.len()))
    }
}

fn best(cands: impl Iterator<Item = Needles>) -> Option<Needles> {
    cands.max_by_key(Needles::score)
}

/// The needles one of which must occur for the condition to hold.
pub(crate) fn needles(node: &Node, sels: &[Sel]) -> Option<Needles> {
    match node {
        Node::Sel(i) => sel_needles(&sels[*i]),
        Node::Not(_) => None,
        Node::And(v) => best(v.iter().filter_map(|n| needles(n, sels))),
        Node::Or(v) => v
            .iter()
            .map(|n| needles(n, sels))
            .try_fold(Needles::default(), |acc, n| Some(acc.union(n?))),
    }
}

fn sel_needles(s: &Sel) -> Option<Needles> {
    match s {
        Sel::All(items) => best(items.iter().filter_map(|it| {
            let Test::Values {
                all,
                neq: false,
                ms,
            } = &it.test
            else {
                return None;
            };
            let mut lits = Vec::new();
            for m in ms {
                let alts = match m {
                    M::AnyOf(v) => v.as_slice(),
                    one => std::slice::from_ref(one),
                };
                for a in alts {
                    let M::Str(p) = a else { return None };
                    let lit = p.literals().into_iter().max_by_key(|l| l.len())?;
                    if lit.len() < MIN_NEEDLE {
                        return None;
                    }
                    lits.push(lit.to_ascii_lowercase());
                }
                if *all {
                    break; // each value must match: any one's needles are necessary
                }
            }
            (!lits.is_empty()).then(|| Needles {
                lits,
                fields: it.names.clone(),
            })
        })),
        Sel::Any(v) => v
            .iter()
            .map(sel_needles)
            .try_fold(Needles::default(), |acc, n| Some(acc.union(n?))),
        Sel::And(v) => best(v.iter().filter_map(sel_needles)),
        Sel::Keywords { all, pats } => {
            // Keywords are searched in every field value: their needles are
            // scanned in all of them ([`ANY_FIELD`]).
            let group = |g: &Vec<crate::pattern::Pattern>| -> Option<Vec<Vec<u8>>> {
                g.iter()
                    .map(|p| {
                        let lit = p.literals().into_iter().max_by_key(|l| l.len())?;
                        (lit.len() >= MIN_NEEDLE).then(|| lit.to_ascii_lowercase())
                    })
                    .collect()
            };
            let lits = if *all {
                // Each value must be found: any one value's needles.
                pats.iter()
                    .filter_map(group)
                    .max_by_key(|l| l.iter().map(Vec::len).min().unwrap_or(0))?
            } else {
                pats.iter().map(group).collect::<Option<Vec<_>>>()?.concat()
            };
            (!lits.is_empty()).then(|| Needles {
                lits,
                fields: vec![ANY_FIELD.to_owned()],
            })
        }
    }
}

/// The field name standing for "every field value" (keywords).
pub(crate) const ANY_FIELD: &str = "*";

/// The automaton of one dispatch list.
#[derive(Debug, Clone)]
pub(crate) struct Pre {
    ac: AhoCorasick,
    fields: Vec<String>,
    words: usize,
    /// Per program of the list (same order): its needle ids, or `None`
    /// when it always runs.
    need: Vec<Option<Box<[u32]>>>,
}

thread_local! {
    static SEEN: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

impl Pre {
    /// Builds the prefilter of a list from each program's needles.
    pub(crate) fn build(per_prog: &[Option<Needles>], min_rules: usize) -> Option<Pre> {
        let with = per_prog.iter().filter(|n| n.is_some()).count();
        if with == 0 || with < min_rules {
            return None;
        }
        let mut ids: HashMap<Vec<u8>, u32> = HashMap::new();
        let mut pats: Vec<Vec<u8>> = Vec::new();
        let mut fields: Vec<String> = Vec::new();
        let mut need = Vec::with_capacity(per_prog.len());
        for n in per_prog {
            need.push(n.as_ref().map(|n| {
                for f in &n.fields {
                    if !fields.iter().any(|x| x.eq_ignore_ascii_case(f)) {
                        fields.push(f.clone());
                    }
                }
                let mut v: Vec<u32> = n
                    .lits
                    .iter()
                    .map(|l| {
                        *ids.entry(l.clone()).or_insert_with(|| {
                            pats.push(l.clone());
                            u32::try_from(pats.len() - 1).unwrap_or(u32::MAX)
                        })
                    })
                    .collect();
                v.sort_unstable();
                v.dedup();
                v.into_boxed_slice()
            }));
        }
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&pats)
            .ok()?;
        Some(Pre {
            ac,
            fields,
            words: pats.len().div_ceil(64),
            need,
        })
    }

    /// Calls `run(i)` for each program `i` of the list that may match `ev`.
    pub(crate) fn each_candidate(&self, ev: &dyn FieldView, run: &mut dyn FnMut(usize)) {
        SEEN.with(|seen| {
            let mut seen = seen.borrow_mut();
            seen.clear();
            seen.resize(self.words, 0);
            let mut buf = [0u8; 24];
            let mut scan = |v: &Value<'_>| {
                let text: &[u8] = match v {
                    Value::Str(s) => s.as_bytes(),
                    Value::Int(n) => {
                        use std::io::Write;
                        let mut c = std::io::Cursor::new(&mut buf[..]);
                        let _ = write!(c, "{n}");
                        let len = usize::try_from(c.position()).unwrap_or(0);
                        &buf[..len]
                    }
                    Value::Null => return,
                };
                for m in self.ac.find_overlapping_iter(text) {
                    let p = m.pattern().as_usize();
                    seen[p / 64] |= 1 << (p % 64);
                }
            };
            for f in &self.fields {
                if f == ANY_FIELD {
                    ev.for_each_field(&mut |_, v| scan(&v));
                } else if let Some(v) = ev.field(f) {
                    scan(&v);
                }
            }
            for (i, need) in self.need.iter().enumerate() {
                let ok = match need {
                    None => true,
                    Some(ids) => ids
                        .iter()
                        .any(|&p| seen[p as usize / 64] & (1 << (p % 64)) != 0),
                };
                if ok {
                    run(i);
                }
            }
        });
    }
}
