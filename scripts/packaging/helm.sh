#!/usr/bin/env bash
# Prints the path of the pinned helm, building it first when it is missing:
#   HELM="$(bash scripts/packaging/helm.sh)"
# The version and place are scripts/packaging/check.sh's (HELM_VERSION, under
# EVENTLINE_PACKAGING_TOOLS, by default .run/packaging/), so CI builds it once:
# `go install` from the Go module proxy, the only source of helm reachable here
# (about 3 minutes on 2 cores; seconds with Go's build cache).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HELM_VERSION="$(sed -n 's/^HELM_VERSION=//p' "$ROOT/scripts/packaging/check.sh" | head -n1)"
[ -n "$HELM_VERSION" ] || { echo "error: no HELM_VERSION= line in scripts/packaging/check.sh" >&2; exit 1; }
TOOLS="${EVENTLINE_PACKAGING_TOOLS:-$ROOT/.run/packaging}"
HELM_DIR="$TOOLS/helm-$HELM_VERSION"
if [ ! -x "$HELM_DIR/helm" ]; then
  command -v go >/dev/null 2>&1 || { echo "error: go is not installed: it builds helm (go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION)" >&2; exit 1; }
  mkdir -p "$TOOLS"
  echo "building helm $HELM_VERSION with go install (log: $TOOLS/helm-build.log)" >&2
  # The flags of check.sh's build: the same binary whichever script builds it.
  (cd "$TOOLS" && GOBIN="$HELM_DIR" GOTOOLCHAIN=local CGO_ENABLED=0 go install -trimpath -gcflags='all=-N -l' \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION
      -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37
      -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION") >"$TOOLS/helm-build.log" 2>&1 ||
    { echo "error: go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION failed; see $TOOLS/helm-build.log" >&2; exit 1; }
fi
printf '%s\n' "$HELM_DIR/helm"
