#!/usr/bin/env bash
# A real Apache Kafka broker in KRaft combined mode (broker and controller in one
# JVM). Its jars come from Maven Central through topology/local/kafka/pom.xml.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KAFKA_HOST=127.0.0.1
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_DIR="$RUN_DIR/kafka"
KAFKA_POM="$ROOT_DIR/topology/local/kafka/pom.xml"
KAFKA_LOG="$LOG_DIR/kafka.log"

fetch_jars() {
  local stamp
  stamp="$(file_stamp "$KAFKA_POM")"
  [ "$(cat "$KAFKA_DIR/libs.stamp" 2>/dev/null)" = "$stamp" ] && return 0
  require_java
  say "fetching the Kafka broker's jars from Maven Central (topology/local/kafka/pom.xml)"
  rm -rf "$KAFKA_DIR/libs"
  mvn -B -q -f "$KAFKA_POM" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$KAFKA_DIR/libs" >"$LOG_DIR/kafka-maven.log" 2>&1 ||
    die "Maven could not fetch Kafka's jars; see $LOG_DIR/kafka-maven.log"
  echo "$stamp" >"$KAFKA_DIR/libs.stamp"
}

write_config() {
  cat >"$KAFKA_DIR/server.properties" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
CONF
  cat >"$KAFKA_DIR/log4j2.properties" <<'CONF'
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
CONF
}

JAVA_OPTS=(-Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -cp "$KAFKA_DIR/libs/*")

java_cmd() { java "${JAVA_OPTS[@]}" "$@"; }

# The broker answers once it has left recovery; an open port alone can precede that.
healthy() {
  port_open "$KAFKA_HOST" "$KAFKA_PORT" && node "$ROOT_DIR/scripts/stack/probe.mjs" kafka "$KAFKA_HOST:$KAFKA_PORT"
}

up() {
  if is_running kafka; then
    healthy || die "Kafka (pid $(cat "$(pid_file kafka)")) is running but not healthy; see $KAFKA_LOG"
  else
    require_java
    require_free_port Kafka "$KAFKA_HOST" "$KAFKA_PORT" KAFKA_PORT
    require_free_port "Kafka's controller" "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT" KAFKA_CONTROLLER_PORT
    mkdir -p "$KAFKA_DIR/data"
    fetch_jars
    write_config
    if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
      local cluster_id
      cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid 2>>"$KAFKA_LOG")"
      java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
        >>"$KAFKA_LOG" 2>&1 || die "formatting Kafka's storage failed; see $KAFKA_LOG"
    fi
    start_detached kafka "$KAFKA_LOG" java "${JAVA_OPTS[@]}" kafka.Kafka "$KAFKA_DIR/server.properties"
    wait_healthy Kafka 90 "$KAFKA_LOG" healthy
  fi
  stack_env_set KAFKA_BROKERS "$KAFKA_HOST:$KAFKA_PORT"
}

down() { stop_recorded kafka 60; }

status() { healthy && echo healthy || echo down; }

"${1:?usage: kafka.sh up|down|status}"
