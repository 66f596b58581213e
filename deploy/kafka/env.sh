# Shared settings for the Kafka scripts; sourced, not run.
# Override any of these from the environment to run a second broker (the tests do).
KAFKA_DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$KAFKA_DEPLOY_DIR/../.." && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_LIBS="${KAFKA_LIBS:-$REPO_ROOT/var/kafka-libs/$KAFKA_VERSION}"
KAFKA_STATE_DIR="${KAFKA_STATE_DIR:-$REPO_ROOT/var/kafka}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_PARTITIONS="${KAFKA_PARTITIONS:-6}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
# A node of a cluster (cluster.sh) has its own template, id, and the controllers' quorum.
KAFKA_TEMPLATE="${KAFKA_TEMPLATE:-$KAFKA_DEPLOY_DIR/server.properties.in}"
KAFKA_NODE_ID="${KAFKA_NODE_ID:-1}"
KAFKA_VOTERS="${KAFKA_VOTERS:-}"
KAFKA_PID_FILE="$KAFKA_STATE_DIR/broker.pid"
KAFKA_LOG_FILE="$KAFKA_STATE_DIR/broker.log"

# shellcheck disable=SC2206 # KAFKA_HEAP_OPTS is a list of options
KAFKA_JAVA=(java $KAFKA_HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$KAFKA_DEPLOY_DIR/log4j2.properties" -cp "$KAFKA_LIBS/*")

# Whether process $1 runs. A broker killed -9 stays a zombie until its parent (init, once the
# script that started it is gone) reaps it, which can take a second or more; kill -0 succeeds
# on a zombie, and a start in that second took the dead broker for a running one.
kafka_pid_running() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null \
    && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}

render_server_properties() {
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@KAFKA_STATE_DIR@|$KAFKA_STATE_DIR|g" -e "s|@KAFKA_PARTITIONS@|$KAFKA_PARTITIONS|g" \
      -e "s|@KAFKA_NODE_ID@|$KAFKA_NODE_ID|g" -e "s|@KAFKA_VOTERS@|$KAFKA_VOTERS|g" \
      "$KAFKA_TEMPLATE" >"$KAFKA_STATE_DIR/server.properties"
}
