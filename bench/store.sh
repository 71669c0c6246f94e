#!/usr/bin/env bash
# Store figures for BENCHMARKS.md:
#
#   1. `haboob hunt` throughput with `--store` (a fresh SQLite file each
#      run) and without, on a simulated web-volume combined log: rounds
#      alternate off/on; best wall time and the CPU time (user+sys) of each;
#   2. store size per million alerts, extrapolated from 100,000 synthetic
#      alerts (three evidence lines each) inserted in chunks of 10,000;
#   3. latency of a filtered campaigns page (50 rows and the total) on
#      100,000 synthetic campaigns, p50/p99 over repeated queries.
#
# 2 and 3 run on SQLite, and on PostgreSQL when HABOOB_PG_URL is set
# (eval "$(scripts/ci/postgres.sh)"), each in a fresh schema.
#
#   bench/store.sh [BYTES] [DIR]        all three (defaults: 300000000,
#                                       /tmp/haboob-bench-store)
#   bench/store.sh hunt [BYTES] [DIR] [ROUNDS]
#                                       1 only (issue 14's figure: run
#                                       `bench/store.sh hunt 1000000000` on an
#                                       idle machine; ROUNDS defaults to 3)
#
# Record results in BENCHMARKS.md with the machine, its load and the command.
set -euo pipefail
cd "$(dirname "$0")/.."
only_hunt=
if [ "${1:-}" = hunt ]; then
  only_hunt=1
  shift
fi
bytes=${1:-300000000}
dir=${2:-/tmp/haboob-bench-store}
rounds=${3:-3}
[ -n "$only_hunt" ] || rounds=2
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/haboob
sb=$target/release/examples/store_bench

cargo build --release --locked -q -p haboob-cli -p haboob-store --example store_bench
mkdir -p "$dir"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"

# The simulated log, made again when BYTES changed.
vol=$dir/volume-$bytes
log=$vol/access.log
if [ ! -s "$log" ]; then
  "$bin" --quiet simulate --scenario web-volume --bytes "$bytes" --days 1 --out "$vol" >&2
fi
size=$(stat -c %s "$vol"/*.log | paste -sd+ | bc)
best_off= best_on=
for round in $(seq "$rounds"); do
  for mode in off on; do
    rm -f "$dir"/hunt.db*
    store=()
    [ "$mode" = on ] && store=(--store "sqlite:$dir/hunt.db")
    out=$( { /usr/bin/time -f 'TIME %e %U %S' "$bin" --quiet hunt "$vol" -O jsonl -o /dev/null "${store[@]}" || [ $? -eq 1 ]; } 2>&1 | grep '^TIME' || true)
    read -r _ wall user sys <<<"$out"
    cpu=$(echo "$user + $sys" | bc)
    printf 'round=%s hunt store=%s bytes=%s wall=%.2f cpu=%.2f mb_per_s=%.1f load=%s\n' \
      "$round" "$mode" "$size" "$wall" "$cpu" "$(echo "$size / $wall / 1000000" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
    if [ "$mode" = off ]; then
      if [ -z "$best_off" ] || [ "$(echo "$wall < $best_off" | bc)" = 1 ]; then best_off=$wall; fi
    else
      if [ -z "$best_on" ] || [ "$(echo "$wall < $best_on" | bc)" = 1 ]; then best_on=$wall; fi
    fi
  done
done
printf 'best wall: off %.2f s, on %.2f s; with store / without (throughput): %.1f %%\n' \
  "$best_off" "$best_on" "$(echo "$best_off / $best_on * 100" | bc -l)"
if [ -f "$dir/hunt.db" ]; then
  echo "alerts stored by the hunt: $(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from alerts').fetchone()[0])" "$dir/hunt.db" 2>/dev/null || echo '?'), store file $(du -k "$dir/hunt.db" | cut -f1) KiB"
fi
if [ -n "$only_hunt" ]; then
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
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
