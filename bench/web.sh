#!/usr/bin/env bash
# End-to-end web benchmark on three simulated ~1 GB combined logs of one site:
#
#   new     almost every request from a new address (--sources 0: a botnet,
#           IPv6 privacy addresses, a popular site)
#   mid     about 300,000 addresses      (--sources 300000)
#   volume  4,096 addresses, the default web-volume
#   hostile every request a hostile probe from a new address, each for a
#           path no other request asks for, mostly 404/403 (--sources 0
#           --probes 100: internet background noise at botnet scale; the
#           worst case for per-source detector state)
#
# For each file, in one run on the same warm page cache: `wc -l`,
# `awk '{c[$1]++}'` (count requests per address), GoAccess (Debian package
# `goaccess`, JSON report) and `haboob hunt` (all web detectors) on 1 thread
# and on 2 threads; wall time, MB/s, CPU time, peak RSS, and haboob's speed as
# a multiple of awk's and GoAccess's.
#
#   bench/web.sh [BYTES] [DIR] [CASES]   (defaults: 1000000000, /tmp/haboob-bench,
#                                         "new mid volume"; "hostile" on request)
#   NO_GOACCESS=1 bench/web.sh ...        skip GoAccess (it takes minutes per GB)
#
# Record results in BENCHMARKS.md with the machine and the command.
set -euo pipefail
cd "$(dirname "$0")/.."
bytes=${1:-1000000000}
dir=${2:-/tmp/haboob-bench}
cases=${3:-new mid volume}
bin=${CARGO_TARGET_DIR:-target}/release/haboob

cargo build --release --locked -q
if [ -z "${NO_GOACCESS:-}" ] && ! command -v goaccess > /dev/null; then
  echo "goaccess not found: apt-get install goaccess, or set NO_GOACCESS=1" >&2
  exit 2
fi

# The simulator's arguments for a case.
sim_args_of() {
  case "$1" in
    new) echo "--sources 0" ;;
    mid) echo "--sources 300000" ;;
    volume) echo "--sources 4096" ;;
    hostile) echo "--sources 0 --probes 100" ;;
    *) echo "unknown case $1" >&2; exit 2 ;;
  esac
}

# time_it LABEL CMD...: one line with wall, CPU and peak RSS of CMD.
time_it() {
  local label=$1 log; shift
  log=$(mktemp)
  # Exit status 1 means "alerts found" for haboob; /usr/bin/time then
  # prefixes a "Command exited with non-zero status" line: read the last.
  /usr/bin/time -f '%e %M %U %S' -o "$log" "$@" > /dev/null 2>&1 || true
  read -r secs rss_kb usr sys < <(tail -n 1 "$log"); rm -f "$log"
  awk -v l="$label" -v s="$secs" -v r="$rss_kb" -v u="$usr" -v k="$sys" -v mb="$mb" 'BEGIN {
    printf "  %-22s %7.2f s wall %7.2f s CPU %7.0f MB/s wall  peak RSS %6.0f MiB\n", l, s, u + k, mb / (s > 0 ? s : 0.001), r / 1024 }'
  last_wall=$secs
}

for c in $cases; do
  d="$dir/$c"
  if [ ! -s "$d/access.log" ] || [ "$(stat -c %s "$d/access.log")" -lt $((bytes * 9 / 10)) ]; then
    rm -rf "$d"
    "$bin" simulate --scenario web-volume --bytes "$bytes" --seed 7 $(sim_args_of "$c") --out "$d" 2> /dev/null
  fi
  file="$d/access.log"
  size=$(stat -c %s "$file")
  mb=$(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1e6 }')
  cat "$file" > /dev/null # warm the page cache
  lines=$(wc -l < "$file")
  addrs=$(awk '{c[$1]++} END { print length(c) }' "$file")
  echo "$c: $file ($mb MB, $lines lines, $addrs distinct addresses)"
  time_it "wc -l" wc -l "$file"
  time_it "awk '{c[\$1]++}'" awk '{c[$1]++} END { print length(c) }' "$file"
  awk_s=$last_wall
  go_s=""
  if [ -z "${NO_GOACCESS:-}" ]; then
    time_it "goaccess" goaccess "$file" --log-format=COMBINED --no-global-config --no-progress -o "$d/goaccess.json"
    go_s=$last_wall
  fi
  time_it "haboob (1 thread)" "$bin" --quiet --threads 1 hunt --output-format jsonl -o "$d/haboob1.jsonl" "$file"
  time_it "haboob (2 threads)" "$bin" --quiet --threads 2 hunt --output-format jsonl -o "$d/haboob2.jsonl" "$file"
  h_s=$last_wall
  if cmp -s "$d/haboob1.jsonl" "$d/haboob2.jsonl"; then same="identical"; else same="DIFFERENT"; fi
  awk -v h="$h_s" -v a="$awk_s" -v g="$go_s" -v same="$same" 'BEGIN {
    printf "  haboob (2 threads) is %.1fx awk", a / h
    if (g != "") printf " and %.0fx GoAccess", g / h
    printf "; output on 1 and 2 threads %s\n", same }'
done
