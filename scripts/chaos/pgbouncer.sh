#!/usr/bin/env bash
# PgBouncer in transaction mode for the chaos suite's `pgbouncer` scenario (docs/reliability.md):
# Debian's pgbouncer package (installed when missing), run as a process of the suite's own under
# .run/chaos/pgbouncer, never as the system service (whose unit stays as the package left it).
#   pgbouncer.sh up|down|status
# PGBOUNCER_PORT (default 6432) is where it listens; PGBOUNCER_TARGET (default the stack's
# PostgreSQL, 127.0.0.1:$PG_PORT) is the server behind it. Every database of that server is
# reachable by name, for the stack's three service roles (eventline_app, eventline_relay_app,
# eventline_projector_app) with the passwords of .run/stack.env.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# The stack's passwords are read from the shared stack's stack.env before RUN_DIR is pointed at ours.
SHARED_ENV="$ROOT/.run/stack.env"
export EVENTLINE_RUN_DIR="${EVENTLINE_RUN_DIR:-$ROOT/.run/chaos}"
source "$ROOT/scripts/stack/common.sh"

PGBOUNCER_PORT="${PGBOUNCER_PORT:-6432}"
TARGET="${PGBOUNCER_TARGET:-127.0.0.1:${PG_PORT:-5432}}"
DIR="$RUN_DIR/pgbouncer"
LOG="$LOG_DIR/pgbouncer.log"
# The statement deadline the services ask for as a start-up parameter (DB_STATEMENT_TIMEOUT_MS's
# default): PgBouncer 1.18 refuses start-up parameters it does not track, so they are ignored and
# the deadline is set on each server connection instead (connect_query).
STATEMENT_TIMEOUT_MS="${PGBOUNCER_STATEMENT_TIMEOUT_MS:-30000}"

shared_get() { sed -n "s/^$1=//p" "$SHARED_ENV" | tail -n 1; }

binary() {
  command -v pgbouncer 2>/dev/null || { [ -x /usr/sbin/pgbouncer ] && echo /usr/sbin/pgbouncer; } || {
    apt_install pgbouncer
    echo /usr/sbin/pgbouncer
  }
}

# PgBouncer refuses to run as root: as root, it runs as the postgres user (as the stack's cluster
# does), through setpriv, which execs it, so the pid recorded is PgBouncer's own.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    AS_OWNER=(setpriv --reuid postgres --regid postgres --init-groups)
  else
    AS_OWNER=()
  fi
}

write_config() {
  local host="${TARGET%:*}" port="${TARGET##*:}"
  mkdir -p "$DIR"
  (
    umask 077
    {
      printf '"%s" "%s"\n' eventline_app "$(shared_get PG_APP_PASSWORD)"
      printf '"%s" "%s"\n' eventline_relay_app "$(shared_get PG_RELAY_PASSWORD)"
      printf '"%s" "%s"\n' eventline_projector_app "$(shared_get PG_PROJECTOR_PASSWORD)"
    } >"$DIR/userlist.txt"
    cat >"$DIR/pgbouncer.ini" <<CONF
[databases]
* = host=$host port=$port connect_query='SET statement_timeout = $STATEMENT_TIMEOUT_MS'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $DIR/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
max_db_connections = 60
server_reset_query =
ignore_startup_parameters = statement_timeout,idle_in_transaction_session_timeout,extra_float_digits,options
logfile = $LOG
pidfile = $DIR/pgbouncer.pid
log_connections = 0
log_disconnections = 0
CONF
  )
  touch "$LOG"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres "$DIR" "$LOG"
    # The owner must reach its files through the checkout's path.
    local dir="$DIR"
    while [ "$dir" != "/" ]; do chmod o+x "$dir" 2>/dev/null || true; dir="$(dirname "$dir")"; done
  fi
}

healthy() { port_open 127.0.0.1 "$PGBOUNCER_PORT"; }

up() {
  local bin
  bin="$(binary)"
  if is_running pgbouncer; then
    healthy || die "pgbouncer (pid $(cat "$(pid_file pgbouncer)")) runs but does not listen on $PGBOUNCER_PORT; see $LOG"
    return 0
  fi
  require_free_port PgBouncer 127.0.0.1 "$PGBOUNCER_PORT" PGBOUNCER_PORT
  write_config
  as_owner
  start_detached pgbouncer "$LOG" "${AS_OWNER[@]}" "$bin" "$DIR/pgbouncer.ini"
  wait_healthy PgBouncer 30 "$LOG" healthy
  say "pgbouncer: up on 127.0.0.1:$PGBOUNCER_PORT (transaction pooling) in front of $TARGET"
}

down() { stop_recorded pgbouncer 15; }

status() { healthy && echo healthy || echo down; }

"${1:?usage: pgbouncer.sh up|down|status}"
