# Shared settings for the PostgreSQL scripts; sourced, not run.
PG_DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$PG_DEPLOY_DIR/../.." && pwd)"
PG_STATE_DIR="${PG_STATE_DIR:-$REPO_ROOT/var/postgres}"
# The port a cluster last ran on is kept in var/postgres/port and reused.
PG_PORT="${PG_PORT:-$(cat "$PG_STATE_DIR/port" 2>/dev/null || echo 55432)}"
PG_USER="${PG_USER:-pointstream}"
PG_DATABASES="${PG_DATABASES-ledger rules notifications}"
PG_DATA="$PG_STATE_DIR/data"
PG_LOG_FILE="$PG_STATE_DIR/postgres.log"

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v pg_ctl >/dev/null && { dirname "$(command -v pg_ctl)"; return 0; }
  return 1
}

# initdb and the server refuse to run as root: run them as the postgres system user then.
as_pg_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
