//! Unit tests of the commodity rules (`auth.burst`, Low `auth.brute_force`):
//! exact hits, near misses, and what they add to the campaign funnel.

use super::tests::{ids, list, Feed};
use super::*;
use haboob_model::{FailureClass, Severity};

use FailureClass::{BadPassword, MfaDenied, UnknownUser};

const SSH: &str = "sshd";

#[test]
fn many_failures_on_a_name_that_does_not_exist_is_low_brute_force() {
    // ssh-slow-bf: `Invalid user hadoop` every 30 s, 22 times.
    let mut f = Feed::new(AuthConfig::default());
    for i in 0..22 {
        f.fail(i * 30, "103.100.210.198", "hadoop", UnknownUser, SSH);
    }
    let alerts = f.finish();
    assert_eq!(ids(&alerts), ["auth.brute_force"]);
    let a = &alerts[0];
    assert_eq!(a.severity, Severity::Low);
    assert_eq!(a.user.as_deref(), Some("hadoop"));
    assert_eq!(a.source.ip, Some("103.100.210.198".parse().unwrap()));
    assert_eq!(a.count, 22);
    assert_eq!(a.details["account_exists"], false);
    assert_eq!(list(a, "users_probed"), ["hadoop"]);
    assert!(!a.details.contains_key("users_attacked"));
    assert!(!a.details.contains_key("users_identified"));
    assert_eq!(a.evidence.len(), 10);
    // The name counts as probed, never as identified or attacked.
    let c = group_campaigns(&alerts);
    let fun = c[0].funnel.unwrap();
    assert_eq!(
        (
            fun.attempts,
            fun.probed,
            fun.identified,
            fun.attacked,
            fun.compromised
        ),
        (22, 1, 0, 0, 0)
    );
}

#[test]
fn unknown_name_near_misses() {
    // Nine slow tries (5 min apart: no burst either) raise nothing.
    let mut f = Feed::new(AuthConfig::default());
    for i in 0..9 {
        f.fail(i * 300, "198.51.100.4", "hadoop", UnknownUser, SSH);
    }
    assert!(f.finish().is_empty());
    // Twelve slow tries on a name that answered "bad password" once: the
    // account exists, and 1 password failure is no brute force.
    let mut f = Feed::new(AuthConfig::default());
    for i in 0..12 {
        f.fail(i * 300, "198.51.100.4", "olduser", UnknownUser, SSH);
    }
    f.fail(4000, "198.51.100.4", "olduser", BadPassword, SSH);
    assert!(f.finish().is_empty());
}

#[test]
fn fast_burst_on_many_names_is_auth_burst() {
    // ssh-bf: six nonexistent names in three seconds.
    let mut f = Feed::new(AuthConfig::default());
    for (i, n) in [
        "pascal", "pascal1", "pascal2", "pascal3", "pascal4", "pascal5",
    ]
    .iter()
    .enumerate()
    {
        f.fail(i as i64 / 2, "35.188.49.176", n, UnknownUser, SSH);
    }
    let alerts = f.finish();
    assert_eq!(ids(&alerts), ["auth.burst"]);
    let a = &alerts[0];
    assert_eq!(a.severity, Severity::Low);
    assert_eq!(a.techniques, ["T1110"]);
    assert_eq!(a.count, 6);
    assert_eq!(a.details["peak_in_window"], 6);
    assert_eq!(list(a, "users_probed").len(), 6);
    assert!(list(a, "users_identified").is_empty());
    let fun = group_campaigns(&alerts)[0].funnel.unwrap();
    assert_eq!((fun.probed, fun.identified, fun.attacked), (6, 0, 0));
}

#[test]
fn fast_burst_on_one_existing_name_is_low_brute_force() {
    let mut f = Feed::new(AuthConfig::default());
    for i in 0..6 {
        f.fail(i * 5, "192.0.2.50", "root", BadPassword, SSH);
    }
    let alerts = f.finish();
    assert_eq!(ids(&alerts), ["auth.brute_force"]);
    assert_eq!(alerts[0].severity, Severity::Low);
    assert_eq!(alerts[0].details["account_exists"], true);
    assert_eq!(list(&alerts[0], "users_attacked"), ["root"]);
}

#[test]
fn burst_near_misses() {
    let cfg = AuthConfig::default;
    // Four failures in a minute.
    let mut f = Feed::new(cfg());
    for i in 0..4 {
        f.fail(i, "192.0.2.51", &format!("u{i}"), UnknownUser, SSH);
    }
    assert!(f.finish().is_empty());
    // Five failures, 20 s apart: 80 s from first to last.
    let mut f = Feed::new(cfg());
    for i in 0..5 {
        f.fail(i * 20, "192.0.2.52", &format!("u{i}"), UnknownUser, SSH);
    }
    assert!(f.finish().is_empty());
    // A user mistyping five times in 30 s, then signing in from there.
    let mut f = Feed::new(cfg());
    for i in 0..5 {
        f.fail(i * 6, "192.0.2.53", "amy@org.example", BadPassword, SSH);
    }
    f.ok(40, "192.0.2.53", "amy@org.example", SSH);
    assert!(f.finish().is_empty());
    // MFA denials are not guesses: 3 denials + 4 bad passwords in 30 s.
    let mut f = Feed::new(cfg());
    for i in 0..3 {
        f.fail(i, "192.0.2.54", "bo@org.example", MfaDenied, SSH);
    }
    for i in 0..4 {
        f.fail(10 + i, "192.0.2.54", "bo@org.example", BadPassword, SSH);
    }
    assert!(f.finish().is_empty());
}

#[test]
fn burst_thresholds_come_from_the_config() {
    let burst = |toml_text: &str| {
        let cfg: AuthConfig = toml::from_str(toml_text).unwrap();
        let mut f = Feed::new(cfg);
        for i in 0..6 {
            f.fail(i * 20, "192.0.2.55", &format!("u{i}"), UnknownUser, SSH);
        }
        ids(&f.finish()).join(",")
    };
    // 6 failures over 100 s: none at 60 s, a burst at 120 s, none when off.
    assert_eq!(burst(""), "");
    assert_eq!(burst("[burst]\nwindow_secs = 120"), "auth.burst");
    assert_eq!(burst("[burst]\nwindow_secs = 120\nenabled = false"), "");
    assert_eq!(burst("[burst]\nwindow_secs = 120\nmin_failures = 7"), "");
}
