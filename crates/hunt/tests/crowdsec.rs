//! Agreement with CrowdSec's hub scenario tests (shared/corpus/crowdsec/.tests),
//! through the real pipeline: `haboob_ingest::discover` + `haboob_hunt::hunt`
//! with auto-detected formats over each case's log file.
//!
//! For every case, the sources CrowdSec's `scenario.assert` expects to
//! overflow must be flagged by the haboob detector(s) of the same intent, and
//! no other source by those detectors, except the (case, source) pairs pinned
//! in `KNOWN_DISAGREEMENTS` with a reason. A pinned source that haboob does
//! flag fails the test too, so stale pins get removed.

use haboob_hunt::{hunt, HuntOptions, HuntReport};
use std::collections::BTreeSet;
use std::net::IpAddr;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/crowdsec/.tests"
);

/// One hub test folder and the haboob detectors of the same intent.
struct Case {
    /// Test folder under `.tests/`.
    name: &'static str,
    /// haboob detectors of the same intent (any of them counts).
    detectors: &'static [&'static str],
}

const fn case(name: &'static str, detectors: &'static [&'static str]) -> Case {
    Case { name, detectors }
}

const EXPLOIT: &[&str] = &["web.exploit"];
const SCAN: &[&str] = &["web.scan"];
const SENSITIVE: &[&str] = &["web.sensitive"];
const SCANNER_UA: &[&str] = &["web.scanner_ua"];
const LOGIN_BF: &[&str] = &["web.login_bf"];
/// Password guessing against accounts, in any of its shapes.
const AUTH_BF: &[&str] = &[
    "auth.brute_force",
    "auth.spray",
    "auth.stuffing",
    "auth.enumeration",
];

const CASES: &[Case] = &[
    // HTTP.
    case("apache-cve-2021-41773", EXPLOIT),
    case("apache-http-probing", SCAN),
    case("apache2-http-sensitive-files", SENSITIVE),
    case("apache2-malformed", SCAN),
    case("aws-alb-http-bad-user-agent", SCANNER_UA),
    case("envoy-http-bad-user-agent", SCANNER_UA),
    case("envoy-http-crawl-non_statics", &["web.crawl"]),
    // The probes include Cisco ASA's `/+CSCOE+/`, which haboob reports as a
    // CVE probe; either detector is the same intent.
    case("http-admin-interface-probing", &["web.admin_enum", "web.exploit"]),
    case("http-bf-wordpress-bf", LOGIN_BF),
    case("http-cve-probing", EXPLOIT),
    case("http-generic-test", SCAN),
    case("http-technology-probing", SCAN),
    case("http-wordpress-scan", &["web.scan", "web.admin_enum"]),
    case("http-wordpress_user-enum", &["web.user_enum"]),
    case("http-wordpress_wpconfig", SENSITIVE),
    case("nginx-bad-user-agent", SCANNER_UA),
    case("nginx-cve-2021-41773", EXPLOIT),
    case("nginx-http-backdoor", EXPLOIT),
    case("nginx-http-generic-bf", LOGIN_BF),
    case("nginx-http-malformed", SCAN),
    case("nginx-http-open-proxy", EXPLOIT),
    case("nginx-http-path-traversal", EXPLOIT),
    case("nginx-http-sensitive-files", SENSITIVE),
    case("nginx-http-sqli-probing", EXPLOIT),
    case("nginx-http-w00twoot", EXPLOIT),
    case("nginx-http-xss-probing", EXPLOIT),
    // Authentication.
    case("dovecot-slow-bf", AUTH_BF),
    case("dovecot-slow-bf-no-overlap", AUTH_BF),
    case("dovecot-slow-bf-user-enum", AUTH_BF),
    case("dovecot-time-based-bf", AUTH_BF),
    case("dovecot-time-based-bf-user-enum", AUTH_BF),
    case("exchange-imap-bf", AUTH_BF),
    case("exchange-pop-bf", AUTH_BF),
    case("exchange-smtp-bf", AUTH_BF),
    case("exim-bf", AUTH_BF),
    case("nginx-mail-bf", AUTH_BF),
    case("postfix-honeypot-users", AUTH_BF),
    case("postfix-sasl-bf", AUTH_BF),
    case("ssh-bf", AUTH_BF),
    case("ssh-slow-bf", AUTH_BF),
    case("ssh-time-based-bf", AUTH_BF),
    case("sshd-invalid-bf", AUTH_BF),
    case("windows-bf", AUTH_BF),
    case("zimbra-bf", AUTH_BF),
];

/// (case, source, reason): CrowdSec flags the source, haboob does not.
const KNOWN_DISAGREEMENTS: &[(&str, &str, &str)] = &[];

/// What a case's `scenario.assert` expects.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    /// `len(results) == N` (or the highest `results[i]` + 1).
    overflows: usize,
    /// Source addresses named anywhere in the assertions.
    sources: BTreeSet<IpAddr>,
}

/// The first `"…"` string in `s`.
fn first_quoted(s: &str) -> Option<&str> {
    let start = s.find('"')? + 1;
    let len = s[start..].find('"')?;
    Some(&s[start..start + len])
}

/// Read the overflow count and source addresses out of CrowdSec expr assertions.
fn parse_assert(text: &str) -> Expected {
    let mut e = Expected::default();
    let mut max_index = None;
    for line in text.lines().map(str::trim) {
        if let Some(n) = line.strip_prefix("len(results) == ") {
            e.overflows = n.trim().parse().expect("overflow count");
        }
        if let Some(i) = line.find("results[") {
            let rest = &line[i + "results[".len()..];
            if let Some(n) = rest.split(']').next().and_then(|n| n.parse::<usize>().ok()) {
                max_index = Some(max_index.map_or(n, |m: usize| m.max(n)));
            }
        }
        let candidate = if let Some(i) = line.find("GetMeta(\"source_ip\") == ") {
            first_quoted(&line[i + 24..])
        } else if line.starts_with('"') && line.contains(" in results[") {
            first_quoted(line)
        } else if let Some(i) = line.find("Sources[") {
            first_quoted(&line[i..])
        } else {
            None
        };
        if let Some(ip) = candidate.and_then(|c| c.parse().ok()) {
            e.sources.insert(ip);
        }
    }
    if e.overflows == 0 {
        e.overflows = max_index.map_or(0, |m| m + 1);
    }
    e
}

/// `log_file:` of a case's config.yaml.
fn log_file(case_dir: &str) -> String {
    let config = std::fs::read_to_string(format!("{case_dir}/config.yaml")).expect("config.yaml");
    config
        .lines()
        .find_map(|l| l.strip_prefix("log_file:"))
        .map(|f| f.trim().trim_matches('"').to_string())
        .expect("log_file in config.yaml")
}

fn run(path: &str) -> HuntReport {
    let inputs = haboob_ingest::discover(&[path.to_string()]).expect("discover");
    hunt(&inputs, &HuntOptions::default(), &|_| {})
}

#[test]
fn assertion_parser_reads_counts_and_sources() {
    let text = "len(results) == 2\n\
        \"1.2.3.4\" in results[0].Overflow.GetSources()\n\
        results[1].Overflow.Sources[\"5.6.7.8\"].IP == \"5.6.7.8\"\n\
        results[1].Overflow.Alert.Events[0].GetMeta(\"source_ip\") == \"9.9.9.9\"\n\
        results[1].Overflow.Alert.Events[0].GetMeta(\"http_path\") == \"10.0.0.1\"\n";
    let e = parse_assert(text);
    assert_eq!(e.overflows, 2);
    let want: BTreeSet<IpAddr> = ["1.2.3.4", "5.6.7.8", "9.9.9.9"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(e.sources, want);
    // No len(): the highest index counts.
    assert_eq!(parse_assert("results[3].Overflow.Alert.Remediation == true").overflows, 4);
}

#[test]
fn crowdsec_cases_agree() {
    // Every folder of the corpus is covered.
    let mut folders: Vec<String> = std::fs::read_dir(CORPUS)
        .expect("corpus")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    names.sort();
    assert_eq!(folders, names, "every hub test folder has a case");

    let mut failures = Vec::new();
    let mut rows = Vec::new();
    for c in CASES {
        let dir = format!("{CORPUS}/{}", c.name);
        let assert = std::fs::read_to_string(format!("{dir}/scenario.assert")).unwrap();
        let expected = parse_assert(&assert);
        let report = run(&format!("{dir}/{}", log_file(&dir)));
        let flagged: BTreeSet<IpAddr> = report
            .alerts
            .iter()
            .filter(|a| c.detectors.contains(&a.detector.as_str()))
            .filter_map(|a| a.source.ip)
            .collect();
        let pinned: BTreeSet<IpAddr> = KNOWN_DISAGREEMENTS
            .iter()
            .filter(|(n, _, _)| *n == c.name)
            .map(|(_, ip, _)| ip.parse().unwrap())
            .collect();
        let want: BTreeSet<IpAddr> = expected.sources.difference(&pinned).copied().collect();
        let fired: BTreeSet<&str> = report.alerts.iter().map(|a| a.detector.as_str()).collect();
        // An overflow whose source the assertions do not name: any flagged source agrees.
        let ok = if expected.sources.is_empty() && expected.overflows > 0 {
            !flagged.is_empty() || !pinned.is_empty()
        } else {
            flagged == want
        };
        rows.push(format!(
            "{:<33} n={} expected={:?} pinned={:?} haboob={:?} parsed={} rejected={} fired={:?} {}",
            c.name,
            expected.overflows,
            expected.sources,
            pinned,
            flagged,
            report.stats.parsed,
            report.stats.rejected,
            fired,
            if ok { "AGREE" } else { "DISAGREE" }
        ));
        if !ok {
            failures.push(c.name);
        }
    }
    eprintln!("{}", rows.join("\n"));
    for (n, ip, _) in KNOWN_DISAGREEMENTS {
        let c = CASES.iter().find(|c| c.name == *n).expect("pinned case exists");
        let dir = format!("{CORPUS}/{}", c.name);
        let e = parse_assert(&std::fs::read_to_string(format!("{dir}/scenario.assert")).unwrap());
        let ip: IpAddr = ip.parse().unwrap();
        assert!(e.sources.contains(&ip) || e.sources.is_empty(), "{n}: {ip} not expected by CrowdSec");
    }
    assert!(failures.is_empty(), "disagreements: {failures:?}");
}
