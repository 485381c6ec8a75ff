#!/usr/bin/env bash
# Installs the system tools the tests use and a clean machine may lack: Debian's Chromium (browser
# e2e tests drive it with playwright-core), curl and jq (the documentation tests run the docs' shell
# examples). Installs only what is missing. Must run as root.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v curl >/dev/null || missing+=(curl)
command -v jq >/dev/null || missing+=(jq)
if [ ${#missing[@]} -eq 0 ]; then
  echo "chromium, curl and jq already installed"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
