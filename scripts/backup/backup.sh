#!/usr/bin/env bash
# Backups and point-in-time restores with pgBackRest (docs/recovery.md), on a
# PostgreSQL cluster of their own that archives its WAL: archive_mode needs a
# server restart, so the shared stack's server is never touched.
#   backup.sh up                 the archiving cluster on BACKUP_PG_PORT, its stanza; prints its URL
#   backup.sh full | incr        a full or incremental backup
#   backup.sh restore <time>     restores the repository as of <time> (e.g. '2026-12-01 18:20:00.123+00')
#                                into a second cluster on BACKUP_RESTORE_PORT; prints its URL
#   backup.sh info               pgBackRest's view of the repository (JSON)
#   backup.sh down               stops both clusters (their files stay under BACKUP_DIR)
# BACKUP_DIR (default .run/backup) holds the clusters, the repository, the logs
# and the URLs (source.url, restored.url; mode 600, passwords of their own).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export EVENTLINE_RUN_DIR="${BACKUP_DIR:-$ROOT/.run/backup}"
source "$ROOT/scripts/stack/common.sh"

DIR="$RUN_DIR"
PORT="${BACKUP_PG_PORT:-5452}"
RESTORE_PORT="${BACKUP_RESTORE_PORT:-$((PORT + 1))}"
STANZA=eventline
CONF="$DIR/pgbackrest.conf"
SOURCE="$DIR/source"
RESTORED="$DIR/restored"

usage() {
  printf 'usage: backup.sh up|full|incr|restore <time>|info|down\n' >&2
  exit 2
}

# shellcheck disable=SC2012 # the version directories are digits
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# PostgreSQL and pgBackRest refuse to run as root: as root, both run as postgres.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pgbackrest_cmd() { as_owner pgbackrest --config="$CONF" --stanza="$STANZA" "$@"; }

# A cluster's password and URL, written once, readable by whoever runs this only.
url_of() { printf 'postgres://postgres:%s@127.0.0.1:%s/eventline' "$(cat "$DIR/password")" "$1"; }

write_config() {
  cat >"$CONF" <<EOF
[global]
repo1-path=$DIR/repo
repo1-retention-full=2
log-path=$DIR/logs
lock-path=$DIR/lock
spool-path=$DIR/spool
log-level-console=warn
log-level-file=info
start-fast=y
# WAL is pushed by a background process, two segments at a time: one synchronous
# archive-push per segment (~0.3 s) fell ~1,400 segments behind a 10M-event bulk
# load. A backup waits for its segments to be archived: 600 s, not the default
# 60 s, so a backup started while archiving catches up with a burst completes.
archive-async=y
archive-timeout=600

[global:archive-push]
process-max=2

[$STANZA]
pg1-path=$SOURCE/data
pg1-port=$PORT
pg1-socket-path=$SOURCE/socket
EOF
}

# Starts the cluster in $1 on port $2 with further settings $3.
start_cluster() {
  local dir="$1" port="$2" settings="$3"
  require_free_port PostgreSQL 127.0.0.1 "$port" BACKUP_PG_PORT
  as_owner "$(pg_bin)/pg_ctl" -D "$dir/data" -l "$DIR/logs/$(basename "$dir").log" -w -t 120 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/socket $settings" >/dev/null ||
    { tail -n 20 "$DIR/logs/$(basename "$dir").log" >&2; die "PostgreSQL in $dir did not start"; }
}

stop_cluster() {
  [ -f "$1/data/postmaster.pid" ] || return 0
  as_owner "$(pg_bin)/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1 || true
}

up() {
  command -v pgbackrest >/dev/null || apt_install pgbackrest
  [ -n "$(pg_bin)" ] || die "no PostgreSQL server binaries: run make up first"
  mkdir -p "$SOURCE/socket" "$DIR/repo" "$DIR/logs" "$DIR/lock" "$DIR/spool"
  [ -s "$DIR/password" ] || (umask 077 && openssl rand -hex 24 >"$DIR/password")
  write_config
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres "$DIR"
    chown root "$DIR/password"
    # The cluster's owner must reach its directory through the checkout's path.
    local dir="$DIR"
    while [ "$dir" != "/" ]; do chmod o+x "$dir" 2>/dev/null || true; dir="$(dirname "$dir")"; done
  fi
  chmod 700 "$SOURCE/socket"
  if [ ! -f "$SOURCE/data/PG_VERSION" ]; then
    as_owner "$(pg_bin)/initdb" -D "$SOURCE/data" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >>"$DIR/logs/initdb.log" 2>&1 || die "initdb failed; see $DIR/logs/initdb.log"
    # WAL archiving through pgBackRest: what point-in-time recovery replays.
    cat >>"$SOURCE/data/postgresql.conf" <<EOF
wal_level = replica
archive_mode = on
archive_command = 'pgbackrest --config=$CONF --stanza=$STANZA archive-push %p'
archive_timeout = 60
EOF
  fi
  local psql=("$(pg_bin)/psql" -h "$SOURCE/socket" -p "$PORT" -U postgres -q -v ON_ERROR_STOP=1)
  if ! as_owner "$(pg_bin)/pg_ctl" -D "$SOURCE/data" status >/dev/null 2>&1; then
    start_cluster "$SOURCE" "$PORT" ""
    # Measured on PostgreSQL 15.18: a freshly started server forced no archive_timeout switch
    # for 160-180 s of steady commits (so nothing reached the repository); after a reload it
    # switched every 60 s. The reload makes the recovery point what archive_timeout says.
    as_owner "${psql[@]}" -d postgres -c 'SELECT pg_reload_conf()' >/dev/null
  fi
  # Through standard input, so the password is on no command line.
  printf "ALTER ROLE postgres PASSWORD '%s';\n" "$(cat "$DIR/password")" | as_owner "${psql[@]}" -d postgres >/dev/null
  as_owner "${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'eventline'" | grep -q 1 ||
    as_owner "${psql[@]}" -d postgres -c 'CREATE DATABASE eventline' >/dev/null
  pgbackrest_cmd stanza-create >/dev/null
  pgbackrest_cmd check >/dev/null
  (umask 077 && url_of "$PORT" >"$DIR/source.url")
  cat "$DIR/source.url"
  printf '\n'
}

restore() {
  local target="$1"
  stop_cluster "$RESTORED"
  rm -rf "$RESTORED"
  mkdir -p "$RESTORED/data" "$RESTORED/socket"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$RESTORED"; fi
  chmod 700 "$RESTORED/data" "$RESTORED/socket"
  # Replays WAL from the repository up to the first commit after the target, then opens for writes.
  pgbackrest_cmd restore --pg1-path="$RESTORED/data" --type=time --target="$target" \
    --target-action=promote >/dev/null
  # Its own port, and no archiving: it must not push a second history into the stanza.
  start_cluster "$RESTORED" "$RESTORE_PORT" "-c archive_mode=off"
  # pg_ctl returns once read-only connections are taken, while WAL still replays: wait for the promotion.
  local tries=0
  until [ "$(as_owner "$(pg_bin)/psql" -h "$RESTORED/socket" -p "$RESTORE_PORT" -U postgres -d postgres -tAc \
    'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ]; do
    tries=$((tries + 1))
    [ "$tries" -le 600 ] || die "the restored cluster was still recovering after 120 s; see $DIR/logs/restored.log"
    sleep 0.2
  done
  (umask 077 && url_of "$RESTORE_PORT" >"$DIR/restored.url")
  cat "$DIR/restored.url"
  printf '\n'
}

case "${1:-}" in
  up) up ;;
  full | incr) pgbackrest_cmd backup --type="$1" ;;
  restore) [ $# -eq 2 ] || usage; restore "$2" ;;
  info) pgbackrest_cmd info --output=json ;;
  down)
    stop_cluster "$RESTORED"
    stop_cluster "$SOURCE"
    ;;
  *) usage ;;
esac
