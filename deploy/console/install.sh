#!/usr/bin/env bash
# The console's front-end packages (htmx, Chart.js, qrcode-generator) and axe-core for its
# accessibility test, at the versions package-lock.json pins: into deploy/console/node_modules.
exec "$(dirname "$0")/../npm-install.sh" "$(dirname "$0")"
