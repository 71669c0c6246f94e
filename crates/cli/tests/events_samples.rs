//! Issue 11: every line of each new sign-in source's sample, asserted through
//! `haboob events`: read as an authentication event (dataset, app, user,
//! outcome, failure class, source address), read and not one (no object; a
//! Windows event that is not a sign-in prints as a Windows event only), or
//! rejected with its reason. The tables are the parsers' own
//! (`crates/signin/tests/common/samples.rs`), so both layers answer to the
//! same expectation; the Exchange IIS sample (sign-ins derived from web
//! requests, as the hunt does) is here.

#[path = "../../signin/tests/common/samples.rs"]
mod samples;

mod common;

use common::run;
use haboob_model::{AuthOutcome, FailureClass};
use samples::{Src, X};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use AuthOutcome::*;

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn text<'a>(o: &'a Value, k: &str) -> &'a str {
    o.get(k).and_then(Value::as_str).unwrap_or("")
}

fn class(name: &str) -> Option<FailureClass> {
    use FailureClass::*;
    if name.is_empty() {
        return None;
    }
    let all = [
        UnknownUser,
        BadPassword,
        LockedOut,
        MfaRequired,
        MfaDenied,
        Disabled,
        Expired,
        Other,
    ];
    let c = all
        .into_iter()
        .find(|c| serde_json::to_value(c).unwrap() == name);
    Some(c.unwrap_or_else(|| panic!("unknown event.reason {name}")))
}

/// One printed authentication event or rejection, in the tables' terms.
fn of_json(o: &Value) -> X {
    if text(o, "event.kind") == "pipeline_error" {
        return X::R(leak(text(o, "error.message")));
    }
    assert_eq!(text(o, "event.category"), "authentication", "{o}");
    let (outcome, ecs_outcome) = match text(o, "event.action") {
        "logged-in" => (Success, "success"),
        "login-failed" => (Failure, "failure"),
        "mfa-challenge" => (Challenge, "unknown"),
        "explicit-credentials" => (Attempt, "unknown"),
        "pre-authentication-probe" => (Probe, "unknown"),
        a => panic!("unknown event.action {a}: {o}"),
    };
    assert_eq!(text(o, "event.outcome"), ecs_outcome, "{o}");
    let (ds, app, user) = (
        text(o, "event.dataset"),
        text(o, "service.name"),
        text(o, "user.name"),
    );
    let failure = class(text(o, "event.reason"));
    let ip = leak(text(o, "source.ip"));
    if outcome == Probe && ds == "auth.sshd" && app == "ssh" && user.is_empty() && failure.is_none()
    {
        return X::P(ip, leak(text(o, "user_agent.original")));
    }
    X::E(leak(ds), leak(app), leak(user), outcome, failure, ip)
}

/// `haboob events PATH`: its objects by line number, and the accounting
/// line's counts (lines, parsed, rejected, files).
fn events(path: &str) -> (BTreeMap<u64, Vec<Value>>, Vec<u64>) {
    let out = run(&["events", path], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{path}: {err}");
    let mut by_line: BTreeMap<u64, Vec<Value>> = BTreeMap::new();
    for l in String::from_utf8(out.stdout).unwrap().lines() {
        let o: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}: {e}: {l}"));
        assert_eq!(text(&o, "log.file.path"), path, "{o}");
        let n = o["log.line"]
            .as_u64()
            .unwrap_or_else(|| panic!("no log.line: {o}"));
        by_line.entry(n).or_default().push(o);
    }
    let counts = err
        .lines()
        .find(|l| l.ends_with(" files") && l.contains(" lines, "))
        .unwrap_or_else(|| panic!("{path}: no accounting line in {err}"))
        .split(", ")
        .map(|p| p.split(' ').next().unwrap().parse().unwrap())
        .collect();
    (by_line, counts)
}

fn sample_path(src: Src) -> Option<PathBuf> {
    match src {
        Src::Fixture(rel) => Some(
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../signin/tests/fixtures/"
            ))
            .join(rel),
        ),
        Src::Corpus(rel) => haboob_testdata::corpus_file_or_skip("events_sign_in_samples", rel),
    }
}

#[test]
fn events_sign_in_samples_line_by_line() {
    let mut checked = 0;
    for sample in samples::all() {
        let Some(path) = sample_path(sample.src) else {
            continue;
        };
        let path = path.to_str().unwrap();
        let (mut by_line, counts) = events(path);
        let rejected = sample.want.iter().filter(|w| matches!(w, X::R(_))).count() as u64;
        let n = sample.want.len() as u64;
        assert_eq!(counts, [n, n - rejected, rejected, 1], "{path}: accounting");
        for (i, want) in sample.want.iter().enumerate() {
            let line = i as u64 + 1;
            let mut got = by_line.remove(&line).unwrap_or_default();
            // A Windows event (EVTX, event XML) or an audit record prints as
            // itself after its sign-in, if any: one per line read.
            let win = got
                .iter()
                .position(|o| text(o, "event.kind") == "event")
                .map(|i| got.remove(i));
            let own_event = matches!(
                got.first()
                    .or(win.as_ref())
                    .map(|o| text(o, "haboob.log_format")),
                Some("evtx" | "windows-xml" | "auditd")
            );
            match (want, &win) {
                (X::W(id) | X::Wp(id, _), Some(w)) => {
                    assert_eq!(w["winlog.event_id"], *id, "{path} line {line}: {w}")
                }
                (X::R(_), None) => {}
                (_, None) => assert!(!own_event, "{path} line {line}: no record event"),
                (_, Some(w)) => {
                    assert!(own_event, "{path} line {line}: {w}");
                    if let Some(g) = got.first() {
                        assert_eq!(w["@timestamp"], g["@timestamp"], "{w}");
                    }
                }
            }
            match want {
                X::W(_) | X::Wp(..) => assert!(got.is_empty(), "{path} line {line}: {got:?}"),
                X::D => assert!(
                    got.is_empty(),
                    "{path} line {line}: read, not a sign-in: {got:?}"
                ),
                _ => {
                    assert_eq!(got.len(), 1, "{path} line {line}: {got:?}");
                    assert_eq!(&of_json(&got[0]), want, "{path} line {line}: {}", got[0]);
                }
            }
        }
        assert!(
            by_line.is_empty(),
            "{path}: objects for lines past the end: {by_line:?}"
        );
        checked += 1;
    }
    assert!(checked >= 13, "the fixtures at least");
}

/// An Exchange IIS log: each request is a web event; a request to an
/// Exchange client endpoint that is a sign-in is followed by the
/// authentication event the hunt derives from it (`auth.exchange`).
#[test]
fn events_exchange_iis_sign_ins() {
    enum L {
        /// `#` header: no object.
        Head,
        /// The web event only.
        Web,
        /// The web event, then this sign-in.
        Auth(X),
        /// Rejected with this reason.
        Bad(&'static str),
    }
    use L::*;
    let ds = "auth.exchange";
    let bp = Some(FailureClass::BadPassword);
    let spray = "203.0.113.50";
    let want = [
        Head,
        Head,
        Head,
        Head,
        // ActiveSync Basic failure: the user from `User=`, domain cut.
        Auth(X::E(ds, "activesync", "alice", Failure, bp, spray)),
        Auth(X::E(ds, "ews", "bob@contoso.com", Failure, bp, spray)),
        // Anonymous 401: the first leg of NTLM, not a failure.
        Web,
        Auth(X::E(ds, "mapi", "carl", Success, None, "198.51.100.7")),
        // Forms login rejected, and the page OWA redirects a rejected
        // password to: failures without a user.
        Auth(X::E(ds, "owa", "", Failure, bp, "192.0.2.44")),
        Auth(X::E(ds, "owa", "", Failure, bp, "192.0.2.44")),
        Auth(X::E(
            ds,
            "autodiscover",
            "dave@contoso.com",
            Success,
            None,
            "2001:db8::9",
        )),
        Web,
        Bad("fewer values than #Fields declares"),
    ];
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/exchange/u_ex240501.log"
    );
    let (mut by_line, counts) = events(path);
    assert_eq!(counts, [13, 12, 1, 1]);
    for (i, want) in want.into_iter().enumerate() {
        let line = i as u64 + 1;
        let got = by_line.remove(&line).unwrap_or_default();
        let at = format!("line {line}: {got:?}");
        match want {
            Head => assert!(got.is_empty(), "{at}"),
            Web | Auth(_) => {
                assert_eq!(text(&got[0], "event.category"), "web", "{at}");
                assert_eq!(text(&got[0], "haboob.log_format"), "iis", "{at}");
                match want {
                    Auth(x) => {
                        assert_eq!(got.len(), 2, "{at}");
                        assert_eq!(of_json(&got[1]), x, "{at}");
                        assert_eq!(got[0]["@timestamp"], got[1]["@timestamp"], "{at}");
                    }
                    _ => assert_eq!(got.len(), 1, "{at}"),
                }
            }
            Bad(why) => {
                assert_eq!(got.len(), 1, "{at}");
                assert_eq!(of_json(&got[0]), X::R(why), "{at}");
            }
        }
    }
    assert!(by_line.is_empty());
}

/// Windows event XML lines are bounded like every line: one over the
/// reader's 64 KiB is rejected as too long, the lines around it are read.
#[test]
fn events_windows_xml_overlong_line_is_rejected() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../signin/tests/fixtures/windows/security.xml"
    );
    let first = std::fs::read_to_string(fixture)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let long = first.replace(
        "<Data Name=\"IpPort\">50123</Data>",
        &format!("<Data Name=\"IpPort\">{}</Data>", "9".repeat(70_000)),
    );
    assert!(long.len() > 65_536);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forwarded.xml");
    std::fs::write(&path, format!("{first}\n{long}\n{first}\n")).unwrap();
    let path = path.to_str().unwrap();
    let (by_line, counts) = events(path);
    assert_eq!(counts, [3, 2, 1, 1]);
    let ok = X::E(
        "auth.windows",
        "network",
        "o'brien",
        Success,
        None,
        "192.0.2.10",
    );
    assert_eq!(of_json(&by_line[&1][0]), ok);
    assert_eq!(
        of_json(&by_line[&2][0]),
        X::R("line longer than 65536 bytes")
    );
    assert_eq!(of_json(&by_line[&3][0]), ok);
}
