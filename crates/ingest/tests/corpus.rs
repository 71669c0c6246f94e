//! Every line of the real web logs in `shared/corpus` parses: exact parsed
//! and rejected counts per file, every rejection justified.

use haboob_ingest::{read_input, IngestError, Input, ReadOptions, ReadStats};
use haboob_model::EventRef;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn read(rel: &str) -> Result<ReadStats, IngestError> {
    let input = Input::File(format!("{CORPUS}/{rel}").into());
    let mut events = 0u64;
    let s = read_input(&input, &ReadOptions::default(), &|_| {}, &mut |ev, o| {
        let EventRef::Web(w) = ev else {
            panic!("web event expected")
        };
        assert!(o.line >= 1 && !o.raw.is_empty());
        assert!(w.status >= 100, "{rel}:{}: status {}", o.line, w.status);
        events += 1;
    })?;
    assert_eq!(s.lines, s.parsed + s.rejected, "{rel}");
    assert_eq!(events, s.events, "{rel}");
    Ok(s)
}

/// (file, detected format, parsed lines, rejected lines).
const FILES: &[(&str, &str, u64, u64)] = &[
    // line 1 is an Apache *error* log line ([Fri Oct 08 …] [core:error]), not an access log.
    (
        "crowdsec/.tests/apache-cve-2021-41773/apache-cve-2021-41773.log",
        "common",
        2,
        1,
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
    // lines 1-16 are nginx *error* log lines (`2021/09/30 … [error] … user "foo" was not found`); 17-22 are access lines.
    (
        "crowdsec/.tests/nginx-http-generic-bf/nginx-http-generic-bf.log",
        "combined",
        6,
        16,
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
    for &(file, format, parsed, rejected) in FILES {
        let s = read(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(s.formats.keys().collect::<Vec<_>>(), [format], "{file}");
        assert_eq!((s.parsed, s.rejected), (parsed, rejected), "{file}");
    }
}

#[test]
fn crowdsec_tests_with_web_log_types_are_all_covered() {
    let mut seen = Vec::new();
    for d in std::fs::read_dir(format!("{CORPUS}/crowdsec/.tests")).unwrap() {
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
                seen.push(f.strip_prefix(CORPUS).unwrap().display().to_string());
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
    let input =
        Input::File(format!("{CORPUS}/crowdsec/.tests/nginx-mail-bf/nginx-mail-bf.log").into());
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
    let input = Input::File(
        format!(
            "{CORPUS}/crowdsec/.tests/aws-alb-http-bad-user-agent/aws-alb-http-bad-user-agent.log"
        )
        .into(),
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
