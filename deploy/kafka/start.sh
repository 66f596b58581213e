#!/usr/bin/env bash
# Start a single-node KRaft Kafka broker in the background and wait until it answers.
# Formats storage on first use. Idempotent: does nothing if this broker already runs.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$KAFKA_DEPLOY_DIR/fetch.sh"
mkdir -p "$KAFKA_STATE_DIR"
if [ -f "$KAFKA_PID_FILE" ] && kill -0 "$(cat "$KAFKA_PID_FILE")" 2>/dev/null; then
  echo "kafka already running (pid $(cat "$KAFKA_PID_FILE")) on 127.0.0.1:$KAFKA_PORT" >&2
  exit 0
fi
sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
    -e "s|@KAFKA_STATE_DIR@|$KAFKA_STATE_DIR|g" -e "s|@KAFKA_PARTITIONS@|$KAFKA_PARTITIONS|g" \
    "$KAFKA_DEPLOY_DIR/server.properties.in" > "$KAFKA_STATE_DIR/server.properties"
java_cmd=(java $KAFKA_HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$KAFKA_DEPLOY_DIR/log4j2.properties"
  -cp "$KAFKA_LIBS/*")
if [ ! -f "$KAFKA_STATE_DIR/data/meta.properties" ]; then
  cluster_id="$("${java_cmd[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
  "${java_cmd[@]}" kafka.tools.StorageTool format --standalone \
    -t "$cluster_id" -c "$KAFKA_STATE_DIR/server.properties" >>"$KAFKA_LOG_FILE" 2>&1
fi
[ -f "$KAFKA_LOG_FILE" ] && mv "$KAFKA_LOG_FILE" "$KAFKA_LOG_FILE.1"
nohup "${java_cmd[@]}" kafka.Kafka "$KAFKA_STATE_DIR/server.properties" \
  >>"$KAFKA_LOG_FILE" 2>&1 </dev/null &
echo $! >"$KAFKA_PID_FILE"
"$KAFKA_DEPLOY_DIR/wait.sh"
echo "kafka $KAFKA_VERSION ready on 127.0.0.1:$KAFKA_PORT (pid $(cat "$KAFKA_PID_FILE"), log $KAFKA_LOG_FILE)" >&2
