#!/usr/bin/env bash
# Creates (or reuses) the virtual environment of the Sigma reference side:
# pySigma and pysigma-backend-sqlite at the versions pinned in requirements.txt.
#
#   scripts/sigma_ref/setup.sh [VENV]     (default: target/sigma-ref-venv)
#
# Idempotent: a venv installed from the same requirements.txt is reused as is
# (nothing is downloaded). Prints the venv path on stdout.
# Exit 0: ready; 75: PyPI unreachable (the reference side cannot run offline);
# 1: any other failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${1:-${SIGMA_REF_VENV:-$root/target/sigma-ref-venv}}
req="$here/requirements.txt"

# Python 3.11 or newer (pySigma 2 and the backend require it).
py=${PYTHON:-}
if [ -z "$py" ]; then
    for c in python3.13 python3.12 python3.11 python3; do
        if command -v "$c" >/dev/null 2>&1 &&
            "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            py=$c
            break
        fi
    done
fi
if [ -z "$py" ]; then
    echo "sigma_ref: no Python >= 3.11 found (set PYTHON=...)" >&2
    exit 1
fi

want=$(sha256sum "$req" | cut -d' ' -f1)
stamp="$venv/.sigma-ref-requirements"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "$venv"
    exit 0
fi

echo "sigma_ref: installing pySigma into $venv (requirements.txt changed or new venv)" >&2
start=$(date +%s)
"$py" -m venv "$venv"
rm -f "$stamp"
log="$venv/pip-install.log"
if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input \
    --timeout 20 --retries 1 -r "$req" >"$log" 2>&1; then
    if grep -qiE 'NewConnectionError|connection (broken|refused|reset)|Temporary failure in name resolution|timed out|Network is unreachable' "$log"; then
        echo "sigma_ref: PyPI is unreachable, so pySigma cannot be installed; the reference side" >&2
        echo "sigma_ref: needs it (nothing else does). Retry with network, or point SIGMA_REF_VENV" >&2
        echo "sigma_ref: at a venv installed from $req. pip's log: $log" >&2
        exit 75
    fi
    echo "sigma_ref: pip install failed; its log: $log" >&2
    tail -20 "$log" >&2
    exit 1
fi
echo "$want" >"$stamp"
echo "sigma_ref: installed in $(($(date +%s) - start)) s" >&2
echo "$venv"
