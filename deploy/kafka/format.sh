#!/usr/bin/env bash
# Format the broker's storage (KRaft, standalone controller) once; a formatted store is kept.
set -euo pipefail
source "$(dirname "$0")/env.sh"
[ -f "$KAFKA_STATE_DIR/data/meta.properties" ] && exit 0
"$KAFKA_DEPLOY_DIR/fetch.sh"
mkdir -p "$KAFKA_STATE_DIR"
render_server_properties
cluster_id="${KAFKA_CLUSTER_ID:-}"
[ -n "$cluster_id" ] ||
  cluster_id="$("${KAFKA_JAVA[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
# One node: a standalone controller. A node of a cluster: the voters are in its properties.
standalone=(--standalone)
[ -n "$KAFKA_VOTERS" ] && standalone=()
"${KAFKA_JAVA[@]}" kafka.tools.StorageTool format "${standalone[@]}" \
  -t "$cluster_id" -c "$KAFKA_STATE_DIR/server.properties" >>"$KAFKA_LOG_FILE" 2>&1
echo "kafka storage formatted in $KAFKA_STATE_DIR/data (cluster $cluster_id)" >&2
