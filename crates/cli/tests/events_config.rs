//! `haboob events --config/--targets`: events are read as `hunt` reads them,
//! so a trusted-proxy config changes `source.ip` in `events` exactly as it
//! changes the sources `hunt` alerts on; the JSON field map and the sites of
//! `targets.toml` apply the same way, and both files are found beside the
//! logs as for `hunt`.

mod common;

use common::run;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/125.0";
const LB: &str = "10.0.0.5";
const SCANNER: &str = "198.51.100.7";

/// nginx `main` format behind the balancer 10.0.0.5: 3 visitors with 3
/// pages each, and 20 distinct 404s from 198.51.100.7 (which spoofs a left
/// part of the header). Lines sorted by time; (line, client).
fn write_log(dir: &Path) -> Vec<&'static str> {
    let mut v: Vec<(u32, String, &'static str)> = Vec::new();
    for (i, visitor) in ["192.0.2.10", "192.0.2.11", "2001:db8:1::7"]
        .into_iter()
        .enumerate()
    {
        for (j, page) in ["/", "/news/", "/contact/"].into_iter().enumerate() {
            let sec = (i * 7 + j * 100) as u32;
            v.push((
                sec,
                format!(r#""GET {page} HTTP/1.1" 200 512 "-" "{BROWSER}" "{visitor}""#),
                visitor,
            ));
        }
    }
    for k in 0..20u32 {
        v.push((
            30 + k / 2,
            format!(r#""GET /old-site/page-{k}.html HTTP/1.1" 404 512 "-" "{BROWSER}" "203.0.113.50, {SCANNER}""#),
            SCANNER,
        ));
    }
    v.sort_by_key(|l| l.0);
    let text: String = v
        .iter()
        .map(|(sec, rest, _)| {
            format!(
                "{LB} - - [01/May/2024:10:{:02}:{:02} +0000] {rest}\n",
                sec / 60,
                sec % 60
            )
        })
        .collect();
    std::fs::write(dir.join("access.log"), text).unwrap();
    v.into_iter().map(|l| l.2).collect()
}

const PROXY: &str = "[ingest.proxy]\ntrusted = [\"10.0.0.0/24\"]\n";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `haboob events ARGS`: every printed object, the exit status and stderr.
fn events(args: &[&str]) -> (Vec<Value>, Option<i32>, String) {
    let mut a = vec!["events"];
    a.extend_from_slice(args);
    let out = run(&a, None);
    let objs = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        objs,
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `source.ip` of each printed event, in order.
fn sources(objs: &[Value]) -> Vec<String> {
    objs.iter()
        .map(|o| o["source.ip"].as_str().unwrap().to_string())
        .collect()
}

/// The source of each alert of `haboob hunt -O jsonl ARGS`.
fn hunt_sources(args: &[&str]) -> BTreeSet<(String, String)> {
    let mut a = vec!["hunt", "-O", "jsonl"];
    a.extend_from_slice(args);
    let out = run(&a, None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|o| o["kind"] == "alert")
        .map(|o| {
            (
                o["detector"].as_str().unwrap().to_string(),
                o["source"]["ip"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The sources `events` gives the 404 lines (the scanner's requests).
fn scanner_sources(objs: &[Value]) -> BTreeSet<(String, String)> {
    objs.iter()
        .filter(|o| o["http.response.status_code"] == 404)
        .map(|o| {
            (
                "web.scan".to_string(),
                o["source.ip"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn proxy_config_changes_sources_as_in_hunt() {
    let dir = tempfile::tempdir().unwrap();
    let clients = write_log(dir.path());
    let log = dir.path().join("access.log");
    let cfg = dir.path().join("proxy.toml");
    std::fs::write(&cfg, PROXY).unwrap();

    // Without the config: the balancer, for every line, in both commands.
    let (plain, code, _) = events(&[s(&log)]);
    assert_eq!(code, Some(0));
    assert_eq!(sources(&plain), vec![LB; clients.len()]);
    let hunt_plain = hunt_sources(&[s(&log)]);
    assert_eq!(hunt_plain, BTreeSet::from([("web.scan".into(), LB.into())]));
    assert_eq!(scanner_sources(&plain), hunt_plain);

    // With it: each line's own client; hunt alerts the scanner's address.
    let (proxied, code, _) = events(&["--config", s(&cfg), s(&log)]);
    assert_eq!(code, Some(0));
    assert_eq!(sources(&proxied), clients);
    let hunt_proxied = hunt_sources(&["--config", s(&cfg), s(&log)]);
    assert_eq!(
        hunt_proxied,
        BTreeSet::from([("web.scan".into(), SCANNER.into())])
    );
    assert_eq!(scanner_sources(&proxied), hunt_proxied);
    // The header as logged stays visible.
    assert_eq!(
        proxied[clients.iter().position(|c| *c == SCANNER).unwrap()]["http.request.forwarded"],
        format!("203.0.113.50, {SCANNER}")
    );

    // `haboob.toml` beside the logs is used as by `hunt`, and said so.
    std::fs::write(dir.path().join("haboob.toml"), PROXY).unwrap();
    let (beside, code, err) = events(&[s(dir.path())]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("haboob.toml (found beside the logs; --config overrides)"),
        "{err}"
    );
    let beside: Vec<Value> = beside
        .into_iter()
        .filter(|o| o["log.file.path"].as_str().unwrap().ends_with("access.log"))
        .collect();
    assert_eq!(sources(&beside), clients);
}

#[test]
fn json_field_map_and_targets_apply() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.json");
    std::fs::write(
        &app,
        r#"{"time":"2024-05-01T10:00:00Z","peer_addr":"192.0.2.44","request":"GET /x HTTP/1.1","status":200}"#,
    )
    .unwrap();
    let (objs, code, err) = events(&[s(&app)]);
    assert_eq!((objs.len(), code), (0, Some(2)));
    assert!(err.contains("not a log"), "{err}");
    let cfg = dir.path().join("fields.toml");
    std::fs::write(&cfg, "[ingest.json_fields]\nsource_ip = [\"peer_addr\"]\n").unwrap();
    let (objs, code, _) = events(&["-c", s(&cfg), s(&app)]);
    assert_eq!(code, Some(0));
    assert_eq!(sources(&objs), ["192.0.2.44"]);
    assert_eq!(objs[0]["url.path"], "/x");

    // A combined log has no site: targets.toml's `paths` give it, else the
    // file's name (no host-like folder here).
    write_log(dir.path());
    let t = dir.path().join("t.toml");
    std::fs::write(
        &t,
        "[[target]]\nname = \"news.example\"\nsector = \"news\"\npaths = [\"access.log\"]\n",
    )
    .unwrap();
    let log = dir.path().join("access.log");
    let (objs, _, _) = events(&[s(&log)]);
    assert!(!objs.is_empty());
    assert!(objs.iter().all(|o| o["destination.domain"] == "access.log"));
    let (objs, _, _) = events(&["--targets", s(&t), s(&log)]);
    assert!(objs
        .iter()
        .all(|o| o["destination.domain"] == "news.example"));
}
