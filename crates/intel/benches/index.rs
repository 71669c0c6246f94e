//! Intel index: building from plain lists (compact, and one `Indicator`
//! per line as before) and the per-event lookups of `intel.match` when
//! nothing matches, in an index of 1M indicators shaped like
//! `bench/intel.sh`'s (60 % addresses, 10 % networks, 20 % domains, 8 %
//! URLs, 2 % user agents).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use haboob_intel::sources::list::{read_list, read_list_batch};
use haboob_intel::{BuildOptions, ImportOptions, IntelIndex};
use haboob_model::Ts;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

/// A small deterministic generator (splitmix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Indicators avoid 24.0.0.0/8, where the looked-up addresses are.
fn lists(n: usize) -> (String, String) {
    let mut r = Rng(15);
    let words = [
        "mail", "login", "secure", "update", "cdn", "news", "vote", "portal",
    ];
    let dom = |r: &mut Rng| {
        let x = r.next();
        format!(
            "{}-{}{}.com",
            words[(x % 8) as usize],
            words[(x >> 8) as usize % 8],
            x >> 40
        )
    };
    let v4 = |r: &mut Rng| {
        Ipv4Addr::from(((25 + (r.next() % 198) as u32) << 24) | (r.next() as u32 & 0xff_ffff))
    };
    let mut a = String::from("# bench\n");
    let mut ua = String::from("# kind: user-agent\n");
    for i in 0..n {
        match i % 50 {
            0..=29 => a.push_str(&format!("{}\n", v4(&mut r))),
            30..=34 => a.push_str(&format!("{}/{}\n", v4(&mut r), 22 + r.next() % 9)),
            35..=44 => a.push_str(&format!("{}\n", dom(&mut r))),
            45..=48 => a.push_str(&format!(
                "https://{}/x/{}.php\n",
                dom(&mut r),
                r.next() % 1000
            )),
            _ => ua.push_str(&format!(
                "Mozilla/5.0 (compatible; Bot{i}/1.0; +https://{}/)\n",
                dom(&mut r)
            )),
        }
    }
    (a, ua)
}

fn build_compact(a: &str, ua: &str) -> IntelIndex {
    let opts = ImportOptions::default();
    let (b1, _) = read_list_batch(a.as_bytes(), "a.txt", "list:a", &opts).unwrap();
    let (b2, _) = read_list_batch(ua.as_bytes(), "ua.txt", "list:ua", &opts).unwrap();
    IntelIndex::build_with_lists(Vec::new(), vec![b1, b2], &BuildOptions::default()).0
}

fn bench(c: &mut Criterion) {
    let (a, ua) = lists(100_000);
    let mut g = c.benchmark_group("build_100k");
    g.sample_size(10);
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("compact_lists", |b| {
        b.iter_batched(|| (), |()| build_compact(&a, &ua), BatchSize::PerIteration)
    });
    g.bench_function("indicator_per_line", |b| {
        b.iter_batched(
            || (),
            |()| {
                let opts = ImportOptions::default();
                let mut v = read_list(a.as_bytes(), "a.txt", "list:a", &opts)
                    .unwrap()
                    .indicators;
                v.extend(
                    read_list(ua.as_bytes(), "ua.txt", "list:ua", &opts)
                        .unwrap()
                        .indicators,
                );
                IntelIndex::build(v, &BuildOptions::default()).0
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let (a, ua) = lists(1_000_000);
    let idx = build_compact(&a, &ua);
    let mut r = Rng(7);
    let events: Vec<(IpAddr, String)> = (0..4096)
        .map(|_| {
            let ip = IpAddr::V4(Ipv4Addr::from((24 << 24) | (r.next() as u32 & 0xff_ffff)));
            (
                ip,
                format!(
                    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/{}.0",
                    r.next() % 50
                ),
            )
        })
        .collect();
    let mut g = c.benchmark_group("lookup_1m_miss");
    g.throughput(Throughput::Elements(events.len() as u64));
    let mut ids = Vec::new();
    g.bench_function("address", |b| {
        b.iter(|| {
            for (ip, _) in &events {
                black_box(idx.ip_ids(*ip, Ts(0), &mut ids));
            }
        })
    });
    g.bench_function("address_user_agent_url", |b| {
        b.iter(|| {
            for (ip, u) in &events {
                idx.ip_ids(*ip, Ts(0), &mut ids);
                idx.user_agent_ids(u, Ts(0), &mut ids);
                idx.url_parts_ids("www.example", "/news/2026/story", "", Ts(0), &mut ids);
                black_box(&ids);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
