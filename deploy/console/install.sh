#!/usr/bin/env bash
# The console's front-end packages (htmx, Chart.js) and axe-core for its accessibility test,
# from the npm registry at the versions package-lock.json pins: into deploy/console/node_modules.
set -euo pipefail
cd "$(dirname "$0")"
if [ -f node_modules/.installed ] && [ node_modules/.installed -nt package-lock.json ]; then
    exit 0
fi
npm ci --no-audit --no-fund --silent >/dev/null
touch node_modules/.installed
