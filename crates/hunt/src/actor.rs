//! One actor across addresses, sites, formats and weeks: sources whose alerts
//! carry a `fingerprint` (see the web detectors' habits) are linked when
//! enough evidence agrees, each link stated with its strength.
//!
//! Evidence per pair of sources, with its weight:
//! - **wordlist** (strong): Jaccard similarity of the distinct paths probed,
//!   estimated from bottom-k sketches, `0.5 × J`; required (J ≥ 0.5, both
//!   with ≥ 20 distinct paths) for any link;
//! - **wordlist order** (strong): the same over consecutive path pairs, `0.3 × J`;
//! - **User-Agent** (strong): the same exact User-Agent, `0.3`, unless it is
//!   absent, mixed, or a stock tool or library (`python-requests`, zgrab,
//!   curl, default Nuclei, …), which many unrelated actors send;
//! - **network** (weak): same /24 or /48 `0.15`, else same ASN (`--geoip`) `0.1`;
//! - **schedule** (weak): the same UTC hours and weekdays, `0.1 × J`;
//! - **target choice** (weak): the same sectors and regions, `0.1 × J`;
//! - **habits** (weak), each its own reason: the same methods `0.02`; with
//!   them, the same path casing/encoding habits (`plain` when neither has
//!   one) `0.02`; the same HTTP versions of the request line when both logs
//!   have them (`protocols`; a format without one adds nothing) `0.01`.
//!
//! Weak evidence counts at most 0.3 in all. Wordlist and User-Agent weights
//! are multiplied by their rarity, `min(1, 4 / n)` where `n` is the number of
//! distinct networks (/24, /48) of the sources sharing them: a public
//! wordlist or User-Agent that many unrelated sources use links nobody. A
//! pair links at a total of 1.0 or more, so a weak link (same /24, same
//! hours) or a benign-looking fingerprint never links alone, while a rare
//! wordlist walked in the same order with the same User-Agent links across
//! weeks and networks.

use crate::geo::Geo;
use crate::targets::Targets;
use haboob_model::Alert;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// Minimum distinct paths on both sides for a wordlist comparison.
const MIN_PATHS: u64 = 20;
/// Minimum wordlist Jaccard for any link.
const MIN_WORDLIST: f64 = 0.5;
/// Networks that may share a fingerprint before it loses weight.
const RARE_NETWORKS: f64 = 4.0;
/// A pair links at this total strength.
pub const LINK_AT: f64 = 1.0;
/// Cap on the weak evidence of a pair.
const WEAK_CAP: f64 = 0.3;
/// Sketch elements shared by more profiles than this are not indexed.
const MAX_POSTING: usize = 2000;
/// Bottom-k size (as the detectors write it).
const K: usize = 32;

/// A source's User-Agent (texts as [`Names`] numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ua {
    Unknown,
    None,
    Mixed,
    Stock(u32),
    Exact(u32),
}

/// What the fingerprints of one source's alerts add up to. Texts (methods,
/// habits, HTTP versions, sectors, User-Agent hashes) are numbers of the
/// profiles' [`Names`], each set sorted: a profile is a few hundred bytes,
/// where sets of strings cost a tree node per set and an allocation per
/// string.
#[derive(Debug)]
struct Profile {
    ip: IpAddr,
    alert: usize,
    ua: Ua,
    methods: Vec<u32>,
    habits: Vec<u32>,
    protocols: Vec<u32>,
    hours: u32,
    weekdays: u32,
    paths: u64,
    path_sketch: Vec<u32>,
    order_sketch: Vec<u32>,
    sectors: Vec<u32>,
}

/// The texts profiles name, each held once and numbered.
#[derive(Default)]
struct Names {
    ids: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Names {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = u32::try_from(self.names.len()).expect("fewer than 2^32 names");
        self.names.push(s.into());
        self.ids.insert(s.into(), i);
        i
    }

    fn name(&self, i: u32) -> &str {
        &self.names[i as usize]
    }

    /// Adds the numbers of the strings of `v` (a JSON array) to the sorted
    /// set `set`.
    fn add_strs(&mut self, set: &mut Vec<u32>, v: &serde_json::Value) {
        for x in v
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str())
        {
            let i = self.id(x);
            insert_sorted(set, i);
        }
    }
}

/// Adds `i` to the sorted set `set`.
fn insert_sorted(set: &mut Vec<u32>, i: u32) {
    if let Err(at) = set.binary_search(&i) {
        set.insert(at, i);
    }
}

/// A source's network, for rarity and the weak link: IPv4 /24, IPv6 /48.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Net {
    V4([u8; 3]),
    V6([u16; 3]),
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Net::V4(o) => write!(f, "{}.{}.{}.0/24", o[0], o[1], o[2]),
            Net::V6(s) => write!(f, "{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]),
        }
    }
}

fn network(ip: IpAddr) -> Net {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            Net::V4([o[0], o[1], o[2]])
        }
        IpAddr::V6(v) => {
            let s = v.segments();
            Net::V6([s[0], s[1], s[2]])
        }
    }
}

fn sketch(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .filter_map(|s| u32::from_str_radix(s, 16).ok())
                .collect()
        })
        .unwrap_or_default()
}

fn union_sketch(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut v: Vec<u32> = a.iter().chain(b).copied().collect();
    v.sort_unstable();
    v.dedup();
    v.truncate(K);
    v
}

/// Jaccard estimate of two bottom-k sketches.
fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    let u = union_sketch(a, b);
    if u.is_empty() {
        return 0.0;
    }
    let both = u
        .iter()
        .filter(|x| a.binary_search(x).is_ok() && b.binary_search(x).is_ok())
        .count();
    both as f64 / u.len() as f64
}

fn mask_jaccard(a: u32, b: u32) -> f64 {
    let u = (a | b).count_ones();
    if u == 0 {
        0.0
    } else {
        f64::from((a & b).count_ones()) / f64::from(u)
    }
}

/// The numbers in both sorted sets.
fn common<'s>(a: &'s [u32], b: &'s [u32]) -> impl Iterator<Item = u32> + 's {
    a.iter().copied().filter(|x| b.binary_search(x).is_ok())
}

fn set_jaccard(a: &[u32], b: &[u32]) -> f64 {
    let both = common(a, b).count();
    let u = a.len() + b.len() - both;
    if u == 0 {
        0.0
    } else {
        both as f64 / u as f64
    }
}

/// Per-source profiles from the alerts that carry a fingerprint (single
/// sources only; cluster alerts are linked by their prefix elsewhere),
/// gathered one alert at a time ([`Profiles::add`]).
#[derive(Default)]
pub(crate) struct Profiles {
    by_ip: BTreeMap<IpAddr, Profile>,
    names: Names,
}

/// Whether alert `a` counts into a profile ([`Profiles::add`]): a single
/// source whose alert carries a fingerprint.
pub(crate) fn profiled(a: &Alert) -> bool {
    a.source.ip.is_some() && a.source.prefix.is_none() && a.details.contains_key("fingerprint")
}

impl Profiles {
    /// Counts alert `a`, of index `i`, into its source's profile.
    pub(crate) fn add(&mut self, i: usize, a: &Alert, targets: &Targets) {
        let (Some(ip), None, Some(fp)) =
            (a.source.ip, &a.source.prefix, a.details.get("fingerprint"))
        else {
            return;
        };
        let names = &mut self.names;
        let ua = match fp.get("ua").and_then(|v| v.as_str()) {
            Some("none") => Ua::None,
            Some("mixed") => Ua::Mixed,
            Some(h) if fp.get("ua_stock").and_then(|v| v.as_bool()) == Some(true) => {
                Ua::Stock(names.id(h))
            }
            Some(h) => Ua::Exact(names.id(h)),
            None => Ua::Unknown,
        };
        let t = targets.enrich(&a.target);
        let sector = names.id(&format!("{:?}", t.sector).to_ascii_lowercase());
        let region = t.region.map(|r| names.id(&format!("region {r}")));
        let p = self.by_ip.entry(ip).or_insert_with(|| Profile {
            ip,
            alert: i,
            ua: Ua::Unknown,
            methods: Vec::new(),
            habits: Vec::new(),
            protocols: Vec::new(),
            hours: 0,
            weekdays: 0,
            paths: 0,
            path_sketch: Vec::new(),
            order_sketch: Vec::new(),
            sectors: Vec::new(),
        });
        p.ua = match (p.ua, ua) {
            (Ua::Unknown, u) => u,
            (cur, u) if cur == u => u,
            _ => Ua::Mixed,
        };
        names.add_strs(&mut p.methods, &fp["methods"]);
        names.add_strs(&mut p.habits, &fp["habits"]);
        names.add_strs(&mut p.protocols, &fp["protocols"]);
        p.hours |= fp["hours"].as_u64().unwrap_or(0) as u32;
        p.weekdays |= fp["weekdays"].as_u64().unwrap_or(0) as u32;
        p.paths = p.paths.max(fp["paths"].as_u64().unwrap_or(0));
        p.path_sketch = union_sketch(&p.path_sketch, &sketch(&fp["path_sketch"]));
        p.order_sketch = union_sketch(&p.order_sketch, &sketch(&fp["order_sketch"]));
        insert_sorted(&mut p.sectors, sector);
        if let Some(r) = region {
            insert_sorted(&mut p.sectors, r);
        }
    }
}

/// A link between two sources, with its evidence.
#[derive(Debug, Clone)]
pub struct Link {
    /// Alert index of each side (any alert of the source).
    pub alerts: (usize, usize),
    /// Total strength (links at [`LINK_AT`]).
    pub strength: f64,
    /// The reason, naming both sources and every piece of evidence.
    pub reason: String,
}

/// Every link between fingerprinted sources, strongest first.
pub(crate) fn links(profiles: Profiles, geo: Option<&Geo>) -> Vec<Link> {
    let Profiles { by_ip, names } = profiles;
    let ps: Vec<Profile> = by_ip.into_values().collect();
    let eligible: Vec<usize> = (0..ps.len())
        .filter(|&i| ps[i].paths >= MIN_PATHS && !ps[i].path_sketch.is_empty())
        .collect();
    // Candidate pairs: sources sharing at least three sketch elements.
    let mut posting: HashMap<u32, Vec<usize>> = HashMap::new();
    for &i in &eligible {
        for &h in &ps[i].path_sketch {
            posting.entry(h).or_default().push(i);
        }
    }
    let mut shared: BTreeMap<(usize, usize), u32> = BTreeMap::new();
    for list in posting.values() {
        if list.len() > MAX_POSTING {
            continue;
        }
        for (x, &a) in list.iter().enumerate() {
            for &b in &list[x + 1..] {
                *shared.entry((a.min(b), a.max(b))).or_default() += 1;
            }
        }
    }
    let mut similar: Vec<(usize, usize, f64)> = Vec::new();
    for (&(a, b), &n) in &shared {
        if n < 3 {
            continue;
        }
        let j = jaccard(&ps[a].path_sketch, &ps[b].path_sketch);
        if j >= MIN_WORDLIST {
            similar.push((a, b, j));
        }
    }
    // Rarity: the networks sharing a wordlist (similar pairs) or a User-Agent.
    // A profile in no similar pair shares its wordlist with its own
    // network only.
    let mut wl_nets: HashMap<usize, BTreeSet<Net>> = HashMap::new();
    for &(a, b, _) in &similar {
        let (na, nb) = (network(ps[a].ip), network(ps[b].ip));
        wl_nets.entry(a).or_insert_with(|| [na].into()).insert(nb);
        wl_nets.entry(b).or_insert_with(|| [nb].into()).insert(na);
    }
    let wl_nets_of = |i: usize| wl_nets.get(&i).map_or(1, BTreeSet::len);
    let mut ua_nets: HashMap<u32, BTreeSet<Net>> = HashMap::new();
    for p in &ps {
        if let Ua::Exact(h) = p.ua {
            ua_nets.entry(h).or_default().insert(network(p.ip));
        }
    }
    let rarity = |n: usize| (RARE_NETWORKS / n.max(1) as f64).min(1.0);
    let mut out = Vec::new();
    for (a, b, j) in similar {
        let (pa, pb) = (&ps[a], &ps[b]);
        let rw = rarity(wl_nets_of(a).max(wl_nets_of(b)));
        let mut parts: Vec<(String, f64)> = Vec::new();
        parts.push((
            format!(
                "same wordlist ({j:.2} Jaccard over {} paths)",
                pa.paths.min(pb.paths)
            ),
            0.5 * j * rw,
        ));
        if !pa.order_sketch.is_empty() && !pb.order_sketch.is_empty() {
            let jo = jaccard(&pa.order_sketch, &pb.order_sketch);
            if jo > 0.0 {
                parts.push((format!("same wordlist order ({jo:.2})"), 0.3 * jo * rw));
            }
        }
        if let (Ua::Exact(x), Ua::Exact(y)) = (pa.ua, pb.ua) {
            if x == y {
                let n = ua_nets.get(&x).map_or(1, BTreeSet::len);
                parts.push((
                    format!("same User-Agent ({n} networks send it)"),
                    0.3 * rarity(n),
                ));
            }
        }
        let mut weak: Vec<(String, f64)> = Vec::new();
        let (na, nb) = (network(pa.ip), network(pb.ip));
        if na == nb {
            weak.push((format!("same network {na}"), 0.15));
        } else if let Some(g) = geo {
            match (g.lookup(pa.ip).asn, g.lookup(pb.ip).asn) {
                (Some(x), Some(y)) if x == y => weak.push((format!("same ASN AS{x}"), 0.1)),
                _ => {}
            }
        }
        let jh = mask_jaccard(pa.hours, pb.hours).min(mask_jaccard(pa.weekdays, pb.weekdays));
        if jh >= 0.5 {
            weak.push((format!("same hours and weekdays ({jh:.2})"), 0.1 * jh));
        }
        let jt = set_jaccard(&pa.sectors, &pb.sectors);
        if jt >= 0.5 {
            let mut what: Vec<&str> = common(&pa.sectors, &pb.sectors)
                .map(|i| names.name(i))
                .collect();
            what.sort_unstable();
            weak.push((
                format!("same target choice ({})", what.join(", ")),
                0.1 * jt,
            ));
        }
        let listed = |set: &[u32], none: &str| {
            let mut v: Vec<&str> = set.iter().map(|&i| names.name(i)).collect();
            v.sort_unstable();
            if v.is_empty() {
                none.to_string()
            } else {
                v.join(", ")
            }
        };
        if !pa.methods.is_empty() && pa.methods == pb.methods {
            let m = listed(&pa.methods, "");
            weak.push((format!("same methods ({m})"), 0.02));
            // Path habits are compared where both sides sent requests.
            if pa.habits == pb.habits {
                let h = listed(&pa.habits, "plain");
                weak.push((format!("same path habits ({h})"), 0.02));
            }
        }
        // A format without the request line's version (IIS without
        // cs-version) neither adds nor breaks anything.
        if !pa.protocols.is_empty() && pa.protocols == pb.protocols {
            let v = listed(&pa.protocols, "");
            weak.push((format!("same HTTP versions ({v})"), 0.01));
        }
        let weak_total: f64 = weak.iter().map(|w| w.1).sum();
        let strength = parts.iter().map(|p| p.1).sum::<f64>() + weak_total.min(WEAK_CAP);
        if strength < LINK_AT {
            continue;
        }
        parts.extend(weak);
        let why: Vec<String> = parts.iter().map(|(w, s)| format!("{w} {s:.2}")).collect();
        out.push(Link {
            alerts: (pa.alert, pb.alert),
            strength,
            reason: format!(
                "same actor: {} and {} (strength {strength:.2}: {})",
                pa.ip,
                pb.ip,
                why.join("; ")
            ),
        });
    }
    out.sort_by(|x, y| {
        y.strength
            .total_cmp(&x.strength)
            .then(x.alerts.cmp(&y.alerts))
    });
    out
}

#[cfg(test)]
#[path = "actor_tests.rs"]
pub(crate) mod tests;
