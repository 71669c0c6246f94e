//! Throughput of the web detectors on synthetic access-log events (mostly benign
//! page views and assets from many sources, with a sprinkling of probes).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use haboob_detect::web::{build, WebConfig};
use haboob_model::{EventRef, Origin, Ts, WebEvent};
use std::net::{IpAddr, Ipv4Addr};

struct Owned {
    ip: IpAddr,
    path: String,
    query: String,
    status: u16,
    ua: &'static str,
    raw: String,
}

fn events(n: usize) -> Vec<Owned> {
    let uas = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
        "curl/8.4.0",
    ];
    (0..n)
        .map(|i| {
            let ip = IpAddr::V4(Ipv4Addr::from(0xc633_6400u32 + (i as u32 % 5000)));
            let (path, query, status) = match i % 50 {
                0 => ("/.env".to_string(), String::new(), 404),
                1 => (format!("/wp-content/plugins/p{}/readme.txt", i % 97), String::new(), 404),
                2 => ("/search".to_string(), "q=union+select+1%2C2".to_string(), 200),
                3..=25 => (format!("/static/img/{}.png", i % 300), String::new(), 200),
                _ => (format!("/news/2024/article-{}", i % 2000), "ref=home".to_string(), 200),
            };
            let ua = uas[i % 3];
            let raw = format!(
                "{ip} - - [01/May/2024:10:00:00 +0000] \"GET {path}?{query} HTTP/1.1\" {status} 1234 \"-\" \"{ua}\""
            );
            Owned { ip, path, query, status, ua, raw }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let evs = events(100_000);
    let bytes: u64 = evs.iter().map(|e| e.raw.len() as u64 + 1).sum();
    let mut g = c.benchmark_group("web");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    g.bench_function("all_web_detectors", |b| {
        b.iter(|| {
            let mut dets = build(&WebConfig::default());
            let mut out = Vec::new();
            for (i, e) in evs.iter().enumerate() {
                let w = WebEvent {
                    ts: Ts(i as i64 * 5),
                    source_ip: e.ip,
                    method: "GET",
                    path: &e.path,
                    query: &e.query,
                    status: e.status,
                    bytes: 1234,
                    user_agent: e.ua,
                    referrer: "",
                    site: "votes.example.gov",
                    user: "",
                    forwarded: "",
                    protocol: "",
                };
                let o = Origin {
                    file: "bench.log",
                    line: i as u64 + 1,
                    raw: &e.raw,
                };
                for d in dets.iter_mut() {
                    d.observe(&EventRef::Web(w.clone()), &o, &mut out);
                }
            }
            for d in dets.iter_mut() {
                d.finish(&mut out);
            }
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
