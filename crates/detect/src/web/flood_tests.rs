//! `web.flood` on hand-built events: exact hits and near misses.

use super::*;
use haboob_model::{Severity, Ts};

struct Req<'a> {
    t: i64,
    ip: &'a str,
    path: String,
    query: String,
    ua: String,
}

fn req<'a>(t: i64, ip: &'a str, path: &str) -> Req<'a> {
    Req {
        t,
        ip,
        path: path.to_string(),
        query: String::new(),
        ua: "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0".to_string(),
    }
}

fn floods_cfg(cfg: &WebConfig, reqs: &[Req<'_>]) -> Vec<Alert> {
    let mut d = WebDetectors::new(cfg);
    let mut out = Vec::new();
    for (i, r) in reqs.iter().enumerate() {
        let w = WebEvent {
            ts: Ts(r.t),
            source_ip: r.ip.parse().unwrap(),
            method: "GET",
            path: &r.path,
            query: &r.query,
            status: 200,
            bytes: 100,
            user_agent: &r.ua,
            referrer: "",
            site: "shop.example",
            user: "",
            forwarded: "",
            protocol: "",
        };
        let o = Origin {
            file: "t.log",
            line: i as u64 + 1,
            raw: "x",
        };
        d.observe(&EventRef::Web(w), &o, &mut out);
    }
    d.finish(&mut out);
    out.retain(|a| a.detector == "web.flood");
    out
}

fn floods(reqs: &[Req<'_>]) -> Vec<Alert> {
    floods_cfg(&WebConfig::default(), reqs)
}

/// `n` requests for `/` with a random numeric query, `step` ms apart.
fn cache_busting(ip: &str, n: usize, step: i64) -> Vec<Req<'_>> {
    (0..n)
        .map(|i| Req {
            query: format!(
                "{}",
                8_890_121_518u64.wrapping_mul(i as u64 + 7) % 1_000_000_000_000
            ),
            ..req(i as i64 * step, ip, "/")
        })
        .collect()
}

#[test]
fn one_url_thirty_times_in_a_second_fires_twenty_nine_do_not() {
    let a = floods(&cache_busting("203.0.113.5", 30, 30));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].severity, Severity::Medium);
    assert_eq!(a[0].count, 30);
    assert_eq!(a[0].details["shape"], "focused");
    assert_eq!(a[0].details["cache_bypass"], true);
    assert_eq!(a[0].details["distinct_paths"], 1);
    assert_eq!(a[0].techniques, ["T1498", "T1499.002"]);
    assert!(floods(&cache_busting("203.0.113.5", 29, 30)).is_empty());
    // The same 30 spread over 2.9 s: never 30 within one second.
    assert!(floods(&cache_busting("203.0.113.5", 30, 100)).is_empty());
    // Without queries: focused, no cache bypass.
    let plain: Vec<Req<'_>> = (0..30)
        .map(|i| req(i * 30, "203.0.113.5", "/login"))
        .collect();
    let a = floods(&plain);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].details["cache_bypass"], false);
}

#[test]
fn a_long_flood_is_one_alert() {
    let a = floods(&cache_busting("203.0.113.5", 3000, 5));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].count, 3000);
    assert_eq!(a[0].details["peak_requests"], 30);
    assert_eq!(a[0].details["requests_with_query"], 3000);
}

#[test]
fn fifty_distinct_paths_in_a_second_fire_forty_nine_do_not() {
    let paths = |n: i64| -> Vec<Req<'_>> {
        (0..n)
            .map(|i| req(i * 20, "203.0.113.5", &format!("/p{i}")))
            .collect()
    };
    let a = floods(&paths(50));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].details["shape"], "rate");
    assert_eq!(a[0].details["distinct_paths"], 50);
    assert!(floods(&paths(49)).is_empty());
}

#[test]
fn static_assets_and_separate_sources_are_quiet() {
    let assets: Vec<Req<'_>> = (0..300)
        .map(|i| req(i * 3, "203.0.113.5", "/static/app.js"))
        .collect();
    assert!(floods(&assets).is_empty());
    // Twenty addresses, 20 requests each, in the same second.
    let ips: Vec<String> = (1..=20).map(|i| format!("198.51.100.{i}")).collect();
    let mut many = Vec::new();
    for k in 0..20 {
        for ip in &ips {
            many.push(req(k * 40, ip, "/"));
        }
    }
    assert!(floods(&many).is_empty());
}

#[test]
fn a_user_agent_per_request_fires_a_nat_of_browsers_does_not() {
    let rotating: Vec<Req<'_>> = (0..10)
        .map(|i| Req {
            ua: format!("Mozilla/5.0 (Agent {i})"),
            ..req(i * 1000, "203.0.113.9", "/")
        })
        .collect();
    let a = floods(&rotating);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].details["shape"], "user_agent_rotation");
    assert_eq!(a[0].details["user_agents"], 10);
    assert!(floods(&rotating[..9]).is_empty());
    // Ten agents over 12 s: never 10 within 10 s.
    let slow: Vec<Req<'_>> = (0..10)
        .map(|i| Req {
            ua: format!("Mozilla/5.0 (Agent {i})"),
            ..req(i * 1300, "203.0.113.9", "/")
        })
        .collect();
    assert!(floods(&slow).is_empty());
    // Ten users behind one address within 10 s, each opening a page that
    // makes two API calls: the agents are a third of the requests. (Ten
    // users opening one page each would look like rotation: a limit.)
    let nat: Vec<Req<'_>> = (0..30)
        .map(|i| Req {
            ua: format!("Mozilla/5.0 (User {})", i / 3),
            ..req(i * 300, "192.0.2.1", &format!("/page/{i}"))
        })
        .collect();
    assert!(floods(&nat).is_empty());
}

#[test]
fn settings_turn_shapes_off() {
    let mut cfg = WebConfig::default();
    cfg.flood.min_focused_requests = 0;
    assert!(floods_cfg(&cfg, &cache_busting("203.0.113.5", 40, 20)).is_empty());
    cfg.flood.min_requests = 40;
    assert_eq!(
        floods_cfg(&cfg, &cache_busting("203.0.113.5", 40, 20)).len(),
        1
    );
    let mut cfg = WebConfig::default();
    cfg.flood.enabled = false;
    assert!(floods_cfg(&cfg, &cache_busting("203.0.113.5", 40, 20)).is_empty());
    let mut cfg = WebConfig::default();
    cfg.flood.focus_share = 1.5;
    assert_eq!(
        cfg.validate(),
        Err(WebConfigError::BadRatio("flood.focus_share"))
    );
}
