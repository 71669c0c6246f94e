#!/usr/bin/env bash
# Score haboob on CrowdSec hub HTTP test cases that are not in the corpus
# (issue 12, item 2: a genuinely unseen set). See bench/crowdsec_unseen.py for
# the selection and scoring rules.
#
# Usage: bench/crowdsec_unseen.sh HUB_GIT_DIR [CORPUS_DIR] [HABOOB_BIN]
#   HUB_GIT_DIR  a git directory of github.com/crowdsecurity/hub
#                (e.g. `git clone --bare https://github.com/crowdsecurity/hub`)
#   CORPUS_DIR   the real-data corpus (default ../shared/corpus)
#   HABOOB_BIN   default target/release/haboob
# Logs are extracted to /tmp/crowdsec_unseen (never into the repository).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
hub=${1:?usage: $0 HUB_GIT_DIR [CORPUS_DIR] [HABOOB_BIN]}
corpus=${2:-$here/../shared/corpus}
bin=${3:-${CARGO_TARGET_DIR:-$here/target}/release/haboob}
exec python3 "$here/bench/crowdsec_unseen.py" "$hub" "$corpus/crowdsec/.tests" "$bin" /tmp/crowdsec_unseen
