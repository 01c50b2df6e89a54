#!/usr/bin/env bash
# A PostgreSQL cluster of the chaos suite's own, for the scenario that restarts PostgreSQL under
# load (docs/reliability.md): scripts/stack/postgres.sh run with its state under .run/chaos/postgres
# (EVENTLINE_RUN_DIR=.run/chaos) on CHAOS_PG_PORT (default 5442), so the shared stack's server,
# and the schema registry whose connection pool does not survive a restart of it, are untouched.
#   postgres.sh up|down|restart|crash|status
# Its endpoints (DATABASE_URL, ADMIN_DATABASE_URL, ... with passwords of its own) are in
# .run/chaos/stack.env.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export EVENTLINE_RUN_DIR="${EVENTLINE_RUN_DIR:-$ROOT/.run/chaos}"
export PG_PORT="${CHAOS_PG_PORT:-5442}"
source "$ROOT/scripts/stack/common.sh"
STACK_POSTGRES="$ROOT/scripts/stack/postgres.sh"

# postgres.sh serves TLS with the stack's certificates: the same ones, not a second CA.
link_tls() {
  [ -e "$RUN_DIR/tls" ] || ln -s "$ROOT/.run/tls" "$RUN_DIR/tls"
}

pg_ctl_as_owner() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$bin/pg_ctl" "$@"; else "$bin/pg_ctl" "$@"; fi
}

# pg_ctl restart with a shutdown mode, then the new postmaster's pid where postgres.sh looks for it.
restart_with() {
  is_running postgres || die "the chaos PostgreSQL is not running: postgres.sh up first"
  pg_ctl_as_owner -D "$RUN_DIR/postgres/data" -l "$LOG_DIR/postgres.log" -m "$1" -w -t 60 restart >/dev/null
  head -n 1 "$RUN_DIR/postgres/data/postmaster.pid" >"$(pid_file postgres)"
}

case "${1:?usage: postgres.sh up|down|restart|crash|status}" in
  up) link_tls && bash "$STACK_POSTGRES" up ;;
  down) bash "$STACK_POSTGRES" down ;;
  status) bash "$STACK_POSTGRES" status ;;
  # Fast shutdown (open transactions rolled back, sessions ended), then started with the options it
  # ran with (postmaster.opts): what an operator's restart or a failover does to the clients.
  restart) restart_with fast ;;
  # Immediate shutdown (every process quits at once: no checkpoint, WAL buffers not written), then
  # started, which runs crash recovery: what a crash of the server does to the data and the clients.
  crash) restart_with immediate ;;
  *) die "usage: postgres.sh up|down|restart|crash|status" ;;
esac
