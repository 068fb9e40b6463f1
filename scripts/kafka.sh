#!/usr/bin/env bash
# A single-node Apache Kafka (KRaft, broker and controller in one JVM) on 127.0.0.1, for the Kafka
# test suite, the benches and trying mephisto against a real broker.
#
#   scripts/kafka.sh start    fetch the jars if needed (Maven Central, cached), format, start, wait
#   scripts/kafka.sh stop     stop cleanly (SIGTERM: controlled shutdown)
#   scripts/kafka.sh status   exit 0 and print the bootstrap address when running
#   scripts/kafka.sh clean    stop and delete the broker's data
#
# Environment:
#   MEPHISTO_KAFKA_PORT       PLAINTEXT listener (default 9092); the controller listens on +1, and a
#                             SASL_PLAINTEXT listener (PLAIN and SCRAM-SHA-256/512) on +2
#   MEPHISTO_KAFKA_KEEP_DATA  1 to keep the data of the previous run (default: a fresh log dir)
#   MEPHISTO_KAFKA_HEAP       JVM heap (default 1g)
#   MEPHISTO_CACHE_DIR        where jars and run state live (default .cache in the repository)
#
# The SASL listener knows one user, mephisto / mephisto-secret, for PLAIN and for SCRAM.
set -euo pipefail

SERVICE=kafka
source "$(dirname "${BASH_SOURCE[0]}")/lib/service.sh"

KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$MEPHISTO_ROOT/scripts/kafka/pom.xml")"
HOST=127.0.0.1
PORT="${MEPHISTO_KAFKA_PORT:-9092}"
CONTROLLER_PORT=$((PORT + 1))
SASL_PORT=$((PORT + 2))
HOME_DIR="$MEPHISTO_CACHE/kafka"
LIBS="$HOME_DIR/libs-$KAFKA_VERSION"
RUN_DIR="$HOME_DIR/run-$PORT"
DATA_DIR="$RUN_DIR/data"
PID_FILE="$RUN_DIR/kafka.pid"
LOG_FILE="$RUN_DIR/kafka.log"
SASL_USER=mephisto
SASL_PASSWORD=mephisto-secret

fetch_jars() {
  [[ -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]] && return 0
  require_maven
  say "fetching Apache Kafka $KAFKA_VERSION and its dependencies from Maven Central into $LIBS"
  rm -rf "$LIBS.partial"
  mvn -q -B -C -Dstyle.color=never -f "$MEPHISTO_ROOT/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS.partial" >&2
  mv "$LIBS.partial" "$LIBS"
}

write_config() {
  mkdir -p "$RUN_DIR"
  cat >"$RUN_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT,SASL_PLAINTEXT://$HOST:$SASL_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT,SASL_PLAINTEXT://$HOST:$SASL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
log.dirs=$DATA_DIR

# One node: every internal topic has one replica.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
min.insync.replicas=1
default.replication.factor=1
num.partitions=1

# Tests start and stop consumers often: no waiting for more members to join a new group.
group.initial.rebalance.delay.ms=0
# The app creates the topics it needs, with their partitions and config.
auto.create.topics.enable=false
delete.topic.enable=true
log.retention.hours=24

sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USER="$SASL_PASSWORD";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
PROPS
  cat >"$RUN_DIR/log4j.properties" <<'PROPS'
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=${kafka.logs.dir}/kafka.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
PROPS
}

# The JVM command line shared by the storage tool and the broker.
JAVA=(java -Xms256m -Xmx"${MEPHISTO_KAFKA_HEAP:-1g}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20
  -Djava.awt.headless=true -Dkafka.logs.dir="$RUN_DIR" -Dlog4j.configuration="file:$RUN_DIR/log4j.properties"
  -cp "$LIBS/*")

format_storage() {
  if [[ "${MEPHISTO_KAFKA_KEEP_DATA:-0}" == 1 && -f "$DATA_DIR/meta.properties" ]]; then return 0; fi
  rm -rf "$DATA_DIR"
  # A cluster id is 16 random bytes, base64url without padding.
  local cluster_id
  # (one in 64 starts with "-", which the tool's argument parser takes for an option: draw again)
  cluster_id="-"
  while [[ "$cluster_id" == -* ]]; do cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"; done
  "${JAVA[@]}" kafka.tools.StorageTool format --ignore-formatted -t "$cluster_id" -c "$RUN_DIR/server.properties" \
    --add-scram "SCRAM-SHA-256=[name=$SASL_USER,password=$SASL_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$SASL_PASSWORD]" \
    >"$RUN_DIR/format.log" 2>&1 || { cat "$RUN_DIR/format.log" >&2; die "formatting the KRaft storage in $DATA_DIR failed"; }
}

started() { port_open "$HOST" "$PORT" && grep -q 'Kafka Server started' "$LOG_FILE"; }

start() {
  local pid
  if pid="$(running_pid)"; then
    say "already running (pid $pid) on $HOST:$PORT"
    echo "$HOST:$PORT"
    return 0
  fi
  require_java
  require_free_port "$HOST" "$PORT" MEPHISTO_KAFKA_PORT
  require_free_port "$HOST" "$CONTROLLER_PORT" "MEPHISTO_KAFKA_PORT (controller: +1)"
  require_free_port "$HOST" "$SASL_PORT" "MEPHISTO_KAFKA_PORT (SASL: +2)"
  fetch_jars
  write_config
  format_storage
  : >"$LOG_FILE"
  say "starting Kafka $KAFKA_VERSION on $HOST:$PORT (log: $LOG_FILE)"
  nohup "${JAVA[@]}" kafka.Kafka "$RUN_DIR/server.properties" >>"$RUN_DIR/stdout.log" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  wait_until 90 "the broker answers on $HOST:$PORT" started
  say "ready on $HOST:$PORT (SASL_PLAINTEXT on $HOST:$SASL_PORT)"
  echo "$HOST:$PORT"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    say "running (pid $pid) on $HOST:$PORT"
    echo "$HOST:$PORT"
  else
    say "not running"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop_service 60 ;;
  status) status ;;
  clean) stop_service 60; rm -rf "$RUN_DIR" ;;
  *) echo "usage: $0 start|stop|status|clean" >&2; exit 2 ;;
esac
