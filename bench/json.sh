#!/usr/bin/env bash
# JSON documents against JSON Lines: the same Entra ID sign-in records
# (account-campaign, DAYS days) as JSON Lines and as a pretty-printed JSON
# array (`jq -s .`, what the Entra portal's "Download JSON" gives), each hunted
# ROUNDS times, alternating, in the same run; reports records/s and MB/s per
# CPU-second and the array/JSONL CPU-time ratio (goal: within 10 %), and
# checks that both give the same alerts.
#
#   bench/json.sh [DAYS] [ROUNDS] [DIR]   (defaults: 120, 5, /tmp/haboob-bench-json)
#   THREADS=2 bench/json.sh …             (threads per hunt, default 1; the wall-time
#                                         ratio is printed beside the CPU ratio)
#
# Needs jq. Figures are per CPU-second (user + system): the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
days=${1:-120}
rounds=${2:-5}
dir=${3:-/tmp/haboob-bench-json}
bin=${CARGO_TARGET_DIR:-target}/release/haboob
threads=${THREADS:-1}

cargo build --release --locked -q
jsonl="$dir/entra_signin.jsonl"
array="$dir/entra_signin.pretty.json"
if [ ! -s "$array" ]; then
  rm -rf "$dir"
  "$bin" --quiet simulate --scenario account-campaign --days "$days" --seed 7 --out "$dir"
  jq -s . "$jsonl" > "$array"
fi
cat "$jsonl" "$array" > /dev/null # warm the page cache

# run FILE: one hunt on $threads threads; prints "cpu_seconds wall_seconds rss_kib records alerts".
run() {
  local log out
  log=$(mktemp); out=$(mktemp)
  # Exit status 1 means "alerts found": read /usr/bin/time's last line only.
  /usr/bin/time -f '%e %M %U %S' -o "$log" "$bin" --quiet --threads "$threads" hunt --format jsonl -o "$out" "$1" || true
  read -r secs rss_kb usr sys < <(tail -n 1 "$log")
  local recs alerts
  recs=$(tail -n 1 "$out" | jq .lines)
  alerts=$(jq -r 'select(.kind == "alert") | .id' "$out" | sort | md5sum | cut -c1-12)
  rm -f "$log" "$out"
  awk -v u="$usr" -v k="$sys" -v s="$secs" -v r="$rss_kb" -v n="$recs" -v a="$alerts" \
    'BEGIN { printf "%.2f %.2f %d %d %s\n", u + k, s, r / 1024, n, a }'
}

report() { # LABEL FILE CPU WALL RSS RECORDS
  local mb
  mb=$(awk -v b="$(stat -c %s "$2")" 'BEGIN { printf "%.1f", b / 1e6 }')
  awk -v l="$1" -v mb="$mb" -v c="$3" -v w="$4" -v r="$5" -v n="$6" 'BEGIN {
    printf "%s: %.1f MB, %d records; best of rounds %.2f s CPU (%.2f s wall); %.0f MB/s and %.0f k records/s per CPU-second; peak RSS %d MiB\n",
      l, mb, n, c, w, mb / c, n / c / 1e3, r }'
}

best_l=""; best_a=""; all_l=""; all_a=""; ratios=""; wratios=""
for i in $(seq 1 "$rounds"); do
  read -r cl wl rl nl al < <(run "$jsonl")
  read -r ca wa ra na aa < <(run "$array")
  echo "round $i: jsonl ${cl} s CPU (${wl} s wall), array ${ca} s CPU (${wa} s wall)"
  all_l="$all_l $cl"; all_a="$all_a $ca"
  ratios="$ratios $(awk -v a="$ca" -v l="$cl" 'BEGIN { printf "%.3f", a / l }')"
  wratios="$wratios $(awk -v a="$wa" -v l="$wl" 'BEGIN { printf "%.3f", a / l }')"
  if [ -z "$best_l" ] || awk -v a="$cl" -v b="$best_l" 'BEGIN { exit !(a < b) }'; then best_l=$cl; bw_l=$wl; br_l=$rl; fi
  if [ -z "$best_a" ] || awk -v a="$ca" -v b="$best_a" 'BEGIN { exit !(a < b) }'; then best_a=$ca; bw_a=$wa; br_a=$ra; fi
done
report "JSON Lines ($threads thread(s))" "$jsonl" "$best_l" "$bw_l" "$br_l" "$nl"
report "pretty array ($threads thread(s))" "$array" "$best_a" "$bw_a" "$br_a" "$na"
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
awk -v a="$best_a" -v l="$best_l" 'BEGIN { printf "array / JSON Lines CPU time: %.3f (best of rounds)\n", a / l }'
echo "medians: JSON Lines $(median "$all_l") s CPU, array $(median "$all_a") s CPU; median of the per-round ratios $(median "$ratios") CPU, $(median "$wratios") wall"
if [ "$nl" = "$na" ] && [ "$al" = "$aa" ]; then
  echo "same records ($nl) and same alert ids (md5 $al) from both"
else
  echo "MISMATCH: records $nl vs $na, alert ids $al vs $aa" >&2
  exit 1
fi
