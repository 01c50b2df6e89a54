#!/usr/bin/env bash
# Eventline's own services, from dist/ (make build): started after the
# infrastructure, with its endpoints from .run/stack.env, each with a pid file.
#   services.sh up|down|status
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SERVICES=(gateway relay projector)
GATEWAY_PORT="${PORT:-3000}"
GATEWAY_OPS_PORT="${GATEWAY_OPS_PORT:-9100}"
RELAY_PORT="${RELAY_PORT:-9101}"
PROJECTOR_PORT="${PROJECTOR_PORT:-9102}"

entry() { printf '%s/dist/services/%s/main.js' "$ROOT_DIR" "$1"; }
# Each service's ops port: /health, /ready and /metrics (the gateway's API is on $GATEWAY_PORT).
port_of() {
  case "$1" in
    gateway) printf '%s' "$GATEWAY_OPS_PORT" ;;
    relay) printf '%s' "$RELAY_PORT" ;;
    projector) printf '%s' "$PROJECTOR_PORT" ;;
  esac
}
health_url() { printf 'http://127.0.0.1:%s' "$(port_of "$1")"; }

# Each service connects to PostgreSQL as its own role (docs/contracts.md §9).
database_url_of() {
  case "$1" in
    relay) stack_env_get RELAY_DATABASE_URL ;;
    projector) stack_env_get PROJECTOR_DATABASE_URL ;;
    *) stack_env_get DATABASE_URL ;;
  esac
}

responds() { node -e "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$1"; }

# Development credentials, made once: the platform admin token (docs/contracts.md §3) and the HS256 JWT secret.
dev_secrets() {
  if [ ! -s "$RUN_DIR/admin-token" ]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RUN_DIR/admin-token")
  fi
  stack_secret JWT_SECRET >/dev/null
  # The key-encryption key of personal data (docs/privacy.md): <id>:<32 random bytes, base64>.
  if [ -z "$(stack_env_get PERSONAL_DATA_KEK)" ]; then
    stack_env_set PERSONAL_DATA_KEK "dev:$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
  fi
}

start_service() {
  local name="$1" log="$LOG_DIR/$1.log"
  [ -f "$(entry "$name")" ] || die "$(entry "$name") is missing: run make build"
  if is_running "$name"; then
    responds "$(health_url "$name")/health" || die "$name (pid $(cat "$(pid_file "$name")")) runs but does not answer; see $log"
    return 0
  fi
  if [ "$name" = gateway ]; then
    require_free_port gateway 127.0.0.1 "$GATEWAY_PORT" PORT
    require_free_port "gateway's ops port" 127.0.0.1 "$GATEWAY_OPS_PORT" GATEWAY_OPS_PORT
  else
    require_free_port "$name" 127.0.0.1 "$(port_of "$name")" "${name^^}_PORT"
  fi
  (
    # stack.env is KEY=VALUE lines, not shell: a value may hold '&' (the SECURE_*DATABASE_URLs).
    while IFS= read -r line; do
      [[ "$line" == *=* ]] && export "${line%%=*}=${line#*=}"
    done <"$STACK_ENV"
    export DATABASE_URL="$(database_url_of "$name")"
    export ADMIN_TOKEN="$(cat "$RUN_DIR/admin-token")" PORT="$GATEWAY_PORT" GATEWAY_OPS_PORT="$GATEWAY_OPS_PORT"
    export RELAY_PORT="$RELAY_PORT" PROJECTOR_PORT="$PROJECTOR_PORT"
    # The young generation's semi-spaces: 2 MiB keep the relay's memory down (docs/relay.md, "Memory"),
    # 8 MiB spare the projector garbage collection in a catch-up (docs/projector.md, "Memory") and the
    # gateway some per command within its memory limit (docs/performance.md).
    if [ "$name" = relay ]; then export NODE_OPTIONS="--max-semi-space-size=2"; fi
    if [ "$name" = projector ] || [ "$name" = gateway ]; then export NODE_OPTIONS="--max-semi-space-size=8"; fi
    # Two malloc arenas, as the image sets (Dockerfile; docs/performance.md, "two malloc arenas per service").
    export MALLOC_ARENA_MAX=2
    start_detached "$name" "$log" node --enable-source-maps "$(entry "$name")"
  )
  WAIT_PID="$(cat "$(pid_file "$name")")"
  wait_healthy "$name" 60 "$log" responds "$(health_url "$name")/ready"
}

up() {
  dev_secrets
  local name
  for name in "${SERVICES[@]}"; do
    start_service "$name"
    if [ "$name" = gateway ]; then
      say "gateway: up at http://127.0.0.1:$GATEWAY_PORT (ops $(health_url gateway))"
    else
      say "$name: up at $(health_url "$name")"
    fi
  done
}

down() {
  local i
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do stop_recorded "${SERVICES[$i]}" 30; done
}

status() {
  local name
  for name in "${SERVICES[@]}"; do
    local pid=- health=down
    is_running "$name" && pid="$(cat "$(pid_file "$name")")"
    responds "$(health_url "$name")/ready" && health=healthy
    printf '%-10s %-10s %-9s %s\n' "$name" "$pid" "$health" "$(health_url "$name")"
  done
}

"${1:?usage: services.sh up|down|status}"
