//! Agreement with CrowdSec's hub scenario tests (shared/corpus/crowdsec/.tests):
//! every HTTP case's expected overflow sources must be flagged by the haboob
//! detector of the same intent, and no other source by that detector, except
//! the (case, source) pairs pinned in `KNOWN_DISAGREEMENTS` with a reason.

mod common;

use common::{parse_alb, parse_clf, parse_envoy_cri, run_file, Line};
use haboob_detect::web::{build, WebConfig};
use std::collections::BTreeSet;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/crowdsec/.tests"
);

type Parser = fn(&str) -> Option<Line>;

struct Case {
    /// Test folder.
    name: &'static str,
    /// Log file inside it.
    file: &'static str,
    parse: Parser,
    /// CrowdSec scenario(s) the case asserts.
    scenario: &'static str,
    /// haboob detectors of the same intent (any of them counts).
    detectors: &'static [&'static str],
    /// Sources CrowdSec's scenario.assert expects to overflow.
    expected: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "apache-cve-2021-41773",
        file: "apache-cve-2021-41773.log",
        parse: parse_clf,
        scenario: "http-cve-2021-41773",
        detectors: &["web.exploit"],
        expected: &["88.168.206.87", "172.17.0.2", "172.17.0.1"],
    },
    Case {
        name: "apache-http-probing",
        file: "apache-http-probing.log",
        parse: parse_clf,
        scenario: "http-probing",
        detectors: &["web.scan"],
        expected: &["172.17.0.1"],
    },
    Case {
        name: "apache2-http-sensitive-files",
        file: "apache2-http-sensitive-files.log",
        parse: parse_clf,
        scenario: "http-sensitive-files",
        detectors: &["web.sensitive"],
        expected: &["172.17.0.1"],
    },
    Case {
        name: "apache2-malformed",
        file: "apache2-logs.log",
        parse: parse_clf,
        scenario: "http-probing",
        detectors: &["web.scan"],
        expected: &["1.2.3.4"],
    },
    Case {
        name: "aws-alb-http-bad-user-agent",
        file: "aws-alb-http-bad-user-agent.log",
        parse: parse_alb,
        scenario: "http-bad-user-agent",
        detectors: &["web.scanner_ua"],
        expected: &["192.168.1.100"],
    },
    Case {
        name: "envoy-http-bad-user-agent",
        file: "envoy-http-bad-user-agent.log",
        parse: parse_envoy_cri,
        scenario: "http-bad-user-agent",
        detectors: &["web.scanner_ua"],
        expected: &["10.0.0.12"],
    },
    Case {
        name: "envoy-http-crawl-non_statics",
        file: "envoy-http-crawl-non_statics.log",
        parse: parse_envoy_cri,
        scenario: "http-crawl-non_statics",
        detectors: &["web.crawl"],
        expected: &["10.0.0.13"],
    },
    // Admin-interface probing: the probes include Cisco ASA's `/+CSCOE+/`, which
    // haboob reports as a CVE probe; either detector is the same intent.
    Case {
        name: "http-admin-interface-probing",
        file: "http-admin-interface-probing.log",
        parse: parse_clf,
        scenario: "http-admin-interface-probing",
        detectors: &["web.admin_enum", "web.exploit"],
        expected: &["157.230.234.189"],
    },
    Case {
        name: "http-bf-wordpress-bf",
        file: "http-bf-wordpress-bf.log",
        parse: parse_clf,
        scenario: "http-bf-wordpress_bf",
        detectors: &["web.login_bf"],
        expected: &["81.150.104.130"],
    },
    Case {
        name: "http-cve-probing",
        file: "http-cve-probing.log",
        parse: parse_clf,
        scenario: "http-cve-probing",
        detectors: &["web.exploit"],
        expected: &["127.0.0.1"],
    },
    Case {
        name: "http-generic-test",
        file: "http-generic-test.log",
        parse: parse_clf,
        scenario: "http-generic-test",
        detectors: &["web.scan"],
        expected: &["127.0.0.1"],
    },
    Case {
        name: "http-technology-probing",
        file: "http-technology-probing.log",
        parse: parse_clf,
        scenario: "http-technology-probing",
        detectors: &["web.scan"],
        expected: &["10.0.0.2", "10.0.0.1"],
    },
    Case {
        name: "http-wordpress-scan",
        file: "http-wordpress-scan.log",
        parse: parse_clf,
        scenario: "http-wordpress-scan",
        detectors: &["web.scan", "web.admin_enum"],
        expected: &["192.168.1.1", "127.0.0.1"],
    },
    Case {
        name: "http-wordpress_user-enum",
        file: "http-wordpress_user-enum.log",
        parse: parse_clf,
        scenario: "http-wordpress_user-enum",
        detectors: &["web.admin_enum"],
        expected: &["1.2.3.4"],
    },
    Case {
        name: "http-wordpress_wpconfig",
        file: "http-wordpress_wpconfig.log",
        parse: parse_clf,
        scenario: "http-wordpress_wpconfig",
        detectors: &["web.sensitive"],
        expected: &["167.71.13.196"],
    },
    Case {
        name: "nginx-bad-user-agent",
        file: "nginx-bad-user-agent.log",
        parse: parse_clf,
        scenario: "http-bad-user-agent",
        detectors: &["web.scanner_ua"],
        expected: &["127.0.0.1"],
    },
    Case {
        name: "nginx-cve-2021-41773",
        file: "cve-2021-41773.log",
        parse: parse_clf,
        scenario: "http-cve-2021-41773",
        detectors: &["web.exploit"],
        expected: &["23.94.26.138", "163.172.173.238"],
    },
    Case {
        name: "nginx-http-backdoor",
        file: "nginx-http-backdoor.log",
        parse: parse_clf,
        scenario: "http-backdoors-attempts",
        detectors: &["web.exploit"],
        expected: &["127.0.0.1"],
    },
    Case {
        name: "nginx-http-generic-bf",
        file: "nginx-http-generic-bf.log",
        parse: parse_clf,
        scenario: "http-generic-bf",
        detectors: &["web.login_bf"],
        expected: &["127.0.0.1"],
    },
    Case {
        name: "nginx-http-malformed",
        file: "nginx_http-logs.log",
        parse: parse_clf,
        scenario: "http-probing",
        detectors: &["web.scan"],
        expected: &["1.2.3.4"],
    },
    Case {
        name: "nginx-http-open-proxy",
        file: "nginx-http-open-proxy.log",
        parse: parse_clf,
        scenario: "http-open-proxy",
        detectors: &["web.exploit"],
        expected: &["127.0.0.1", "127.0.0.2"],
    },
    Case {
        name: "nginx-http-path-traversal",
        file: "nginx-http-path-traversal.log",
        parse: parse_clf,
        scenario: "http-path-traversal-probing",
        detectors: &["web.exploit"],
        expected: &["127.0.0.1"],
    },
    Case {
        name: "nginx-http-sensitive-files",
        file: "nginx-http-sensitive-files.log",
        parse: parse_clf,
        scenario: "http-sensitive-files",
        detectors: &["web.sensitive"],
        expected: &["127.0.0.1"],
    },
    Case {
        name: "nginx-http-sqli-probing",
        file: "nginx-http-sqli-probing.log",
        parse: parse_clf,
        scenario: "http-sqli-probing",
        detectors: &["web.exploit"],
        expected: &["127.0.0.1"],
    },
    Case {
        name: "nginx-http-w00twoot",
        file: "nginx-http-w00twoot.log",
        parse: parse_clf,
        scenario: "http-w00tw00t",
        detectors: &["web.exploit"],
        expected: &["127.0.0.1"],
    },
    Case {
        name: "nginx-http-xss-probing",
        file: "nginx-http-xss-probing.log",
        parse: parse_clf,
        scenario: "http-xss-probing",
        detectors: &["web.exploit"],
        expected: &["127.0.0.1"],
    },
    Case {
        name: "nginx-mail-bf",
        file: "nginx-mail-bf.log",
        parse: parse_clf,
        scenario: "mail-generic-bf",
        detectors: &["web.login_bf"],
        expected: &["5.34.207.182", "154.250.207.69"],
    },
];

/// (case, source, reason): CrowdSec flags the source, haboob deliberately does not.
const KNOWN_DISAGREEMENTS: &[(&str, &str, &str)] = &[
    ("apache-cve-2021-41773", "88.168.206.87", "the line is an Apache *error* log record (AH00126), not an access-log request; haboob's web detectors read access logs"),
    ("nginx-mail-bf", "5.34.207.182", "nginx mail-proxy error log (SMTP logins), not HTTP access; mail brute force belongs to the auth detectors"),
    ("nginx-mail-bf", "154.250.207.69", "nginx mail-proxy error log (SMTP logins), not HTTP access; mail brute force belongs to the auth detectors"),
    // nginx-http-generic-bf: CrowdSec expects 127.0.0.1 twice (error-log basic-auth
    // failures and six `POST /client` 401s in the access log); haboob's
    // web.login_bf flags the same source from the access-log lines alone.
    ("http-generic-test", "127.0.0.1", "CrowdSec's own installation self-test marker path (/crowdsec-test-…), not an attack; one 404 is not scanning"),
    ("http-technology-probing", "10.0.0.1", "one or two 404s on vendor fingerprint paths are below haboob's scanning threshold (10 distinct 4xx); a lone technology probe is too weak to alert on"),
    ("http-technology-probing", "10.0.0.2", "a single 403 on /crx/packmgr/service.jsp is below haboob's scanning threshold; a lone technology probe is too weak to alert on"),
    ("http-wordpress-scan", "192.168.1.1", "4 WordPress plugin 404s; haboob needs 10 distinct 4xx (web.scan) so that broken theme/plugin links of real visitors do not alert"),
    ("http-wordpress-scan", "127.0.0.1", "4 WordPress plugin 404s; haboob needs 10 distinct 4xx (web.scan) so that broken theme/plugin links of real visitors do not alert"),
    ("http-wordpress_user-enum", "1.2.3.4", "WordPress ?author=N user enumeration is account discovery, not covered by the web reconnaissance detectors yet"),
];

#[test]
fn crowdsec_http_cases_agree() {
    let mut failures = Vec::new();
    let mut rows = Vec::new();
    for c in CASES {
        let path = format!("{CORPUS}/{}/{}", c.name, c.file);
        let mut dets = build(&WebConfig::default());
        let run = run_file(&path, c.parse, &mut dets);
        let flagged: BTreeSet<String> = run
            .alerts
            .iter()
            .filter(|a| c.detectors.contains(&a.detector.as_str()))
            .filter_map(|a| a.source.ip.map(|ip| ip.to_string()))
            .collect();
        let pinned: BTreeSet<String> = KNOWN_DISAGREEMENTS
            .iter()
            .filter(|(n, _, _)| *n == c.name)
            .map(|(_, ip, _)| ip.to_string())
            .collect();
        let want: BTreeSet<String> = c
            .expected
            .iter()
            .map(|s| s.to_string())
            .filter(|s| !pinned.contains(s))
            .collect();
        let all_detectors: BTreeSet<&str> =
            run.alerts.iter().map(|a| a.detector.as_str()).collect();
        let ok = flagged == want;
        rows.push(format!(
            "{:<32} {:<28} {:<28} expected={:?} pinned={:?} haboob={:?} parsed={} rejected={} fired={:?} {}",
            c.name,
            c.scenario,
            c.detectors.join("|"),
            c.expected,
            pinned,
            flagged,
            run.parsed,
            run.rejected,
            all_detectors,
            if ok { "AGREE" } else { "DISAGREE" }
        ));
        if !ok {
            failures.push(c.name);
        }
    }
    eprintln!("{}", rows.join("\n"));
    // Every pin must name a real expected source of a listed case.
    for (n, ip, _) in KNOWN_DISAGREEMENTS {
        let c = CASES
            .iter()
            .find(|c| c.name == *n)
            .expect("pinned case exists");
        assert!(
            c.expected.contains(ip),
            "{n}: {ip} not expected by CrowdSec"
        );
    }
    assert!(failures.is_empty(), "disagreements: {failures:?}");
}
