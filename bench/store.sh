#!/usr/bin/env bash
# Store figures for BENCHMARKS.md:
#
#   1. `haboob hunt` throughput with `--store` (a fresh SQLite file) and
#      without, on a simulated web-volume combined log (best of two runs each);
#   2. store size per million alerts, extrapolated from 100,000 synthetic
#      alerts (three evidence lines each) inserted in chunks of 10,000;
#   3. latency of a filtered campaigns page (50 rows and the total) on
#      100,000 synthetic campaigns, p50/p99 over repeated queries.
#
# 2 and 3 run on SQLite, and on PostgreSQL when HABOOB_PG_URL is set
# (eval "$(scripts/ci/postgres.sh)"), each in a fresh schema.
#
#   bench/store.sh [BYTES] [DIR]   (defaults: 300000000, /tmp/haboob-bench-store)
#
# Record results in BENCHMARKS.md with the machine, its load and the command.
set -euo pipefail
cd "$(dirname "$0")/.."
bytes=${1:-300000000}
dir=${2:-/tmp/haboob-bench-store}
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/haboob
sb=$target/release/examples/store_bench

cargo build --release --locked -q -p haboob-cli -p haboob-store --example store_bench
mkdir -p "$dir"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"

log=$dir/volume/access.log
if [ ! -s "$log" ]; then
  "$bin" --quiet simulate --scenario web-volume --bytes "$bytes" --days 1 --out "$dir/volume" >&2
fi
size=$(stat -c %s "$dir"/volume/*.log | paste -sd+ | bc)
now() { date +%s.%N; }
best=()
for mode in off on; do
  b=
  for run in 1 2; do
    rm -f "$dir"/hunt.db*
    store=()
    [ "$mode" = on ] && store=(--store "sqlite:$dir/hunt.db")
    t0=$(now)
    "$bin" --quiet hunt "$dir/volume" -O jsonl -o /dev/null "${store[@]}" || [ $? -eq 1 ]
    t=$(echo "$(now) - $t0" | bc)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
  done
  best+=("$b")
  printf 'hunt store=%s bytes=%s secs=%.2f mb_per_s=%.1f\n' "$mode" "$size" "$b" "$(echo "$size / $b / 1000000" | bc -l)"
done
printf 'hunt with store / without: %.1f %%\n' "$(echo "${best[0]} / ${best[1]} * 100" | bc -l)"
if [ -f "$dir/hunt.db" ]; then
  echo "alerts stored by the hunt: $(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from alerts').fetchone()[0])" "$dir/hunt.db" 2>/dev/null || echo '?')"
fi

pg_url() { # a fresh schema $1 on HABOOB_PG_URL
  psql -q "$HABOOB_PG_URL" -c "DROP SCHEMA IF EXISTS $1 CASCADE" -c "CREATE SCHEMA $1" >/dev/null 2>&1
  local sep='?'
  case "$HABOOB_PG_URL" in *\?*) sep='&' ;; esac
  echo "${HABOOB_PG_URL}${sep}options=-c%20search_path%3D$1"
}

rm -f "$dir"/size.db* "$dir"/q.db*
echo "sqlite size:    $("$sb" size "sqlite:$dir/size.db" 100000)"
echo "sqlite queries:"
"$sb" queries "sqlite:$dir/q.db" 100000 200 | sed 's/^/  /'
if [ -n "${HABOOB_PG_URL:-}" ]; then
  echo "postgres size:  $("$sb" size "$(pg_url bench_size)" 100000)"
  echo "postgres queries:"
  "$sb" queries "$(pg_url bench_queries)" 100000 200 | sed 's/^/  /'
  psql -q "$HABOOB_PG_URL" -c "DROP SCHEMA bench_size CASCADE" -c "DROP SCHEMA bench_queries CASCADE" >/dev/null 2>&1
else
  echo "postgres: skipped (HABOOB_PG_URL unset)"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
