//! Unit tests of `auth.impossible_travel`: exact hits and misses, accuracy
//! radii, re-alerting, bounded state.

use super::*;
use haboob_model::{AuthEvent, FailureClass, GeoPoint, Severity, Ts};
use std::borrow::Cow;

pub(super) const T0: i64 = 1_772_409_600_000;
const H: i64 = 3600;

const PARIS: (f64, f64) = (48.8566, 2.3522);
const SYDNEY: (f64, f64) = (-33.8688, 151.2093);
const LONDON: (f64, f64) = (51.5074, -0.1278);
const MADRID: (f64, f64) = (40.4168, -3.7038);

/// A sign-in `secs` after [`T0`] by `user` from `ip`, at `place` (point,
/// accuracy radius km, country) when known.
pub(super) fn signin<'a>(
    secs: i64,
    user: &'a str,
    ip: &str,
    place: Option<((f64, f64), u16, &'a str)>,
    outcome: AuthOutcome,
) -> AuthEvent<'a> {
    AuthEvent {
        ts: Ts(T0 + secs * 1000),
        dataset: "auth.entra",
        source_ip: Some(ip.parse().unwrap()),
        user: Cow::Borrowed(user),
        domain: Cow::Borrowed("news.example"),
        tenant: Cow::Borrowed("t-news"),
        host: Cow::Borrowed(""),
        outcome,
        failure: (outcome == AuthOutcome::Failure).then_some(FailureClass::BadPassword),
        app: Cow::Borrowed("OfficeHome"),
        client: Cow::Borrowed(""),
        country: Cow::Borrowed(place.map_or("", |p| p.2)),
        asn: None,
        location: place.and_then(|((la, lo), r, _)| GeoPoint::new(la, lo, r)),
    }
}

struct Feed {
    det: TravelDetector,
    out: Vec<Alert>,
    line: u64,
}

impl Feed {
    fn new(cfg: &AuthConfig) -> Feed {
        Feed {
            det: TravelDetector::new(&cfg.impossible_travel, cfg),
            out: Vec::new(),
            line: 0,
        }
    }
    fn ev(
        &mut self,
        secs: i64,
        user: &str,
        ip: &str,
        place: Option<((f64, f64), u16, &str)>,
        outcome: AuthOutcome,
    ) {
        self.line += 1;
        let ev = EventRef::Auth(signin(secs, user, ip, place, outcome));
        let raw = format!("line {} {user} {ip}", self.line);
        let o = Origin {
            file: "signin.jsonl",
            line: self.line,
            raw: &raw,
        };
        self.det.observe(&ev, &o, &mut self.out);
    }
    fn ok(&mut self, secs: i64, user: &str, ip: &str, place: Option<((f64, f64), u16, &str)>) {
        self.ev(secs, user, ip, place, AuthOutcome::Success);
    }
    fn finish(mut self) -> Vec<Alert> {
        self.det.finish(&mut self.out);
        self.out
    }
}

fn feed(f: impl FnOnce(&mut Feed)) -> Vec<Alert> {
    let mut x = Feed::new(&AuthConfig::default());
    f(&mut x);
    x.finish()
}

fn at(p: (f64, f64), c: &str) -> Option<((f64, f64), u16, &str)> {
    Some((p, 0, c))
}

#[test]
fn distances_are_great_circle_km() {
    let p = |x: (f64, f64)| GeoPoint::new(x.0, x.1, 0).unwrap();
    let d = |a, b| p(a).distance_km(&p(b)).round() as i64;
    assert_eq!(d(PARIS, SYDNEY), 16_960);
    assert_eq!(d(PARIS, LONDON), 344);
    assert_eq!(d(PARIS, MADRID), 1_053);
    assert_eq!(d(PARIS, PARIS), 0);
    assert!(GeoPoint::new(91.0, 0.0, 0).is_none());
    assert!(GeoPoint::new(f64::NAN, 0.0, 0).is_none());
}

#[test]
fn paris_then_sydney_in_two_hours_fires() {
    let alerts = feed(|f| {
        f.ok(0, "ann@news.example", "192.0.2.10", at(PARIS, "FR"));
        f.ok(2 * H, "ann@news.example", "203.0.113.20", at(SYDNEY, "AU"));
    });
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a.detector, "auth.impossible_travel");
    assert_eq!(
        (a.severity, a.techniques.as_slice()),
        (Severity::High, &["T1078".to_string()][..])
    );
    assert_eq!(a.user.as_deref(), Some("ann@news.example"));
    assert_eq!(a.target, "t-news");
    assert_eq!(a.source.ip, Some("203.0.113.20".parse().unwrap()));
    assert_eq!(
        (a.first_seen, a.last_seen, a.count),
        (Ts(T0), Ts(T0 + 2 * H * 1000), 2)
    );
    assert_eq!(a.details["distance_km"], 16_960);
    assert_eq!(a.details["speed_kmh"], 8_480);
    assert_eq!(a.details["hours"], 2.0);
    assert_eq!(a.details["from"]["ip"], "192.0.2.10");
    assert_eq!(a.details["to"]["country"], "AU");
    let lines: Vec<u64> = a.evidence.iter().map(|e| e.line).collect();
    assert_eq!(lines, [1, 2]);
    assert_eq!(
        a.title,
        "ann@news.example signed in from FR (192.0.2.10) then AU (203.0.113.20), 16,960 km apart in 2.0 h (8,480 km/h)"
    );
}

#[test]
fn plausible_journeys_and_noise_stay_quiet() {
    let u = "bob@news.example";
    // Same city, two addresses (home and phone).
    let same = feed(|f| {
        f.ok(0, u, "192.0.2.10", at(PARIS, "FR"));
        f.ok(600, u, "198.51.100.7", at(PARIS, "FR"));
    });
    // Far apart, but 30 h apart (565 km/h).
    let slow = feed(|f| {
        f.ok(0, u, "192.0.2.10", at(PARIS, "FR"));
        f.ok(30 * H, u, "203.0.113.20", at(SYDNEY, "AU"));
    });
    // A VPN exit in a neighbouring country: 344 km, under the 500 km floor.
    let vpn = feed(|f| {
        f.ok(0, u, "192.0.2.10", at(PARIS, "FR"));
        f.ok(300, u, "198.51.100.99", at(LONDON, "GB"));
    });
    // Unknown location: nothing to compare, and the last place stays Paris.
    let unknown = feed(|f| {
        f.ok(0, u, "192.0.2.10", at(PARIS, "FR"));
        f.ok(3600, u, "203.0.113.20", None);
        f.ok(7200, u, "192.0.2.11", at(PARIS, "FR"));
    });
    // Paris to Madrid (1,053 km) in 2 h: 526 km/h, a flight.
    let flight = feed(|f| {
        f.ok(0, u, "192.0.2.10", at(PARIS, "FR"));
        f.ok(2 * H, u, "198.51.100.40", at(MADRID, "ES"));
    });
    // Coarse locations: radii of 1,000 and 100 km leave less than 500 km.
    let coarse = feed(|f| {
        f.ok(0, u, "192.0.2.10", Some((PARIS, 1000, "FR")));
        f.ok(1800, u, "198.51.100.40", Some((MADRID, 100, "ES")));
    });
    // A failed sign-in from Sydney is no journey.
    let failed = feed(|f| {
        f.ok(0, u, "192.0.2.10", at(PARIS, "FR"));
        f.ev(
            600,
            u,
            "203.0.113.20",
            at(SYDNEY, "AU"),
            AuthOutcome::Failure,
        );
    });
    // The same address placed elsewhere (the database changed mid-stream).
    let same_ip = feed(|f| {
        f.ok(0, u, "192.0.2.10", at(PARIS, "FR"));
        f.ok(600, u, "192.0.2.10", at(SYDNEY, "AU"));
    });
    for (name, a) in [
        ("same city", same),
        ("30 h apart", slow),
        ("vpn nearby", vpn),
        ("unknown location", unknown),
        ("flight", flight),
        ("coarse", coarse),
        ("failed", failed),
        ("same address", same_ip),
    ] {
        assert!(
            a.is_empty(),
            "{name}: {:?}",
            a.iter().map(|a| &a.title).collect::<Vec<_>>()
        );
    }
    // Madrid in 30 minutes (2,106 km/h) is too fast.
    let fast = feed(|f| {
        f.ok(0, u, "192.0.2.10", at(PARIS, "FR"));
        f.ok(1800, u, "198.51.100.40", at(MADRID, "ES"));
    });
    assert_eq!(fast.len(), 1);
    assert_eq!(fast[0].details["speed_kmh"], 2_106);
}

#[test]
fn an_account_alerts_once_per_realert_period() {
    let u = "cy@news.example";
    let alerts = feed(|f| {
        f.ok(0, u, "192.0.2.10", at(PARIS, "FR"));
        f.ok(H, u, "203.0.113.20", at(SYDNEY, "AU"));
        f.ok(2 * H, u, "192.0.2.10", at(PARIS, "FR"));
        f.ok(3 * H, u, "203.0.113.20", at(SYDNEY, "AU"));
        // Another account is independent.
        f.ok(3 * H, "dee@news.example", "192.0.2.10", at(PARIS, "FR"));
        f.ok(4 * H, "dee@news.example", "203.0.113.20", at(SYDNEY, "AU"));
        // A day later, cy's journey alerts again.
        f.ok(26 * H, u, "192.0.2.10", at(PARIS, "FR"));
        f.ok(27 * H, u, "203.0.113.20", at(SYDNEY, "AU"));
    });
    let who: Vec<(&str, i64)> = alerts
        .iter()
        .map(|a| (a.user.as_deref().unwrap(), (a.last_seen.0 - T0) / 1000 / H))
        .collect();
    assert_eq!(
        who,
        [
            ("cy@news.example", 1),
            ("dee@news.example", 4),
            ("cy@news.example", 27)
        ]
    );
}

#[test]
fn travel_state_is_bounded_and_evicted() {
    let mut cfg = AuthConfig::default();
    cfg.impossible_travel.max_accounts = 100;
    let mut f = Feed::new(&cfg);
    for i in 0..1000 {
        f.ok(
            i,
            &format!("u{i}@news.example"),
            "192.0.2.10",
            at(PARIS, "FR"),
        );
    }
    assert_eq!(f.det.accounts(), 100);
    // 21 h later (past 20,040 km at 1,000 km/h) the old places are dropped.
    f.ok(21 * H, "late@news.example", "192.0.2.10", at(PARIS, "FR"));
    assert_eq!(f.det.accounts(), 1);
    // An account ignored while the table was full never alerts.
    f.ok(
        21 * H + 60,
        "u999@news.example",
        "203.0.113.20",
        at(SYDNEY, "AU"),
    );
    assert!(f.finish().is_empty());
}
