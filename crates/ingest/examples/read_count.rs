//! Reads one file as `hunt` does (format detected, no parallel parsing)
//! and prints the counts: the reading thread's cost alone, for profiling
//! (`valgrind --tool=cachegrind target/release/examples/read_count FILE`).

use haboob_ingest::{read_input, Input, ReadOptions};

fn main() {
    let path = std::env::args().nth(1).expect("usage: read_count FILE");
    let input = Input::File(path.into());
    let mut sum = 0u64;
    let stats = read_input(
        &input,
        &ReadOptions::default(),
        &|_| {},
        &mut |ev, origin| {
            sum = sum.wrapping_add(origin.line ^ ev.ts().0 as u64);
        },
    )
    .expect("read");
    println!(
        "lines {} events {} rejected {} sum {sum}",
        stats.lines, stats.events, stats.rejected
    );
}
