//! Unit tests: exact hits and near misses for each detector and each hard
//! negative, bounded state, config parsing.

use super::*;
use haboob_model::{AuthEvent, AuthOutcome, FailureClass, Severity, Ts};
use std::borrow::Cow;
use std::net::IpAddr;

const T0: i64 = 1_772_409_600_000;
const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0) Chrome/130.0";

pub(super) struct Feed {
    det: AuthDetector,
    out: Vec<Alert>,
    line: u64,
}

impl Feed {
    pub(super) fn new(cfg: AuthConfig) -> Feed {
        Feed {
            det: AuthDetector::new(&cfg),
            out: Vec::new(),
            line: 0,
        }
    }
    #[allow(clippy::too_many_arguments)]
    fn ev(
        &mut self,
        secs: i64,
        ip: &str,
        user: &str,
        outcome: AuthOutcome,
        failure: Option<FailureClass>,
        client: &str,
    ) {
        self.line += 1;
        let domain = user.rsplit_once('@').map_or("", |(_, d)| d);
        let ev = EventRef::Auth(AuthEvent {
            ts: Ts(T0 + secs * 1000),
            dataset: "auth.entra",
            source_ip: (!ip.is_empty()).then(|| ip.parse().unwrap()),
            user: Cow::Borrowed(user),
            domain: Cow::Borrowed(domain),
            tenant: Cow::Borrowed(""),
            host: Cow::Borrowed(""),
            outcome,
            failure,
            app: Cow::Borrowed("OfficeHome"),
            client: Cow::Borrowed(client),
            country: Cow::Borrowed("US"),
            asn: None,
            location: None,
        });
        let raw = format!("line {} {user} {ip}", self.line);
        let origin = Origin {
            file: "t.jsonl",
            line: self.line,
            raw: &raw,
        };
        self.det.observe(&ev, &origin, &mut self.out);
    }
    pub(super) fn ok(&mut self, s: i64, ip: &str, user: &str, client: &str) {
        self.ev(s, ip, user, AuthOutcome::Success, None, client);
    }
    pub(super) fn fail(&mut self, s: i64, ip: &str, user: &str, f: FailureClass, client: &str) {
        self.ev(s, ip, user, AuthOutcome::Failure, Some(f), client);
    }
    pub(super) fn finish(mut self) -> Vec<Alert> {
        self.det.finish(&mut self.out);
        self.out
    }
}

pub(super) fn ids(alerts: &[Alert]) -> Vec<&str> {
    alerts.iter().map(|a| a.detector.as_str()).collect()
}

pub(super) fn list<'a>(a: &'a Alert, key: &str) -> Vec<&'a str> {
    a.details[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

use FailureClass::{BadPassword, MfaDenied, UnknownUser};

#[test]
fn enumeration_reports_probed_and_identified_names() {
    let mut f = Feed::new(AuthConfig::default());
    for i in 0..20 {
        let (user, class) = if i % 4 == 0 {
            (format!("real{i}@org.example"), BadPassword)
        } else {
            (format!("guess{i}@org.example"), UnknownUser)
        };
        f.fail(i * 50, "203.0.113.9", &user, class, "python-requests/2.31");
    }
    let alerts = f.finish();
    assert_eq!(ids(&alerts), ["auth.enumeration"]);
    let a = &alerts[0];
    assert_eq!(a.target, "org.example");
    assert_eq!(a.source.ip, Some("203.0.113.9".parse().unwrap()));
    assert_eq!(a.count, 20);
    assert_eq!(list(a, "users_probed").len(), 20);
    assert_eq!(
        list(a, "users_identified"),
        [
            "real0@org.example",
            "real12@org.example",
            "real16@org.example",
            "real4@org.example",
            "real8@org.example"
        ]
    );
    assert!(list(a, "users_attacked").is_empty());
    assert_eq!(a.evidence.len(), 10);
    assert_eq!(a.id, super::emit_id_for_tests(a));
}

#[test]
fn enumeration_near_miss_too_few_names() {
    let mut f = Feed::new(AuthConfig::default());
    for i in 0..8 {
        f.fail(
            i * 50,
            "203.0.113.9",
            &format!("guess{i}@org.example"),
            UnknownUser,
            "x",
        );
    }
    assert!(f.finish().is_empty());
}

/// 30 addresses in two /24s, the same three accounts each a day for three
/// days, one client, one rhythm: no single source reaches the threshold
/// (three bad accounts), the cluster does. Unrelated: every address in its
/// own /24 with its own client; the shared rhythm alone does not link.
fn low_and_slow(f: &mut Feed, related: bool) {
    for s in 0..30i64 {
        let ip = if related {
            format!("198.51.{}.{}", 100 + s % 2, 10 + s)
        } else {
            format!("198.51.{s}.10")
        };
        let client = if related {
            "Chrome/108".to_string()
        } else {
            format!("agent-{s}")
        };
        for day in 0..3i64 {
            let start = day * 86_400 + s * 1200;
            for k in 0..3i64 {
                let user = format!("user{}@org.example", (s * 3 + k) % 60);
                f.fail(
                    start + k * (60 + (s + k) % 5),
                    &ip,
                    &user,
                    BadPassword,
                    &client,
                );
            }
        }
    }
}

#[test]
fn spray_low_and_slow_across_many_sources_is_one_cluster() {
    let mut cfg = AuthConfig::default();
    cfg.cluster.min_bad_share = 0.5;
    let mut f = Feed::new(cfg);
    low_and_slow(&mut f, true);
    let alerts = f.finish();
    assert_eq!(ids(&alerts), ["auth.spray"]);
    let a = &alerts[0];
    assert_eq!(a.source.members.len(), 30);
    assert_eq!(a.count, 270);
    assert_eq!(list(a, "users_attacked").len(), 60);
    let reasons = list(a, "cluster_reasons");
    assert!(reasons.contains(&"same /24 and client"), "{reasons:?}");
    assert!(reasons.contains(&"same client and rhythm"), "{reasons:?}");
    assert_eq!(a.severity, Severity::High);
}

#[test]
fn spray_near_miss_unrelated_sources_stay_apart() {
    let mut f = Feed::new(AuthConfig::default());
    low_and_slow(&mut f, false);
    assert!(f.finish().is_empty());
}

#[test]
fn stuffing_is_told_from_spraying() {
    let mut f = Feed::new(AuthConfig::default());
    for i in 0..40 {
        f.fail(
            i * 30,
            "192.0.2.50",
            &format!("p{i}@mail{}.example", i % 7),
            BadPassword,
            "curl/8",
        );
    }
    let alerts = f.finish();
    assert_eq!(
        ids(&alerts)
            .iter()
            .filter(|d| **d == "auth.stuffing")
            .count(),
        7
    );
    assert!(!ids(&alerts).contains(&"auth.spray"));
    let attacked: usize = alerts.iter().map(|a| list(a, "users_attacked").len()).sum();
    assert_eq!(attacked, 40);
}

#[test]
fn brute_force_and_takeover_on_one_account() {
    let mut f = Feed::new(AuthConfig::default());
    for i in 0..12 {
        f.fail(i * 20, "192.0.2.7", "ceo@org.example", BadPassword, "hydra");
    }
    f.ok(300, "192.0.2.7", "ceo@org.example", "hydra");
    let mut alerts = f.finish();
    alerts.sort_by(|a, b| a.detector.cmp(&b.detector));
    assert_eq!(ids(&alerts), ["auth.brute_force", "auth.takeover"]);
    assert_eq!(alerts[0].details["failures"], 12);
    assert_eq!(alerts[1].severity, Severity::Critical);
    assert_eq!(alerts[1].user.as_deref(), Some("ceo@org.example"));
    assert_eq!(list(&alerts[1], "users_compromised"), ["ceo@org.example"]);
}

#[test]
fn brute_force_near_miss_nine_failures() {
    let mut f = Feed::new(AuthConfig::default());
    for i in 0..9 {
        f.fail(i * 20, "192.0.2.7", "ceo@org.example", BadPassword, "hydra");
    }
    f.ok(300, "192.0.2.7", "ceo@org.example", "hydra");
    assert!(f.finish().is_empty());
}

#[test]
fn takeover_by_a_hostile_cluster_without_prior_failures_on_that_account() {
    let mut f = Feed::new(AuthConfig::default());
    for i in 0..8 {
        f.fail(
            i * 40,
            "203.0.113.66",
            &format!("u{i}@org.example"),
            BadPassword,
            "x",
        );
    }
    f.ok(400, "203.0.113.66", "boss@org.example", "x");
    let alerts = f.finish();
    let t: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.detector == "auth.takeover")
        .collect();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].user.as_deref(), Some("boss@org.example"));
}

#[test]
fn hard_negative_mistypes_then_success_from_usual_address() {
    let mut f = Feed::new(AuthConfig::default());
    for day in 0..5 {
        let b = day * 86_400;
        f.ok(b, "100.64.1.2", "amy@org.example", BROWSER);
        f.fail(
            b + 3600,
            "100.64.1.2",
            "amy@org.example",
            BadPassword,
            BROWSER,
        );
        f.fail(
            b + 3620,
            "100.64.1.2",
            "amy@org.example",
            BadPassword,
            BROWSER,
        );
        f.fail(
            b + 3640,
            "100.64.1.2",
            "amy@org.example",
            BadPassword,
            BROWSER,
        );
        f.ok(b + 3660, "100.64.1.2", "amy@org.example", BROWSER);
    }
    assert!(f.finish().is_empty());
}

fn stale_phone(f: &mut Feed, night_client: &str) {
    f.ok(0, "100.64.9.9", "bob@org.example", "iPhone Mail");
    f.ok(600, "100.64.9.9", "bob@org.example", BROWSER);
    f.fail(700, "100.64.9.9", "bob@org.example", BadPassword, BROWSER);
    for i in 0..100 {
        f.fail(
            3600 + i * 300,
            "100.64.9.9",
            "bob@org.example",
            BadPassword,
            night_client,
        );
    }
    f.ok(40_000, "100.64.9.9", "bob@org.example", "iPhone Mail");
}

#[test]
fn hard_negative_stale_phone_client_retrying_all_night() {
    let mut f = Feed::new(AuthConfig::default());
    stale_phone(&mut f, "iPhone Mail");
    assert!(f.finish().is_empty());
}

#[test]
fn stale_client_near_miss_new_client_is_brute_force() {
    let mut f = Feed::new(AuthConfig::default());
    stale_phone(&mut f, "hydra/9.5");
    let mut alerts = f.finish();
    alerts.sort_by(|a, b| a.detector.cmp(&b.detector));
    assert_eq!(ids(&alerts), ["auth.brute_force", "auth.takeover"]);
}

#[test]
fn hard_negative_shared_office_egress() {
    let mut f = Feed::new(AuthConfig::default());
    for day in 0..3i64 {
        for u in 0..100i64 {
            let s = day * 86_400 + u * 60;
            let user = format!("staff{u}@org.example");
            if u % 20 == 0 {
                f.fail(s, "192.0.2.20", &user, BadPassword, BROWSER);
            }
            if u % 33 == 0 {
                f.fail(
                    s + 5,
                    "192.0.2.20",
                    &format!("stfaf{u}@org.example"),
                    UnknownUser,
                    BROWSER,
                );
            }
            f.ok(s + 20, "192.0.2.20", &user, BROWSER);
        }
    }
    assert!(f.finish().is_empty());
}

#[test]
fn mfa_fatigue_hit_approved_and_near_misses() {
    let mut f = Feed::new(AuthConfig::default());
    for i in 0..6 {
        f.ev(
            i * 60,
            "203.0.113.5",
            "cfo@org.example",
            AuthOutcome::Challenge,
            Some(MfaDenied),
            "x",
        );
    }
    f.ok(400, "203.0.113.5", "cfo@org.example", "x");
    // Near misses: one prompt then success; four prompts.
    f.ev(
        0,
        "100.64.3.3",
        "amy@org.example",
        AuthOutcome::Challenge,
        Some(FailureClass::MfaRequired),
        BROWSER,
    );
    f.ok(20, "100.64.3.3", "amy@org.example", BROWSER);
    for i in 0..4 {
        f.ev(
            5000 + i * 60,
            "100.64.4.4",
            "dan@org.example",
            AuthOutcome::Challenge,
            Some(MfaDenied),
            BROWSER,
        );
    }
    let alerts = f.finish();
    let m: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.detector == "auth.mfa_fatigue")
        .collect();
    assert_eq!(m.len(), 1, "{alerts:#?}");
    assert_eq!(m[0].user.as_deref(), Some("cfo@org.example"));
    assert_eq!(m[0].count, 6);
    assert_eq!(m[0].severity, Severity::Critical);
    assert_eq!(m[0].details["approved"], true);
}

#[test]
fn attacker_text_is_bounded_and_missing_addresses_are_tolerated() {
    let mut f = Feed::new(AuthConfig::default());
    let long = format!("{}@org.example", "é".repeat(5000));
    for i in 0..12 {
        f.fail(i, "192.0.2.8", &long, BadPassword, &"A".repeat(100_000));
    }
    f.fail(20, "", "x@org.example", BadPassword, "");
    let alerts = f.finish();
    assert_eq!(ids(&alerts), ["auth.brute_force"]);
    let u = alerts[0].user.as_deref().unwrap();
    assert!(u.len() <= 256 && u.starts_with('é'));
}

#[test]
fn idle_sources_are_evicted_and_suspects_retired() {
    let mut f = Feed::new(AuthConfig {
        idle_secs: 3600,
        ..AuthConfig::default()
    });
    f.ok(0, "100.64.0.1", "a@org.example", BROWSER);
    f.fail(0, "198.51.100.1", "b@org.example", BadPassword, "x");
    f.ok(10 * 3600, "100.64.0.2", "c@org.example", BROWSER);
    assert_eq!(f.det.live_sources(), 1);
    assert_eq!(f.det.sources.retired.len(), 1);
}

#[test]
fn state_per_source_is_small_enough_for_ten_million() {
    let mut f = Feed::new(AuthConfig::default());
    let n: u32 = 1_000_000;
    for i in 0..n {
        let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i).to_string();
        f.ok(i64::from(i / 1000), &ip, "a@org.example", BROWSER);
    }
    let per = f.det.state_bytes() / n as usize;
    // An entry is 81 bytes (address, state, control byte); the table is
    // 44-87 % full; one touch is 16 bytes plus ~16 of allocator header. At
    // 1 M sources (48 % full) this measures under 200 bytes; at 10 M (2^24
    // buckets, 60 % full) 16.8 M × 81 + 10 M × 32 ≈ 1.68 GB < 2 GiB.
    assert!(per <= 200, "{per} bytes per source");
}

#[test]
fn config_toml_defaults_and_unknown_fields() {
    let c: AuthConfig = toml::from_str("[spray]\nmin_accounts = 3\n").unwrap();
    assert_eq!(c.spray.min_accounts, 3);
    assert!(c.spray.enabled);
    assert_eq!(c.enumeration, EnumerationConfig::default());
    assert!(toml::from_str::<AuthConfig>("[spray]\nmin_acounts = 3\n").is_err());
    let mut off = AuthConfig::default();
    off.brute_force.enabled = false;
    off.takeover.enabled = false;
    let mut f = Feed::new(off);
    for i in 0..12 {
        f.fail(i * 20, "192.0.2.7", "ceo@org.example", BadPassword, "hydra");
    }
    assert!(f.finish().is_empty());
}

#[test]
fn campaigns_group_by_shared_sources_and_ignore_other_alerts() {
    let mut f = Feed::new(AuthConfig::default());
    for i in 0..20 {
        let class = if i % 4 == 0 { BadPassword } else { UnknownUser };
        f.fail(
            i * 50,
            "203.0.113.9",
            &format!("n{i}@org.example"),
            class,
            "x",
        );
    }
    f.ok(2000, "203.0.113.9", "n0@org.example", "x");
    for i in 0..12 {
        f.fail(
            i * 20,
            "192.0.2.7",
            "ceo@other.example",
            BadPassword,
            "hydra",
        );
    }
    let mut alerts = f.finish();
    let mut web = alerts[0].clone();
    web.detector = "web.scan".into();
    alerts.push(web);
    let cs = group_campaigns(&alerts);
    assert_eq!(cs.len(), 2);
    let c = cs
        .iter()
        .find(|c| c.sources == ["203.0.113.9".parse::<IpAddr>().unwrap()])
        .unwrap();
    let fun = c.funnel.unwrap();
    assert_eq!(
        (
            fun.attempts,
            fun.probed,
            fun.identified,
            fun.attacked,
            fun.compromised
        ),
        (21, 20, 5, 1, 1)
    );
    assert_eq!(c.compromised, ["n0@org.example"]);
    assert_eq!(c.severity, Severity::Critical);
    assert_eq!(
        c.summary,
        "1 source made 21 attempts against 1 organisation: 20 names probed, 5 identified, 1 accounts attacked, 1 compromised (n0@org.example)"
    );
    assert!(c.id.starts_with("cp-"));
    assert_eq!(group_campaigns(&alerts), cs);
}
