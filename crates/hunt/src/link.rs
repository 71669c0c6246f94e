//! Which alerts belong together: the same source address (or cluster) at
//! any time, the same listed infrastructure reached, neighbouring sources
//! (/24, /64) within hours, the same named tool within hours (unless many
//! sources run it), and one actor's addresses linked by fingerprint
//! ([`crate::actor`]).
//!
//! Linking reads a few facts of each alert ([`Facts`]), gathered in one
//! pass ([`gather`]), not the alerts themselves: the facts are a small part
//! of an alert, so that the alerts need not all be at hand while they are
//! linked.

use crate::actor::Profiles;
use crate::campaign::Family;
use crate::geo::Geo;
use crate::targets::Targets;
use haboob_model::{ip_prefix, Alert, IpPrefix, Ts};
use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;

/// A tool named by more distinct sources than this does not link them.
const MAX_TOOL_SOURCES: usize = 8;

/// Why alerts were linked: each reason's text once, and a pair (alert,
/// text) per alert it names (8 bytes, where a set of strings per alert
/// cost a tree node and a copy of each text).
#[derive(Default)]
pub(crate) struct Reasons {
    texts: Vec<String>,
    /// Sorted and without repeats once [`Reasons::seal`]ed.
    pairs: Vec<(u32, u32)>,
}

impl Reasons {
    /// A new reason's text, numbered.
    fn text(&mut self, t: String) -> u32 {
        self.texts.push(t);
        u32::try_from(self.texts.len() - 1).expect("fewer than 2^32 reasons")
    }

    /// Alert `i` is linked for reason `text`.
    fn add(&mut self, i: usize, text: u32) {
        let i = u32::try_from(i).expect("fewer than 2^32 alerts");
        self.pairs.push((i, text));
    }

    fn seal(&mut self) {
        self.pairs.sort_unstable();
        self.pairs.dedup();
    }

    /// The reasons of alert `i`, each once.
    pub(crate) fn of(&self, i: usize) -> impl Iterator<Item = &str> {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        let from = self.pairs.partition_point(|p| p.0 < i);
        let to = from + self.pairs[from..].partition_point(|p| p.0 == i);
        self.pairs[from..to]
            .iter()
            .map(|&(_, t)| self.texts[t as usize].as_str())
    }
}

/// The groups of alerts: each group's indices sorted, groups in the order
/// of their smallest index, all in one list.
pub(crate) struct Groups {
    members: Vec<usize>,
    /// Where each group ends in `members`.
    ends: Vec<usize>,
}

impl Groups {
    /// The groups of the union-find's partition of `n` alerts.
    fn of(uf: &mut UnionFind, n: usize) -> Groups {
        let mut keyed: Vec<(usize, usize)> = (0..n).map(|i| (uf.find(i), i)).collect();
        keyed.sort_unstable();
        let mut ends = Vec::new();
        for (at, w) in keyed.windows(2).enumerate() {
            if w[0].0 != w[1].0 {
                ends.push(at + 1);
            }
        }
        if n > 0 {
            ends.push(n);
        }
        Groups {
            members: keyed.into_iter().map(|(_, i)| i).collect(),
            ends,
        }
    }

    /// The number of groups.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The members of groups `from..to`, in one slice, and where each of
    /// those groups ends in it.
    pub(crate) fn span(
        &self,
        from: usize,
        to: usize,
    ) -> (&[usize], impl Iterator<Item = usize> + '_) {
        let start = if from == 0 { 0 } else { self.ends[from - 1] };
        let end = if to == 0 { 0 } else { self.ends[to - 1] };
        (
            &self.members[start..end],
            self.ends[from..to].iter().map(move |e| e - start),
        )
    }

    /// The size of each group, in order.
    pub(crate) fn sizes(&self) -> impl Iterator<Item = usize> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&e| {
            let n = e - start;
            start = e;
            n
        })
    }
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind((0..n).collect())
    }
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // Smaller index wins: deterministic roots.
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.0[hi] = lo;
        }
    }
}

/// The tool an alert names (`details.tool`, e.g. a scanner fingerprint).
pub(crate) fn tool_of(a: &Alert) -> Option<&str> {
    a.details.get("tool").and_then(|t| t.as_str())
}

/// What linking reads of one alert: its address and times, and what few
/// alerts name beside (kept apart, so that the common alert's facts are
/// small: 48 bytes); and what grouping reads before linking, so that
/// packed alerts need not be decoded for it ([`crate::pool`]).
pub(crate) struct Facts {
    ip: Option<IpAddr>,
    first: Ts,
    last: Ts,
    /// The grouping the alert goes to.
    family: Family,
    /// Whether the alert counts into its source's profile
    /// ([`crate::actor::profiled`]).
    profiled: bool,
    /// Cluster members, prefix, tool, infrastructure: `None` when the
    /// alert names none of them.
    rare: Option<Box<Rare>>,
}

/// The facts of an alert that most alerts do not have.
struct Rare {
    /// A cluster's member addresses (empty for a single source).
    members: Box<[IpAddr]>,
    /// The network the alert keys on, when it names one.
    prefix: Option<Box<str>>,
    tool: Option<Box<str>>,
    /// Listed infrastructure a victim reached ([`crate::victim`]).
    infra: Box<[String]>,
}

impl Facts {
    /// The facts of `a`.
    pub(crate) fn of(a: &Alert) -> Facts {
        let rare = Rare {
            members: a.source.members.as_slice().into(),
            prefix: a.source.prefix.as_deref().map(Into::into),
            tool: tool_of(a).map(Into::into),
            infra: crate::victim::infrastructure_keys(a).into(),
        };
        let none = rare.members.is_empty()
            && rare.prefix.is_none()
            && rare.tool.is_none()
            && rare.infra.is_empty();
        Facts {
            ip: a.source.ip,
            first: a.first_seen,
            last: a.last_seen,
            family: Family::of(a),
            profiled: crate::actor::profiled(a),
            rare: (!none).then(|| Box::new(rare)),
        }
    }

    /// The grouping the alert goes to.
    pub(crate) fn family(&self) -> Family {
        self.family
    }

    /// Whether the alert counts into its source's profile: packed alerts
    /// are read again for it.
    pub(crate) fn profiled(&self) -> bool {
        self.profiled
    }

    fn members(&self) -> &[IpAddr] {
        self.rare.as_ref().map_or(&[], |r| &r.members)
    }

    fn prefix(&self) -> Option<&str> {
        self.rare.as_ref().and_then(|r| r.prefix.as_deref())
    }

    fn tool(&self) -> Option<&str> {
        self.rare.as_ref().and_then(|r| r.tool.as_deref())
    }

    fn infra(&self) -> &[String] {
        self.rare.as_ref().map_or(&[], |r| &r.infra)
    }

    /// The neighbourhood the alert links in: its prefix, else its
    /// address's. Members without a prefix (a `web.sweep` alert's sources,
    /// spread over many networks) have no one neighbourhood: they link by
    /// address only.
    fn neighbourhood(&self) -> Option<Near<'_>> {
        if self.prefix().is_none() && !self.members().is_empty() {
            return None;
        }
        self.prefix()
            .map(Near::of_prefix)
            .or_else(|| self.ip.map(|ip| Near::Net(ip_prefix(ip))))
    }

    fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.ip.into_iter().chain(self.members().iter().copied())
    }

    /// Whether two alerts have the same source addresses (address and
    /// members as a set), without building the sets for the common single
    /// address.
    fn same_sources(&self, other: &Facts) -> bool {
        if self.members().is_empty() && other.members().is_empty() {
            return self.ip == other.ip;
        }
        let set = |x: &Facts| x.addresses().collect::<BTreeSet<IpAddr>>();
        set(self) == set(other)
    }
}

/// What linking reads of every alert, by index.
pub(crate) struct Gathered {
    facts: Vec<Facts>,
    profiles: Profiles,
}

impl Gathered {
    /// Room for `n` alerts.
    pub(crate) fn with_capacity(n: usize) -> Gathered {
        Gathered {
            facts: Vec::with_capacity(n),
            profiles: Profiles::default(),
        }
    }

    /// The facts of the next alert (index: the number added before it).
    pub(crate) fn add(&mut self, a: &Alert, targets: &Targets) {
        self.profiles.add(self.facts.len(), a, targets);
        self.facts.push(Facts::of(a));
    }

    /// Alerts gathered.
    pub(crate) fn len(&self) -> usize {
        self.facts.len()
    }

    /// The facts of the next alert, found before: its profile, if it has
    /// one ([`crate::actor::profiled`]), is added by [`Gathered::profile`].
    pub(crate) fn push(&mut self, facts: Facts) {
        self.facts.push(facts);
    }

    /// Counts alert `a`, of index `i` (an alert whose facts were pushed),
    /// into its source's profile; in the order of the indices, as
    /// [`Gathered::add`] does.
    pub(crate) fn profile(&mut self, i: usize, a: &Alert, targets: &Targets) {
        self.profiles.add(i, a, targets);
    }
}

/// A neighbourhood alerts link in ([`Facts::neighbourhood`]): a network,
/// or a prefix an alert names that is not one's spelling. Two are equal
/// exactly when their texts are, and neither is formatted until a link
/// needs its text for a reason.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Near<'a> {
    Net(IpPrefix),
    Named(&'a str),
}

impl fmt::Display for Near<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Near::Net(p) => p.fmt(f),
            Near::Named(s) => f.write_str(s),
        }
    }
}

impl<'a> Near<'a> {
    /// The network a prefix names when the prefix is exactly that
    /// network's spelling (so that it equals the neighbourhood of an
    /// address in it), else the prefix as named.
    fn of_prefix(p: &'a str) -> Near<'a> {
        let net = p.split_once('/').and_then(|(a, l)| {
            Some(IpPrefix {
                network: a.parse().ok()?,
                len: l.parse().ok()?,
            })
        });
        match net {
            Some(n) if n.to_string() == p => Near::Net(n),
            _ => Near::Named(p),
        }
    }
}

/// Links alerts by shared keys, recording why.
struct Linker<'f> {
    uf: UnionFind,
    facts: &'f [Facts],
    reasons: Reasons,
}

impl Linker<'_> {
    /// Link alerts sharing a key (pairs of key and alert index, in any
    /// order) whose activity lies within `window_ms` of each other (sorted
    /// sweep), recording one reason per linked key. Keys are walked in
    /// their order, which changes no group (union-find roots are the
    /// smallest index) and no reason (a set per alert); each key's alerts
    /// in the order of their first sight, then index.
    fn within<K: Ord>(
        &mut self,
        mut keyed: Vec<(K, u32)>,
        window_ms: i64,
        distinct_only: bool,
        why: impl Fn(&K) -> String,
    ) {
        let facts = self.facts;
        keyed.sort_unstable_by(|(ka, a), (kb, b)| {
            ka.cmp(kb)
                .then_with(|| facts[*a as usize].first.cmp(&facts[*b as usize].first))
                .then(a.cmp(b))
        });
        for run in keyed.chunk_by(|x, y| x.0 == y.0) {
            let mut text: Option<u32> = None;
            let mut added: Option<usize> = None;
            let mut reach = i64::MIN;
            let mut prev: Option<usize> = None;
            for &(ref key, i) in run {
                let i = i as usize;
                if let Some(p) = prev {
                    if facts[i].first.0 <= reach.saturating_add(window_ms) {
                        self.uf.union(p, i);
                        // Neighbour and tool links are reasons only when
                        // they join different sources.
                        if !distinct_only || !facts[p].same_sources(&facts[i]) {
                            let reasons = &mut self.reasons;
                            let r = *text.get_or_insert_with(|| reasons.text(why(key)));
                            // `p` has it already when it was linked last.
                            if added != Some(p) {
                                reasons.add(p, r);
                            }
                            reasons.add(i, r);
                            added = Some(i);
                        }
                    }
                }
                reach = reach.max(facts[i].last.0);
                prev = Some(i);
            }
        }
    }
}

/// The groups of the gathered alerts and the reasons that linked each.
pub(crate) fn link(
    g: Gathered,
    prefix_window_hours: u64,
    tool_window_hours: u64,
    geo: Option<&Geo>,
) -> (Groups, Reasons) {
    let Gathered { facts, profiles } = g;
    let at = |i: usize| u32::try_from(i).expect("fewer than 2^32 alerts");
    let mut linker = Linker {
        uf: UnionFind::new(facts.len()),
        facts: &facts,
        reasons: Reasons::default(),
    };
    // Each link key with the index of an alert that has it: a pair per
    // alert and key (24 to 32 bytes), not a map of lists; one list at a
    // time (the order of the lists changes no group and no reason).
    // 1. Same source address (or same cluster prefix) at any time. A
    // cluster's `ip` is also one of its members: once each, so that an
    // alert is not "linked" to itself.
    let members: usize = facts.iter().map(|f| f.members().len()).sum();
    let mut by_ip: Vec<(IpAddr, u32)> = Vec::with_capacity(facts.len() + members);
    for (i, f) in facts.iter().enumerate() {
        if f.members().is_empty() {
            by_ip.extend(f.ip.map(|ip| (ip, at(i))));
        } else {
            let ips: BTreeSet<IpAddr> = f.addresses().collect();
            by_ip.extend(ips.into_iter().map(|ip| (ip, at(i))));
        }
    }
    let forever = i64::MAX / 4;
    linker.within(by_ip, forever, false, |k| format!("same source {k}"));
    // 2. Victims of the same listed infrastructure (`crate::victim`).
    let by_infra: Vec<(&str, u32)> = facts
        .iter()
        .enumerate()
        .flat_map(|(i, f)| f.infra().iter().map(move |k| (k.as_str(), at(i))))
        .collect();
    linker.within(by_infra, forever, false, |k| {
        format!("same listed infrastructure {k}")
    });
    // 3. Neighbouring sources, and the same tool, within hours.
    let by_near: Vec<(Near<'_>, u32)> = facts
        .iter()
        .enumerate()
        .filter_map(|(i, f)| Some((f.neighbourhood()?, at(i))))
        .collect();
    let hour = 3_600_000i64;
    linker.within(by_near, prefix_window_hours as i64 * hour, true, |k| {
        format!("neighbouring sources in {k} within {prefix_window_hours} h")
    });
    let mut by_tool: Vec<(&str, u32)> = facts
        .iter()
        .enumerate()
        .filter_map(|(i, f)| Some((f.tool()?, at(i))))
        .collect();
    // A tool that many sources run is no evidence of one actor.
    by_tool.sort_unstable();
    let by_tool: Vec<(&str, u32)> = by_tool
        .chunk_by(|x, y| x.0 == y.0)
        .filter(|run| {
            let sources: BTreeSet<IpAddr> = run
                .iter()
                .filter_map(|&(_, i)| facts[i as usize].ip)
                .collect();
            sources.len() <= MAX_TOOL_SOURCES
        })
        .flatten()
        .copied()
        .collect();
    linker.within(by_tool, tool_window_hours as i64 * hour, true, |k| {
        format!("same tool ({k}) within {tool_window_hours} h")
    });
    let Linker {
        mut uf,
        mut reasons,
        ..
    } = linker;

    // 4. One actor's addresses, by fingerprint (see `crate::actor`): the
    // strongest links first; a link is a reason when it joins two groups.
    for l in crate::actor::links(profiles, geo) {
        let (a, b) = l.alerts;
        if uf.find(a) != uf.find(b) {
            uf.union(a, b);
            let r = reasons.text(l.reason);
            reasons.add(a, r);
            reasons.add(b, r);
        }
    }
    reasons.seal();
    (Groups::of(&mut uf, facts.len()), reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near_of(ip: &str) -> Near<'static> {
        Near::Net(ip_prefix(ip.parse().unwrap()))
    }

    #[test]
    fn a_named_prefix_is_the_neighbourhood_of_an_address_exactly_when_it_is_spelled_so() {
        assert!(Near::of_prefix("198.51.100.0/24") == near_of("198.51.100.7"));
        assert!(Near::of_prefix("2001:db8:0:1::/64") == near_of("2001:db8:0:1::9"));
        // Host bits set, another length, or not a network at all: the
        // texts differ from every address's neighbourhood, so do the keys.
        for other in [
            "198.51.100.7/24",
            "198.51.100.0/23",
            "AS64500",
            "10.0.0.0/x",
        ] {
            let n = Near::of_prefix(other);
            assert!(n != near_of("198.51.100.7"), "{other}");
            assert_eq!(n.to_string(), other);
        }
        assert!(matches!(Near::of_prefix("AS64500"), Near::Named("AS64500")));
        assert_eq!(near_of("198.51.100.7").to_string(), "198.51.100.0/24");
    }

    #[test]
    fn groups_are_the_partition_in_order_of_smallest_index() {
        let mut uf = UnionFind::new(6);
        uf.union(0, 3);
        uf.union(5, 2);
        uf.union(4, 3);
        let g = Groups::of(&mut uf, 6);
        assert_eq!(g.len(), 3);
        assert_eq!(g.sizes().collect::<Vec<_>>(), [3, 1, 2]);
        let (all, ends) = g.span(0, 3);
        assert_eq!(all, [0, 3, 4, 1, 2, 5]);
        assert_eq!(ends.collect::<Vec<_>>(), [3, 4, 6]);
        let (some, ends) = g.span(1, 3);
        assert_eq!(some, [1, 2, 5]);
        assert_eq!(ends.collect::<Vec<_>>(), [1, 3]);
        assert_eq!(Groups::of(&mut UnionFind::new(0), 0).len(), 0);
    }

    #[test]
    fn reasons_are_each_alerts_texts_once() {
        let mut r = Reasons::default();
        let a = r.text("same source 192.0.2.1".into());
        let b = r.text("same tool (x) within 24 h".into());
        for (i, t) in [(2, a), (2, a), (1, b), (2, b), (7, a)] {
            r.add(i, t);
        }
        r.seal();
        let of = |i| r.of(i).collect::<Vec<_>>();
        assert_eq!(
            of(2),
            ["same source 192.0.2.1", "same tool (x) within 24 h"]
        );
        assert_eq!(of(1), ["same tool (x) within 24 h"]);
        assert_eq!(of(7), ["same source 192.0.2.1"]);
        assert!(of(0).is_empty() && of(3).is_empty() && of(8).is_empty());
    }
}
