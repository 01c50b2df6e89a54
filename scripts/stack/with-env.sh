#!/usr/bin/env bash
# Runs a command with the local stack's endpoints and credentials (.run/stack.env)
# in its environment; variables already set in the caller's environment win.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ -f "$STACK_ENV" ] || die "no $STACK_ENV: run make up first"
while IFS='=' read -r key value; do
  [ -n "$key" ] && [ -z "${!key:-}" ] && export "$key=$value"
done <"$STACK_ENV"
exec "$@"
