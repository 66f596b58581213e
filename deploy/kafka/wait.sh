#!/usr/bin/env bash
# Wait until the broker has started and accepts connections; fail with its log if it does not.
set -euo pipefail
source "$(dirname "$0")/env.sh"
deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-90}))
pid="$(cat "$KAFKA_PID_FILE" 2>/dev/null || true)"
while [ $SECONDS -lt $deadline ]; do
  if [ -n "$pid" ] && ! kafka_pid_running "$pid"; then
    echo "kafka exited during start-up; last log lines:" >&2
    tail -n 40 "$KAFKA_LOG_FILE" >&2
    exit 1
  fi
  if grep -q "Kafka Server started" "$KAFKA_LOG_FILE" 2>/dev/null \
     && (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null; then
    exit 0
  fi
  sleep 0.5
done
echo "kafka did not become ready within ${KAFKA_START_TIMEOUT:-90}s; last log lines:" >&2
tail -n 40 "$KAFKA_LOG_FILE" >&2
exit 1
