//! Every line of the real web logs in the real-data corpus parses: exact
//! parsed and rejected counts per file, every rejection justified. Skipped
//! without the corpus (see `haboob-testdata`).

use haboob_ingest::{read_input, IngestError, Input, ReadOptions, ReadStats};
use haboob_model::EventRef;
use haboob_testdata::corpus_or_skip;
use std::path::Path;

fn read(corpus: &Path, rel: &str) -> Result<ReadStats, IngestError> {
    let input = Input::File(corpus.join(rel));
    let mut events = 0u64;
    let s = read_input(&input, &ReadOptions::default(), &|_| {}, &mut |ev, o| {
        assert!(o.line >= 1 && !o.raw.is_empty());
        match ev {
            EventRef::Web(w) => {
                assert!(w.status >= 100, "{rel}:{}: status {}", o.line, w.status)
            }
            // Error logs: HTTP authentication failures and firewall denials.
            EventRef::Auth(a) => assert_eq!(a.dataset, "auth.http_basic"),
            EventRef::Waf(_) => {}
            EventRef::Win(_) => panic!("{rel}:{}: a Windows event in a web log", o.line),
            EventRef::Net(_) => panic!("{rel}:{}: a network event in a web log", o.line),
            EventRef::Audit(_) => panic!("{rel}:{}: an audit record in a web log", o.line),
            EventRef::Cloud(_) => panic!("{rel}:{}: a cloud audit event in a web log", o.line),
        }
        events += 1;
    })?;
    assert_eq!(s.lines, s.parsed + s.rejected, "{rel}");
    assert_eq!(events, s.events, "{rel}");
    Ok(s)
}

/// (file, detected format, parsed lines, rejected lines).
const FILES: &[(&str, &str, u64, u64)] = &[
    // line 1 is an Apache *error* log line ([Fri Oct 08 …] [core:error]),
    // the others common access-log lines: read as an error log, whole.
    (
        "crowdsec/.tests/apache-cve-2021-41773/apache-cve-2021-41773.log",
        "error-log",
        3,
        0,
    ),
    (
        "crowdsec/.tests/apache-http-probing/apache-http-probing.log",
        "common",
        77,
        0,
    ),
    (
        "crowdsec/.tests/apache2-http-sensitive-files/apache2-http-sensitive-files.log",
        "common",
        13,
        0,
    ),
    (
        "crowdsec/.tests/apache2-malformed/apache2-logs.log",
        "combined",
        11,
        0,
    ),
    (
        "crowdsec/.tests/aws-alb-http-bad-user-agent/aws-alb-http-bad-user-agent.log",
        "aws-alb",
        4,
        0,
    ),
    (
        "crowdsec/.tests/envoy-http-bad-user-agent/envoy-http-bad-user-agent.log",
        "json",
        2,
        0,
    ),
    (
        "crowdsec/.tests/envoy-http-crawl-non_statics/envoy-http-crawl-non_statics.log",
        "json",
        41,
        0,
    ),
    (
        "crowdsec/.tests/http-admin-interface-probing/http-admin-interface-probing.log",
        "combined",
        3,
        0,
    ),
    // syslog-wrapped nginx lines; line 10 is a blank line (only a space).
    (
        "crowdsec/.tests/http-bf-wordpress-bf/http-bf-wordpress-bf.log",
        "combined",
        9,
        1,
    ),
    (
        "crowdsec/.tests/http-cve-probing/http-cve-probing.log",
        "combined",
        3,
        0,
    ),
    (
        "crowdsec/.tests/http-generic-test/http-generic-test.log",
        "combined",
        1,
        0,
    ),
    // line 6 is empty.
    (
        "crowdsec/.tests/http-technology-probing/http-technology-probing.log",
        "combined",
        5,
        1,
    ),
    (
        "crowdsec/.tests/http-wordpress-scan/http-wordpress-scan.log",
        "combined",
        8,
        0,
    ),
    (
        "crowdsec/.tests/http-wordpress_user-enum/http-wordpress_user-enum.log",
        "combined",
        12,
        0,
    ),
    // syslog-wrapped nginx lines; line 15 is empty.
    (
        "crowdsec/.tests/http-wordpress_wpconfig/http-wordpress_wpconfig.log",
        "combined",
        14,
        1,
    ),
    (
        "crowdsec/.tests/nginx-bad-user-agent/nginx-bad-user-agent.log",
        "combined",
        3,
        0,
    ),
    (
        "crowdsec/.tests/nginx-cve-2021-41773/cve-2021-41773.log",
        "vhost-combined",
        2,
        0,
    ),
    (
        "crowdsec/.tests/nginx-http-backdoor/nginx-http-backdoor.log",
        "combined",
        2,
        0,
    ),
    // lines 1-16 are nginx *error* log lines (`2021/09/30 … [error] … user "foo" was not found`,
    // HTTP basic-auth failures); 17-22 are access lines in the same file.
    (
        "crowdsec/.tests/nginx-http-generic-bf/nginx-http-generic-bf.log",
        "error-log",
        22,
        0,
    ),
    (
        "crowdsec/.tests/nginx-http-malformed/nginx_http-logs.log",
        "combined",
        12,
        0,
    ),
    (
        "crowdsec/.tests/nginx-http-open-proxy/nginx-http-open-proxy.log",
        "combined",
        2,
        0,
    ),
    (
        "crowdsec/.tests/nginx-http-path-traversal/nginx-http-path-traversal.log",
        "combined",
        9,
        0,
    ),
    (
        "crowdsec/.tests/nginx-http-sensitive-files/nginx-http-sensitive-files.log",
        "combined",
        9,
        0,
    ),
    (
        "crowdsec/.tests/nginx-http-sqli-probing/nginx-http-sqli-probing.log",
        "combined",
        16,
        0,
    ),
    (
        "crowdsec/.tests/nginx-http-w00twoot/nginx-http-w00twoot.log",
        "combined",
        2,
        0,
    ),
    (
        "crowdsec/.tests/nginx-http-xss-probing/nginx-http-xss-probing.log",
        "combined",
        26,
        0,
    ),
    // line 8899 is truncated in the source: the user agent's closing quote is missing.
    ("weblogs/elastic-examples/apache_logs", "combined", 9999, 1),
    ("weblogs/secrepo/2021_all.log", "combined", 5854, 0),
    ("weblogs/secrepo/access-2018-12-15.log", "combined", 4961, 0),
];

#[test]
fn corpus_web_logs_parse() {
    let Some(corpus) = corpus_or_skip("corpus_web_logs_parse") else {
        return;
    };
    for &(file, format, parsed, rejected) in FILES {
        let s = read(&corpus, file).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(s.formats.keys().collect::<Vec<_>>(), [format], "{file}");
        assert_eq!((s.parsed, s.rejected), (parsed, rejected), "{file}");
    }
}

#[test]
fn crowdsec_tests_with_web_log_types_are_all_covered() {
    let Some(corpus) = corpus_or_skip("crowdsec_tests_with_web_log_types_are_all_covered") else {
        return;
    };
    let mut seen = Vec::new();
    for d in std::fs::read_dir(corpus.join("crowdsec/.tests")).unwrap() {
        let d = d.unwrap().path();
        let cfg = std::fs::read_to_string(d.join("config.yaml")).unwrap();
        let web = ["nginx", "apache2", "aws-alb", "containerd"];
        if !web
            .iter()
            .any(|t| cfg.contains(&format!("log_type: {t}\n")))
        {
            continue;
        }
        for f in std::fs::read_dir(&d).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "log") {
                seen.push(f.strip_prefix(&corpus).unwrap().display().to_string());
            }
        }
    }
    seen.sort();
    let mut listed: Vec<String> = FILES
        .iter()
        .filter(|f| f.0.starts_with("crowdsec"))
        .map(|f| f.0.to_owned())
        .collect();
    // nginx-mail-bf is an nginx *mail proxy error* log (log_type nginx, but no
    // access-log lines at all): it is read as a sign-in source, every line a
    // mail login failure.
    listed.push("crowdsec/.tests/nginx-mail-bf/nginx-mail-bf.log".to_owned());
    listed.sort();
    assert_eq!(seen, listed);
    let input = Input::File(corpus.join("crowdsec/.tests/nginx-mail-bf/nginx-mail-bf.log"));
    let mut auth = 0;
    let s = read_input(&input, &ReadOptions::default(), &|_| {}, &mut |ev, _| {
        let EventRef::Auth(a) = ev else {
            panic!("sign-in event expected")
        };
        assert_eq!(a.dataset, "auth.nginx_mail");
        auth += 1;
    })
    .unwrap();
    assert_eq!((s.parsed, s.rejected, auth), (11, 0, 11));
}

#[test]
fn corpus_fields_spot_checks() {
    let Some(corpus) = corpus_or_skip("corpus_fields_spot_checks") else {
        return;
    };
    let input = Input::File(
        corpus.join("crowdsec/.tests/aws-alb-http-bad-user-agent/aws-alb-http-bad-user-agent.log"),
    );
    let mut got = Vec::new();
    read_input(&input, &ReadOptions::default(), &|_| {}, &mut |ev, _| {
        let EventRef::Web(w) = ev else { panic!() };
        got.push(format!(
            "{} {} {} {} {}",
            w.source_ip, w.method, w.path, w.status, w.site
        ));
    })
    .unwrap();
    assert_eq!(got[0], "192.168.1.100 GET /robots.txt 200 www.example.com");
    assert_eq!(got[1], "192.168.1.100 HEAD /index.html 200 10.0.2.105");
}

/// fail2ban's labelled Apache error-log samples: every line a `failJSON`
/// comment marks as matching is read as a firewall/access-rule denial, an
/// HTTP authentication failure or a refused request (a 400) from the
/// labelled host at the labelled time.
/// Lines behind a syslog prefix are not read yet (rejected, counted).
#[test]
fn apache_error_logs_from_fail2ban() {
    use haboob_model::Parsed;
    let Some(corpus) = corpus_or_skip("apache_error_logs_from_fail2ban") else {
        return;
    };
    let dir = corpus.join("weblogs/fail2ban/logs");
    let mut tally = Vec::new();
    for name in [
        "apache-modsecurity",
        "apache-auth",
        "apache-noscript",
        "apache-botsearch",
        "apache-overflows",
        "apache-nohome",
        "apache-shellshock",
    ] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let mut p = haboob_ingest::Format::ErrorLog.parser(&Default::default());
        let mut label: Option<serde_json::Value> = None;
        let (mut waf, mut auth, mut web, mut other, mut syslog) = (0, 0, 0, 0, 0);
        for line in text.lines() {
            if let Some(j) = line.strip_prefix("# failJSON:") {
                label = serde_json::from_str(j.trim()).ok();
                continue;
            }
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let matching = label.take().filter(|l| l["match"] == true);
            let (ip, ts) = match p.parse(line) {
                Ok(Parsed::Event(EventRef::Waf(w))) => {
                    waf += 1;
                    (w.source_ip, w.ts)
                }
                Ok(Parsed::Event(EventRef::Auth(a))) => {
                    auth += 1;
                    (a.source_ip.unwrap(), a.ts)
                }
                Ok(Parsed::Event(EventRef::Web(w))) => {
                    web += 1;
                    (w.source_ip, w.ts)
                }
                Ok(Parsed::Directive) => {
                    other += 1;
                    continue;
                }
                Ok(other) => panic!("{name}: {other:?}"),
                Err(e) => {
                    let month = line.get(..4).is_some_and(|m| m.ends_with(' '));
                    assert!(month, "{name}: {line}: {}", e.reason);
                    syslog += 1;
                    continue;
                }
            };
            if let Some(l) = matching {
                assert_eq!(
                    ip.to_string(),
                    l["host"].as_str().unwrap(),
                    "{name}: {line}"
                );
                // A syslog header has no year (fail2ban's labels say 2005,
                // haboob takes the current one): compare from the month.
                let (ts, want) = (ts.to_string(), l["time"].as_str().unwrap());
                let from = if line.as_bytes()[0].is_ascii_uppercase() {
                    4
                } else {
                    0
                };
                assert!(ts[from..].starts_with(&want[from..]), "{name}: {line}");
            }
        }
        tally.push(format!(
            "{name}: {waf} waf, {auth} auth, {web} web, {other} other, {syslog} syslog"
        ));
    }
    assert_eq!(
        tally,
        [
            "apache-modsecurity: 4 waf, 0 auth, 0 web, 0 other, 0 syslog",
            // The 4 lines of `ErrorLog syslog` are read (3 denials, 1
            // unknown user).
            "apache-auth: 8 waf, 16 auth, 0 web, 21 other, 0 syslog",
            "apache-noscript: 0 waf, 0 auth, 0 web, 13 other, 0 syslog",
            "apache-botsearch: 1 waf, 0 auth, 0 web, 18 other, 0 syslog",
            // AH00126 and three AH10244: the refused path-traversal
            // requests (CVE-2021-41773/42013 shapes), as their 400s; the
            // Apache 2.2 lines of binary overflow garbage are no request.
            "apache-overflows: 0 waf, 0 auth, 4 web, 7 other, 0 syslog",
            "apache-nohome: 0 waf, 0 auth, 0 web, 2 other, 0 syslog",
            "apache-shellshock: 0 waf, 0 auth, 0 web, 2 other, 0 syslog",
        ]
    );
}
