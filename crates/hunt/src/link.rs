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
use haboob_model::{ip_prefix, Alert, Ts};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// A tool named by more distinct sources than this does not link them.
const MAX_TOOL_SOURCES: usize = 8;

/// Each alert's reasons, by index.
pub(crate) type Reasons = BTreeMap<usize, BTreeSet<String>>;

/// The groups of alerts (indices, each sorted, keyed by their smallest).
pub(crate) type Groups = BTreeMap<usize, Vec<usize>>;

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
    fn neighbourhood(&self) -> Option<String> {
        if self.prefix().is_none() && !self.members().is_empty() {
            return None;
        }
        self.prefix()
            .map(str::to_string)
            .or_else(|| self.ip.map(|ip| ip_prefix(ip).to_string()))
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

/// Link alerts sharing `key` whose activity lies within `window_ms` of each
/// other (sorted sweep), recording one reason per linked key.
fn link_within<K>(
    uf: &mut UnionFind,
    facts: &[Facts],
    keyed: BTreeMap<K, Vec<usize>>,
    window_ms: i64,
    reasons: &mut Reasons,
    distinct_only: bool,
    why: impl Fn(&K) -> String,
) {
    for (key, mut idx) in keyed {
        idx.sort_by_key(|&i| facts[i].first);
        let mut reach = i64::MIN;
        let mut prev: Option<usize> = None;
        for &i in &idx {
            if let Some(p) = prev {
                if facts[i].first.0 <= reach.saturating_add(window_ms) {
                    uf.union(p, i);
                    // Neighbour and tool links are reasons only when they
                    // join different sources.
                    if !distinct_only || !facts[p].same_sources(&facts[i]) {
                        let r = why(&key);
                        reasons.entry(p).or_default().insert(r.clone());
                        reasons.entry(i).or_default().insert(r);
                    }
                }
            }
            reach = reach.max(facts[i].last.0);
            prev = Some(i);
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
    let mut uf = UnionFind::new(facts.len());
    let mut reasons = Reasons::new();
    // 1. Same source address (or same cluster prefix) at any time.
    // Keyed by address (formatted only for a reason): which key is walked
    // first changes no campaign (union-find roots are the smallest index).
    let mut by_ip: BTreeMap<IpAddr, Vec<usize>> = BTreeMap::new();
    let mut by_prefix: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut by_tool: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    // Victims of the same listed infrastructure (`crate::victim`).
    let mut by_infra: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in facts.iter().enumerate() {
        for k in f.infra() {
            by_infra.entry(k).or_default().push(i);
        }
        // A cluster's `ip` is also one of its members: once each, so that
        // an alert is not "linked" to itself.
        if f.members().is_empty() {
            if let Some(ip) = f.ip {
                by_ip.entry(ip).or_default().push(i);
            }
        } else {
            let ips: BTreeSet<IpAddr> = f.addresses().collect();
            for ip in ips {
                by_ip.entry(ip).or_default().push(i);
            }
        }
        if let Some(p) = f.neighbourhood() {
            by_prefix.entry(p).or_default().push(i);
        }
        if let Some(t) = f.tool() {
            by_tool.entry(t).or_default().push(i);
        }
    }
    // A tool that many sources run is no evidence of one actor.
    by_tool.retain(|_, idx| {
        let sources: BTreeSet<IpAddr> = idx.iter().filter_map(|&i| facts[i].ip).collect();
        sources.len() <= MAX_TOOL_SOURCES
    });
    let forever = i64::MAX / 4;
    link_within(&mut uf, &facts, by_ip, forever, &mut reasons, false, |k| {
        format!("same source {k}")
    });
    link_within(
        &mut uf,
        &facts,
        by_infra,
        forever,
        &mut reasons,
        false,
        |k| format!("same listed infrastructure {k}"),
    );
    let hour = 3_600_000i64;
    link_within(
        &mut uf,
        &facts,
        by_prefix,
        prefix_window_hours as i64 * hour,
        &mut reasons,
        true,
        |k| format!("neighbouring sources in {k} within {prefix_window_hours} h"),
    );
    link_within(
        &mut uf,
        &facts,
        by_tool,
        tool_window_hours as i64 * hour,
        &mut reasons,
        true,
        |k| format!("same tool ({k}) within {tool_window_hours} h"),
    );

    // 4. One actor's addresses, by fingerprint (see `crate::actor`): the
    // strongest links first; a link is a reason when it joins two groups.
    for l in crate::actor::links(profiles, geo) {
        let (a, b) = l.alerts;
        if uf.find(a) != uf.find(b) {
            uf.union(a, b);
            reasons.entry(a).or_default().insert(l.reason.clone());
            reasons.entry(b).or_default().insert(l.reason);
        }
    }

    let mut groups = Groups::new();
    for i in 0..facts.len() {
        let r = uf.find(i);
        groups.entry(r).or_default().push(i);
    }
    (groups, reasons)
}
