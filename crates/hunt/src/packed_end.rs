//! The end of a hunt whose alerts were packed as they came
//! ([`haboob_model::PackedAlerts`], `[hunt] pack_alerts_after`): the same
//! merge, suppression, order, campaigns and background as the end over
//! alerts held as they are ([`crate::assemble`]), reading the alerts back a
//! few at a time instead of holding them all.

use crate::background::Background;
use crate::link::Facts;
use crate::merge::{allowed, merge_runs, run_key};
use crate::pool::{id_hash, Packed};
use crate::HuntOptions;
use haboob_model::{Alert, Campaign, PackedAlerts, Ts};
use std::collections::HashMap;

/// What the end of a packed hunt found.
pub(crate) struct Ended {
    /// The alerts of the report, by first_seen, detector, id.
    pub(crate) store: PackedAlerts,
    pub(crate) campaigns: Vec<Campaign>,
    pub(crate) background: Background,
    pub(crate) suppressed: u64,
}

/// Merge, suppress, order and group the alerts of `store` as
/// [`crate::assemble`] does with alerts held as they are.
pub(crate) fn end(mut store: PackedAlerts, opts: &HuntOptions, gap_ms: i64) -> Ended {
    // One reading of every alert: its merge key, and its sort key
    // (detectors as codes, ranked by name below) unless it is suppressed.
    let allow = opts.config.hunt.allow_list().unwrap_or_default();
    let mut codes: HashMap<String, u32> = HashMap::new();
    let mut keyed: Vec<(Ts, u32, Box<str>, u32)> = Vec::with_capacity(store.len());
    let mut keep = |a: Alert, i: usize, keyed: &mut Vec<_>| -> bool {
        if !allow.is_empty() && allowed(&a, &allow) {
            return false;
        }
        let next = codes.len() as u32;
        let code = match codes.get(&a.detector) {
            Some(&c) => c,
            None => *codes.entry(a.detector).or_insert(next),
        };
        let at = u32::try_from(i).expect("fewer than 2^32 alerts");
        keyed.push((a.first_seen, code, a.id.into_boxed_str(), at));
        true
    };
    let mut keys: Vec<u64> = Vec::with_capacity(store.len());
    // What grouping reads of each alert, found in this reading too, so
    // that grouping decodes only the alerts it needs whole.
    let mut found: Vec<Option<Facts>> = Vec::with_capacity(store.len());
    let mut suppressed: Vec<u32> = Vec::new();
    for (i, a) in store.iter().enumerate() {
        keys.push(run_key(&a));
        found.push(Some(Facts::of(&a)));
        if !keep(a, i, &mut keyed) {
            suppressed.push(i as u32);
        }
    }
    let (replaced, merged) = merge_runs(&keys, gap_ms, |idx| store.get_many(idx));
    drop(keys);
    // The alerts merged away are gone, suppressed or not; what they
    // merged into is kept or suppressed in its turn.
    let gone = |i: u32| replaced.binary_search(&(i as usize)).is_ok();
    keyed.retain(|k| !gone(k.3));
    let mut suppressed = suppressed.into_iter().filter(|&i| !gone(i)).count() as u64;
    for &i in &replaced {
        found[i] = None;
    }
    for a in merged {
        let i = store.push(&a);
        found.push(Some(Facts::of(&a)));
        if !keep(a, i, &mut keyed) {
            suppressed += 1;
        }
    }
    let mut names: Vec<(String, u32)> = codes.into_iter().collect();
    names.sort();
    let mut rank = vec![0u32; names.len()];
    for (r, (_, code)) in names.iter().enumerate() {
        rank[*code as usize] = r as u32;
    }
    keyed.sort_by(|x, y| (x.0, rank[x.1 as usize], &x.2).cmp(&(y.0, rank[y.1 as usize], &y.2)));
    // Attribution finds alerts by id: by their hashes, in order.
    let ids: Vec<u64> = match opts.actors {
        Some(_) => keyed.iter().map(|k| id_hash(&k.2)).collect(),
        None => Vec::new(),
    };
    let order: Vec<u32> = keyed.into_iter().map(|k| k.3).collect();
    // In that order from here on: read in order, each chunk once.
    let store = store.into_order(&order);
    let known: Vec<Facts> = order
        .iter()
        .map(|&i| {
            found[i as usize]
                .take()
                .expect("packed alerts: ordered once")
        })
        .collect();
    drop((order, found));

    let pool = Packed::knowing(&store, known, ids);
    let (campaigns, background) = crate::campaigns_of(&pool, opts);
    drop(pool);
    Ended {
        store,
        campaigns,
        background,
        suppressed,
    }
}
