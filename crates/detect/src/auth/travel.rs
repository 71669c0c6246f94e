//! `auth.impossible_travel`: per account, the last successful sign-in with
//! a location (time, place, address, evidence line); a new located success
//! from another address fires (High, T1078) when the great-circle distance
//! less both accuracy radii is at least `min_distance_km` and that distance
//! over the time between the two is above `max_speed_kmh`.
//!
//! Sign-ins without a location (no City database, an address it does not
//! know) are skipped and leave the last place as it was. An account alerts
//! at most once per `realert_secs`. State is one entry per account (its
//! name, up to 512 bytes of the previous line, about 700 bytes in all),
//! evicted once no later sign-in could fire against it (after 20,040 km at
//! `max_speed_kmh`, half the Earth's circumference), and capped at
//! `max_accounts`.
//!
//! This compares the sign-ins of one stream. For a hunt over several
//! streams, each stream's detector also keeps its [`TravelTrack`] (see
//! [`TravelDetector::keep_track`]), and [`super::travel_across`] compares
//! the sign-ins of different streams after they end.

use super::config::{AuthConfig, ImpossibleTravelConfig};
use super::emit::{build, thousands, Draft};
use super::state::bounded;
use super::travel_track::TravelTrack;
use crate::Detector;
use haboob_model::{
    Alert, AlertSource, AuthEvent, AuthOutcome, EventRef, Evidence, GeoPoint, Origin, Severity, Ts,
};
use serde_json::json;
use std::collections::HashMap;
use std::net::IpAddr;

/// Half the Earth's circumference: no two places are further apart.
pub(super) const MAX_DISTANCE_KM: f64 = 20_040.0;
/// Bytes kept of the previous sign-in's line.
pub(super) const KEEP_RAW: usize = 512;

/// The last located success of one account.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Last {
    ts: i64,
    at: GeoPoint,
    ip: IpAddr,
    country: String,
    evidence: Evidence,
    alerted: Option<i64>,
}

/// The `auth.impossible_travel` detector for one stream.
#[derive(Debug)]
pub struct TravelDetector {
    cfg: ImpossibleTravelConfig,
    max_text: usize,
    accounts: HashMap<Box<str>, Last>,
    horizon_ms: i64,
    last_sweep: Option<i64>,
    /// Located sign-ins ignored because the table was full.
    refused: u64,
    /// Impossible hops not alerted (within `realert_secs` of an alert).
    repeats: u64,
    warned: bool,
    /// What a check across streams needs, when asked for.
    track: Option<TravelTrack>,
}

impl TravelDetector {
    /// A fresh detector.
    pub fn new(cfg: &ImpossibleTravelConfig, auth: &AuthConfig) -> TravelDetector {
        let speed = cfg.max_speed_kmh.max(1.0);
        let horizon_ms = (MAX_DISTANCE_KM / speed * 3_600_000.0).ceil() as i64;
        TravelDetector {
            cfg: cfg.clone(),
            max_text: auth.max_text_bytes,
            accounts: HashMap::new(),
            horizon_ms,
            last_sweep: None,
            refused: 0,
            repeats: 0,
            warned: false,
            track: None,
        }
    }

    /// Accounts held now.
    pub fn accounts(&self) -> usize {
        self.accounts.len()
    }

    fn sweep(&mut self, ts: i64, force: bool) {
        let last = *self.last_sweep.get_or_insert(ts);
        if !force && ts - last < (self.horizon_ms / 4).max(1000) {
            return;
        }
        self.last_sweep = Some(ts);
        let cutoff = ts - self.horizon_ms;
        self.accounts.retain(|_, l| l.ts >= cutoff);
    }

    fn remember(l: &mut Last, ev: &AuthEvent<'_>, at: GeoPoint, ip: IpAddr, o: &Origin<'_>) {
        l.ts = ev.ts.0;
        l.at = at;
        l.ip = ip;
        l.country.clear();
        l.country.push_str(bounded(&ev.country, 8));
        l.evidence.file.clear();
        l.evidence.file.push_str(o.file);
        l.evidence.line = o.line;
        l.evidence.raw.clear();
        l.evidence.raw.push_str(bounded(o.raw, KEEP_RAW));
    }

    /// Keep, from now on, the located successes a check across streams
    /// needs ([`TravelTrack`]); [`TravelDetector::take_track`] hands them over.
    pub fn keep_track(&mut self) {
        if self.track.is_none() {
            self.track = Some(TravelTrack::new(self.cfg.max_accounts));
        }
    }

    /// The located successes kept since [`TravelDetector::keep_track`]
    /// (`None` when not kept).
    pub fn take_track(&mut self) -> Option<TravelTrack> {
        self.track.take()
    }
}

/// One located successful sign-in, as the check needs it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fix<'a> {
    pub ts: i64,
    pub at: GeoPoint,
    pub ip: IpAddr,
    /// Country code, at most 8 bytes.
    pub country: &'a str,
}

impl Last {
    fn fix(&self) -> Fix<'_> {
        Fix {
            ts: self.ts,
            at: self.at,
            ip: self.ip,
            country: &self.country,
        }
    }
}

/// An impossible hop, measured.
#[derive(Debug, Clone, Copy)]
pub(super) struct Hop {
    /// Great-circle distance less both accuracy radii.
    km: f64,
    raw_km: f64,
    hours: f64,
    speed: f64,
}

/// The hop from `prev` to `cur`, when it is impossible: another address,
/// at least `min_distance_km` apart (less both radii), faster than
/// `max_speed_kmh`.
pub(super) fn impossible(
    cfg: &ImpossibleTravelConfig,
    prev: &Fix<'_>,
    cur: &Fix<'_>,
) -> Option<Hop> {
    if prev.ip == cur.ip {
        return None;
    }
    let raw_km = prev.at.distance_km(&cur.at);
    let km = raw_km - f64::from(prev.at.radius_km) - f64::from(cur.at.radius_km);
    if km < cfg.min_distance_km {
        return None;
    }
    let ms = (cur.ts - prev.ts).abs();
    let hours = ms as f64 / 3_600_000.0;
    let speed = if ms == 0 { f64::INFINITY } else { km / hours };
    if speed <= cfg.max_speed_kmh {
        return None;
    }
    Some(Hop {
        km,
        raw_km,
        hours,
        speed,
    })
}

/// The tenant, else the domain, else the host of a sign-in
/// ([`AuthEvent::target`]): an alert's target.
pub(super) fn target_of<'e>(ev: &'e AuthEvent<'_>, max_text: usize) -> &'e str {
    bounded(ev.target(), max_text)
}

/// The `auth.impossible_travel` alert for an impossible hop; `evidence` is
/// the line of `prev`, then the line of `cur`.
pub(super) fn alert(
    user: &str,
    target: &str,
    prev: &Fix<'_>,
    cur: &Fix<'_>,
    hop: &Hop,
    evidence: Vec<Evidence>,
) -> Alert {
    let Hop {
        km,
        raw_km,
        hours,
        speed,
    } = *hop;
    let (first, second) = (Ts(prev.ts.min(cur.ts)), Ts(prev.ts.max(cur.ts)));
    let place = |c: &str, p: &GeoPoint| {
        if c.is_empty() {
            format!("{:.1},{:.1}", p.lat, p.lon)
        } else {
            c.to_string()
        }
    };
    let from = place(prev.country, &prev.at);
    let to = place(cur.country, &cur.at);
    let end = |f: &Fix<'_>| {
        json!({
            "ip": f.ip.to_string(),
            "country": f.country,
            "lat": f.at.lat,
            "lon": f.at.lon,
            "accuracy_radius_km": f.at.radius_km,
            "time": Ts(f.ts).to_string(),
        })
    };
    let mut details = haboob_model::Details::new();
    details.insert("distance_km".into(), json!(km.round() as u64));
    details.insert("great_circle_km".into(), json!(raw_km.round() as u64));
    details.insert("hours".into(), json!((hours * 100.0).round() / 100.0));
    details.insert(
        "speed_kmh".into(),
        if speed.is_finite() {
            json!(speed.round() as u64)
        } else {
            json!(null)
        },
    );
    details.insert("from".into(), end(prev));
    details.insert("to".into(), end(cur));
    let speed_s = if speed.is_finite() {
        format!("{} km/h", thousands(speed.round() as u64))
    } else {
        "at the same time".to_string()
    };
    let ip_a = prev.ip.to_string();
    let ip_b = cur.ip.to_string();
    build(Draft {
        detector: "auth.impossible_travel",
        techniques: &["T1078"],
        severity: Severity::High,
        title: format!(
            "{user} signed in from {from} ({ip_a}) then {to} ({ip_b}), {} km apart in {:.1} h ({speed_s})",
            thousands(km.round() as u64),
            hours
        ),
        source: AlertSource {
            ip: Some(cur.ip),
            prefix: None,
            members: Vec::new(),
        },
        target: target.to_string(),
        user: Some(user.to_string()),
        first: first.0,
        last: second.0,
        count: 2,
        details,
        evidence,
        keys: vec![target, user, ip_a.as_str(), ip_b.as_str()],
    })
}

/// What [`Detector::save_state`] keeps of this detector.
type TravelSaved = (
    HashMap<Box<str>, Last>,
    Option<i64>,
    u64,
    u64,
    bool,
    Option<TravelTrack>,
);

impl Detector for TravelDetector {
    fn name(&self) -> &'static str {
        "auth.impossible_travel"
    }

    fn save_state(&self) -> Result<crate::DetectorState, crate::StateError> {
        crate::DetectorState::of(
            "auth.impossible_travel",
            &(
                &self.accounts,
                &self.last_sweep,
                &self.refused,
                &self.repeats,
                &self.warned,
                &self.track,
            ),
        )
    }

    fn restore_state(&mut self, state: crate::DetectorState) -> Result<(), crate::StateError> {
        let (accounts, last_sweep, refused, repeats, warned, track): TravelSaved =
            state.into("auth.impossible_travel")?;
        self.accounts = accounts;
        self.last_sweep = last_sweep;
        self.refused = refused;
        self.repeats = repeats;
        self.warned = warned;
        self.track = track;
        Ok(())
    }

    fn reads(&self) -> crate::Kinds {
        crate::Kinds::AUTH
    }

    fn observe(&mut self, ev: &EventRef<'_>, origin: &Origin<'_>, out: &mut Vec<Alert>) {
        let EventRef::Auth(ev) = ev else {
            return;
        };
        let (AuthOutcome::Success, Some(at), Some(ip)) = (ev.outcome, ev.location, ev.source_ip)
        else {
            return;
        };
        if ev.user.is_empty() {
            return;
        }
        let ts = ev.ts.0;
        self.sweep(ts, false);
        let user = bounded(&ev.user, self.max_text);
        let cur = Fix {
            ts,
            at,
            ip,
            country: bounded(&ev.country, 8),
        };
        let mut alerted = false;
        if let Some(prev) = self.accounts.get(user) {
            if let Some(hop) = impossible(&self.cfg, &prev.fix(), &cur) {
                let quiet = prev
                    .alerted
                    .is_some_and(|t| (ts - t).abs() < self.cfg.realert_secs.saturating_mul(1000));
                if quiet {
                    self.repeats += 1;
                } else {
                    let evidence = vec![prev.evidence.clone(), Evidence::from_origin(origin)];
                    let target = target_of(ev, self.max_text);
                    out.push(alert(user, target, &prev.fix(), &cur, &hop, evidence));
                    alerted = true;
                }
            }
        }
        if let Some(track) = &mut self.track {
            track.record(user, target_of(ev, self.max_text), &cur, origin, alerted);
        }
        if let Some(l) = self.accounts.get_mut(user) {
            if alerted {
                l.alerted = Some(ts);
            }
            if ts >= l.ts {
                Self::remember(l, ev, at, ip, origin);
            }
            return;
        }
        if self.accounts.len() >= self.cfg.max_accounts {
            self.sweep(ts, true);
        }
        if self.accounts.len() >= self.cfg.max_accounts {
            self.refused += 1;
            if !self.warned {
                self.warned = true;
                tracing::warn!(
                    cap = self.cfg.max_accounts,
                    "Impossible-travel account table full; further accounts are ignored."
                );
            }
            return;
        }
        let mut l = Last {
            ts,
            at,
            ip,
            country: String::new(),
            evidence: Evidence {
                file: String::new(),
                line: 0,
                raw: String::new(),
            },
            alerted: None,
        };
        Self::remember(&mut l, ev, at, ip, origin);
        self.accounts.insert(user.into(), l);
    }

    fn travel(&mut self) -> Option<&mut TravelDetector> {
        Some(self)
    }

    fn finish(&mut self, _out: &mut Vec<Alert>) {
        if self.refused > 0 || self.repeats > 0 {
            tracing::debug!(
                refused = self.refused,
                repeats = self.repeats,
                "Impossible-travel sign-ins not alerted (table full, or repeats within realert_secs)."
            );
        }
        self.accounts.clear();
    }
}
