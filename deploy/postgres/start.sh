#!/usr/bin/env bash
# Start a PostgreSQL cluster owned by the project (var/postgres) on 127.0.0.1:$PG_PORT,
# with one database per service. Idempotent.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$PG_DEPLOY_DIR/install.sh"
bin="$(pg_bindir)"
mkdir -p "$PG_STATE_DIR"
[ "$(id -u)" = 0 ] && chown postgres "$PG_STATE_DIR"
if [ ! -f "$PG_DATA/PG_VERSION" ]; then
  as_pg_owner "$bin/initdb" -D "$PG_DATA" -U "$PG_USER" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
if ! as_pg_owner "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
  if (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null; then
    taken="$PG_PORT"
    PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    echo "port $taken is taken; using free port $PG_PORT" >&2
  fi
  echo "$PG_PORT" >"$PG_STATE_DIR/port"
  as_pg_owner "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG_FILE" -w -t 60 start \
    -o "-p $PG_PORT -k $PG_STATE_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=${PG_FSYNC:-on} ${PG_OPTIONS:-}" >/dev/null
fi
deadline=$((SECONDS + 60))
until "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; do
  [ $SECONDS -lt $deadline ] || { echo "postgres did not become ready" >&2; tail -n 30 "$PG_LOG_FILE" >&2; exit 1; }
  sleep 0.2
done
for db in $PG_DATABASES; do
  if [ -z "$("$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'")" ]; then
    "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$db"
  fi
done
echo "postgres ready: postgresql://$PG_USER@127.0.0.1:$PG_PORT/ (databases: ${PG_DATABASES:-none})" >&2
