#!/usr/bin/env bash
# The differential test's whole chain on the real-data corpus:
#   1. the venv (setup.sh) and the reference side's own unit tests;
#   2. `haboob events --fields` over the corpus' EVTX, web logs and sign-in
#      samples -> events.jsonl -> events.sqlite (events_to_sqlite.py);
#   3. the SigmaHQ rules and the three Hayabusa correlation rules of the
#      corpus converted by pySigma's SQLite backend
#      (convert.py) and run over the events (run_ref.py): ref_hits.jsonl and
#      the per-rule reference hit counts;
#   4. SigmaHQ's regression cases (an .evtx and how many events its rule
#      matches): the reference chain must find that many (regression.py);
#   5. `haboob rules check` on the same rules: both sides load the same rules
#      (compare.py --haboob-check);
#   6. haboob's hits, from HABOOB_HITS=FILE or from `haboob hunt --rules R
#      --timeline FILE.jsonl`, compared rule by rule (compare.py): events for
#      detection rules, the groups that fired for correlation rules (from the
#      hunt's JSON Lines alerts); exit 1 on a disagreement that
#      known_disagreements.toml does not list.
# Until haboob prints Sigma hits, step 6 is skipped and said so.
#
#   scripts/sigma_ref/test.sh
# Environment: HABOOB (binary; default target/release/haboob, built if
# missing), HABOOB_CORPUS (default ../shared/corpus), SIGMA_REF_VENV,
# SIGMA_REF_OUT (default target/sigma-ref), HABOOB_HITS.
# Exit 0: pass; 1: disagreement or failure; 75: PyPI unreachable (no venv).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
corpus=${HABOOB_CORPUS:-$root/../shared/corpus}
out=${SIGMA_REF_OUT:-$root/target/sigma-ref}
mkdir -p "$out"

rc=0
venv=$("$here/setup.sh") || rc=$?
if [ "$rc" -ne 0 ]; then
    [ "$rc" -eq 75 ] && echo "sigma_ref: SKIPPED: PyPI unreachable, no venv" >&2
    exit "$rc"
fi
py="$venv/bin/python"

echo "== reference side unit tests"
"$py" -m unittest discover -s "$here/tests"

for d in evtx weblogs signin sigma/SigmaHQ-sigma; do
    if [ ! -d "$corpus/$d" ]; then
        echo "sigma_ref: corpus folder $corpus/$d missing (HABOOB_CORPUS?)" >&2
        exit 1
    fi
done
logs=("$corpus/evtx" "$corpus/weblogs" "$corpus/signin")
sigma="$corpus/sigma/SigmaHQ-sigma"
rules=("$sigma/rules" "$sigma/rules-threat-hunting" "$sigma/rules-emerging-threats" "$sigma/rules-placeholder"
    "$corpus/sigma/correlation")

haboob=${HABOOB:-${CARGO_TARGET_DIR:-$root/target}/release/haboob}
if [ ! -x "$haboob" ]; then
    echo "== building haboob" >&2
    cargo build --release -q -p haboob-cli
fi

echo "== events"
"$haboob" events --fields --no-rejected -q "${logs[@]}" >"$out/events.jsonl"
"$py" "$here/events_to_sqlite.py" "$out/events.jsonl" -o "$out/events.sqlite" \
    --summary "$out/events_summary.json"

echo "== convert"
# --fix-references: the Hayabusa correlation rules write `references: <url>`.
"$py" "$here/convert.py" "${rules[@]}" --fix-references -o "$out/converted.jsonl"

echo "== reference hits per rule"
"$py" "$here/run_ref.py" "$out/converted.jsonl" "$out/events.sqlite" \
    -o "$out/ref_hits.jsonl" --summary "$out/ref_rules.jsonl"

echo "== SigmaHQ regression cases (the reference against SigmaHQ's expected matches)"
"$py" "$here/regression.py" "$sigma/regression_data" "${rules[@]}" --haboob "$haboob"

check=
if "$haboob" rules check --help >/dev/null 2>&1; then
    check="$out/haboob_check.txt"
    echo "== which rules load: haboob rules check against the reference"
    "$haboob" rules check -q "${rules[@]}" >"$out/haboob_check.txt" 2>&1 || true
    "$py" "$here/compare.py" "$out/ref_hits.jsonl" --ref-summary "$out/ref_rules.jsonl" \
        --haboob-check "$out/haboob_check.txt"
fi

hits=${HABOOB_HITS:-}
if [ -z "$hits" ]; then
    # haboob's side: `haboob hunt --rules R... --timeline FILE.jsonl` writes
    # one JSON line per hit with rule_id, file and line (exit 1: alerts).
    help=$("$haboob" hunt --help 2>/dev/null || true)
    if grep -q -- '--rules' <<<"$help" && grep -q -- '--timeline' <<<"$help"; then
        hits="$out/haboob_hits.jsonl"
        rule_args=()
        for r in "${rules[@]}"; do rule_args+=(--rules "$r"); done
        echo "== haboob hunt --rules ... --timeline $hits"
        rc=0
        "$haboob" hunt -q "${rule_args[@]}" --timeline "$hits" --output-format jsonl "${logs[@]}" \
            >"$out/haboob_alerts.jsonl" 2>"$out/hunt_stderr.txt" || rc=$?
        if [ "$rc" -gt 1 ]; then
            echo "sigma_ref: haboob hunt failed (exit $rc):" >&2
            tail -20 "$out/hunt_stderr.txt" >&2
            exit 1
        fi
    fi
fi
if [ -z "$hits" ]; then
    echo "== compare: SKIPPED (haboob prints no Sigma hits yet; reference side only)"
    exit 0
fi
echo "== compare ($hits)"
alerts=
[ -s "$out/haboob_alerts.jsonl" ] && alerts="$out/haboob_alerts.jsonl"
"$py" "$here/compare.py" "$out/ref_hits.jsonl" "$hits" --ref-summary "$out/ref_rules.jsonl" \
    ${check:+--haboob-check "$check"} ${alerts:+--haboob-alerts "$alerts"}
