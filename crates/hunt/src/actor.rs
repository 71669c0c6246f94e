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
//! - **habits** (weak): the same methods and path casing/encoding, and the
//!   same HTTP versions of the request line when both logs have them
//!   (`protocols`; a format without one does not break the link), `0.05`.
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

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ua {
    Unknown,
    None,
    Mixed,
    Stock(String),
    Exact(String),
}

#[derive(Debug)]
struct Profile {
    ip: IpAddr,
    alert: usize,
    ua: Ua,
    methods: BTreeSet<String>,
    habits: BTreeSet<String>,
    protocols: BTreeSet<String>,
    hours: u32,
    weekdays: u32,
    paths: u64,
    path_sketch: Vec<u32>,
    order_sketch: Vec<u32>,
    sectors: BTreeSet<String>,
}

fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v) => {
            let s = v.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
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

fn strs(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn mask_jaccard(a: u32, b: u32) -> f64 {
    let u = (a | b).count_ones();
    if u == 0 {
        0.0
    } else {
        f64::from((a & b).count_ones()) / f64::from(u)
    }
}

fn set_jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let u = a.union(b).count();
    if u == 0 {
        0.0
    } else {
        a.intersection(b).count() as f64 / u as f64
    }
}

/// Per-source profiles from the alerts that carry a fingerprint (single
/// sources only; cluster alerts are linked by their prefix elsewhere),
/// gathered one alert at a time ([`Profiles::add`]).
#[derive(Default)]
pub(crate) struct Profiles {
    by_ip: BTreeMap<IpAddr, Profile>,
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
        let ua = match fp.get("ua").and_then(|v| v.as_str()) {
            Some("none") => Ua::None,
            Some("mixed") => Ua::Mixed,
            Some(h) if fp.get("ua_stock").and_then(|v| v.as_bool()) == Some(true) => {
                Ua::Stock(h.to_string())
            }
            Some(h) => Ua::Exact(h.to_string()),
            None => Ua::Unknown,
        };
        let t = targets.enrich(&a.target);
        let mut sectors = BTreeSet::new();
        sectors.insert(format!("{:?}", t.sector).to_ascii_lowercase());
        if let Some(r) = t.region {
            sectors.insert(format!("region {r}"));
        }
        let p = self.by_ip.entry(ip).or_insert_with(|| Profile {
            ip,
            alert: i,
            ua: Ua::Unknown,
            methods: BTreeSet::new(),
            habits: BTreeSet::new(),
            protocols: BTreeSet::new(),
            hours: 0,
            weekdays: 0,
            paths: 0,
            path_sketch: Vec::new(),
            order_sketch: Vec::new(),
            sectors: BTreeSet::new(),
        });
        p.ua = match (&p.ua, ua) {
            (Ua::Unknown, u) => u,
            (cur, u) if *cur == u => u,
            _ => Ua::Mixed,
        };
        p.methods.extend(strs(&fp["methods"]));
        p.habits.extend(strs(&fp["habits"]));
        p.protocols.extend(strs(&fp["protocols"]));
        p.hours |= fp["hours"].as_u64().unwrap_or(0) as u32;
        p.weekdays |= fp["weekdays"].as_u64().unwrap_or(0) as u32;
        p.paths = p.paths.max(fp["paths"].as_u64().unwrap_or(0));
        p.path_sketch = union_sketch(&p.path_sketch, &sketch(&fp["path_sketch"]));
        p.order_sketch = union_sketch(&p.order_sketch, &sketch(&fp["order_sketch"]));
        p.sectors.extend(sectors);
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
    let ps: Vec<Profile> = profiles.by_ip.into_values().collect();
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
    let mut wl_nets: Vec<BTreeSet<String>> = ps.iter().map(|p| [network(p.ip)].into()).collect();
    for &(a, b, _) in &similar {
        let (na, nb) = (network(ps[a].ip), network(ps[b].ip));
        wl_nets[a].insert(nb);
        wl_nets[b].insert(na);
    }
    let mut ua_nets: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for p in &ps {
        if let Ua::Exact(h) = &p.ua {
            ua_nets.entry(h).or_default().insert(network(p.ip));
        }
    }
    let rarity = |n: usize| (RARE_NETWORKS / n.max(1) as f64).min(1.0);
    let mut out = Vec::new();
    for (a, b, j) in similar {
        let (pa, pb) = (&ps[a], &ps[b]);
        let rw = rarity(wl_nets[a].len().max(wl_nets[b].len()));
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
        if let (Ua::Exact(x), Ua::Exact(y)) = (&pa.ua, &pb.ua) {
            if x == y {
                let n = ua_nets.get(x.as_str()).map_or(1, BTreeSet::len);
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
            let what: Vec<&str> = pa
                .sectors
                .intersection(&pb.sectors)
                .map(String::as_str)
                .collect();
            weak.push((
                format!("same target choice ({})", what.join(", ")),
                0.1 * jt,
            ));
        }
        let protocols_agree =
            pa.protocols.is_empty() || pb.protocols.is_empty() || pa.protocols == pb.protocols;
        if !pa.methods.is_empty()
            && pa.methods == pb.methods
            && pa.habits == pb.habits
            && protocols_agree
        {
            weak.push(("same methods and path habits".to_string(), 0.05));
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
pub(crate) mod tests {
    use super::*;
    use crate::campaign::group;
    use crate::merge::tests::alert;
    use crate::HuntConfig;

    /// A scan alert of `ip` on `site` at day `day`, 09:00 UTC, with a
    /// fingerprint: `ua`, and the 40-path wordlist `list` walked in order.
    pub(crate) fn scan(ip: &str, site: &str, day: i64, ua: &str, stock: bool, list: u32) -> Alert {
        let t = day * 86_400 + 9 * 3600;
        let mut a = alert("web.scan", ip, site, t, t + 300);
        let paths: Vec<u32> = (0..40).map(|i| (list * 1000 + i) * 7919).collect();
        let mut ps = paths.clone();
        ps.sort();
        ps.truncate(K);
        let mut pairs: Vec<u32> = paths
            .windows(2)
            .map(|w| w[0] ^ w[1].rotate_left(7))
            .collect();
        pairs.sort();
        pairs.truncate(K);
        let hex = |v: &[u32]| v.iter().map(|x| format!("{x:08x}")).collect::<Vec<_>>();
        a.details.insert(
            "fingerprint".into(),
            serde_json::json!({
                "ua": ua, "ua_stock": stock, "methods": ["GET"], "hours": 1 << 9,
                "weekdays": 1 << (day % 7), "habits": [], "paths": 40,
                "path_sketch": hex(&ps), "order_sketch": hex(&pairs),
            }),
        );
        a
    }

    fn group_of(alerts: &[Alert]) -> Vec<Vec<IpAddr>> {
        let mut g: Vec<Vec<IpAddr>> =
            group(alerts, &Targets::default(), &HuntConfig::default(), None)
                .into_iter()
                .map(|c| c.sources)
                .collect();
        g.sort();
        g
    }

    fn ips(v: &[&str]) -> Vec<IpAddr> {
        v.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn a_rare_wordlist_and_user_agent_link_across_weeks_and_networks() {
        let alerts = vec![
            scan("192.0.2.10", "a", 0, "00000000000000aa", false, 1),
            scan("198.51.100.20", "b", 9, "00000000000000aa", false, 1),
            scan("2001:db8:1::5", "c", 20, "00000000000000aa", false, 1),
            // Another wordlist, same User-Agent and hours: not linked.
            scan("203.0.113.30", "a", 1, "00000000000000aa", false, 2),
        ];
        assert_eq!(
            group_of(&alerts),
            vec![
                ips(&["192.0.2.10", "198.51.100.20", "2001:db8:1::5"]),
                ips(&["203.0.113.30"]),
            ]
        );
        let c = group(&alerts, &Targets::default(), &HuntConfig::default(), None);
        let r: Vec<&String> = c[0]
            .reasons
            .iter()
            .filter(|r| r.starts_with("same actor"))
            .collect();
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(
            r[0].contains("same wordlist (1.00 Jaccard over 40 paths) 0.50"),
            "{}",
            r[0]
        );
    }

    #[test]
    fn a_stock_user_agent_and_a_public_wordlist_link_nobody() {
        // Five unrelated networks, days apart, same list, `python-requests`.
        let alerts: Vec<Alert> = (0..5)
            .map(|k| {
                scan(
                    &format!("{}.0.2.1", 10 + k),
                    "a",
                    k * 3,
                    "00000000000000bb",
                    true,
                    3,
                )
            })
            .collect();
        assert_eq!(group_of(&alerts).len(), 5);
        // The same with a rare, non-stock User-Agent but shared by many
        // networks (eight): the wordlist and User-Agent lose their weight.
        let alerts: Vec<Alert> = (0..8)
            .map(|k| {
                scan(
                    &format!("{}.0.2.1", 10 + k),
                    "a",
                    k * 3,
                    "00000000000000cc",
                    false,
                    4,
                )
            })
            .collect();
        assert_eq!(group_of(&alerts).len(), 8);
    }

    #[test]
    fn weak_links_alone_do_not_merge() {
        // Same /24, same hours, same site, days apart, different wordlists
        // and User-Agents.
        let alerts = vec![
            scan("192.0.2.10", "a", 0, "00000000000000d1", false, 5),
            scan("192.0.2.11", "a", 3, "00000000000000d2", false, 6),
        ];
        assert_eq!(group_of(&alerts).len(), 2);
    }

    #[test]
    fn http_versions_count_with_the_habits_when_both_logs_have_them() {
        let with = |ip: &str, day: i64, protocols: serde_json::Value| {
            let mut a = scan(ip, "a", day, "00000000000000e1", false, 7);
            a.details.get_mut("fingerprint").unwrap()["protocols"] = protocols;
            a
        };
        let habit_reason = |alerts: &[Alert]| {
            let mut ps = Profiles::default();
            for (i, a) in alerts.iter().enumerate() {
                ps.add(i, a, &Targets::default());
            }
            links(ps, None)
                .iter()
                .any(|l| l.reason.contains("same methods and path habits"))
        };
        let (h1, h10) = (
            serde_json::json!(["HTTP/1.1"]),
            serde_json::json!(["HTTP/1.0"]),
        );
        let same = [
            with("192.0.2.10", 0, h1.clone()),
            with("198.51.100.20", 9, h1.clone()),
        ];
        assert!(habit_reason(&same));
        let differ = [
            with("192.0.2.10", 0, h1.clone()),
            with("198.51.100.20", 9, h10),
        ];
        assert!(!habit_reason(&differ));
        // One log without versions (IIS without cs-version): no conflict.
        let unknown = [
            with("192.0.2.10", 0, h1),
            with("198.51.100.20", 9, serde_json::json!([])),
        ];
        assert!(habit_reason(&unknown));
    }

    #[test]
    fn jaccard_of_sketches() {
        let a: Vec<u32> = (0..32).collect();
        let b: Vec<u32> = (0..32).collect();
        assert_eq!(jaccard(&a, &b), 1.0);
        let c: Vec<u32> = (100..132).collect();
        assert_eq!(jaccard(&a, &c), 0.0);
        let d: Vec<u32> = (16..48).collect();
        // Union's 32 smallest are 0..32, of which 16..32 are in both.
        assert_eq!(jaccard(&a, &d), 0.5);
    }

    #[test]
    fn networks() {
        assert_eq!(network("198.51.100.7".parse().unwrap()), "198.51.100.0/24");
        assert_eq!(
            network("2001:db8:4b1d:7::35".parse().unwrap()),
            "2001:db8:4b1d::/48"
        );
    }
}
