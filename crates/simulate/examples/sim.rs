//! Run a scenario: `cargo run --release -p haboob-simulate --example sim -- election-recon OUT [DAYS] [SEED] [BYTES]`.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scenario = args
        .first()
        .map_or("election-recon", |s| s)
        .parse()
        .expect("scenario");
    let out = args.get(1).map_or("sim-out", |s| s);
    let mut opts = haboob_simulate::SimOptions::new(scenario, out);
    if let Some(d) = args.get(2) {
        opts.days = d.parse().expect("days");
    }
    if let Some(s) = args.get(3) {
        opts.seed = s.parse().expect("seed");
    }
    if let Some(b) = args.get(4) {
        opts.bytes = b.parse().expect("bytes");
    }
    let t = std::time::Instant::now();
    let s = haboob_simulate::simulate(&opts).expect("simulate");
    eprintln!(
        "{} files, {} lines, {} bytes, {} labels in {:.2?}",
        s.files.len(),
        s.lines,
        s.bytes,
        s.labels,
        t.elapsed()
    );
}
