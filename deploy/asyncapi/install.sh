#!/usr/bin/env bash
# The AsyncAPI project's parser (npm @asyncapi/parser, pinned in package-lock.json), for the
# contract test: installed once into deploy/asyncapi/node_modules.
exec "$(dirname "$0")/../npm-install.sh" "$(dirname "$0")"
