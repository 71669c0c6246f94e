//! Agreement with CrowdSec's hub scenario tests (`crowdsec/.tests` in the
//! real-data corpus; skipped without it, see `haboob-testdata`),
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
    "auth.burst",
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
    case(
        "http-admin-interface-probing",
        &["web.admin_enum", "web.exploit"],
    ),
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

/// Marks the pins of logs in a format haboob does not read.
const UNREAD: &str = "the file is refused as of unknown format";

// Reasons shared by several pins.
const DOVECOT_FEW: &str = "4 IMAP/POP failures in 30 min to 1.5 h; auth.brute_force needs 10 on one account within a day (or 5 within a minute), and a hostile source 5 bad accounts: at 4 slow attempts a hunt would flag every mail client with a stale password";

/// (case, source, reason): CrowdSec flags the source, haboob does not.
const KNOWN_DISAGREEMENTS: &[(&str, &str, &str)] = &[
    ("http-generic-test", "127.0.0.1", "CrowdSec's own installation self-test marker path (/crowdsec-test-…), not an attack; one 404 is not scanning"),
    ("http-technology-probing", "10.0.0.1", "one 404 and one 403 on vendor fingerprint paths; a lone technology probe is below web.scan's bars (10 distinct 4xx, or 4 WordPress probes) and too weak to alert on"),
    ("http-technology-probing", "10.0.0.2", "a single 403 on /crx/packmgr/service.jsp is below web.scan's bars; a lone technology probe is too weak to alert on"),
    ("dovecot-slow-bf", "192.0.2.1", DOVECOT_FEW),
    ("dovecot-slow-bf-no-overlap", "192.0.2.1", DOVECOT_FEW),
    ("dovecot-slow-bf-user-enum", "192.0.2.1", DOVECOT_FEW),
    ("dovecot-time-based-bf", "198.51.100.1", DOVECOT_FEW),
    ("dovecot-time-based-bf-user-enum", "198.51.100.1", DOVECOT_FEW),
    ("nginx-mail-bf", "5.34.207.182", "4 SMTP AUTH attempts on 4 names in 13 s, each refused as `AUTH not supported` (no password was checked); below auth.burst's 5 failures within a minute and auth.enumeration's 10 names"),
    ("postfix-honeypot-users", "203.0.113.10", HONEYPOT),
    ("postfix-honeypot-users", "203.0.113.20", HONEYPOT),
    ("postfix-honeypot-users", "203.0.113.30", HONEYPOT),
    ("postfix-honeypot-users", "203.0.113.40", HONEYPOT),
    ("postfix-honeypot-users", "203.0.113.50", HONEYPOT),
    ("postfix-honeypot-users", "203.0.113.60", HONEYPOT),
    ("postfix-honeypot-users", "203.0.113.70", HONEYPOT),
    ("postfix-honeypot-users", "203.0.113.80", HONEYPOT),
    ("postfix-honeypot-users", "203.0.113.90", HONEYPOT),
    ("postfix-sasl-bf", "203.0.113.42", "3 SASL failures in 3 s with no account name; below every auth threshold (a burst is 5 failures within a minute; 10 failures on one account, 5 bad accounts)"),
    ("ssh-time-based-bf", "10.0.0.101", "4 nonexistent names over one hour, below auth.enumeration's 10 names and never 5 failures within a minute (auth.burst); haboob instead groups 10.0.0.100-103 as one /24 actor (7 names) and reports auth.takeover of test, which signed in from 10.0.0.102 after that actor probed it"),
];

/// The held-back split of the HTTP cases (issue 12, item 2), a fixed rule
/// written before looking at results: sort the HTTP case names (those whose
/// detectors are all `web.*`) byte-wise; every third one, starting at index
/// 2, is held back, the rest is the development set. Every case of this
/// corpus was seen while the web detectors were developed, before the split
/// existed, so the held-back score here is optimistic; `bench/crowdsec_unseen.sh`
/// scores hub cases that are not in the corpus.
fn held_back(sorted_http_names: &[&'static str]) -> (Vec<&'static str>, Vec<&'static str>) {
    let mut dev = Vec::new();
    let mut held = Vec::new();
    for (i, n) in sorted_http_names.iter().enumerate() {
        if i % 3 == 2 {
            held.push(*n);
        } else {
            dev.push(*n);
        }
    }
    (dev, held)
}

/// HTTP cases where haboob's flagged sources differ from CrowdSec's (pinned
/// ones included: a pin explains a disagreement, it does not remove it).
const DEV_DISAGREE: &[&str] = &["http-generic-test"];
const HELD_DISAGREE: &[&str] = &["http-technology-probing"];

fn is_http(c: &Case) -> bool {
    c.detectors.iter().all(|d| d.starts_with("web."))
}

const HONEYPOT: &str = "9 sources, one SASL failure each on a list of decoy names; haboob has no decoy-account list, and one attempt per source is below every auth threshold";

/// What a case's `scenario.assert` expects.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    /// `len(results) == N` (or the highest `results[i]` + 1).
    overflows: usize,
    /// Source addresses named anywhere in the assertions.
    sources: BTreeSet<IpAddr>,
    /// Scenario names (`GetScenario() == "author/name"`), first seen first.
    scenarios: Vec<String>,
}

/// Addresses as `a, b`.
fn list(ips: &BTreeSet<IpAddr>) -> String {
    ips.iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
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
        if let Some(i) = line.find("GetScenario() == ") {
            if let Some(name) = first_quoted(&line[i..]) {
                if !e.scenarios.iter().any(|x| x == name) {
                    e.scenarios.push(name.to_string());
                }
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
    assert!(e.scenarios.is_empty());
    let e = parse_assert("results[0].Overflow.Alert.GetScenario() == \"a/x\"\nresults[1].Overflow.Alert.GetScenario() == \"a/x\"\n");
    assert_eq!(e.scenarios, vec!["a/x".to_string()]);
    // No len(): the highest index counts.
    assert_eq!(
        parse_assert("results[3].Overflow.Alert.Remediation == true").overflows,
        4
    );
}

#[test]
fn crowdsec_cases_agree() {
    let Some(corpus) = haboob_testdata::corpus_or_skip("crowdsec_cases_agree") else {
        return;
    };
    let tests = corpus.join("crowdsec/.tests");
    let tests = tests.display();
    // Every folder of the corpus is covered.
    let mut folders: Vec<String> = std::fs::read_dir(tests.to_string())
        .expect("corpus")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    names.sort();
    assert_eq!(folders, names, "every hub test folder has a case");

    let mut failures = Vec::new();
    // HTTP cases whose flagged sources equal CrowdSec's exactly.
    let mut exact: BTreeSet<&str> = BTreeSet::new();
    let mut rows = vec![
        "| case | CrowdSec scenario | CrowdSec flags | haboob flags (detector) | verdict |"
            .to_string(),
        "|---|---|---|---|---|".to_string(),
    ];
    for c in CASES {
        let dir = format!("{tests}/{}", c.name);
        let assert = std::fs::read_to_string(format!("{dir}/scenario.assert")).unwrap();
        let expected = parse_assert(&assert);
        assert!(
            expected.overflows > 0 && !expected.sources.is_empty(),
            "{}: no overflow or source read from scenario.assert",
            c.name
        );
        let report = run(&format!("{dir}/{}", log_file(&dir)));
        let hits: Vec<_> = report
            .alerts
            .iter()
            .filter(|a| c.detectors.contains(&a.detector.as_str()))
            .collect();
        let flagged: BTreeSet<IpAddr> = hits.iter().filter_map(|a| a.source.ip).collect();
        let hit_detectors: BTreeSet<&str> = hits.iter().map(|a| a.detector.as_str()).collect();
        let pins: Vec<(IpAddr, &str)> = KNOWN_DISAGREEMENTS
            .iter()
            .filter(|(n, _, _)| *n == c.name)
            .map(|(_, ip, why)| (ip.parse().unwrap(), *why))
            .collect();
        let pinned: BTreeSet<IpAddr> = pins.iter().map(|p| p.0).collect();
        let want: BTreeSet<IpAddr> = expected.sources.difference(&pinned).copied().collect();
        let ok = flagged == want;
        if flagged == expected.sources {
            exact.insert(c.name);
        }
        let fired: BTreeSet<String> = report.alerts.iter().map(|a| a.detector.clone()).collect();
        eprintln!(
            "{:<33} parsed={} rejected={} errors={} fired={:?} {}",
            c.name,
            report.stats.parsed,
            report.stats.rejected,
            report.errors.len(),
            fired,
            if ok { "ok" } else { "DISAGREE" }
        );
        let reasons: BTreeSet<&str> = pins.iter().map(|p| p.1).collect();
        // A pin that blames the format holds only while the file is refused.
        if reasons.iter().any(|r| r.contains(UNREAD)) {
            assert!(
                report.stats.parsed == 0 && report.errors.iter().any(|e| e.contains("format")),
                "{}: pinned as an unread format but read: {:?}",
                c.name,
                report.errors
            );
        }
        let verdict = match (ok, pinned.is_empty()) {
            (false, _) => "**DISAGREE**".to_string(),
            (true, true) => "agree".to_string(),
            (true, false) if want.is_empty() => {
                format!(
                    "pinned: {}",
                    reasons.into_iter().collect::<Vec<_>>().join("; ")
                )
            }
            (true, false) => format!(
                "agree on {}; pinned {}: {}",
                list(&want),
                list(&pinned),
                reasons.into_iter().collect::<Vec<_>>().join("; ")
            ),
        };
        rows.push(format!(
            "| {} | {} | {} | {} | {} |",
            c.name,
            expected.scenarios.join(", "),
            list(&expected.sources),
            if flagged.is_empty() {
                "none".to_string()
            } else {
                format!(
                    "{} ({})",
                    list(&flagged),
                    hit_detectors.into_iter().collect::<Vec<_>>().join(", ")
                )
            },
            verdict
        ));
        if !ok {
            failures.push(c.name);
        }
    }
    eprintln!("\n{}\n", rows.join("\n"));
    for (n, ip, _) in KNOWN_DISAGREEMENTS {
        let c = CASES
            .iter()
            .find(|c| c.name == *n)
            .expect("pinned case exists");
        let dir = format!("{tests}/{}", c.name);
        let e = parse_assert(&std::fs::read_to_string(format!("{dir}/scenario.assert")).unwrap());
        let ip: IpAddr = ip.parse().unwrap();
        assert!(
            e.sources.contains(&ip),
            "{n}: {ip} not expected by CrowdSec"
        );
    }
    assert!(failures.is_empty(), "disagreements: {failures:?}");

    // Held-back split of the HTTP cases: both scores, exact lists.
    let mut http: Vec<&'static str> = CASES
        .iter()
        .filter(|c| is_http(c))
        .map(|c| c.name)
        .collect();
    http.sort();
    assert_eq!(http.len(), 26);
    let (dev, held) = held_back(&http);
    assert_eq!(
        held,
        [
            "apache2-http-sensitive-files",
            "envoy-http-bad-user-agent",
            "http-bf-wordpress-bf",
            "http-technology-probing",
            "http-wordpress_wpconfig",
            "nginx-http-backdoor",
            "nginx-http-open-proxy",
            "nginx-http-sqli-probing",
        ]
    );
    for (set, cases, want_disagree) in [
        ("development", &dev, DEV_DISAGREE),
        ("held-back", &held, HELD_DISAGREE),
    ] {
        let disagree: Vec<&str> = cases
            .iter()
            .copied()
            .filter(|n| !exact.contains(n))
            .collect();
        eprintln!(
            "{set} set: {} of {} HTTP cases agree exactly (disagree: {disagree:?})",
            cases.len() - disagree.len(),
            cases.len()
        );
        assert_eq!(disagree, want_disagree, "{set} set");
    }
}
