use super::*;

#[test]
fn funnel_matches_the_report() {
    let sc = scenario(30, 42);
    assert_eq!(sc.funnel.identification_attempts, 2_700);
    assert_eq!(sc.funnel.attacked, 241);
    assert_eq!(sc.funnel.compromised, 4);
    assert_eq!(sc.compromised.len(), 4);
    assert!(sc.funnel.identified > 241 && sc.funnel.identified < sc.funnel.probed);
    assert!(sc.funnel.probed <= 2_700 && sc.funnel.attempts > 2_700);
    assert_eq!(sc.attacker_ips.len(), 40);
    // Three targeted tenants, the fourth untouched.
    assert_eq!(sc.funnel_by_tenant.len(), 3);
    let sum: u64 = sc.funnel_by_tenant.values().map(|f| f.attacked).sum();
    assert_eq!(sum, 241);
    // Ground truth agrees with the events.
    let attacker: Vec<&SimAuth> = sc
        .events
        .iter()
        .filter(|e| e.role != Role::Benign)
        .collect();
    assert_eq!(attacker.len() as u64, sc.funnel.attempts);
    assert!(attacker
        .iter()
        .all(|e| sc.attacker_ips.binary_search(&e.ip).is_ok()));
    assert!(sc
        .events
        .iter()
        .filter(|e| e.role == Role::Benign)
        .all(|e| sc.attacker_ips.binary_search(&e.ip).is_err()));
    let wins: Vec<&str> = attacker
        .iter()
        .filter(|e| e.outcome == AuthOutcome::Success)
        .map(|e| e.user.as_str())
        .collect();
    assert_eq!(wins, {
        let mut w = sc
            .compromised
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>();
        w.sort_by_key(|n| {
            attacker
                .iter()
                .position(|e| e.user == *n && e.outcome == AuthOutcome::Success)
        });
        w
    });
    assert!(sc.events.windows(2).all(|w| w[0].ts <= w[1].ts));
}

#[test]
fn deterministic_per_seed_and_different_across_seeds() {
    assert_eq!(generate(5, 7), generate(5, 7));
    assert_ne!(generate(5, 7), generate(5, 8));
    let other = scenario(30, 1234);
    assert_eq!(other.funnel.attacked, 241);
    assert_eq!(other.funnel.identification_attempts, 2_700);
}

#[test]
fn writes_logs_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    let s = write_account_campaign(dir.path(), 30, 42).unwrap();
    assert_eq!(s.files.len(), 4);
    let targets = std::fs::read_to_string(dir.path().join("targets.toml")).unwrap();
    assert_eq!(targets.matches("[[target]]").count(), 4, "{targets}");
    assert!(targets.contains("sector = \"campaign\""), "{targets}");
    let entra = std::fs::read_to_string(&s.files[0]).unwrap();
    let first: serde_json::Value = serde_json::from_str(entra.lines().next().unwrap()).unwrap();
    for k in [
        "TimeGenerated",
        "UserPrincipalName",
        "IPAddress",
        "ResultType",
        "TenantId",
    ] {
        assert!(first.get(k).is_some(), "{k}");
    }
    let ual = std::fs::read_to_string(&s.files[1]).unwrap();
    let first: serde_json::Value = serde_json::from_str(ual.lines().next().unwrap()).unwrap();
    for k in [
        "CreationTime",
        "Operation",
        "UserId",
        "ClientIP",
        "ResultStatus",
        "OrganizationId",
    ] {
        assert!(first.get(k).is_some(), "{k}");
    }
    assert_eq!(
        entra.lines().count() + ual.lines().count(),
        s.events as usize
    );
    let labels = std::fs::read_to_string(&s.files[3]).unwrap();
    let last: serde_json::Value = serde_json::from_str(labels.lines().last().unwrap()).unwrap();
    assert_eq!(last["kind"], "summary");
    assert_eq!(last["funnel"]["attacked"], 241);
    assert_eq!(last["funnel"]["identification_attempts"], 2700);
    let attackers = labels
        .lines()
        .filter(|l| l.contains("\"role\":\"attacker\""))
        .count();
    assert_eq!(attackers, 40);
}
