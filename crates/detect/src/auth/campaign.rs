//! [`group_campaigns`]: auth alerts → campaigns with the account funnel.

use super::emit::thousands;
use haboob_model::{content_id, Alert, Campaign, Funnel, Target, TargetSector};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Detectors whose events are not sign-in attempts by the campaign's
/// sources (pre-authentication probes; the two sign-ins of an impossible
/// journey): they add nothing to the funnel.
const NOT_ATTEMPTS: [&str; 2] = ["auth.ssh_probe", "auth.impossible_travel"];

/// Alerts compared pairwise for overlapping account lists (bounds the work).
const MAX_OVERLAP_ALERTS: usize = 5000;

fn list<'a>(a: &'a Alert, key: &str) -> impl Iterator<Item = &'a str> {
    a.details
        .get(key)
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
}

fn users(a: &Alert) -> BTreeSet<&str> {
    [
        "users_probed",
        "users_identified",
        "users_attacked",
        "users_compromised",
    ]
    .iter()
    .flat_map(|k| list(a, k))
    .collect()
}

fn find(p: &mut [usize], mut x: usize) -> usize {
    while p[x] != x {
        p[x] = p[p[x]];
        x = p[x];
    }
    x
}

fn union(p: &mut [usize], a: usize, b: usize) {
    let (a, b) = (find(p, a), find(p, b));
    if a != b {
        p[a.max(b)] = a.min(b);
    }
}

#[derive(Default)]
struct Acc<'a> {
    attempts: BTreeMap<(String, &'a str), u64>,
    probed: BTreeSet<&'a str>,
    identified: BTreeSet<&'a str>,
    attacked: BTreeSet<&'a str>,
    compromised: BTreeSet<&'a str>,
}

impl<'a> Acc<'a> {
    fn add(&mut self, a: &'a Alert) {
        let who = a
            .details
            .get("cluster")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .or_else(|| a.source.ip.map(|ip| ip.to_string()))
            .unwrap_or_default();
        let n = if NOT_ATTEMPTS.contains(&a.detector.as_str()) {
            0
        } else {
            a.details
                .get("attempts")
                .and_then(|v| v.as_u64())
                .unwrap_or(a.count)
        };
        let slot = self.attempts.entry((who, a.target.as_str())).or_default();
        *slot = (*slot).max(n);
        let c: Vec<&str> = list(a, "users_compromised").collect();
        let at: Vec<&str> = list(a, "users_attacked").chain(c.iter().copied()).collect();
        let id: Vec<&str> = list(a, "users_identified")
            .chain(at.iter().copied())
            .collect();
        self.probed
            .extend(list(a, "users_probed").chain(id.iter().copied()));
        self.identified.extend(id);
        self.attacked.extend(at);
        self.compromised.extend(c);
    }
    fn funnel(&self) -> Funnel {
        Funnel {
            attempts: self.attempts.values().sum(),
            probed: self.probed.len() as u64,
            identified: self.identified.len() as u64,
            attacked: self.attacked.len() as u64,
            compromised: self.compromised.len() as u64,
        }
    }
}

/// Group `auth.*` alerts into campaigns: alerts of one source cluster,
/// sharing a source address, or with overlapping account lists (at least
/// three names and half of the smaller list) are one campaign. Each campaign
/// gets the funnel (see the [module docs](super)), per-target funnels, the
/// compromised accounts and a one-line summary. Other alerts are ignored.
/// Output is sorted by first activity, then id.
pub fn group_campaigns(alerts: &[Alert]) -> Vec<Campaign> {
    group_campaigns_of(alerts.iter())
}

/// [`group_campaigns`] over borrowed alerts (in the same order).
pub fn group_campaigns_of<'a>(alerts: impl IntoIterator<Item = &'a Alert>) -> Vec<Campaign> {
    let auth: Vec<&Alert> = alerts
        .into_iter()
        .filter(|a| a.detector.starts_with("auth."))
        .collect();
    let mut parent: Vec<usize> = (0..auth.len()).collect();
    let mut reasons: Vec<BTreeSet<String>> = vec![BTreeSet::new(); auth.len()];
    let mut by_cluster: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_ip: BTreeMap<IpAddr, usize> = BTreeMap::new();
    for (i, a) in auth.iter().enumerate() {
        if let Some(c) = a.details.get("cluster").and_then(|v| v.as_str()) {
            match by_cluster.get(c) {
                Some(&j) => {
                    union(&mut parent, i, j);
                    reasons[i].insert("alerts of one source cluster".into());
                }
                None => {
                    by_cluster.insert(c, i);
                }
            }
        }
        for r in list(a, "cluster_reasons") {
            reasons[i].insert(format!("sources clustered: {r}"));
        }
        for ip in a.source.addresses() {
            match by_ip.get(&ip) {
                Some(&j) => {
                    union(&mut parent, i, j);
                    reasons[i].insert("shared source addresses".into());
                }
                None => {
                    by_ip.insert(ip, i);
                }
            }
        }
    }
    let lists: Vec<(usize, BTreeSet<&str>)> = auth
        .iter()
        .enumerate()
        .map(|(i, a)| (i, users(a)))
        .filter(|(_, u)| u.len() >= 3)
        .take(MAX_OVERLAP_ALERTS)
        .collect();
    for x in 0..lists.len() {
        for y in x + 1..lists.len() {
            let (i, a) = (&lists[x].0, &lists[x].1);
            let (j, b) = (&lists[y].0, &lists[y].1);
            if find(&mut parent, *i) == find(&mut parent, *j) {
                continue;
            }
            let common = a.intersection(b).count();
            if common >= 3 && common * 2 >= a.len().min(b.len()) {
                union(&mut parent, *i, *j);
                reasons[*i].insert("overlapping account lists".into());
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..auth.len() {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut out: Vec<Campaign> = groups
        .into_values()
        .map(|idx| campaign(&auth, &idx, &reasons))
        .collect();
    out.sort_by(|a, b| (a.first_seen, &a.id).cmp(&(b.first_seen, &b.id)));
    out
}

fn campaign(auth: &[&Alert], idx: &[usize], reasons: &[BTreeSet<String>]) -> Campaign {
    let members: Vec<&Alert> = idx.iter().map(|&i| auth[i]).collect();
    let mut total = Acc::default();
    let mut per: BTreeMap<&str, Acc<'_>> = BTreeMap::new();
    for a in &members {
        total.add(a);
        per.entry(a.target.as_str()).or_default().add(a);
    }
    let funnel = total.funnel();
    let sources: BTreeSet<IpAddr> = members.iter().flat_map(|a| a.source.addresses()).collect();
    let actors: BTreeSet<&str> = members
        .iter()
        .filter_map(|a| a.details.get("actor").and_then(|v| v.as_str()))
        .filter(|s| !s.is_empty())
        .collect();
    let targets: BTreeSet<&str> = members.iter().map(|a| a.target.as_str()).collect();
    let mut ids: Vec<&str> = members.iter().map(|a| a.id.as_str()).collect();
    ids.sort_unstable();
    let detectors: BTreeSet<&str> = members.iter().map(|a| a.detector.as_str()).collect();
    let techniques: BTreeSet<&str> = members
        .iter()
        .flat_map(|a| a.techniques.iter().map(String::as_str))
        .collect();
    let why: BTreeSet<String> = idx
        .iter()
        .flat_map(|&i| reasons[i].iter().cloned())
        .collect();
    let compromised: Vec<String> = total.compromised.iter().map(|s| s.to_string()).collect();
    let mut summary = format!(
        "{} made {} attempts against {} organisation{}: {} names probed, {} identified, {} accounts attacked, {} compromised",
        who(sources.len(), &actors),
        thousands(funnel.attempts),
        thousands(targets.len() as u64),
        if targets.len() == 1 { "" } else { "s" },
        thousands(funnel.probed),
        thousands(funnel.identified),
        thousands(funnel.attacked),
        thousands(funnel.compromised),
    );
    if !compromised.is_empty() {
        summary.push_str(&format!(" ({})", compromised.join(", ")));
    }
    if let (true, Some(a)) = (
        members
            .iter()
            .all(|a| NOT_ATTEMPTS.contains(&a.detector.as_str())),
        members.iter().min_by_key(|a| (a.first_seen, &a.id)),
    ) {
        // No sign-in attempts to count: the alert says what happened.
        summary = a.title.clone();
        if members.len() > 1 {
            summary.push_str(&format!(" (+{} more alerts)", members.len() - 1));
        }
    }
    let first_seen = members
        .iter()
        .map(|a| a.first_seen)
        .min()
        .unwrap_or_default();
    Campaign {
        id: content_id("cp", &ids),
        summary,
        severity: members.iter().map(|a| a.severity).max().unwrap_or_default(),
        sources: sources.into_iter().collect(),
        targets: targets
            .iter()
            .map(|t| Target {
                name: t.to_string(),
                organisation: None,
                sector: TargetSector::Other,
                region: None,
            })
            .collect(),
        alerts: ids.iter().map(|s| s.to_string()).collect(),
        detectors: detectors.into_iter().map(str::to_string).collect(),
        techniques: techniques.into_iter().map(str::to_string).collect(),
        reasons: why.into_iter().collect(),
        first_seen,
        last_seen: members
            .iter()
            .map(|a| a.last_seen)
            .max()
            .unwrap_or_default(),
        funnel: Some(funnel),
        funnel_by_target: per
            .into_iter()
            .map(|(t, acc)| (t.to_string(), acc.funnel()))
            .collect(),
        compromised,
        actors: actors.into_iter().map(str::to_string).collect(),
        attribution: Vec::new(),
        stages: Vec::new(),
        tools: Vec::new(),
    }
}

/// Actors listed by name in a summary.
const MAX_NAMED_ACTORS: usize = 3;

/// "2 sources", "host ws1\\eve", "3 sources and host ws1\\eve".
fn who(n_sources: usize, actors: &BTreeSet<&str>) -> String {
    let mut parts = Vec::new();
    if n_sources > 0 || actors.is_empty() {
        parts.push(format!(
            "{} source{}",
            thousands(n_sources as u64),
            if n_sources == 1 { "" } else { "s" }
        ));
    }
    if !actors.is_empty() {
        let named: Vec<&str> = actors.iter().take(MAX_NAMED_ACTORS).copied().collect();
        let more = actors.len().saturating_sub(MAX_NAMED_ACTORS);
        let mut s = format!(
            "{} {}",
            if actors.len() == 1 {
                "account"
            } else {
                "accounts"
            },
            named.join(", ")
        );
        if more > 0 {
            s.push_str(&format!(" (+{more} more)"));
        }
        parts.push(s);
    }
    parts.join(" and ")
}
