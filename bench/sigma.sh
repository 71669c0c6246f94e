#!/usr/bin/env bash
# Sigma benchmark (issue 13), in one run on a warm page cache:
#
#   1. SigmaHQ Windows rules over a folder of EVTX files (the
#      hayabusa-sample-evtx repository): `haboob hunt --rules` beside
#      `evtx_dump` (crate `evtx`: `cargo install evtx`) printing every file
#      as JSON, the parse-only floor.
#   2. SigmaHQ web rules over an access log (e.g. bench/web.sh's 1 GB files),
#      beside the built-in detectors and alone (a configuration with every
#      built-in detector off), with the built-in detectors alone and the
#      parsing floor (neither).
#   3. Rules loaded per SigmaHQ folder (`haboob rules check --summary`).
#
#   bench/sigma.sh SIGMAHQ_DIR EVTX_DIR [ACCESS_LOG] [ROUNDS]
#
# SIGMAHQ_DIR is a checkout of SigmaHQ/sigma (rules*/ under it). Wall time,
# CPU time and peak RSS per round. Record results in BENCHMARKS.md with the
# machine and the command.
set -euo pipefail
cd "$(dirname "$0")/.."
hq=${1:?SigmaHQ checkout}
evtx=${2:?folder of .evtx files}
log=${3:-}
rounds=${4:-3}
bin=${CARGO_TARGET_DIR:-target}/release/haboob
dump=${EVTX_DUMP:-$(command -v evtx_dump || true)}
cargo build --release --locked -q

measure() { # label command...
  local label=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o /tmp/haboob-sigma-time "$@" > /dev/null 2>&1 || true
  read -r wall user sys rss < <(tail -1 /tmp/haboob-sigma-time)
  printf '  %-34s %6.2f s wall %6.2f s CPU  peak RSS %5d MiB\n' "$label" "$wall" \
    "$(echo "$user + $sys" | bc)" "$((rss / 1024))"
}

files=$(find "$evtx" -name '*.evtx' | wc -l)
size=$(find "$evtx" -name '*.evtx' -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
echo "EVTX: $files files, $((size / 1048576)) MiB; rules: $hq/rules/windows"
for r in $(seq "$rounds"); do
  echo "round $r"
  if [ -n "$dump" ]; then
    measure "evtx_dump -o json (every file)" \
      sh -c "find '$evtx' -name '*.evtx' -print0 | xargs -0 -n1 '$dump' -o json"
  fi
  measure "haboob hunt --rules (2 threads)" \
    "$bin" hunt -q --threads 2 --rules "$hq/rules/windows" "$evtx"
  measure "haboob hunt --rules (1 thread)" \
    "$bin" hunt -q --threads 1 --rules "$hq/rules/windows" "$evtx"
done
# The hits must not move with a speed change: one timeline row per hit
# (4,688 on the 115-file set as fetched here, SigmaHQ 8eaafff1f).
"$bin" hunt -q --threads 2 --rules "$hq/rules/windows" --timeline /tmp/haboob-sigma-timeline.csv \
  "$evtx" > /dev/null 2>&1 || true
echo "EVTX hits (timeline rows): $(($(wc -l < /tmp/haboob-sigma-timeline.csv) - 1))"
if [ -n "$log" ]; then
  mb=$(( $(stat -c %s "$log") / 1000000 ))
  echo "web: $log ($mb MB); rules: $hq/rules/web"
  # The rules alone: every built-in detector switched off.
  off=/tmp/haboob-sigma-no-builtin.toml
  "$bin" config --default | sed 's/^enabled = true$/enabled = false/' > "$off"
  for r in $(seq "$rounds"); do
    measure "haboob hunt (built-in only)" "$bin" hunt -q --threads 2 "$log"
    measure "haboob hunt --rules rules/web" "$bin" hunt -q --threads 2 --rules "$hq/rules/web" "$log"
    measure "haboob hunt --rules (rules alone)" "$bin" hunt -q --threads 2 -c "$off" --rules "$hq/rules/web" "$log"
    measure "haboob hunt (nothing: parse floor)" "$bin" hunt -q --threads 2 -c "$off" "$log"
  done
fi
echo "rules loaded per folder:"
"$bin" rules check --summary "$hq"/rules* | tail -40 || true
