//! `web.probe`: the residue of `web.sensitive` and `web.admin_enum` below
//! their thresholds, and POSTs to scripts that do not exist; exact hits and
//! near misses.

use super::*;

const MIN: i64 = 60_000;
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

fn post(t: i64, ip: &'static str, path: &str, status: u16) -> Ev {
    Ev {
        method: "POST",
        ..ev(t, ip, path, status)
    }
}

fn with_ua(e: Ev, ua: &'static str) -> Ev {
    Ev { ua, ..e }
}

/// (family, count, source) of each `web.probe` alert, sorted.
fn probe_alerts(cfg: &WebConfig, evs: &[Ev]) -> Vec<(String, u64, String)> {
    let mut v: Vec<_> = run_cfg(cfg, evs, "web.probe")
        .iter()
        .map(|a| {
            assert_eq!(a.severity, Severity::Low, "{}", a.title);
            assert_eq!(a.techniques, ["T1595.003"]);
            assert_eq!(a.target, "votes.example.gov");
            (
                a.details["family"].as_str().unwrap().to_string(),
                a.count,
                a.source.ip.unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn probes_of(evs: &[Ev]) -> Vec<(String, u64, String)> {
    probe_alerts(&WebConfig::default(), evs)
}

fn hit(family: &str, count: u64, ip: &str) -> (String, u64, String) {
    (family.to_string(), count, ip.to_string())
}

#[test]
fn one_secret_name_not_served_is_a_probe_not_a_sensitive_alert() {
    let e = [ev(0, "203.0.113.5", "/.env", 404)];
    let a = run(&e, "web.probe");
    assert_eq!(a.len(), 1);
    assert_eq!(
        a[0].title,
        "1 request for secret files, none served, (/.env) from 203.0.113.5 on votes.example.gov"
    );
    assert_eq!(a[0].details["distinct_paths"], 1);
    assert_eq!(a[0].evidence.len(), 1);
    assert!(run(&e, "web.sensitive").is_empty());
    // Each family of names, and a backup named after the site's host.
    let e = [
        ev(0, "198.51.100.1", "/.git/config", 403),
        ev(0, "198.51.100.2", "/db.sql", 404),
        ev(0, "198.51.100.3", "/votes.example.gov.tar.gz", 404),
        ev(0, "198.51.100.4", "/wallet.dat", 301),
    ];
    assert_eq!(
        probes_of(&e),
        [
            hit("backup", 1, "198.51.100.2"),
            hit("backup", 1, "198.51.100.3"),
            hit("secret", 1, "198.51.100.4"),
            hit("vcs", 1, "198.51.100.1"),
        ]
    );
}

#[test]
fn probe_near_misses() {
    let e = [
        // Config and status pages are asked for by people too.
        ev(0, "198.51.100.1", "/phpinfo.php", 404),
        ev(0, "198.51.100.2", "/server-status", 403),
        // Served: `web.sensitive`'s (critical), not a probe.
        ev(0, "198.51.100.3", "/.env", 200),
        // A crawler following a stale link.
        with_ua(ev(0, "66.249.66.4", "/backup.zip", 404), GOOGLEBOT),
        // Ordinary missing pages.
        ev(0, "198.51.100.5", "/environment.html", 404),
        ev(0, "198.51.100.6", "/downloads/manual.zip", 404),
    ];
    assert!(probes_of(&e).is_empty());
    assert_eq!(run(&e, "web.sensitive").len(), 1);
    // Turned off.
    let mut cfg = WebConfig::default();
    cfg.sensitive.alert_on_single_probe = false;
    assert!(probe_alerts(&cfg, &[ev(0, "203.0.113.5", "/.env", 404)]).is_empty());
}

#[test]
fn a_probe_that_crosses_a_threshold_is_reported_once_by_that_detector() {
    let e = [
        ev(0, "203.0.113.5", "/.env", 404),
        ev(MIN, "203.0.113.5", "/.git/config", 404),
        ev(2 * MIN, "203.0.113.5", "/backup.zip", 404),
    ];
    assert!(probes_of(&e).is_empty());
    let s = run(&e, "web.sensitive");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].severity, Severity::Medium);
    assert_eq!(s[0].count, 3);
    // A name served after a probe: the critical alert alone.
    let e = [
        ev(0, "203.0.113.6", "/.env", 404),
        ev(MIN, "203.0.113.6", "/.env.bak", 200),
    ];
    assert!(probes_of(&e).is_empty());
    assert_eq!(run(&e, "web.sensitive")[0].severity, Severity::Critical);
}

#[test]
fn probes_in_separate_windows_are_separate_alerts() {
    // Four days apart: two episodes.
    let day = 24 * 60 * MIN;
    let e = [
        ev(0, "137.184.154.55", "/.env", 404),
        ev(4 * day, "137.184.154.55", "/.env", 404),
    ];
    assert_eq!(
        probes_of(&e),
        [
            hit("secret", 1, "137.184.154.55"),
            hit("secret", 1, "137.184.154.55")
        ]
    );
    // Kept alive by a request within the quiet time, the episode still ends
    // with its window (5 min from its first request), as an unfired one
    // restarts: two names 6 min apart are no threshold crossed.
    let e = [
        ev(0, "203.0.113.5", "/.env", 404),
        ev(4 * MIN, "203.0.113.5", "/.env", 404),
        ev(6 * MIN, "203.0.113.5", "/.git/HEAD", 404),
        ev(7 * MIN, "203.0.113.5", "/backup.zip", 404),
    ];
    assert_eq!(
        probes_of(&e),
        [
            hit("secret", 2, "203.0.113.5"),
            hit("vcs", 2, "203.0.113.5")
        ]
    );
    assert!(run(&e, "web.sensitive").is_empty());
}

#[test]
fn admin_page_of_a_product_the_site_does_not_run() {
    let e = [
        ev(0, "43.229.113.3", "/phpmyadmin", 404),
        ev(0, "78.81.250.6", "/wp-login.php", 404),
        ev(5_000, "78.81.250.6", "/wp-login.php", 404),
        ev(0, "18.216.158.175", "/administrator/index.php", 410),
    ];
    assert_eq!(
        probes_of(&e),
        [
            hit("admin", 1, "18.216.158.175"),
            hit("admin", 1, "43.229.113.3"),
            hit("admin", 2, "78.81.250.6"),
        ]
    );
    let a = run(&e[..1], "web.probe");
    assert_eq!(
        a[0].title,
        "1 request for admin pages of products the site does not run (/phpmyadmin) \
         from 43.229.113.3 on votes.example.gov"
    );
    // Near misses: generic names, a product the site runs, other answers,
    // a crawler.
    let quiet = [
        ev(0, "198.51.100.1", "/admin", 404),
        ev(0, "198.51.100.2", "/login", 404),
        ev(0, "198.51.100.3", "/wp-login.php", 200),
        ev(0, "198.51.100.4", "/phpmyadmin", 403),
        ev(0, "198.51.100.5", "/wp-admin", 301),
        with_ua(ev(0, "66.249.66.6", "/xmlrpc.php", 404), GOOGLEBOT),
    ];
    assert!(probes_of(&quiet).is_empty());
    // The same request from outside Google's networks is no crawler's.
    let forged = [with_ua(
        ev(0, "198.51.100.6", "/xmlrpc.php", 404),
        GOOGLEBOT,
    )];
    let hits: Vec<(u64, String)> = probes_of(&forged).into_iter().map(|h| (h.1, h.2)).collect();
    assert_eq!(hits, [(1, "198.51.100.6".to_string())]);
    // The same request from outside Google's networks is no crawler's.
    let forged = [with_ua(
        ev(0, "198.51.100.4", "/backup.zip", 404),
        GOOGLEBOT,
    )];
    let hits: Vec<(u64, String)> = probes_of(&forged).into_iter().map(|h| (h.1, h.2)).collect();
    assert_eq!(hits, [(1, "198.51.100.4".to_string())]);
    // Enumeration is `web.admin_enum`'s alone.
    let e: Vec<Ev> = [
        "/wp-login.php",
        "/phpmyadmin",
        "/admin",
        "/administrator",
        "/pma",
    ]
    .iter()
    .enumerate()
    .map(|(i, p)| ev(i as i64 * 1000, "203.0.113.9", p, 404))
    .collect();
    assert!(probes_of(&e).is_empty());
    assert_eq!(run(&e, "web.admin_enum").len(), 1);
    let mut cfg = WebConfig::default();
    cfg.admin_enum.alert_on_single_probe = false;
    assert!(probe_alerts(&cfg, &e[..1]).is_empty());
}

#[test]
fn posts_to_scripts_the_site_does_not_have() {
    let e = [
        post(0, "222.187.72.209", "/inc/config.asp", 404),
        post(3_000, "222.187.72.209", "/inc/config.asp", 404),
        post(0, "183.143.55.39", "/plus/mytag_js.php", 404),
        post(0, "183.143.48.155", "/admin/Databackup/a.aspx", 410),
    ];
    assert_eq!(
        probes_of(&e),
        [
            hit("script", 1, "183.143.48.155"),
            hit("script", 1, "183.143.55.39"),
            hit("script", 2, "222.187.72.209"),
        ]
    );
    let a = run(&e[..2], "web.probe");
    assert_eq!(
        a[0].title,
        "2 POSTs to scripts the site does not have (/inc/config.asp) \
         from 222.187.72.209 on votes.example.gov"
    );
    assert_eq!(a[0].details["distinct_paths"], 1);
    let quiet = [
        // A GET of a missing script is a broken link as often as a probe.
        ev(0, "198.51.100.1", "/inc/config.asp", 404),
        // A form that exists.
        post(0, "198.51.100.2", "/contact.php", 200),
        // Rejected, not missing.
        post(0, "198.51.100.3", "/xmlrpc.php", 403),
        // Not a script.
        post(0, "198.51.100.4", "/api/items", 404),
        post(0, "198.51.100.5", "/form.html", 404),
        with_ua(post(0, "66.249.66.6", "/x.php", 404), GOOGLEBOT),
    ];
    assert!(probes_of(&quiet).is_empty());
    // The same request from outside Google's networks is no crawler's.
    let forged = [with_ua(post(0, "198.51.100.6", "/x.php", 404), GOOGLEBOT)];
    let hits: Vec<(u64, String)> = probes_of(&forged).into_iter().map(|h| (h.1, h.2)).collect();
    assert_eq!(hits, [(1, "198.51.100.6".to_string())]);
    let mut cfg = WebConfig::default();
    cfg.script_probe.enabled = false;
    assert!(probe_alerts(&cfg, &e).is_empty());
}

#[test]
fn files_of_products_the_site_does_not_run() {
    let head = |t, ip, path| Ev {
        method: "HEAD",
        ..ev(t, ip, path, 404)
    };
    let e = [
        ev(0, "203.0.113.1", "/data/admin/allowurl.txt", 404),
        ev(1_000, "203.0.113.1", "/uc_client/client.php", 404),
        head(0, "203.0.113.2", "/wp-includes/wlwmanifest.xml"),
        ev(0, "203.0.113.3", "/sites/all/modules/x/README.txt", 410),
        // A script POST in the same episode makes it a `script` one.
        ev(0, "203.0.113.4", "/templets/default/style/dedecms.css", 404),
        post(2_000, "203.0.113.4", "/plus/mytag_js.php", 404),
        // Case and percent-encoding folded.
        ev(0, "203.0.113.5", "/WP-Includes/js/jquery/jquery.js", 404),
        ev(0, "203.0.113.6", "/%5Fvti_bin/shtml.exe", 404),
    ];
    assert_eq!(
        probes_of(&e),
        [
            hit("fingerprint", 1, "203.0.113.2"),
            hit("fingerprint", 1, "203.0.113.3"),
            hit("fingerprint", 1, "203.0.113.5"),
            hit("fingerprint", 1, "203.0.113.6"),
            hit("fingerprint", 2, "203.0.113.1"),
            hit("script", 2, "203.0.113.4"),
        ]
    );
    let a = run(&e[..2], "web.probe");
    assert_eq!(
        a[0].title,
        "2 requests for files of products the site does not run \
         (/data/admin/allowurl.txt, /uc_client/client.php) \
         from 203.0.113.1 on votes.example.gov"
    );
    let quiet = [
        // Served: the site runs WordPress.
        ev(
            0,
            "198.51.100.1",
            "/wp-includes/js/wp-emoji-release.min.js",
            200,
        ),
        ev(0, "198.51.100.2", "/wp-content/themes/x/style.css", 304),
        // Generic names, not one product's.
        ev(0, "198.51.100.3", "/readme.html", 404),
        ev(0, "198.51.100.4", "/license.txt", 404),
        // Uploads are linked from other sites; a missing one is a broken link.
        ev(0, "198.51.100.5", "/wp-content/uploads/2019/01/a.jpg", 404),
        // A longer name that only starts like a product folder.
        ev(0, "198.51.100.6", "/dedex/index.html", 404),
        // Refused, not missing; and a crawler's stale link.
        ev(0, "198.51.100.7", "/uc_server/", 403),
        with_ua(ev(0, "66.249.66.8", "/wp-includes/", 404), GOOGLEBOT),
        // Not a read.
        Ev {
            method: "OPTIONS",
            ..ev(0, "198.51.100.9", "/wp-includes/", 404)
        },
    ];
    assert!(probes_of(&quiet).is_empty(), "{:?}", probes_of(&quiet));
    // The same request from outside Google's networks is no crawler's.
    let forged = [with_ua(
        ev(0, "198.51.100.8", "/wp-includes/", 404),
        GOOGLEBOT,
    )];
    let hits: Vec<(u64, String)> = probes_of(&forged).into_iter().map(|h| (h.1, h.2)).collect();
    assert_eq!(hits, [(1, "198.51.100.8".to_string())]);
    let mut cfg = WebConfig::default();
    cfg.script_probe.fingerprints = false;
    assert_eq!(probe_alerts(&cfg, &e), [hit("script", 1, "203.0.113.4")]);
    cfg.script_probe.fingerprints = true;
    cfg.script_probe.extra_fingerprint_paths = vec!["/Acme-CMS/".into()];
    assert_eq!(
        probe_alerts(&cfg, &[ev(0, "203.0.113.9", "/acme-cms/x.js", 404)]),
        [hit("fingerprint", 1, "203.0.113.9")]
    );
}
