#!/usr/bin/env bash
# Cost of the outcome rules (web.exploit_success, web.harvest,
# web.defacement) on the web benchmark's simulated logs: `haboob hunt` with
# the three rules on (the default) and off (a config file that disables
# them), alternated round by round; per run the wall time (the web
# benchmark's measure, `bench/web.sh`) and the CPU time; at the end, per
# case, the medians and the on/off ratios. THREADS sets `--threads` (default
# 2, as `bench/web.sh`'s headline figure; 1 shows the cost without lanes).
# BASE=/path/to/haboob adds a third run with another build (e.g. main).
#
#   bench/outcome.sh [BYTES] [DIR] [CASES] [ROUNDS]
#   (defaults: 100000000, /tmp/haboob-outcome-bench, "volume new", 3)
#   e.g. bench/outcome.sh 1000000000 /tmp/haboob-bench "volume mid new" 8
#
# Say the load (`uptime`) beside every figure.
set -euo pipefail
cd "$(dirname "$0")/.."
bytes=${1:-100000000}
dir=${2:-/tmp/haboob-outcome-bench}
cases=${3:-volume new}
rounds=${4:-3}
threads=${THREADS:-2}
bin=${CARGO_TARGET_DIR:-target}/release/haboob
cargo build --release --locked -q -p haboob-cli

mkdir -p "$dir"
off="$dir/off.toml"
printf '[web.exploit_success]\nenabled = false\n[web.harvest]\nenabled = false\n[web.defacement]\nenabled = false\n' > "$off"

run() { # run LABEL CMD...: one line "LABEL wall cpu" (seconds)
  local label=$1; shift
  /usr/bin/time -f "$label %e %U %S" "$@" 2>&1 > /dev/null | tail -n 1 |
    awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }'
}

for c in $cases; do
  case "$c" in new) s=0 ;; mid) s=300000 ;; volume) s=4096 ;; *) echo "unknown case $c" >&2; exit 2 ;; esac
  d="$dir/$c"
  if [ ! -s "$d/access.log" ]; then
    "$bin" simulate --scenario web-volume --bytes "$bytes" --seed 7 --sources "$s" --out "$d" 2> /dev/null
  fi
  f="$d/access.log"
  cat "$f" > /dev/null
  echo "$c: $f ($(stat -c %s "$f") bytes), $threads thread(s); load: $(cut -d' ' -f1-3 /proc/loadavg)"
  rows=$(mktemp)
  for r in $(seq "$rounds"); do
    run off "$bin" --quiet --threads "$threads" hunt --config "$off" -o /dev/null "$f" >> "$rows" || true
    run on "$bin" --quiet --threads "$threads" hunt -o /dev/null "$f" >> "$rows" || true
    if [ -n "${BASE:-}" ]; then run base "$BASE" --quiet --threads "$threads" hunt -o /dev/null "$f" >> "$rows" || true; fi
  done
  sed 's/^/  /' "$rows"
  # Medians per label, then the on/off ratios.
  sort -k1,1 -k2,2n "$rows" | awk -v bytes="$(stat -c %s "$f")" '
    { w[$1, ++n[$1]] = $2; c[$1, n[$1]] = $3 }
    function med(a, l, k,   i, j, t, v) {
      for (i = 1; i <= k; i++) v[i] = a[l, i]
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
    }
    END {
      for (l in n) {
        mw[l] = med(w, l, n[l]); mc[l] = med(c, l, n[l])
        printf "  median %-4s wall %6.2f s (%4.0f MB/s)  CPU %6.2f s\n", l, mw[l], bytes / 1e6 / mw[l], mc[l]
      }
      if (("on" in mw) && ("off" in mw))
        printf "  rules on/off: wall %+.1f %%, CPU %+.1f %%, throughput on = %.1f %% of off\n",
          100 * (mw["on"] / mw["off"] - 1), 100 * (mc["on"] / mc["off"] - 1), 100 * mw["off"] / mw["on"]
    }'
  rm -f "$rows"
done
