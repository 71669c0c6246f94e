//! The partial matches of stateful STIX patterns carried from one run to
//! the next ([`IntelIndex::save_pattern_states`] /
//! [`IntelIndex::restore_pattern_states`], through JSON as a checkpoint
//! would): a stream cut anywhere gives exactly the hits (and the earlier
//! events' evidence) of the stream in one piece; a pattern removed or
//! changed drops its state; a state that does not fit its pattern is an
//! error naming the indicator.

mod common;
use common::ind;
use haboob_intel::{
    BuildOptions, Indicator, IntelIndex, Observed, PatternStates, SavedPatternStates,
};
use haboob_model::{Evidence, Ts};

fn index(inds: Vec<Indicator>) -> IntelIndex {
    let (idx, report) = IntelIndex::build(inds, &BuildOptions::default());
    assert!(report.unsupported.is_empty(), "{:?}", report.unsupported);
    idx
}

fn patterns() -> Vec<Indicator> {
    vec![
        ind(
            "env-then-aws",
            "([domain-name:value = 'env.example'] FOLLOWEDBY [domain-name:value = 'aws.example']) WITHIN 60 SECONDS",
        ),
        ind(
            "env-then-aws-20",
            "([domain-name:value = 'env.example'] FOLLOWEDBY [domain-name:value = 'aws.example']) WITHIN 20 SECONDS",
        ),
        ind(
            "three-git",
            "[domain-name:value = 'git.example'] REPEATS 3 TIMES WITHIN 30 SECONDS",
        ),
        ind(
            "env-and-git",
            "[domain-name:value = 'env.example'] AND [domain-name:value = 'git.example']",
        ),
    ]
}

/// (seconds, domain): the events of the stream, in time order.
const EVENTS: &[(i64, &str)] = &[
    (0, "env.example"),
    (5, "git.example"),
    (10, "other.example"),
    (12, "git.example"),
    (20, "git.example"),
    (35, "aws.example"),
    (200, "env.example"),
    (290, "aws.example"),
    (300, "git.example"),
];

/// (event number, indicator id, lines of the earlier events) of each hit.
type Hits = Vec<(usize, String, Vec<u64>)>;

fn feed(idx: &IntelIndex, st: &mut PatternStates, range: std::ops::Range<usize>, out: &mut Hits) {
    for i in range {
        let (secs, domain) = EVENTS[i];
        let o = Observed {
            domain: Some(domain),
            ..Observed::default()
        };
        let mut hits = Vec::new();
        let mut ev = || Evidence {
            file: "dns.log".into(),
            line: i as u64 + 1,
            raw: domain.into(),
        };
        idx.pattern_matches_with(&o, Ts::from_secs(secs), st, &mut ev, &mut hits);
        for h in hits {
            let id = idx.indicator_id(h.indicator).unwrap().into_owned();
            out.push((i, id, h.earlier.iter().map(|e| e.line).collect()));
        }
    }
}

fn carry(saved: &SavedPatternStates) -> SavedPatternStates {
    serde_json::from_str(&serde_json::to_string(saved).unwrap()).unwrap()
}

#[test]
fn a_stream_cut_anywhere_gives_the_hits_of_one_piece() {
    let idx = index(patterns());
    let mut whole = Hits::new();
    feed(
        &idx,
        &mut PatternStates::default(),
        0..EVENTS.len(),
        &mut whole,
    );
    let got = |i: usize, id: &str| whole.iter().find(|h| h.0 == i && h.1 == id).cloned();
    // The FOLLOWEDBY within 60 s: /env at 0 then /aws at 35, with the
    // first event's evidence; not within 20 s; not 90 s apart.
    assert_eq!(
        got(5, "env-then-aws"),
        Some((5, "env-then-aws".into(), vec![1]))
    );
    assert_eq!(got(5, "env-then-aws-20"), None);
    assert_eq!(got(7, "env-then-aws"), None);
    // Three git within 30 s: 5, 12, 20.
    assert_eq!(
        got(4, "three-git"),
        Some((4, "three-git".into(), vec![2, 4]))
    );
    // The AND of env and git, from its first git on (no WITHIN: a day).
    assert_eq!(
        got(6, "env-and-git"),
        Some((6, "env-and-git".into(), vec![5]))
    );
    let mut ids: Vec<(usize, &str)> = whole.iter().map(|h| (h.0, h.1.as_str())).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            (1, "env-and-git"),
            (3, "env-and-git"),
            (4, "env-and-git"),
            (4, "three-git"),
            (5, "env-then-aws"),
            (6, "env-and-git"),
            (8, "env-and-git"),
        ]
    );
    for cut in 0..=EVENTS.len() {
        let mut st = PatternStates::default();
        let mut hits = Hits::new();
        feed(&idx, &mut st, 0..cut, &mut hits);
        let saved = carry(&idx.save_pattern_states(&st));
        // A later run builds its own index of the same intel.
        let idx2 = index(patterns());
        let (mut st2, dropped) = idx2.restore_pattern_states(saved).unwrap();
        assert_eq!(dropped, 0);
        feed(&idx2, &mut st2, cut..EVENTS.len(), &mut hits);
        assert_eq!(hits, whole, "cut before event {cut}");
    }
}

#[test]
fn a_removed_or_changed_pattern_drops_its_state_a_new_one_starts_empty() {
    let idx = index(patterns());
    let mut st = PatternStates::default();
    let mut hits = Hits::new();
    // env.example at 0: the FOLLOWEDBYs and the AND are half matched.
    feed(&idx, &mut st, 0..1, &mut hits);
    assert!(hits.is_empty());
    let saved = carry(&idx.save_pattern_states(&st));
    assert_eq!(saved.len(), 3);
    // Next run: one FOLLOWEDBY removed, the other with its window changed
    // (another text), the AND unchanged, a new FOLLOWEDBY added.
    let mut next = patterns();
    next.retain(|i| i.id != "env-then-aws-20" && i.id != "three-git");
    next[0] = ind(
        "env-then-aws",
        "([domain-name:value = 'env.example'] FOLLOWEDBY [domain-name:value = 'aws.example']) WITHIN 61 SECONDS",
    );
    next.push(ind(
        "new",
        "[domain-name:value = 'env.example'] FOLLOWEDBY [domain-name:value = 'aws.example']",
    ));
    let idx2 = index(next);
    let (mut st2, dropped) = idx2.restore_pattern_states(saved).unwrap();
    assert_eq!((dropped, st2.len()), (2, 1));
    let mut hits = Hits::new();
    feed(&idx2, &mut st2, 1..6, &mut hits);
    // The AND completes at git.example (5 s) from the carried env.example;
    // the changed and the new FOLLOWEDBY start empty: no match at 35 s.
    let ids: Vec<(usize, &str)> = hits.iter().map(|h| (h.0, h.1.as_str())).collect();
    assert_eq!(
        ids,
        [(1, "env-and-git"), (3, "env-and-git"), (4, "env-and-git")]
    );
    assert_eq!(hits[0].2, [1]);
}

#[test]
fn a_state_that_does_not_fit_its_pattern_is_an_error_naming_the_indicator() {
    let idx = index(patterns());
    let mut st = PatternStates::default();
    feed(&idx, &mut st, 0..1, &mut Hits::new());
    let json = serde_json::to_string(&idx.save_pattern_states(&st)).unwrap();
    // The FOLLOWEDBY's node given a third step its pattern does not have.
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let states = v["states"].as_array_mut().unwrap();
    let s = states
        .iter_mut()
        .find(|s| s["indicator"] == "env-then-aws")
        .unwrap();
    let follow = &mut s["state"]["children"][0];
    follow["prefix"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::Value::Null);
    let bad: SavedPatternStates = serde_json::from_value(v).unwrap();
    let err = idx.restore_pattern_states(bad).unwrap_err().to_string();
    assert!(
        err.contains("env-then-aws") && err.contains("does not fit"),
        "{err}"
    );
    // A span that ends before it starts.
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let s = v["states"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["indicator"] == "env-and-git")
        .unwrap();
    s["state"]["children"][0]["last"] = serde_json::json!([10, 0]);
    let bad: SavedPatternStates = serde_json::from_value(v).unwrap();
    let err = idx.restore_pattern_states(bad).unwrap_err().to_string();
    assert!(err.contains("env-and-git") && err.contains("ends"), "{err}");
}
