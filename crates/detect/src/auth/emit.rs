//! Turning clusters, lone sources and MFA episodes into [`Alert`]s.

use super::mfa::Episode;
use super::state::{Kind, SourceState, Touch};
use super::AuthDetector;
use haboob_model::{content_id, Alert, AlertSource, Evidence, IpPrefix, Severity, Ts};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// Members listed in an alert source.
pub(crate) const MAX_MEMBERS: usize = 1024;

/// Member addresses listed over all per-account alerts (brute force,
/// takeover) of one cluster: a botnet brute-forcing 50,000 accounts lists the
/// lowest 20 members on each rather than 1,024 (the cluster alerts list 1,024).
const MEMBER_BUDGET: usize = 1 << 20;

/// What a cluster did to one account.
#[derive(Debug, Default, Clone)]
pub(crate) struct UserAgg {
    pub attempts: u64,
    pub confirms: u64,
    pub pw_fail_ts: Vec<i64>,
    /// First success by the cluster: time and address.
    pub success: Option<(i64, IpAddr)>,
    pub first: i64,
    pub last: i64,
}

impl UserAgg {
    pub(crate) fn add(&mut self, t: &Touch, ip: IpAddr) {
        if self.attempts == 0 || t.ts < self.first {
            self.first = t.ts;
        }
        self.last = self.last.max(t.ts);
        self.attempts += 1;
        self.confirms += u64::from(t.kind.confirms());
        if t.kind.password_failure() {
            self.pw_fail_ts.push(t.ts);
        }
        if t.kind == Kind::Success && self.success.is_none_or(|(ts, _)| t.ts < ts) {
            self.success = Some((t.ts, ip));
        }
    }
    pub(crate) fn finish(&mut self) {
        self.pw_fail_ts.sort_unstable();
    }
}

/// A hostile cluster ready for alerting.
pub(crate) struct ClusterView<'a> {
    /// The lowest [`MAX_MEMBERS`] member addresses, sorted.
    pub members: Vec<IpAddr>,
    /// Members in all.
    pub member_count: usize,
    /// Members with kept evidence lines, sorted.
    pub with_evidence: Vec<IpAddr>,
    pub reasons: Vec<&'static str>,
    pub users: BTreeMap<u32, UserAgg>,
    pub attempts: u64,
    pub kept: u64,
    pub unknown: u64,
    pub bad_password: u64,
    pub single_prefix: Option<IpPrefix>,
    pub client: Option<&'a str>,
}

/// Largest number of timestamps inside any window of `w` ms (sorted input).
pub(crate) fn max_in_window(ts: &[i64], w: i64) -> (usize, usize) {
    let (mut best, mut at, mut lo) = (0, 0, 0);
    for hi in 0..ts.len() {
        while ts[hi] - ts[lo] > w {
            lo += 1;
        }
        if hi + 1 - lo > best {
            best = hi + 1 - lo;
            at = hi;
        }
    }
    (best, at)
}

/// `1234567` → `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(crate) struct Draft<'k> {
    pub detector: &'static str,
    pub techniques: &'static [&'static str],
    pub severity: Severity,
    pub title: String,
    pub source: AlertSource,
    pub target: String,
    pub user: Option<String>,
    pub first: i64,
    pub last: i64,
    pub count: u64,
    pub details: haboob_model::Details,
    pub evidence: Vec<Evidence>,
    pub keys: Vec<&'k str>,
}

pub(crate) fn build(d: Draft<'_>) -> Alert {
    let first = Ts(d.first);
    let first_s = first.to_string();
    let mut parts = vec![d.detector];
    parts.extend(d.keys.iter().copied());
    parts.push(&first_s);
    Alert {
        id: content_id("al", &parts),
        detector: d.detector.to_string(),
        title: d.title,
        techniques: d.techniques.iter().map(|t| t.to_string()).collect(),
        severity: d.severity,
        source: d.source,
        target: d.target,
        user: d.user,
        first_seen: first,
        last_seen: Ts(d.last),
        count: d.count,
        details: d.details,
        evidence: d.evidence,
    }
}

/// Evidence lines of `ips` matching `keep`, oldest first, at most `max`.
pub(crate) fn evidence(
    d: &AuthDetector,
    ips: &[IpAddr],
    max: usize,
    keep: impl Fn(u32, Kind) -> bool,
) -> Vec<Evidence> {
    let mut items: Vec<(i64, &Evidence)> = ips
        .iter()
        .filter_map(|ip| d.sources.evidence.get(ip))
        .flat_map(|e| e.items.iter())
        .filter(|i| keep(i.user, i.kind))
        .map(|i| (i.ts, &i.ev))
        .collect();
    items.sort_by(|a, b| (a.0, &a.1.file, a.1.line).cmp(&(b.0, &b.1.file, b.1.line)));
    items
        .into_iter()
        .take(max)
        .map(|(_, e)| e.clone())
        .collect()
}

/// The evidence lines of `ips` per account, in [`evidence`] order, at most
/// `max` each.
fn per_user_evidence<'d>(
    d: &'d AuthDetector,
    ips: &[IpAddr],
    max: usize,
) -> HashMap<u32, Vec<&'d Evidence>> {
    let mut items: Vec<(i64, u32, &Evidence)> = ips
        .iter()
        .filter_map(|ip| d.sources.evidence.get(ip))
        .flat_map(|e| e.items.iter())
        .map(|i| (i.ts, i.user, &i.ev))
        .collect();
    items.sort_by(|a, b| (a.0, &a.2.file, a.2.line).cmp(&(b.0, &b.2.file, b.2.line)));
    let mut by: HashMap<u32, Vec<&Evidence>> = HashMap::new();
    for (_, u, e) in items {
        let v = by.entry(u).or_default();
        if v.len() < max {
            v.push(e);
        }
    }
    by
}

pub(crate) fn source_of(members: &[IpAddr], prefix: Option<IpPrefix>) -> AlertSource {
    source_of_n(members, members.len(), prefix)
}

/// [`source_of`] when `members` may be only the first of `count` addresses.
pub(crate) fn source_of_n(
    members: &[IpAddr],
    count: usize,
    prefix: Option<IpPrefix>,
) -> AlertSource {
    AlertSource {
        ip: members.first().copied(),
        prefix: prefix.map(|p| p.to_string()),
        members: if count > 1 {
            members.iter().take(MAX_MEMBERS).copied().collect()
        } else {
            Vec::new()
        },
    }
}

pub(crate) fn name_list(
    d: &AuthDetector,
    ids: &[u32],
    details: &mut haboob_model::Details,
    key: &str,
) {
    let mut names: Vec<&str> = ids.iter().map(|&u| d.users.name(u)).collect();
    names.sort_unstable();
    if names.len() > d.cfg.max_listed_users {
        names.truncate(d.cfg.max_listed_users);
        details.insert("users_truncated".into(), Value::Bool(true));
    }
    details.insert(key.into(), json!(names));
}

/// The funnel classes of one cluster.
struct Classes {
    stuffing: bool,
    enumeration: bool,
    spray: bool,
}

fn classify(d: &AuthDetector, v: &ClusterView<'_>) -> Classes {
    let cfg = &d.cfg;
    let n = v.users.len();
    let kept = v.kept.max(1) as f64;
    let st = &cfg.stuffing;
    let stuffing = st.enabled
        && n >= st.min_users
        && v.kept as f64 / n.max(1) as f64 <= st.max_mean_attempts
        && v.bad_password as f64 / kept >= st.min_bad_password_share;
    let en = &cfg.enumeration;
    let enumeration =
        en.enabled && n >= en.min_users && v.unknown as f64 / kept >= en.min_unknown_share;
    let attacked: Vec<&UserAgg> = v.users.values().filter(|u| attacked(u, stuffing)).collect();
    let sp = &cfg.spray;
    let mean =
        attacked.iter().map(|u| u.confirms).sum::<u64>() as f64 / attacked.len().max(1) as f64;
    let spray = sp.enabled
        && !stuffing
        && attacked.len() >= sp.min_accounts
        && mean <= sp.max_mean_attempts;
    Classes {
        stuffing,
        enumeration,
        spray,
    }
}

fn attacked(u: &UserAgg, stuffing: bool) -> bool {
    u.confirms >= 2 || u.success.is_some() || (stuffing && u.confirms >= 1)
}

/// Alerts of one hostile cluster: per target, per fired detector; then per
/// account for takeover and brute force.
pub(crate) fn cluster_alerts(d: &AuthDetector, v: &ClusterView<'_>, out: &mut Vec<Alert>) {
    let cfg = &d.cfg;
    let cls = classify(d, v);
    let key = format!("cluster:{}", v.members[0]);
    let source = source_of_n(&v.members, v.member_count, v.single_prefix);
    let mut by_target: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for &u in v.users.keys() {
        let t = d.targets.name(d.user_target[u as usize]);
        by_target.entry(t).or_default().push(u);
    }
    let n_src = v.member_count;
    for (target, ids) in &by_target {
        let aggs: Vec<(u32, &UserAgg)> = ids.iter().map(|u| (*u, &v.users[u])).collect();
        let pick = |f: &dyn Fn(&UserAgg) -> bool| -> Vec<u32> {
            aggs.iter().filter(|(_, a)| f(a)).map(|(u, _)| *u).collect()
        };
        let identified = pick(&|a| a.confirms >= 1);
        let hit = pick(&|a| attacked(a, cls.stuffing));
        let owned = pick(&|a| a.success.is_some());
        let attempts: u64 = aggs.iter().map(|(_, a)| a.attempts).sum();
        let first = aggs.iter().map(|(_, a)| a.first).min().unwrap_or(0);
        let last = aggs.iter().map(|(_, a)| a.last).max().unwrap_or(0);
        let mut details = haboob_model::Details::new();
        details.insert("cluster".into(), json!(key));
        details.insert("cluster_reasons".into(), json!(v.reasons));
        details.insert("cluster_attempts".into(), json!(v.attempts));
        details.insert("attempts".into(), json!(attempts));
        details.insert("probed".into(), json!(ids.len()));
        details.insert("identified".into(), json!(identified.len()));
        details.insert("attacked".into(), json!(hit.len()));
        details.insert("compromised".into(), json!(owned.len()));
        if let Some(c) = v.client {
            details.insert("client".into(), json!(c));
        }
        name_list(d, ids, &mut details, "users_probed");
        name_list(d, &identified, &mut details, "users_identified");
        name_list(d, &hit, &mut details, "users_attacked");
        name_list(d, &owned, &mut details, "users_compromised");
        let in_slice: BTreeSet<u32> = ids.iter().copied().collect();
        let ev = evidence(d, &v.with_evidence, cfg.max_evidence, |u, _| {
            in_slice.contains(&u)
        });
        let mut fire = |det: &'static str, tech: &'static [&'static str], sev, title: String| {
            out.push(build(Draft {
                detector: det,
                techniques: tech,
                severity: sev,
                title,
                source: source.clone(),
                target: target.to_string(),
                user: None,
                first,
                last,
                count: attempts,
                details: details.clone(),
                evidence: ev.clone(),
                keys: vec![&key, target],
            }));
        };
        let (np, ni, na) = (ids.len() as u64, identified.len() as u64, hit.len() as u64);
        if cls.enumeration {
            let title = format!(
                "{n_src} source(s) probed {} account names at {target}; {} exist",
                thousands(np),
                thousands(ni)
            );
            fire(
                "auth.enumeration",
                &["T1589.002", "T1087"],
                Severity::Medium,
                title,
            );
        }
        if cls.spray && na > 0 {
            let title = format!(
                "{n_src} source(s) sprayed passwords at {} accounts of {target}",
                thousands(na)
            );
            fire("auth.spray", &["T1110.003"], Severity::High, title);
        }
        if cls.stuffing && ni > 0 {
            let title = format!(
                "{n_src} source(s) stuffed credentials into {} accounts of {target}",
                thousands(ni)
            );
            fire("auth.stuffing", &["T1110.004"], Severity::High, title);
        }
    }
    // Per-account alerts: list fewer members when there are many of them, and
    // index the evidence by account once.
    let bf_window = cfg.brute_force.window_secs * 1000;
    let peaks: Vec<Option<usize>> = v
        .users
        .values()
        .map(|a| {
            let (n, _) = max_in_window(&a.pw_fail_ts, bf_window);
            (cfg.brute_force.enabled && n >= cfg.brute_force.min_failures).then_some(n)
        })
        .collect();
    let per_account = peaks.iter().filter(|p| p.is_some()).count()
        + v.users
            .values()
            .filter(|a| cfg.takeover.enabled && a.success.is_some())
            .count();
    let listed = (MEMBER_BUDGET / per_account.max(1)).clamp(1, MAX_MEMBERS);
    let source = source_of_n(
        &v.members[..listed.min(v.members.len())],
        v.member_count,
        v.single_prefix,
    );
    let ev_by_user = per_user_evidence(d, &v.with_evidence, cfg.max_evidence);
    let ev_of = |u: u32| -> Vec<Evidence> {
        ev_by_user
            .get(&u)
            .map(|v| v.iter().map(|e| (*e).clone()).collect())
            .unwrap_or_default()
    };
    for ((&u, a), peak) in v.users.iter().zip(peaks) {
        let name = d.users.name(u);
        let target = d.targets.name(d.user_target[u as usize]);
        let keys = vec![key.as_str(), target, name];
        if let Some(n) = peak {
            out.push(brute_force(
                d,
                ev_of(u),
                source.clone(),
                target,
                u,
                a,
                n,
                keys.clone(),
            ));
        }
        if let (true, Some((ts, ip))) = (cfg.takeover.enabled, a.success) {
            let failed_before = a.pw_fail_ts.iter().filter(|&&t| t < ts).count();
            let mut details = haboob_model::Details::new();
            details.insert("cluster".into(), json!(key));
            details.insert("users_compromised".into(), json!([name]));
            details.insert("failures_before".into(), json!(failed_before));
            details.insert("success_ip".into(), json!(ip.to_string()));
            let ev = ev_of(u);
            let mut src = source.clone();
            src.ip = Some(ip);
            out.push(build(Draft {
                detector: "auth.takeover",
                techniques: &["T1078"],
                severity: Severity::Critical,
                title: format!("Account {name} signed in from attacking source {ip}"),
                source: src,
                target: target.to_string(),
                user: Some(name.to_string()),
                first: a.first,
                last: ts,
                count: a.attempts,
                details,
                evidence: ev,
                keys,
            }));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn brute_force(
    d: &AuthDetector,
    evidence: Vec<Evidence>,
    source: AlertSource,
    target: &str,
    u: u32,
    a: &UserAgg,
    peak: usize,
    keys: Vec<&str>,
) -> Alert {
    let name = d.users.name(u);
    let mut details = haboob_model::Details::new();
    details.insert("failures".into(), json!(a.pw_fail_ts.len()));
    details.insert("peak_in_window".into(), json!(peak));
    details.insert("users_attacked".into(), json!([name]));
    build(Draft {
        detector: "auth.brute_force",
        techniques: &["T1110.001"],
        severity: Severity::High,
        title: format!("{} password failures on {name}", a.pw_fail_ts.len()),
        source,
        target: target.to_string(),
        user: Some(name.to_string()),
        first: a.pw_fail_ts.first().copied().unwrap_or(a.first),
        last: a.last,
        count: a.attempts,
        details,
        evidence,
        keys,
    })
}

/// Brute force (and takeover after it) by a source outside any hostile
/// cluster. A phone with a stale password is spared: one source, at most
/// two accounts, one client, and an earlier success for that account.
pub(crate) fn lone_source_alerts(
    d: &AuthDetector,
    ip: IpAddr,
    st: &SourceState,
    out: &mut Vec<Alert>,
) {
    let cfg = &d.cfg;
    if !cfg.brute_force.enabled
        || st.failures as usize <= cfg.brute_force.min_failures.saturating_sub(1)
    {
        return;
    }
    let mut users: BTreeMap<u32, UserAgg> = BTreeMap::new();
    for t in &st.touches {
        users.entry(t.user).or_default().add(t, ip);
    }
    let few_users = users.len() <= 2;
    let ip_s = ip.to_string();
    for (&u, a) in users.iter_mut() {
        a.finish();
        let (n, at) = max_in_window(&a.pw_fail_ts, cfg.brute_force.window_secs * 1000);
        if n < cfg.brute_force.min_failures {
            continue;
        }
        let first_fail = a.pw_fail_ts[0];
        // Failures in the peak window from clients that never signed in to
        // this account from here before must reach the threshold on their own
        // (a phone with a stale saved password is explained).
        let (lo, hi) = (a.pw_fail_ts[at + 1 - n], a.pw_fail_ts[at]);
        let mine = || st.touches.iter().filter(|t| t.user == u);
        let known = |c: u16| mine().any(|t| t.kind == Kind::Success && t.client == c && t.ts < lo);
        let unexplained = mine()
            .filter(|t| t.kind.password_failure() && (lo..=hi).contains(&t.ts))
            .filter(|t| !known(t.client))
            .count();
        if few_users && unexplained < cfg.brute_force.min_failures {
            continue;
        }
        let target = d.targets.name(d.user_target[u as usize]);
        let name = d.users.name(u);
        let keys = vec![ip_s.as_str(), target, name];
        let source = source_of(&[ip], None);
        out.push(brute_force(
            d,
            evidence(d, &[ip], cfg.max_evidence, |x, _| x == u),
            source.clone(),
            target,
            u,
            a,
            n,
            keys.clone(),
        ));
        let reached = a.pw_fail_ts[at];
        let win = st
            .touches
            .iter()
            .find(|t| t.user == u && t.kind == Kind::Success && t.ts > reached);
        if let (true, Some(w)) = (cfg.takeover.enabled, win) {
            let mut details = haboob_model::Details::new();
            details.insert("users_compromised".into(), json!([name]));
            details.insert(
                "failures_before".into(),
                json!(a.pw_fail_ts.iter().filter(|&&t| t < w.ts).count()),
            );
            details.insert("success_ip".into(), json!(ip_s));
            out.push(build(Draft {
                detector: "auth.takeover",
                techniques: &["T1078"],
                severity: Severity::Critical,
                title: format!("Account {name} signed in from {ip} after a brute force"),
                source,
                target: target.to_string(),
                user: Some(name.to_string()),
                first: first_fail,
                last: w.ts,
                count: a.attempts,
                details,
                evidence: evidence(d, &[ip], cfg.max_evidence, |x, _| x == u),
                keys,
            }));
        }
    }
}

/// An `auth.mfa_fatigue` alert from a closed episode.
pub(crate) fn mfa_alert(d: &AuthDetector, ep: &Episode) -> Alert {
    let name = d.users.name(ep.user);
    let target = d.targets.name(d.user_target[ep.user as usize]);
    let mut sources = ep.sources.clone();
    sources.sort();
    let mut details = haboob_model::Details::new();
    details.insert("prompts".into(), json!(ep.prompts));
    details.insert("peak_in_window".into(), json!(ep.peak));
    details.insert("approved".into(), json!(ep.approved));
    let (sev, tail) = if ep.approved {
        (Severity::Critical, "; then a sign-in succeeded")
    } else {
        (Severity::High, "")
    };
    build(Draft {
        detector: "auth.mfa_fatigue",
        techniques: &["T1621"],
        severity: sev,
        title: format!("{} MFA prompts for {name}{tail}", ep.prompts),
        source: source_of(&sources, None),
        target: target.to_string(),
        user: Some(name.to_string()),
        first: ep.first,
        last: ep.last,
        count: ep.prompts,
        details,
        evidence: ep.evidence.clone(),
        keys: vec![target, name],
    })
}
