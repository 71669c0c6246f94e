//! The literal prefilter: per dispatch list, one Aho-Corasick automaton
//! over the literal needles rules require (folded to ASCII lower case, as
//! is the scanned text). For
//! each event the fields those rules name are scanned once (every field
//! once, when some rule has keywords); a rule whose required needles do not
//! occur is skipped without being evaluated.
//!
//! A rule's needles are a *necessary* condition derived from its condition,
//! in conjunctive form: clauses that must all hold, each satisfied by one
//! of its needles. A map gives a clause per item with literals (a list of
//! values: their union; with `all`, one per value), `and` keeps all its
//! children's clauses, `or` gives one clause (the union of each child's
//! most selective one), `not` and items without literals (regexes,
//! numbers, null) give none. A rule without clauses always runs. Needles
//! are matched in any scanned field, which keeps the test necessary (never
//! skips a rule that would match).

use crate::eval::{Item, Node, Sel, Test, M};
use crate::memo::{self, Memos};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use haboob_model::{FieldView, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

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

/// Clauses that must all hold, each one of its needles found: a necessary
/// condition in conjunctive form. Empty: no condition (the rule always runs).
pub(crate) type Cnf = Vec<Needles>;

/// At most this many clauses per rule (the most selective): each clause
/// adds needles to the automaton, and a few already make a rule rare.
const MAX_CLAUSES: usize = 3;

/// The single clause that stands for a CNF in a disjunction: its most
/// selective one (`None` when the CNF is empty, i.e. no condition).
fn best_clause(cnf: Cnf) -> Option<Needles> {
    cnf.into_iter().max_by_key(Needles::score)
}

/// `or` of several CNFs: one clause, the union of each one's best clause
/// (empty when one of them is unconstrained).
fn any_of(cnfs: impl Iterator<Item = Cnf>) -> Cnf {
    cnfs.map(best_clause)
        .try_fold(Needles::default(), |acc, n| Some(acc.union(n?)))
        .filter(|n| !n.lits.is_empty())
        .into_iter()
        .collect()
}

/// Keeps the [`MAX_CLAUSES`] most selective clauses.
fn trim(mut cnf: Cnf) -> Cnf {
    if cnf.len() > MAX_CLAUSES {
        cnf.sort_by_key(|n| std::cmp::Reverse(n.score()));
        cnf.truncate(MAX_CLAUSES);
    }
    cnf
}

/// The needles for the condition to hold: every clause must have one of
/// its needles in a scanned field (`and` keeps its children's clauses,
/// `or` keeps one clause, `not` none).
pub(crate) fn needles(node: &Node, sels: &[Sel]) -> Cnf {
    trim(cnf_of(node, sels))
}

fn cnf_of(node: &Node, sels: &[Sel]) -> Cnf {
    match node {
        Node::Sel(i) => sel_needles(&sels[*i]),
        Node::Not(_) => Vec::new(),
        Node::And(v) => v.iter().flat_map(|n| cnf_of(n, sels)).collect(),
        Node::Or(v) => any_of(v.iter().map(|n| cnf_of(n, sels))),
    }
}

/// Needles are cut to their last this many bytes: a part of a literal is
/// as necessary as the whole, long ones are already rare, and automaton
/// states (its build time) grow with the needles' bytes (the SigmaHQ
/// vulnerable-driver rules list thousands of 40-70 byte hashes).
const MAX_NEEDLE: usize = 32;

/// The needle a pattern gives: the longest run of literal bytes without
/// [`SEP`] (a part of a required literal is required too), its last
/// [`MAX_NEEDLE`] bytes, folded; `None` when shorter than [`MIN_NEEDLE`].
fn needle(p: &crate::pattern::Pattern) -> Option<Vec<u8>> {
    let lit = p
        .literals()
        .into_iter()
        .flat_map(|l| l.split(|&b| b == SEP))
        .max_by_key(|l| l.len())?;
    let lit = &lit[lit.len().saturating_sub(MAX_NEEDLE)..];
    (lit.len() >= MIN_NEEDLE).then(|| lit.to_ascii_lowercase())
}

/// The clause of one item (`None` when it has no usable literal).
fn item_clauses(it: &Item) -> Cnf {
    let Test::Values {
        all,
        neq: false,
        ms,
    } = &it.test
    else {
        return Vec::new();
    };
    let lits_of = |m: &M| -> Option<Vec<Vec<u8>>> {
        let alts = match m {
            M::AnyOf(v) => v.as_slice(),
            one => std::slice::from_ref(one),
        };
        alts.iter()
            .map(|a| {
                let M::Str(p) = a else { return None };
                needle(p)
            })
            .collect()
    };
    value_clauses(*all, ms.iter().map(lits_of), &it.names)
}

/// The clauses of a list of values, given each value's needles (`None`
/// when it has no usable literal), scanned in `fields`: with `all`, each
/// value must be found, so each one's needles are a clause; otherwise any
/// one may be, so all needles make one clause, and none at all when a value
/// has no needle.
fn value_clauses(
    all: bool,
    values: impl Iterator<Item = Option<Vec<Vec<u8>>>>,
    fields: &[String],
) -> Cnf {
    let clause = |lits: Vec<Vec<u8>>| Needles {
        lits,
        fields: fields.to_vec(),
    };
    if all {
        values.flatten().map(clause).collect()
    } else {
        values
            .collect::<Option<Vec<_>>>()
            .map(|v| v.concat())
            .filter(|l| !l.is_empty())
            .map(clause)
            .into_iter()
            .collect()
    }
}

fn sel_needles(s: &Sel) -> Cnf {
    match s {
        Sel::All(items) => items.iter().flat_map(item_clauses).collect(),
        Sel::Any(v) => any_of(v.iter().map(sel_needles)),
        Sel::And(v) => v.iter().flat_map(sel_needles).collect(),
        Sel::Keywords { all, pats } => {
            // Keywords are searched in every field value: their needles are
            // scanned in all of them ([`ANY_FIELD`]).
            let group = |g: &Vec<crate::pattern::Pattern>| -> Option<Vec<Vec<u8>>> {
                g.iter().map(needle).collect()
            };
            value_clauses(*all, pats.iter().map(group), &[ANY_FIELD.to_owned()])
        }
    }
}

/// The field name standing for "every field value" (keywords).
pub(crate) const ANY_FIELD: &str = "*";

/// Automata with at most this many needle bytes are built as a DFA (the
/// fastest scan; its tables grow with the needles, so big lists keep the
/// contiguous NFA).
const DFA_MAX_BYTES: usize = 4096;

/// The needles of one clause (one of them must be seen), as masks over
/// the words of the seen-needle bits: (word index, bits).
type Clause = Box<[(u32, u64)]>;

/// The masks of a clause's needle ids.
fn clause_masks(ids: &[u32]) -> Clause {
    let mut masks: Vec<(u32, u64)> = Vec::new();
    for &p in ids {
        let (w, bit) = (p / 64, 1u64 << (p % 64));
        match masks.iter_mut().find(|(x, _)| *x == w) {
            Some((_, m)) => *m |= bit,
            None => masks.push((w, bit)),
        }
    }
    masks.sort_unstable();
    masks.into_boxed_slice()
}

/// The automaton of one dispatch list.
#[derive(Debug, Clone)]
pub(crate) struct Pre {
    /// Tells this automaton's needle ids apart in the per-thread memos
    /// (unique per build; a clone has the same needles).
    id: u64,
    ac: AhoCorasick,
    /// The named fields to scan; empty when `any` (every field is).
    fields: Vec<String>,
    /// Some rule has keywords: every field value is scanned once (which
    /// covers the named fields too).
    any: bool,
    words: usize,
    /// Per program of the list (same order): its clauses, each the needle
    /// ids one of which must be seen, or `None` when it always runs.
    need: Vec<Option<Box<[Clause]>>>,
    /// The programs that always run (`need` is `None`), in order.
    always: Box<[u32]>,
    /// Per needle id: the programs whose first clause holds it. A program
    /// runs only when each of its clauses has a needle seen, so only the
    /// programs reached from the needles seen in an event are checked, not
    /// every program of the list (a thousand and more for Sysmon process
    /// creation).
    first: Box<[Box<[u32]>]>,
}

/// What one thread needs to scan an event: the needles seen (a bit per
/// needle id, and their ids in the order found), the candidate programs,
/// the short values joined, the memos of long values.
#[derive(Debug, Default)]
struct Scratch {
    seen: Vec<u64>,
    found: Vec<u32>,
    cands: Vec<u32>,
    text: Vec<u8>,
    memos: Memos,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Source of [`Pre::id`].
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Separates field values in the scanned text: no needle holds it (a
/// needle that does is dropped at build), so none matches across values.
const SEP: u8 = 0;

impl Pre {
    /// Builds the prefilter of a list from each program's needles.
    pub(crate) fn build(per_prog: &[Cnf]) -> Option<Pre> {
        if per_prog.iter().all(Vec::is_empty) {
            return None;
        }
        let mut ids: HashMap<Vec<u8>, u32> = HashMap::new();
        let mut pats: Vec<Vec<u8>> = Vec::new();
        let mut fields: Vec<String> = Vec::new();
        let mut need = Vec::with_capacity(per_prog.len());
        for cnf in per_prog {
            if cnf.is_empty() {
                need.push(None);
                continue;
            }
            let clauses = cnf.iter().map(|n| {
                for f in &n.fields {
                    if !fields.iter().any(|x| x.eq_ignore_ascii_case(f)) {
                        fields.push(f.clone());
                    }
                }
                let v: Vec<u32> = n
                    .lits
                    .iter()
                    .map(|l| {
                        *ids.entry(l.clone()).or_insert_with(|| {
                            pats.push(l.clone());
                            u32::try_from(pats.len() - 1).unwrap_or(u32::MAX)
                        })
                    })
                    .collect();
                clause_masks(&v)
            });
            need.push(Some(clauses.collect()));
        }
        let bytes: usize = pats.iter().map(Vec::len).sum();
        // Needles are folded (`needle`) and the scanned text is folded
        // before the scan: a case-sensitive automaton has half the
        // transitions of an ASCII case-insensitive one, so it builds (a
        // sixth of the CPU of a hunt with the SigmaHQ Windows rules) and
        // scans faster.
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .kind((bytes <= DFA_MAX_BYTES).then_some(AhoCorasickKind::DFA))
            .build(&pats)
            .ok()?;
        let any = fields.iter().any(|f| f == ANY_FIELD);
        if any {
            fields.clear();
        }
        let mut always = Vec::new();
        let mut first = vec![Vec::new(); pats.len()];
        for (i, n) in need.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            // (A first clause without needles is never satisfied: the
            // program is reached from no needle, as it never ran before.)
            match n.as_deref().and_then(<[Clause]>::first) {
                None => always.push(i),
                Some(c) => {
                    for &(w, m) in c.iter() {
                        let mut m = m;
                        while m != 0 {
                            let p = w as usize * 64 + m.trailing_zeros() as usize;
                            first[p].push(i);
                            m &= m - 1;
                        }
                    }
                }
            }
        }
        Some(Pre {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            ac,
            fields,
            any,
            words: pats.len().div_ceil(64),
            need,
            always: always.into(),
            first: first.into_iter().map(Vec::into_boxed_slice).collect(),
        })
    }

    /// Marks in `seen` the needles found in the scanned fields' values:
    /// a long value through the memo, the short ones joined (each followed
    /// by [`SEP`]) and scanned in one pass.
    fn scan(&self, ev: &dyn FieldView, sc: &mut Scratch) {
        let Scratch {
            seen,
            found,
            text,
            memos,
            ..
        } = sc;
        seen.clear();
        seen.resize(self.words, 0);
        found.clear();
        text.clear();
        let memo = memos.of(self.id);
        let mut mark = |p: u32| {
            let (w, bit) = (p as usize / 64, 1u64 << (p % 64));
            if seen[w] & bit == 0 {
                seen[w] |= bit;
                found.push(p);
            }
        };
        let mut visit = |t: &[u8]| {
            if (memo::MIN_LEN..=memo::MAX_LEN).contains(&t.len()) {
                memo.scan(&self.ac, t, &mut mark);
            } else {
                text.extend_from_slice(t);
                text.push(SEP);
            }
        };
        if self.any {
            ev.for_each_text(&mut visit);
        }
        let mut buf = [0u8; 20];
        for f in &self.fields {
            match ev.field(f) {
                Some(Value::Str(s)) => visit(s.as_bytes()),
                Some(Value::Int(n)) => visit(haboob_model::decimal(n, &mut buf)),
                Some(Value::Null) | None => {}
            }
        }
        text.make_ascii_lowercase();
        for m in self.ac.find_overlapping_iter(text.as_slice()) {
            mark(u32::try_from(m.pattern().as_usize()).unwrap_or(u32::MAX));
        }
    }

    /// Calls `run(i)` for each program `i` of the list that may match `ev`,
    /// in increasing order.
    pub(crate) fn each_candidate(&self, ev: &dyn FieldView, run: &mut dyn FnMut(usize)) {
        SCRATCH.with(|sc| {
            let mut sc = sc.borrow_mut();
            self.scan(ev, &mut sc);
            let Scratch {
                seen, found, cands, ..
            } = &mut *sc;
            let holds = |c: &Clause| c.iter().any(|&(w, m)| seen[w as usize] & m != 0);
            cands.clear();
            cands.extend_from_slice(&self.always);
            for &p in found.iter() {
                cands.extend_from_slice(&self.first[p as usize]);
            }
            cands.sort_unstable();
            cands.dedup();
            for &i in cands.iter() {
                let ok = match &self.need[i as usize] {
                    None => true,
                    Some(clauses) => clauses.iter().all(holds),
                };
                if ok {
                    run(i as usize);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use haboob_model::JsonView;

    fn clause(field: &str, lits: &[&str]) -> Needles {
        Needles {
            lits: lits.iter().map(|l| l.as_bytes().to_vec()).collect(),
            fields: vec![field.to_owned()],
        }
    }

    fn candidates(pre: &Pre, json: &str) -> Vec<usize> {
        let mut got = Vec::new();
        pre.each_candidate(&JsonView::new(json), &mut |i| got.push(i));
        got
    }

    /// A program is a candidate exactly when each of its clauses has a
    /// needle in a scanned field, whichever clause the needles seen reach
    /// it from; candidates come in increasing order, each once.
    #[test]
    fn candidates_need_every_clause() {
        let pre = Pre::build(&[
            vec![clause("f1", &["alpha"])],
            Vec::new(),
            vec![clause("f1", &["beta"]), clause("f2", &["gamma", "delta"])],
            vec![clause("f2", &["gamma"]), clause("f1", &["beta"])],
            vec![clause("f1", &["beta", "alpha"])],
        ])
        .unwrap();
        assert_eq!(
            candidates(&pre, r#"{"f1":"xx BETA","f2":"delta"}"#),
            [1, 2, 4]
        );
        // Needles count in any scanned field, several times over.
        assert_eq!(
            candidates(&pre, r#"{"f1":"gamma gamma","f2":"beta beta"}"#),
            [1, 2, 3, 4]
        );
        assert_eq!(candidates(&pre, r#"{"f1":"alpha beta"}"#), [0, 1, 4]);
        // Only the later clause of 3 seen: not a candidate.
        assert_eq!(candidates(&pre, r#"{"f1":"beta"}"#), [1, 4]);
        assert_eq!(candidates(&pre, r#"{"f3":"alpha beta gamma"}"#), [1]);
        assert_eq!(candidates(&pre, "{}"), [1]);
    }
}
