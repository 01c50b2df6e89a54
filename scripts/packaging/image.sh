#!/usr/bin/env bash
# `make image`: builds the repository's Dockerfile, as it is, into eventline:<version>
# (package.json's) and eventline:local (docker-compose.yml's name), then proves
# the image runs read-only as uid 10001 and prints its size.
#   bash scripts/packaging/image.sh
# Docker where an engine answers, podman otherwise (scripts/packaging/engine.sh);
# the base image comes first (scripts/packaging/base-image.sh: present, pulled,
# or made here under the Dockerfile's name). With podman: `podman build
# --pull=never`, so the local base is used as the Dockerfile names it.
# The OCI labels' arguments come from package.json (version, license,
# repository) and git (HEAD); EVENTLINE_IMAGE_SOURCE sets the source URL when
# package.json names no repository. EVENTLINE_IMAGE=<name> changes the name;
# EVENTLINE_IMAGE_CONTEXT=<dir> builds another checkout (e.g. a clean worktree).
# Layers are cached by the engine: a second build with nothing changed takes seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/packaging/engine.sh
source scripts/packaging/engine.sh

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
say() { printf '%s\n' "$*"; }
started=$SECONDS

CONTEXT="$(cd "${EVENTLINE_IMAGE_CONTEXT:-$ROOT}" && pwd)"
NAME="${EVENTLINE_IMAGE:-eventline}"
[ -f "$CONTEXT/Dockerfile" ] || die "no Dockerfile in $CONTEXT"

package_field() {
  node -e '
    const p = require(process.argv[1]);
    const value = process.argv[2].split(".").reduce((o, k) => (o == null ? undefined : o[k]), p);
    process.stdout.write(value == null ? "" : String(value));
  ' "$CONTEXT/package.json" "$1"
}
VERSION="$(package_field version)"
[ -n "$VERSION" ] || die "package.json has no version"
LICENSES="$(package_field license)"
SOURCE="${EVENTLINE_IMAGE_SOURCE:-$(package_field repository.url)}"
[ -n "$SOURCE" ] || SOURCE="$(package_field repository)"
if [ -z "$SOURCE" ]; then
  SOURCE="$(git -C "$CONTEXT" remote get-url origin 2>/dev/null || true)"
fi
REVISION="$(git -C "$CONTEXT" rev-parse HEAD 2>/dev/null || echo unknown)"
# The label names a commit; say so when what is built differs from it.
if [ -n "$(git -C "$CONTEXT" status --porcelain -- Dockerfile .dockerignore package.json package-lock.json \
  tsconfig.json tsconfig.build.json services schemas topology scripts/packaging/healthcheck.mjs 2>/dev/null)" ]; then
  say "note: uncommitted changes in the build's inputs; the revision label says $REVISION, which is not quite what is built"
fi

bash "$ROOT/scripts/packaging/base-image.sh"

say "building $NAME:$VERSION with $ENGINE from $CONTEXT (revision $REVISION; log: .run/containers/build.log)"
t=$SECONDS
build_args=()
# docker format: the OCI one drops HEALTHCHECK, which compose and `podman healthcheck run` use.
[ "$ENGINE" = podman ] && build_args+=(--pull=never --format docker)
# A machine whose HTTPS is intercepted trusts the proxy's CA through
# NODE_EXTRA_CA_CERTS; npm ci inside the build needs it too (a build secret).
ca="${EVENTLINE_BUILD_CA_CERTS:-${NODE_EXTRA_CA_CERTS:-}}"
[ -n "$ca" ] && [ -f "$ca" ] && build_args+=(--secret "id=extra_ca_certs,src=$ca")
mkdir -p "$ROOT/.run/containers"
if ! "$ENGINE" build "${build_args[@]}" \
  --build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION" \
  --build-arg "SOURCE=$SOURCE" --build-arg "LICENSES=$LICENSES" \
  -t "$NAME:$VERSION" -t "$NAME:local" -f "$CONTEXT/Dockerfile" "$CONTEXT" >"$ROOT/.run/containers/build.log" 2>&1; then
  tail -n 25 "$ROOT/.run/containers/build.log" >&2
  die "$ENGINE build failed; the whole log is .run/containers/build.log"
fi
say "built in $((SECONDS - t))s"

# The image as the chart runs it: read-only root filesystem, as its own user.
image="$NAME:$VERSION"
# No healthcheck: a one-shot needs none, and podman without systemd logs errors setting one up.
run() { "$ENGINE" run --rm --read-only --network none --no-healthcheck "$@"; }
uid="$(run --entrypoint id "$image" -u)"
[ "$uid" = 10001 ] || die "the image runs as uid $uid; want 10001"
# The CLI's --help loads every module the services share and prints its usage
# with exit 0: the compiled code and its production dependencies resolve.
set +e
usage="$(run "$image" dist/services/cli/main.js --help 2>&1)"
status=$?
set -e
if [ "$status" -ne 0 ] || [[ "$usage" != usage:* ]]; then
  die "the CLI in the image did not start (exit $status): $(head -n 3 <<<"$usage")"
fi
run --entrypoint sh "$image" -c '! touch /app/probe 2>/dev/null && ! command -v npm >/dev/null && test -w /tmp' ||
  die "the image is not as the chart runs it: /app writable, npm present, or no writable /tmp"
node_version="$(run "$image" -p 'process.versions.node')"
# patches/ applied by the build's npm ci (patch-package) and kept by the prune.
run --entrypoint grep "$image" -q 'Patched by Eventline' \
  /app/node_modules/kafkajs/src/protocol/recordBatch/record/v0/decoder.js ||
  die "the image's kafkajs is not patched (patches/kafkajs+2.2.4.patch): the build's npm ci did not apply it"
say "checked: runs as uid $uid on a read-only root filesystem (/app not writable, /tmp is), Node $node_version, no npm, the CLI loads, kafkajs patched"

size_bytes="$("$ENGINE" image inspect --format '{{.Size}}' "$image")"
say "image $image (also $NAME:local): $(awk -v b="$size_bytes" 'BEGIN { printf "%.0f MB", b / 1000000 }') ($size_bytes bytes), made in $((SECONDS - started))s"
