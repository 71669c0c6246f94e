#!/usr/bin/env bash
# Installs Debian's headless Chromium and its WebDriver (chromedriver) when
# missing, for the console's browser test (crates/server/tests/browser.rs).
set -euo pipefail
if command -v chromedriver >/dev/null 2>&1 && { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }; then
  echo "chromium: $(chromium --version 2>/dev/null || true); $(chromedriver --version 2>/dev/null | head -n 1)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-dejavu-core
chromium --version
chromedriver --version | head -n 1
