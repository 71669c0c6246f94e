//! Parsers over the real samples in the real-data corpus (exact counts and
//! chosen field values). Skipped without the corpus (see `haboob-testdata`).

use haboob_model::{AuthEvent, AuthOutcome, EventRef, FailureClass, LineParser, Parsed};
use haboob_signin::{read_evtx, SigninFormat, SyslogParser};
use haboob_testdata::corpus_or_skip;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Owned view of an event for assertions.
#[derive(Debug, Clone, PartialEq)]
struct Ev {
    line: u64,
    ts: String,
    ip: Option<String>,
    user: String,
    domain: String,
    outcome: AuthOutcome,
    failure: Option<FailureClass>,
    app: String,
    client: String,
    country: String,
    tenant: String,
    asn: Option<u32>,
}

fn own(line: u64, e: &AuthEvent<'_>) -> Ev {
    Ev {
        line,
        ts: e.ts.to_string(),
        ip: e.source_ip.map(|i| i.to_string()),
        user: e.user.to_string(),
        domain: e.domain.to_string(),
        outcome: e.outcome,
        failure: e.failure,
        app: e.app.to_string(),
        client: e.client.to_string(),
        country: e.country.to_string(),
        tenant: e.tenant.to_string(),
        asn: e.asn,
    }
}

#[derive(Debug, Default)]
struct Run {
    events: Vec<Ev>,
    directives: u64,
    rejects: Vec<(u64, String)>,
}

fn run_lines(p: &mut dyn LineParser, text: &str) -> Run {
    let mut r = Run::default();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if i > 0 && line.is_empty() && text.ends_with('\n') && i == text.split('\n').count() - 1 {
            break; // the final terminator
        }
        let n = i as u64 + 1;
        match p.parse(line) {
            Ok(Parsed::Event(EventRef::Auth(e))) => r.events.push(own(n, &e)),
            // A Windows sign-in (event XML): the sign-in, then its event.
            Ok(Parsed::Both(EventRef::Auth(e), EventRef::Win(_))) => r.events.push(own(n, &e)),
            Ok(Parsed::Event(_) | Parsed::Both(..)) => {
                panic!("sign-in parser gave a non-auth event")
            }
            // A Windows sign-in record whose sign-in did not map.
            Ok(Parsed::Partial(_, e)) => r.rejects.push((n, e.reason.to_string())),
            Ok(Parsed::Directive) => r.directives += 1,
            Err(e) => r.rejects.push((n, e.reason.to_string())),
        }
    }
    r
}

fn run_file(c: &Path, fmt: SigninFormat, rel: &str) -> Run {
    let text = std::fs::read_to_string(c.join(rel)).unwrap();
    run_lines(fmt.line_parser().unwrap().as_mut(), &text)
}

fn classes(evs: &[Ev]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for e in evs {
        *m.entry(format!("{:?}/{:?}", e.outcome, e.failure))
            .or_default() += 1;
    }
    m
}

#[test]
fn entra_csv_adele() {
    let Some(c) = corpus_or_skip("entra_csv_adele") else {
        return;
    };
    let r = run_file(
        &c,
        SigninFormat::EntraCsv,
        "signin/sentinel-training-lab/Artifacts/Telemetry/sign-in_adelete.csv",
    );
    assert_eq!(r.events.len(), 56);
    assert_eq!(r.directives, 1109); // header + continuation lines of 56 records
    assert!(r.rejects.is_empty(), "{:?}", r.rejects);
    assert!(r
        .events
        .iter()
        .all(|e| e.user == "adelev@m365x816222.onmicrosoft.com"
            && e.domain == "m365x816222.onmicrosoft.com"
            && e.ip.as_deref() == Some("175.45.176.99")
            && e.tenant == "2ad3fc79-1859-42fa-9011-6f8df2251b22"));
    let c = classes(&r.events);
    assert_eq!(c["Success/None"], 53);
    assert_eq!(c["Failure/Some(Other)"], 3); // 16000 x2, 50058 x1
    let first = &r.events[0];
    assert_eq!(first.ts, "2021-04-28T14:08:45.221Z");
    assert_eq!(first.app, "Azure Portal");
    assert_eq!(first.country, "IL");
    assert!(first.client.starts_with("Mozilla/5.0 (Windows NT 10.0"));
}

#[test]
fn m365_csv_office_activity() {
    let Some(c) = corpus_or_skip("m365_csv_office_activity") else {
        return;
    };
    // Sentinel OfficeActivity export: 266 records, none a sign-in.
    let r = run_file(
        &c,
        SigninFormat::M365Csv,
        "signin/sentinel-training-lab/Artifacts/Telemetry/office_activity.csv",
    );
    assert_eq!((r.events.len(), r.directives, r.rejects.len()), (0, 531, 0));
    // No time column: the header is rejected and so is every later line.
    let r = run_file(
        &c,
        SigninFormat::M365Csv,
        "signin/sentinel-training-lab/Artifacts/Telemetry/office_activity_inbox_rule.csv",
    );
    assert_eq!((r.events.len(), r.directives, r.rejects.len()), (0, 0, 53));
    assert_eq!(
        r.rejects[0].1,
        "Microsoft 365 CSV header lacks AuditData or TimeGenerated/Operation/UserId"
    );
}

#[test]
fn m365_json_otrf_mail_access_is_directive() {
    let Some(c) = corpus_or_skip("m365_json_otrf_mail_access_is_directive") else {
        return;
    };
    let r = run_file(&c,
        SigninFormat::M365,
        "signin/otrf-security-datasets/datasets/compound/GoldenSAMLADFSMailAccess/OfficeActivityEvents.json",
    );
    assert_eq!((r.events.len(), r.directives, r.rejects.len()), (0, 1, 0));
}

#[test]
fn google_sentinel_sample() {
    let Some(c) = corpus_or_skip("google_sentinel_sample") else {
        return;
    };
    let r = run_file(
        &c,
        SigninFormat::Google,
        "signin/azure-sentinel/Sample Data/Custom/GWorkspace_ReportsAPI_login_CL.json",
    );
    assert!(r.rejects.is_empty(), "{:?}", r.rejects);
    assert_eq!(r.events.len(), 3);
    let kinds: Vec<_> = r
        .events
        .iter()
        .map(|e| (e.outcome, e.failure, e.ts.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (AuthOutcome::Success, None, "2020-11-09T22:47:35.492Z"),
            (
                AuthOutcome::Challenge,
                Some(FailureClass::MfaRequired),
                "2020-11-09T22:47:35.492Z"
            ),
            (AuthOutcome::Success, None, "2020-11-09T22:46:21.209Z"),
        ]
    );
    assert!(r.events.iter().all(|e| e.user == "sanitized_email.com"
        && e.ip.as_deref() == Some("52.52.52.52")
        && e.tenant == "C015t6bdl"));
}

/// Panther rule tests (`Tests:` → `Log:`) as JSON lines.
fn panther(c: &Path, dir: &str) -> String {
    let mut files: Vec<_> =
        std::fs::read_dir(c.join(format!("signin/panther-analysis/rules/{dir}")))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yml"))
            .collect();
    files.sort();
    let mut out = String::new();
    for f in files {
        let doc: serde_yml::Value =
            serde_yml::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let Some(tests) = doc.get("Tests").and_then(|t| t.as_sequence()) else {
            continue;
        };
        for t in tests {
            let log = t.get("Log").expect("test without Log");
            out.push_str(&serde_json::to_string(log).unwrap());
            out.push('\n');
        }
    }
    out
}

#[test]
fn okta_panther_events() {
    let Some(c) = corpus_or_skip("okta_panther_events") else {
        return;
    };
    let text = panther(&c, "okta_rules");
    let r = run_lines(&mut haboob_signin::OktaParser, &text);
    assert_eq!(
        r.events.len() + r.directives as usize + r.rejects.len(),
        100
    );
    assert_eq!(r.events.len(), 12);
    assert_eq!(r.directives, 54);
    let reasons: BTreeMap<&str, usize> = r.rejects.iter().fold(BTreeMap::new(), |mut m, (_, w)| {
        *m.entry(w.as_str()).or_default() += 1;
        m
    });
    assert_eq!(reasons["not an Okta System Log event"], 26); // AD-agent / behavioural fixtures
    assert_eq!(reasons["missing outcome.result"], 2);
    assert_eq!(reasons["missing time"], 2); // user.authentication.sso without `published`
    assert_eq!(
        reasons["bad time: bad timestamp layout: expected yyyy-mm-ddTHH:MM:SS"],
        4
    ); // "redacted"
    let c = classes(&r.events);
    assert_eq!(c["Success/None"], 4);
    assert_eq!(c["Failure/Some(BadPassword)"], 3);
    assert_eq!(c["Failure/Some(Other)"], 4); // FastPass declined, no reason
    assert_eq!(c["Failure/Some(LockedOut)"], 1);
    let lock = r
        .events
        .iter()
        .find(|e| e.app == "user.account.lock")
        .unwrap();
    assert_eq!(lock.user, "homer.simpson@duff.com");
    assert_eq!(lock.domain, "duff.com");
    assert_eq!(lock.ip.as_deref(), Some("1.2.3.4"));
    assert_eq!(lock.ts, "2022-11-22T18:48:49.177Z");
    assert_eq!(lock.country, "United States");
    assert_eq!(lock.asn, Some(7018));
}

#[test]
fn entra_panther_events() {
    let Some(c) = corpus_or_skip("entra_panther_events") else {
        return;
    };
    let text = panther(&c, "azure_signin_rules");
    let r = run_lines(&mut haboob_signin::EntraParser, &text);
    assert_eq!((r.events.len(), r.directives, r.rejects.len()), (26, 21, 0));
    let c = classes(&r.events);
    assert_eq!(c["Success/None"], 15);
    assert_eq!(c["Failure/Some(LockedOut)"], 2);
    assert_eq!(c["Failure/Some(BadPassword)"], 2);
    assert_eq!(c["Failure/Some(Other)"], 7); // 7000215 service-principal failures
    let spn: Vec<_> = r
        .events
        .iter()
        .filter(|e| e.user == "some-service-principal")
        .collect();
    assert_eq!(spn.len(), 7);
    assert!(spn.iter().all(|e| e.failure == Some(FailureClass::Other)));
    assert_eq!(spn[0].ip.as_deref(), Some("12.12.12.12"));
    assert_eq!(spn[0].country, "IE");
    let boromir = r
        .events
        .iter()
        .find(|e| e.user == "boromir@lotr.com")
        .unwrap();
    assert_eq!(
        (
            boromir.ip.as_deref(),
            boromir.failure,
            boromir.country.as_str(),
            boromir.asn
        ),
        (
            Some("4.4.4.4"),
            Some(FailureClass::LockedOut),
            "RU",
            Some(12345)
        )
    );
}

fn syslog(c: &Path, rel: &str) -> Run {
    let text = std::fs::read_to_string(c.join(format!("crowdsec/.tests/{rel}"))).unwrap();
    run_lines(&mut SyslogParser::new(2024), &text)
}

#[test]
fn crowdsec_ssh() {
    let Some(c) = corpus_or_skip("crowdsec_ssh") else {
        return;
    };
    let r = syslog(&c, "ssh-bf/ssh-bf.log");
    assert_eq!(r.events.len(), 6);
    assert_eq!(r.rejects, [(7, "empty line".to_string())]);
    let users: Vec<_> = r.events.iter().map(|e| e.user.as_str()).collect();
    assert_eq!(
        users,
        ["pascal", "pascal1", "pascal2", "pascal3", "pascal4", "pascal5"]
    );
    assert!(r
        .events
        .iter()
        .all(|e| e.failure == Some(FailureClass::UnknownUser)
            && e.ip.as_deref() == Some("35.188.49.176")
            && e.app == "ssh"));
    assert_eq!(r.events[0].ts, "2024-02-12T14:10:21.000Z");

    let r = syslog(&c, "ssh-slow-bf/ssh-slow-bf.log");
    assert_eq!((r.events.len(), r.directives, r.rejects.len()), (22, 0, 0));
    assert!(r
        .events
        .iter()
        .all(|e| e.user == "hadoop" && e.ip.as_deref() == Some("103.100.210.198")));

    let r = syslog(&c, "sshd-invalid-bf/sshd-invalid-bf.log");
    assert_eq!((r.events.len(), r.directives, r.rejects.len()), (6, 0, 0));
    assert!(r.events.iter().all(|e| e.user == "root"
        && e.ip.as_deref() == Some("179.43.183.98")
        && e.failure == Some(FailureClass::Other)));
}

#[test]
fn crowdsec_dovecot() {
    let Some(c) = corpus_or_skip("crowdsec_dovecot") else {
        return;
    };
    let expect = [
        ("dovecot-slow-bf", 4, 1),
        ("dovecot-slow-bf-no-overlap", 4, 1),
        ("dovecot-slow-bf-user-enum", 4, 4),
        ("dovecot-time-based-bf", 4, 3),
        ("dovecot-time-based-bf-user-enum", 4, 4),
    ];
    for (name, n, users) in expect {
        let r = syslog(&c, &format!("{name}/{name}.log"));
        assert_eq!(
            (r.events.len(), r.directives, r.rejects.len()),
            (n, 0, 0),
            "{name}"
        );
        let distinct: BTreeSet<_> = r.events.iter().map(|e| e.user.as_str()).collect();
        assert_eq!(distinct.len(), users, "{name}");
        assert!(
            r.events
                .iter()
                .all(|e| e.failure == Some(FailureClass::BadPassword)),
            "{name}"
        );
    }
    let r = syslog(&c, "dovecot-slow-bf/dovecot-slow-bf.log");
    let apps: Vec<_> = r.events.iter().map(|e| e.app.as_str()).collect();
    assert_eq!(apps, ["imap", "imap", "pop3", "imap"]);
    assert_eq!(r.events[0].user, "admin@example.com");
    assert_eq!(r.events[0].domain, "example.com");
    assert_eq!(r.events[0].ip.as_deref(), Some("192.0.2.1"));
}

#[test]
fn crowdsec_postfix() {
    let Some(c) = corpus_or_skip("crowdsec_postfix") else {
        return;
    };
    let r = syslog(&c, "postfix-sasl-bf/postfix-sasl-bf.log");
    assert_eq!((r.events.len(), r.directives, r.rejects.len()), (3, 0, 0));
    assert!(r.events.iter().all(|e| e.user.is_empty()
        && e.ip.as_deref() == Some("203.0.113.42")
        && e.failure == Some(FailureClass::BadPassword)
        && e.app == "smtp"));
    let r = syslog(&c, "postfix-honeypot-users/postfix-honeypot-users.log");
    assert_eq!((r.events.len(), r.directives, r.rejects.len()), (9, 0, 0));
    assert_eq!(r.events[0].user, "postmaster@example.org");
    assert_eq!(r.events[0].ip.as_deref(), Some("203.0.113.10"));
    assert_eq!(r.events[8].user, "nonexistent_user@example.org");
    assert!(r
        .events
        .iter()
        .all(|e| e.failure == Some(FailureClass::Other)));
}

#[derive(Debug, Default, PartialEq)]
struct EvtxRun {
    records: u64,
    events: Vec<Ev>,
    directives: u64,
    rejects: u64,
}

fn evtx(c: &Path, rel: &str) -> EvtxRun {
    let mut r = EvtxRun::default();
    r.records = read_evtx(&c.join(format!("evtx/{rel}")), &mut |n, _raw, p| match p {
        Ok(Some(e)) => r.events.push(own(n, &e)),
        Ok(None) => r.directives += 1,
        Err(_) => r.rejects += 1,
    })
    .unwrap();
    r
}

#[test]
fn evtx_smb_password_guessing() {
    let Some(c) = corpus_or_skip("evtx_smb_password_guessing") else {
        return;
    };
    let r = evtx(&c, "DeepBlueCLI/evtx/smb-password-guessing-security.evtx");
    assert_eq!(
        (r.records, r.events.len(), r.directives, r.rejects),
        (3561, 3561, 0, 0)
    );
    let c = classes(&r.events);
    assert_eq!(c["Failure/Some(BadPassword)"], 3558);
    assert_eq!(c["Failure/Some(Other)"], 2);
    assert_eq!(c["Failure/Some(UnknownUser)"], 1);
    assert!(r
        .events
        .iter()
        .all(|e| e.ip.as_deref() == Some("192.168.198.149") && e.app == "network"));
    let admin = r
        .events
        .iter()
        .filter(|e| e.user == "administrator")
        .count();
    assert_eq!(admin, 3560);
}

#[test]
fn evtx_kerberos_spray() {
    let Some(c) = corpus_or_skip("evtx_kerberos_spray") else {
        return;
    };
    let r = evtx(
        &c,
        "EVTX-ATTACK-SAMPLES/Credential Access/kerberos_pwd_spray_4771.evtx",
    );
    assert_eq!(
        (r.records, r.events.len(), r.directives, r.rejects),
        (12, 11, 1, 0)
    );
    let unknown: BTreeSet<_> = r
        .events
        .iter()
        .filter(|e| e.failure == Some(FailureClass::UnknownUser))
        .map(|e| e.user.as_str())
        .collect();
    assert_eq!(
        unknown,
        BTreeSet::from(["admin", "admin02", "bob", "hd01", "hd02", "svc-01", "svc-02"])
    );
    let bad: BTreeSet<_> = r
        .events
        .iter()
        .filter(|e| e.failure == Some(FailureClass::BadPassword))
        .map(|e| e.user.as_str())
        .collect();
    assert_eq!(bad, BTreeSet::from(["administrator", "backdoor"]));
    let ok: Vec<_> = r
        .events
        .iter()
        .filter(|e| e.outcome == AuthOutcome::Success)
        .collect();
    assert_eq!(ok.len(), 2);
    assert!(ok
        .iter()
        .all(|e| e.user == "normal" && e.ip.as_deref() == Some("172.16.66.1")));
    assert_eq!(r.events[0].ts, "2020-07-22T20:29:36.414Z");
    // 4771 names the realm in ServiceName: the same domain as the 4768s.
    let domains: BTreeSet<_> = r.events.iter().map(|e| e.domain.as_str()).collect();
    assert_eq!(domains, BTreeSet::from(["threebeesco.com"]));
}

#[test]
fn evtx_explicit_credentials_spray() {
    let Some(c) = corpus_or_skip("evtx_explicit_credentials_spray") else {
        return;
    };
    let r = evtx(&c, "DeepBlueCLI/evtx/password-spray.evtx");
    assert!(r.events.iter().all(|e| e.outcome == AuthOutcome::Attempt
        && e.failure.is_none()
        && e.ip.is_none()
        && e.app == "explicit-credentials"
        && e.client == "desktop-jr78rlp\\jwrig"
        && e.domain == "domain"));
    let users: BTreeSet<_> = r.events.iter().map(|e| e.user.as_str()).collect();
    assert_eq!(users.len(), 41);
    assert!(users.contains("administrator") && users.contains("smisenar"));
}

#[test]
fn evtx_table() {
    let Some(c) = corpus_or_skip("evtx_table") else {
        return;
    };
    // file → (records, auth events, successes, failures)
    let table = [
        // 294 × 4648 (explicit credentials: attempts without a result) + 1102.
        ("DeepBlueCLI/evtx/password-spray.evtx", 295, 294, 0, 0),
        ("DeepBlueCLI/evtx/new-user-security.evtx", 0, 0, 0, 0),
        ("EVTX-ATTACK-SAMPLES/Credential Access/CA_4624_4625_LogonType2_LogonProc_chrome.evtx", 4, 4, 3, 1),
        ("EVTX-ATTACK-SAMPLES/Lateral Movement/LM_4624_mimikatz_sekurlsa_pth_source_machine.evtx", 6, 1, 1, 0),
    ];
    for (f, records, events, ok, failed) in table {
        let r = evtx(&c, f);
        if records > 0 {
            assert_eq!(r.records, records, "{f}");
        }
        assert_eq!(r.events.len(), events, "{f}");
        assert_eq!(
            r.events
                .iter()
                .filter(|e| e.outcome == AuthOutcome::Success)
                .count(),
            ok,
            "{f}"
        );
        assert_eq!(
            r.events
                .iter()
                .filter(|e| e.outcome == AuthOutcome::Failure)
                .count(),
            failed,
            "{f}"
        );
        assert_eq!(r.rejects, 0, "{f}");
    }
    let r = evtx(
        &c,
        "EVTX-ATTACK-SAMPLES/Credential Access/CA_4624_4625_LogonType2_LogonProc_chrome.evtx",
    );
    let fail = r
        .events
        .iter()
        .find(|e| e.outcome == AuthOutcome::Failure)
        .unwrap();
    assert_eq!(
        (
            fail.user.as_str(),
            fail.domain.as_str(),
            fail.failure,
            fail.app.as_str(),
            fail.ip.as_deref()
        ),
        (
            "ieuser",
            "msedgewin10",
            Some(FailureClass::BadPassword),
            "interactive",
            None
        )
    );
}

#[test]
fn evtx_whole_corpus_never_rejects() {
    let Some(c) = corpus_or_skip("evtx_whole_corpus_never_rejects") else {
        return;
    };
    let root = c.join("evtx");
    let mut stack = vec![root];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "evtx") {
                files += 1;
                let mut rejects = 0;
                read_evtx(&p, &mut |_, _, r| rejects += usize::from(r.is_err())).unwrap();
                assert_eq!(rejects, 0, "{}", p.display());
            }
        }
    }
    assert_eq!(files, 52); // the .etl trace and missing blobs are not .evtx
}
