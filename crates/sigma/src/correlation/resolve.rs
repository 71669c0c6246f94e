//! Resolving correlation references (by id or name) to base rules and
//! other correlations; leaving out, with a reason, what cannot run.

use super::engine::RuleRef;
use super::{Condition, CorrelationRule, CorrelationType};
use crate::LoadError;
use std::collections::HashMap;

/// The correlations that can run, with their references as nodes (base
/// rules `0..base.len()`, then the kept correlations in order), the
/// id/name → node map, and why the others were left out.
pub(super) struct Resolved {
    pub keys: HashMap<String, usize>,
    pub kept: Vec<(CorrelationRule, Vec<usize>)>,
    pub errors: Vec<LoadError>,
}

/// Resolves `rules` against `base` and each other.
pub(super) fn resolve(rules: Vec<CorrelationRule>, base: &[RuleRef]) -> Resolved {
    let base_nodes = base.len();
    let mut keys: HashMap<String, usize> = HashMap::new();
    for (i, b) in base.iter().enumerate() {
        for k in b.id.iter().chain(b.name.iter()) {
            keys.entry(k.clone()).or_insert(i);
        }
    }
    let mut errors = Vec::new();
    let mut ok = vec![true; rules.len()];
    let invalid = |r: &CorrelationRule, reason: String| LoadError::Invalid {
        path: r.path.clone(),
        line: 0,
        column: 0,
        reason: format!("correlation {}: {reason}", r.label()),
    };
    for (j, r) in rules.iter().enumerate() {
        for k in r.id.iter().chain(r.name.iter()) {
            if let Some(&other) = keys.get(k) {
                let whose = match other.checked_sub(base_nodes) {
                    Some(c) => format!("correlation {}", rules[c].label()),
                    None => "a loaded rule".to_owned(),
                };
                errors.push(invalid(
                    r,
                    format!("`{k}` is already the id or name of {whose}"),
                ));
                ok[j] = false;
                break;
            } else {
                keys.insert(k.clone(), base_nodes + j);
            }
        }
        if let Some(feature) = unsupported(r) {
            errors.push(LoadError::Unsupported {
                path: r.path.clone(),
                rule: r.label().to_owned(),
                feature,
            });
            ok[j] = false;
        }
    }
    // References → nodes.
    let mut refs: Vec<Vec<usize>> = Vec::with_capacity(rules.len());
    for (j, r) in rules.iter().enumerate() {
        let mut nodes = Vec::with_capacity(r.rules.len());
        for name in &r.rules {
            match keys.get(name) {
                Some(&n) if nodes.contains(&n) && ok[j] => {
                    let why = format!(
                        "`correlation.rules`: `{name}` is a rule referenced already (by its other id or name)"
                    );
                    errors.push(invalid(r, why));
                    ok[j] = false;
                }
                Some(&n) if nodes.contains(&n) => {}
                Some(&n) => nodes.push(n),
                None if ok[j] => {
                    errors.push(invalid(
                        r,
                        format!("`correlation.rules`: no loaded rule has the id or name `{name}`"),
                    ));
                    ok[j] = false;
                }
                None => {}
            }
        }
        refs.push(nodes);
    }
    // Correlations over correlations that did not load, until stable;
    // then cycles (what remains after peeling acyclic ones).
    loop {
        let mut changed = false;
        for j in 0..rules.len() {
            if !ok[j] {
                continue;
            }
            let bad = refs[j]
                .iter()
                .find(|&&n| n >= base_nodes && !ok[n - base_nodes]);
            if let Some(&n) = bad {
                let other = rules[n - base_nodes].label().to_owned();
                errors.push(invalid(
                    &rules[j],
                    format!("references correlation {other}, which did not load"),
                ));
                ok[j] = false;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut done = vec![false; rules.len()];
    loop {
        let mut changed = false;
        for j in 0..rules.len() {
            let ready = refs[j]
                .iter()
                .all(|&n| n < base_nodes || done[n - base_nodes] || !ok[n - base_nodes]);
            if ok[j] && !done[j] && ready {
                done[j] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for j in 0..rules.len() {
        if ok[j] && !done[j] {
            errors.push(invalid(
                &rules[j],
                "takes part in a cycle of correlations referencing each other".into(),
            ));
            ok[j] = false;
        }
    }
    // Keep the loaded ones; nodes of correlations follow base nodes in
    // the order of the kept list.
    let mut new_index = vec![usize::MAX; rules.len()];
    let mut kept = Vec::new();
    for (j, r) in rules.into_iter().enumerate() {
        if ok[j] {
            new_index[j] = kept.len();
            kept.push((r, std::mem::take(&mut refs[j])));
        }
    }
    let remap = |n: usize| -> usize {
        if n < base_nodes {
            n
        } else {
            base_nodes + new_index[n - base_nodes]
        }
    };
    keys.retain(|_, n| *n < base_nodes || new_index[*n - base_nodes] != usize::MAX);
    for n in keys.values_mut() {
        *n = remap(*n);
    }
    for (_, refs) in &mut kept {
        for n in refs.iter_mut() {
            *n = remap(*n);
        }
    }
    Resolved { keys, kept, errors }
}

/// Why a loaded correlation cannot run, if it cannot.
fn unsupported(r: &CorrelationRule) -> Option<String> {
    match r.kind {
        CorrelationType::ValueSum
        | CorrelationType::ValueAvg
        | CorrelationType::ValuePercentile => Some(format!("correlation type {}", r.kind.as_str())),
        CorrelationType::TemporalOrdered => {
            let all = Condition {
                gte: Some(r.rules.len() as f64),
                ..Condition::default()
            };
            (r.condition != all)
                .then(|| "a temporal_ordered condition other than all referenced rules".to_owned())
        }
        _ => None,
    }
}
