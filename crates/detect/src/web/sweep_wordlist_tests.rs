//! `web.sweep`'s wordlist shape on hand-built traffic: sources walking one
//! wordlist are one alert with exactly them; browsers, crawlers, site
//! metadata, other orders and too few sources stay quiet.

use super::*;
use crate::Detector;
use haboob_model::{EventRef, Severity, Ts};
use std::net::IpAddr;

const SITE: &str = "votes.example.gov";
const DAY: i64 = 86_400_000;
const T0: i64 = 1_790_000_000_000;
const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const WORDS: &[&str] = &["/wordpress", "/wp", "/bc", "/bk", "/backup", "/old", "/new"];

struct E {
    t: i64,
    ip: IpAddr,
    path: String,
    status: u16,
    ua: &'static str,
    referrer: &'static str,
}

/// Source `i` walks `words` (404 each, a second apart) from `t`, after one
/// answered `/`.
fn walk(i: u32, t: i64, words: &[&str], ua: &'static str, referrer: &'static str) -> Vec<E> {
    let ip: IpAddr = format!("{}.{}.7.{}", 20 + i, 3 * i % 250, 1 + i)
        .parse()
        .unwrap();
    let mut v = vec![E {
        t,
        ip,
        path: "/".into(),
        status: 200,
        ua,
        referrer: "",
    }];
    for (k, w) in words.iter().enumerate() {
        v.push(E {
            t: t + 1000 * (k as i64 + 1),
            ip,
            path: w.to_string(),
            status: 404,
            ua,
            referrer,
        });
    }
    v
}

fn feed(d: &mut WebDetectors, evs: &[E], out: &mut Vec<Alert>) {
    for (i, x) in evs.iter().enumerate() {
        let w = WebEvent {
            ts: Ts(x.t),
            source_ip: x.ip,
            method: "HEAD",
            path: &x.path,
            query: "",
            status: x.status,
            bytes: 0,
            user_agent: x.ua,
            referrer: x.referrer,
            site: SITE,
            user: "",
            forwarded: "",
            protocol: "HTTP/1.1",
        };
        let raw = format!("{} HEAD {}", x.ip, x.path);
        let o = Origin {
            file: "access.log",
            line: i as u64 + 1,
            raw: &raw,
        };
        d.observe(&EventRef::Web(w), &o, out);
    }
}

fn wordlist_alerts(out: Vec<Alert>) -> Vec<Alert> {
    out.into_iter()
        .filter(|a| a.details.get("shape").and_then(|s| s.as_str()) == Some("wordlist"))
        .collect()
}

fn run_with(cfg: &WebConfig, mut evs: Vec<E>) -> Vec<Alert> {
    evs.sort_by_key(|e| e.t);
    let mut d = WebDetectors::new(cfg);
    let mut out = Vec::new();
    feed(&mut d, &evs, &mut out);
    d.finish(&mut out);
    wordlist_alerts(out)
}

fn run(evs: Vec<E>) -> Vec<Alert> {
    run_with(&WebConfig::default(), evs)
}

/// Five sources, one a day, each walking the list (below web.scan's bars).
fn five_days() -> Vec<E> {
    (0..5)
        .flat_map(|i| walk(i, T0 + i64::from(i) * DAY, WORDS, BROWSER, "-"))
        .collect()
}

#[test]
fn one_wordlist_from_five_addresses_over_five_days_is_one_alert_with_exactly_them() {
    let evs = five_days();
    let mut want: Vec<IpAddr> = evs.iter().map(|e| e.ip).collect();
    want.sort();
    want.dedup();
    let got = run(evs);
    assert_eq!(got.len(), 1, "{got:#?}");
    let a = &got[0];
    assert_eq!(a.detector, "web.sweep");
    assert_eq!(a.severity, Severity::Medium);
    assert_eq!(a.source.members, want);
    assert_eq!(a.target, SITE);
    assert_eq!(
        a.details["wordlist"],
        serde_json::json!(["/wordpress", "/wp", "/bc", "/bk"])
    );
    assert_eq!(a.details["sources_total"], 5);
    assert_eq!(a.first_seen, Ts(T0 + 1000));
    assert_eq!(a.last_seen, Ts(T0 + 4 * DAY + 7000));
    assert_eq!(a.evidence.len(), 5);
    assert!(
        a.title.starts_with("One wordlist walked on votes.example.gov from 5 addresses over 4.0 days: /wordpress, /wp, /bc, /bk"),
        "{}",
        a.title
    );
}

#[test]
fn two_sources_are_not_enough_and_three_are() {
    let two: Vec<E> = (0..2)
        .flat_map(|i| walk(i, T0 + i64::from(i) * DAY, WORDS, "-", ""))
        .collect();
    assert!(run(two).is_empty());
    let three: Vec<E> = (0..3)
        .flat_map(|i| walk(i, T0 + i64::from(i) * DAY, WORDS, "-", ""))
        .collect();
    assert_eq!(run(three).len(), 1);
}

#[test]
fn the_same_names_in_another_order_are_another_walk() {
    let mut evs: Vec<E> = (0..2).flat_map(|i| walk(i, T0, WORDS, "-", "")).collect();
    let other = ["/wp", "/wordpress", "/bc", "/bk"];
    evs.extend((2..4).flat_map(|i| walk(i, T0, &other, "-", "")));
    assert!(run(evs).is_empty());
}

#[test]
fn browsers_missing_the_same_subresources_stay_quiet() {
    // Fifty visitors of one page whose four API calls are missing: each
    // request names the page as its referrer.
    let api = ["/api/config", "/api/user", "/api/menu", "/api/news"];
    let evs: Vec<E> = (0..50)
        .flat_map(|i| {
            walk(
                i,
                T0 + i64::from(i) * 60_000,
                &api,
                BROWSER,
                "https://votes.example.gov/",
            )
        })
        .collect();
    assert!(run(evs).is_empty());
}

#[test]
fn site_metadata_and_assets_are_not_part_of_a_walk() {
    let meta = [
        "/robots.txt",
        "/sitemap.xml",
        "/ads.txt",
        "/security.txt",
        "/.well-known/security.txt",
        "/humans.txt",
        "/favicon.ico",
        "/apple-touch-icon.png",
        "/logo.png",
        "/app.js",
    ];
    let evs: Vec<E> = (0..20)
        .flat_map(|i| walk(i, T0 + i64::from(i) * DAY, &meta, "-", ""))
        .collect();
    assert!(run(evs).is_empty());
}

#[test]
fn protocol_junk_is_not_a_name() {
    // A TLS handshake sent in clear and an RTSP probe before the names:
    // the walk is the names alone, so sources that send the junk in
    // another order (or none) are the same walk.
    let mut evs: Vec<E> = Vec::new();
    for i in 0..3 {
        let mut junk = vec!["\\x16\\x03\\x01", "OPTIONS / RTSP/1.0"];
        if i == 1 {
            junk.reverse();
        }
        let words: Vec<&str> = junk.into_iter().chain(WORDS.iter().copied()).collect();
        evs.extend(walk(i, T0 + i64::from(i) * DAY, &words, "-", ""));
    }
    evs.extend(walk(3, T0 + 3 * DAY, WORDS, "-", ""));
    let got = run(evs);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].source.members.len(), 4);
    assert_eq!(got[0].details["wordlist"][0], "/wordpress");
}

#[test]
fn crawlers_stay_quiet_and_a_forged_crawler_agent_does_not() {
    // Googlebot from Google's published network following stale links.
    let google: Vec<E> = (0..5)
        .flat_map(|i| {
            let mut v = walk(i, T0 + i64::from(i) * DAY, WORDS, GOOGLEBOT, "");
            for e in &mut v {
                e.ip = format!("66.249.66.{}", 10 + i).parse().unwrap();
            }
            v
        })
        .collect();
    assert!(run(google).is_empty());
    // The same agent from elsewhere is not trusted.
    let forged: Vec<E> = (0..5)
        .flat_map(|i| walk(i, T0 + i64::from(i) * DAY, WORDS, GOOGLEBOT, ""))
        .collect();
    assert_eq!(run(forged).len(), 1);
}

#[test]
fn walks_more_than_thirty_days_apart_are_two_groups() {
    let mut evs: Vec<E> = (0..2)
        .flat_map(|i| walk(i, T0 + i64::from(i) * DAY, WORDS, "-", ""))
        .collect();
    evs.extend((2..4).flat_map(|i| walk(i, T0 + 40 * DAY + i64::from(i) * DAY, WORDS, "-", "")));
    assert!(run(evs).is_empty());
}

#[test]
fn the_shape_can_be_turned_off() {
    let mut cfg = WebConfig::default();
    cfg.sweep.wordlist_min_sources = 0;
    assert!(run_with(&cfg, five_days()).is_empty());
    cfg.sweep.wordlist_min_sources = 6;
    assert!(run_with(&cfg, five_days()).is_empty());
    cfg.sweep.wordlist_min_sources = 5;
    assert_eq!(run_with(&cfg, five_days()).len(), 1);
}

#[test]
fn a_hunt_saved_and_restored_midway_finds_the_same_walk() {
    let mut evs = five_days();
    evs.sort_by_key(|e| e.t);
    let whole = run(five_days());
    let cut = evs.len() / 2;
    let cfg = WebConfig::default();
    let mut first = WebDetectors::new(&cfg);
    let mut out = Vec::new();
    feed(&mut first, &evs[..cut], &mut out);
    let saved = first.save_state().unwrap();
    let mut second = WebDetectors::new(&cfg);
    second.restore_state(saved).unwrap();
    // Line numbers restart in the second half; compare without evidence.
    feed(&mut second, &evs[cut..], &mut out);
    second.finish(&mut out);
    let got = wordlist_alerts(out);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].source.members, whole[0].source.members);
    assert_eq!(got[0].id, whole[0].id);
}

#[test]
fn tracked_walks_are_bounded() {
    // Far more one-request sources than the cap: the map stays within it.
    let cfg = WebConfig::default();
    let mut d = sweep::WebSweep::new(&cfg.sweep, crawlers::Crawlers::of(&cfg.sweep), 10);
    let mut out = Vec::new();
    let mut req = request::Req::default();
    for i in 0..(sweep::wordlist::MAX_WALKS as u32 + 5000) {
        let w = WebEvent {
            ts: Ts(T0 + i64::from(i)),
            source_ip: IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]),
            method: "HEAD",
            path: "/wordpress",
            query: "",
            status: 404,
            bytes: 0,
            user_agent: "-",
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
        assert!(d.walks() <= sweep::wordlist::MAX_WALKS);
    }
    assert!(out.is_empty());
}

#[test]
fn heavy_walks_of_one_public_wordlist_do_not_link() {
    // Ten scanners each running one public wordlist in full (30 names):
    // heavy, reported per source; not one actor.
    let list: Vec<String> = (0..30).map(|i| format!("/dir{i}/")).collect();
    let words: Vec<&str> = list.iter().map(String::as_str).collect();
    let heavy: Vec<E> = (0..10)
        .flat_map(|i| walk(i, T0 + i64::from(i) * DAY, &words, "-", ""))
        .collect();
    assert!(run(heavy).is_empty());
    // Two light walkers beside them are not enough either: heavy walks are
    // counted apart, never as members.
    let mut evs: Vec<E> = (0..10)
        .flat_map(|i| walk(i, T0 + i64::from(i) * DAY, &words, "-", ""))
        .collect();
    evs.extend((10..12).flat_map(|i| walk(i, T0 + i64::from(i) * DAY, &words[..6], "-", "")));
    assert!(run(evs).is_empty());
    // A third light one makes the alert, of the three light ones only.
    let mut evs: Vec<E> = (0..10)
        .flat_map(|i| walk(i, T0 + i64::from(i) * DAY, &words, "-", ""))
        .collect();
    evs.extend((10..13).flat_map(|i| walk(i, T0 + i64::from(i) * DAY, &words[..6], "-", "")));
    let got = run(evs);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].source.members.len(), 3);
    assert_eq!(got[0].details["heavy_sources_not_counted"], 10);
    assert_eq!(got[0].evidence.len(), 3);
}

#[test]
fn a_walk_of_exactly_the_light_limit_counts_and_one_more_does_not() {
    let nine: Vec<&str> = WORDS.iter().chain(["/a", "/b"].iter()).copied().collect();
    assert_eq!(nine.len(), usize::from(sweep::wordlist::MAX_LIGHT));
    let ten: Vec<&str> = nine.iter().chain(["/c"].iter()).copied().collect();
    let at: Vec<E> = (0..3)
        .flat_map(|i| walk(i, T0 + i64::from(i) * DAY, &nine, "-", ""))
        .collect();
    assert_eq!(run(at).len(), 1);
    let over: Vec<E> = (0..3)
        .flat_map(|i| walk(i, T0 + i64::from(i) * DAY, &ten, "-", ""))
        .collect();
    assert!(run(over).is_empty());
}
