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
# Secured listeners, for the tests of the clients' TLS and SASL paths; PLAINTEXT
# stays the default and the inter-broker listener.
KAFKA_SASL_SSL_PORT="${KAFKA_SASL_SSL_PORT:-9094}"
KAFKA_MTLS_PORT="${KAFKA_MTLS_PORT:-9095}"
OAUTH_URL="http://127.0.0.1:${OAUTH_PORT:-9096}"
SCRAM_USER=eventline-scram
PLAIN_USER=eventline-plain

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

# The broker's configuration as it should be, into FILE. It holds the PLAIN
# user's password, so mode 600. The server certificate's fingerprint is part of
# it, so a re-issued certificate restarts the broker like any other change.
write_config() {
  local file="$1" plain_password="$2"
  (umask 077 && cat >"$file" <<CONF
# server certificate sha256 $(tls_fingerprint)
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT,SASL_SSL://$KAFKA_HOST:$KAFKA_SASL_SSL_PORT,MTLS://$KAFKA_HOST:$KAFKA_MTLS_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,SASL_SSL://$KAFKA_HOST:$KAFKA_SASL_SSL_PORT,MTLS://$KAFKA_HOST:$KAFKA_MTLS_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL
ssl.keystore.type=PEM
ssl.keystore.location=$TLS_DIR/server-bundle.pem
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
listener.name.mtls.ssl.client.auth=required
listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$PLAIN_USER="$plain_password";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
sasl.oauthbearer.jwks.endpoint.url=$OAUTH_URL/jwks
sasl.oauthbearer.expected.audience=kafka
sasl.oauthbearer.expected.issuer=$OAUTH_URL
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
  )
}

write_log_config() {
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

# Kafka 4 fetches OAuth URLs only when this system property allows them.
JAVA_OPTS=(-Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
  -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls="$OAUTH_URL/jwks"
  -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -cp "$KAFKA_DIR/libs/*")

java_cmd() { java "${JAVA_OPTS[@]}" "$@"; }

# The broker answers once it has left recovery; an open port alone can precede that.
healthy() {
  # kafkajs sets negative timeouts, which Node 24 warns about on every probe.
  port_open "$KAFKA_HOST" "$KAFKA_PORT" && node --no-warnings "$ROOT_DIR/scripts/stack/probe.mjs" kafka "$KAFKA_HOST:$KAFKA_PORT"
}

# Both secured listeners complete a verified TLS handshake (the mutual-TLS one with the client certificate).
secured_healthy() {
  node "$ROOT_DIR/scripts/stack/probe.mjs" tls "$KAFKA_HOST:$KAFKA_SASL_SSL_PORT" "$TLS_DIR/ca.pem" &&
    node "$ROOT_DIR/scripts/stack/probe.mjs" tls "$KAFKA_HOST:$KAFKA_MTLS_PORT" "$TLS_DIR/ca.pem" \
      "$TLS_DIR/client.pem" "$TLS_DIR/client.key"
}

start() {
  require_java
  require_free_port Kafka "$KAFKA_HOST" "$KAFKA_PORT" KAFKA_PORT
  require_free_port "Kafka's controller" "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT" KAFKA_CONTROLLER_PORT
  require_free_port "Kafka's SASL_SSL listener" "$KAFKA_HOST" "$KAFKA_SASL_SSL_PORT" KAFKA_SASL_SSL_PORT
  require_free_port "Kafka's mutual-TLS listener" "$KAFKA_HOST" "$KAFKA_MTLS_PORT" KAFKA_MTLS_PORT
  # The broker reads the issuer's keys at start-up.
  node "$ROOT_DIR/scripts/stack/probe.mjs" jwks "$OAUTH_URL/jwks" ||
    die "the OAuth token issuer does not answer at $OAUTH_URL/jwks: run scripts/stack/oauth.sh up first"
  fetch_jars
  write_log_config
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    local cluster_id
    cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid 2>>"$KAFKA_LOG")"
    java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
      >>"$KAFKA_LOG" 2>&1 || die "formatting Kafka's storage failed; see $KAFKA_LOG"
  fi
  start_detached kafka "$KAFKA_LOG" java "${JAVA_OPTS[@]}" kafka.Kafka "$KAFKA_DIR/server.properties"
  wait_healthy Kafka 180 "$KAFKA_LOG" healthy
}

# SCRAM credentials live in the cluster's metadata, so they are added once per
# storage (the stamp names its cluster id) and again only when the password changes.
ensure_scram_user() {
  local password="$1" stamp
  stamp="$(printf '%s %s %s' "$(sed -n 's/^cluster.id=//p' "$KAFKA_DIR/data/meta.properties")" "$SCRAM_USER" "$password" |
    sha256sum | cut -d' ' -f1)"
  [ "$(cat "$KAFKA_DIR/scram.stamp" 2>/dev/null)" = "$stamp" ] && return 0
  local settings="$KAFKA_DIR/scram-user.properties"
  (umask 077 && printf 'bootstrap.servers=%s\nuser=%s\npassword=%s\n' "$KAFKA_HOST:$KAFKA_PORT" "$SCRAM_USER" "$password" >"$settings")
  java -Xmx256m -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -cp "$KAFKA_DIR/libs/*" \
    "$ROOT_DIR/scripts/stack/kafka-scram-users.java" "$settings" >>"$KAFKA_LOG" 2>&1 ||
    { rm -f "$settings"; die "adding Kafka's SCRAM user $SCRAM_USER failed; see $KAFKA_LOG"; }
  rm -f "$settings"
  echo "$stamp" >"$KAFKA_DIR/scram.stamp"
}

up() {
  [ -s "$TLS_DIR/server-bundle.pem" ] || die "no TLS material in $TLS_DIR: run scripts/stack/tls.sh up first"
  local scram_password plain_password
  scram_password="$(stack_secret SECURE_KAFKA_SCRAM_PASSWORD)"
  plain_password="$(stack_secret SECURE_KAFKA_PLAIN_PASSWORD)"
  mkdir -p "$KAFKA_DIR/data"
  write_config "$KAFKA_DIR/server.properties.new" "$plain_password"
  if is_running kafka && ! cmp -s "$KAFKA_DIR/server.properties.new" "$KAFKA_DIR/server.properties"; then
    # The listeners and their certificates are read once, at start-up.
    say "Kafka: its configuration changed (listeners, ports, credentials or certificate); restarting it"
    stop_recorded kafka 60
  fi
  if is_running kafka; then
    rm -f "$KAFKA_DIR/server.properties.new"
    healthy || die "Kafka (pid $(cat "$(pid_file kafka)")) is running but not healthy; see $KAFKA_LOG"
  else
    mv "$KAFKA_DIR/server.properties.new" "$KAFKA_DIR/server.properties"
    start
  fi
  wait_healthy "Kafka's secured listeners" 30 "$KAFKA_LOG" secured_healthy
  ensure_scram_user "$scram_password"
  stack_env_set KAFKA_BROKERS "$KAFKA_HOST:$KAFKA_PORT"
  stack_env_set SECURE_KAFKA_SASL_SSL_BROKERS "$KAFKA_HOST:$KAFKA_SASL_SSL_PORT"
  stack_env_set SECURE_KAFKA_MTLS_BROKERS "$KAFKA_HOST:$KAFKA_MTLS_PORT"
  stack_env_set SECURE_KAFKA_SCRAM_USERNAME "$SCRAM_USER"
  stack_env_set SECURE_KAFKA_PLAIN_USERNAME "$PLAIN_USER"
}

down() { stop_recorded kafka 60; }

status() { healthy && secured_healthy && echo healthy || echo down; }

"${1:?usage: kafka.sh up|down|status}"
