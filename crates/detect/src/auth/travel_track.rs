//! `auth.impossible_travel` across streams. A hunt runs one detector set
//! per stream (a file, or a rotation group) in parallel, so two successes of
//! one account in two streams (Paris in the Entra export, Tehran in the Okta
//! log) never meet in a [`TravelDetector`]. When asked
//! ([`TravelDetector::keep_track`]), each stream's detector also keeps a
//! [`TravelTrack`]: per account, its located successes as a sequence of
//! *visits* (consecutive successes from one address), each kept as its first
//! and its last sign-in, with both evidence lines. [`travel_across`] merges
//! the tracks of all streams per account in time order and applies the same
//! check to each hop whose two sign-ins come from different streams (hops
//! within one stream were checked by that stream's detector): same
//! thresholds, same alert (both lines, with file and line), an account
//! alerts at most once per `realert_secs` counting the stream's own alerts,
//! and a place older than the eviction horizon is not compared.
//!
//! **Bound.** A track holds at most [`MAX_VISITS_PER_ACCOUNT`] visits per
//! account (the oldest are dropped first) and `max_accounts` visits in all
//! (further visits are counted and ignored); a visit is about 1.3 KB at
//! most (two lines of up to 512 bytes, file names, address, place), so a
//! stream's track stays under `max_accounts` × 1.3 KB (260 MB at the
//! default 200,000; a few hundred bytes per visit for typical lines).
//!
//! **Limit.** A sign-in of another stream that falls inside a visit is
//! compared with the visit's nearest kept ends (its first and last
//! sign-ins), which are further away in time than the sign-ins in between:
//! a hop can be found possible that was not, never the reverse.
//!
//! The result does not depend on the order in which streams end: tracks
//! are taken in stream order, and ties in time are broken by stream, then
//! by arrival.

use super::config::{AuthConfig, ImpossibleTravelConfig};
use super::state::bounded;
use super::travel::{alert, impossible, Fix, KEEP_RAW, MAX_DISTANCE_KM};
#[cfg(doc)]
use super::TravelDetector;
use haboob_model::{Alert, Evidence, GeoPoint, Origin};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;

/// Visits kept per account in one stream's [`TravelTrack`].
pub const MAX_VISITS_PER_ACCOUNT: usize = 8;

/// One kept sign-in of a visit.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Point {
    ts: i64,
    evidence: Evidence,
    /// The stream's own detector alerted on this sign-in.
    alerted: bool,
}

impl Point {
    fn new(ts: i64, o: &Origin<'_>, alerted: bool) -> Point {
        Point {
            ts,
            evidence: Evidence {
                file: o.file.to_string(),
                line: o.line,
                raw: bounded(o.raw, KEEP_RAW).to_string(),
            },
            alerted,
        }
    }
}

/// Consecutive located successes of one account from one address.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Visit {
    ip: IpAddr,
    at: GeoPoint,
    country: String,
    target: String,
    first: Point,
    /// The latest sign-in of the visit, when it is not the first.
    last: Option<Point>,
}

/// The located successes of one stream that a check across streams needs
/// (see the module docs for what is kept and the bound).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct TravelTrack {
    accounts: HashMap<Box<str>, VecDeque<Visit>>,
    visits: usize,
    max_visits: usize,
    /// Visits dropped for the per-account cap.
    dropped: u64,
    /// Visits ignored because the track was full.
    refused: u64,
}

impl TravelTrack {
    /// An empty track holding at most `max_visits` visits.
    pub fn new(max_visits: usize) -> TravelTrack {
        TravelTrack {
            max_visits,
            ..TravelTrack::default()
        }
    }

    /// Visits held.
    pub fn visits(&self) -> usize {
        self.visits
    }

    /// Keep one located success (`user` and `target` already bounded).
    pub(super) fn record(
        &mut self,
        user: &str,
        target: &str,
        fix: &Fix<'_>,
        o: &Origin<'_>,
        alerted: bool,
    ) {
        if let Some(vs) = self.accounts.get_mut(user) {
            if let Some(v) = vs.back_mut().filter(|v| v.ip == fix.ip) {
                let end = v.last.as_ref().unwrap_or(&v.first).ts;
                if fix.ts >= end {
                    v.last = Some(Point::new(fix.ts, o, alerted));
                } else if fix.ts < v.first.ts {
                    // Slightly out of order: a new first sign-in.
                    let old = std::mem::replace(&mut v.first, Point::new(fix.ts, o, alerted));
                    v.last.get_or_insert(old);
                }
                return;
            }
        }
        if self.visits >= self.max_visits {
            self.refused += 1;
            return;
        }
        let vs = self.accounts.entry(user.into()).or_default();
        if vs.len() >= MAX_VISITS_PER_ACCOUNT {
            vs.pop_front();
            self.dropped += 1;
            self.visits -= 1;
        }
        vs.push_back(Visit {
            ip: fix.ip,
            at: fix.at,
            country: fix.country.to_string(),
            target: target.to_string(),
            first: Point::new(fix.ts, o, alerted),
            last: None,
        });
        self.visits += 1;
    }
}

/// One sign-in in the merged walk.
struct Step<'t> {
    stream: usize,
    seq: usize,
    visit: &'t Visit,
    point: &'t Point,
}

impl Step<'_> {
    fn fix(&self) -> Fix<'_> {
        Fix {
            ts: self.point.ts,
            at: self.visit.at,
            ip: self.visit.ip,
            country: &self.visit.country,
        }
    }
}

/// `auth.impossible_travel` alerts for hops between sign-ins of different
/// streams: `tracks` are the streams' [`TravelTrack`]s in stream order.
/// Alerts come sorted by account, then time.
pub fn travel_across(cfg: &AuthConfig, tracks: &[TravelTrack]) -> Vec<Alert> {
    let it = &cfg.impossible_travel;
    let mut out = Vec::new();
    if !it.enabled || tracks.iter().filter(|t| t.visits > 0).count() < 2 {
        return out;
    }
    let (dropped, refused) = tracks
        .iter()
        .fold((0, 0), |(d, r), t| (d + t.dropped, r + t.refused));
    if dropped > 0 || refused > 0 {
        tracing::debug!(
            dropped,
            refused,
            "Impossible travel across streams: visits not kept (per-account cap, or track full)."
        );
    }
    let mut by_user: BTreeMap<&str, Vec<Step<'_>>> = BTreeMap::new();
    for (stream, t) in tracks.iter().enumerate() {
        for (user, visits) in &t.accounts {
            let steps = by_user.entry(user).or_default();
            for v in visits {
                for point in std::iter::once(&v.first).chain(v.last.as_ref()) {
                    let seq = steps.len();
                    steps.push(Step {
                        stream,
                        seq,
                        visit: v,
                        point,
                    });
                }
            }
        }
    }
    for (user, mut steps) in by_user {
        if steps.iter().all(|s| s.stream == steps[0].stream) {
            continue;
        }
        steps.sort_by_key(|s| (s.point.ts, s.stream, s.seq));
        walk(it, user, &steps, &mut out);
    }
    out
}

/// One account's sign-ins of all streams, in time order.
fn walk(cfg: &ImpossibleTravelConfig, user: &str, steps: &[Step<'_>], out: &mut Vec<Alert>) {
    let horizon_ms = (MAX_DISTANCE_KM / cfg.max_speed_kmh.max(1.0) * 3_600_000.0).ceil() as i64;
    let realert_ms = cfg.realert_secs.saturating_mul(1000);
    let mut alerted: Option<i64> = None;
    for pair in steps.windows(2) {
        let (prev, cur) = (&pair[0], &pair[1]);
        let ts = cur.point.ts;
        if prev.point.alerted {
            alerted = Some(prev.point.ts);
        }
        if cur.point.alerted {
            alerted = Some(ts);
        }
        if prev.stream == cur.stream || ts - prev.point.ts > horizon_ms {
            continue;
        }
        let (a, b) = (prev.fix(), cur.fix());
        let Some(hop) = impossible(cfg, &a, &b) else {
            continue;
        };
        if alerted.is_some_and(|t| (ts - t).abs() < realert_ms) {
            continue;
        }
        let evidence = vec![prev.point.evidence.clone(), cur.point.evidence.clone()];
        out.push(alert(user, &cur.visit.target, &a, &b, &hop, evidence));
        alerted = Some(ts);
    }
}
