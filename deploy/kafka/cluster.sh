#!/usr/bin/env bash
# A three-node KRaft Kafka cluster on this machine (each node a broker and a controller), from
# the same Maven artifacts as the single broker. For the tests of losing a broker mid-stream.
#
#   cluster.sh start          start the three nodes (formatting their storage on first use)
#   cluster.sh start N        start node N again (after a stop or a kill -9)
#   cluster.sh stop [N]       stop all nodes, or node N
#   cluster.sh bootstrap      print the bootstrap servers
#
# KAFKA_CLUSTER_DIR (var/kafka-cluster), KAFKA_CLUSTER_PORTS (19092,19093,19094) and
# KAFKA_CLUSTER_CONTROLLER_PORTS (19192,19193,19194) place it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"
dir="${KAFKA_CLUSTER_DIR:-$REPO_ROOT/var/kafka-cluster}"
IFS=, read -ra ports <<<"${KAFKA_CLUSTER_PORTS:-19092,19093,19094}"
IFS=, read -ra controllers <<<"${KAFKA_CLUSTER_CONTROLLER_PORTS:-19192,19193,19194}"
voters=""
for i in 1 2 3; do voters+="${voters:+,}$i@127.0.0.1:${controllers[$((i - 1))]}"; done

cluster_id() {
  mkdir -p "$dir"
  if [ ! -f "$dir/cluster-id" ]; then
    "$here/fetch.sh"
    "${KAFKA_JAVA[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1 >"$dir/cluster-id"
  fi
  cat "$dir/cluster-id"
}

node() {  # node N COMMAND: run a single-broker script as node N
  local n="$1" script="$2"
  KAFKA_STATE_DIR="$dir/node-$n" KAFKA_PORT="${ports[$((n - 1))]}" \
    KAFKA_CONTROLLER_PORT="${controllers[$((n - 1))]}" KAFKA_NODE_ID="$n" KAFKA_VOTERS="$voters" \
    KAFKA_TEMPLATE="$here/server-cluster.properties.in" KAFKA_CLUSTER_ID="$(cluster_id)" \
    KAFKA_HEAP_OPTS="${KAFKA_NODE_HEAP_OPTS:--Xms128m -Xmx512m}" "$here/$script"
}

command="${1:-start}"
shift || true
nodes=("$@")
[ ${#nodes[@]} -gt 0 ] || nodes=(1 2 3)
case "$command" in
  start)
    for n in "${nodes[@]}"; do KAFKA_NO_WAIT=1 node "$n" start.sh; done
    for n in "${nodes[@]}"; do node "$n" wait.sh; done
    echo "kafka cluster ready on $(IFS=,; echo "${ports[*]/#/127.0.0.1:}")" >&2 ;;
  stop)
    for n in "${nodes[@]}"; do node "$n" stop.sh; done ;;
  bootstrap)
    (IFS=,; echo "${ports[*]/#/127.0.0.1:}") ;;
  *)
    echo "usage: $0 start|stop [N...] | bootstrap" >&2
    exit 2 ;;
esac
