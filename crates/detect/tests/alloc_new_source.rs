//! Allocations on the new-source path (issue 12, item 7): once the
//! detectors' tables and pools are warm, a stream where every request comes
//! from a new address allocates (almost) nothing per request. Counted with
//! dhat's heap statistics, not timed.
//!
//! One test per binary: dhat's profiler is process-wide.

use haboob_detect::web::{build, WebConfig};
use haboob_model::{EventRef, Origin, Ts, WebEvent};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const PAGES: &[&str] = &[
    "/",
    "/news/2026/results-by-precinct",
    "/elections/2026/general",
    "/about/contact",
    "/static/css/site.css",
    "/static/js/app.js",
    "/favicon.ico",
    "/polling-places",
];

/// Address `i` (IPv4, every fifth IPv6), as on a popular site, a botnet or
/// behind privacy addresses.
fn source(i: u64) -> IpAddr {
    if i.is_multiple_of(5) {
        IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            (i >> 32) as u16,
            (i >> 16) as u16,
            i as u16,
            7,
            1,
            9,
        ))
    } else {
        IpAddr::V4(Ipv4Addr::from(0x0b00_0000u32.wrapping_add(i as u32)))
    }
}

/// Request `i`'s path, query, method and status: mostly pages and assets;
/// one in 7 an article never asked before, one in 10 a search with its own
/// terms, one in 50 a broken link (404), one in 40 a redirect, one in 30 a
/// form POST. Built before counting, so the test's own strings are not
/// counted.
fn request(i: u64) -> (String, String, &'static str, u16) {
    let mut path = PAGES[(i % PAGES.len() as u64) as usize].to_string();
    let mut query = String::new();
    let (mut method, mut status) = ("GET", 200);
    if i.is_multiple_of(7) {
        path = format!("/news/2026/article-{i}");
    }
    if i.is_multiple_of(10) {
        path = "/search".into();
        query = format!("q=polling+place+{i}&page=1");
    }
    if i.is_multiple_of(50) {
        status = 404;
    } else if i.is_multiple_of(40) {
        status = 301;
    } else if i.is_multiple_of(30) {
        (method, path) = ("POST", "/contact".into());
    }
    (path, query, method, status)
}

type Requests = Vec<(String, String, &'static str, u16)>;

fn feed(
    dets: &mut [Box<dyn haboob_detect::Detector>],
    from: u64,
    reqs: &Requests,
    raw: &str,
    out: &mut Vec<haboob_model::Alert>,
) {
    for (k, (path, query, method, status)) in reqs.iter().enumerate() {
        let i = from + k as u64;
        let w = WebEvent {
            // 20 requests a second: episodes end and their slots are reused.
            ts: Ts(1_780_000_000_000 + i as i64 * 50),
            source_ip: source(i),
            method,
            path,
            query,
            status: *status,
            bytes: 5120,
            user_agent: UAS[(i % UAS.len() as u64) as usize],
            referrer: "https://www.example.org/",
            site: "elections.example.gov",
            user: "",
            forwarded: "",
            protocol: "HTTP/1.1",
        };
        let o = Origin {
            file: "access.log",
            line: i + 1,
            raw,
        };
        for d in dets.iter_mut() {
            d.observe(&EventRef::Web(w.clone()), &o, out);
        }
    }
}

const UAS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
];

#[test]
fn new_sources_allocate_almost_nothing_once_warm() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let raw = "11.0.0.1 - - [02/Dec/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0\"";
    let mut dets = build(&WebConfig::default());
    let mut out = Vec::new();
    // Warm: tables sized, pools filled, episodes of the first sources ended.
    const WARM: u64 = 400_000;
    const MEASURED: u64 = 400_000;
    let warm: Requests = (0..WARM).map(request).collect();
    let measured: Requests = (WARM..WARM + MEASURED).map(request).collect();
    feed(&mut dets, 0, &warm, raw, &mut out);
    let before = dhat::HeapStats::get();
    feed(&mut dets, WARM, &measured, raw, &mut out);
    let after = dhat::HeapStats::get();
    let blocks = after.total_blocks - before.total_blocks;
    let per_request = blocks as f64 / MEASURED as f64;
    eprintln!("{blocks} allocations over {MEASURED} requests from new sources ({per_request:.4} per request); live {} blocks, {} bytes", after.curr_blocks, after.curr_bytes);
    assert!(
        out.is_empty(),
        "ordinary page views raised alerts: {}",
        out.len()
    );
    assert!(
        per_request < 0.01,
        "{per_request:.4} allocations per request"
    );
}
