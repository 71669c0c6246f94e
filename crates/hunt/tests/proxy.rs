//! End to end: a scanner behind a trusted load balancer is alerted under
//! its own address when `[ingest.proxy]` trusts the balancer, and under the
//! balancer's address without it. The same through Cloudflare's edge with
//! `presets = ["cloudflare"]`.

use haboob_hunt::{hunt, Config, HuntOptions};
use std::io::Write;

/// A combined log in nginx's `main` format (forwarding header last).
/// `lines`: (peer, forwarded, second, path, status, user agent).
fn log(lines: &[(&str, &str, u32, String, u16, &str)]) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".log").tempfile().unwrap();
    for (peer, fwd, sec, path, status, ua) in lines {
        let (m, s) = (sec / 60, sec % 60);
        writeln!(
            f,
            r#"{peer} - - [01/May/2024:10:{m:02}:{s:02} +0000] "GET {path} HTTP/1.1" {status} 512 "-" "{ua}" "{fwd}""#
        )
        .unwrap();
    }
    f.flush().unwrap();
    f
}

const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/125.0";

/// 20 distinct 404 paths in 10 seconds from `scanner`, seen through the
/// peers in `edges` (round robin), and five ordinary visitors through the
/// same peers, 3 pages each over 5 minutes.
fn traffic<'a>(
    edges: &[&'a str],
    scanner: &'a str,
) -> Vec<(&'a str, &'a str, u32, String, u16, &'a str)> {
    let mut v = Vec::new();
    const VISITORS: [&str; 5] = [
        "192.0.2.10",
        "192.0.2.11",
        "192.0.2.12",
        "2001:db8:1::7",
        "192.0.2.14",
    ];
    for (i, visitor) in VISITORS.iter().enumerate() {
        for (j, page) in ["/", "/news/", "/contact/"].iter().enumerate() {
            let sec = u32::try_from(i * 7 + j * 100).unwrap();
            v.push((
                edges[(i + j) % edges.len()],
                *visitor,
                sec,
                (*page).to_string(),
                200,
                BROWSER,
            ));
        }
    }
    for k in 0..20u32 {
        v.push((
            edges[k as usize % edges.len()],
            scanner,
            30 + k / 2,
            format!("/old-site/page-{k}.html"),
            404,
            BROWSER,
        ));
    }
    v.sort_by_key(|l| l.2);
    v
}

/// (detector, source) of every alert, sorted.
fn alerts(path: &std::path::Path, config: Config) -> Vec<(String, String)> {
    let inputs = haboob_ingest::discover(&[path.display().to_string()]).unwrap();
    let report = hunt(
        &inputs,
        &HuntOptions {
            config,
            ..HuntOptions::default()
        },
        &|_| {},
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!((report.stats.parsed, report.stats.rejected), (35, 0));
    let mut v: Vec<(String, String)> = report
        .alerts
        .iter()
        .map(|a| {
            let src = a.source.ip.map(|i| i.to_string()).unwrap_or_default();
            (a.detector.clone(), src)
        })
        .collect();
    v.sort();
    v
}

fn config(toml: &str) -> Config {
    Config::parse(toml, "test.toml").unwrap()
}

fn one(detector: &str, source: &str) -> Vec<(String, String)> {
    vec![(detector.to_string(), source.to_string())]
}

#[test]
fn scanner_behind_a_trusted_load_balancer() {
    // The balancer at 10.0.0.5 appends the address it saw; the scanner
    // spoofs a left part that must not be believed.
    let lines = traffic(&["10.0.0.5"], "203.0.113.50, 198.51.100.7");
    let f = log(&lines);
    assert_eq!(
        alerts(f.path(), Config::default()),
        one("web.scan", "10.0.0.5")
    );
    assert_eq!(
        alerts(
            f.path(),
            config("[ingest.proxy]\ntrusted = [\"10.0.0.0/24\"]\n")
        ),
        one("web.scan", "198.51.100.7")
    );
    // Trusting another network changes nothing: 10.0.0.5 is still the peer.
    assert_eq!(
        alerts(
            f.path(),
            config("[ingest.proxy]\ntrusted = [\"10.9.0.0/16\"]\n")
        ),
        one("web.scan", "10.0.0.5")
    );
    // The header read from another field: none here, so the balancer.
    assert_eq!(
        alerts(
            f.path(),
            config("[ingest.proxy]\ntrusted = [\"10.0.0.5\"]\ncombined_field = 0\n")
        ),
        one("web.scan", "10.0.0.5")
    );
}

#[test]
fn scanner_behind_cloudflare() {
    // Cloudflare's edge connects from many addresses; the scanner's
    // requests arrive through three of them.
    let edges = ["172.64.1.1", "162.158.9.9", "2a06:98c0:3600::103"];
    let lines = traffic(&edges, "198.51.100.7");
    let f = log(&lines);
    assert_eq!(
        alerts(
            f.path(),
            config("[ingest.proxy]\npresets = [\"cloudflare\"]\n")
        ),
        one("web.scan", "198.51.100.7")
    );
    // Without the preset, no edge address alone crosses the scan bar.
    assert_eq!(alerts(f.path(), Config::default()), vec![]);
}

#[test]
fn a_direct_client_cannot_spoof_its_way_out() {
    // Visitors come through the trusted balancer; the scanner connects
    // directly and sends a forwarding header naming someone else: the header
    // is ignored, it is alerted under its own address.
    let lines: Vec<_> = traffic(&["10.0.0.5"], "192.0.2.99")
        .into_iter()
        .map(|mut l| {
            if l.1 == "192.0.2.99" {
                l.0 = "198.51.100.7";
            }
            l
        })
        .collect();
    let f = log(&lines);
    let cfg = config("[ingest.proxy]\ntrusted = [\"10.0.0.0/8\"]\npresets = [\"cloudflare\"]\n");
    assert_eq!(alerts(f.path(), cfg), one("web.scan", "198.51.100.7"));
}
