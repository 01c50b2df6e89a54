#!/usr/bin/env bash
# `make pods`: the Helm chart's own pods, run with `podman kube play` against
# `make up`'s stack on this machine, end to end:
#   bash scripts/packaging/pods.sh
# 1. the image (make image) when it is missing; helm (scripts/packaging/helm.sh);
# 2. `helm template` of charts/eventline with scripts/packaging/pods-values.yaml
#    (other ports, a database, topic prefix and Redis database of their own) and
#    the stack's endpoints and passwords from .run/stack.env;
# 3. scripts/packaging/kube_for_podman.py converts only what podman 4.3 cannot
#    take as it is (it prints each change): the migration Job becomes a Pod,
#    Secrets become podman secrets, ...;
# 4. a fresh database and prefix: the Job's pod runs `migrate`, `topology apply`
#    and `schemas register` and must exit 0;
# 5. the Deployments' pods start; each is awaited on its chart readiness probe
#    (podman runs no probes without systemd: the probe's path is polled from
#    here) and its liveness check is run once (`podman healthcheck run`);
# 6. scripts/packaging/smoke.mjs, through the containerized gateway: a tenant, a
#    PlaceOrder, the event on Kafka (pods.orders.events), the order in a query
#    with X-Min-Position (only the containerized projector writes this database);
# 7. every pod is stopped with its grace period (SIGTERM) and each container
#    must have exited 0; then pods, volumes, secrets, database and topics go.
# `make up`'s own gateway, relay and projector may keep running: nothing here
# touches their ports, database, topics or consumer groups.
# EVENTLINE_PODS_KEEP=1 leaves the database and topics for a look afterwards.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# kube play is podman's, whichever engine built the image.
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

WORK="$ROOT/.run/pods"
STACK_ENV="$ROOT/.run/stack.env"
VALUES="$ROOT/scripts/packaging/pods-values.yaml"
NAME="${EVENTLINE_IMAGE:-eventline}"
VERSION="$(node -p 'require("./package.json").version')"
IMAGE="$NAME:$VERSION"

# ---- 1. prerequisites -------------------------------------------------------
[ -f "$STACK_ENV" ] || die "the local stack is not up (no .run/stack.env): run make up first"
stack() { sed -n "s/^$1=//p" "$STACK_ENV" | tail -n 1; }
ADMIN_URL="$(stack ADMIN_DATABASE_URL)"
BROKERS="$(stack KAFKA_BROKERS)"
REGISTRY="$(stack SCHEMA_REGISTRY_URL)"
if [ -z "$ADMIN_URL" ] || [ -z "$BROKERS" ] || [ -z "$REGISTRY" ]; then
  die ".run/stack.env lacks ADMIN_DATABASE_URL, KAFKA_BROKERS or SCHEMA_REGISTRY_URL: run make up"
fi
PSQL="$(command -v psql || find /usr/lib/postgresql -path '*/bin/psql' 2>/dev/null | sort | tail -n 1)"
[ -x "$PSQL" ] || die "psql is not installed (make up installs PostgreSQL)"
PGCONNECT_TIMEOUT=5 "$PSQL" -X -q "$ADMIN_URL" -Atc 'SELECT 1' >/dev/null 2>&1 ||
  die "PostgreSQL of .run/stack.env does not answer: run make up"
python3 -c 'import yaml' 2>/dev/null || die "python3 lacks PyYAML (pip install PyYAML): the converter reads YAML"

if ! podman image exists "$IMAGE"; then
  say "no image $IMAGE yet: building it (make image)"
  bash scripts/packaging/image.sh
fi
HELM="$(bash scripts/packaging/helm.sh)"

value() {
  python3 -c 'import functools, sys, yaml; print(functools.reduce(lambda v, k: v[k], sys.argv[2].split("."), yaml.safe_load(open(sys.argv[1]))))' "$VALUES" "$1"
}
DATABASE="$(value postgresql.database)"
PREFIX="$(value kafka.topicPrefix)"
[ -n "$PREFIX" ] || die "$VALUES must set kafka.topicPrefix: without one the pods would share make up's consumer groups"

rm -rf "$WORK"
mkdir -p "$WORK"
chmod 700 "$WORK"

# ---- 2. render ----------------------------------------------------------------
ADMIN_TOKEN="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
STACK_ENV="$STACK_ENV" ADMIN_TOKEN="$ADMIN_TOKEN" IMAGE_NAME="$NAME" IMAGE_TAG="$VERSION" python3 - >"$WORK/stack-values.json" <<'PY'
import base64, json, os, urllib.parse

env = {}
with open(os.environ["STACK_ENV"], encoding="utf-8") as handle:
    for line in handle:
        key, sep, value = line.rstrip("\n").partition("=")
        if sep:
            env[key] = value
pg = urllib.parse.urlsplit(env["ADMIN_DATABASE_URL"])
redis = urllib.parse.urlsplit(env.get("REDIS_URL", "redis://127.0.0.1:6379"))
values = {
    "image": {"repository": os.environ["IMAGE_NAME"], "tag": os.environ["IMAGE_TAG"]},
    "postgresql": {
        "host": pg.hostname,
        "port": pg.port or 5432,
        "app": {"password": env["PG_APP_PASSWORD"]},
        "relay": {"password": env["PG_RELAY_PASSWORD"]},
        "projector": {"password": env["PG_PROJECTOR_PASSWORD"]},
        "admin": {"password": env["PG_ADMIN_PASSWORD"]},
    },
    "kafka": {"brokers": env["KAFKA_BROKERS"].split(",")},
    "schemaRegistry": {"url": env["SCHEMA_REGISTRY_URL"]},
    "redis": {"host": redis.hostname, "port": redis.port or 6379, "password": urllib.parse.unquote(redis.password or "")},
    "auth": {"adminToken": os.environ["ADMIN_TOKEN"]},
    # A fresh key-encryption key of personal data for the pods' gateway (the chart requires one).
    "personalData": {"kek": "pods:" + base64.b64encode(os.urandom(32)).decode()},
}
print(json.dumps(values, indent=2))
PY
"$HELM" template eventline charts/eventline --namespace eventline -f "$VALUES" -f "$WORK/stack-values.json" \
  >"$WORK/rendered.yaml" 2>"$WORK/helm.log" || die "helm template failed: $(head -n 3 "$WORK/helm.log")"
say "rendered charts/eventline with $(basename "$VALUES") and the stack's endpoints: $(grep -c '^kind:' "$WORK/rendered.yaml") objects"

# ---- 3. convert ---------------------------------------------------------------
python3 scripts/packaging/kube_for_podman.py "$WORK/rendered.yaml" --out "$WORK" --host-network
plan() { python3 scripts/packaging/kube_for_podman.py --plan "$WORK/plan.json" "$1"; }
mapfile -t JOB_PODS < <(plan job-pods)
mapfile -t WORKLOAD_PODS < <(plan workload-pods)
mapfile -t VOLUMES < <(plan volumes)
mapfile -t SECRETS < <(plan secrets)
if [ "${#JOB_PODS[@]}" -ne 1 ] || [ "${#WORKLOAD_PODS[@]}" -ne 3 ]; then
  die "want the migration Job and three Deployments; the chart rendered ${#JOB_PODS[@]} and ${#WORKLOAD_PODS[@]}"
fi
while read -r port; do
  if ss -Hltn "sport = :$port" | grep -q .; then
    die "port $port is taken ($(ss -Hltnp "sport = :$port" | sed -n 's/.*users:((\("[^"]*"\).*/\1/p' | head -n1)): the pods need it (scripts/packaging/pods-values.yaml)"
  fi
done < <(plan ports)

remove_pods() {
  local pod
  for pod in "${JOB_PODS[@]}" "${WORKLOAD_PODS[@]}"; do podman pod rm -f "$pod" >/dev/null 2>&1 || true; done
  for volume in "${VOLUMES[@]}"; do podman volume rm -f "$volume" >/dev/null 2>&1 || true; done
  for secret in "${SECRETS[@]}"; do podman secret rm "$secret" >/dev/null 2>&1 || true; done
}
containers_of() { podman ps -a --filter "pod=$1" --format '{{.Names}}' | grep -v -- '-infra$' || true; }
show_logs() {
  local pod container
  for pod in "${JOB_PODS[@]}" "${WORKLOAD_PODS[@]}"; do
    for container in $(containers_of "$pod"); do
      say "---- last lines of $container ($(podman inspect --format '{{.State.Status}} exit {{.State.ExitCode}}' "$container" 2>/dev/null))"
      podman logs --tail 15 "$container" 2>&1 | cut -c1-400 || true
    done
  done
}
finish() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    show_logs
    say "make pods: FAILED after $(since "$started") (files in .run/pods/; pods removed, database $DATABASE and topics '$PREFIX*' kept)"
  fi
  remove_pods
}
trap finish EXIT
remove_pods

# ---- 4. a fresh start, then the migration Job ------------------------------------
t=$SECONDS
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$DATABASE\" WITH (FORCE)" \
  -c "CREATE DATABASE \"$DATABASE\"" >/dev/null 2>"$WORK/psql.log" ||
  die "creating database $DATABASE as eventline_admin failed: $(head -n 1 "$WORK/psql.log")"
node --no-warnings scripts/packaging/smoke.mjs reset --brokers "$BROKERS" --prefix "$PREFIX"
for secret in "${SECRETS[@]}"; do
  podman secret create "$secret" "$WORK/secrets/$secret.json" >/dev/null
done
say "database $DATABASE created, topics under '$PREFIX' cleared, ${#SECRETS[@]} podman secrets created ($(since "$t"))"

t=$SECONDS
job="${JOB_PODS[0]}"
deadline="$(plan job-deadline)"
# Init containers run inside `kube play`: it fails when one exits non-zero.
timeout "$deadline" podman kube play "$WORK/jobs.yaml" >"$WORK/play-jobs.log" 2>&1 ||
  die "the migration Job's pod failed: $(grep -i error "$WORK/play-jobs.log" | tail -n 1)"
for container in $(plan job-containers); do
  code="$(timeout "$deadline" podman wait "$container")" || die "$container did not finish within ${deadline}s"
  [ "$code" = 0 ] || die "$container exited $code"
done
say "Job $job as a pod: migrate, topology apply, schemas register exited 0 ($(since "$t")): $(podman logs "$job-schemas" 2>&1 | tail -n 1 | cut -c1-160)"

# ---- 5. the Deployments, awaited on their readiness probes ---------------------
t=$SECONDS
podman kube play "$WORK/workloads.yaml" >"$WORK/play-workloads.log" 2>&1 ||
  die "podman kube play of the Deployments failed: $(grep -i error "$WORK/play-workloads.log" | tail -n 1)"
# The startup probe's window: as long as the chart gives a pod to come up.
window="$(plan startup-window)"
while IFS=' ' read -r pod container path port; do
  name="$pod-$container"
  until curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$port$path" 2>/dev/null; do
    [ "$(podman inspect --format '{{.State.Running}}' "$name" </dev/null)" = true ] ||
      die "$name stopped before it was ready (exit $(podman inspect --format '{{.State.ExitCode}}' "$name" </dev/null))"
    [ $((SECONDS - t)) -lt "$window" ] || die "$name not ready on $path (port $port) within the startup probe's ${window}s"
    sleep 1
  done
  podman healthcheck run "$name" </dev/null >/dev/null 2>>"$WORK/podman.log" ||
    die "$name: its liveness check (podman healthcheck run) failed"
  read -r readonly user < <(podman inspect --format '{{.HostConfig.ReadonlyRootfs}} {{.Config.User}}' "$name" </dev/null)
  if [ "$readonly" != true ] || [ "${user%%:*}" != 10001 ]; then
    die "$name runs with read-only root $readonly as user $user; the chart asks read-only as 10001"
  fi
  say "ready: $name ($path on $port answers 2xx; liveness check healthy; read-only root, uid 10001) after $(since "$t")"
done < <(plan readiness)

# ---- 6. end to end through the containers ----------------------------------------
t=$SECONDS
gateway_port="$(plan gateway-port)"
node --no-warnings scripts/packaging/smoke.mjs e2e --gateway "http://127.0.0.1:$gateway_port" --admin-token "$ADMIN_TOKEN" \
  --brokers "$BROKERS" --prefix "$PREFIX" --registry "$REGISTRY"
say "end to end through the containerized gateway, relay and projector in $(since "$t")"

# ---- 7. SIGTERM, and a clean exit from every container ----------------------------
t=$SECONDS
# All at once, as a rollout or a drain would; without systemd podman logs an
# error about healthcheck timers it never had, kept out of sight in podman.log.
stops=()
while IFS=' ' read -r pod grace; do
  podman pod stop -t "$grace" "$pod" </dev/null >/dev/null 2>>"$WORK/podman.log" &
  stops+=($!)
done < <(plan grace)
for stop in "${stops[@]}"; do wait "$stop" || die "podman pod stop failed; see .run/pods/podman.log"; done
exits=()
for pod in "${WORKLOAD_PODS[@]}"; do
  for container in $(containers_of "$pod"); do
    read -r state code < <(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$container")
    exits+=("$container=$code")
    [ "$state" = exited ] || die "$container is $state after podman pod stop"
    [ "$code" = 0 ] || die "$container exited $code after SIGTERM (want 0: a graceful shutdown)"
    # Exit 0 from the service's own shutdown on SIGTERM (lifecycle/shutdown.ts), not from anything else.
    logs="$(podman logs "$container" 2>&1)"
    if ! grep -q '"signal":"SIGTERM".*"msg":"shutting down"' <<<"$logs" || ! grep -q '"msg":"stopped"' <<<"$logs"; then
      die "$container exited 0 but never logged its SIGTERM shutdown ('shutting down', then 'stopped')"
    fi
  done
done
say "stopped with SIGTERM in $(since "$t"), each logging its shutdown: ${exits[*]}"

if [ "${EVENTLINE_PODS_KEEP:-0}" != 1 ]; then
  "$PSQL" -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$DATABASE\" WITH (FORCE)" >/dev/null 2>&1 || true
  node --no-warnings scripts/packaging/smoke.mjs reset --brokers "$BROKERS" --prefix "$PREFIX" >/dev/null || true
fi
say "make pods: passed in $(since "$started")"
