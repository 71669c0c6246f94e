//! DFA automata built once per process for each pattern set. A hunt builds
//! the web detectors for every input stream (each file of an EVTX folder
//! too), and building their automata was a quarter of the CPU time of
//! `haboob hunt --rules` over the hayabusa-sample-evtx set (115 files);
//! an automaton is immutable and shared by reference count, so the same
//! patterns and options give a clone of the first one built.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Distinct pattern sets kept (one per detector and configuration; beyond
/// this, automata are built without being kept).
const MAX_KEPT: usize = 64;

type Key = (Vec<Vec<u8>>, bool, u8);

fn kept() -> &'static Mutex<HashMap<Key, Option<AhoCorasick>>> {
    static KEPT: OnceLock<Mutex<HashMap<Key, Option<AhoCorasick>>>> = OnceLock::new();
    KEPT.get_or_init(Mutex::default)
}

/// A DFA over `pats` (`ascii_ci`: ASCII case-insensitive), `None` when it
/// cannot be built.
pub(crate) fn dfa<I, P>(pats: I, ascii_ci: bool, kind: MatchKind) -> Option<AhoCorasick>
where
    I: IntoIterator<Item = P>,
    P: AsRef<[u8]>,
{
    let pats: Vec<Vec<u8>> = pats.into_iter().map(|p| p.as_ref().to_vec()).collect();
    let tag = match kind {
        MatchKind::Standard => 0,
        MatchKind::LeftmostFirst => 1,
        _ => 2,
    };
    let build = |pats: &[Vec<u8>]| {
        AhoCorasickBuilder::new()
            .kind(Some(AhoCorasickKind::DFA))
            .ascii_case_insensitive(ascii_ci)
            .match_kind(kind)
            .build(pats)
            .ok()
    };
    let key = (pats, ascii_ci, tag);
    if let Some(ac) = kept().lock().ok().and_then(|m| m.get(&key).cloned()) {
        return ac;
    }
    let ac = build(&key.0);
    if let Ok(mut m) = kept().lock() {
        if m.len() < MAX_KEPT {
            m.insert(key, ac.clone());
        }
    }
    ac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_patterns_same_matches() {
        let a = dfa(["abc", "bcd"], true, MatchKind::Standard).unwrap();
        let b = dfa(["abc", "bcd"], true, MatchKind::Standard).unwrap();
        let c = dfa(["abc", "bcd"], false, MatchKind::Standard).unwrap();
        assert_eq!(a.find_overlapping_iter("xABCD").count(), 2);
        assert_eq!(b.find_overlapping_iter("xABCD").count(), 2);
        assert_eq!(c.find_overlapping_iter("xABCD").count(), 0);
    }
}
