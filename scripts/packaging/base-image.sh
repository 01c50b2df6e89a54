#!/usr/bin/env bash
# Makes sure the Dockerfile's base image (`FROM node:<.nvmrc>-bookworm-slim`) is
# there, so `make image` builds the Dockerfile as it is:
#   bash scripts/packaging/base-image.sh
# 1. present in the engine's store (pulled before, or made here before): done;
# 2. else pulled, where a registry serves it;
# 3. else made here under the same name, as the official image lays it out:
#    `debootstrap --variant=minbase bookworm` from the mirror apt's own sources
#    name, slimmed as Debian's -slim images are (no docs, man pages or
#    locales); the official Node binary from the npm registry (package
#    node-linux-<arch>) at /usr/local/bin/node with its headers and man page;
#    npm (the `npm` package, the version that Node release bundles) at
#    /usr/local/lib/node_modules/npm with /usr/local/bin/npm and npx links; the
#    `node` user (uid 1000); PATH, NODE_VERSION and CMD ["node"] set on import.
#    Not there: yarn and corepack (the project uses neither; the Dockerfile's
#    runtime stage deletes them anyway).
# The debootstrap tree (~90 s to make) is kept as a tarball under
# .run/packaging/base/, so the image is made again in seconds when the engine's
# store lost it; the image carries a label naming its inputs, and is made again
# when they change (this script, the Node or npm version, the mirror).
# EVENTLINE_BASE_IMAGE=local skips the pull; =pull refuses to make one.
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

# The checkout whose Dockerfile is built (image.sh's EVENTLINE_IMAGE_CONTEXT).
CONTEXT="${EVENTLINE_IMAGE_CONTEXT:-$ROOT}"
NODE_VERSION="$(tr -d ' \n\r' <"$CONTEXT/.nvmrc")"
SUITE=bookworm
BASE="$(awk 'toupper($1) == "FROM" { print $2; exit }' "$CONTEXT/Dockerfile")"
[ "$BASE" = "node:$NODE_VERSION-$SUITE-slim" ] ||
  die "the Dockerfile's first FROM is '$BASE'; want node:$NODE_VERSION-$SUITE-slim (.nvmrc says $NODE_VERSION)"
# The fully qualified name Docker gives the short one, so both engines find it.
QUALIFIED="docker.io/library/$BASE"
MODE="${EVENTLINE_BASE_IMAGE:-auto}"
started=$SECONDS

case "$(uname -m)" in
  x86_64) node_arch=x64 deb_arch=amd64 ;;
  aarch64 | arm64) node_arch=arm64 deb_arch=arm64 ;;
  *) die "no node-linux package for $(uname -m)" ;;
esac

# The mirrors apt's own sources name for bookworm and bookworm-security.
mirror_for() {
  # shellcheck disable=SC2016 # apt's own $(FIELD) placeholders
  apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 'Identifier: Packages' 2>/dev/null |
    awk -v suite="$1" '$1 == suite { print $2; exit }'
}
MIRROR="$(mirror_for "$SUITE")"
SECURITY_MIRROR="$(mirror_for "$SUITE-security")"
[ "$MODE" = pull ] || [ -n "$MIRROR" ] || die "apt's sources name no mirror for $SUITE (apt-get indextargets); cannot debootstrap"

SCRIPT_HASH="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)"
WORK="$ROOT/.run/packaging/base"

label_of() {
  "$ENGINE" image inspect --format '{{ index .Config.Labels "dev.eventline.base-inputs" }}' "$1" 2>/dev/null || true
}

# ---- the npm that this Node release bundles --------------------------------
# node-linux-<arch> ships node alone; its CHANGELOG's newest "upgrade npm to X"
# at or below this release's heading is the npm the official tarball carries.
node_dir="$ROOT/.run/toolchain/node-$NODE_VERSION"
node_pkg="$node_dir/node_modules/node-linux-$node_arch"
fetch_node() {
  [ -x "$node_pkg/bin/node" ] && return 0
  command -v npm >/dev/null 2>&1 || die "npm is needed to fetch node-linux-$node_arch@$NODE_VERSION"
  mkdir -p "$node_dir"
  npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$node_dir" \
    "node-linux-$node_arch@$NODE_VERSION" >"$node_dir/install.log" 2>&1 ||
    die "npm install node-linux-$node_arch@$NODE_VERSION failed; see $node_dir/install.log"
}

bundled_npm() {
  awk -v anchor="<a id=\"$NODE_VERSION\"></a>" '
    index($0, anchor) { found = 1 }
    found && match($0, /upgrade npm to [0-9]+\.[0-9]+\.[0-9]+/) { print substr($0, RSTART + 15, RLENGTH - 15); exit }
  ' "$node_pkg/CHANGELOG.md"
}

# ---- 1 and 2: present, or pulled -------------------------------------------
if [ "$MODE" != local ] || engine_image_exists "$QUALIFIED"; then
  if engine_image_exists "$QUALIFIED"; then
    inputs="$(label_of "$QUALIFIED")"
    if [ -z "$inputs" ]; then
      say "base image $BASE: present (not made here)"
      exit 0
    fi
    # One made here: still current?
    fetch_node
    npm_version="$(bundled_npm)"
    if [ "$inputs" = "node=$NODE_VERSION npm=$npm_version mirror=$MIRROR script=$SCRIPT_HASH" ]; then
      say "base image $BASE: present (made here: $inputs)"
      exit 0
    fi
    say "base image $BASE: made here from other inputs ($inputs); making it again"
  elif [ "$MODE" != local ]; then
    if timeout 600 "$ENGINE" pull "$QUALIFIED" >"$ROOT/.run/containers/pull.log" 2>&1; then
      say "base image $BASE: pulled in $((SECONDS - started))s"
      exit 0
    fi
    [ "$MODE" = pull ] && die "pulling $QUALIFIED failed: $(tail -n1 "$ROOT/.run/containers/pull.log")"
    say "base image $BASE: no registry serves it (pull: $(tail -n1 "$ROOT/.run/containers/pull.log" | sed 's/.*: //' | cut -c1-80)); making it here"
  fi
fi

# ---- 3. made here ------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || die "making the base image needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed"
fetch_node
npm_version="$(bundled_npm)"
[ -n "$npm_version" ] || die "no 'upgrade npm to' line for $NODE_VERSION in $node_pkg/CHANGELOG.md: cannot tell which npm it bundles"
inputs="node=$NODE_VERSION npm=$npm_version mirror=$MIRROR script=$SCRIPT_HASH"
mkdir -p "$WORK"

# The debootstrap tree, made once per mirror and kept as a tarball.
minbase="$WORK/$SUITE-minbase-$deb_arch-$(printf '%s' "$MIRROR" | sha256sum | cut -c1-8).tar"
if [ ! -f "$minbase" ]; then
  say "debootstrap --variant=minbase $SUITE from $MIRROR (about 90 s; log: $WORK/debootstrap.log)"
  t=$SECONDS
  rm -rf "$WORK/debootstrap"
  debootstrap --variant=minbase --arch="$deb_arch" "$SUITE" "$WORK/debootstrap" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $WORK/debootstrap.log"
  tar -C "$WORK/debootstrap" --numeric-owner -cf "$minbase.tmp" .
  mv "$minbase.tmp" "$minbase"
  rm -rf "$WORK/debootstrap"
  say "debootstrap done in $((SECONDS - t))s"
fi

rootfs="$WORK/rootfs"
rm -rf "$rootfs"
mkdir -p "$rootfs"
tar -C "$rootfs" --numeric-owner -xf "$minbase"

# Slim it as Debian's -slim images are, and keep later apt-get installs slim.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/var/log/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/lintian \
  "$rootfs"/usr/share/linda
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'CONF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CONF
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CONF
printf 'Acquire::Languages "none";\n' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
# The sources the official debian image has: the suite, its updates, its security fixes.
rm -f "$rootfs/etc/apt/sources.list"
{
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$MIRROR" "$SUITE" "$SUITE"
  if [ -n "$SECURITY_MIRROR" ]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$SECURITY_MIRROR" "$SUITE"
  fi
} >"$rootfs/etc/apt/sources.list.d/debian.sources"
: >"$rootfs/etc/resolv.conf"
rm -f "$rootfs/etc/hostname"

# Node, where the official tarball puts it.
install -D -m 0755 "$node_pkg/bin/node" "$rootfs/usr/local/bin/node"
ln -s node "$rootfs/usr/local/bin/nodejs"
mkdir -p "$rootfs/usr/local/include" "$rootfs/usr/local/share"
cp -r "$node_pkg/include/node" "$rootfs/usr/local/include/"
cp -r "$node_pkg/share/." "$rootfs/usr/local/share/"
[ "$("$rootfs/usr/local/bin/node" -p 'process.versions.node')" = "$NODE_VERSION" ] ||
  die "$node_pkg/bin/node is not Node.js $NODE_VERSION"

# npm, as the tarball has it (its package bundles its own dependencies).
npm_cache="$WORK/npm-$npm_version.tgz"
if [ ! -f "$npm_cache" ]; then
  (cd "$WORK" && npm pack --silent "npm@$npm_version" >/dev/null 2>"$WORK/npm-pack.log") ||
    die "npm pack npm@$npm_version failed; see $WORK/npm-pack.log"
  mv "$WORK/npm-$npm_version.tgz" "$npm_cache" 2>/dev/null || true
fi
mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
tar -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner -xzf "$npm_cache"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
[ "$(chroot "$rootfs" /usr/local/bin/npm --version)" = "$npm_version" ] || die "npm $npm_version does not run in the new tree"

chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

"$ENGINE" rmi "$QUALIFIED" >/dev/null 2>&1 || true
tar -C "$rootfs" --numeric-owner -c . | "$ENGINE" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change 'CMD ["node"]' \
  --change "LABEL dev.eventline.base-inputs=\"$inputs\"" \
  - "$QUALIFIED" >"$WORK/import.log" 2>&1 || die "$ENGINE import of the base tree failed; see $WORK/import.log"
rm -rf "$rootfs"
say "base image $BASE: made here in $((SECONDS - started))s (Node $NODE_VERSION, npm $npm_version, Debian $SUITE minbase from $MIRROR)"
