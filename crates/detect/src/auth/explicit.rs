//! `auth.spray` from explicit-credential attempts (Windows 4648).
//!
//! A 4648 is written on the machine that *presents* credentials, before the
//! target checks them: it names who presented them (`client` =
//! `computer\subject`) and for which account, never whether they worked.
//! The failure-based funnel cannot use it, but a spray is visible anyway:
//! one account on one host presenting credentials for many different
//! accounts in a short time. RunAs, scheduled tasks, mapped drives and
//! remote administration present one or a few accounts, so an episode (no
//! gap longer than `explicit_gap_secs`) alerts only from
//! `explicit_min_accounts` distinct accounts.

use super::emit::{build, thousands, Draft};
use super::AuthDetector;
use haboob_model::{Alert, AlertSource, Evidence, Origin, Severity};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

/// A run of explicit-credential attempts by one actor.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Episode {
    pub actor: u32,
    pub target: u32,
    pub first: i64,
    pub last: i64,
    pub attempts: u64,
    /// Distinct accounts (bounded by `max_listed_users`).
    pub users: BTreeSet<u32>,
    /// Attempts for accounts past the bound (counted, not listed).
    pub users_dropped: u64,
    pub evidence: Vec<Evidence>,
}

/// Open episodes per actor and the finished ones that qualify.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct ExplicitTracker {
    open: HashMap<u32, Episode>,
    done: Vec<Episode>,
    /// Attempts ignored because too many actors were open.
    pub overflow: u64,
}

/// Limits of the tracker, from the config.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub gap_ms: i64,
    pub min_accounts: usize,
    pub max_users: usize,
    pub max_evidence: usize,
    pub max_actors: usize,
}

impl ExplicitTracker {
    /// Record one attempt by `actor` for `user`.
    pub(crate) fn attempt(
        &mut self,
        actor: u32,
        user: u32,
        target: u32,
        ts: i64,
        origin: &Origin<'_>,
        lim: Limits,
    ) {
        if self
            .open
            .get(&actor)
            .is_some_and(|e| ts - e.last > lim.gap_ms)
        {
            if let Some(e) = self.open.remove(&actor) {
                self.close(e, lim.min_accounts);
            }
        }
        if !self.open.contains_key(&actor) && self.open.len() >= lim.max_actors {
            self.overflow += 1;
            return;
        }
        let e = self.open.entry(actor).or_insert_with(|| Episode {
            actor,
            target,
            first: ts,
            last: ts,
            attempts: 0,
            users: BTreeSet::new(),
            users_dropped: 0,
            evidence: Vec::new(),
        });
        e.last = e.last.max(ts);
        e.first = e.first.min(ts);
        e.attempts += 1;
        if e.users.len() < lim.max_users || e.users.contains(&user) {
            e.users.insert(user);
        } else {
            e.users_dropped += 1;
        }
        if e.evidence.len() < lim.max_evidence {
            e.evidence.push(Evidence::from_origin(origin));
        }
    }

    fn close(&mut self, e: Episode, min_accounts: usize) {
        if e.users.len() >= min_accounts {
            self.done.push(e);
        }
    }

    /// Close episodes idle since before `now - gap_ms` (all with `i64::MAX`).
    pub(crate) fn close_idle(&mut self, now: i64, gap_ms: i64, min_accounts: usize) {
        let idle: Vec<u32> = self
            .open
            .iter()
            .filter(|(_, e)| now == i64::MAX || now - e.last > gap_ms)
            .map(|(a, _)| *a)
            .collect();
        for a in idle {
            if let Some(e) = self.open.remove(&a) {
                self.close(e, min_accounts);
            }
        }
    }

    /// Finished qualifying episodes, in time order.
    pub(crate) fn take_done(&mut self) -> Vec<Episode> {
        let mut d = std::mem::take(&mut self.done);
        d.sort_by_key(|e| (e.first, e.actor));
        d
    }

    /// Open episodes.
    pub(crate) fn len(&self) -> usize {
        self.open.len()
    }
}

fn duration(ms: i64) -> String {
    let s = ms / 1000;
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        _ => format!("{} h", s / 3600),
    }
}

/// The `auth.spray` alert of one qualifying episode.
pub(crate) fn alert(d: &AuthDetector, e: &Episode) -> Alert {
    let actor = d.clients.name(e.actor);
    let target = d.targets.name(e.target);
    let mut names: Vec<&str> = e.users.iter().map(|&u| d.users.name(u)).collect();
    names.sort_unstable();
    let n = names.len() as u64;
    let mut details = haboob_model::Details::new();
    details.insert("cluster".into(), json!(format!("explicit:{actor}")));
    details.insert("actor".into(), json!(actor));
    details.insert("basis".into(), json!("explicit credentials (4648)"));
    details.insert("attempts".into(), json!(e.attempts));
    details.insert("probed".into(), json!(n));
    details.insert(
        "mean_attempts".into(),
        json!((e.attempts as f64 / n.max(1) as f64 * 10.0).round() / 10.0),
    );
    details.insert("users_probed".into(), json!(names));
    if e.users_dropped > 0 {
        details.insert("users_truncated".into(), json!(true));
    }
    build(Draft {
        detector: "auth.spray",
        techniques: &["T1110.003"],
        severity: Severity::High,
        title: format!(
            "{actor} presented explicit credentials for {n} accounts ({} attempts in {}): password spray from that host",
            thousands(e.attempts),
            duration(e.last - e.first)
        ),
        source: AlertSource::default(),
        target: target.to_string(),
        user: None,
        first: e.first,
        last: e.last,
        count: e.attempts,
        details,
        evidence: e.evidence.clone(),
        keys: vec![target, actor],
    })
}

#[cfg(test)]
mod tests {
    use crate::auth::{build, AuthConfig};
    use haboob_model::{Alert, AuthEvent, AuthOutcome, EventRef, Origin, Ts};
    use std::borrow::Cow;

    fn attempt(ts: i64, actor: &str, user: &str) -> AuthEvent<'static> {
        AuthEvent {
            ts: Ts(ts),
            dataset: "auth.windows",
            source_ip: None,
            user: Cow::Owned(user.to_string()),
            domain: Cow::Borrowed("lab"),
            tenant: Cow::Borrowed(""),
            host: Cow::Borrowed(""),
            outcome: AuthOutcome::Attempt,
            failure: None,
            app: Cow::Borrowed("explicit-credentials"),
            client: Cow::Owned(actor.to_string()),
            country: Cow::Borrowed(""),
            asn: None,
            location: None,
        }
    }

    fn run(evs: &[AuthEvent<'static>]) -> Vec<Alert> {
        let mut dets = build(&AuthConfig::default());
        let mut out = Vec::new();
        for (i, e) in evs.iter().enumerate() {
            let o = Origin {
                file: "security.evtx",
                line: i as u64 + 1,
                raw: "{}",
            };
            for d in dets.iter_mut() {
                d.observe(&EventRef::Auth(e.clone()), &o, &mut out);
            }
        }
        for d in dets.iter_mut() {
            d.finish(&mut out);
        }
        out
    }

    #[test]
    fn many_accounts_in_rounds_is_a_spray() {
        // 3 rounds over 12 accounts, 2 s apart.
        let mut evs = Vec::new();
        for round in 0..3 {
            for u in 0..12 {
                evs.push(attempt(
                    (round * 12 + u) * 2000,
                    "ws1\\eve",
                    &format!("u{u:02}"),
                ));
            }
        }
        let a = run(&evs);
        assert_eq!(a.len(), 1, "{a:#?}");
        assert_eq!(a[0].detector, "auth.spray");
        assert_eq!(a[0].count, 36);
        assert_eq!(a[0].details["probed"], 12);
        assert_eq!(a[0].details["mean_attempts"], 3.0);
        assert_eq!(a[0].details["cluster"], "explicit:ws1\\eve");
        assert_eq!(a[0].target, "lab");
        assert!(a[0].source.ip.is_none());
        assert_eq!(a[0].evidence.len(), 10);
    }

    #[test]
    fn runas_and_few_accounts_are_not() {
        // An admin presenting 9 accounts (one short of the threshold) many
        // times, and a second host with one account all day.
        let mut evs = Vec::new();
        for i in 0..90 {
            evs.push(attempt(i * 60_000, "adm1\\root", &format!("svc{}", i % 9)));
            evs.push(attempt(i * 60_000 + 1, "ws2\\bob", "backup"));
        }
        assert!(run(&evs).is_empty());
    }

    #[test]
    fn accounts_spread_beyond_the_gap_do_not_add_up() {
        // 12 accounts, one every 2 hours: each episode holds one account.
        let evs: Vec<_> = (0..12)
            .map(|u| attempt(u * 7_200_000, "ws1\\eve", &format!("u{u:02}")))
            .collect();
        assert!(run(&evs).is_empty());
    }
}
