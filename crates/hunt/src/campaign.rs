//! Grouping alerts into campaigns: the same source across sites, neighbouring
//! sources (/24, /64) active within the same hours, the same named tool on
//! several sites within the same hours (unless many sources run it), and one
//! actor's addresses linked by fingerprint ([`crate::actor`]).

use crate::background::{Background, Tally};
use crate::config::HuntConfig;
use crate::geo::Geo;
use crate::targets::Targets;
use haboob_model::{content_id, ip_prefix, Alert, Campaign, Severity, Target, TargetSector, Ts};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::IpAddr;

/// A tool named by more distinct sources than this does not link them.
const MAX_TOOL_SOURCES: usize = 8;

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

fn prefix_of(a: &Alert) -> Option<String> {
    // Members without a prefix (a `web.sweep` alert's sources, spread over
    // many networks) have no one neighbourhood: they link by address only.
    if a.source.prefix.is_none() && !a.source.members.is_empty() {
        return None;
    }
    a.source
        .prefix
        .clone()
        .or_else(|| a.source.ip.map(|ip| ip_prefix(ip).to_string()))
}

fn tool_of(a: &Alert) -> Option<&str> {
    a.details.get("tool").and_then(|t| t.as_str())
}

/// Whether two alerts have the same source addresses (address and members
/// as a set), without building the sets for the common single address.
fn same_sources(a: &Alert, b: &Alert) -> bool {
    if a.source.members.is_empty() && b.source.members.is_empty() {
        return a.source.ip == b.source.ip;
    }
    let set = |x: &Alert| x.source.addresses().collect::<BTreeSet<IpAddr>>();
    set(a) == set(b)
}

/// Link alerts sharing `key` whose activity lies within `window_ms` of each
/// other (sorted sweep), recording one reason per linked key.
fn link_within<K>(
    uf: &mut UnionFind,
    alerts: &[&Alert],
    keyed: BTreeMap<K, Vec<usize>>,
    window_ms: i64,
    reasons: &mut Reasons,
    distinct_only: bool,
    why: impl Fn(&K) -> String,
) {
    for (key, mut idx) in keyed {
        idx.sort_by_key(|&i| alerts[i].first_seen);
        let mut reach = i64::MIN;
        let mut prev: Option<usize> = None;
        for &i in &idx {
            if let Some(p) = prev {
                if alerts[i].first_seen.0 <= reach.saturating_add(window_ms) {
                    uf.union(p, i);
                    // Neighbour and tool links are reasons only when they
                    // join different sources.
                    if !distinct_only || !same_sources(alerts[p], alerts[i]) {
                        let r = why(&key);
                        reasons.entry(p).or_default().insert(r.clone());
                        reasons.entry(i).or_default().insert(r);
                    }
                }
            }
            reach = reach.max(alerts[i].last_seen.0);
            prev = Some(i);
        }
    }
}

/// Group every alert: web alerts by [`group`], sign-in alerts by the account
/// funnel grouping of `haboob_detect::auth`; targets are enriched from
/// `targets`, and a campaign that shares sources with a campaign of the other
/// family says so in its reasons (one actor across web and sign-in logs).
/// Web campaigns of research scanners are labelled (`crate::research`).
pub fn group_all(
    alerts: &[Alert],
    targets: &Targets,
    cfg: &HuntConfig,
    geo: Option<&Geo>,
    research: &crate::research::ResearchNets,
) -> Vec<Campaign> {
    group_with(alerts, targets, cfg, geo, research, |_, _| false)
}

/// [`group_all`] then [`crate::background::split`], without holding the
/// one-off probes: each is counted into the background as soon as it is
/// built, and dropped (on a flood of them, the campaigns would be most of
/// the hunt's memory). Same campaigns and background.
pub fn group_split(
    alerts: &[Alert],
    targets: &Targets,
    cfg: &HuntConfig,
    geo: Option<&Geo>,
    research: &crate::research::ResearchNets,
) -> (Vec<Campaign>, Background) {
    let mut tally = Tally::default();
    let out = group_with(alerts, targets, cfg, geo, research, |c, members| {
        tally.add(c, members.iter().copied())
    });
    (out, tally.finish())
}

/// [`group_all`] without the web campaigns that `one_off` takes (it is
/// given each, labelled, with its alerts). A web campaign sharing sources
/// with a sign-in campaign is kept without asking: the reason naming the
/// other makes it no one-off probe. Sign-in campaigns never are one (their
/// detectors are `auth.*`).
fn group_with<'a>(
    alerts: &'a [Alert],
    targets: &Targets,
    cfg: &HuntConfig,
    geo: Option<&Geo>,
    research: &crate::research::ResearchNets,
    mut one_off: impl FnMut(&Campaign, &[&'a Alert]) -> bool,
) -> Vec<Campaign> {
    // Borrowed, never cloned: on a flood of alerts a copy would double
    // the peak memory of the hunt's end.
    let mut auth = haboob_detect::auth::group_campaigns(alerts);
    let web: Vec<&Alert> = alerts
        .iter()
        .filter(|a| !a.detector.starts_with("auth."))
        .collect();
    let web = crate::intel_join::join_account_campaigns(&mut auth, web);
    for c in &mut auth {
        c.targets = c.targets.iter().map(|t| targets.enrich(&t.name)).collect();
        c.targets.sort();
    }
    let auth_sources: HashSet<IpAddr> = auth
        .iter()
        .flat_map(|c| c.sources.iter().copied())
        .collect();
    let mut kept: Vec<(Severity, Campaign)> = Vec::new();
    build_each(&web, targets, cfg, geo, |mut c, members| {
        // The severity as built, before the research label may lower it
        // (the only part of the sort key it changes).
        let built = c.severity;
        crate::research::apply(&mut c, research);
        if c.sources.iter().any(|s| auth_sources.contains(s)) || !one_off(&c, members) {
            kept.push((built, c));
        }
    });
    // Sign-in campaigns name web campaigns in the web campaigns' order as
    // built; without sign-in campaigns the order is the final sort's alone
    // (and a one-off probe never needed a key).
    if !auth.is_empty() {
        kept.sort_by_cached_key(|(built, c)| {
            let mut key = sort_key(c);
            key.0 = Reverse(*built);
            key
        });
    }
    let mut out: Vec<Campaign> = kept.into_iter().map(|(_, c)| c).collect();
    name_shared_sources(&mut auth, &mut out);
    // The web campaigns (usually the many) stay in place and the few
    // account campaigns join them: no second copy of the larger list.
    // `sort` is total (ids differ), so the order they meet in is no matter.
    out.extend(auth);
    sort(&mut out);
    out
}

/// Each sign-in campaign that shares sources with a web campaign says so in
/// its reasons, and the web campaign likewise (one actor across web and
/// sign-in logs): in `auth` order, then `web` order, with the number of
/// sources shared. Sources are looked up in an index of the web campaigns'
/// sources, not compared campaign by campaign (many campaigns of each family
/// would make that quadratic).
fn name_shared_sources(auth: &mut [Campaign], web: &mut [Campaign]) {
    if auth.is_empty() || web.is_empty() {
        return;
    }
    let mut by_source: std::collections::HashMap<IpAddr, Vec<usize>> =
        std::collections::HashMap::new();
    for (j, w) in web.iter().enumerate() {
        for s in &w.sources {
            let list = by_source.entry(*s).or_default();
            // A campaign's sources are distinct; once per campaign anyway.
            if list.last() != Some(&j) {
                list.push(j);
            }
        }
    }
    for a in auth.iter_mut() {
        let mut shared: BTreeMap<usize, usize> = BTreeMap::new();
        for s in &a.sources {
            for &j in by_source.get(s).into_iter().flatten() {
                *shared.entry(j).or_default() += 1;
            }
        }
        for (j, n) in shared {
            name_shared(n, a, &mut web[j]);
        }
    }
}

/// Sign-in campaign `a` and web campaign `w` share `n` sources: each says so.
fn name_shared(n: usize, a: &mut Campaign, w: &mut Campaign) {
    a.reasons.push(format!(
        "{n} of its sources also probed web sites in campaign {}",
        w.id
    ));
    w.reasons.push(format!(
        "{n} of its sources also attacked accounts in campaign {}",
        a.id
    ));
}

/// Organisations of one sector (other than `other`) or one region that a
/// campaign touches, the most of any sector or region; 0 below two.
pub fn focus(c: &Campaign) -> usize {
    let mut by: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for t in &c.targets {
        let org = t.organisation.as_deref().unwrap_or(&t.name);
        if t.sector != TargetSector::Other {
            by.entry(format!("sector {:?}", t.sector))
                .or_default()
                .insert(org);
        }
        if let Some(r) = &t.region {
            by.entry(format!("region {r}")).or_default().insert(org);
        }
    }
    let n = by.values().map(BTreeSet::len).max().unwrap_or(0);
    if n >= 2 {
        n
    } else {
        0
    }
}

/// Most severe first; within a severity, campaigns that touch several
/// organisations of one sector or region ([`focus`]) first; then widest,
/// largest, oldest; ids break ties.
fn sort(out: &mut [Campaign]) {
    out.sort_by_cached_key(sort_key);
}

/// The key [`sort`] orders by.
type SortKey = (
    Reverse<Severity>,
    Reverse<usize>,
    Reverse<usize>,
    Reverse<usize>,
    Ts,
    String,
);

fn sort_key(c: &Campaign) -> SortKey {
    (
        Reverse(c.severity),
        Reverse(focus(c)),
        Reverse(c.targets.len()),
        Reverse(c.alerts.len()),
        c.first_seen,
        c.id.clone(),
    )
}

/// Group alerts into campaigns, enriched from `targets`. Campaigns are sorted
/// most severe and widest first; ids are content hashes.
pub fn group(
    alerts: &[Alert],
    targets: &Targets,
    cfg: &HuntConfig,
    geo: Option<&Geo>,
) -> Vec<Campaign> {
    let refs: Vec<&Alert> = alerts.iter().collect();
    group_refs(&refs, targets, cfg, geo)
}

/// [`group`] over borrowed alerts.
fn group_refs(
    alerts: &[&Alert],
    targets: &Targets,
    cfg: &HuntConfig,
    geo: Option<&Geo>,
) -> Vec<Campaign> {
    let mut out = Vec::new();
    build_each(alerts, targets, cfg, geo, |c, _| out.push(c));
    sort(&mut out);
    out
}

/// The campaign of each group of `alerts` ([`link`]), handed to `each`
/// with its alerts as soon as it is built.
fn build_each<'a>(
    alerts: &[&'a Alert],
    targets: &Targets,
    cfg: &HuntConfig,
    geo: Option<&Geo>,
    mut each: impl FnMut(Campaign, &[&'a Alert]),
) {
    let (groups, reasons) = link(alerts, targets, cfg, geo);
    for idx in groups.into_values() {
        let members: Vec<&'a Alert> = idx.iter().map(|&i| alerts[i]).collect();
        each(build(&members, &idx, targets, &reasons), &members);
    }
}

/// Each alert's reasons, by index.
type Reasons = BTreeMap<usize, BTreeSet<String>>;

/// The groups of `alerts` (indices, each sorted, by their smallest) and
/// the reasons that linked each alert.
fn link(
    alerts: &[&Alert],
    targets: &Targets,
    cfg: &HuntConfig,
    geo: Option<&Geo>,
) -> (BTreeMap<usize, Vec<usize>>, Reasons) {
    let mut uf = UnionFind::new(alerts.len());
    let mut reasons = Reasons::new();
    // 1. Same source address (or same cluster prefix) at any time.
    // Keyed by address (formatted only for a reason): which key is walked
    // first changes no campaign (union-find roots are the smallest index).
    let mut by_ip: BTreeMap<IpAddr, Vec<usize>> = BTreeMap::new();
    let mut by_prefix: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut by_tool: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    // Victims of the same listed infrastructure (`crate::victim`).
    let mut by_infra: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, a) in alerts.iter().enumerate() {
        for k in crate::victim::infrastructure_keys(a) {
            by_infra.entry(k).or_default().push(i);
        }
        // A cluster's `ip` is also one of its members: once each, so that
        // an alert is not "linked" to itself.
        if a.source.members.is_empty() {
            if let Some(ip) = a.source.ip {
                by_ip.entry(ip).or_default().push(i);
            }
        } else {
            let ips: BTreeSet<IpAddr> = a.source.addresses().collect();
            for ip in ips {
                by_ip.entry(ip).or_default().push(i);
            }
        }
        if let Some(p) = prefix_of(a) {
            by_prefix.entry(p).or_default().push(i);
        }
        if let Some(t) = tool_of(a) {
            by_tool.entry(t.to_string()).or_default().push(i);
        }
    }
    // A tool that many sources run is no evidence of one actor.
    by_tool.retain(|_, idx| {
        let sources: BTreeSet<IpAddr> = idx.iter().filter_map(|&i| alerts[i].source.ip).collect();
        sources.len() <= MAX_TOOL_SOURCES
    });
    link_within(
        &mut uf,
        alerts,
        by_ip,
        i64::MAX / 4,
        &mut reasons,
        false,
        |k| format!("same source {k}"),
    );
    link_within(
        &mut uf,
        alerts,
        by_infra,
        i64::MAX / 4,
        &mut reasons,
        false,
        |k| format!("same listed infrastructure {k}"),
    );
    let hour = 3_600_000i64;
    link_within(
        &mut uf,
        alerts,
        by_prefix,
        cfg.prefix_window_hours as i64 * hour,
        &mut reasons,
        true,
        |k| {
            format!(
                "neighbouring sources in {k} within {} h",
                cfg.prefix_window_hours
            )
        },
    );
    link_within(
        &mut uf,
        alerts,
        by_tool,
        cfg.tool_window_hours as i64 * hour,
        &mut reasons,
        true,
        |k| format!("same tool ({k}) within {} h", cfg.tool_window_hours),
    );

    // 4. One actor's addresses, by fingerprint (see `crate::actor`): the
    // strongest links first; a link is a reason when it joins two groups.
    for l in crate::actor::links(alerts, targets, geo) {
        let (a, b) = l.alerts;
        if uf.find(a) != uf.find(b) {
            uf.union(a, b);
            reasons.entry(a).or_default().insert(l.reason.clone());
            reasons.entry(b).or_default().insert(l.reason);
        }
    }

    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..alerts.len() {
        let r = uf.find(i);
        groups.entry(r).or_default().push(i);
    }
    (groups, reasons)
}

/// The campaign of `members`, the alerts of indices `idx` (for `reasons`).
fn build(members: &[&Alert], idx: &[usize], targets: &Targets, reasons: &Reasons) -> Campaign {
    let mut sources = BTreeSet::new();
    let mut tnames = BTreeSet::new();
    let mut detectors = BTreeSet::new();
    let mut techniques = BTreeSet::new();
    let mut why = BTreeSet::new();
    let mut ids = Vec::new();
    let (mut first, mut last) = (members[0].first_seen, members[0].last_seen);
    let mut severity = members[0].severity;
    for (&i, a) in idx.iter().zip(members) {
        sources.extend(a.source.addresses());
        tnames.insert(a.target.clone());
        detectors.insert(a.detector.clone());
        techniques.extend(a.techniques.iter().cloned());
        if let Some(r) = reasons.get(&i) {
            why.extend(r.iter().cloned());
        }
        ids.push(a.id.clone());
        first = first.min(a.first_seen);
        last = last.max(a.last_seen);
        severity = severity.max(a.severity);
    }
    ids.sort();
    let sources: Vec<IpAddr> = sources.into_iter().collect();
    let targets: Vec<Target> = tnames.iter().map(|n| targets.enrich(n)).collect();
    let id_parts: Vec<&str> = ids.iter().map(String::as_str).collect();
    let summary = crate::victim::summary(members, &sources, &targets)
        .unwrap_or_else(|| summarize(&sources, &targets, &detectors));
    why.extend(crate::victim::reasons(members));
    let mut c = Campaign {
        id: content_id("cp", &id_parts),
        summary,
        severity,
        sources,
        targets,
        alerts: ids,
        detectors: detectors.into_iter().collect(),
        techniques: techniques.into_iter().collect(),
        reasons: why.into_iter().collect(),
        first_seen: first,
        last_seen: last,
        funnel: None,
        funnel_by_target: BTreeMap::new(),
        compromised: Vec::new(),
        // The attacker side without an address: listed names victims reached.
        actors: crate::victim::named_infrastructure(members),
        attribution: vec![],
        stages: Vec::new(),
        // The tools the members name (`details.tool`, e.g. the scanner
        // fingerprints of `web.scanner_ua`), each also stated as a reason.
        tools: members
            .iter()
            .filter_map(|a| tool_of(a))
            .map(|t| haboob_model::bounded(t, 80).to_string())
            .collect::<BTreeSet<String>>()
            .into_iter()
            .take(haboob_model::MAX_CAMPAIGN_TOOLS)
            .collect(),
    };
    for t in &c.tools {
        c.reasons.push(format!("tool: {t}"));
    }
    // Several organisations of one sector or region is targeting, whatever
    // each request was: at least High ("hostile and targeted").
    let orgs = focus(&c);
    if orgs >= SECTOR_WIDE && c.severity < Severity::High {
        c.severity = Severity::High;
        c.reasons.push(format!(
            "raised to high: {orgs} organisations of one sector or region"
        ));
    }
    crate::stages::apply(&mut c, members);
    c
}

/// Organisations of one sector or region ([`focus`]) from which a campaign
/// is sector-wide targeting.
const SECTOR_WIDE: usize = 3;

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// "one source scanned 5 election sites in 3 states and 1 news site".
pub fn summarize(sources: &[IpAddr], targets: &[Target], detectors: &BTreeSet<String>) -> String {
    let who = match sources {
        [] => "an unknown source".to_string(),
        [ip] => format!("one source ({ip})"),
        many => format!("{} sources", many.len()),
    };
    let verb = if detectors.iter().any(|d| d == "web.exploit") {
        "scanned and sent exploit probes to"
    } else if detectors.iter().all(|d| d.starts_with("web.")) {
        "scanned"
    } else {
        "attacked"
    };
    let mut by_sector: BTreeMap<TargetSector, (usize, BTreeSet<&str>)> = BTreeMap::new();
    for t in targets {
        let e = by_sector.entry(t.sector).or_default();
        e.0 += 1;
        if let Some(r) = &t.region {
            e.1.insert(r);
        }
    }
    let parts: Vec<String> = by_sector
        .iter()
        .map(|(sector, (n, regions))| {
            let (one, many) = match sector {
                TargetSector::Election => ("election site", "election sites"),
                TargetSector::News => ("news site", "news sites"),
                TargetSector::Campaign => ("campaign site", "campaign sites"),
                TargetSector::Government => ("government site", "government sites"),
                TargetSector::Other => ("site", "sites"),
            };
            let mut s = plural(*n, one, many);
            match regions.len() {
                0 => {}
                1 => s.push_str(&format!(" in {}", regions.iter().next().unwrap_or(&""))),
                k => s.push_str(&format!(
                    " in {k} states ({})",
                    regions.iter().copied().collect::<Vec<_>>().join(", ")
                )),
            }
            s
        })
        .collect();
    let what = match parts.len() {
        0 => "nothing".to_string(),
        1 => parts[0].clone(),
        _ => {
            let (last, init) = parts.split_last().expect("non-empty");
            format!("{} and {last}", init.join(", "))
        }
    };
    format!("{who} {verb} {what}")
}

#[cfg(test)]
#[path = "campaign_tests.rs"]
mod tests;
