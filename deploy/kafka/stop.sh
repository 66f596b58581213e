#!/usr/bin/env bash
# Stop the broker started by start.sh: SIGTERM for a controlled shutdown, SIGKILL after a deadline.
set -euo pipefail
source "$(dirname "$0")/env.sh"
[ -f "$KAFKA_PID_FILE" ] || exit 0
pid="$(cat "$KAFKA_PID_FILE")"
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid"
  deadline=$((SECONDS + ${KAFKA_STOP_TIMEOUT:-30}))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
fi
rm -f "$KAFKA_PID_FILE"
echo "kafka stopped" >&2
