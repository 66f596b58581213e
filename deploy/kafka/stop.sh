#!/usr/bin/env bash
# Stop the broker started by start.sh: SIGTERM for a controlled shutdown, SIGKILL after a deadline.
set -euo pipefail
source "$(dirname "$0")/env.sh"
[ -f "$KAFKA_PID_FILE" ] || exit 0
pid="$(cat "$KAFKA_PID_FILE")"
if kafka_pid_running "$pid"; then
  kill -TERM "$pid"
  deadline=$((SECONDS + ${KAFKA_STOP_TIMEOUT:-30}))
  while kafka_pid_running "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  kafka_pid_running "$pid" && kill -KILL "$pid"
fi
rm -f "$KAFKA_PID_FILE"
echo "kafka stopped" >&2
