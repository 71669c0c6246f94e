//! Commodity password guessing by one source outside any hostile cluster:
//! many failures on one name that does not exist, and fast bursts (see
//! [`super::BurstConfig`]). Both are Low: the shapes a blocking tool such
//! as fail2ban or CrowdSec acts on, below the hunting bars of the cluster
//! detectors but worth listing.

use super::emit::{build, evidence, max_in_window, name_list, source_of, Draft};
use super::state::{Kind, SourceState};
use super::AuthDetector;
use haboob_model::{Alert, Severity};
use serde_json::json;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// A failure that a guessing tool produces (MFA prompts and denials are not).
fn guess(k: Kind) -> bool {
    matches!(k, Kind::Unknown | Kind::Other) || k.password_failure()
}

/// Low alerts of one lone source; `brute_forced` is set when
/// `auth.brute_force` already fired for it (then nothing is added).
pub(crate) fn commodity_alerts(
    d: &AuthDetector,
    ip: IpAddr,
    st: &SourceState,
    brute_forced: bool,
    out: &mut Vec<Alert>,
) {
    if brute_forced || st.failures == 0 {
        return;
    }
    if unknown_names(d, ip, st, out) {
        return;
    }
    burst(d, ip, st, out);
}

/// `auth.brute_force` (Low) on names that never existed for this source.
fn unknown_names(d: &AuthDetector, ip: IpAddr, st: &SourceState, out: &mut Vec<Alert>) -> bool {
    let bf = &d.cfg.brute_force;
    if !bf.enabled || (st.failures as usize) < bf.min_failures {
        return false;
    }
    // Per name: times of "unknown user" answers, and whether any answer
    // showed that the account exists.
    let mut names: BTreeMap<u32, (Vec<i64>, bool)> = BTreeMap::new();
    for t in &st.touches {
        let e = names.entry(t.user).or_default();
        if t.kind == Kind::Unknown {
            e.0.push(t.ts);
        }
        e.1 |= t.kind.confirms();
    }
    let ip_s = ip.to_string();
    let mut fired = false;
    for (u, (mut ts, exists)) in names {
        if exists || ts.len() < bf.min_failures {
            continue;
        }
        ts.sort_unstable();
        let (peak, _) = max_in_window(&ts, bf.window_secs.saturating_mul(1000));
        if peak < bf.min_failures {
            continue;
        }
        let name = d.users.name(u);
        let target = d.targets.name(d.user_target[u as usize]);
        let mut details = haboob_model::Details::new();
        details.insert("failures".into(), json!(ts.len()));
        details.insert("peak_in_window".into(), json!(peak));
        details.insert("account_exists".into(), json!(false));
        details.insert("attempts".into(), json!(ts.len()));
        details.insert("users_probed".into(), json!([name]));
        out.push(build(Draft {
            detector: "auth.brute_force",
            techniques: &["T1110.001"],
            severity: Severity::Low,
            title: format!(
                "{} sign-in failures on {name}, an account that does not exist",
                ts.len()
            ),
            source: source_of(&[ip], None),
            target: target.to_string(),
            user: Some(name.to_string()),
            first: ts[0],
            last: ts[ts.len() - 1],
            count: ts.len() as u64,
            details,
            evidence: evidence(d, &[ip], d.cfg.max_evidence, |x, _| x == u),
            keys: vec![ip_s.as_str(), target, name, "unknown"],
        }));
        fired = true;
    }
    fired
}

/// A fast burst of guesses from a source that never signed in.
fn burst(d: &AuthDetector, ip: IpAddr, st: &SourceState, out: &mut Vec<Alert>) {
    let b = &d.cfg.burst;
    if !b.enabled || st.touches.iter().any(|t| t.kind == Kind::Success) {
        return;
    }
    let mut tries: Vec<(i64, u32, Kind)> = st
        .touches
        .iter()
        .filter(|t| guess(t.kind))
        .map(|t| (t.ts, t.user, t.kind))
        .collect();
    if tries.len() < b.min_failures.max(1) {
        return;
    }
    tries.sort_unstable_by_key(|t| (t.0, t.1));
    let ts: Vec<i64> = tries.iter().map(|t| t.0).collect();
    let (peak, at) = max_in_window(&ts, b.window_secs.saturating_mul(1000));
    if peak < b.min_failures.max(1) {
        return;
    }
    let window = &tries[at + 1 - peak..=at];
    let mut in_peak: Vec<u32> = window.iter().map(|t| t.1).collect();
    in_peak.sort_unstable();
    in_peak.dedup();
    // Every name the source tried, and those whose answer shows they exist.
    let mut all: BTreeMap<u32, bool> = BTreeMap::new();
    for t in &tries {
        *all.entry(t.1).or_default() |= t.2.confirms();
    }
    let probed: Vec<u32> = all.keys().copied().collect();
    let identified: Vec<u32> = all.iter().filter(|(_, &e)| e).map(|(&u, _)| u).collect();
    let first_u = in_peak[0];
    let target = d.targets.name(d.user_target[first_u as usize]);
    let ip_s = ip.to_string();
    let mut details = haboob_model::Details::new();
    details.insert("failures".into(), json!(tries.len()));
    details.insert("peak_in_window".into(), json!(peak));
    details.insert("window_secs".into(), json!(b.window_secs));
    details.insert("attempts".into(), json!(tries.len()));
    let first = ts[0];
    let last = ts[ts.len() - 1];
    let secs = (window[peak - 1].0 - window[0].0) / 1000;
    let draft = if in_peak.len() == 1 {
        let name = d.users.name(first_u);
        let exists = all.get(&first_u).copied().unwrap_or(false);
        details.insert("account_exists".into(), json!(exists));
        let key = if exists {
            "users_attacked"
        } else {
            "users_probed"
        };
        details.insert(key.into(), json!([name]));
        Draft {
            detector: "auth.brute_force",
            techniques: &["T1110.001"],
            severity: Severity::Low,
            title: format!("{peak} sign-in failures on {name} in {secs} s from {ip}"),
            source: source_of(&[ip], None),
            target: target.to_string(),
            user: Some(name.to_string()),
            first,
            last,
            count: tries.len() as u64,
            details,
            evidence: evidence(d, &[ip], d.cfg.max_evidence, |_, _| true),
            keys: vec![ip_s.as_str(), target, name, "burst"],
        }
    } else {
        name_list(d, &probed, &mut details, "users_probed");
        name_list(d, &identified, &mut details, "users_identified");
        Draft {
            detector: "auth.burst",
            techniques: &["T1110"],
            severity: Severity::Low,
            title: format!(
                "{peak} sign-in failures on {} names in {secs} s from {ip}, which never signed in",
                in_peak.len()
            ),
            source: source_of(&[ip], None),
            target: target.to_string(),
            user: None,
            first,
            last,
            count: tries.len() as u64,
            details,
            evidence: evidence(d, &[ip], d.cfg.max_evidence, |_, _| true),
            keys: vec![ip_s.as_str(), target, "burst"],
        }
    };
    out.push(build(draft));
}
