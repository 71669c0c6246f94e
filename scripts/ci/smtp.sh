#!/usr/bin/env bash
# Makes aiosmtpd available to the notification tests (crates/notify/tests):
# a virtualenv at target/ci-python with aiosmtpd from PyPI. The tests start
# scripts/ci/smtp_sink.py with it on a loopback port; without it they print
# "skipped" (and fail under CI=true).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/ci-python
if [ -x "$venv/bin/python3" ] && "$venv/bin/python3" -c 'import aiosmtpd' 2>/dev/null; then
  echo "smtp: aiosmtpd ready in $venv"
  exit 0
fi
mkdir -p target
python3 -m venv "$venv"
"$venv/bin/python3" -m pip install --quiet --disable-pip-version-check 'aiosmtpd>=1.4,<2'
"$venv/bin/python3" -c 'import aiosmtpd; print("smtp: aiosmtpd", aiosmtpd.__version__, "in '"$venv"'")'
