#!/usr/bin/env bash
# `make run`: Kafka on 127.0.0.1:9092 and the three services with SQLite under var/.
# Ctrl-C (or SIGTERM) stops the services and the broker.
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
}
trap stop_all INT TERM EXIT

# The program report (pointstream report) adds the ledger's liability with the dev key.
export RULES_LEDGER_URL="${RULES_LEDGER_URL:-http://127.0.0.1:${LEDGER_PORT:-8002}}"
export RULES_LEDGER_API_KEY="${RULES_LEDGER_API_KEY:-dev-key}"
declare -A ports=([rules]="${RULES_PORT:-8001}" [ledger]="${LEDGER_PORT:-8002}"
                  [notifications]="${NOTIFICATIONS_PORT:-8003}")
for service in rules ledger notifications; do
  "$py" -m "services.$service" migrate >"var/logs/$service.migrate.log" 2>&1
  "$py" -m "services.$service" serve >"var/logs/$service.log" 2>&1 &
  pids+=($!)
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
wait -n "${pids[@]}" || true
echo "a service exited; see var/logs/" >&2
