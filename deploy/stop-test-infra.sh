#!/usr/bin/env bash
# Stop any broker or cluster the tests started under var/test-* (after an aborted run, too).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
for dir in "$root"/var/test-kafka-cluster-*/node-*; do  # a three-broker cluster's nodes
  [ -d "$dir" ] || continue
  KAFKA_STATE_DIR="$dir" "$root/deploy/kafka/stop.sh" >/dev/null 2>&1
done
for dir in "$root"/var/test-kafka-*; do
  [ -d "$dir" ] || continue
  KAFKA_STATE_DIR="$dir" "$root/deploy/kafka/stop.sh" >/dev/null 2>&1
  rm -rf "$dir"
done
for dir in "$root"/var/test-postgres*; do
  [ -d "$dir" ] || continue
  PG_STATE_DIR="$dir" "$root/deploy/postgres/stop.sh" >/dev/null 2>&1
done
exit 0
