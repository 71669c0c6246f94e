//! Memory of the auth detector with many distinct sources: feeds N synthetic
//! sign-in failures, each from a different source address, all inside one
//! day (well within the default 7-day idle window, so nothing is evicted),
//! through one `AuthDetector`, and prints `state_bytes()`, the process RSS
//! and, at the end, the peak RSS (`VmHWM`) before and after `finish()`.
//!
//! ```text
//! cargo run --release -p haboob-detect --example auth_memory -- [N] [--no-finish]
//! ```
//! N defaults to 10,000,000. Linux only for the RSS figures (`/proc/self/status`).

use haboob_detect::auth::{AuthConfig, AuthDetector};
use haboob_detect::Detector;
use haboob_model::{AuthEvent, AuthOutcome, EventRef, FailureClass, Origin, Ts};
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

/// A `/proc/self/status` field in MiB (0 when unavailable).
fn proc_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn mib(b: usize) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

fn main() {
    let mut n: u64 = 10_000_000;
    let mut finish = true;
    for a in std::env::args().skip(1) {
        if a == "--no-finish" {
            finish = false;
        } else if let Ok(v) = a.replace('_', "").parse() {
            n = v;
        } else {
            eprintln!("usage: auth_memory [N] [--no-finish]");
            std::process::exit(2);
        }
    }
    let users: Vec<String> = (0..50_000)
        .map(|i| format!("user{i}@org.example"))
        .collect();
    let clients = [
        "Mozilla/5.0 (Windows NT 10.0)",
        "python-requests/2.31",
        "BAV2ROPC",
    ];
    let mut det = AuthDetector::new(&AuthConfig::default());
    let mut out = Vec::new();
    let t0 = 1_788_000_000_000_i64; // 2026-08-29, ms
    let span_ms = 86_400_000_i64; // all inside one day
    let start = Instant::now();
    println!("events  live_sources  state_bytes_MiB  rss_MiB");
    for i in 0..n {
        // Distinct addresses spread over many /24s.
        let ip = IpAddr::V4(Ipv4Addr::from(0x0b00_0000_u32.wrapping_add(i as u32 * 7)));
        let user = &users[(i % users.len() as u64) as usize];
        let ev = EventRef::Auth(AuthEvent {
            ts: Ts(t0 + (i as i64 * span_ms) / n as i64),
            dataset: "auth.entra",
            source_ip: Some(ip),
            user: Cow::Borrowed(user),
            domain: Cow::Borrowed("org.example"),
            tenant: Cow::Borrowed(""),
            host: Cow::Borrowed(""),
            outcome: AuthOutcome::Failure,
            failure: Some(if i % 3 == 0 {
                FailureClass::UnknownUser
            } else {
                FailureClass::BadPassword
            }),
            app: Cow::Borrowed("OfficeHome"),
            client: Cow::Borrowed(clients[(i % 3) as usize]),
            country: Cow::Borrowed("US"),
            asn: Some(64_500 + (i % 100) as u32),
            location: None,
        });
        let raw = "synthetic sign-in failure";
        let origin = Origin {
            file: "synthetic.jsonl",
            line: i + 1,
            raw,
        };
        det.observe(&ev, &origin, &mut out);
        if (i + 1) % 1_000_000 == 0 || i + 1 == n {
            println!(
                "{:>9}  {:>12}  {:>15.1}  {:>7.1}",
                i + 1,
                det.live_sources(),
                mib(det.state_bytes()),
                proc_mib("VmRSS:")
            );
        }
    }
    let fed = start.elapsed();
    println!(
        "fed {n} events in {:.1} s ({:.2} M events/s); state_bytes {:.1} MiB; peak RSS {:.1} MiB",
        fed.as_secs_f64(),
        n as f64 / fed.as_secs_f64() / 1e6,
        mib(det.state_bytes()),
        proc_mib("VmHWM:")
    );
    if finish {
        let t = Instant::now();
        det.finish(&mut out);
        println!(
            "finish: {:.1} s, {} alerts; peak RSS {:.1} MiB",
            t.elapsed().as_secs_f64(),
            out.len(),
            proc_mib("VmHWM:")
        );
        let mut by_detector = std::collections::BTreeMap::<&str, (usize, usize)>::new();
        for a in &out {
            let e = by_detector.entry(a.detector.as_str()).or_default();
            e.0 += 1;
            e.1 = e.1.max(a.source.members.len());
        }
        for (det, (n, members)) in by_detector {
            println!("  {det}: {n} alerts, at most {members} members listed");
        }
    }
}
