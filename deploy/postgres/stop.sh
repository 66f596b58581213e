#!/usr/bin/env bash
# Stop the project's PostgreSQL cluster (fast shutdown).
set -euo pipefail
source "$(dirname "$0")/env.sh"
[ -f "$PG_DATA/postmaster.pid" ] || exit 0
bin="$(pg_bindir)"
as_pg_owner "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
echo "postgres stopped" >&2
