//! Account-attack detectors over sign-in events, and the campaign funnel.
//!
//! One [`AuthDetector`] per stream keeps bounded state per source address
//! (≈ 64 bytes plus 16 bytes per kept attempt) and per account name, and at
//! the end of the stream clusters suspect sources into actors and emits:
//!
//! | id | ATT&CK | fires on |
//! |---|---|---|
//! | `auth.enumeration` | T1589.002, T1087 | a hostile cluster asking about many names, many unknown |
//! | `auth.spray` | T1110.003 | a hostile cluster revisiting many existing accounts, few attempts each; or one host presenting explicit credentials (Windows 4648) for many accounts |
//! | `auth.stuffing` | T1110.004 | many existing accounts tried once or twice, mostly bad passwords |
//! | `auth.brute_force` | T1110.001 | many password failures on one account (High); many failures on one name that does not exist, or a fast burst on one name from a source that never signed in (Low) |
//! | `auth.burst` | T1110 | a fast burst of failures on several names from a source that never signed in (Low) |
//! | `auth.takeover` | T1078 | a success by an attacking source or cluster |
//! | `auth.mfa_fatigue` | T1621 | repeated MFA prompts or denials for one account |
//! | `auth.ssh_probe` | T1595, T1046 | many SSH connections from one address or /24 that never reached authentication (Low; [`SshProbeDetector`]) |
//! | `auth.impossible_travel` | T1078 | two successful sign-ins of one account from places too far apart for the time between them (High; needs a City database; [`TravelDetector`]) |
//!
//! **Suspects and clusters.** For each source, an account is *bad* when it
//! failed from that source and never succeeded from it. A user mistyping then
//! succeeding, a phone with a stale password retrying from the user's usual
//! address, or an office egress where people sign in all day, are explained
//! this way. A source is a suspect when at least half its accounts are bad.
//! Suspects sharing two of {/24 prefix, ASN, client string, rhythm} are one
//! cluster, so fifty addresses each trying five accounts a day form one actor.
//! A cluster with five or more bad accounts is hostile.
//!
//! **Funnel** (per cluster, and per target = tenant, else domain, else host):
//! `attempts` = all attempts by the cluster; `probed` = distinct names tried;
//! `identified` = names with an answer that shows the account exists (bad
//! password, locked, MFA, disabled, success); `attacked` = identified accounts
//! that received a further password attempt after the identifying one (or any
//! success; in a stuffing cluster every identified account); `compromised` =
//! accounts with a success from the cluster.
//!
//! **Spray or stuffing.** Logs carry no passwords. Spraying walks a list of
//! accounts in rounds, one password per round, so attacked accounts are
//! revisited; stuffing replays leaked pairs, so each name is tried once or
//! twice (mean ≤ 1.5) and mostly answers "bad password" (the names exist).
//!
//! Cluster alerts carry in `details`: `cluster`, `cluster_reasons`,
//! `attempts`, `probed`, `identified`, `attacked`, `compromised` and the
//! sorted lists `users_probed`, `users_identified`, `users_attacked`,
//! `users_compromised` (capped by `max_listed_users`, `users_truncated` set
//! when cut); [`group_campaigns`] turns them into [`haboob_model::Campaign`]s.
//! An alert's `source.members` lists the lowest 1,024 member addresses; the
//! per-account alerts of one cluster (brute force, takeover) share a budget of
//! 2²⁰ listed addresses, so a cluster with thousands of them lists fewer each.
//! The end-of-stream clustering takes O(n log n) time and about 13 bytes per
//! source beyond the state (see `BENCHMARKS.md`).
//!
//! Pre-authentication probes ([`haboob_model::AuthOutcome::Probe`]) are not
//! attempts: the account engine and the funnel ignore them, and
//! `auth.ssh_probe` and `auth.impossible_travel` alerts add no attempts to a
//! campaign's funnel.
//!
//! ```
//! use haboob_detect::auth::{build, AuthConfig};
//! // The account engine, `auth.ssh_probe` and `auth.impossible_travel`.
//! let detectors = build(&AuthConfig::default());
//! assert_eq!(detectors.len(), 3);
//! let mut cfg = AuthConfig::default();
//! cfg.ssh_probe.enabled = false;
//! cfg.impossible_travel.enabled = false;
//! assert_eq!(build(&cfg).len(), 1);
//! ```

mod analyze;
mod burst;
mod campaign;
mod config;
mod emit;
pub mod exchange;
mod explicit;
mod mfa;
mod probe;
mod state;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_burst;
#[cfg(test)]
mod tests_probe;
#[cfg(test)]
mod tests_travel;
#[cfg(test)]
mod tests_travel_track;
mod travel;
mod travel_track;

/// The id an alert should have (tests check ids are content hashes).
#[cfg(test)]
fn emit_id_for_tests(a: &Alert) -> String {
    let key = a.details["cluster"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let first = a.first_seen.to_string();
    haboob_model::content_id("al", &[&a.detector, &key, &a.target, &first])
}

pub use campaign::{group_campaigns, group_campaigns_of};
pub use config::{
    AuthConfig, BruteForceConfig, BurstConfig, ClusterConfig, EnumerationConfig,
    ImpossibleTravelConfig, MfaFatigueConfig, SprayConfig, SshProbeConfig, StuffingConfig,
    TakeoverConfig,
};
pub use probe::SshProbeDetector;
pub use travel::TravelDetector;
pub use travel_track::{travel_across, TravelTrack};

use crate::Detector;
use haboob_model::{Alert, AuthOutcome, EventRef, Origin};
use state::{bounded, Interner, Kind, SourceState, Sources, Touch, OVERFLOW};

/// Build the auth detectors: the account engine (every other `auth.*` id),
/// and `auth.ssh_probe` and `auth.impossible_travel` when enabled.
pub fn build(cfg: &AuthConfig) -> Vec<Box<dyn Detector>> {
    let mut v: Vec<Box<dyn Detector>> = vec![Box::new(AuthDetector::new(cfg))];
    if cfg.ssh_probe.enabled {
        v.push(Box::new(SshProbeDetector::new(&cfg.ssh_probe, cfg)));
    }
    if cfg.impossible_travel.enabled {
        v.push(Box::new(TravelDetector::new(&cfg.impossible_travel, cfg)));
    }
    v
}

/// The account-attack engine for one stream (see the module docs).
#[derive(Debug)]
pub struct AuthDetector {
    cfg: AuthConfig,
    sources: Sources,
    users: Interner,
    /// Target id per user id.
    user_target: Vec<u32>,
    targets: Interner,
    clients: Interner,
    mfa: mfa::MfaTracker,
    explicit: explicit::ExplicitTracker,
    last_sweep: Option<i64>,
    /// Auth events without a source address (only MFA fatigue sees them).
    no_source: u64,
    warned_users: bool,
}

impl AuthDetector {
    /// A fresh engine.
    pub fn new(cfg: &AuthConfig) -> AuthDetector {
        AuthDetector {
            cfg: cfg.clone(),
            sources: Sources::default(),
            users: Interner::new(cfg.max_users),
            user_target: Vec::new(),
            targets: Interner::new(100_000),
            clients: Interner::new(100_000),
            mfa: mfa::MfaTracker::default(),
            explicit: explicit::ExplicitTracker::default(),
            last_sweep: None,
            no_source: 0,
            warned_users: false,
        }
    }

    /// Approximate bytes of state held now (sources, accounts, strings).
    pub fn state_bytes(&self) -> usize {
        self.sources.bytes()
            + self.users.bytes()
            + self.user_target.capacity() * 4
            + self.targets.bytes()
            + self.clients.bytes()
            + self.mfa.len() * 128
            + self.explicit.len() * 256
    }

    /// Live (not yet evicted) source addresses.
    pub fn live_sources(&self) -> usize {
        self.sources.live.len()
    }

    fn emit_episodes(&self, eps: Vec<mfa::Episode>, out: &mut Vec<Alert>) {
        for ep in eps {
            out.push(emit::mfa_alert(self, &ep));
        }
    }

    fn maybe_sweep(&mut self, ts: i64, out: &mut Vec<Alert>) {
        let idle_ms = self.cfg.idle_secs.saturating_mul(1000);
        let last = *self.last_sweep.get_or_insert(ts);
        if ts - last < (idle_ms / 4).max(1000) {
            return;
        }
        self.last_sweep = Some(ts);
        self.sources
            .sweep(ts - idle_ms, self.cfg.max_retired_sources);
        let mf = &self.cfg.mfa_fatigue;
        let eps = self
            .mfa
            .close_idle(ts, mf.window_secs * 1000, mf.min_prompts);
        self.emit_episodes(eps, out);
        let sp = &self.cfg.spray;
        self.explicit.close_idle(
            ts,
            sp.explicit_gap_secs.saturating_mul(1000),
            sp.explicit_min_accounts,
        );
    }

    fn explicit_limits(&self) -> explicit::Limits {
        let sp = &self.cfg.spray;
        explicit::Limits {
            gap_ms: sp.explicit_gap_secs.saturating_mul(1000),
            min_accounts: sp.explicit_min_accounts,
            max_users: self.cfg.max_listed_users,
            max_evidence: self.cfg.max_evidence,
            max_actors: self.cfg.max_evidence_sources,
        }
    }
}

/// What [`Detector::save_state`] keeps of this detector.
type AuthSaved = (
    Sources,
    Interner,
    Vec<u32>,
    Interner,
    Interner,
    mfa::MfaTracker,
    explicit::ExplicitTracker,
    Option<i64>,
    u64,
    bool,
);

impl Detector for AuthDetector {
    fn name(&self) -> &'static str {
        "auth"
    }

    fn save_state(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of(
            "auth",
            &(
                &self.sources,
                &self.users,
                &self.user_target,
                &self.targets,
                &self.clients,
                &self.mfa,
                &self.explicit,
                &self.last_sweep,
                &self.no_source,
                &self.warned_users,
            ),
        )
    }

    fn restore_state(&mut self, state: crate::DetectorState) -> Result<(), crate::StateError> {
        let (
            sources,
            users,
            user_target,
            targets,
            clients,
            mfa,
            explicit,
            last_sweep,
            no_source,
            warned_users,
        ): AuthSaved = state.into("auth")?;
        self.sources = sources;
        self.users = users;
        self.user_target = user_target;
        self.targets = targets;
        self.clients = clients;
        self.mfa = mfa;
        self.explicit = explicit;
        self.last_sweep = last_sweep;
        self.no_source = no_source;
        self.warned_users = warned_users;
        Ok(())
    }

    fn reads(&self) -> crate::Kinds {
        crate::Kinds::AUTH
    }

    fn observe(&mut self, ev: &EventRef<'_>, origin: &Origin<'_>, out: &mut Vec<Alert>) {
        let EventRef::Auth(ev) = ev else {
            return;
        };
        if ev.outcome == AuthOutcome::Probe {
            // Not a sign-in attempt: no account, no funnel (`auth.ssh_probe`).
            return;
        }
        let ts = ev.ts.0;
        self.maybe_sweep(ts, out);
        let max_text = self.cfg.max_text_bytes;
        let uid = self.users.get_or_insert(bounded(&ev.user, max_text));
        if uid == OVERFLOW {
            if !self.warned_users {
                self.warned_users = true;
                tracing::warn!(
                    cap = self.cfg.max_users,
                    "Account table full; further new names are ignored."
                );
            }
            return;
        }
        if uid as usize == self.user_target.len() {
            let tid = self.targets.get_or_insert(travel::target_of(ev, max_text));
            self.user_target.push(tid);
        }
        if ev.outcome == AuthOutcome::Attempt {
            // Explicit credentials: no result and no source address.
            if self.cfg.spray.enabled {
                let actor = self.clients.get_or_insert(bounded(&ev.client, max_text));
                if actor != OVERFLOW {
                    let tid = self.user_target[uid as usize];
                    let lim = self.explicit_limits();
                    self.explicit.attempt(actor, uid, tid, ts, origin, lim);
                }
            }
            return;
        }
        let kind = Kind::of(ev);
        let mf = &self.cfg.mfa_fatigue;
        if mf.enabled {
            let w = mf.window_secs * 1000;
            if kind.mfa_prompt() {
                let (min, maxe) = (mf.min_prompts, self.cfg.max_evidence);
                if let Some(ep) = self.mfa.prompt(uid, ts, ev.source_ip, origin, w, min, maxe) {
                    self.emit_episodes(vec![ep], out);
                }
            } else if kind == Kind::Success {
                self.mfa.success(uid, ts, w, origin);
            }
        }
        let Some(ip) = ev.source_ip else {
            self.no_source += 1;
            return;
        };
        let client = self.clients.get_or_insert(bounded(&ev.client, max_text));
        let cap = self.cfg.max_touches_per_source;
        let retired = &mut self.sources.retired;
        let s = self.sources.live.entry(ip).or_insert_with(|| {
            // A retired suspect that comes back resumes its history.
            retired.remove(&ip).unwrap_or(SourceState {
                last: ts,
                touches: Vec::with_capacity(1),
                dropped: 0,
                failures: 0,
                client,
                asn: ev.asn,
                client_varied: false,
            })
        });
        s.last = s.last.max(ts);
        s.client_varied |= s.client != client;
        let t = Touch {
            ts,
            user: uid,
            kind,
            client: client as u16,
        };
        if s.touches.len() < cap {
            s.touches.push(t);
        } else {
            s.dropped = s.dropped.saturating_add(1);
        }
        if kind != Kind::Success {
            s.failures = s.failures.saturating_add(1);
        }
        if s.failures > 0 {
            let room = self.sources.evidence.len() < self.cfg.max_evidence_sources;
            if room || self.sources.evidence.contains_key(&ip) {
                self.sources.evidence.entry(ip).or_default().offer(
                    self.cfg.max_evidence,
                    t,
                    origin,
                );
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        let mf = &self.cfg.mfa_fatigue;
        let eps = self
            .mfa
            .close_idle(i64::MAX, mf.window_secs * 1000, mf.min_prompts);
        self.emit_episodes(eps, out);
        // Attempts arrive in stream order, which may be slightly out of time
        // order; the analysis reads them in time order (stable, so equal
        // times keep their arrival order; near-sorted input sorts in O(n)).
        self.sources.sort_touches();
        let mut alerts = analyze::run(self);
        let sp = &self.cfg.spray;
        self.explicit
            .close_idle(i64::MAX, 0, sp.explicit_min_accounts);
        for e in self.explicit.take_done() {
            alerts.push(explicit::alert(self, &e));
        }
        alerts.sort_by(|a, b| (a.first_seen, &a.id).cmp(&(b.first_seen, &b.id)));
        if out.is_empty() {
            // No second buffer of every alert at the end of a large stream.
            *out = alerts;
        } else {
            out.extend(alerts);
        }
        if self.no_source > 0 {
            tracing::debug!(
                events = self.no_source,
                "Sign-ins without a source address were only checked for MFA fatigue."
            );
        }
    }
}
