#!/usr/bin/env bash
# Debian's chromium, which the admin console's browser tests drive with playwright-core
# (test/console/): Playwright's own browser download is not reachable from these machines.
# Prints the browser's path. When it is missing, installs the Debian package (as root, with
# apt-get, no prompt, so CI=true without stdin works); otherwise exits 1 with one line on
# stderr saying why, which the tests turn into their skip message.
set -euo pipefail

find_browser() {
  for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

find_browser && exit 0
command -v apt-get >/dev/null 2>&1 || { echo "chromium is missing and there is no apt-get to install it" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "chromium is missing and installing it needs root: apt-get install chromium" >&2; exit 1; }
log="${TMPDIR:-/tmp}/eventline-chromium-install.log"
echo "installing chromium (apt-get; log in $log)" >&2
{
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }
} >"$log" 2>&1 </dev/null || { echo "apt-get install chromium failed; see $log" >&2; exit 1; }
find_browser || { echo "chromium was installed but no chromium executable was found" >&2; exit 1; }
