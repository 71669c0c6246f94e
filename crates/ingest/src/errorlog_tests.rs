use super::*;

fn waf(line: &str) -> WafEvent<'_> {
    match ErrorLog(1).parse_rec(line, None).unwrap() {
        Parsed::Event(EventRef::Waf(w)) => w,
        other => panic!("not a WAF event: {other:?} for {line}"),
    }
}

fn directive(line: &str) {
    assert!(
        matches!(ErrorLog(1).parse_rec(line, None), Ok(Parsed::Directive)),
        "{line}"
    );
}

#[test]
fn nginx_access_rules_modsecurity_and_naxsi() {
    let w = waf(
        r#"2026/09/02 04:40:13 [error] 1234#1234: *88 access forbidden by rule, client: 198.51.100.23, server: vote.oh.example, request: "GET /.git/config HTTP/1.1", host: "vote.oh.example""#,
    );
    assert_eq!(w.ts.to_string(), "2026-09-02T04:40:13.000Z");
    assert_eq!(w.source_ip.to_string(), "198.51.100.23");
    assert_eq!(
        (w.method, w.path, w.site),
        ("GET", "/.git/config", "vote.oh.example")
    );
    assert_eq!(
        (w.engine, w.rule, w.message, w.blocked),
        ("nginx", "", "access forbidden by rule", true)
    );

    let w = waf(
        r#"2026/09/02 04:41:00 [warn] 12#12: *3 [client 203.0.113.50] ModSecurity: Access denied with code 403 (phase 2). Matched "Operator `Ge' with parameter `5' against variable `TX:ANOMALY_SCORE' (Value: `5' ) [file "/etc/modsecurity/crs/REQUEST-949-BLOCKING-EVALUATION.conf"] [line "80"] [id "949110"] [rev ""] [msg "Inbound Anomaly Score Exceeded (Total Score: 5)"] [data ""] [severity "2"] [ver "OWASP_CRS/3.3.4"] [maturity "0"] [accuracy "0"] [tag "application-multi"] [hostname "10.0.0.5"] [uri "/index.php"] [unique_id "169"] [ref ""], client: 203.0.113.50, server: news.example, request: "GET /index.php?id=1%27%20or%201=1 HTTP/1.1", host: "news.example""#,
    );
    assert_eq!(w.source_ip.to_string(), "203.0.113.50");
    assert_eq!(
        (w.engine, w.rule, w.blocked),
        ("modsecurity", "949110", true)
    );
    assert_eq!(w.message, "Inbound Anomaly Score Exceeded (Total Score: 5)");
    assert_eq!(
        (w.method, w.path, w.site),
        ("GET", "/index.php", "news.example")
    );

    let w = waf(
        r#"2026/09/02 05:00:01 [error] 7#0: *9 NAXSI_FMT: ip=192.0.2.77&server=votes.example.gov&uri=/search&vers=1.3&total_processed=10&total_blocked=3&block=1&cscore0=$SQL&score0=8&zone0=ARGS&id0=1000&var_name0=q, client: 192.0.2.77, server: votes.example.gov, request: "GET /search?q=1'%20union HTTP/1.1", host: "votes.example.gov""#,
    );
    assert_eq!(
        (w.engine, w.rule, w.message, w.blocked),
        ("naxsi", "1000", "$SQL", true)
    );
    assert_eq!((w.path, w.site), ("/search", "votes.example.gov"));
    assert_eq!(w.source_ip.to_string(), "192.0.2.77");

    // Other error-log lines are read, not events.
    directive(
        r#"2026/09/02 05:00:02 [error] 7#0: *10 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: 192.0.2.8, server: _, request: "GET /favicon.ico HTTP/1.1", host: "a""#,
    );
    directive("2026/09/02 05:00:03 [notice] 1#1: signal process started");
}

fn auth(line: &str) -> AuthEvent<'_> {
    match ErrorLog(1).parse_rec(line, None).unwrap() {
        Parsed::Event(EventRef::Auth(a)) => a,
        other => panic!("not an auth event: {other:?} for {line}"),
    }
}

#[test]
fn basic_auth_failures_are_sign_in_failures() {
    for (line, user, class, ip) in [
        (r#"2021/09/30 09:23:53 [error] 1925800#1925800: *17 user "Foo" was not found in "/tmp/a.htpasswd", client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", host: "localhost""#, "foo", FailureClass::UnknownUser, "127.0.0.1"),
        (r#"2021/09/30 09:23:54 [error] 19#19: *18 user "admin": password mismatch, client: 192.0.2.4, server: a, request: "GET /private/ HTTP/1.1", host: "a""#, "admin", FailureClass::BadPassword, "192.0.2.4"),
        ("[Thu Jul 11 01:21:43 2013] [error] [client 194.228.20.113] user dsfasdf not found: /", "dsfasdf", FailureClass::UnknownUser, "194.228.20.113"),
        ("[Sat Jul 20 21:39:11.978080 2013] [auth_basic:error] [pid 17512:tid 140123053950720] [client 127.0.0.1:51390] AH01617: user username: authentication failure for \"/basic/file\": Password Mismatch", "username", FailureClass::BadPassword, "127.0.0.1"),
        ("[Sat Jul 20 21:44:06.867985 2013] [auth_digest:error] [pid 17540:tid 140123070736128] [client 127.0.0.1:51406] AH01792: user username: password mismatch: /digest/cant_get_me.html", "username", FailureClass::BadPassword, "127.0.0.1"),
        ("[Wed Jul 17 23:50:37 2013] [error] [client 2001:db8::1] Digest: user root: password mismatch: /d", "root", FailureClass::BadPassword, "2001:db8::1"),
    ] {
        let a = auth(line);
        assert_eq!(a.user, user, "{line}");
        assert_eq!(a.failure, Some(class), "{line}");
        assert_eq!(a.outcome, AuthOutcome::Failure);
        assert_eq!(a.dataset, "auth.http_basic");
        assert_eq!(a.source_ip.unwrap().to_string(), ip);
    }
}

#[test]
fn access_lines_in_the_same_file_are_read_as_access_lines() {
    let line = r#"127.0.0.1 - test [06/Mar/2022:16:14:13 +0000] "POST /client HTTP/1.1" 401 141 "http://127.0.0.1/" "Mozilla/5.0""#;
    let Parsed::Event(EventRef::Web(w)) = ErrorLog(1).parse_rec(line, None).unwrap() else {
        panic!()
    };
    assert_eq!(
        (w.method, w.path, w.status, w.user),
        ("POST", "/client", 401, "test")
    );
}

#[test]
fn apache_layouts() {
    let w = waf("[Sun Sep 14 21:44:43.008606 2014] [authz_core:error] [pid 10691] [client 192.3.9.178:44271] AH01630: client denied by server configuration: /var/www/html/noentry/cant_get_me.html");
    assert_eq!(w.ts.to_string(), "2014-09-14T21:44:43.008Z");
    assert_eq!(w.source_ip.to_string(), "192.3.9.178");
    assert_eq!(
        (w.engine, w.path),
        ("apache", "/var/www/html/noentry/cant_get_me.html")
    );
    let w = waf("[Wed Jul 17 23:20:45 2013] [error] [client 2001:db8::5] client denied by server configuration: /srv/x");
    assert_eq!(w.source_ip.to_string(), "2001:db8::5");
    directive("[Wed Jul 17 23:20:45 2013] [error] [client 192.0.2.1] File does not exist: /var/www/favicon.ico");
    directive("[Sat May 09 00:35:52.389262 2020] [mpm_event:notice] [pid 1:tid 2] AH00489: Apache/2.4.41 configured -- resuming normal operations");
}

#[test]
fn other_lines_are_rejected_with_a_reason() {
    for (line, why) in [
        ("hello world", "not an nginx or Apache error-log line"),
        ("2026/09/02 04:40:13 [ERROR] x", "bad error-log level"),
        ("2026/13/02 04:40:13 [error] x", "bad error-log time: timestamp field out of range: month"),
        ("[Wed Foo 17 23:20:45 2013] [error] x", "not an nginx or Apache error-log line"),
        ("Feb 15 16:23:00 srv httpd[22034]: [authz_core:error] [client 192.0.2.1:58585] AH01630: x", "not an nginx or Apache error-log line"),
    ] {
        let e = ErrorLog(1).parse_rec(line, None).unwrap_err();
        assert!(e.reason.starts_with(why), "{line}: {}", e.reason);
    }
}
