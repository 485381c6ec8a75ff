#!/usr/bin/env bash
# Installs Debian's Chromium for the browser e2e test (test/e2e/ws-browser.e2e.spec.ts drives it with
# playwright-core). Does nothing when /usr/bin/chromium is already there. Must run as root.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium already installed"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null || true)"
