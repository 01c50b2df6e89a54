#!/usr/bin/env bash
# Prints the directory holding the Debian package `prometheus`'s binaries,
# `prometheus` and `promtool`, unpacking them there on first use:
#   bash scripts/packaging/prometheus.sh   # → .run/packaging/prometheus/usr/bin
# `apt-get download prometheus` (after `apt-get update` when run as root and the
# package lists are empty), then `dpkg-deb -x` under
# ${EVENTLINE_PACKAGING_TOOLS:-.run/packaging}/prometheus/: nothing is installed
# system-wide and no service is started. scripts/packaging/check.sh takes
# promtool from here (when none is on PATH); test/operability/monitoring.int.test.ts
# runs this prometheus as a server of its own (own config, data dir and port).
# Messages go to stderr; the log of the download to <dir>/../prometheus.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="${EVENTLINE_PACKAGING_TOOLS:-$ROOT/.run/packaging}"
DIR="$TOOLS/prometheus"
BIN="$DIR/usr/bin"
LOG="$TOOLS/prometheus.log"

if [ -x "$BIN/prometheus" ] && [ -x "$BIN/promtool" ]; then
  printf '%s\n' "$BIN"
  exit 0
fi
fail() {
  printf 'scripts/packaging/prometheus.sh: %s\n' "$*" >&2
  exit 1
}
command -v apt-get >/dev/null 2>&1 || fail "no apt-get to fetch the Debian package prometheus"
mkdir -p "$TOOLS"
# One fetch at a time (check.sh and a test may ask together); the second finds it done.
exec 9>"$TOOLS/prometheus.lock"
flock 9
if [ ! -x "$BIN/prometheus" ] || [ ! -x "$BIN/promtool" ]; then
  printf 'fetching prometheus and promtool from the Debian package prometheus (log: %s)\n' "$LOG" >&2
  staging="$TOOLS/prometheus.partial"
  rm -rf "$staging" && mkdir -p "$staging/deb"
  fetch() { (cd "$staging/deb" && apt-get download prometheus); }
  {
    fetch || { [ "$(id -u)" -eq 0 ] && apt-get update -qq && fetch; }
  } >"$LOG" 2>&1 || fail "apt-get download prometheus failed; see $LOG"
  dpkg-deb -x "$staging"/deb/prometheus_*.deb "$staging" >>"$LOG" 2>&1 ||
    fail "unpacking the prometheus package failed; see $LOG"
  rm -rf "$staging/deb" "$DIR"
  mv "$staging" "$DIR"
fi
"$BIN/prometheus" --version >/dev/null 2>&1 || fail "$BIN/prometheus does not run"
"$BIN/promtool" --version >/dev/null 2>&1 || fail "$BIN/promtool does not run"
printf '%s\n' "$BIN"
