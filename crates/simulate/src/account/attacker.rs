//! The state-backed account campaign: identify, attack, take over.

use super::{at, AccountTruth, Org, Role, SimAuth, ATTACKED, COMPROMISED, IDENTIFICATION_ATTEMPTS};
use haboob_model::{AuthOutcome, FailureClass};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

const AGENT: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/108.0.0.0 Safari/537.36";
const NETS: [(u8, &str); 5] = [(23, "NL"), (57, "DE"), (91, "RO"), (140, "SG"), (203, "FR")];
const PER_NET: usize = 8;
const ACTIVE_PER_DAY: usize = 12;
const GAP_MS: i64 = 45_000;

pub(crate) struct Campaign {
    pub events: Vec<SimAuth>,
    pub accounts: Vec<AccountTruth>,
    pub ips: Vec<IpAddr>,
}

#[derive(Clone)]
struct Job {
    user: String,
    role: Role,
    success: bool,
}

pub(crate) fn campaign(orgs: &[Org], days: u32, rng: &mut ChaCha8Rng) -> Campaign {
    let mut sources: Vec<(IpAddr, &'static str)> = Vec::new();
    for (net, cc) in NETS {
        let mut hosts = BTreeSet::new();
        while hosts.len() < PER_NET {
            hosts.insert(rng.gen_range(2..255u8));
        }
        sources.extend(
            hosts
                .into_iter()
                .map(|h| (IpAddr::V4(Ipv4Addr::new(198, 18, net, h)), cc)),
        );
    }
    let exists: BTreeSet<&str> = orgs
        .iter()
        .flat_map(|o| o.people.iter().map(|p| p.upn.as_str()))
        .collect();
    let org_of: BTreeMap<&str, &Org> = orgs.iter().map(|o| (o.domain, o)).collect();
    // The guessed-address list, in the order the attacker walks it.
    let mut list: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for org in orgs.iter().filter(|o| o.targeted) {
        let mut idx: Vec<usize> = (0..org.people.len()).collect();
        idx.shuffle(rng);
        for &i in idx.iter().take(org.targets) {
            let p = &org.people[i];
            let mut g = super::org::guesses(p, org.domain);
            g.shuffle(rng);
            g.truncate(rng.gen_range(5..=7));
            let real = rng.gen_bool(0.9);
            g.retain(|n| *n != p.upn);
            if real {
                let at = rng.gen_range(0..=g.len());
                g.insert(at, p.upn.clone());
            }
            for n in g {
                if seen.insert(n.clone()) {
                    list.push(n);
                }
            }
        }
    }
    list.truncate(IDENTIFICATION_ATTEMPTS as usize);
    let missing: Vec<&String> = list
        .iter()
        .filter(|n| !exists.contains(n.as_str()))
        .collect();
    let mut ident: Vec<String> = list.clone();
    while (ident.len() as u64) < IDENTIFICATION_ATTEMPTS && !missing.is_empty() {
        let n = missing[rng.gen_range(0..missing.len())];
        let at = rng.gen_range(list.len()..=ident.len());
        ident.insert(at, n.clone());
    }
    // Identification spread over the first two thirds of the period.
    let ident_days = (days * 2 / 3).max(1);
    let total = ident.len();
    let mut per_day: Vec<Vec<Job>> = vec![Vec::new(); days as usize];
    let mut ident_day: BTreeMap<&str, u32> = BTreeMap::new();
    for (j, n) in ident.iter().enumerate() {
        let day = (j as u64 * u64::from(ident_days) / total.max(1) as u64) as u32;
        ident_day.entry(n.as_str()).or_insert(day);
        per_day[day as usize].push(Job {
            user: n.clone(),
            role: Role::Identify,
            success: false,
        });
    }
    let mut identified: Vec<&str> = ident_day
        .keys()
        .copied()
        .filter(|n| exists.contains(n))
        .collect();
    identified.shuffle(rng);
    let attacked: Vec<&str> = identified.iter().copied().take(ATTACKED).collect();
    let mut can_win: Vec<&str> = attacked
        .iter()
        .copied()
        .filter(|n| ident_day[n] + 2 < days)
        .collect();
    can_win.sort_unstable();
    can_win.shuffle(rng);
    let won: BTreeSet<&str> = can_win.into_iter().take(COMPROMISED).collect();
    for &n in &attacked {
        let first = ident_day[n] + 1;
        let mut avail: Vec<u32> = (first.min(days - 1)..days).collect();
        avail.shuffle(rng);
        avail.truncate(rng.gen_range(1..=4));
        avail.sort_unstable();
        if won.contains(n) && avail.len() < 2 {
            avail = vec![first, days - 1];
        }
        let last = avail.len() - 1;
        for (k, d) in avail.into_iter().enumerate() {
            let success = won.contains(n) && k == last;
            per_day[d as usize].push(Job {
                user: n.to_string(),
                role: Role::Attack,
                success,
            });
        }
    }
    let mut events = Vec::new();
    for (day, jobs) in per_day.iter_mut().enumerate() {
        // Successes come last so a take-over follows that day's failures.
        jobs.sort_by_key(|j| (j.role, j.success));
        let active: Vec<usize> = (0..ACTIVE_PER_DAY)
            .map(|k| (day * ACTIVE_PER_DAY + k * 3) % sources.len())
            .collect();
        let chunk = jobs.len().div_ceil(ACTIVE_PER_DAY).max(1);
        for (c, part) in jobs.chunks(chunk).enumerate() {
            let (ip, cc) = sources[active[c % active.len()]];
            let mut ms = rng.gen_range(0..(20 * 3_600_000i64)) + c as i64 * 60_000;
            for job in part {
                let org = org_of[job.user.rsplit_once('@').map_or("", |(_, d)| d)];
                let (outcome, failure) = if job.success {
                    (AuthOutcome::Success, None)
                } else if exists.contains(job.user.as_str()) {
                    (AuthOutcome::Failure, Some(FailureClass::BadPassword))
                } else {
                    (AuthOutcome::Failure, Some(FailureClass::UnknownUser))
                };
                events.push(SimAuth {
                    ts: at(day as u32, ms),
                    format: org.format,
                    domain: org.domain,
                    tenant: org.tenant,
                    user: job.user.clone(),
                    ip,
                    outcome,
                    failure,
                    app: "OfficeHome",
                    client_app: "Browser",
                    user_agent: AGENT.into(),
                    country: cc,
                    role: job.role,
                });
                ms += GAP_MS + rng.gen_range(-4_000..=4_000);
            }
        }
    }
    let attacked: BTreeSet<&str> = attacked.into_iter().collect();
    let mut accounts: BTreeMap<String, AccountTruth> = BTreeMap::new();
    for org in orgs {
        for p in &org.people {
            accounts.insert(p.upn.clone(), truth(&p.upn, org.domain, true));
        }
    }
    for n in ident_day.keys() {
        let domain = org_of[n.rsplit_once('@').map_or("", |(_, d)| d)].domain;
        let t = accounts
            .entry(n.to_string())
            .or_insert_with(|| truth(n, domain, false));
        t.probed = true;
        t.identified = t.exists;
        t.attacked = attacked.contains(n);
        t.compromised = won.contains(n);
    }
    Campaign {
        events,
        accounts: accounts.into_values().collect(),
        ips: sources.into_iter().map(|(ip, _)| ip).collect(),
    }
}

fn truth(user: &str, org: &'static str, exists: bool) -> AccountTruth {
    AccountTruth {
        user: user.to_string(),
        org,
        exists,
        probed: false,
        identified: false,
        attacked: false,
        compromised: false,
    }
}
