#!/usr/bin/env bash
# Makes the OASIS STIX 2.1 validator (stix2-validator from PyPI) available to
# the export tests (crates/cli/tests/export.rs): a virtualenv at
# target/ci-python (shared with the SMTP test server). Without it the tests
# print "skipped" (and fail under CI=true).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/ci-python
if [ -x "$venv/bin/stix2_validator" ]; then
  echo "stix: stix2-validator ready in $venv"
  exit 0
fi
mkdir -p target
[ -x "$venv/bin/python3" ] || python3 -m venv "$venv"
"$venv/bin/python3" -m pip install --quiet --disable-pip-version-check 'stix2-validator>=3.2,<4'
"$venv/bin/python3" -c 'import stix2validator; print("stix: stix2-validator in '"$venv"'")'
