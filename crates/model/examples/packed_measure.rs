//! Measure [`PackedAlerts`] on a hunt's JSONL output: bytes held per alert,
//! and the speed of packing and unpacking.
//!
//! ```text
//! cargo run --release -p haboob-model --example packed_measure -- \
//!     /tmp/adv/h100k.hs21-q.jsonl [chunk_bytes] [repeat]
//! ```
//!
//! Lines of `"kind":"alert"` are read as alerts (their `kind` and `campaign`
//! keys dropped); `repeat` pushes them that many times over, for steadier
//! timings (chunks compress independently, so repeats do not help size).

use haboob_model::{packed::DEFAULT_CHUNK_BYTES, Alert, PackedAlerts};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: packed_measure FILE.jsonl [chunk_bytes] [repeat]");
    let chunk_bytes = args
        .next()
        .map_or(DEFAULT_CHUNK_BYTES, |a| a.parse().expect("chunk_bytes"));
    let repeat: usize = args.next().map_or(20, |a| a.parse().expect("repeat"));

    let text = std::fs::read_to_string(&path).expect("read the JSONL file");
    let mut alerts = Vec::new();
    let mut json_bytes = 0;
    for line in text.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let Some(o) = v.as_object_mut() else { continue };
        if o.get("kind").and_then(|k| k.as_str()) != Some("alert") {
            continue;
        }
        o.remove("kind");
        o.remove("campaign");
        let a: Alert = serde_json::from_value(v).expect("an alert");
        json_bytes += serde_json::to_string(&a).expect("JSON").len() + 1;
        alerts.push(a);
    }
    let n = alerts.len() * repeat;
    let mb = (json_bytes * repeat) as f64 / 1e6;
    println!(
        "{} alerts x {repeat} = {n}, {:.0} bytes of JSON each, chunk_bytes {chunk_bytes}",
        alerts.len(),
        json_bytes as f64 / alerts.len() as f64
    );

    let t = Instant::now();
    let mut p = PackedAlerts::with_chunk_bytes(chunk_bytes);
    for _ in 0..repeat {
        for a in &alerts {
            p.push(a);
        }
    }
    report("pack", n, mb, t.elapsed().as_secs_f64());
    println!(
        "held: {} bytes, {:.1} bytes/alert, {} chunks",
        p.heap_bytes(),
        p.heap_bytes() as f64 / n as f64,
        p.sealed_chunks()
    );

    let t = Instant::now();
    let events: u64 = p.iter().map(|a| a.count).sum();
    report("iter", n, mb, t.elapsed().as_secs_f64());
    let want: u64 = alerts.iter().map(|a| a.count).sum();
    assert_eq!(events, want * repeat as u64);
    let same = p
        .iter()
        .zip(alerts.iter().cycle())
        .filter(|(a, b)| a == *b)
        .count();
    assert_eq!(same, n, "every alert comes back equal");

    let t = Instant::now();
    let mut c = p.cursor();
    let mut count = 0u64;
    for i in 0..n {
        count += c.get(i).count;
    }
    report("cursor, in order", n, mb, t.elapsed().as_secs_f64());

    // A spread-out batch: every 7th alert, in reverse.
    let idx: Vec<usize> = (0..n).rev().step_by(7).collect();
    let t = Instant::now();
    let got = p.get_many(&idx);
    let secs = t.elapsed().as_secs_f64();
    report("get_many, every 7th", got.len(), mb / 7.0, secs);
    assert!(count > 0 && got.len() == idx.len());
}

fn report(what: &str, n: usize, mb: f64, secs: f64) {
    println!(
        "{what}: {:.3} s, {:.0} alerts/s, {:.1} MB/s of JSON",
        secs,
        n as f64 / secs,
        mb / secs
    );
}
