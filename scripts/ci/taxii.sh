#!/usr/bin/env bash
# A TAXII 2.1 server (OASIS medallion, from PyPI) for the intel tests, on
# 127.0.0.1:5000 (the corpus's discovery document names
# http://localhost:5000/… API roots), serving a copy of
# ../shared/corpus/intel/taxii/ (memory backend: every start is fresh).
# Installs medallion into a venv (target/taxii-venv) when missing, reuses a
# running server, and prints the line to evaluate:
#
#   eval "$(scripts/ci/taxii.sh)"     # exports HABOOB_TAXII_URL
#
# Everything else goes to stderr. Settings: HABOOB_CORPUS (default
# ../shared/corpus), HABOOB_TAXII_VENV (default target/taxii-venv).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
corpus="${HABOOB_CORPUS:-$root/../shared/corpus}"
venv="${HABOOB_TAXII_VENV:-${CARGO_TARGET_DIR:-$root/target}/taxii-venv}"
port=5000
url="http://127.0.0.1:$port/taxii2/"
log() { echo "taxii.sh: $*" >&2; }

up() {
  curl -fsS -o /dev/null -u admin:Password0 \
    -H 'Accept: application/taxii+json;version=2.1' "$url" 2>/dev/null
}

if up; then
  log "reusing the server on 127.0.0.1:$port"
else
  [ -f "$corpus/intel/taxii/medallion-config.json" ] \
    || { log "no $corpus/intel/taxii/medallion-config.json"; exit 1; }
  if [ ! -x "$venv/bin/medallion" ]; then
    log "installing medallion into $venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q medallion >&2
  fi
  dir="$(mktemp -d /tmp/haboob-taxii.XXXXXX)"
  cp "$corpus"/intel/taxii/*.json "$dir/"
  log "starting medallion on 127.0.0.1:$port in $dir"
  # Detached from this script's stdout, which the caller reads to its end.
  (cd "$dir" && exec nohup "$venv/bin/medallion" --host 127.0.0.1 --port "$port" \
    medallion-config.json) < /dev/null > "$dir/server.log" 2>&1 &
  for _ in $(seq 1 60); do
    up && break
    sleep 0.5
  done
  up || { cat "$dir/server.log" >&2 || true; log "medallion did not start"; exit 1; }
fi
log "ready: $url (users admin/Password0, user1/Password1)"
echo "export HABOOB_TAXII_URL='$url'"
