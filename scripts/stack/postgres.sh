#!/usr/bin/env bash
# PostgreSQL for the local stack: uses one already listening on 127.0.0.1:$PG_PORT,
# otherwise runs its own cluster under .run/postgres (installing the Debian package
# when no server binaries are present). Then creates the eventline databases and
# the two roles the project uses:
#   eventline_admin - owns the schema, runs migrations, creates test databases;
#   eventline_app   - what the services connect as: no BYPASSRLS, owns nothing.
# A cluster of its own also serves TLS (the stack's server certificate), on
# 127.0.0.2 too (a name the certificate lacks, for hostname-verification tests),
# with a login role that pg_hba admits over TLS only; a server it did not start
# is used as it is, without these.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_HOST=127.0.0.1
PG_PORT="${PG_PORT:-5432}"
PG_DIR="$RUN_DIR/postgres"
PG_DATA="$PG_DIR/data"
PG_SOCKET="$PG_DIR/socket"
PG_LOG="$LOG_DIR/postgres.log"
PG_TLS_HOST=127.0.0.2
PG_TLS_DIR="$PG_DIR/tls"
PG_TLS_ONLY_USER=eventline_tls_probe

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

# The server's settings, all on pg_ctl's command line, so a cluster started
# with other ones is told apart by what it reports (see secure_running_cluster).
server_options() {
  printf '%s %s' "-c listen_addresses=$PG_HOST,$PG_TLS_HOST -p $PG_PORT -k $PG_SOCKET -c max_connections=300 -c shared_buffers=256MB" \
    "-c ssl=on -c ssl_cert_file=$PG_TLS_DIR/server.pem -c ssl_key_file=$PG_TLS_DIR/server.key"
}

# PostgreSQL refuses a key that others can read, so the server gets its own copy,
# owned by the cluster's owner, mode 600. Returns 0 when the copy changed.
install_tls_files() {
  [ -s "$TLS_DIR/server.key" ] || die "no TLS material in $TLS_DIR: run scripts/stack/tls.sh up first"
  if [ -s "$PG_TLS_DIR/server.pem" ] && cmp -s "$TLS_DIR/server.pem" "$PG_TLS_DIR/server.pem" &&
    cmp -s "$TLS_DIR/server.key" "$PG_TLS_DIR/server.key"; then
    return 1
  fi
  mkdir -p "$PG_TLS_DIR"
  (umask 077 && cp "$TLS_DIR/server.pem" "$TLS_DIR/server.key" "$PG_TLS_DIR/")
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$PG_TLS_DIR"; fi
  chmod 700 "$PG_TLS_DIR"
  return 0
}

# The lines pg_hba.conf must start with: the TLS-only role is rejected on any
# connection without TLS, before the general lines admit it.
hba_block() {
  printf '%s\n' "# BEGIN eventline secured endpoints (scripts/stack/postgres.sh)" \
    "local     all $PG_TLS_ONLY_USER reject" \
    "hostnossl all $PG_TLS_ONLY_USER all reject" \
    "host      all all $PG_TLS_HOST/32 scram-sha-256" \
    "# END eventline secured endpoints"
}

# Puts hba_block at the head of pg_hba.conf; returns 0 when the file changed.
install_hba() {
  local hba="$PG_DATA/pg_hba.conf"
  [ "$(sed -n '/^# BEGIN eventline/,/^# END eventline/p' "$hba")" = "$(hba_block)" ] && return 1
  { hba_block; sed '/^# BEGIN eventline/,/^# END eventline/d' "$hba"; } >"$hba.new"
  chown --reference="$hba" "$hba.new"
  chmod 600 "$hba.new"
  mv "$hba.new" "$hba"
  return 0
}

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
  require_free_port PostgreSQL "$PG_TLS_HOST" "$PG_PORT" PG_PORT
  install_tls_files || true
  install_hba || true
  as_cluster_owner "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start -o "$(server_options)" \
    >/dev/null || { tail -n 20 "$PG_LOG" >&2; die "PostgreSQL did not start; see $PG_LOG"; }
  head -n 1 "$PG_DATA/postmaster.pid" >"$(pid_file postgres)"
}

# A cluster of ours started before the secured endpoints existed (or with other
# addresses) is restarted with server_options; new certificates or pg_hba lines
# only need a reload.
secure_running_cluster() {
  local bin reload=0 settings
  bin="$(pg_bin_dir)"
  install_tls_files && reload=1
  install_hba && reload=1
  settings="$(superuser_psql -d postgres -At -c "SELECT current_setting('listen_addresses') || ' ' || current_setting('ssl') || ' ' || current_setting('ssl_cert_file')")"
  if [ "$settings" != "$PG_HOST,$PG_TLS_HOST on $PG_TLS_DIR/server.pem" ]; then
    say "PostgreSQL: restarting it to serve TLS and listen on $PG_TLS_HOST too"
    port_open "$PG_TLS_HOST" "$PG_PORT" && die "PostgreSQL cannot listen on $PG_TLS_HOST:$PG_PORT: the port is busy ($(port_holder "$PG_TLS_HOST" "$PG_PORT")); stop it or set PG_PORT"
    as_cluster_owner "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -m fast -w -t 60 restart -o "$(server_options)" \
      >/dev/null || { tail -n 20 "$PG_LOG" >&2; die "PostgreSQL did not restart; see $PG_LOG"; }
    head -n 1 "$PG_DATA/postmaster.pid" >"$(pid_file postgres)"
    # registry.sh restarts a registry older than this: its pool keeps the dead connections.
    touch "$PG_DIR/restarted"
  elif [ "$reload" -eq 1 ]; then
    as_cluster_owner "$bin/pg_ctl" -D "$PG_DATA" reload >/dev/null || die "PostgreSQL did not reload; see $PG_LOG"
  fi
}

# The TLS-only role: LOGIN and CONNECT on eventline, nothing more. The password
# goes through psql's standard input, not its command line.
provision_tls_only_role() {
  local password="$1"
  superuser_psql -d postgres <<SQL
SET client_min_messages = warning;
\set pw '$password'
SELECT 'CREATE ROLE $PG_TLS_ONLY_USER LOGIN'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_TLS_ONLY_USER') \gexec
ALTER ROLE $PG_TLS_ONLY_USER LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD :'pw';
GRANT CONNECT ON DATABASE eventline TO $PG_TLS_ONLY_USER;
SQL
}

# The secured endpoint answers for real: the TLS-only role logs in with the CA verified.
tls_login() {
  PGPASSWORD="$1" PGCONNECT_TIMEOUT=5 "$(pg_bin_dir)/psql" -X -q -At -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()' \
    "host=$PG_HOST port=$PG_PORT dbname=eventline user=$PG_TLS_ONLY_USER sslmode=verify-full sslrootcert=$TLS_DIR/ca.pem" 2>&1
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

SECURE_DATABASE_VARS=(SECURE_DATABASE_URL SECURE_RELAY_DATABASE_URL SECURE_PROJECTOR_DATABASE_URL
  SECURE_ADMIN_DATABASE_URL SECURE_PG_TLS_ONLY_USER SECURE_PG_TLS_ONLY_PASSWORD)

up() {
  local own=1
  if is_running postgres; then
    ready || die "PostgreSQL (pid $(cat "$(pid_file postgres)")) is running but not accepting connections; see $PG_LOG"
    secure_running_cluster
  elif port_open "$PG_HOST" "$PG_PORT" && ready; then
    say "PostgreSQL: using the server already listening on $PG_HOST:$PG_PORT, as it is: no secured variants (SECURE_*DATABASE_URL)"
    own=0
  else
    start_own_cluster
  fi
  provision
  local var
  if [ "$own" -eq 0 ]; then
    for var in "${SECURE_DATABASE_VARS[@]}"; do stack_env_unset "$var"; done
    return 0
  fi
  local tls_password answer
  tls_password="$(stack_secret SECURE_PG_TLS_ONLY_PASSWORD)"
  provision_tls_only_role "$tls_password"
  answer="$(tls_login "$tls_password")" || true
  [ "$answer" = t ] || die "PostgreSQL's TLS login as $PG_TLS_ONLY_USER failed: $answer"
  local tls_query="?sslmode=verify-full&sslrootcert=$TLS_DIR/ca.pem" name
  for name in DATABASE_URL RELAY_DATABASE_URL PROJECTOR_DATABASE_URL ADMIN_DATABASE_URL; do
    stack_env_set "SECURE_$name" "$(stack_env_get "$name")$tls_query"
  done
  stack_env_set SECURE_PG_TLS_ONLY_USER "$PG_TLS_ONLY_USER"
}

down() {
  is_running postgres || { rm -f "$(pid_file postgres)"; return 0; }
  as_cluster_owner "$(pg_bin_dir)/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || stop_recorded postgres
  rm -f "$(pid_file postgres)"
  say "stopped postgres"
}

status() { ready && echo healthy || echo down; }

"${1:?usage: postgres.sh up|down|status}"
