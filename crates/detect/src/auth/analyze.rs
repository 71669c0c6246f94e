//! End-of-stream analysis: suspects → clusters → hostile clusters → alerts.

use super::burst;
use super::emit::{self, ClusterView, UserAgg};
use super::state::{Kind, SourceState, OVERFLOW};
use super::AuthDetector;
use haboob_model::{ip_prefix, Alert, IpPrefix};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Per-source features used for clustering.
struct Feat<'a> {
    ip: IpAddr,
    st: &'a SourceState,
    bad: Vec<u32>,
    prefix: IpPrefix,
    /// Client id, `None` when it varied or overflowed.
    client: Option<u32>,
    /// Median gap between attempts, ms.
    gap: Option<i64>,
}

fn features<'a>(ip: IpAddr, st: &'a SourceState, min_rhythm: usize) -> Feat<'a> {
    let mut ok: Vec<u32> = Vec::new();
    let mut all: Vec<(u32, bool)> = Vec::with_capacity(st.touches.len());
    for t in &st.touches {
        if t.kind == Kind::Success {
            ok.push(t.user);
        }
        all.push((t.user, t.kind != Kind::Success));
    }
    ok.sort_unstable();
    ok.dedup();
    let mut bad: Vec<u32> = all
        .iter()
        .filter(|(u, failed)| *failed && ok.binary_search(u).is_err())
        .map(|(u, _)| *u)
        .collect();
    bad.sort_unstable();
    bad.dedup();
    let gap = (st.touches.len() >= min_rhythm.max(2)).then(|| {
        let mut g: Vec<i64> = st.touches.windows(2).map(|w| w[1].ts - w[0].ts).collect();
        g.sort_unstable();
        g[g.len() / 2]
    });
    Feat {
        ip,
        st,
        bad,
        prefix: ip_prefix(ip),
        client: (!st.client_varied && st.client != OVERFLOW).then_some(st.client),
        gap,
    }
}

fn distinct_users(st: &SourceState) -> usize {
    let mut u: Vec<u32> = st.touches.iter().map(|t| t.user).collect();
    u.sort_unstable();
    u.dedup();
    u.len()
}

struct Dsu(Vec<usize>);

impl Dsu {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

fn close(a: i64, b: i64, tol: f64) -> bool {
    let (lo, hi) = (a.min(b) as f64, a.max(b) as f64);
    hi <= 0.0 || (hi - lo) <= tol * hi
}

/// Link suspects; returns the reason text per linked pair group.
fn link(feats: &[Feat<'_>], tol: f64, dsu: &mut Dsu, reasons: &mut Vec<(usize, &'static str)>) {
    // Exact pairs of keys.
    let mut exact: BTreeMap<(u8, String, u32), Vec<usize>> = BTreeMap::new();
    for (i, f) in feats.iter().enumerate() {
        if let Some(c) = f.client {
            exact
                .entry((0, f.prefix.to_string(), c))
                .or_default()
                .push(i);
            if let Some(a) = f.st.asn {
                exact.entry((1, a.to_string(), c)).or_default().push(i);
            }
        }
    }
    for ((kind, _, _), idx) in &exact {
        let why = if *kind == 0 {
            "same /24 and client"
        } else {
            "same ASN and client"
        };
        for w in idx.windows(2) {
            dsu.union(w[0], w[1]);
            reasons.push((w[0], why));
        }
    }
    // Rhythm within a shared key: sort by gap, link neighbours that agree.
    let mut groups: BTreeMap<(u8, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in feats.iter().enumerate() {
        if f.gap.is_none() {
            continue;
        }
        if let Some(c) = f.client {
            groups.entry((0, c.to_string())).or_default().push(i);
        }
        groups.entry((1, f.prefix.to_string())).or_default().push(i);
        if let Some(a) = f.st.asn {
            groups.entry((2, a.to_string())).or_default().push(i);
        }
    }
    for ((kind, _), mut idx) in groups {
        let why = match kind {
            0 => "same client and rhythm",
            1 => "same /24 and rhythm",
            _ => "same ASN and rhythm",
        };
        idx.sort_by_key(|&i| (feats[i].gap, i));
        for w in idx.windows(2) {
            if let (Some(a), Some(b)) = (feats[w[0]].gap, feats[w[1]].gap) {
                if close(a, b, tol) {
                    dsu.union(w[0], w[1]);
                    reasons.push((w[0], why));
                }
            }
        }
    }
}

/// Run every end-of-stream detector.
pub(crate) fn run(d: &AuthDetector) -> Vec<Alert> {
    let cfg = &d.cfg;
    let mut all: Vec<(IpAddr, &SourceState)> =
        d.sources.live.iter().map(|(ip, s)| (*ip, s)).collect();
    all.extend(d.sources.retired.iter().map(|(ip, s)| (*ip, s)));
    all.sort_by_key(|(ip, _)| *ip);
    let cc = &cfg.cluster;
    let mut suspects: Vec<Feat<'_>> = Vec::new();
    let mut others: Vec<(IpAddr, &SourceState)> = Vec::new();
    for (ip, st) in all {
        let f = features(ip, st, cc.min_rhythm_attempts);
        let users = distinct_users(st);
        if !f.bad.is_empty() && f.bad.len() as f64 >= cc.min_bad_share * users as f64 {
            suspects.push(f);
        } else {
            others.push((ip, st));
        }
    }
    let mut dsu = Dsu((0..suspects.len()).collect());
    let mut link_reasons = Vec::new();
    link(&suspects, cc.rhythm_tolerance, &mut dsu, &mut link_reasons);
    let mut clusters: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..suspects.len() {
        let r = dsu.find(i);
        clusters.entry(r).or_default().push(i);
    }
    let mut reasons_by_root: BTreeMap<usize, BTreeSet<&'static str>> = BTreeMap::new();
    for (i, why) in link_reasons {
        let r = dsu.find(i);
        reasons_by_root.entry(r).or_default().insert(why);
    }
    let mut out = Vec::new();
    for (root, members) in clusters {
        let bad: BTreeSet<u32> = members
            .iter()
            .flat_map(|&i| suspects[i].bad.iter().copied())
            .collect();
        if bad.len() < cc.min_bad_users {
            for &i in &members {
                others.push((suspects[i].ip, suspects[i].st));
            }
            continue;
        }
        let view = cluster_view(d, &suspects, &members, reasons_by_root.remove(&root));
        let before = out.len();
        emit::cluster_alerts(d, &view, &mut out);
        if out.len() == before {
            // Hostile by count but below every cluster detector (six
            // nonexistent names in a few seconds): judged source by source.
            for &i in &members {
                others.push((suspects[i].ip, suspects[i].st));
            }
        }
    }
    others.sort_by_key(|(ip, _)| *ip);
    for (ip, st) in others {
        let before = out.len();
        emit::lone_source_alerts(d, ip, st, &mut out);
        let brute_forced = out[before..]
            .iter()
            .any(|a| a.detector == "auth.brute_force");
        burst::commodity_alerts(d, ip, st, brute_forced, &mut out);
    }
    out
}

fn cluster_view<'a>(
    d: &'a AuthDetector,
    suspects: &[Feat<'a>],
    members: &[usize],
    reasons: Option<BTreeSet<&'static str>>,
) -> ClusterView<'a> {
    let mut ips: Vec<IpAddr> = members.iter().map(|&i| suspects[i].ip).collect();
    ips.sort();
    let mut users: BTreeMap<u32, UserAgg> = BTreeMap::new();
    let (mut attempts, mut unknown, mut bad_pw, mut kept) = (0u64, 0u64, 0u64, 0u64);
    let mut clients = BTreeSet::new();
    for &i in members {
        let f = &suspects[i];
        attempts += f.st.touches.len() as u64 + u64::from(f.st.dropped);
        clients.insert(f.st.client);
        for t in &f.st.touches {
            kept += 1;
            unknown += u64::from(t.kind == Kind::Unknown);
            bad_pw += u64::from(t.kind == Kind::BadPassword);
            users.entry(t.user).or_default().add(t, f.ip);
        }
    }
    for u in users.values_mut() {
        u.finish();
    }
    let prefixes: BTreeSet<IpPrefix> = ips.iter().map(|ip| ip_prefix(*ip)).collect();
    ClusterView {
        members: ips,
        reasons: reasons.map(|r| r.into_iter().collect()).unwrap_or_default(),
        users,
        attempts,
        kept,
        unknown,
        bad_password: bad_pw,
        single_prefix: (prefixes.len() == 1)
            .then(|| prefixes.into_iter().next())
            .flatten(),
        client: (clients.len() == 1)
            .then(|| clients.into_iter().next())
            .flatten()
            .map(|c| d.clients.name(c)),
    }
}
