//! Parse + framing throughput over generated combined lines.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use haboob_ingest::{read_reader, Format, ReadOptions};

fn generated(n: usize) -> Vec<u8> {
    let paths = [
        "/",
        "/index.html",
        "/wp-login.php",
        "/.env",
        "/api/v1/results?county=12&page=3",
        "/static/app.js",
    ];
    let uas = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36", "curl/8.4.0", "python-requests/2.31"];
    let mut out = Vec::with_capacity(n * 200);
    for i in 0..n {
        let line = format!(
            "203.0.{}.{} - - [{:02}/Oct/2024:{:02}:{:02}:{:02} -0700] \"GET {} HTTP/1.1\" {} {} \"https://votes.example.gov/\" \"{}\"\n",
            (i / 256) % 256, i % 256, 1 + i % 28, i % 24, i % 60, (i * 7) % 60,
            paths[i % paths.len()], [200, 404, 301][i % 3], i * 13 % 50_000, uas[i % uas.len()]
        );
        out.extend_from_slice(line.as_bytes());
    }
    out
}

fn bench(c: &mut Criterion) {
    let data = generated(200_000);
    let mut g = c.benchmark_group("combined");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    for (name, format) in [("detect", None), ("given", Some(Format::Combined))] {
        let opts = ReadOptions {
            format,
            ..ReadOptions::default()
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0u64;
                let s =
                    read_reader(&data[..], "bench", &opts, &|_| {}, &mut |_, _| n += 1).unwrap();
                assert_eq!(s.events, n);
                n
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
