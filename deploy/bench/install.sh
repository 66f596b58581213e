#!/usr/bin/env bash
# Install what `make bench` needs beyond the test infrastructure: wrk, from Debian's packages.
set -euo pipefail
command -v wrk >/dev/null && exit 0
echo "installing wrk from Debian's packages ..." >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq wrk >/dev/null
command -v wrk >/dev/null
