#!/usr/bin/env bash
# Installs what the example consumers of examples/consumers/ need, under .run/downstream/:
#   python: a venv with examples/consumers/python/requirements.txt (kept while that file is unchanged)
#   go:     the Go consumer built with `go build` (Go's own caches make a rebuild take a second)
# Usage: install.sh [python|go]...   (both when none is named). Prints what it did and how long it took.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT="$ROOT/.run/downstream"
mkdir -p "$OUT"

python_env() {
  local started=$SECONDS venv="$OUT/python" requirements="$ROOT/examples/consumers/python/requirements.txt"
  local wanted
  wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" = "$wanted" ]; then
    echo "python: $venv up to date"
    return
  fi
  local python
  python=$(command -v python3) || {
    echo "python: no python3 on PATH; the Python consumer needs Python 3.10 or newer with venv" >&2
    return 1
  }
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements"
  echo "$wanted" >"$venv/.requirements.sha256"
  echo "python: $venv made with $("$venv/bin/python" --version) in $((SECONDS - started))s"
}

go_build() {
  local started=$SECONDS
  command -v go >/dev/null || {
    echo "go: no go on PATH; the Go consumer needs Go $(sed -n 's/^go //p' examples/consumers/go/go.mod) or newer" >&2
    return 1
  }
  (cd examples/consumers/go && go build -trimpath -o "$OUT/go-consumer" .)
  echo "go: $OUT/go-consumer built with $(go env GOVERSION) in $((SECONDS - started))s"
}

targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(python go)
for target in "${targets[@]}"; do
  case "$target" in
  python) python_env ;;
  go) go_build ;;
  *)
    echo "usage: install.sh [python|go]..." >&2
    exit 2
    ;;
  esac
done
