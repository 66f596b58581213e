#!/usr/bin/env bash
# `make run`: Kafka on 127.0.0.1:9092 and the three services with SQLite under var/, and the
# console. A service that dies is started again (with back-off); Ctrl-C (or SIGTERM) stops the
# services and the broker.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
py="$root/.venv/bin/python"
export PYTHONPATH="$root"
mkdir -p var/logs

source "$root/deploy/kafka/env.sh"
started_kafka=no
if ! { [ -f "$KAFKA_PID_FILE" ] && kill -0 "$(cat "$KAFKA_PID_FILE")" 2>/dev/null; }; then
  "$root/deploy/kafka/start.sh"
  started_kafka=yes
fi
pids=()
stop_all() {
  trap - INT TERM EXIT
  echo; echo "stopping services ..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$started_kafka" = yes ]; then "$root/deploy/kafka/stop.sh"; fi
  exit 0  # not back into the loop that restarts services
}
trap stop_all INT TERM EXIT

# The program report (pointstream report) adds the ledger's liability with the dev key.
export RULES_LEDGER_URL="${RULES_LEDGER_URL:-http://127.0.0.1:${LEDGER_PORT:-8002}}"
export RULES_LEDGER_API_KEY="${RULES_LEDGER_API_KEY:-dev-key}"
declare -A ports=([rules]="${RULES_PORT:-8001}" [ledger]="${LEDGER_PORT:-8002}"
                  [notifications]="${NOTIFICATIONS_PORT:-8003}")
declare -A pid_of=()
start_service() {  # start_service NAME: serve it in the background, its log appended
  "$py" -m "services.$1" serve >>"var/logs/$1.log" 2>&1 &
  pid_of[$1]=$!
  pids+=($!)
}
for service in rules ledger notifications; do
  "$py" -m "services.$service" migrate >"var/logs/$service.migrate.log" 2>&1
  : >"var/logs/$service.log"
  start_service "$service"
done
for service in rules ledger notifications; do
  url="http://127.0.0.1:${ports[$service]}"
  deadline=$((SECONDS + 60))
  until curl -sf "$url/readyz" >/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "$service did not become ready; see var/logs/$service.log" >&2
      tail -n 20 "var/logs/$service.log" >&2
      exit 1
    fi
    sleep 0.3
  done
done
# The console: pages for the program manager, on the three services' HTTP APIs.
export CONSOLE_RULES_URL="http://127.0.0.1:${ports[rules]}"
export CONSOLE_LEDGER_URL="http://127.0.0.1:${ports[ledger]}"
export CONSOLE_NOTIFICATIONS_URL="http://127.0.0.1:${ports[notifications]}"
console_port="${CONSOLE_PORT:-8000}"
"$py" -m services.console serve >"var/logs/console.log" 2>&1 &
pid_of[console]=$!
pids+=($!)
deadline=$((SECONDS + 30))
until curl -sf "http://127.0.0.1:$console_port/healthz" >/dev/null; do
  if [ $SECONDS -ge $deadline ]; then
    echo "the console did not start; see var/logs/console.log" >&2
    exit 1
  fi
  sleep 0.3
done
cat <<MSG

pointstream is running (logs in var/logs/, Kafka on 127.0.0.1:${KAFKA_PORT:-9092}):
  rules (ingest)   http://127.0.0.1:${ports[rules]}/docs
  ledger           http://127.0.0.1:${ports[ledger]}/docs
  notifications    http://127.0.0.1:${ports[notifications]}/docs
  console          http://127.0.0.1:$console_port/  (sign in with the key below)
Development API key: dev-key (all scopes; set AUTH_API_KEYS in production).
Try: make demo        Stop: Ctrl-C
MSG
# As an orchestrator would: a service that dies is started again, after a pause that doubles
# with each death in a row (1 s up to 60 s; a minute up resets it), said on the terminal and in
# its log; the others keep running. Ctrl-C stops everything.
declare -A backoff=() started_at=()
for name in "${!pid_of[@]}"; do backoff[$name]=1; started_at[$name]=$SECONDS; done
while true; do
  wait -n "${pid_of[@]}" || true
  for name in "${!pid_of[@]}"; do
    kill -0 "${pid_of[$name]}" 2>/dev/null && continue
    code=0
    wait "${pid_of[$name]}" 2>/dev/null || code=$?
    if [ $((SECONDS - started_at[$name])) -ge 60 ]; then backoff[$name]=1; fi
    pause=${backoff[$name]}
    message="$(date -u +%FT%TZ) $name exited (status $code); restarting it in ${pause}s"
    echo "$message" >&2
    echo "{\"level\": \"warning\", \"service\": \"run.sh\", \"message\": \"$message\"}" >>"var/logs/$name.log"
    sleep "$pause"
    backoff[$name]=$((pause * 2 > 60 ? 60 : pause * 2))
    started_at[$name]=$SECONDS
    if [ "$name" = console ]; then
      "$py" -m services.console serve >>"var/logs/console.log" 2>&1 &
      pid_of[console]=$!
      pids+=($!)
    else
      start_service "$name"
    fi
  done
done
