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
fn common_access_lines_mixed_in_are_read_too() {
    let line = r#"172.17.0.1 - - [11/Oct/2021:06:40:52 +0000] "POST /cgi-bin/x HTTP/1.1" 200 7"#;
    let Parsed::Event(EventRef::Web(w)) = ErrorLog(1).parse_rec(line, None).unwrap() else {
        panic!()
    };
    assert_eq!(
        (
            w.source_ip.to_string().as_str(),
            w.method,
            w.path,
            w.status,
            w.bytes
        ),
        ("172.17.0.1", "POST", "/cgi-bin/x", 200, 7)
    );
}

fn web(line: &str) -> WebEvent<'_> {
    match ErrorLog(1).parse_rec(line, None).unwrap() {
        Parsed::Event(EventRef::Web(w)) => w,
        other => panic!("not a request: {other:?} for {line}"),
    }
}

#[test]
fn requests_apache_refused_are_the_400s_they_were() {
    let w = web("[Fri Oct 08 17:08:41.203277 2021] [core:error] [pid 7005:tid 1] [client 88.168.206.87:14532] AH00126: Invalid URI in request GET /cgi-bin/.%2E/%2E%2E/etc/passwd?x=1 HTTP/1.1 ");
    assert_eq!(w.ts.to_string(), "2021-10-08T17:08:41.203Z");
    assert_eq!(
        (
            w.source_ip.to_string().as_str(),
            w.method,
            w.path,
            w.query,
            w.protocol,
            w.status
        ),
        (
            "88.168.206.87",
            "GET",
            "/cgi-bin/.%2E/%2E%2E/etc/passwd",
            "x=1",
            "HTTP/1.1",
            400
        )
    );
    let w = web("[Tue Oct 05 12:00:00.000001 2021] [core:error] [pid 7:tid 8] [client 192.0.2.7:1] AH10244: invalid URI path (/icons/.%2e/%2e%2e/etc/passwd)");
    assert_eq!(
        (w.method, w.path, w.status),
        ("", "/icons/.%2e/%2e%2e/etc/passwd", 400)
    );
    // Near misses: no client, a request line that is no request, no target.
    directive("[Fri Oct 08 17:08:41.203277 2021] [core:error] [pid 7005:tid 1] AH00126: Invalid URI in request GET /x HTTP/1.1");
    directive("[Fri Oct 08 17:08:41.203277 2021] [core:error] [pid 7005:tid 1] [client 192.0.2.1:1] AH00126: Invalid URI in request get /x HTTP/1.1");
    directive("[Fri Oct 08 17:08:41.203277 2021] [core:error] [pid 7005:tid 1] [client 192.0.2.1:1] AH00126: Invalid URI in request GET");
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
        // Through syslog: another program, a web server's line of neither
        // layout, a bad date (see `lines_relayed_through_syslog`).
        ("Feb 15 16:23:00 srv sshd[22034]: Accepted password for bob from 192.0.2.1 port 1 ssh2", "syslog line of a program other than a web server"),
        ("Feb 15 16:23:00 srv apache2[22034]: hello world", "not an nginx or Apache error-log message in syslog"),
        ("Feb 30 16:23:00 srv apache2[22034]: [authz_core:error] [client 192.0.2.1:58585] AH01630: x", "bad syslog time: timestamp field out of range: day"),
    ] {
        let e = ErrorLog(1).parse_rec(line, None).unwrap_err();
        assert!(e.reason.starts_with(why), "{line}: {}", e.reason);
    }
}

/// The current UTC year (year-less syslog dates take it).
fn year_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    Ts::from_secs(now as i64).to_string()[..4].to_owned()
}

#[test]
fn lines_relayed_through_syslog() {
    // Apache's own time inside the message wins over the header's.
    let w = waf(
        r#"Nov 28 10:00:01 web1 apache2[1234]: [Tue Nov 28 10:00:00.123456 2023] [security2:error] [pid 1234] [client 203.0.113.5:5000] ModSecurity: Access denied with code 403 (phase 2). Pattern match "union select" at ARGS:q. [file "/etc/modsecurity/rules.conf"] [line "12"] [id "942100"] [msg "SQL Injection Attack"] [hostname "news.example"] [uri "/search"] [unique_id "ZWX"]"#,
    );
    assert_eq!(w.ts.to_string(), "2023-11-28T10:00:00.123Z");
    assert_eq!(w.source_ip.to_string(), "203.0.113.5");
    assert_eq!(
        (w.engine, w.rule, w.path, w.site, w.blocked),
        ("modsecurity", "942100", "/search", "news.example", true)
    );
    // Apache to syslog writes no time: the header's (with a priority).
    let w = waf("<163>Jan  1 00:00:01 web1 httpd[77]: [authz_core:error] [pid 77:tid 78] [client 198.51.100.4:40000] AH01630: client denied by server configuration: /var/www/html/.git/config");
    assert_eq!(
        w.ts.to_string(),
        format!("{}-01-01T00:00:01.000Z", year_now())
    );
    assert_eq!(
        (w.engine, w.path, w.source_ip.to_string().as_str()),
        ("apache", "/var/www/html/.git/config", "198.51.100.4")
    );
    // The same as `Feb 15 16:23:00 srv httpd[22034]: …`, once rejected.
    directive(
        "Feb 15 16:23:00 srv httpd[22034]: [authz_core:error] [client 192.0.2.1:58585] AH01630: x",
    );
    directive("Jan  1 00:00:02 web1 apache2[5]: [mpm_event:notice] [pid 5:tid 6] AH00489: Apache/2.4.58 (Ubuntu) configured -- resuming normal operations");
    // An unpadded day; a basic-auth failure.
    let a = auth("Jan 1 00:00:03 web1 apache2[5]: [auth_basic:error] [pid 5] [client 192.0.2.9:1000] AH01618: user Bob not found: /admin");
    assert_eq!(
        (a.user.as_ref(), a.failure, a.source_ip.unwrap().to_string()),
        (
            "bob",
            Some(FailureClass::UnknownUser),
            "192.0.2.9".to_string()
        )
    );
    assert_eq!(
        a.ts.to_string(),
        format!("{}-01-01T00:00:03.000Z", year_now())
    );
    // nginx (RFC 3339 header; nginx's own time with its year).
    let w = waf(
        r#"2024-05-01T10:00:09+02:00 web1 nginx: 2024/05/01 10:00:00 [error] 12#12: *3 access forbidden by rule, client: 192.0.2.7, server: vote.example, request: "GET /.env HTTP/1.1", host: "vote.example""#,
    );
    assert_eq!(w.ts.to_string(), "2024-05-01T10:00:00.000Z");
    assert_eq!(
        (w.engine, w.path, w.site),
        ("nginx", "/.env", "vote.example")
    );
    // An access line logged through syslog.
    let line = r#"May  1 10:00:00 web1 nginx: 192.0.2.8 - - [01/May/2024:10:00:00 +0000] "GET /login HTTP/1.1" 200 5 "-" "ua""#;
    let Parsed::Event(EventRef::Web(w)) = ErrorLog(1).parse_rec(line, None).unwrap() else {
        panic!("{line}")
    };
    assert_eq!(
        (w.path, w.status, w.ts.to_string().as_str()),
        ("/login", 200, "2024-05-01T10:00:00.000Z")
    );
    // The nginx mail proxy's lines stay the sign-in parser's.
    let e = ErrorLog(1)
        .parse_rec(r#"Apr  2 13:39:51 mx nginx: 2022/04/02 13:39:51 [info] 8#8: *1 client login failed: "Authentication credentials invalid" while in http auth state, client: 192.0.2.1, server: 0.0.0.0:25, login: "a@example.com""#, None)
        .unwrap_err();
    assert_eq!(e.reason, "nginx mail proxy line, not a web error-log line");
}
