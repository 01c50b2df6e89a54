#!/usr/bin/env bash
# docker-entrypoint-initdb.d hook of the postgres image (docker-compose.yml):
# the same databases and roles as the local stack, from provision.sql.
set -euo pipefail
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres \
  -v admin_pw="${EVENTLINE_ADMIN_PASSWORD:?}" -v app_pw="${EVENTLINE_APP_PASSWORD:?}" \
  -v relay_pw="${EVENTLINE_RELAY_PASSWORD:?}" -v projector_pw="${EVENTLINE_PROJECTOR_PASSWORD:?}" \
  -f /eventline/provision.sql
