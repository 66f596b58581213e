#!/usr/bin/env bash
# Install PostgreSQL's server from Debian's packages when it is missing.
set -euo pipefail
source "$(dirname "$0")/env.sh"
pg_bindir >/dev/null && exit 0
echo "installing PostgreSQL from Debian's packages ..." >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq postgresql >/dev/null
# Debian's package starts its own cluster; pointstream runs its own, so stop that one.
$sudo service postgresql stop >/dev/null 2>&1 || true
pg_bindir >/dev/null
