#!/usr/bin/env bash
# npm ci into DIR/node_modules at the versions DIR/package-lock.json pins, once (again only
# when the lock changes): for the project's npm packages (deploy/asyncapi, deploy/console).
set -euo pipefail
cd "$1"
if [ -f node_modules/.installed ] && [ node_modules/.installed -nt package-lock.json ]; then
    exit 0
fi
npm ci --no-audit --no-fund --silent >/dev/null
touch node_modules/.installed
