#!/usr/bin/env bash
# Sourced by the packaging scripts: picks the container engine and sets it up.
#   source scripts/packaging/engine.sh; engine build ...
# Docker where an engine answers (`docker info`), podman otherwise. This
# project's machines have the docker CLI but no daemon, so podman is the usual
# one: it is installed from Debian's packages when missing, and runs with the
# project's own containers.conf (.run/containers/containers.conf, through
# CONTAINERS_CONF), because its defaults fail here: crun refuses hybrid
# cgroups (runc works), there is no systemd (cgroupfs), and without
# CAP_SYS_RESOURCE its default ulimits (nofile 1048576) cannot be set.
# EVENTLINE_ENGINE=docker|podman forces one. EVENTLINE_PODMAN_ROOT=<dir> gives
# podman its own storage there (images, containers, secrets), as CI does so a
# run proves everything from nothing and leaves the machine's store alone.
# Needs ROOT (the repository) set by the caller.

engine_die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

engine_choose() {
  case "${EVENTLINE_ENGINE:-}" in
    docker | podman) ENGINE="$EVENTLINE_ENGINE" ;;
    "")
      if command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; then
        ENGINE=docker
      else
        ENGINE=podman
      fi
      ;;
    *) engine_die "EVENTLINE_ENGINE is '$EVENTLINE_ENGINE'; want docker or podman" ;;
  esac
}

# The packages that make podman 4.3 work here (runc and cgroupfs as above; catatonit
# is the pause process of `podman kube play` pods; netavark/aardvark-dns the
# networks; debootstrap makes the base image, base-image.sh).
PODMAN_PACKAGES=(podman runc catatonit debootstrap fuse-overlayfs netavark aardvark-dns iptables)

podman_install() {
  local missing=() package
  for package in "${PODMAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || engine_die "podman needs these Debian packages, and installing them needs root: ${missing[*]}"
  printf 'installing %s (apt-get)\n' "${missing[*]}" >&2
  local log="$ROOT/.run/containers/apt.log"
  mkdir -p "$ROOT/.run/containers"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >"$log" 2>&1 || engine_die "apt-get install ${missing[*]} failed; see $log"
}

# A limit podman may set: the hard limit we have, capped at what a service needs.
limit_at_most() {
  local hard="$1" cap="$2"
  if [ "$hard" = unlimited ] || [ "$hard" -gt "$cap" ]; then echo "$cap"; else echo "$hard"; fi
}

podman_configure() {
  local dir="$ROOT/.run/containers"
  mkdir -p "$dir"
  local nofile nproc
  nofile="$(limit_at_most "$(ulimit -Hn)" 65536)"
  nproc="$(limit_at_most "$(ulimit -Hu)" 4096)"
  # netavark rather than CNI: Debian's podman falls back to CNI when a CNI config
  # is lying around, and CNI's plugins are not installed.
  cat >"$dir/containers.conf.new" <<CONF
# Written by scripts/packaging/engine.sh; used through CONTAINERS_CONF.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
CONF
  mv "$dir/containers.conf.new" "$dir/containers.conf"
  export CONTAINERS_CONF="$dir/containers.conf"
  if [ -n "${EVENTLINE_PODMAN_ROOT:-}" ]; then
    mkdir -p "$EVENTLINE_PODMAN_ROOT/graph" "$EVENTLINE_PODMAN_ROOT/run"
    cat >"$dir/storage.conf" <<CONF
# Written by scripts/packaging/engine.sh (EVENTLINE_PODMAN_ROOT); used through CONTAINERS_STORAGE_CONF.
[storage]
driver = "overlay"
graphroot = "$EVENTLINE_PODMAN_ROOT/graph"
runroot = "$EVENTLINE_PODMAN_ROOT/run"
CONF
    export CONTAINERS_STORAGE_CONF="$dir/storage.conf"
  fi
}

engine_setup() {
  engine_choose
  if [ "$ENGINE" = podman ]; then
    podman_install
    podman_configure
  fi
}

engine() { "$ENGINE" "$@"; }

engine_image_exists() {
  if [ "$ENGINE" = podman ]; then podman image exists "$1"; else docker image inspect "$1" >/dev/null 2>&1; fi
}

engine_setup
