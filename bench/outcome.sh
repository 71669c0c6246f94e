#!/usr/bin/env bash
# CPU cost of the outcome rules (web.exploit_success, web.harvest,
# web.defacement) on the web benchmark's simulated logs: `haboob hunt` on one
# thread with the three rules on (the default) and off (a config file that
# disables them), alternated, CPU time from `perf stat -e task-clock`.
# BASE=/path/to/haboob adds a third run with another build (e.g. main).
#
#   bench/outcome.sh [BYTES] [DIR] [CASES] [ROUNDS]
#   (defaults: 100000000, /tmp/haboob-outcome-bench, "volume new", 3)
#
# Say the load (`uptime`) beside every figure.
set -euo pipefail
cd "$(dirname "$0")/.."
bytes=${1:-100000000}
dir=${2:-/tmp/haboob-outcome-bench}
cases=${3:-volume new}
rounds=${4:-3}
bin=${CARGO_TARGET_DIR:-target}/release/haboob
cargo build --release --locked -q -p haboob-cli

mkdir -p "$dir"
off="$dir/off.toml"
printf '[web.exploit_success]\nenabled = false\n[web.harvest]\nenabled = false\n[web.defacement]\nenabled = false\n' > "$off"

cpu() { # cpu LABEL CMD...: task-clock of CMD, in seconds
  local label=$1 ms; shift
  ms=$(perf stat -x, -e task-clock "$@" 2>&1 > /dev/null | awk -F, '/task-clock/ { print $1 }')
  awk -v l="$label" -v ms="$ms" 'BEGIN { printf "  %-12s %7.2f s CPU\n", l, ms / 1000 }'
}

for c in $cases; do
  case "$c" in new) s=0 ;; mid) s=300000 ;; volume) s=4096 ;; *) echo "unknown case $c" >&2; exit 2 ;; esac
  d="$dir/$c"
  if [ ! -s "$d/access.log" ]; then
    "$bin" simulate --scenario web-volume --bytes "$bytes" --seed 7 --sources "$s" --out "$d" 2> /dev/null
  fi
  f="$d/access.log"
  cat "$f" > /dev/null
  echo "$c: $f ($(stat -c %s "$f") bytes); load: $(cut -d' ' -f1-3 /proc/loadavg)"
  for r in $(seq "$rounds"); do
    cpu "rules off" "$bin" --quiet --threads 1 hunt --config "$off" -o /dev/null "$f" || true
    cpu "rules on" "$bin" --quiet --threads 1 hunt -o /dev/null "$f" || true
    if [ -n "${BASE:-}" ]; then cpu "base" "$BASE" --quiet --threads 1 hunt -o /dev/null "$f" || true; fi
  done
done
