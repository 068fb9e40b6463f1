#!/usr/bin/env bash
# Apicurio Registry on 127.0.0.1 with in-memory storage: a real Confluent-compatible Schema Registry
# (its ccompat API, under /apis/ccompat/v7) for the Kafka test suite and for trying mephisto locally.
#
#   scripts/registry.sh start    fetch the `all` distribution if needed (Maven Central, cached), start, wait
#   scripts/registry.sh stop     stop cleanly (SIGTERM)
#   scripts/registry.sh status   exit 0 and print the Confluent-compatible URL when running
#
# Environment:
#   MEPHISTO_REGISTRY_PORT   HTTP port (default 8081)
#   MEPHISTO_REGISTRY_HEAP   JVM heap (default 512m)
#   MEPHISTO_CACHE_DIR       where the distribution and run state live (default .cache in the repository)
#
# Storage is an in-memory H2 database: every start begins with no subjects.
set -euo pipefail

SERVICE=registry
source "$(dirname "${BASH_SOURCE[0]}")/lib/service.sh"

APICURIO_VERSION=3.0.9
HOST=127.0.0.1
PORT="${MEPHISTO_REGISTRY_PORT:-8081}"
HOME_DIR="$MEPHISTO_CACHE/registry"
DIST="$HOME_DIR/apicurio-registry-$APICURIO_VERSION"
RUNNER="$DIST/apicurio-registry-app-$APICURIO_VERSION-runner.jar"
RUN_DIR="$HOME_DIR/run-$PORT"
PID_FILE="$RUN_DIR/registry.pid"
LOG_FILE="$RUN_DIR/registry.log"
URL="http://$HOST:$PORT/apis/ccompat/v7"

fetch_distribution() {
  [[ -f "$RUNNER" ]] && return 0
  require_maven
  say "fetching Apicurio Registry $APICURIO_VERSION (the 'all' distribution) from Maven Central"
  mvn -q -B -C -Dstyle.color=never dependency:copy -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" \
    -DoutputDirectory="$HOME_DIR" >&2
  rm -rf "$DIST.partial" && mkdir -p "$DIST.partial"
  tar xzf "$HOME_DIR/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz" -C "$DIST.partial"
  rm -f "$HOME_DIR/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz"
  mv "$DIST.partial" "$DIST"
}

ready() {
  curl -fsS -o /dev/null "http://$HOST:$PORT/health/ready" 2>/dev/null &&
    curl -fsS -o /dev/null "$URL/subjects" 2>/dev/null
}

start() {
  local pid
  if pid="$(running_pid)"; then
    say "already running (pid $pid) at $URL"
    echo "$URL"
    return 0
  fi
  require_java
  command -v curl >/dev/null || die "curl is not on PATH; it is needed to wait for readiness (apt-get install curl)"
  require_free_port "$HOST" "$PORT" MEPHISTO_REGISTRY_PORT
  fetch_distribution
  mkdir -p "$RUN_DIR"
  : >"$LOG_FILE"
  say "starting Apicurio Registry $APICURIO_VERSION at $URL (log: $LOG_FILE)"
  # The tests delete what they register, which Apicurio 3 forbids unless told otherwise.
  (cd "$RUN_DIR"
    nohup java -Xms128m -Xmx"${MEPHISTO_REGISTRY_HEAP:-512m}" \
    -Dquarkus.http.host="$HOST" -Dquarkus.http.port="$PORT" \
    -Dquarkus.log.console.color=false \
    -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 \
    -Dapicurio.rest.deletion.group.enabled=true \
    -Dapicurio.rest.deletion.artifact.enabled=true \
    -Dapicurio.rest.deletion.artifact-version.enabled=true \
    -jar "$RUNNER" >>"$LOG_FILE" 2>&1 </dev/null &
    echo $! >"$PID_FILE")
  wait_until 90 "the registry answers at $URL" ready
  say "ready at $URL"
  echo "$URL"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    say "running (pid $pid) at $URL"
    echo "$URL"
  else
    say "not running"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop_service 30 ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
