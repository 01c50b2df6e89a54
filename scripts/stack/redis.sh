#!/usr/bin/env bash
# Redis for the local stack: uses one already answering on 127.0.0.1:$REDIS_PORT,
# otherwise runs its own under .run/redis (installing the Debian package if missing).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REDIS_HOST=127.0.0.1
REDIS_PORT="${REDIS_PORT:-6379}"
REDIS_DIR="$RUN_DIR/redis"
REDIS_LOG="$LOG_DIR/redis.log"

ping() { [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

up() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  if is_running redis; then
    ping || die "Redis (pid $(cat "$(pid_file redis)")) is running but does not answer; see $REDIS_LOG"
  elif ping; then
    say "Redis: using the server already answering on $REDIS_HOST:$REDIS_PORT"
  else
    require_free_port Redis "$REDIS_HOST" "$REDIS_PORT" REDIS_PORT
    mkdir -p "$REDIS_DIR"
    cat >"$REDIS_DIR/redis.conf" <<CONF
bind $REDIS_HOST
port $REDIS_PORT
dir $REDIS_DIR
appendonly yes
daemonize no
protected-mode yes
CONF
    start_detached redis "$REDIS_LOG" redis-server "$REDIS_DIR/redis.conf"
    wait_healthy Redis 30 "$REDIS_LOG" ping
  fi
  stack_env_set REDIS_URL "redis://$REDIS_HOST:$REDIS_PORT"
}

down() { stop_recorded redis; }

status() { ping && echo healthy || echo down; }

"${1:?usage: redis.sh up|down|status}"
