//! The simulated month through the auth detectors and the campaign funnel:
//! the attacker campaign's funnel equals the simulator's ground truth and no
//! benign account or source appears in any alert.

use haboob_detect::auth::{build, group_campaigns, AuthConfig};
use haboob_model::{Alert, AuthEvent, EventRef, Origin};
use haboob_simulate::account::{scenario, LogFormat, Role, Scenario, SimAuth};
use std::borrow::Cow;
use std::collections::BTreeSet;

fn event(s: &SimAuth) -> AuthEvent<'_> {
    AuthEvent {
        ts: s.ts,
        dataset: match s.format {
            LogFormat::EntraSignin => "auth.entra",
            LogFormat::M365Audit => "auth.m365",
        },
        source_ip: Some(s.ip),
        user: Cow::Borrowed(&s.user),
        domain: Cow::Borrowed(s.user.rsplit_once('@').map_or("", |(_, d)| d)),
        tenant: Cow::Borrowed(s.tenant),
        host: Cow::Borrowed(""),
        outcome: s.outcome,
        failure: s.failure,
        app: Cow::Borrowed(s.app),
        client: Cow::Borrowed(&s.user_agent),
        country: Cow::Borrowed(s.country),
        asn: None,
        location: None,
    }
}

fn run(sc: &Scenario) -> Vec<Alert> {
    let mut dets = build(&AuthConfig::default());
    let mut out = Vec::new();
    for (i, s) in sc.events.iter().enumerate() {
        let raw = s.to_line();
        let origin = Origin {
            file: "sim.jsonl",
            line: i as u64 + 1,
            raw: &raw,
        };
        let ev = EventRef::Auth(event(s));
        for d in dets.iter_mut() {
            d.observe(&ev, &origin, &mut out);
        }
    }
    for d in dets.iter_mut() {
        d.finish(&mut out);
    }
    out
}

fn check(seed: u64) {
    let sc = scenario(30, seed);
    let alerts = run(&sc);
    let attacker_ips: BTreeSet<_> = sc.attacker_ips.iter().copied().collect();
    let attacker_users: BTreeSet<&str> = sc
        .accounts
        .iter()
        .filter(|a| a.probed)
        .map(|a| a.user.as_str())
        .collect();
    for a in &alerts {
        for ip in a.source.ip.iter().chain(a.source.members.iter()) {
            assert!(
                attacker_ips.contains(ip),
                "benign source {ip} in {} {}",
                a.detector,
                a.title
            );
        }
        if let Some(u) = &a.user {
            assert!(
                attacker_users.contains(u.as_str()),
                "benign account {u} in {}",
                a.detector
            );
        }
        for key in [
            "users_probed",
            "users_identified",
            "users_attacked",
            "users_compromised",
        ] {
            for u in a
                .details
                .get(key)
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
            {
                let u = u.as_str().unwrap();
                assert!(
                    attacker_users.contains(u),
                    "benign account {u} in {} {key}",
                    a.detector
                );
            }
        }
        assert!(
            !a.evidence.is_empty() && a.evidence.len() <= 10,
            "{}",
            a.detector
        );
    }
    let detectors: BTreeSet<&str> = alerts.iter().map(|a| a.detector.as_str()).collect();
    assert_eq!(
        detectors,
        BTreeSet::from(["auth.enumeration", "auth.spray", "auth.takeover"]),
        "seed {seed}"
    );
    let campaigns = group_campaigns(&alerts);
    assert_eq!(campaigns.len(), 1, "seed {seed}: {campaigns:#?}");
    let c = &campaigns[0];
    let f = c.funnel.expect("funnel");
    assert_eq!(f.attempts, sc.funnel.attempts, "seed {seed}");
    assert_eq!(f.probed, sc.funnel.probed, "seed {seed}");
    assert_eq!(f.identified, sc.funnel.identified, "seed {seed}");
    assert_eq!(f.attacked, 241, "seed {seed}");
    assert_eq!(f.compromised, 4, "seed {seed}");
    assert_eq!(c.compromised, sc.compromised, "seed {seed}");
    assert_eq!(c.sources, sc.attacker_ips, "seed {seed}");
    assert_eq!(c.funnel_by_target.len(), 3);
    for (tenant, tf) in &sc.funnel_by_tenant {
        let got = c.funnel_by_target[tenant];
        assert_eq!(
            (
                got.attempts,
                got.probed,
                got.identified,
                got.attacked,
                got.compromised
            ),
            (
                tf.attempts,
                tf.probed,
                tf.identified,
                tf.attacked,
                tf.compromised
            ),
            "seed {seed} tenant {tenant}"
        );
    }
    assert_eq!(c.severity, haboob_model::Severity::Critical);
    assert!(c.summary.starts_with("40 sources made "), "{}", c.summary);
    assert!(
        c.summary.contains("241 accounts attacked, 4 compromised ("),
        "{}",
        c.summary
    );
    // Sanity on the simulator side of the bargain.
    assert!(sc.events.iter().any(|e| e.role == Role::Benign));
}

#[test]
fn simulated_month_funnel_matches_ground_truth() {
    check(42);
}

#[test]
fn second_seed_also_matches() {
    check(7);
}
