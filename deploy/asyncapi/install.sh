#!/usr/bin/env bash
# The AsyncAPI project's parser (npm @asyncapi/parser, pinned in package-lock.json), for the
# contract test: installed once into deploy/asyncapi/node_modules.
set -euo pipefail
cd "$(dirname "$0")"
if [ -f node_modules/.installed ] && [ node_modules/.installed -nt package-lock.json ]; then
    exit 0
fi
npm ci --no-audit --no-fund --silent >/dev/null
touch node_modules/.installed
