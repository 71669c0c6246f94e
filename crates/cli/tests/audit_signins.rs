//! Sign-ins read from a Linux audit log (`auditd`): sshd's `USER_LOGIN`
//! records feed the account detectors like sshd's syslog lines do. A brute
//! forcer that gets in, a sprayer over four addresses of one /24, a user who
//! mistypes once, and the audit records around them (commands, sshd's PAM
//! records that repeat the same attempts), hunted through the CLI with the
//! exact alerts expected.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// One sshd `USER_LOGIN` record: `who` is `acct="NAME"`, or `id=UID` with the
/// enriched name after the separator.
fn login(t: u64, serial: u64, who: &str, ip: &str, ok: bool) -> String {
    let res = if ok { "success" } else { "failed" };
    let (field, enriched) = match who.strip_prefix("id:") {
        Some(name) => (
            "id=1001".to_owned(),
            format!("\x1dAUID=\"{name}\" ID=\"{name}\""),
        ),
        None => (format!("acct=\"{who}\""), String::new()),
    };
    format!(
        "type=USER_LOGIN msg=audit({t}.250:{serial}): pid={serial} uid=0 auid=4294967295 ses=4294967295 \
         msg='op=login {field} exe=\"/usr/sbin/sshd\" hostname=? addr={ip} terminal=ssh res={res}'{enriched}\n"
    )
}

/// The same attempt as sshd's PAM writes it (not a second sign-in).
fn pam(t: u64, serial: u64, acct: &str, ip: &str) -> String {
    format!(
        "type=USER_AUTH msg=audit({t}.240:{serial}): pid={serial} uid=0 auid=4294967295 ses=4294967295 \
         msg='op=PAM:authentication grantors=? acct=\"{acct}\" exe=\"/usr/sbin/sshd\" hostname={ip} addr={ip} terminal=ssh res=failed'\n"
    )
}

fn audit_log() -> String {
    let t0 = 1_700_000_000u64;
    let mut recs: Vec<(u64, String)> = Vec::new();
    let mut serial = 0;
    let mut next = || {
        serial += 1;
        serial
    };
    // Brute force on `admin` from one address, then its way in.
    for i in 0..60 {
        let t = t0 + i * 20;
        recs.push((t, pam(t, next(), "admin", "192.0.2.66")));
        recs.push((t, login(t, next(), "admin", "192.0.2.66", false)));
    }
    recs.push((
        t0 + 1300,
        login(t0 + 1300, next(), "id:admin", "192.0.2.66", true),
    ));
    // Forty accounts tried once each from four addresses of one /24.
    for i in 0..40u64 {
        let t = t0 + 30 + i * 37;
        let ip = format!("203.0.113.{}", 20 + i % 4);
        recs.push((t, login(t, next(), &format!("user{i}"), &ip, false)));
    }
    // A user who mistypes once, then gets in.
    recs.push((
        t0 + 500,
        login(t0 + 500, next(), "carol", "198.51.100.5", false),
    ));
    recs.push((
        t0 + 510,
        login(t0 + 510, next(), "id:carol", "198.51.100.5", true),
    ));
    // Commands run meanwhile.
    for i in 0..20 {
        let t = t0 + 60 * i;
        let s = next();
        recs.push((
            t,
            format!("type=EXECVE msg=audit({t}.100:{s}): argc=2 a0=\"ls\" a1=\"-la\"\n"),
        ));
    }
    recs.sort_by_key(|r| r.0);
    recs.into_iter().fold(String::new(), |mut out, (_, r)| {
        let _ = write!(out, "{r}");
        out
    })
}

fn alerts(out: &[Value]) -> BTreeSet<(String, String, String)> {
    out.iter()
        .filter(|o| o["kind"] == "alert")
        .map(|a| {
            (
                a["detector"].as_str().unwrap().to_owned(),
                a["source"]["ip"].as_str().unwrap().to_owned(),
                a["user"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn sshd_attacks_in_an_audit_log_are_hunted() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    std::fs::write(&log, audit_log()).unwrap();
    let out = run_jsonl(&["hunt", "-O", "jsonl", log.to_str().unwrap()], 1);
    let got = alerts(&out);
    let want: BTreeSet<(String, String, String)> = [
        ("auth.brute_force", "192.0.2.66", "admin"),
        ("auth.takeover", "192.0.2.66", "admin"),
        ("auth.stuffing", "203.0.113.20", ""),
    ]
    .into_iter()
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
    .collect();
    assert_eq!(got, want, "{out:#?}");
    // The brute force counts each attempt once (sshd's PAM record of it is
    // not a second sign-in).
    let bf = out
        .iter()
        .find(|o| o["detector"] == "auth.brute_force")
        .unwrap();
    assert_eq!(bf["details"]["failures"], 60, "{bf}");
    let evidence = bf["evidence"].as_array().unwrap();
    assert!(!evidence.is_empty());
    assert!(
        evidence
            .iter()
            .all(|e| e["raw"].as_str().unwrap().starts_with("type=USER_LOGIN ")),
        "{bf}"
    );
    // Every line is read: 183 records (120 + 1 + 40 + 2 + 20).
    let summary = out.last().unwrap();
    assert_eq!(summary["lines"], 183, "{summary}");
    assert_eq!(summary["rejected"], 0, "{summary}");
}
