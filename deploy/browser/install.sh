#!/usr/bin/env bash
# A real browser for the console's page tests: Debian's Chromium and its driver (Playwright's
# own browser download does not work here; the tests point Playwright at this one).
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q >/dev/null
"${sudo[@]}" apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null
echo "chromium $(chromium --version 2>/dev/null | awk '{print $2}') installed" >&2
