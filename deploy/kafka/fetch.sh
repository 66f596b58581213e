#!/usr/bin/env bash
# Fetch the Kafka broker's jars from Maven Central into var/kafka-libs/<version>/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if [ -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]; then
  exit 0
fi
command -v mvn >/dev/null || { echo "fetch.sh: Maven (mvn) is required to fetch Kafka" >&2; exit 1; }
echo "fetching Apache Kafka $KAFKA_VERSION from Maven Central ..." >&2
tmp="$KAFKA_LIBS.partial"
rm -rf "$tmp"
mvn -q -B -f "$KAFKA_DEPLOY_DIR/pom.xml" package \
  -Dkafka.version="$KAFKA_VERSION" -Dkafka.libs="$tmp" \
  -DbuildDirectory="$REPO_ROOT/var/kafka-build" >&2
rm -rf "$KAFKA_DEPLOY_DIR/target"
mv "$tmp" "$KAFKA_LIBS"
