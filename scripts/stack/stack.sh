#!/usr/bin/env bash
# The local stack as one thing: `stack.sh up|down|status|logs [--infra]`.
# --infra stops at the infrastructure (what the integration tests need).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
STACK_DIR="$ROOT_DIR/scripts/stack"

# tls makes the certificates the secured endpoints use; the OAuth issuer must
# answer before Kafka starts, and nginx proxies to the registry.
INFRA=(tls postgres redis oauth kafka registry nginx)

ensure_node_modules() {
  if [ ! -d "$ROOT_DIR/node_modules" ] || [ "$ROOT_DIR/package-lock.json" -nt "$ROOT_DIR/node_modules/.package-lock.json" ]; then
    say "installing npm dependencies (npm ci)"
    (cd "$ROOT_DIR" && npm ci --no-audit --no-fund >"$LOG_DIR/npm.log" 2>&1) || die "npm ci failed; see $LOG_DIR/npm.log"
  fi
}

up() {
  local started=$SECONDS component
  ensure_node_modules
  for component in "${INFRA[@]}"; do
    local t=$SECONDS
    bash "$STACK_DIR/$component.sh" up
    say "$component: up ($((SECONDS - t))s)"
  done
  say "stack up in $((SECONDS - started))s; endpoints in $STACK_ENV"
}

down() {
  local i
  for ((i = ${#INFRA[@]} - 1; i >= 0; i--)); do bash "$STACK_DIR/${INFRA[$i]}.sh" down; done
}

status() {
  local component
  printf '%-10s %-10s %-9s %s\n' COMPONENT PID HEALTH ADDRESS
  for component in "${INFRA[@]}"; do
    local pid=- address health
    health="$(bash "$STACK_DIR/$component.sh" status)"
    if is_running "$component"; then
      pid="$(cat "$(pid_file "$component")")"
    elif [ "$health" = healthy ] && [ "$component" != tls ]; then
      pid="(not ours)"
    fi
    # Secured variants are listed where this stack provides them (see stack.env's SECURE_*).
    case "$component" in
      tls) address="$RUN_DIR/tls (CA, server and client certificates)" ;;
      postgres)
        address="127.0.0.1:${PG_PORT:-5432}"
        [ -n "$(stack_env_get SECURE_DATABASE_URL)" ] && address+=" (TLS on the same port, also on 127.0.0.2)"
        ;;
      redis)
        address="127.0.0.1:${REDIS_PORT:-6379}"
        [ -n "$(stack_env_get SECURE_REDIS_URL)" ] && address+=" (TLS rediss://127.0.0.1:${REDIS_TLS_PORT:-6380}, also on 127.0.0.2)"
        ;;
      oauth) address="http://127.0.0.1:${OAUTH_PORT:-9096}/token (JWKS /jwks)" ;;
      kafka) address="127.0.0.1:${KAFKA_PORT:-9092} (SASL_SSL ${KAFKA_SASL_SSL_PORT:-9094}, mutual TLS ${KAFKA_MTLS_PORT:-9095})" ;;
      registry) address="http://127.0.0.1:${REGISTRY_PORT:-8081}/apis/ccompat/v7" ;;
      nginx) address="https://127.0.0.1:${REGISTRY_TLS_PORT:-8443}/apis/ccompat/v7 (the registry over TLS, also on 127.0.0.2)" ;;
    esac
    printf '%-10s %-10s %-9s %s\n' "$component" "$pid" "$health" "$address"
  done
}

logs() { tail -n 50 -F "$LOG_DIR"/*.log; }

"${1:?usage: stack.sh up|down|status|logs}"
