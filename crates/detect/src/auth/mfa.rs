//! `auth.mfa_fatigue` state: MFA prompts and denials per account.

use haboob_model::{Evidence, Origin};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Source addresses listed per episode.
const MAX_EPISODE_SOURCES: usize = 16;

/// A run of MFA prompts for one account with no gap longer than the window.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Episode {
    pub user: u32,
    pub first: i64,
    pub last: i64,
    pub prompts: u64,
    /// Most prompts seen inside one window.
    pub peak: usize,
    pub sources: Vec<IpAddr>,
    pub evidence: Vec<Evidence>,
    /// A success followed the prompts within the window.
    pub approved: bool,
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct UserMfa {
    recent: VecDeque<i64>,
    episode: Option<Episode>,
}

/// Per-account prompt windows (only accounts with recent prompts are held).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct MfaTracker {
    users: HashMap<u32, UserMfa>,
}

impl MfaTracker {
    /// Record one prompt or denial; a finished episode is returned.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn prompt(
        &mut self,
        user: u32,
        ts: i64,
        ip: Option<IpAddr>,
        origin: &Origin<'_>,
        window_ms: i64,
        min_prompts: usize,
        max_evidence: usize,
    ) -> Option<Episode> {
        let st = self.users.entry(user).or_default();
        let mut closed = None;
        if st.episode.as_ref().is_some_and(|e| ts - e.last > window_ms) {
            closed = st.episode.take();
        }
        while st.recent.front().is_some_and(|&t| ts - t > window_ms) {
            st.recent.pop_front();
        }
        st.recent.push_back(ts);
        if st.recent.len() > min_prompts {
            st.recent.pop_front();
        }
        let ep = st.episode.get_or_insert_with(|| Episode {
            user,
            first: ts,
            last: ts,
            prompts: 0,
            peak: 0,
            sources: Vec::new(),
            evidence: Vec::new(),
            approved: false,
        });
        // Slightly late events (within the ingest tolerance) never move
        // `last` back or leave `first` after an earlier prompt.
        ep.last = ep.last.max(ts);
        ep.first = ep.first.min(ts);
        ep.prompts += 1;
        ep.peak = ep.peak.max(st.recent.len());
        if let Some(ip) = ip {
            if !ep.sources.contains(&ip) && ep.sources.len() < MAX_EPISODE_SOURCES {
                ep.sources.push(ip);
            }
        }
        if ep.evidence.len() < max_evidence {
            ep.evidence.push(Evidence::from_origin(origin));
        }
        closed.filter(|e| e.peak >= min_prompts)
    }

    /// A success for the account: marks an open, qualifying episode approved.
    pub(crate) fn success(&mut self, user: u32, ts: i64, window_ms: i64, origin: &Origin<'_>) {
        if let Some(ep) = self.users.get_mut(&user).and_then(|s| s.episode.as_mut()) {
            if !ep.approved && ts - ep.last <= window_ms {
                ep.approved = true;
                ep.evidence.push(Evidence::from_origin(origin));
            }
        }
    }

    /// Close episodes idle since before `now - window_ms` (all when `now` is
    /// `i64::MAX`); qualifying ones are returned, sorted by first prompt.
    pub(crate) fn close_idle(
        &mut self,
        now: i64,
        window_ms: i64,
        min_prompts: usize,
    ) -> Vec<Episode> {
        let mut out = Vec::new();
        self.users.retain(|_, st| {
            let idle = st
                .episode
                .as_ref()
                .is_none_or(|e| now == i64::MAX || now - e.last > window_ms);
            if idle {
                if let Some(e) = st.episode.take() {
                    if e.peak >= min_prompts {
                        out.push(e);
                    }
                }
            }
            !idle
        });
        out.sort_by_key(|e| (e.first, e.user));
        out
    }

    /// Accounts held.
    pub(crate) fn len(&self) -> usize {
        self.users.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_prompts_never_put_first_after_last() {
        let mut m = MfaTracker::default();
        let o = Origin {
            file: "signin.jsonl",
            line: 1,
            raw: "{}",
        };
        for ts in [100_000, 160_000, 40_000, 120_000] {
            assert!(m.prompt(7, ts, None, &o, 300_000, 3, 10).is_none());
        }
        let eps = m.close_idle(i64::MAX, 300_000, 3);
        assert_eq!(eps.len(), 1);
        assert_eq!(
            (eps[0].first, eps[0].last, eps[0].prompts),
            (40_000, 160_000, 4)
        );
    }
}
