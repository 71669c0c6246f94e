//! Merging alerts from parallel streams, and suppressing allowed sources.

use crate::config::Cidr;
use haboob_model::Alert;

fn rule_of(a: &Alert) -> Option<&str> {
    a.details.get("rule_id").and_then(|v| v.as_str())
}

fn source_key(a: &Alert) -> String {
    match (&a.source.prefix, a.source.ip) {
        (Some(p), _) => p.clone(),
        (None, Some(ip)) => ip.to_string(),
        (None, None) => String::new(),
    }
}

/// Merge alerts of the same detector, source, target and user whose episodes
/// touch (gap ≤ `gap_ms`), e.g. one scan split across two rotated files.
/// The result is sorted by first_seen, detector, id: deterministic.
///
/// In place: on a flood of alerts a second list of them (sorted, or merged)
/// would be the largest allocation of the hunt's end.
pub fn merge_alerts(mut alerts: Vec<Alert>, gap_ms: i64) -> Vec<Alert> {
    // Each alert's source key and Sigma rule are found once, not once per
    // comparison (an address formatted twice in every comparison was most
    // of a flood's merge time). The keys are sorted with the alerts'
    // indices, and the alerts then put in that order.
    let mut order: Vec<(String, Option<&str>, usize)> = alerts
        .iter()
        .enumerate()
        .map(|(i, a)| (source_key(a), rule_of(a), i))
        .collect();
    order.sort_by(|(ka, ra, ia), (kb, rb, ib)| {
        merge_order((&alerts[*ia], ka, *ra), (&alerts[*ib], kb, *rb))
    });
    let (keys, from): (Vec<String>, Vec<usize>) = order.into_iter().map(|(k, _, i)| (k, i)).unzip();
    permute(&mut alerts, from);
    // The alerts kept stay at the front, `alerts[..kept]`; those merged
    // into one of them are left behind and dropped at the end. `last` is
    // the index in `keys` of the last kept alert's key (merging never
    // changes it).
    let (mut kept, mut last) = (0, 0);
    for i in 0..alerts.len() {
        if kept > 0 && merges(&alerts[kept - 1], &keys[last], &alerts[i], &keys[i], gap_ms) {
            let (front, back) = alerts.split_at_mut(i);
            absorb(&mut front[kept - 1], &mut back[0]);
            continue;
        }
        alerts.swap(kept, i);
        kept += 1;
        last = i;
    }
    alerts.truncate(kept);
    alerts.sort_by(|a, b| {
        (a.first_seen, &a.detector, &a.id).cmp(&(b.first_seen, &b.detector, &b.id))
    });
    alerts
}

/// What may merge with what, hashed: alerts of different keys never merge
/// ([`merges`]: the same detector, target, user, source and Sigma rule).
/// Alerts of one key may still not merge (their times, their sweep
/// fingerprints); two keys may share a hash. Either way [`merge_runs`]
/// merges the alerts of one hash exactly as [`merge_alerts`] would.
pub fn run_key(a: &Alert) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    (&a.detector, &a.target, source_key(a), &a.user, rule_of(a)).hash(&mut h);
    h.finish()
}

/// Merging without every alert at hand: `keys[i]` is the [`run_key`] of
/// alert `i`, and `fetch` hands over the alerts of the indices it is
/// given (in that order). Only alerts sharing a key with another are
/// fetched, a run at a time. Returns the indices of the alerts that merged
/// (sorted; they are replaced) and what they merged into: together with
/// the alerts not named, what [`merge_alerts`] returns, unsorted.
pub fn merge_runs(
    keys: &[u64],
    gap_ms: i64,
    mut fetch: impl FnMut(&[usize]) -> Vec<Alert>,
) -> (Vec<usize>, Vec<Alert>) {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_unstable_by_key(|&i| (keys[i], i));
    let (mut replaced, mut merged) = (Vec::new(), Vec::new());
    // Runs are fetched together, up to about RUNS_FETCHED alerts at once
    // (one call reads each packed chunk once).
    let mut batch: Vec<&[usize]> = Vec::new();
    let mut flush = |batch: &mut Vec<&[usize]>| {
        let idx: Vec<usize> = batch.concat();
        let mut alerts = fetch(&idx).into_iter();
        for run in batch.drain(..) {
            let out = merge_alerts(alerts.by_ref().take(run.len()).collect(), gap_ms);
            // Merging only ever joins alerts: as many out as in, none did.
            if out.len() < run.len() {
                replaced.extend_from_slice(run);
                merged.extend(out);
            }
        }
    };
    let mut held = 0;
    for run in order.chunk_by(|&a, &b| keys[a] == keys[b]) {
        if run.len() < 2 {
            continue;
        }
        batch.push(run);
        held += run.len();
        if held >= RUNS_FETCHED {
            flush(&mut batch);
            held = 0;
        }
    }
    if !batch.is_empty() {
        flush(&mut batch);
    }
    replaced.sort_unstable();
    (replaced, merged)
}

/// Alerts [`merge_runs`] fetches at once, about (whole runs).
const RUNS_FETCHED: usize = 4096;

/// The order merging walks alerts in, each with its source key and Sigma
/// rule ([`rule_of`]): those that may merge next to each other, by time.
fn merge_order(
    (a, ka, ra): (&Alert, &str, Option<&str>),
    (b, kb, rb): (&Alert, &str, Option<&str>),
) -> std::cmp::Ordering {
    (&a.detector, &a.target, ka, &a.user, ra, a.first_seen, &a.id).cmp(&(
        &b.detector,
        &b.target,
        kb,
        &b.user,
        rb,
        b.first_seen,
        &b.id,
    ))
}

/// Whether alert `a` (source key `key`) continues `cur` (`cur_key`): the
/// same detector, target, user, source, sweep fingerprint and Sigma rule,
/// and a gap of at most `gap_ms` between them.
fn merges(cur: &Alert, cur_key: &str, a: &Alert, key: &str, gap_ms: i64) -> bool {
    // A `web.sweep` alert keys on its fingerprint, not on its first member:
    // two fingerprints sharing a member stay apart; Sigma alerts of
    // different rules stay apart.
    cur.detector == a.detector
        && cur.target == a.target
        && cur.user == a.user
        && cur_key == key
        && cur.details.get("fingerprint") == a.details.get("fingerprint")
        && cur.details.get("rule_id") == a.details.get("rule_id")
        && a.first_seen.0 <= cur.last_seen.0.saturating_add(gap_ms)
}

/// Merge `a` into `cur`, taking what `a` holds (it is dropped after).
fn absorb(cur: &mut Alert, a: &mut Alert) {
    let keep = cur.evidence.len().max(a.evidence.len());
    cur.count += a.count;
    cur.last_seen = cur.last_seen.max(a.last_seen);
    cur.severity = cur.severity.max(a.severity);
    cur.evidence.append(&mut a.evidence);
    cur.evidence.truncate(keep);
    for ip in std::mem::take(&mut a.source.members) {
        if !cur.source.members.contains(&ip) {
            cur.source.members.push(ip);
        }
    }
    cur.source.members.sort();
    union_lists(&mut cur.details, &a.details);
    for t in std::mem::take(&mut a.techniques) {
        if !cur.techniques.contains(&t) {
            cur.techniques.push(t);
        }
    }
    let n = cur
        .details
        .get("merged_alerts")
        .and_then(|v| v.as_u64())
        .unwrap_or(1);
    cur.details
        .insert("merged_alerts".into(), serde_json::json!(n + 1));
}

/// Put `v` in the order `from` gives: afterwards `v[j]` is what `v[from[j]]`
/// was (`from` is a permutation of the indices), by swaps along each cycle.
fn permute<T>(v: &mut [T], mut from: Vec<usize>) {
    for start in 0..v.len() {
        let mut j = start;
        // Each cycle is walked once: a visited index points to itself.
        while from[j] != start && from[j] != j {
            let k = from[j];
            v.swap(j, k);
            from[j] = j;
            j = k;
        }
        from[j] = j;
    }
}

/// Entries kept in a merged `details` list.
const MAX_MERGED_ENTRIES: usize = 64;

/// What two merged alerts list in `details` is kept from both: the intel
/// hits (`intel`, one per indicator and field: attribution reads them) and
/// the listed infrastructure a victim reached (`infrastructure`).
fn union_lists(into: &mut haboob_model::Details, from: &haboob_model::Details) {
    let same_hit = |x: &serde_json::Value, y: &serde_json::Value| {
        x.get("indicator") == y.get("indicator") && x.get("field") == y.get("field")
    };
    for (key, hits) in [
        (haboob_model::intel::DETAILS_KEY, true),
        ("infrastructure", false),
    ] {
        let (Some(serde_json::Value::Array(cur)), Some(serde_json::Value::Array(add))) =
            (into.get_mut(key), from.get(key))
        else {
            continue;
        };
        for v in add {
            if cur.len() >= MAX_MERGED_ENTRIES {
                break;
            }
            let known = if hits {
                cur.iter().any(|c| same_hit(c, v))
            } else {
                cur.contains(v)
            };
            if !known {
                cur.push(v.clone());
            }
        }
    }
}

/// Drop alerts whose source lies in the allow list; returns how many.
pub fn suppress(alerts: &mut Vec<Alert>, allow: &[Cidr]) -> u64 {
    if allow.is_empty() {
        return 0;
    }
    let before = alerts.len();
    alerts.retain(|a| !allowed(a, allow));
    (before - alerts.len()) as u64
}

/// Whether the allow list suppresses `a`: its address is listed, and so
/// is every member of a cluster.
pub(crate) fn allowed(a: &Alert, allow: &[Cidr]) -> bool {
    let listed = |ip| allow.iter().any(|c: &Cidr| c.contains(ip));
    match a.source.ip {
        Some(ip) if listed(ip) => {
            a.source.members.is_empty() || a.source.members.iter().all(|m| listed(*m))
        }
        _ => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use haboob_model::{AlertSource, Evidence, Severity, Ts};

    pub(crate) fn alert(det: &str, ip: &str, target: &str, first: i64, last: i64) -> Alert {
        Alert {
            id: format!("al-{det}-{ip}-{target}-{first}"),
            detector: det.into(),
            title: "t".into(),
            techniques: vec!["T1595.002".into()],
            severity: Severity::Medium,
            source: AlertSource {
                ip: Some(ip.parse().unwrap()),
                prefix: None,
                members: vec![],
            },
            target: target.into(),
            user: None,
            first_seen: Ts::from_secs(first),
            last_seen: Ts::from_secs(last),
            count: 10,
            details: Default::default(),
            evidence: vec![Evidence {
                file: "f".into(),
                line: first as u64,
                raw: "r".into(),
            }],
        }
    }

    #[test]
    fn touching_episodes_merge_distant_ones_do_not() {
        let v = merge_alerts(
            vec![
                alert("web.scan", "192.0.2.1", "a", 100, 200),
                alert("web.scan", "192.0.2.1", "a", 250, 300),
                alert("web.scan", "192.0.2.1", "a", 5000, 5100),
                alert("web.scan", "192.0.2.1", "b", 260, 300),
                alert("web.sensitive", "192.0.2.1", "a", 260, 300),
            ],
            60_000,
        );
        assert_eq!(v.len(), 4);
        assert_eq!(v[0].first_seen, Ts::from_secs(100));
        assert_eq!(v[0].last_seen, Ts::from_secs(300));
        assert_eq!(v[0].count, 20);
        assert_eq!(v[0].evidence.len(), 1);
        assert_eq!(v[0].details["merged_alerts"], 2);
        assert_eq!(v[3].first_seen, Ts::from_secs(5000));
    }

    #[test]
    fn different_fingerprints_do_not_merge() {
        let mut a = alert("web.sweep", "192.0.2.1", "a", 100, 200);
        let mut b = alert("web.sweep", "192.0.2.1", "a", 150, 300);
        let mut c = alert("web.sweep", "192.0.2.1", "a", 250, 400);
        a.details
            .insert("fingerprint".into(), serde_json::json!({"method": "HEAD"}));
        b.details
            .insert("fingerprint".into(), serde_json::json!({"method": "GET"}));
        c.details
            .insert("fingerprint".into(), serde_json::json!({"method": "GET"}));
        let v = merge_alerts(vec![a, b, c], 60_000);
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].details["merged_alerts"], 2);
    }

    /// The merge as it was written before it worked in place: the alerts
    /// sorted into a second list, merged into a third.
    fn merge_by_copy(alerts: Vec<Alert>, gap_ms: i64) -> Vec<Alert> {
        let mut keyed: Vec<(String, Alert)> =
            alerts.into_iter().map(|a| (source_key(&a), a)).collect();
        keyed.sort_by(|(ka, a), (kb, b)| merge_order((a, ka, rule_of(a)), (b, kb, rule_of(b))));
        let mut out: Vec<Alert> = Vec::new();
        let mut cur_key = String::new();
        for (key, mut a) in keyed {
            if let Some(cur) = out.last_mut() {
                if merges(cur, &cur_key, &a, &key, gap_ms) {
                    absorb(cur, &mut a);
                    continue;
                }
            }
            out.push(a);
            cur_key = key;
        }
        out.sort_by(|a, b| {
            (a.first_seen, &a.detector, &a.id).cmp(&(b.first_seen, &b.detector, &b.id))
        });
        out
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn permute_puts_each_element_where_it_is_asked(
            perm in (0usize..40).prop_flat_map(|n| {
                Just((0..n).collect::<Vec<usize>>()).prop_shuffle()
            })
        ) {
            let v: Vec<usize> = (100..100 + perm.len()).collect();
            let want: Vec<usize> = perm.iter().map(|&i| v[i]).collect();
            let mut got = v.clone();
            permute(&mut got, perm);
            prop_assert_eq!(got, want);
        }

        #[test]
        fn merging_in_place_or_by_runs_gives_what_merging_by_copy_did(
            raw in proptest::collection::vec(
                (0usize..2, 0usize..3, 0usize..2, 0i64..400, 0i64..120, 0usize..3, proptest::option::of(0usize..2)),
                0..60,
            )
        ) {
            let alerts: Vec<Alert> = raw
                .iter()
                .enumerate()
                .map(|(n, &(det, ip, target, first, len, members, fp))| {
                    let det = ["web.scan", "web.sweep"][det];
                    let ip = ["192.0.2.1", "192.0.2.2", "198.51.100.9"][ip];
                    let mut a = alert(det, ip, ["a", "b"][target], first, first + len);
                    // Distinct ids, as content hashes are.
                    a.id = format!("{}-{n}", a.id);
                    a.count = n as u64 + 1;
                    a.source.members = (0..members)
                        .map(|m| format!("203.0.113.{}", (n + m) % 4).parse().unwrap())
                        .collect();
                    if let Some(f) = fp {
                        a.details.insert("fingerprint".into(), serde_json::json!(f));
                    }
                    a
                })
                .collect();
            let keys: Vec<u64> = alerts.iter().map(run_key).collect();
            // Every key alike: one run, as if every hash collided.
            let one = vec![7; alerts.len()];
            let by_runs = merge_by_runs(&alerts, &keys, 30_000);
            let by_one_run = merge_by_runs(&alerts, &one, 30_000);
            let want = merge_by_copy(alerts.clone(), 30_000);
            prop_assert_eq!(&merge_alerts(alerts, 30_000), &want);
            prop_assert_eq!(&by_runs, &want);
            prop_assert_eq!(&by_one_run, &want);
        }
    }

    /// [`merge_runs`] with the given keys, its result put together and
    /// sorted as [`merge_alerts`] sorts.
    fn merge_by_runs(alerts: &[Alert], keys: &[u64], gap_ms: i64) -> Vec<Alert> {
        let mut fetched = 0;
        let (replaced, merged) = merge_runs(keys, gap_ms, |idx| {
            fetched += idx.len();
            idx.iter().map(|&i| alerts[i].clone()).collect()
        });
        assert!(fetched <= alerts.len());
        let mut out: Vec<Alert> = alerts
            .iter()
            .enumerate()
            .filter(|(i, _)| replaced.binary_search(i).is_err())
            .map(|(_, a)| a.clone())
            .chain(merged)
            .collect();
        out.sort_by(|a, b| {
            (a.first_seen, &a.detector, &a.id).cmp(&(b.first_seen, &b.detector, &b.id))
        });
        out
    }

    #[test]
    fn merging_by_runs_fetches_only_alerts_sharing_a_key() {
        let alerts = [
            alert("web.scan", "192.0.2.1", "a", 100, 200),
            alert("web.scan", "192.0.2.2", "a", 150, 250),
            alert("web.scan", "192.0.2.1", "a", 250, 300),
            alert("web.scan", "192.0.2.1", "b", 260, 300),
        ];
        let keys: Vec<u64> = alerts.iter().map(run_key).collect();
        let mut asked = Vec::new();
        let (replaced, merged) = merge_runs(&keys, 60_000, |idx| {
            asked.push(idx.to_vec());
            idx.iter().map(|&i| alerts[i].clone()).collect()
        });
        assert_eq!(asked, [vec![0, 2]]);
        assert_eq!(replaced, [0, 2]);
        assert_eq!(merged.len(), 1);
        assert_eq!(
            (merged[0].count, merged[0].last_seen),
            (20, Ts::from_secs(300))
        );
    }

    #[test]
    fn suppression_by_cidr() {
        let mut v = vec![
            alert("web.scan", "198.51.100.7", "a", 1, 2),
            alert("web.scan", "198.51.100.8", "a", 1, 2),
        ];
        let n = suppress(&mut v, &[Cidr::parse("198.51.100.7").unwrap()]);
        assert_eq!(n, 1);
        assert_eq!(v[0].source.ip, Some("198.51.100.8".parse().unwrap()));
    }
}
