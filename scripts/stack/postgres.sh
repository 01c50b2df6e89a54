#!/usr/bin/env bash
# PostgreSQL for the local stack: uses one already listening on 127.0.0.1:$PG_PORT,
# otherwise runs its own cluster under .run/postgres (installing the Debian package
# when no server binaries are present). Then creates the eventline databases and
# the two roles the project uses:
#   eventline_admin - owns the schema, runs migrations, creates test databases;
#   eventline_app   - what the services connect as: no BYPASSRLS, owns nothing.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_HOST=127.0.0.1
PG_PORT="${PG_PORT:-5432}"
PG_DIR="$RUN_DIR/postgres"
PG_DATA="$PG_DIR/data"
PG_SOCKET="$PG_DIR/socket"
PG_LOG="$LOG_DIR/postgres.log"

pg_bin_dir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$dir" ]; then
    apt_install postgresql
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  fi
  [ -n "$dir" ] || die "PostgreSQL server binaries not found after installing the postgresql package"
  printf '%s' "$dir"
}

# PostgreSQL refuses to run as root: as root, our cluster belongs to the postgres user.
as_cluster_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

ready() { "$(pg_bin_dir)/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT"; }

start_own_cluster() {
  local bin
  bin="$(pg_bin_dir)"
  mkdir -p "$PG_DIR" "$PG_SOCKET"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    chown -R postgres "$PG_DIR"
    touch "$PG_LOG" && chown postgres "$PG_LOG"
    # The cluster owner must be able to reach its directory through the checkout's path.
    local dir="$PG_DIR"
    while [ "$dir" != "/" ]; do chmod o+x "$dir" 2>/dev/null || true; dir="$(dirname "$dir")"; done
  fi
  chmod 700 "$PG_SOCKET"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    say "initialising PostgreSQL cluster in $PG_DATA"
    as_cluster_owner "$bin/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >>"$PG_LOG" 2>&1 || die "initdb failed; see $PG_LOG"
  fi
  require_free_port PostgreSQL "$PG_HOST" "$PG_PORT" PG_PORT
  as_cluster_owner "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start \
    -o "-c listen_addresses=$PG_HOST -p $PG_PORT -k $PG_SOCKET -c max_connections=300 -c shared_buffers=256MB" \
    >/dev/null || { tail -n 20 "$PG_LOG" >&2; die "PostgreSQL did not start; see $PG_LOG"; }
  head -n 1 "$PG_DATA/postmaster.pid" >"$(pid_file postgres)"
}

# Runs psql as a superuser, over our socket or, for a server we did not start, as
# PG_SUPERUSER_URL or the postgres OS user over the default socket.
superuser_psql() {
  local bin
  bin="$(pg_bin_dir)"
  if is_running postgres; then
    as_cluster_owner "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET" -p "$PG_PORT" -U postgres "$@"
  elif [ -n "${PG_SUPERUSER_URL:-}" ]; then
    "$bin/psql" -X -q -v ON_ERROR_STOP=1 "$PG_SUPERUSER_URL" "$@"
  else
    runuser -u postgres -- "$bin/psql" -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@" ||
      die "PostgreSQL on $PG_HOST:$PG_PORT was already running, but no superuser access: set PG_SUPERUSER_URL"
  fi
}

provision() {
  local admin_pw app_pw relay_pw projector_pw
  admin_pw="$(stack_secret PG_ADMIN_PASSWORD)"
  app_pw="$(stack_secret PG_APP_PASSWORD)"
  relay_pw="$(stack_secret PG_RELAY_PASSWORD)"
  projector_pw="$(stack_secret PG_PROJECTOR_PASSWORD)"
  superuser_psql -d postgres -v admin_pw="$admin_pw" -v app_pw="$app_pw" -v relay_pw="$relay_pw" -v projector_pw="$projector_pw" -f "$ROOT_DIR/scripts/stack/provision.sql"
  local base="$PG_HOST:$PG_PORT"
  stack_env_set DATABASE_URL "postgres://eventline_app:$app_pw@$base/eventline"
  stack_env_set RELAY_DATABASE_URL "postgres://eventline_relay_app:$relay_pw@$base/eventline"
  stack_env_set PROJECTOR_DATABASE_URL "postgres://eventline_projector_app:$projector_pw@$base/eventline"
  stack_env_set ADMIN_DATABASE_URL "postgres://eventline_admin:$admin_pw@$base/eventline"
  stack_env_set REGISTRY_DATABASE_JDBC_URL "jdbc:postgresql://$base/eventline_registry"
}

up() {
  if is_running postgres; then
    ready || die "PostgreSQL (pid $(cat "$(pid_file postgres)")) is running but not accepting connections; see $PG_LOG"
  elif port_open "$PG_HOST" "$PG_PORT" && ready; then
    say "PostgreSQL: using the server already listening on $PG_HOST:$PG_PORT"
  else
    start_own_cluster
  fi
  provision
}

down() {
  is_running postgres || { rm -f "$(pid_file postgres)"; return 0; }
  as_cluster_owner "$(pg_bin_dir)/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || stop_recorded postgres
  rm -f "$(pid_file postgres)"
  say "stopped postgres"
}

status() { ready && echo healthy || echo down; }

"${1:?usage: postgres.sh up|down|status}"
