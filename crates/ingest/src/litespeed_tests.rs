use super::*;
use crate::errorlog::ErrorLog;
use crate::text::RecordParser;
use crate::{Format, JsonFieldMap};
use proptest::prelude::*;

/// What the `error-log` parser makes of `line`.
fn parsed(line: &str) -> Result<Parsed<'_>, RecordError> {
    ErrorLog(1).parse_rec(line, None)
}

fn auth(line: &str) -> AuthEvent<'_> {
    match parsed(line) {
        Ok(Parsed::Event(EventRef::Auth(a))) => a,
        other => panic!("not a sign-in event: {other:?} for {line}"),
    }
}

fn waf(line: &str) -> WafEvent<'_> {
    match parsed(line) {
        Ok(Parsed::Event(EventRef::Waf(w))) => w,
        other => panic!("not a firewall event: {other:?} for {line}"),
    }
}

fn directive(line: &str) {
    assert!(matches!(parsed(line), Ok(Parsed::Directive)), "{line}");
}

#[test]
fn admin_console_failures_are_sign_in_failures() {
    // As the server copies the console's stderr into its error log.
    let a = auth(
        "2022-06-08 22:49:20.774649 [NOTICE] [1226033] [42.42.42.42:45164:HTTP2-41#_AdminVHost] [STDERR] [WebAdmin Console] Failed Login Attempt - username:asdasd ip:42.42.42.42 url:",
    );
    assert_eq!(a.ts.to_string(), "2022-06-08T22:49:20.774Z");
    assert_eq!(a.source_ip, Some("42.42.42.42".parse().unwrap()));
    assert_eq!(
        (a.dataset, a.user.as_ref(), a.app.as_ref()),
        ("auth.litespeed_admin", "asdasd", "litespeed webadmin")
    );
    assert_eq!(
        (a.outcome, a.failure),
        (AuthOutcome::Failure, Some(FailureClass::Other))
    );

    // The stderr log itself: milliseconds, no connection; the name folded.
    let a = auth(
        "2024-03-01 10:00:00.123 [STDERR] [WebAdmin Console] Failed Login Attempt - username:Admin ip:203.0.113.9 url:https://vote.example:7080/login.php",
    );
    assert_eq!(a.ts.to_string(), "2024-03-01T10:00:00.123Z");
    assert_eq!(a.user, "admin");
    assert_eq!(a.source_ip, Some("203.0.113.9".parse().unwrap()));

    // `ip:` names the console's client even behind another connection
    // (a proxy in front of the console), and a name may hold ` ip:`.
    let a = auth(
        "2024-03-01 10:00:01.5 [NOTICE] [77] [10.0.0.2:5000-1#_AdminVHost] [STDERR] [WebAdmin Console] Failed Login Attempt - username:x ip:y ip:2001:db8::7 url:/",
    );
    assert_eq!(a.ts.to_string(), "2024-03-01T10:00:01.500Z");
    assert_eq!(a.user, "x ip:y");
    assert_eq!(a.source_ip, Some("2001:db8::7".parse().unwrap()));

    // No `ip:` value: the connection's address.
    let a = auth(
        "2024-03-01 10:00:02.000001 [NOTICE] [77] [198.51.100.4:5000#_AdminVHost] [STDERR] [WebAdmin Console] Failed Login Attempt - username:root ip: url:",
    );
    assert_eq!(a.source_ip, Some("198.51.100.4".parse().unwrap()));
    assert_eq!(a.user, "root");

    // Neither: nobody to blame, read and counted.
    directive("2024-03-01 10:00:03.000 [STDERR] [WebAdmin Console] Failed Login Attempt - username:root ip: url:");
}

#[test]
fn access_rule_refusals_are_firewall_events() {
    let w = waf(
        "2024-03-01 10:05:00.000000 [INFO] [4242] [203.0.113.50:51234-3#elections.example] [ACL] Access to context [/admin/] is denied!",
    );
    assert_eq!(w.ts.to_string(), "2024-03-01T10:05:00.000Z");
    assert_eq!(w.source_ip.to_string(), "203.0.113.50");
    assert_eq!(
        (w.site, w.path, w.method),
        ("elections.example", "/admin/", "")
    );
    assert_eq!(
        (w.engine, w.message, w.blocked),
        ("litespeed", "access to context denied", true)
    );

    let w = waf(
        "2024-03-01 10:05:01.000000 [INFO] [4242] [203.0.113.51:40000#news.example] [ACL] Access to virtual host [news] is denied.",
    );
    assert_eq!((w.site, w.path), ("news.example", ""));
    assert_eq!(w.message, "access to virtual host denied");

    // An unknown `[ACL]` message and a refusal without a client are read,
    // not events.
    directive("2024-03-01 10:05:02.000000 [INFO] [4242] [203.0.113.51:40000#news.example] [ACL] Access to something else");
    directive("2024-03-01 10:05:03.000000 [INFO] [ACL] Access to context [/admin/] is denied!");
}

#[test]
fn other_lines_are_read_and_bad_ones_rejected() {
    directive("2024-03-01 10:00:00.123456 [NOTICE] [1234] [config:server] Server started: 1.8.1");
    directive("2024-03-01 10:00:00.123456 [INFO] [1234] [UID:65534, GID:65534] LSWS is running.");
    directive(
        "2024-03-01 10:00:00.123456 [ERROR] [1234] [203.0.113.5:1-2#v] [STDERR] PHP Warning: x",
    );
    for bad in [
        "2024-03-01 10:00:00.123 [VERBOSE] not a LiteSpeed level",
        "2024-03-01 10:00:00.123 [INFO unterminated",
        "2024-13-01 10:00:00.123 [INFO] month 13",
        "2024-03-01 10:00:00,123 [INFO] a comma before the fraction",
    ] {
        assert!(parsed(bad).is_err(), "{bad}");
    }
}

#[test]
fn connection_addresses() {
    for (conn, want) in [
        ("203.0.113.5:51234", "203.0.113.5"),
        ("203.0.113.5:51234-3", "203.0.113.5"),
        ("203.0.113.5:51234:HTTP2-41", "203.0.113.5"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:db8::1:443-2", "2001:db8::1"),
        ("2001:db8::1:443:H2-5", "2001:db8::1"),
        ("2001:db8::1:443", "2001:db8::1"),
        // Behind a trusted proxy: the client the proxy named.
        ("10.0.0.2:5000-1>198.51.100.9", "198.51.100.9"),
        ("10.0.0.2:5000:H2-3-2>2001:db8::9", "2001:db8::9"),
    ] {
        assert_eq!(conn_addr(conn), Some(want.parse().unwrap()), "{conn}");
    }
    assert_eq!(conn_addr("config:server"), None);
    assert_eq!(
        conn_addr("10.0.0.2:5000>junk"),
        Some("10.0.0.2".parse().unwrap())
    );
    assert_eq!(conn_addr("UID:65534, GID:65534"), None);
}

#[test]
fn a_litespeed_error_log_is_recognised_as_an_error_log() {
    let lines = [
        "2022-06-08 22:49:20.774649 [NOTICE] [1226033] [42.42.42.42:45164:HTTP2-41#_AdminVHost] [STDERR] [WebAdmin Console] Failed Login Attempt - username:asdasd ip:42.42.42.42 url:",
        "2022-06-08 22:49:21.000000 [INFO] [1226033] [config:server] Server started",
    ];
    assert_eq!(
        crate::detect::detect(&lines, &JsonFieldMap::default()),
        Some(Format::ErrorLog)
    );
}

proptest! {
    /// Whatever follows a well-formed time and level, a line is read or
    /// rejected, never a panic.
    #[test]
    fn any_message_is_read_or_rejected(
        frac in "[0-9]{1,9}",
        level in "(NOTICE|INFO|STDERR|ERROR|X)",
        rest in "[\\[\\]#:. a-zA-Z0-9\u{e9}\u{1F600}-]{0,80}",
    ) {
        let line = format!("2024-03-01 10:00:00.{frac} [{level}] {rest}");
        let _ = parsed(&line);
        let line = format!("2024-03-01 10:00:00.{frac} [{level}]{rest}");
        let _ = parsed(&line);
    }
}
