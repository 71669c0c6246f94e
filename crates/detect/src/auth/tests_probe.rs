//! Unit tests of `auth.ssh_probe`: exact hits, exact misses, prefixes,
//! bounded state, and that probes are no sign-in attempts anywhere else.

use super::tests::ids;
use super::*;
use haboob_model::{AuthEvent, FailureClass, Severity, Ts};
use std::borrow::Cow;

const T0: i64 = 1_772_409_600_000;
const OFFER: &str = "diffie-hellman-group1-sha1";

/// Every auth detector of a config, fed sshd-like events.
struct Run {
    dets: Vec<Box<dyn Detector>>,
    out: Vec<Alert>,
    line: u64,
}

impl Run {
    fn new(cfg: &AuthConfig) -> Run {
        Run {
            dets: build(cfg),
            out: Vec::new(),
            line: 0,
        }
    }
    fn ev(&mut self, secs: i64, ip: &str, user: &str, outcome: AuthOutcome, client: &str) {
        self.line += 1;
        let failure = (outcome == AuthOutcome::Failure).then_some(FailureClass::BadPassword);
        let ev = EventRef::Auth(AuthEvent {
            ts: Ts(T0 + secs * 1000),
            dataset: "auth.sshd",
            source_ip: Some(ip.parse().unwrap()),
            user: Cow::Borrowed(user),
            domain: Cow::Borrowed(""),
            tenant: Cow::Borrowed(""),
            host: Cow::Borrowed(""),
            outcome,
            failure,
            app: Cow::Borrowed("ssh"),
            client: Cow::Borrowed(client),
            country: Cow::Borrowed(""),
            asn: None,
            location: None,
        });
        let raw = format!("line {} {ip} {user}", self.line);
        let o = Origin {
            file: "auth.log",
            line: self.line,
            raw: &raw,
        };
        for d in self.dets.iter_mut() {
            d.observe(&ev, &o, &mut self.out);
        }
    }
    fn probe(&mut self, secs: i64, ip: &str, client: &str) {
        self.ev(secs, ip, "", AuthOutcome::Probe, client);
    }
    fn fail(&mut self, secs: i64, ip: &str, user: &str) {
        self.ev(secs, ip, user, AuthOutcome::Failure, "");
    }
    fn ok(&mut self, secs: i64, ip: &str, user: &str) {
        self.ev(secs, ip, user, AuthOutcome::Success, "");
    }
    fn finish(mut self) -> Vec<Alert> {
        for d in self.dets.iter_mut() {
            d.finish(&mut self.out);
        }
        self.out
    }
}

fn run(feed: impl FnOnce(&mut Run)) -> Vec<Alert> {
    let mut r = Run::new(&AuthConfig::default());
    feed(&mut r);
    r.finish()
}

#[test]
fn a_burst_of_probes_from_one_address_fires_once() {
    let alerts = run(|r| {
        for i in 0..12 {
            let offer = if i % 2 == 0 { OFFER } else { "" };
            r.probe(i * 10, "203.0.113.5", offer);
        }
    });
    // Probes are no attempts: the account engine stays quiet.
    assert_eq!(ids(&alerts), ["auth.ssh_probe"]);
    let a = &alerts[0];
    assert_eq!(a.severity, Severity::Low);
    assert_eq!(a.techniques, ["T1595", "T1046"]);
    assert_eq!(a.source.ip, Some("203.0.113.5".parse().unwrap()));
    assert_eq!(
        (a.source.prefix.as_deref(), a.source.members.len()),
        (None, 0)
    );
    assert_eq!(a.count, 12);
    assert_eq!(a.details["probes"], 12);
    assert_eq!(a.details["peak_in_window"], 12);
    assert_eq!(a.details["sign_in_attempts"], 0);
    assert_eq!(a.details["client_offers"], serde_json::json!([OFFER]));
    assert_eq!((a.first_seen, a.last_seen), (Ts(T0), Ts(T0 + 110_000)));
    assert_eq!(a.evidence.len(), 10);
    assert_eq!(a.evidence[0].line, 1);
    assert_eq!(
        a.title,
        "12 SSH connections from 203.0.113.5 ended before authentication (12 within 1 h)"
    );
    // No attempts in the funnel; the summary is the alert's.
    let c = group_campaigns(&alerts);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].funnel.unwrap().attempts, 0);
    assert_eq!(c[0].summary, a.title);
}

#[test]
fn the_bar_is_min_probes_within_the_window() {
    // Exactly 10 within one hour fires; 9 does not.
    let ten = run(|r| (0..10).for_each(|i| r.probe(i * 390, "203.0.113.5", "")));
    assert_eq!(ids(&ten), ["auth.ssh_probe"]);
    let nine = run(|r| (0..9).for_each(|i| r.probe(i * 10, "203.0.113.5", "")));
    assert!(nine.is_empty(), "{nine:?}");
    // Ten probes 7 minutes apart: never ten within an hour.
    let slow = run(|r| (0..10).for_each(|i| r.probe(i * 420, "203.0.113.5", "")));
    assert!(slow.is_empty(), "{slow:?}");
}

#[test]
fn a_lone_scan_and_a_legit_client_stay_quiet() {
    // One scanner connection, and a banner grab of three connections.
    let alerts = run(|r| {
        r.probe(0, "192.0.2.50", "");
        for i in 0..3 {
            r.probe(100 + i, "192.0.2.60", "");
        }
    });
    assert!(alerts.is_empty(), "{alerts:?}");
    // An administrator's old client fails key exchange once, then signs in.
    let alerts = run(|r| {
        r.probe(0, "198.51.100.7", OFFER);
        r.ok(30, "198.51.100.7", "admin");
    });
    assert!(alerts.is_empty(), "{alerts:?}");
    // A monitoring or deployment host that signs in, and whose other
    // connections (a tool with an old cipher list) fail key exchange.
    let alerts = run(|r| {
        r.ok(0, "198.51.100.8", "deploy");
        for i in 0..20 {
            r.probe(60 + i * 60, "198.51.100.8", OFFER);
        }
    });
    assert!(alerts.is_empty(), "{alerts:?}");
    // Probes first, then the address signs in within the episode.
    let alerts = run(|r| {
        for i in 0..15 {
            r.probe(i * 5, "198.51.100.9", OFFER);
        }
        r.ok(600, "198.51.100.9", "admin");
    });
    assert!(alerts.is_empty(), "{alerts:?}");
}

#[test]
fn a_password_guesser_closing_each_connection_is_not_a_prober() {
    // Old OpenSSH: `Failed password …` then `Connection closed by IP
    // [preauth]` for each guess. The account engine reports it; the probe
    // detector does not.
    let alerts = run(|r| {
        for i in 0..15 {
            r.fail(i * 4, "203.0.113.77", "root");
            r.probe(i * 4 + 1, "203.0.113.77", "");
        }
    });
    assert!(!alerts.iter().any(|a| a.detector == "auth.ssh_probe"));
    assert_eq!(ids(&alerts), ["auth.brute_force"]);
    // Its funnel counts the 15 guesses, not the probes.
    assert_eq!(alerts[0].count, 15);
}

#[test]
fn probes_spread_over_a_prefix_fire_once_for_the_prefix() {
    let alerts = run(|r| {
        for i in 0..6 {
            let ip = format!("198.51.100.{}", 10 + i);
            r.probe(i * 60, &ip, "");
            r.probe(i * 60 + 900, &ip, "");
        }
    });
    assert_eq!(ids(&alerts), ["auth.ssh_probe"]);
    let a = &alerts[0];
    assert_eq!(a.source.prefix.as_deref(), Some("198.51.100.0/24"));
    assert_eq!(a.source.ip, Some("198.51.100.10".parse().unwrap()));
    assert_eq!(a.source.members.len(), 6);
    assert_eq!((a.count, a.details["member_count"].as_u64()), (12, Some(6)));
    assert!(
        a.title.contains("6 addresses in 198.51.100.0/24"),
        "{}",
        a.title
    );

    // One address over the bar alone, a neighbour with one probe: only
    // the address alerts.
    let alerts = run(|r| {
        (0..10).for_each(|i| r.probe(i, "198.51.100.10", ""));
        r.probe(20, "198.51.100.11", "");
    });
    assert_eq!(ids(&alerts), ["auth.ssh_probe"]);
    assert_eq!(alerts[0].source.prefix, None);
    // Prefix aggregation off: the spread probes are quiet.
    let mut cfg = AuthConfig::default();
    cfg.ssh_probe.prefix_aggregation = false;
    let mut r = Run::new(&cfg);
    for i in 0..6 {
        let ip = format!("198.51.100.{}", 10 + i);
        r.probe(i * 60, &ip, "");
        r.probe(i * 60 + 900, &ip, "");
    }
    assert!(r.finish().is_empty());
}

#[test]
fn episodes_end_after_a_quiet_window() {
    let alerts = run(|r| {
        (0..10).for_each(|i| r.probe(i, "203.0.113.5", ""));
        (0..10).for_each(|i| r.probe(7200 + i, "203.0.113.5", ""));
    });
    assert_eq!(ids(&alerts), ["auth.ssh_probe", "auth.ssh_probe"]);
    assert_eq!(alerts[0].last_seen, Ts(T0 + 9000));
    assert_eq!(alerts[1].first_seen, Ts(T0 + 7_200_000));
    assert_ne!(alerts[0].id, alerts[1].id);
}

#[test]
fn probe_state_is_bounded_and_evicted() {
    let mut cfg = AuthConfig::default();
    cfg.ssh_probe.max_sources = 100;
    let mut d = SshProbeDetector::new(&cfg.ssh_probe, &cfg);
    let mut out = Vec::new();
    let mut feed = |d: &mut SshProbeDetector, secs: i64, ip: std::net::IpAddr| {
        let ev = EventRef::Auth(AuthEvent {
            ts: Ts(T0 + secs * 1000),
            dataset: "auth.sshd",
            source_ip: Some(ip),
            user: Cow::Borrowed(""),
            domain: Cow::Borrowed(""),
            tenant: Cow::Borrowed(""),
            host: Cow::Borrowed(""),
            outcome: AuthOutcome::Probe,
            failure: None,
            app: Cow::Borrowed("ssh"),
            client: Cow::Borrowed(""),
            country: Cow::Borrowed(""),
            asn: None,
            location: None,
        });
        let o = Origin {
            file: "f",
            line: 1,
            raw: "x",
        };
        d.observe(&ev, &o, &mut out);
    };
    for i in 0..5000u32 {
        let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i * 256);
        feed(&mut d, 0, ip.into());
    }
    // 100 addresses and 100 prefixes; the rest counted and ignored.
    assert_eq!(d.live(), 200);
    // Two hours later the idle episodes are closed by the sweep.
    feed(&mut d, 7200, "192.0.2.1".parse().unwrap());
    assert_eq!(d.live(), 2);
    assert!(out.is_empty());
}

#[test]
fn the_account_engine_keeps_no_state_for_probes() {
    let cfg = AuthConfig::default();
    let mut d = AuthDetector::new(&cfg);
    let before = d.state_bytes();
    let mut out = Vec::new();
    for i in 0..1000u32 {
        let ev = EventRef::Auth(AuthEvent {
            ts: Ts(T0 + i64::from(i)),
            dataset: "auth.sshd",
            source_ip: Some(std::net::Ipv4Addr::from(0x0a00_0000 + i).into()),
            user: Cow::Borrowed(""),
            domain: Cow::Borrowed(""),
            tenant: Cow::Borrowed(""),
            host: Cow::Borrowed(""),
            outcome: AuthOutcome::Probe,
            failure: None,
            app: Cow::Borrowed("ssh"),
            client: Cow::Borrowed(""),
            country: Cow::Borrowed(""),
            asn: None,
            location: None,
        });
        let o = Origin {
            file: "f",
            line: 1,
            raw: "x",
        };
        d.observe(&ev, &o, &mut out);
    }
    d.finish(&mut out);
    assert!(out.is_empty());
    assert_eq!((d.live_sources(), d.state_bytes()), (0, before));
}
