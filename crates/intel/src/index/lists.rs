//! Plain lists in the index, kept compact ([`ListBatch`]): one provenance
//! per list, values in one arena, an [`Indicator`] made only when one is
//! asked for (a match). Numbered after the full indicators, in order.

use super::{add_owned, BuildOptions, BuildReport, Pairs};
use crate::sources::list::ListBatch;
use crate::Indicator;
use haboob_model::Ts;
use rayon::prelude::*;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

/// The lists of an index and where their numbers start.
#[derive(Debug, Default)]
pub(super) struct Lists {
    /// (first number, list), by first number.
    parts: Vec<(u32, ListBatch)>,
    len: usize,
}

impl Lists {
    /// Values held.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    fn part(&self, i: u32) -> Option<(&ListBatch, usize)> {
        let at = self.parts.partition_point(|(first, _)| *first <= i);
        let (first, b) = self.parts.get(at.checked_sub(1)?)?;
        let k = (i - first) as usize;
        (k < b.len()).then_some((b, k))
    }

    /// Number `i` as an indicator.
    pub(super) fn indicator(&self, i: u32) -> Option<Indicator> {
        let (b, k) = self.part(i)?;
        b.indicator(k)
    }

    /// The id of number `i`.
    pub(super) fn id(&self, i: u32) -> Option<String> {
        let (b, k) = self.part(i)?;
        b.id(k)
    }

    /// Whether number `i` is valid at `ts` (lists have an expiry only).
    pub(super) fn valid_at(&self, i: u32, ts: Ts) -> bool {
        self.part(i)
            .is_some_and(|(b, _)| b.valid_until().is_none_or(|u| ts <= u))
    }

    /// Index `batches` into `p`, numbered from `first`: lists expired
    /// before the cut are left out, and of values listed twice with the
    /// same source (the same id) the later one is kept.
    pub(super) fn build(
        mut batches: Vec<ListBatch>,
        first: u32,
        opts: &BuildOptions,
        report: &mut BuildReport,
        p: &mut Pairs,
    ) -> Lists {
        batches.retain(|b| {
            let expired = matches!((opts.drop_expired_before, b.valid_until()),
                (Some(cut), Some(until)) if until < cut);
            if expired {
                report.expired += b.len();
            }
            !expired && !b.is_empty()
        });
        // Last one of an id wins: ids are (source, value). Sorted by a hash
        // of the two (cache-friendly where a hash map of 1M strings is not),
        // then equal hashes compared.
        let keep: Vec<Vec<bool>> = {
            let mut sources: Vec<&str> = Vec::new();
            let total = batches.iter().map(ListBatch::len).sum();
            let mut keys: Vec<(u64, u32, u32)> = Vec::with_capacity(total);
            let mut src_of = Vec::with_capacity(batches.len());
            for (bi, b) in batches.iter().enumerate() {
                let s = match sources.iter().position(|s| *s == b.source()) {
                    Some(s) => s,
                    None => {
                        sources.push(b.source());
                        sources.len() - 1
                    }
                };
                src_of.push(s);
                // Hashed on the pool: the order of `keys` is by list and
                // line as if done in one loop.
                keys.par_extend((0..b.len()).into_par_iter().map(move |k| {
                    let mut h = super::postings::FxHasher::default();
                    s.hash(&mut h);
                    b.value(k).unwrap_or("").hash(&mut h);
                    (h.finish(), bi as u32, k as u32)
                }));
            }
            keys.par_sort_unstable();
            let mut keep: Vec<Vec<bool>> = batches.iter().map(|b| vec![true; b.len()]).collect();
            let same = |x: &(u64, u32, u32), y: &(u64, u32, u32)| {
                let (bx, by) = (x.1 as usize, y.1 as usize);
                src_of[bx] == src_of[by]
                    && batches[bx].value(x.2 as usize) == batches[by].value(y.2 as usize)
            };
            for run in keys.chunk_by(|x, y| x.0 == y.0) {
                for (i, x) in run.iter().enumerate() {
                    // Sorted by (hash, list, line): a later equal one wins.
                    if run[i + 1..].iter().any(|y| same(x, y)) {
                        keep[x.1 as usize][x.2 as usize] = false;
                    }
                }
            }
            keep
        };
        let mut parts = Vec::with_capacity(batches.len());
        let mut n = first;
        let mut counts: Vec<(&'static str, u64)> = Vec::new();
        for (mut b, keep) in batches.into_iter().zip(keep) {
            let before = b.len();
            b.retain(&keep);
            report.duplicates += before - b.len();
            let start = n;
            for o in b.take_observables() {
                let kind = crate::sources::kind_of(&o);
                match counts.iter_mut().find(|(c, _)| *c == kind) {
                    Some((_, c)) => *c += 1,
                    None => counts.push((kind, 1)),
                }
                add_owned(p, o, n);
                n += 1;
            }
            parts.push((start, b));
        }
        for (k, c) in counts {
            *report.by_kind.entry(k.to_string()).or_default() += c;
        }
        Lists {
            len: (n - first) as usize,
            parts,
        }
    }

    /// Ids of `indicators` that a list value also has (`list--…` ids of a
    /// list read before, e.g. stored): the list's copy wins.
    pub(super) fn shadowed(indicators: &[Indicator], batches: &[ListBatch]) -> HashSet<String> {
        let listed: HashSet<&str> = indicators
            .iter()
            .map(|i| i.id.as_str())
            .filter(|id| id.starts_with("list--"))
            .collect();
        if listed.is_empty() {
            return HashSet::new();
        }
        batches
            .iter()
            .flat_map(|b| (0..b.len()).filter_map(move |k| b.id(k)))
            .filter(|id| listed.contains(id.as_str()))
            .collect()
    }
}
