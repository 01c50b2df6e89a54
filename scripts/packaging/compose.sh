#!/usr/bin/env bash
# `make compose`: docker-compose.yml's own services, run with podman-compose 1.6.0
# (from PyPI, under .run/packaging/) against `make up`'s stack, end to end:
#   bash scripts/packaging/compose.sh
# No registry serves postgres, redis, apache/kafka or apicurio here, so those four
# are only validated (test/packaging/compose_check.py, and `podman-compose config`
# below); the stack stands in for them. What runs is docker-compose.yml merged with
# scripts/packaging/compose.local.yaml (the stack's endpoints, the host network,
# ports, database, topic prefix and Redis database of its own; its comments say why):
# 1. migrate and topology, the one-shots, each checked for exit 0;
# 2. gateway, relay and projector, each awaited on /ready and then its compose
#    healthcheck run once (`podman healthcheck run`);
# 3. scripts/packaging/smoke.mjs through the gateway with docker-compose.yml's admin
#    token: a tenant, a PlaceOrder, the event on compose.orders.events, the order in
#    a query with X-Min-Position;
# 4. `podman-compose stop` (SIGTERM): every container exits 0; then `down`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export EVENTLINE_ENGINE=podman
# shellcheck source=scripts/packaging/engine.sh
source scripts/packaging/engine.sh

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
say() { printf '%s\n' "$*"; }
started=$SECONDS
since() { echo "$((SECONDS - $1))s"; }

COMPOSE_VERSION=1.6.0
PROJECT=eventline-compose
DATABASE=eventline_compose
PREFIX=compose.
WORK="$ROOT/.run/compose"
STACK_ENV="$ROOT/.run/stack.env"
OVERRIDE=scripts/packaging/compose.local.yaml

[ -f "$STACK_ENV" ] || die "the local stack is not up (no .run/stack.env): run make up first"
stack() { sed -n "s/^$1=//p" "$STACK_ENV" | tail -n 1; }
PSQL="$(command -v psql || find /usr/lib/postgresql -path '*/bin/psql' 2>/dev/null | sort | tail -n 1)"
[ -x "$PSQL" ] || die "psql is not installed (make up installs PostgreSQL)"
PGCONNECT_TIMEOUT=5 "$PSQL" -X -q "$(stack ADMIN_DATABASE_URL)" -Atc 'SELECT 1' >/dev/null 2>&1 ||
  die "PostgreSQL of .run/stack.env does not answer: run make up"
podman image exists eventline:local || {
  say "no image eventline:local yet: building it (make image)"
  bash scripts/packaging/image.sh
}

TOOL="$ROOT/.run/packaging/podman-compose-$COMPOSE_VERSION"
if [ ! -f "$TOOL/.complete" ]; then
  say "installing podman-compose $COMPOSE_VERSION from PyPI under .run/packaging/"
  rm -rf "$TOOL"
  mkdir -p "$ROOT/.run/packaging"
  python3 -m pip install --quiet --disable-pip-version-check --no-input --target "$TOOL" \
    "podman-compose==$COMPOSE_VERSION" >"$ROOT/.run/packaging/podman-compose.log" 2>&1 ||
    die "pip install podman-compose==$COMPOSE_VERSION failed; see .run/packaging/podman-compose.log"
  touch "$TOOL/.complete"
fi
pc() {
  PYTHONPATH="$TOOL" python3 "$TOOL/bin/podman-compose" --in-pod false -p "$PROJECT" \
    -f docker-compose.yml -f "$OVERRIDE" "$@"
}

rm -rf "$WORK"
mkdir -p "$WORK"
chmod 700 "$WORK"

# The stack's endpoints, for compose.local.yaml's ${...}, on a database of their own.
with_database() { python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$1" "$DATABASE"; }
export EVENTLINE_COMPOSE_ADMIN_DATABASE_URL EVENTLINE_COMPOSE_DATABASE_URL EVENTLINE_COMPOSE_RELAY_DATABASE_URL \
  EVENTLINE_COMPOSE_PROJECTOR_DATABASE_URL EVENTLINE_COMPOSE_REDIS_URL EVENTLINE_COMPOSE_KAFKA_BROKERS \
  EVENTLINE_COMPOSE_SCHEMA_REGISTRY_URL
EVENTLINE_COMPOSE_ADMIN_DATABASE_URL="$(with_database "$(stack ADMIN_DATABASE_URL)")"
EVENTLINE_COMPOSE_DATABASE_URL="$(with_database "$(stack DATABASE_URL)")"
EVENTLINE_COMPOSE_RELAY_DATABASE_URL="$(with_database "$(stack RELAY_DATABASE_URL)")"
EVENTLINE_COMPOSE_PROJECTOR_DATABASE_URL="$(with_database "$(stack PROJECTOR_DATABASE_URL)")"
# Redis database 2 (make pods has 1, make up 0).
EVENTLINE_COMPOSE_REDIS_URL="$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/2")))' "$(stack REDIS_URL)")"
EVENTLINE_COMPOSE_KAFKA_BROKERS="$(stack KAFKA_BROKERS)"
EVENTLINE_COMPOSE_SCHEMA_REGISTRY_URL="$(stack SCHEMA_REGISTRY_URL)"
ADMIN_URL="$(stack ADMIN_DATABASE_URL)"

# The merged file: what podman-compose runs (it fails here on a file it cannot read).
pc config >"$WORK/config.yaml" 2>"$WORK/config.log" || die "podman-compose config failed: $(tail -n 1 "$WORK/config.log")"
config() { python3 -c 'import functools, sys, yaml; print(functools.reduce(lambda v, k: v[k], sys.argv[2].split("."), yaml.safe_load(open(sys.argv[1]))))' "$WORK/config.yaml" "$1"; }
ADMIN_TOKEN="$(config services.gateway.environment.ADMIN_TOKEN)"
declare -A PORTS=(
  [gateway]="$(config services.gateway.environment.PORT)"
  [relay]="$(config services.relay.environment.RELAY_PORT)"
  [projector]="$(config services.projector.environment.PROJECTOR_PORT)"
)
for port in "${PORTS[@]}" "$(config services.gateway.environment.GATEWAY_OPS_PORT)"; do
  if ss -Hltn "sport = :$port" | grep -q .; then
    die "port $port is taken: make compose needs it ($OVERRIDE)"
  fi
done
say "docker-compose.yml merged with $(basename "$OVERRIDE") (podman-compose $COMPOSE_VERSION config): runs migrate, topology, gateway, relay, projector; postgres, redis, kafka, schema-registry are the stack's"

container_of() {
  podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1" \
    --format '{{.Names}}' | head -n 1
}
show_logs() {
  local service container
  for service in migrate topology gateway relay projector; do
    container="$(container_of "$service")"
    [ -n "$container" ] || continue
    say "---- last lines of $container ($(podman inspect --format '{{.State.Status}} exit {{.State.ExitCode}}' "$container" 2>/dev/null))"
    podman logs --tail 15 "$container" 2>&1 | cut -c1-400 || true
  done
}
finish() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    show_logs
    say "make compose: FAILED after $(since "$started") (files in .run/compose/; database $DATABASE and topics '$PREFIX*' kept)"
  fi
  pc down -t 5 >>"$WORK/podman-compose.log" 2>&1 || true
}
trap finish EXIT
pc down -t 5 >"$WORK/podman-compose.log" 2>&1 || true

t=$SECONDS
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$DATABASE\" WITH (FORCE)" \
  -c "CREATE DATABASE \"$DATABASE\"" >/dev/null 2>"$WORK/psql.log" ||
  die "creating database $DATABASE as eventline_admin failed: $(head -n 1 "$WORK/psql.log")"
node --no-warnings scripts/packaging/smoke.mjs reset --brokers "$EVENTLINE_COMPOSE_KAFKA_BROKERS" --prefix "$PREFIX"

# ---- 1. the one-shots ----------------------------------------------------------
pc up -d --no-build migrate topology >>"$WORK/podman-compose.log" 2>&1 ||
  die "podman-compose up migrate topology failed; see .run/compose/podman-compose.log"
for service in migrate topology; do
  container="$(container_of "$service")"
  [ -n "$container" ] || die "podman-compose started no $service container"
  code="$(timeout 300 podman wait "$container")" || die "$container did not finish within 300s"
  [ "$code" = 0 ] || die "$container exited $code"
  say "one-shot $service ($container) exited 0: $(podman logs "$container" 2>&1 | tail -n 1 | cut -c1-120)"
done
say "one-shots done in $(since "$t")"

# ---- 2. the services -----------------------------------------------------------
t=$SECONDS
pc up -d --no-build gateway relay projector >>"$WORK/podman-compose.log" 2>&1 ||
  die "podman-compose up gateway relay projector failed; see .run/compose/podman-compose.log"
for service in gateway relay projector; do
  container="$(container_of "$service")"
  [ -n "$container" ] || die "podman-compose started no $service container"
  port="${PORTS[$service]}"
  until curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$port/ready" 2>/dev/null; do
    [ "$(podman inspect --format '{{.State.Running}}' "$container")" = true ] ||
      die "$container stopped before it was ready (exit $(podman inspect --format '{{.State.ExitCode}}' "$container"))"
    [ $((SECONDS - t)) -lt 120 ] || die "$container not ready on /ready (port $port) within 120s"
    sleep 1
  done
  podman healthcheck run "$container" >/dev/null 2>>"$WORK/podman.log" ||
    die "$container: its compose healthcheck (podman healthcheck run) failed"
  say "ready: $container (/ready on $port; compose healthcheck healthy) after $(since "$t")"
done

# ---- 3. end to end -------------------------------------------------------------
t=$SECONDS
node --no-warnings scripts/packaging/smoke.mjs e2e --gateway "http://127.0.0.1:${PORTS[gateway]}" --admin-token "$ADMIN_TOKEN" \
  --brokers "$EVENTLINE_COMPOSE_KAFKA_BROKERS" --prefix "$PREFIX" --registry "$EVENTLINE_COMPOSE_SCHEMA_REGISTRY_URL"
say "end to end through the compose gateway, relay and projector in $(since "$t")"

# ---- 4. SIGTERM ------------------------------------------------------------------
t=$SECONDS
pc stop -t 30 gateway relay projector >>"$WORK/podman-compose.log" 2>&1 ||
  die "podman-compose stop failed; see .run/compose/podman-compose.log"
exits=()
for service in gateway relay projector; do
  container="$(container_of "$service")"
  read -r state code < <(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$container")
  exits+=("$container=$code")
  [ "$state" = exited ] || die "$container is $state after podman-compose stop"
  [ "$code" = 0 ] || die "$container exited $code after SIGTERM (want 0: a graceful shutdown)"
  logs="$(podman logs "$container" 2>&1)"
  if ! grep -q '"signal":"SIGTERM".*"msg":"shutting down"' <<<"$logs" || ! grep -q '"msg":"stopped"' <<<"$logs"; then
    die "$container exited 0 but never logged its SIGTERM shutdown ('shutting down', then 'stopped')"
  fi
done
say "stopped with SIGTERM in $(since "$t"), each logging its shutdown: ${exits[*]}"

if [ "${EVENTLINE_COMPOSE_KEEP:-0}" != 1 ]; then
  "$PSQL" -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$DATABASE\" WITH (FORCE)" >/dev/null 2>&1 || true
  node --no-warnings scripts/packaging/smoke.mjs reset --brokers "$EVENTLINE_COMPOSE_KAFKA_BROKERS" --prefix "$PREFIX" >/dev/null || true
fi
say "make compose: passed in $(since "$started")"
