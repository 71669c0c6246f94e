#!/usr/bin/env bash
# End-to-end sign-in and EVTX benchmarks.
#
# 1. Sign-in JSON: simulate the account-campaign scenario over DAYS days
#    (360 days ≈ 190 MB of Entra sign-in JSON plus ≈ 120 MB of M365 audit),
#    then time `haboob hunt` (single-threaded) on the Entra file alone and on
#    both files, next to `wc -l` on the same bytes.
# 2. EVTX: copy the corpus .evtx files COPIES times into one folder (distinct
#    names, so every copy is read) and time `haboob hunt` on it: records/s and
#    MB/s of file bytes.
#
#   bench/signin.sh [DAYS] [COPIES] [DIR]   (defaults: 360, 20, /tmp/haboob-bench-signin)
#
# Figures are per CPU-second (user + system) as well as wall time: on a shared
# machine the wall time includes waiting for a core.
set -euo pipefail
cd "$(dirname "$0")/.."
days=${1:-360}
copies=${2:-20}
dir=${3:-/tmp/haboob-bench-signin}
bin=${CARGO_TARGET_DIR:-target}/release/haboob
corpus=${HABOOB_CORPUS:-../shared/corpus}/evtx

cargo build --release --locked -q
if [ ! -s "$dir/acct/entra_signin.jsonl" ]; then
  rm -rf "$dir/acct"
  "$bin" --quiet simulate --scenario account-campaign --days "$days" --seed 7 --out "$dir/acct"
fi

# time_hunt LABEL FILES...: one single-threaded hunt, with wc -l for scale.
time_hunt() {
  local label=$1; shift
  local log size mb lines t0 t1 wc_s secs rss_kb usr sys
  log=$(mktemp)
  size=$(cat "$@" | wc -c)
  mb=$(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1e6 }')
  cat "$@" > /dev/null # warm the page cache
  t0=$(date +%s.%N); lines=$(cat "$@" | wc -l); t1=$(date +%s.%N)
  wc_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  # Exit status 1 means "alerts found": read /usr/bin/time's last line only.
  /usr/bin/time -f '%e %M %U %S' -o "$log" "$bin" --threads 1 hunt --format jsonl -o /dev/null "$@" \
    2> "$log.err" || true
  read -r secs rss_kb usr sys < <(tail -n 1 "$log")
  local recs; recs=$(grep -oE '^[0-9]+ lines, [0-9]+ parsed' "$log.err" | awk '{ print $3 }' | tail -n 1)
  rm -f "$log" "$log.err"
  awk -v l="$label" -v s="$secs" -v r="$rss_kb" -v u="$usr" -v k="$sys" -v mb="$mb" -v wc="$wc_s" \
    -v n="${recs:-$lines}" 'BEGIN {
    cpu = u + k
    printf "%s: %.1f MB, %d records; %.2f s wall, %.2f s CPU; %.0f MB/s per CPU-second (%.0f wall); %.0f k records/s per CPU-second; %.1fx wc -l time; peak RSS %.0f MiB\n",
      l, mb, n, s, cpu, mb / cpu, mb / s, n / cpu / 1e3, s / wc, r / 1024 }'
}

time_hunt "entra (1 thread)" "$dir/acct/entra_signin.jsonl"
time_hunt "entra+m365 (1 thread)" "$dir/acct/entra_signin.jsonl" "$dir/acct/m365_audit.jsonl"

rm -rf "$dir/evtx"
mkdir -p "$dir/evtx"
i=0
while IFS= read -r -d '' f; do
  i=$((i + 1))
  for c in $(seq 1 "$copies"); do
    cp "$f" "$dir/evtx/$(printf '%03d_%03d' "$i" "$c").evtx"
  done
done < <(find "$corpus" -iname '*.evtx' -print0 | sort -z)
time_hunt "evtx corpus x$copies (1 thread)" "$dir"/evtx/*.evtx
