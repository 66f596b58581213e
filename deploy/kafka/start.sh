#!/usr/bin/env bash
# Start a single-node KRaft Kafka broker in the background and wait until it answers.
# Fetches the jars and formats storage on first use. Does nothing if this broker already runs.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if [ -f "$KAFKA_PID_FILE" ] && kafka_pid_running "$(cat "$KAFKA_PID_FILE")"; then
  echo "kafka already running (pid $(cat "$KAFKA_PID_FILE")) on 127.0.0.1:$KAFKA_PORT" >&2
  exit 0
fi
"$KAFKA_DEPLOY_DIR/format.sh"
render_server_properties  # ports may differ from the last start
[ -f "$KAFKA_LOG_FILE" ] && mv "$KAFKA_LOG_FILE" "$KAFKA_LOG_FILE.1"
nohup "${KAFKA_JAVA[@]}" kafka.Kafka "$KAFKA_STATE_DIR/server.properties" \
  >>"$KAFKA_LOG_FILE" 2>&1 </dev/null &
echo $! >"$KAFKA_PID_FILE"
# A node of a cluster cannot finish starting alone (no quorum): cluster.sh waits for all.
[ "${KAFKA_NO_WAIT:-}" = 1 ] && exit 0
"$KAFKA_DEPLOY_DIR/wait.sh"
echo "kafka $KAFKA_VERSION ready on 127.0.0.1:$KAFKA_PORT (pid $(cat "$KAFKA_PID_FILE"), log $KAFKA_LOG_FILE)" >&2
