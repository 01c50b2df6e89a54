# Shared by the scripts that bring the local stack up and down. Sourced, not run.
# Everything the stack writes lives under $RUN_DIR (.run/ in the checkout).
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN_DIR="${EVENTLINE_RUN_DIR:-$ROOT_DIR/.run}"
PID_DIR="$RUN_DIR/pids"
LOG_DIR="$RUN_DIR/logs"
STACK_ENV="$RUN_DIR/stack.env"
mkdir -p "$PID_DIR" "$LOG_DIR"

# The stack's own node scripts, the services and with-env.sh's command run on
# the project's Node.js (.nvmrc), whoever calls these scripts.
NODE_BIN="$(bash "$ROOT_DIR/scripts/toolchain/node.sh")" || exit 1
PATH="$NODE_BIN:$PATH"
export PATH

say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Prints the value of KEY in stack.env, or nothing.
stack_env_get() {
  [ -f "$STACK_ENV" ] || return 0
  sed -n "s/^$1=//p" "$STACK_ENV" | tail -n 1
}

# Sets KEY=VALUE in stack.env, replacing an earlier value.
stack_env_set() {
  local key="$1" value="$2" tmp
  touch "$STACK_ENV"
  chmod 600 "$STACK_ENV"
  tmp="$(mktemp "$RUN_DIR/.stack.env.XXXXXX")"
  grep -v "^$key=" "$STACK_ENV" >"$tmp" || true
  printf '%s=%s\n' "$key" "$value" >>"$tmp"
  mv "$tmp" "$STACK_ENV"
}

# The certificates of the secured endpoints, made by tls.sh.
TLS_DIR="$RUN_DIR/tls"

# The server certificate's SHA-256 fingerprint: written into each secured
# server's configuration, so a re-issued certificate restarts or reloads it.
tls_fingerprint() { openssl x509 -in "$TLS_DIR/server.pem" -noout -fingerprint -sha256 | sed 's/.*=//'; }

# Removes KEY from stack.env, for endpoints this run does not provide.
stack_env_unset() {
  local key="$1" tmp
  [ -f "$STACK_ENV" ] && grep -q "^$key=" "$STACK_ENV" || return 0
  tmp="$(mktemp "$RUN_DIR/.stack.env.XXXXXX")"
  grep -v "^$key=" "$STACK_ENV" >"$tmp" || true
  mv "$tmp" "$STACK_ENV"
}

# A secret generated once and kept in stack.env, so a restart keeps credentials.
stack_secret() {
  local key="$1" value
  value="$(stack_env_get "$key")"
  if [ -z "$value" ]; then
    value="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    stack_env_set "$key" "$value"
  fi
  printf '%s' "$value"
}

pid_file() { printf '%s/%s.pid' "$PID_DIR" "$1"; }

# True when the pid file of NAME names a live process.
is_running() {
  local file pid
  file="$(pid_file "$1")"
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# One line naming what holds HOST:PORT, for "port busy" errors.
port_holder() {
  local holder
  holder="$(ss -Hltnp "sport = :$2" 2>/dev/null | grep -o 'users:(([^)]*' | head -n 1 | sed 's/users:((//')"
  printf '%s' "${holder:-an unknown process}"
}

require_free_port() {
  local name="$1" host="$2" port="$3" var="$4"
  if port_open "$host" "$port"; then
    die "$name cannot listen on $host:$port: the port is busy ($(port_holder "$host" "$port")); stop it or set $var"
  fi
}

# Waits until COMMAND succeeds, at most SECONDS; on failure names the component and shows its log.
wait_healthy() {
  local name="$1" seconds="$2" log="$3"
  shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "error: $name did not become healthy within ${seconds}s; last lines of $log:"
      tail -n 20 "$log" >&2 2>/dev/null || true
      exit 1
    fi
    if [ -n "${WAIT_PID:-}" ] && ! kill -0 "$WAIT_PID" 2>/dev/null; then
      say "error: $name exited during start-up; last lines of $log:"
      tail -n 20 "$log" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.5
  done
}

# Starts COMMAND detached in its own session, logging to LOG, and records its pid.
start_detached() {
  local name="$1" log="$2"
  shift 2
  setsid nohup "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
  WAIT_PID=$!
}

# Stops the process recorded for NAME (TERM, then KILL after a grace period) and forgets it.
stop_recorded() {
  local name="$1" grace="${2:-30}" file pid
  file="$(pid_file "$name")"
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + grace))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    say "stopped $name (pid $pid)"
  fi
  rm -f "$file"
}

require_java() {
  command -v java >/dev/null 2>&1 || die "no java on PATH: install a JDK 17 (apt-get install openjdk-17-jdk-headless)"
  command -v mvn >/dev/null 2>&1 || die "no mvn on PATH: install Maven (apt-get install maven)"
}

apt_install() {
  [ "$(id -u)" -eq 0 ] || die "$* is missing and installing it needs root: apt-get install $*"
  if [ ! -f "$RUN_DIR/.apt-updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$LOG_DIR/apt.log" 2>&1 || die "apt-get update failed; see $LOG_DIR/apt.log"
    touch "$RUN_DIR/.apt-updated"
  fi
  say "installing $* (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$LOG_DIR/apt.log" 2>&1 ||
    die "apt-get install $* failed; see $LOG_DIR/apt.log"
}

# A checksum of FILE, to tell whether a cached download still matches its pom.
file_stamp() { sha256sum "$1" | cut -d' ' -f1; }
