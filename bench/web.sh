#!/usr/bin/env bash
# End-to-end web benchmark: simulate ~1 GB of combined-format logs, then time
# `wc -l` and `haboob hunt` (all web detectors on) on the same file, single-
# and multi-threaded, and report MB/s, the ratio to `wc -l`, and peak RSS.
#
#   bench/web.sh [BYTES] [DIR]      (defaults: 1000000000, /tmp/haboob-bench)
#
# Record results in BENCHMARKS.md with the machine and the command.
set -euo pipefail
cd "$(dirname "$0")/.."
bytes=${1:-1000000000}
dir=${2:-/tmp/haboob-bench}
bin=${CARGO_TARGET_DIR:-target}/release/haboob

cargo build --release --locked -q
if [ ! -s "$dir/access.log" ] || [ "$(stat -c %s "$dir/access.log")" -lt $((bytes * 9 / 10)) ]; then
  rm -rf "$dir"
  "$bin" simulate --scenario web-volume --bytes "$bytes" --seed 7 --out "$dir"
fi
file="$dir/access.log"
size=$(stat -c %s "$file")
mb=$(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1e6 }')
cat "$file" > /dev/null # warm the page cache

t0=$(date +%s.%N); wc -l < "$file" > /dev/null; t1=$(date +%s.%N)
wc_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')

run() { # threads
  local log; log=$(mktemp)
  # exit status 1 means "alerts found"; /usr/bin/time then prefixes a
  # "Command exited with non-zero status" line, so read the last line only.
  /usr/bin/time -f '%e %M %U %S' -o "$log" "$bin" --quiet --threads "$1" hunt --format jsonl -o /dev/null "$file" || true
  read -r secs rss_kb usr sys < <(tail -n 1 "$log"); rm -f "$log"
  awk -v s="$secs" -v r="$rss_kb" -v u="$usr" -v k="$sys" -v mb="$mb" -v wc="$wc_s" -v t="$1" -v n="$lines" 'BEGIN {
    cpu = u + k
    printf "haboob hunt (%s thread%s): %.2f s wall, %.2f s CPU, %.0f MB/s wall, %.0f MB/s per CPU-second, %.2f M lines/s, %.1fx wc -l time, peak RSS %.0f MiB\n",
      t, (t == 1 ? "" : "s"), s, cpu, mb / s, mb / cpu, n / s / 1e6, s / wc, r / 1024 }'
}
lines=$(wc -l < "$file")
echo "file: $file ($mb MB, $lines lines)"
echo "wc -l: ${wc_s} s ($(awk -v s="$wc_s" -v mb="$mb" 'BEGIN { printf "%.0f", mb / s }') MB/s)"
run 1
run 2
