//! `web.sweep` on hand-built traffic: the distributed sweep fires once with
//! every source, and the benign many-source patterns stay quiet.

use super::*;
use haboob_model::{Severity, Ts};
use std::net::IpAddr;

const SITE: &str = "shop.example.org";
const HOUR: i64 = 3_600_000;
const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

#[derive(Clone)]
struct E {
    t: i64,
    ip: IpAddr,
    method: &'static str,
    path: String,
    status: u16,
    bytes: u64,
    ua: &'static str,
}

fn e(t: i64, ip: IpAddr, method: &'static str, path: &str, status: u16, ua: &'static str) -> E {
    E {
        t,
        ip,
        method,
        path: path.to_string(),
        status,
        bytes: if method == "HEAD" { 0 } else { 512 },
        ua,
    }
}

/// Address `i` of a spread: a different /16 for each.
fn addr(i: u32) -> IpAddr {
    let a = 11 + (i / 250) % 200;
    let b = i % 250;
    format!("{a}.{b}.{}.{}", (i * 7) % 250, 1 + (i * 13) % 250)
        .parse()
        .unwrap()
}

fn run_with(cfg: &WebConfig, mut evs: Vec<E>) -> Vec<Alert> {
    evs.sort_by_key(|e| e.t);
    let mut d = WebDetectors::new(cfg);
    let mut out = Vec::new();
    for (i, x) in evs.iter().enumerate() {
        let w = WebEvent {
            ts: Ts(x.t),
            source_ip: x.ip,
            method: x.method,
            path: &x.path,
            query: "",
            status: x.status,
            bytes: x.bytes,
            user_agent: x.ua,
            referrer: "",
            site: SITE,
            user: "",
            forwarded: "",
            protocol: "",
        };
        let raw = format!("{} {} {}", x.ip, x.method, x.path);
        let o = Origin {
            file: "access.log",
            line: i as u64 + 1,
            raw: &raw,
        };
        d.observe(&EventRef::Web(w), &o, &mut out);
    }
    d.finish(&mut out);
    out.retain(|a| a.detector == "web.sweep");
    out
}

fn run(evs: Vec<E>) -> Vec<Alert> {
    run_with(&WebConfig::default(), evs)
}

const ARCHIVES: &[&str] = &[
    "/www.zip",
    "/backup.tar.gz",
    "/shop.example.org.tar.gz",
    "/example.zip",
    "/2026.zip",
    "/db.sql",
    "/backup/site.rar",
];

/// `n` sources, each one or two HEAD requests with no user agent for
/// archive names, spread over ten hours, all 404.
fn sweep(n: u32, start: i64) -> Vec<E> {
    let mut v = Vec::new();
    for i in 0..n {
        let t = start + i64::from(i) * 10 * HOUR / i64::from(n);
        let ip = addr(i);
        v.push(e(
            t,
            ip,
            "HEAD",
            ARCHIVES[i as usize % ARCHIVES.len()],
            404,
            "-",
        ));
        if i % 2 == 0 {
            let p = ARCHIVES[(i as usize + 3) % ARCHIVES.len()];
            v.push(e(t + 1500, ip, "HEAD", p, 404, ""));
        }
    }
    v
}

#[test]
fn distributed_head_sweep_is_one_alert_with_every_source() {
    let evs = sweep(320, 0);
    let want: Vec<IpAddr> = {
        let mut s: Vec<IpAddr> = (0..320).map(addr).collect();
        s.sort();
        s
    };
    let a = run(evs);
    assert_eq!(a.len(), 1, "{a:#?}");
    let a = &a[0];
    assert_eq!(a.source.members, want);
    assert_eq!(a.source.ip, Some(want[0]));
    assert_eq!(a.source.prefix, None);
    assert_eq!(a.severity, Severity::Medium);
    assert_eq!(a.count, 480);
    assert_eq!(a.target, SITE);
    assert_eq!(a.techniques, ["T1595.003", "T1083"]);
    let d = &a.details;
    assert_eq!(d["sources_total"], 320);
    assert_eq!(d["light_sources"], 320);
    assert_eq!(d["fingerprint"]["method"], "HEAD");
    assert_eq!(d["fingerprint"]["user_agent"], serde_json::Value::Null);
    assert_eq!(d["fingerprint"]["path_family"], "backup/secret file");
    assert_eq!(
        d["path_families"],
        serde_json::json!({"backup/archive": 480})
    );
    assert_eq!(d["distinct_paths"], 7);
    assert_eq!(d["answered_share"], 0.0);
    assert_eq!(d["unanswered_share"], 1.0);
    // `/shop.example.org.tar.gz` and `/example.zip` are built from the host.
    assert!(d["site_derived_requests"].as_u64().unwrap() > 100);
    let spread = d["time_spread_secs"].as_u64().unwrap();
    assert!((35_000..36_001).contains(&spread), "{spread}");
    assert!(a.title.starts_with(
        "Distributed backup/secret file sweep on shop.example.org: 320 sources, HEAD with no user agent, 7 paths"
    ), "{}", a.title);
    assert_eq!(a.evidence.len(), 10);
}

#[test]
fn a_served_archive_makes_it_high_and_names_it() {
    let mut evs = sweep(40, 0);
    evs.push(e(HOUR, addr(500), "GET", "/backup.tar.gz", 200, "-"));
    evs.last_mut().unwrap().bytes = 48_213_332;
    let a = run(evs);
    // The served GET is another fingerprint than the HEAD sweep.
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].severity, Severity::Medium);
    assert_eq!(a[0].details["sources_total"], 40);
    let mut evs = sweep(40, 0);
    let mut served = e(HOUR, addr(500), "HEAD", "/backup.tar.gz", 200, "");
    served.bytes = 48_213_332;
    evs.push(served);
    let a = run(evs);
    assert_eq!(a.len(), 1);
    // A HEAD answer has no body: answered, not served.
    assert_eq!(a[0].severity, Severity::Medium);
    let mut evs: Vec<E> = sweep(40, 0)
        .into_iter()
        .map(|mut x| {
            x.method = "GET";
            x
        })
        .collect();
    let mut served = e(HOUR, addr(500), "GET", "/backup.tar.gz", 200, "");
    served.bytes = 48_213_332;
    evs.push(served);
    let a = run(evs);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].severity, Severity::High);
    assert_eq!(
        a[0].details["served_paths"],
        serde_json::json!(["/backup.tar.gz"])
    );
    assert!(
        a[0].title.contains("1 served 2xx (/backup.tar.gz)"),
        "{}",
        a[0].title
    );
    assert_eq!(a[0].details["sources_total"], 41);
}

#[test]
fn secrets_and_archives_are_one_fingerprint_other_families_another() {
    let mut evs = sweep(30, 0);
    for i in 0..25 {
        let p = ["/wallet.dat", "/sftp-config.json", "/backup/.env"][i % 3];
        evs.push(e(
            i as i64 * 60_000,
            addr(1000 + i as u32),
            "HEAD",
            p,
            404,
            "",
        ));
    }
    for i in 0..22 {
        let p = ["/.git/config", "/.git/HEAD"][i % 2];
        evs.push(e(
            i as i64 * 60_000,
            addr(2000 + i as u32),
            "HEAD",
            p,
            404,
            "",
        ));
    }
    let mut a = run(evs);
    a.sort_by(|x, y| x.title.cmp(&y.title));
    assert_eq!(a.len(), 2);
    assert_eq!(
        a[0].details["fingerprint"]["path_family"],
        "VCS/config leak"
    );
    assert_eq!(a[0].source.members.len(), 22);
    assert_eq!(
        a[1].details["fingerprint"]["path_family"],
        "backup/secret file"
    );
    assert_eq!(a[1].source.members.len(), 55);
    assert_eq!(
        a[1].details["path_families"],
        serde_json::json!({"backup/archive": 45, "secret/credential file": 25})
    );
}

#[test]
fn below_the_source_threshold_or_outside_the_window_is_quiet() {
    assert!(run(sweep(19, 0)).is_empty());
    // 30 sources, but never more than 15 within 24 h.
    let mut evs = Vec::new();
    for i in 0..30u32 {
        evs.push(e(
            i64::from(i) * 2 * HOUR,
            addr(i),
            "HEAD",
            "/www.zip",
            404,
            "",
        ));
    }
    assert!(run(evs).is_empty());
    // The same 30 within the window fire.
    let mut evs = Vec::new();
    for i in 0..30u32 {
        evs.push(e(
            i64::from(i) * HOUR / 2,
            addr(i),
            "HEAD",
            "/www.zip",
            404,
            "",
        ));
    }
    assert_eq!(run(evs).len(), 1);
}

#[test]
fn heavy_sources_are_per_source_scanners_not_a_sweep() {
    // 25 sources with 20 requests each: every one is over the per-source limit.
    let mut evs = Vec::new();
    for i in 0..25u32 {
        for k in 0..20 {
            let p = format!("/backup/{k}.zip");
            evs.push(e(i64::from(i) * 60_000 + k, addr(i), "HEAD", &p, 404, ""));
        }
    }
    // Nor one wordlist walked from 25 addresses: each walk is heavy (the
    // per-source rules report them), and heavy walks do not link.
    assert!(run(evs).is_empty());
}

#[test]
fn answered_names_stay_quiet() {
    // A backup offered for download, fetched by 50 people: answered.
    let mut evs = Vec::new();
    for i in 0..50u32 {
        evs.push(e(
            i64::from(i) * 60_000,
            addr(i),
            "GET",
            "/backup/site.zip",
            200,
            "",
        ));
    }
    assert!(run(evs).is_empty());
}

#[test]
fn benign_many_source_patterns_stay_quiet() {
    let mut evs = Vec::new();
    // Browsers of one popular page, with their assets and the usual extras.
    for i in 0..400u32 {
        let ip = addr(i);
        let t = i64::from(i) * 30_000;
        evs.push(e(t, ip, "GET", "/sale/autumn", 200, BROWSER));
        evs.push(e(t + 200, ip, "GET", "/static/app.js", 200, BROWSER));
        evs.push(e(t + 300, ip, "GET", "/favicon.ico", 404, BROWSER));
        evs.push(e(t + 400, ip, "GET", "/apple-touch-icon.png", 404, BROWSER));
        evs.push(e(
            t + 500,
            ip,
            "GET",
            "/apple-touch-icon-precomposed.png",
            404,
            "",
        ));
        evs.push(e(t + 600, ip, "GET", "/robots.txt", 404, ""));
        evs.push(e(t + 700, ip, "GET", "/ads.txt", 404, ""));
        evs.push(e(t + 800, ip, "GET", "/.well-known/security.txt", 404, ""));
        evs.push(e(
            t + 900,
            ip,
            "GET",
            "/.well-known/traffic-advice",
            404,
            "",
        ));
    }
    // CDN health checks: the same path from 60 CDN addresses, 200, no UA.
    for k in 0..12 {
        for i in 0..60u32 {
            let ip: IpAddr = format!("104.16.{}.{}", i / 8, 10 + i).parse().unwrap();
            evs.push(e(
                k * 600_000 + i64::from(i),
                ip,
                "HEAD",
                "/health",
                200,
                "",
            ));
        }
    }
    // Verified crawlers: 40 addresses, normal paths, and a stale backup link (404).
    for i in 0..40u32 {
        let ip: IpAddr = format!("66.249.66.{}", 10 + i).parse().unwrap();
        let t = i64::from(i) * 300_000;
        evs.push(e(t, ip, "GET", &format!("/products/{i}"), 200, GOOGLEBOT));
        evs.push(e(t + 1000, ip, "GET", "/files/backup.zip", 404, GOOGLEBOT));
        evs.push(e(
            t + 2000,
            ip,
            "GET",
            "/old-catalogue.html",
            404,
            GOOGLEBOT,
        ));
    }
    // Uptime monitors from 25 probe addresses.
    for k in 0..30 {
        for i in 0..25u32 {
            let ip: IpAddr = format!("216.144.250.{}", 100 + i).parse().unwrap();
            evs.push(e(
                k * 300_000 + i64::from(i) * 11,
                ip,
                "HEAD",
                "/",
                200,
                "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
            ));
        }
    }
    let a = run(evs);
    assert!(a.is_empty(), "{a:#?}");
}

#[test]
fn configured_crawlers_and_thresholds_are_honoured() {
    let mut cfg = WebConfig::default();
    cfg.sweep.min_sources = 50;
    assert!(run_with(&cfg, sweep(40, 0)).is_empty());
    assert_eq!(run_with(&cfg, sweep(60, 0)).len(), 1);
    let cfg = WebConfig {
        sweep: SweepConfig {
            crawler_user_agents: vec!["ExampleArchiver".into()],
            ..SweepConfig::default()
        },
        ..WebConfig::default()
    };
    let evs: Vec<E> = sweep(40, 0)
        .into_iter()
        .map(|mut x| {
            x.ua = "ExampleArchiver/1.0";
            x
        })
        .collect();
    assert!(run_with(&cfg, evs.clone()).is_empty());
    assert_eq!(run(evs).len(), 1);
    let mut off = WebConfig::default();
    off.sweep.enabled = false;
    assert!(run_with(&off, sweep(40, 0)).is_empty());
    let mut bad = WebConfig::default();
    bad.sweep.min_unanswered_share = 1.5;
    assert!(bad.validate().is_err());
}

#[test]
fn a_sweep_forging_a_crawler_agent_is_seen() {
    // Googlebot's User-Agent from addresses outside Google's networks: the
    // agent is borrowed, the sweep is reported with it.
    let evs: Vec<E> = sweep(40, 0)
        .into_iter()
        .map(|mut x| {
            x.ua = GOOGLEBOT;
            x
        })
        .collect();
    let a = run(evs.clone());
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].source.members.len(), 40);
    assert_eq!(a[0].details["fingerprint"]["user_agent"], GOOGLEBOT);
    assert_eq!(
        a[0].details["fingerprint"]["borrowed_crawler_agent"],
        "Googlebot"
    );
    let want =
        format!("HEAD with Googlebot's user agent from outside its networks ({GOOGLEBOT:?})");
    assert!(a[0].title.contains(&want), "{}", a[0].title);
    // From Google's own networks the same requests are a crawler's.
    let real: Vec<E> = evs
        .into_iter()
        .enumerate()
        .map(|(i, mut x)| {
            x.ip = format!("66.249.{}.{}", 64 + i / 200, 1 + i % 200)
                .parse()
                .unwrap();
            x
        })
        .collect();
    assert!(run(real).is_empty());
}

#[test]
fn extra_names_from_a_rule_file_make_a_sweep() {
    // A sweep for an election office's own export names, which no built-in
    // list holds: quiet by default, one alert with the names added.
    let names = ["/ballots.csv.gz", "/voters/export.csv", "/voters/list.csv"];
    let evs: Vec<E> = (0..30u32)
        .map(|i| {
            let p = names[i as usize % names.len()];
            e(i64::from(i) * HOUR / 10, addr(i), "GET", p, 404, "")
        })
        .collect();
    assert!(run(evs.clone()).is_empty());
    let f = std::env::temp_dir().join(format!("haboob-sweep-extra-{}.toml", std::process::id()));
    std::fs::write(
        &f,
        "[backup]\ndump_extensions = [\".csv.gz\"]\n[secret]\nfolders = [\"/Voters/\"]\n",
    )
    .unwrap();
    let mut cfg = WebConfig::default();
    cfg.sweep.extra_rules = Some(f.display().to_string());
    assert!(cfg.validate().is_ok());
    let a = run_with(&cfg, evs);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].source.members.len(), 30);
    assert_eq!(
        a[0].details["path_families"],
        serde_json::json!({"backup/archive": 10, "secret/credential file": 20})
    );
    std::fs::write(&f, "[secret]\nfolders = [\"voters\"]\n").unwrap();
    let e = cfg.validate().unwrap_err().to_string();
    std::fs::remove_file(&f).ok();
    assert!(
        e.starts_with("web.sweep.extra_rules: rule file ")
            && e.ends_with("secret.folders[0] \"voters\": a folder starts and ends with '/'"),
        "{e}"
    );
}

#[test]
fn a_long_sweep_is_reported_per_window_and_a_quiet_one_ends() {
    // Two waves 30 h apart: two alerts (the first ends when quiet).
    let mut evs = sweep(30, 0);
    evs.extend(sweep(30, 30 * HOUR).into_iter().map(|mut x| {
        x.ip = match x.ip {
            IpAddr::V4(v) => IpAddr::V4(std::net::Ipv4Addr::from(u32::from(v) ^ 0x0000_8000)),
            v => v,
        };
        x
    }));
    let a = run(evs);
    assert_eq!(a.len(), 2);
    assert!(a[0].last_seen.0 < 11 * HOUR);
    assert!(a[1].first_seen.0 >= 30 * HOUR);
}

#[test]
fn memory_is_bounded() {
    let cfg = WebConfig {
        sweep: SweepConfig {
            max_sources_per_fingerprint: 50,
            max_members: 20,
            max_fingerprints: 8,
            ..SweepConfig::default()
        },
        ..WebConfig::default()
    };
    let a = run_with(&cfg, sweep(300, 0));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].source.members.len(), 20);
    assert_eq!(a[0].details["sources_total"], 50);
    assert_eq!(a[0].details["requests_beyond_source_cap"], 450 - 75);
    assert_eq!(a[0].count, 450);
    // Many fingerprints (one user agent each) never hold more than the cap.
    let mut d = sweep::WebSweep::new(&cfg.sweep, crawlers::Crawlers::of(&cfg.sweep), 10);
    let mut out = Vec::new();
    let mut req = request::Req::default();
    for i in 0..1000u32 {
        let ua = format!("tool-{i}");
        let w = WebEvent {
            ts: Ts(i64::from(i)),
            source_ip: addr(i),
            method: "HEAD",
            path: "/www.zip",
            query: "",
            status: 404,
            bytes: 0,
            user_agent: &ua,
            referrer: "",
            site: SITE,
            user: "",
            forwarded: "",
            protocol: "",
        };
        req.fill(&w);
        let o = Origin {
            file: "f",
            line: 1,
            raw: "r",
        };
        d.observe(&w, &req, &o, &mut out);
        assert!(d.tracked() <= 8);
    }
    assert!(out.is_empty());
}
