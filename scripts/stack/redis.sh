#!/usr/bin/env bash
# Redis for the local stack: uses one already answering on 127.0.0.1:$REDIS_PORT,
# otherwise runs its own under .run/redis (installing the Debian package if missing).
# Its own also serves TLS on $REDIS_TLS_PORT (the stack's server certificate, no
# client certificates), bound on 127.0.0.2 too for hostname-verification tests,
# with an ACL user for the secured endpoint; the default user stays as it is.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REDIS_HOST=127.0.0.1
REDIS_PORT="${REDIS_PORT:-6379}"
REDIS_TLS_PORT="${REDIS_TLS_PORT:-6380}"
REDIS_DIR="$RUN_DIR/redis"
REDIS_LOG="$LOG_DIR/redis.log"
REDIS_TLS_USER=eventline-tls

ping() { [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

# The TLS port answers as the ACL user, the CA verified; the password reaches
# redis-cli through REDISCLI_AUTH, not its command line.
tls_ping() {
  [ "$(REDISCLI_AUTH="$(stack_env_get SECURE_REDIS_PASSWORD)" redis-cli --tls --cacert "$TLS_DIR/ca.pem" \
    -h "$REDIS_HOST" -p "$REDIS_TLS_PORT" --user "$REDIS_TLS_USER" --no-auth-warning ping 2>/dev/null)" = PONG ]
}

# The configuration as it should be, into FILE. The ACL user's password is
# stored as its SHA-256 (Redis' '#' form), never in clear. The server
# certificate's fingerprint is part of it, so a re-issued one restarts Redis.
write_config() {
  local file="$1" password_hash="$2"
  (umask 077 && cat >"$file" <<CONF
# server certificate sha256 $(tls_fingerprint)
bind $REDIS_HOST 127.0.0.2
port $REDIS_PORT
dir $REDIS_DIR
appendonly yes
daemonize no
protected-mode yes
tls-port $REDIS_TLS_PORT
tls-cert-file $TLS_DIR/server.pem
tls-key-file $TLS_DIR/server.key
tls-ca-cert-file $TLS_DIR/ca.pem
tls-auth-clients no
user $REDIS_TLS_USER on #$password_hash ~* &* +@all
CONF
  )
}

start() {
  require_free_port Redis "$REDIS_HOST" "$REDIS_PORT" REDIS_PORT
  require_free_port Redis 127.0.0.2 "$REDIS_PORT" REDIS_PORT
  require_free_port "Redis (TLS)" "$REDIS_HOST" "$REDIS_TLS_PORT" REDIS_TLS_PORT
  require_free_port "Redis (TLS)" 127.0.0.2 "$REDIS_TLS_PORT" REDIS_TLS_PORT
  start_detached redis "$REDIS_LOG" redis-server "$REDIS_DIR/redis.conf"
  wait_healthy Redis 30 "$REDIS_LOG" ping
}

up() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  if ! is_running redis && ping; then
    say "Redis: using the server already answering on $REDIS_HOST:$REDIS_PORT, as it is: no secured variant (SECURE_REDIS_*)"
    stack_env_set REDIS_URL "redis://$REDIS_HOST:$REDIS_PORT"
    local var
    for var in SECURE_REDIS_URL SECURE_REDIS_USERNAME SECURE_REDIS_PASSWORD; do stack_env_unset "$var"; done
    return 0
  fi
  [ -s "$TLS_DIR/server.key" ] || die "no TLS material in $TLS_DIR: run scripts/stack/tls.sh up first"
  local password
  password="$(stack_secret SECURE_REDIS_PASSWORD)"
  mkdir -p "$REDIS_DIR"
  write_config "$REDIS_DIR/redis.conf.new" "$(printf '%s' "$password" | sha256sum | cut -d' ' -f1)"
  if is_running redis && ! cmp -s "$REDIS_DIR/redis.conf.new" "$REDIS_DIR/redis.conf"; then
    # TLS settings and ACL users from the file are read at start-up; the data
    # survives the restart (appendonly).
    say "Redis: its configuration changed (TLS, ports, ACL user or certificate); restarting it"
    stop_recorded redis
  fi
  if is_running redis; then
    rm -f "$REDIS_DIR/redis.conf.new"
    ping || die "Redis (pid $(cat "$(pid_file redis)")) is running but does not answer; see $REDIS_LOG"
  else
    mv "$REDIS_DIR/redis.conf.new" "$REDIS_DIR/redis.conf"
    start
  fi
  wait_healthy "Redis (TLS)" 30 "$REDIS_LOG" tls_ping
  stack_env_set REDIS_URL "redis://$REDIS_HOST:$REDIS_PORT"
  stack_env_set SECURE_REDIS_URL "rediss://$REDIS_HOST:$REDIS_TLS_PORT"
  stack_env_set SECURE_REDIS_USERNAME "$REDIS_TLS_USER"
}

down() { stop_recorded redis; }

status() {
  if ping && { [ -z "$(stack_env_get SECURE_REDIS_URL)" ] || tls_ping; }; then echo healthy; else echo down; fi
}

"${1:?usage: redis.sh up|down|status}"
