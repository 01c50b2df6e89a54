#!/usr/bin/env bash
# Prints the bin directory of the Node.js the project runs on, installing it
# first when needed. The version is .nvmrc's. A `node` on PATH of that major
# is used as it is; otherwise the official binary is installed from the npm
# registry (package node-linux-<arch>) under .run/toolchain/, so a machine
# whose own node is older still runs everything on the pinned one.
set -euo pipefail
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION="$(tr -d ' \n\r' <"$ROOT_DIR/.nvmrc")"
MAJOR="${VERSION%%.*}"

if current="$(node -p 'process.versions.node' 2>/dev/null)" && [ "${current%%.*}" = "$MAJOR" ]; then
  dirname "$(command -v node)"
  exit 0
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) printf 'error: no Node.js %s package for %s; install Node.js %s yourself\n' "$VERSION" "$(uname -m)" "$MAJOR" >&2; exit 1 ;;
esac
dir="$ROOT_DIR/.run/toolchain/node-$VERSION"
bin="$dir/node_modules/node-linux-$arch/bin"
if [ ! -x "$bin/node" ]; then
  command -v npm >/dev/null 2>&1 || { echo "error: npm is needed to install Node.js $VERSION" >&2; exit 1; }
  printf 'installing Node.js %s from the npm registry (node-linux-%s) under %s\n' "$VERSION" "$arch" "$dir" >&2
  mkdir -p "$dir"
  log="$dir/install.log"
  npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$dir" "node-linux-$arch@$VERSION" >"$log" 2>&1 ||
    { printf 'error: installing node-linux-%s@%s failed; see %s\n' "$arch" "$VERSION" "$log" >&2; exit 1; }
  [ "$("$bin/node" -p 'process.versions.node')" = "$VERSION" ] ||
    { printf 'error: %s/node is not Node.js %s\n' "$bin" "$VERSION" >&2; exit 1; }
fi
printf '%s\n' "$bin"
