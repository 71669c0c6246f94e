//! End-of-stream analysis: suspects → clusters → hostile clusters → alerts.
//!
//! Built to scale to millions of sources in near-linear time. Every source
//! gets a compact index, its rank by address (so sources of one prefix are
//! neighbours), and the extra memory per source is 13 bytes: a reference to
//! its address, one `u32` (union-find parent, later the next member of its
//! cluster) and one byte of flags. Suspects are linked through per-key
//! buckets (same /24 and client, same ASN and client; same client, /24 or ASN
//! with neighbouring rhythms after a sort), never pairwise; a cluster is then
//! walked as a chain of indices, one cluster at a time.

use super::burst;
use super::emit::{self, ClusterView, UserAgg};
use super::state::{Kind, SourceState, OVERFLOW};
use super::AuthDetector;
use haboob_model::{ip_prefix, Alert, IpPrefix};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// End of a member chain.
const NONE: u32 = u32::MAX;

/// The source is a suspect.
const SUSPECT: u8 = 1;
/// The source is the first (lowest address) of its cluster.
const ROOT: u8 = 1 << 1;
/// A suspect judged source by source (its cluster did not alert).
const OTHER: u8 = 1 << 2;
/// Link reasons, one bit each, set on one source of every linked pair.
const REASONS: [(u8, &str); 5] = [
    (1 << 3, "same /24 and client"),
    (1 << 4, "same ASN and client"),
    (1 << 5, "same client and rhythm"),
    (1 << 6, "same /24 and rhythm"),
    (1 << 7, "same ASN and rhythm"),
];
const R_PREFIX_CLIENT: u8 = REASONS[0].0;
const R_ASN_CLIENT: u8 = REASONS[1].0;
const R_CLIENT_RHYTHM: u8 = REASONS[2].0;
const R_PREFIX_RHYTHM: u8 = REASONS[3].0;
const R_ASN_RHYTHM: u8 = REASONS[4].0;

/// All sources of the detector, by rank of address.
struct Index<'a> {
    d: &'a AuthDetector,
    ips: Vec<&'a IpAddr>,
}

impl<'a> Index<'a> {
    fn new(d: &'a AuthDetector) -> Index<'a> {
        let mut ips: Vec<&IpAddr> = d.sources.live.keys().collect();
        ips.extend(d.sources.retired.keys());
        ips.sort_unstable();
        Index { d, ips }
    }
    fn ip(&self, i: u32) -> IpAddr {
        *self.ips[i as usize]
    }
    fn state(&self, i: u32) -> &'a SourceState {
        let ip = self.ips[i as usize];
        let s = &self.d.sources;
        // Live and retired are disjoint and the address came from one of them.
        s.live
            .get(ip)
            .or_else(|| s.retired.get(ip))
            .expect("indexed address is in the source maps")
    }
}

/// Reused buffers for per-source features.
#[derive(Default)]
struct Scratch {
    ok: Vec<u32>,
    bad: Vec<u32>,
    gaps: Vec<i64>,
}

impl Scratch {
    /// Fill `bad` with the accounts that failed from the source and never
    /// succeeded from it (sorted, distinct); return the distinct accounts.
    fn bad_users(&mut self, st: &SourceState) -> usize {
        self.ok.clear();
        self.bad.clear();
        let ok = &mut self.ok;
        ok.extend(
            st.touches
                .iter()
                .filter(|t| t.kind == Kind::Success)
                .map(|t| t.user),
        );
        ok.sort_unstable();
        ok.dedup();
        self.bad.extend(
            st.touches
                .iter()
                .filter(|t| t.kind != Kind::Success && ok.binary_search(&t.user).is_err())
                .map(|t| t.user),
        );
        self.bad.sort_unstable();
        self.bad.dedup();
        // Every account is either among the successes or bad.
        ok.len() + self.bad.len()
    }

    /// At least `share` of the source's accounts are bad (and one is).
    fn suspect(&mut self, st: &SourceState, share: f64) -> bool {
        let users = self.bad_users(st);
        !self.bad.is_empty() && self.bad.len() as f64 >= share * users as f64
    }

    /// Median gap between attempts, ms, with enough attempts for a rhythm.
    fn gap(&mut self, st: &SourceState, min_rhythm: usize) -> Option<i64> {
        if st.touches.len() < min_rhythm.max(2) {
            return None;
        }
        self.gaps.clear();
        self.gaps
            .extend(st.touches.windows(2).map(|w| w[1].ts - w[0].ts));
        self.gaps.sort_unstable();
        Some(self.gaps[self.gaps.len() / 2])
    }
}

/// The client of a source, `None` when it varied or overflowed.
fn client_of(st: &SourceState) -> Option<u32> {
    (!st.client_varied && st.client != OVERFLOW).then_some(st.client)
}

/// Union-find whose roots are the lowest index of their set.
struct Dsu(Vec<u32>);

impl Dsu {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[x as usize];
            self.0[x as usize] = self.0[p as usize];
            x = self.0[x as usize];
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b) as usize] = a.min(b);
        }
    }
}

fn close(a: i64, b: i64, tol: f64) -> bool {
    let (lo, hi) = (a.min(b) as f64, a.max(b) as f64);
    hi <= 0.0 || (hi - lo) <= tol * hi
}

/// Mark suspects and link those sharing a key exactly (each to the first of
/// its bucket) in one pass by address; return the suspects with a rhythm as
/// (index, median gap, client, ASN).
fn mark_and_link(
    ix: &Index<'_>,
    cc: &super::ClusterConfig,
    flags: &mut [u8],
    dsu: &mut Dsu,
) -> Vec<(u32, i64, Option<u32>, Option<u32>)> {
    let mut scratch = Scratch::default();
    let mut rhythmic = Vec::new();
    let mut by_client: HashMap<u32, u32> = HashMap::new();
    let mut by_asn: HashMap<(u32, u32), u32> = HashMap::new();
    let mut run_prefix: Option<IpPrefix> = None;
    for i in 0..ix.ips.len() as u32 {
        let st = ix.state(i);
        if !scratch.suspect(st, cc.min_bad_share) {
            continue;
        }
        flags[i as usize] |= SUSPECT;
        let client = client_of(st);
        if let Some(g) = scratch.gap(st, cc.min_rhythm_attempts) {
            rhythmic.push((i, g, client, st.asn));
        }
        let Some(c) = client else {
            continue;
        };
        // Addresses are sorted, so one prefix is one run.
        let p = ip_prefix(ix.ip(i));
        if run_prefix != Some(p) {
            run_prefix = Some(p);
            by_client.clear();
        }
        let first = *by_client.entry(c).or_insert(i);
        if first != i {
            dsu.union(first, i);
            flags[first as usize] |= R_PREFIX_CLIENT;
        }
        if let Some(a) = st.asn {
            let first = *by_asn.entry((a, c)).or_insert(i);
            if first != i {
                dsu.union(first, i);
                flags[first as usize] |= R_ASN_CLIENT;
            }
        }
    }
    rhythmic
}

/// Sort `(key, gap, index)` and link neighbours of one key whose gaps agree.
fn link_sorted<K: Ord + Copy>(
    items: &mut [(K, i64, u32)],
    why: u8,
    tol: f64,
    flags: &mut [u8],
    dsu: &mut Dsu,
) {
    items.sort_unstable();
    for w in items.windows(2) {
        let ((ka, ga, a), (kb, gb, b)) = (w[0], w[1]);
        if ka == kb && close(ga, gb, tol) {
            dsu.union(a, b);
            flags[a as usize] |= why;
        }
    }
}

/// Link suspects with a rhythm sharing a client, a prefix or an ASN.
fn link_rhythm(
    ix: &Index<'_>,
    rhythmic: &[(u32, i64, Option<u32>, Option<u32>)],
    tol: f64,
    flags: &mut [u8],
    dsu: &mut Dsu,
) {
    let mut by_client: Vec<(u32, i64, u32)> = rhythmic
        .iter()
        .filter_map(|&(i, g, c, _)| c.map(|c| (c, g, i)))
        .collect();
    link_sorted(&mut by_client, R_CLIENT_RHYTHM, tol, flags, dsu);
    drop(by_client);
    let mut by_prefix: Vec<(IpPrefix, i64, u32)> = rhythmic
        .iter()
        .map(|&(i, g, _, _)| (ip_prefix(ix.ip(i)), g, i))
        .collect();
    link_sorted(&mut by_prefix, R_PREFIX_RHYTHM, tol, flags, dsu);
    drop(by_prefix);
    let mut by_asn: Vec<(u32, i64, u32)> = rhythmic
        .iter()
        .filter_map(|&(i, g, _, a)| a.map(|a| (a, g, i)))
        .collect();
    link_sorted(&mut by_asn, R_ASN_RHYTHM, tol, flags, dsu);
}

/// Turn the union-find parents into member chains: afterwards `next[i]` is
/// the next higher member of `i`'s cluster (or [`NONE`]), and roots are
/// flagged [`ROOT`].
fn chains(mut dsu: Dsu, flags: &mut [u8]) -> Vec<u32> {
    let n = dsu.0.len();
    // Roots are the lowest index of their set: one ascending pass compresses.
    for (i, f) in flags.iter_mut().enumerate().take(n) {
        let p = dsu.0[i] as usize;
        dsu.0[i] = dsu.0[p];
        if p == i {
            *f |= ROOT;
        }
    }
    // Descending: a member (parent below it) is pushed on its root's chain,
    // whose head lives in the root's own slot until the root is reached.
    let mut next = dsu.0;
    for i in (0..n).rev() {
        let v = next[i] as usize;
        if v < i {
            let head = next[v];
            next[i] = if head as usize == v { NONE } else { head };
            next[v] = i as u32;
        } else if v == i {
            next[i] = NONE;
        }
    }
    next
}

/// Members of the cluster rooted at `root`, ascending.
fn members(next: &[u32], root: u32) -> impl Iterator<Item = u32> + '_ {
    std::iter::successors(Some(root), move |&i| {
        let n = next[i as usize];
        (n != NONE).then_some(n)
    })
}

/// Run every end-of-stream detector.
pub(crate) fn run(d: &AuthDetector) -> Vec<Alert> {
    let cc = &d.cfg.cluster;
    let ix = Index::new(d);
    let n = ix.ips.len();
    let mut flags = vec![0u8; n];
    let mut scratch = Scratch::default();
    let mut dsu = Dsu((0..n as u32).collect());
    let rhythmic = mark_and_link(&ix, cc, &mut flags, &mut dsu);
    link_rhythm(&ix, &rhythmic, cc.rhythm_tolerance, &mut flags, &mut dsu);
    drop(rhythmic);
    let next = chains(dsu, &mut flags);
    let mut out = Vec::new();
    let mut bad = BadSet::default();
    for r in 0..n as u32 {
        if flags[r as usize] & (SUSPECT | ROOT) != SUSPECT | ROOT {
            continue;
        }
        bad.clear();
        let view = if next[r as usize] == NONE {
            // A lone suspect: the view only if it is hostile by count.
            scratch.bad_users(ix.state(r));
            bad.extend(&scratch.bad);
            (bad.len() >= cc.min_bad_users).then(|| cluster_view(&ix, &next, &flags, r, None))
        } else {
            // Several: one walk gathers both.
            let v = cluster_view(&ix, &next, &flags, r, Some((&mut scratch, &mut bad)));
            (bad.len() >= cc.min_bad_users).then_some(v)
        };
        let mut alerted = false;
        if let Some(view) = view {
            let before = out.len();
            emit::cluster_alerts(d, &view, &mut out);
            alerted = out.len() > before;
        }
        if !alerted {
            // Too few bad accounts, or hostile by count but below every
            // cluster detector (six nonexistent names in a few seconds):
            // judged source by source.
            for i in members(&next, r) {
                flags[i as usize] |= OTHER;
            }
        }
    }
    for (i, &f) in flags.iter().enumerate() {
        if f & SUSPECT != 0 && f & OTHER == 0 {
            continue;
        }
        let (ip, st) = (ix.ip(i as u32), ix.state(i as u32));
        let before = out.len();
        emit::lone_source_alerts(d, ip, st, &mut out);
        let brute_forced = out[before..]
            .iter()
            .any(|a| a.detector == "auth.brute_force");
        burst::commodity_alerts(d, ip, st, brute_forced, &mut out);
    }
    out
}

/// Distinct account ids of one cluster: a bitmap plus the ids set in it.
#[derive(Default)]
struct BadSet {
    bits: Vec<u64>,
    set: Vec<u32>,
}

impl BadSet {
    fn clear(&mut self) {
        for &u in &self.set {
            self.bits[u as usize / 64] = 0;
        }
        self.set.clear();
    }
    fn extend(&mut self, ids: &[u32]) {
        for &u in ids {
            let (w, b) = (u as usize / 64, 1u64 << (u % 64));
            if w >= self.bits.len() {
                self.bits.resize(w + 1, 0);
            }
            if self.bits[w] & b == 0 {
                self.bits[w] |= b;
                self.set.push(u);
            }
        }
    }
    fn len(&self) -> usize {
        self.set.len()
    }
}

/// The view of the cluster rooted at `root`; with `bad`, also gather the
/// cluster's bad accounts into it.
fn cluster_view<'a>(
    ix: &Index<'a>,
    next: &[u32],
    flags: &[u8],
    root: u32,
    mut bad: Option<(&mut Scratch, &mut BadSet)>,
) -> ClusterView<'a> {
    let d = ix.d;
    let mut listed = Vec::new();
    let mut with_evidence = Vec::new();
    let mut count = 0usize;
    let mut users: BTreeMap<u32, UserAgg> = BTreeMap::new();
    let (mut attempts, mut unknown, mut bad_pw, mut kept) = (0u64, 0u64, 0u64, 0u64);
    let first_prefix = ip_prefix(ix.ip(root));
    let first_client = ix.state(root).client;
    let (mut one_prefix, mut one_client) = (true, true);
    let mut why = 0u8;
    for i in members(next, root) {
        let (ip, st) = (ix.ip(i), ix.state(i));
        if let Some((scratch, set)) = bad.as_mut() {
            scratch.bad_users(st);
            set.extend(&scratch.bad);
        }
        count += 1;
        // Members come by address, so the listed ones are the lowest.
        if listed.len() < emit::MAX_MEMBERS {
            listed.push(ip);
        }
        if d.sources.evidence.contains_key(&ip) {
            with_evidence.push(ip);
        }
        why |= flags[i as usize];
        one_prefix &= ip_prefix(ip) == first_prefix;
        one_client &= st.client == first_client;
        attempts += st.touches.len() as u64 + u64::from(st.dropped);
        for t in &st.touches {
            kept += 1;
            unknown += u64::from(t.kind == Kind::Unknown);
            bad_pw += u64::from(t.kind == Kind::BadPassword);
            users.entry(t.user).or_default().add(t, ip);
        }
    }
    for u in users.values_mut() {
        u.finish();
    }
    let reasons: BTreeSet<&'static str> = REASONS
        .iter()
        .filter(|(bit, _)| why & bit != 0)
        .map(|(_, s)| *s)
        .collect();
    ClusterView {
        members: listed,
        member_count: count,
        with_evidence,
        reasons: reasons.into_iter().collect(),
        users,
        attempts,
        kept,
        unknown,
        bad_password: bad_pw,
        single_prefix: one_prefix.then_some(first_prefix),
        client: one_client.then(|| d.clients.name(first_client)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_list_each_cluster_ascending_from_its_lowest_member() {
        // Sets {0, 3, 5}, {1, 4}, {2}, {6, 7}, linked in scrambled order.
        let mut dsu = Dsu((0..8).collect());
        for (a, b) in [(5, 3), (4, 1), (7, 6), (3, 0)] {
            dsu.union(a, b);
        }
        let mut flags = vec![0u8; 8];
        let next = chains(dsu, &mut flags);
        let roots: Vec<u32> = (0..8).filter(|&i| flags[i as usize] & ROOT != 0).collect();
        assert_eq!(roots, [0, 1, 2, 6]);
        let lists: Vec<Vec<u32>> = roots.iter().map(|&r| members(&next, r).collect()).collect();
        assert_eq!(lists, [vec![0, 3, 5], vec![1, 4], vec![2], vec![6, 7]]);
    }

    #[test]
    fn rhythm_links_neighbours_of_one_key_only_when_close() {
        // Key 1: gaps 100, 110, 400 (the last too far); key 2: gap 105 alone.
        let mut items = vec![(1u32, 400i64, 2u32), (2, 105, 3), (1, 110, 1), (1, 100, 0)];
        let mut flags = vec![0u8; 4];
        let mut dsu = Dsu((0..4).collect());
        link_sorted(&mut items, R_CLIENT_RHYTHM, 0.25, &mut flags, &mut dsu);
        assert_eq!(dsu.find(1), 0);
        assert_eq!(dsu.find(2), 2);
        assert_eq!(dsu.find(3), 3);
        assert_eq!(flags, [R_CLIENT_RHYTHM, 0, 0, 0]);
    }

    #[test]
    fn bad_set_counts_distinct_ids_and_clears() {
        let mut s = BadSet::default();
        s.extend(&[3, 700, 3, 64]);
        assert_eq!(s.len(), 3);
        s.clear();
        assert_eq!(s.len(), 0);
        s.extend(&[700]);
        assert_eq!(s.len(), 1);
    }
}
