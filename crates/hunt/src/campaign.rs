//! Grouping alerts into campaigns: the alerts that [`crate::link`] links
//! (the same source across sites, neighbouring sources, the same tool, one
//! actor's addresses) become one campaign each, with its targets, reasons,
//! stages and severity.

use crate::background::{Background, Tally};
use crate::config::HuntConfig;
use crate::geo::Geo;
use crate::link::{tool_of, Reasons};
use crate::pool::Pool;
use crate::targets::Targets;
use haboob_model::{content_id, Alert, Campaign, Severity, Target, TargetSector, Ts};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::IpAddr;

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
    group_split_of(alerts, targets, cfg, geo, research)
}

/// [`group_split`] of the alerts of any [`Pool`] (packed ones among them).
pub(crate) fn group_split_of<P: Pool + ?Sized>(
    alerts: &P,
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

/// Which grouping of [`group_with`] an alert goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// Sign-in alerts (`auth.*`): the account funnel grouping.
    Auth,
    /// Intel alerts: into a sign-in campaign, or else with the web alerts.
    Intel,
    /// Every other alert.
    Web,
}

impl Family {
    /// The family of `a`.
    pub(crate) fn of(a: &Alert) -> Family {
        if a.detector.starts_with("auth.") {
            Family::Auth
        } else if crate::intel_join::is_intel(a) {
            Family::Intel
        } else {
            Family::Web
        }
    }
}

/// [`group_all`] without the web campaigns that `one_off` takes (it is
/// given each, labelled, with its alerts). A web campaign sharing sources
/// with a sign-in campaign is kept without asking: the reason naming the
/// other makes it no one-off probe. Sign-in campaigns never are one (their
/// detectors are `auth.*`).
pub(crate) fn group_with<P: Pool + ?Sized>(
    alerts: &P,
    targets: &Targets,
    cfg: &HuntConfig,
    geo: Option<&Geo>,
    research: &crate::research::ResearchNets,
    mut one_off: impl FnMut(&Campaign, &[&Alert]) -> bool,
) -> Vec<Campaign> {
    // Sign-in alerts, and intel alerts that may join their campaigns, are
    // few: they are read together; every other alert is read a group at a
    // time (on a flood of alerts, holding them all would double the peak
    // memory of the hunt's end, or undo their packing).
    let (mut auth_idx, mut intel_idx) = (Vec::new(), Vec::new());
    alerts.each_family(|i, f| match f {
        Family::Auth => auth_idx.push(i),
        Family::Intel => intel_idx.push(i),
        Family::Web => {}
    });
    let mut auth = alerts.with(&auth_idx, |a| {
        haboob_detect::auth::group_campaigns_of(a.iter().copied())
    });
    let joined = alerts.with(&intel_idx, |intel| {
        let rest = crate::intel_join::join_account_campaigns(&mut auth, intel.to_vec());
        // What joined: the intel alerts not left (the rest keeps their order).
        let mut left = rest.iter().peekable();
        let mut joined = Vec::new();
        for (&i, a) in intel_idx.iter().zip(intel) {
            if left.peek().is_some_and(|r| std::ptr::eq(**r, *a)) {
                left.next();
            } else {
                joined.push(i);
            }
        }
        joined
    });
    let mut skip = auth_idx;
    skip.extend(joined);
    skip.sort_unstable();
    let web: Vec<usize> = (0..alerts.len())
        .filter(|i| skip.binary_search(i).is_err())
        .collect();
    drop(skip);
    for c in &mut auth {
        c.targets = c.targets.iter().map(|t| targets.enrich(&t.name)).collect();
        c.targets.sort();
    }
    let auth_sources: HashSet<IpAddr> = auth
        .iter()
        .flat_map(|c| c.sources.iter().copied())
        .collect();
    let mut kept: Vec<(Severity, Campaign)> = Vec::new();
    build_each(alerts, &web, targets, cfg, geo, |mut c, members| {
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
    let all: Vec<usize> = (0..alerts.len()).collect();
    let mut out = Vec::new();
    build_each(alerts, &all, targets, cfg, geo, |c, _| out.push(c));
    sort(&mut out);
    out
}

/// The campaign of each group of the alerts `idx` of `alerts` (linked by
/// [`crate::link`]), handed to `each` with its alerts as soon as it is
/// built.
fn build_each<P: Pool + ?Sized>(
    alerts: &P,
    idx: &[usize],
    targets: &Targets,
    cfg: &HuntConfig,
    geo: Option<&Geo>,
    mut each: impl FnMut(Campaign, &[&Alert]),
) {
    let (groups, reasons) = crate::link::link(
        alerts.gather(idx, targets),
        cfg.prefix_window_hours,
        cfg.tool_window_hours,
        geo,
    );
    // Groups are read a batch at a time (packed alerts: each chunk once a
    // batch, where a group a time could read a chunk for every group).
    let mut first = 0;
    for take in crate::pool::batch_lens(groups.sizes()) {
        let (batch, ends) = groups.span(first, first + take);
        first += take;
        let of: Vec<usize> = batch.iter().map(|&j| idx[j]).collect();
        alerts.with(&of, |members| {
            let mut from = 0;
            for end in ends {
                let m = &members[from..end];
                each(build(m, &batch[from..end], targets, &reasons), m);
                from = end;
            }
        });
    }
    debug_assert_eq!(first, groups.len());
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
        why.extend(reasons.of(i).map(str::to_string));
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
