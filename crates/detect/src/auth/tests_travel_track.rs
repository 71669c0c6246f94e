//! Unit tests of `auth.impossible_travel` across streams: each stream's
//! detector keeps its track, [`travel_across`] merges them.

use super::tests_travel::{signin, T0};
use super::*;
use haboob_model::{Severity, Ts};

const MIN: i64 = 60;
const H: i64 = 3600;

const PARIS: (f64, f64) = (48.8566, 2.3522);
const TEHRAN: (f64, f64) = (35.6892, 51.3890);
const LONDON: (f64, f64) = (51.5074, -0.1278);

/// One stream: a detector keeping its track.
struct Stream {
    det: TravelDetector,
    file: &'static str,
    out: Vec<Alert>,
    line: u64,
}

impl Stream {
    fn new(cfg: &AuthConfig, file: &'static str) -> Stream {
        let mut det = TravelDetector::new(&cfg.impossible_travel, cfg);
        det.keep_track();
        Stream {
            det,
            file,
            out: Vec::new(),
            line: 0,
        }
    }
    fn ok(&mut self, secs: i64, user: &str, ip: &str, p: (f64, f64), country: &str) {
        self.line += 1;
        let ev = EventRef::Auth(signin(
            secs,
            user,
            ip,
            Some((p, 0, country)),
            AuthOutcome::Success,
        ));
        let raw = format!("{} line {} {user} {ip}", self.file, self.line);
        let o = Origin {
            file: self.file,
            line: self.line,
            raw: &raw,
        };
        self.det.observe(&ev, &o, &mut self.out);
    }
    /// The stream's own alerts, and its track.
    fn finish(mut self) -> (Vec<Alert>, TravelTrack) {
        self.det.finish(&mut self.out);
        let track = self.det.take_track().expect("track kept");
        (self.out, track)
    }
}

/// Two streams built by `a` and `b`: their own alerts, and the alerts
/// across them (checked to be the same whichever stream comes first).
fn two(a: impl FnOnce(&mut Stream), b: impl FnOnce(&mut Stream)) -> (Vec<Alert>, Vec<Alert>) {
    let cfg = AuthConfig::default();
    let (mut sa, mut sb) = (
        Stream::new(&cfg, "entra.json"),
        Stream::new(&cfg, "okta.json"),
    );
    a(&mut sa);
    b(&mut sb);
    let (mut own, ta) = sa.finish();
    let (own_b, tb) = sb.finish();
    own.extend(own_b);
    let across = travel_across(&cfg, &[ta.clone(), tb.clone()]);
    let swapped = travel_across(&cfg, &[tb, ta]);
    assert_eq!(
        serde_json::to_string(&across).unwrap(),
        serde_json::to_string(&swapped).unwrap(),
        "stream order changed the result"
    );
    (own, across)
}

const ANN: &str = "ann@news.example";

#[test]
fn paris_in_one_stream_tehran_in_another_fires_once() {
    let (own, across) = two(
        |e| e.ok(0, ANN, "192.0.2.10", PARIS, "FR"),
        |o| o.ok(20 * MIN, ANN, "203.0.113.20", TEHRAN, "IR"),
    );
    assert!(own.is_empty(), "no stream sees both sign-ins");
    assert_eq!(across.len(), 1);
    let a = &across[0];
    assert_eq!(a.detector, "auth.impossible_travel");
    assert_eq!(a.severity, Severity::High);
    assert_eq!(a.techniques, ["T1078"]);
    assert_eq!(a.user.as_deref(), Some(ANN));
    assert_eq!(a.target, "t-news");
    assert_eq!(a.source.ip, Some("203.0.113.20".parse().unwrap()));
    assert_eq!(
        (a.first_seen, a.last_seen, a.count),
        (Ts(T0), Ts(T0 + 20 * MIN * 1000), 2)
    );
    assert_eq!(a.details["distance_km"], 4_208);
    assert_eq!(a.details["speed_kmh"], 12_625);
    assert_eq!(a.details["from"]["ip"], "192.0.2.10");
    assert_eq!(a.details["to"]["country"], "IR");
    let ev: Vec<(&str, u64)> = a
        .evidence
        .iter()
        .map(|e| (e.file.as_str(), e.line))
        .collect();
    assert_eq!(ev, [("entra.json", 1), ("okta.json", 1)]);
    assert_eq!(
        a.evidence[1].raw,
        format!("okta.json line 1 {ANN} 203.0.113.20")
    );
    assert_eq!(
        a.title,
        "ann@news.example signed in from FR (192.0.2.10) then IR (203.0.113.20), 4,208 km apart in 0.3 h (12,625 km/h)"
    );
}

#[test]
fn a_sign_in_inside_a_visit_of_the_other_stream_is_compared_with_both_ends() {
    // Paris all day in Entra (three sign-ins), Tehran at noon in Okta: the
    // hop from Paris at 9:00 is compared (3 h: 1,403 km/h) and fires; the
    // hop back to Paris at 17:00 is quiet (realert).
    let (own, across) = two(
        |e| {
            e.ok(9 * H, ANN, "192.0.2.10", PARIS, "FR");
            e.ok(10 * H, ANN, "192.0.2.10", PARIS, "FR");
            e.ok(17 * H, ANN, "192.0.2.10", PARIS, "FR");
        },
        |o| o.ok(12 * H, ANN, "203.0.113.20", TEHRAN, "IR"),
    );
    assert!(own.is_empty());
    assert_eq!(across.len(), 1);
    assert_eq!(across[0].details["speed_kmh"], 1_403);
    let lines: Vec<(&str, u64)> = across[0]
        .evidence
        .iter()
        .map(|e| (e.file.as_str(), e.line))
        .collect();
    assert_eq!(lines, [("entra.json", 1), ("okta.json", 1)]);
}

#[test]
fn same_place_slow_or_near_stays_quiet() {
    // Same address in both logs.
    let (_, same_ip) = two(
        |e| e.ok(0, ANN, "192.0.2.10", PARIS, "FR"),
        |o| o.ok(5 * MIN, ANN, "192.0.2.10", PARIS, "FR"),
    );
    // Another address in the same city.
    let (_, same_city) = two(
        |e| e.ok(0, ANN, "192.0.2.10", PARIS, "FR"),
        |o| o.ok(5 * MIN, ANN, "198.51.100.7", PARIS, "FR"),
    );
    // Tehran 5 h later: 786 km/h, a flight.
    let (_, slow) = two(
        |e| e.ok(0, ANN, "192.0.2.10", PARIS, "FR"),
        |o| o.ok(5 * H, ANN, "203.0.113.20", TEHRAN, "IR"),
    );
    // London 10 minutes later: 344 km, under the 500 km floor.
    let (_, near) = two(
        |e| e.ok(0, ANN, "192.0.2.10", PARIS, "FR"),
        |o| o.ok(10 * MIN, ANN, "198.51.100.99", LONDON, "GB"),
    );
    // Two accounts, one in each stream: no journey.
    let (_, others) = two(
        |e| e.ok(0, ANN, "192.0.2.10", PARIS, "FR"),
        |o| o.ok(5 * MIN, "bob@news.example", "203.0.113.20", TEHRAN, "IR"),
    );
    for (name, a) in [
        ("same address", same_ip),
        ("same city", same_city),
        ("slow", slow),
        ("near", near),
        ("other account", others),
    ] {
        assert!(
            a.is_empty(),
            "{name}: {:?}",
            a.iter().map(|a| &a.title).collect::<Vec<_>>()
        );
    }
}

#[test]
fn hops_within_a_stream_are_left_to_its_own_detector() {
    // Entra alone has Paris then Tehran: its own detector alerts; the merge
    // adds nothing for that hop, and the Okta sign-in 30 minutes later from
    // Paris is within realert_secs of the stream's own alert.
    let (own, across) = two(
        |e| {
            e.ok(0, ANN, "192.0.2.10", PARIS, "FR");
            e.ok(20 * MIN, ANN, "203.0.113.20", TEHRAN, "IR");
        },
        |o| o.ok(50 * MIN, ANN, "192.0.2.10", PARIS, "FR"),
    );
    assert_eq!(own.len(), 1);
    assert!(
        across.is_empty(),
        "{:?}",
        across.iter().map(|a| &a.title).collect::<Vec<_>>()
    );
}

#[test]
fn an_account_alerts_across_streams_once_per_realert_period() {
    let (own, across) = two(
        |e| {
            e.ok(0, ANN, "192.0.2.10", PARIS, "FR");
            e.ok(2 * H, ANN, "192.0.2.10", PARIS, "FR");
            e.ok(26 * H, ANN, "192.0.2.10", PARIS, "FR");
        },
        |o| {
            o.ok(H, ANN, "203.0.113.20", TEHRAN, "IR");
            o.ok(27 * H, ANN, "203.0.113.20", TEHRAN, "IR");
        },
    );
    assert!(own.is_empty());
    // 0 h Paris → 1 h Tehran fires; 1 h → 2 h Paris is a repeat; a day
    // later, 26 h Paris → 27 h Tehran fires again.
    let hops: Vec<(i64, i64)> = across
        .iter()
        .map(|a| {
            (
                (a.first_seen.0 - T0) / 1000 / H,
                (a.last_seen.0 - T0) / 1000 / H,
            )
        })
        .collect();
    assert_eq!(hops, [(0, 1), (26, 27)]);
}

#[test]
fn a_single_stream_or_disabled_detector_adds_nothing() {
    let cfg = AuthConfig::default();
    let mut s = Stream::new(&cfg, "entra.json");
    s.ok(0, ANN, "192.0.2.10", PARIS, "FR");
    s.ok(20 * MIN, ANN, "203.0.113.20", TEHRAN, "IR");
    let (own, t) = s.finish();
    assert_eq!(own.len(), 1);
    assert!(travel_across(&cfg, &[t.clone(), TravelTrack::new(10)]).is_empty());
    let (_, across) = two(
        |e| e.ok(0, ANN, "192.0.2.10", PARIS, "FR"),
        |o| o.ok(20 * MIN, ANN, "203.0.113.20", TEHRAN, "IR"),
    );
    assert_eq!(across.len(), 1);
    let mut off = AuthConfig::default();
    off.impossible_travel.enabled = false;
    let mut o = Stream::new(&cfg, "okta.json");
    o.ok(20 * MIN, ANN, "203.0.113.20", TEHRAN, "IR");
    let (_, to) = o.finish();
    assert!(travel_across(&off, &[t, to]).is_empty());
}

#[test]
fn the_track_is_bounded() {
    let mut cfg = AuthConfig::default();
    cfg.impossible_travel.max_accounts = 100;
    let mut s = Stream::new(&cfg, "entra.json");
    // One account alternating between two addresses: at most 8 visits.
    for i in 0..40 {
        let ip = if i % 2 == 0 {
            "192.0.2.10"
        } else {
            "192.0.2.11"
        };
        s.ok(i * H, ANN, ip, PARIS, "FR");
    }
    // A visit of many sign-ins from one address is one visit.
    for i in 0..50 {
        s.ok(100 * H + i, "bob@news.example", "192.0.2.12", PARIS, "FR");
    }
    assert_eq!(s.det.take_track().map(|t| t.visits()), Some(9));
    s.det.keep_track();
    for i in 0..1000 {
        s.ok(
            200 * H + i,
            &format!("u{i}@news.example"),
            "192.0.2.10",
            PARIS,
            "FR",
        );
    }
    let (_, t) = s.finish();
    assert_eq!(t.visits(), 100);
}
