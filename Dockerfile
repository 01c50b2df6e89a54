# One image for every Eventline deployable; its command picks which one runs:
#   docker run IMAGE                                          the gateway (the default; with
#     -e NODE_OPTIONS='--enable-source-maps --max-semi-space-size=8', as compose and the chart run it)
#   docker run IMAGE dist/services/relay/main.js              the outbox relay (with
#     -e NODE_OPTIONS='--enable-source-maps --max-semi-space-size=2', as compose and the chart run it)
#   docker run IMAGE dist/services/projector/main.js          the projector (with
#     -e NODE_OPTIONS='--enable-source-maps --max-semi-space-size=8', as compose and the chart run it)
#   docker run IMAGE dist/services/cli/main.js migrate        the `eventline` CLI
#   docker run IMAGE dist/services/cli/main.js backup exporter  the backup exporter (port 9103)
#   docker run --entrypoint pgbackrest IMAGE ...              pgBackRest, as the chart's backup CronJobs run it
# The entrypoint is `tini -- node`: tini is PID 1 (it reaps zombies and passes
# SIGTERM on, so each service's graceful shutdown runs), node runs the command.
# Checked in CI by scripts/packaging/check.sh (hadolint and test/packaging/dockerfile_check.py),
# built and run there by `make image` and `make pods` (scripts/packaging/image.sh, pods.sh).
# The base is Node.js of .nvmrc; where no registry serves it, scripts/packaging/base-image.sh
# makes a local one under the same name, so this file builds unchanged with podman too.

# ---- build: compile TypeScript, then keep the production dependencies only ----
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# npm ci's postinstall applies patches/ to node_modules (patch-package, a devDependency:
# the prune below keeps the patched files and drops the tool).
COPY patches ./patches
# The npm cache survives between builds (BuildKit and podman), so a changed lock
# downloads only what changed. Where HTTPS goes through an intercepting proxy, its
# CA bundle comes in as a build secret (`--secret id=extra_ca_certs,src=<file>`,
# as `make image` passes NODE_EXTRA_CA_CERTS): trusted by this step only, kept in no layer.
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=extra_ca_certs \
  if [ -f /run/secrets/extra_ca_certs ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca_certs; fi \
  && npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY services ./services
COPY schemas ./schemas
COPY topology ./topology
# The code finds schemas/, topology/, the migrations' .sql files and the admin
# console's script and stylesheet from the project root (the directory holding
# package.json and schemas/), so /out keeps that layout: package.json,
# node_modules/, dist/, schemas/, topology/, services/*/migrations/*.sql and
# services/gateway/console/assets/ (none of them is compiled into dist/).
RUN npx tsc -p tsconfig.build.json \
  && npm prune --omit=dev --no-audit --no-fund \
  && mkdir -p /out \
  && cp -r package.json package-lock.json node_modules dist schemas topology /out/ \
  && find services -path '*/migrations/*.sql' -exec cp --parents {} /out/ \; \
  && cp -r --parents services/gateway/console/assets /out/

# ---- runtime: node, tini, pgBackRest, the compiled code; no compiler, no package managers ----
FROM node:24.22.3-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 pgbackrest=2.45-1 \
  && rm -rf /var/lib/apt/lists/* \
  && rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx \
    /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
  && groupadd --system --gid 10001 eventline \
  && useradd --system --uid 10001 --gid eventline --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin eventline

# HOST=0.0.0.0: inside a container the services listen on every interface.
# MALLOC_ARENA_MAX=2: glibc's malloc keeps two arenas instead of one per thread
# (libuv's pool, V8's helpers): 3-17 MiB less resident per service
# (docs/performance.md, "two malloc arenas per service").
ENV NODE_ENV=production \
  NODE_OPTIONS=--enable-source-maps \
  MALLOC_ARENA_MAX=2 \
  HOST=0.0.0.0 \
  PORT=3000 \
  RELAY_PORT=9101 \
  PROJECTOR_PORT=9102

WORKDIR /app
# Owned by root and read-only to the service user: the process writes nothing under /app.
COPY --from=build /out /app
COPY scripts/packaging/healthcheck.mjs /app/scripts/packaging/healthcheck.mjs

USER 10001:10001
EXPOSE 3000 9101 9102 9103

# Probes /health of whichever service runs (gateway, relay or projector, by the
# command of PID 1 and its port variable); a CLI one-shot counts as healthy.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/app/scripts/packaging/healthcheck.mjs"]

ENTRYPOINT ["tini", "--", "node"]
CMD ["dist/services/gateway/main.js"]

# OCI annotations; `make image` fills the arguments from package.json and git. Last, so a
# new revision rebuilds nothing but this step.
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=""
ARG LICENSES=Apache-2.0
LABEL org.opencontainers.image.title="eventline" \
  org.opencontainers.image.description="Eventline: the gateway, outbox relay, projector and CLI of an event-sourcing backbone on PostgreSQL and Apache Kafka" \
  org.opencontainers.image.version="${VERSION}" \
  org.opencontainers.image.revision="${REVISION}" \
  org.opencontainers.image.source="${SOURCE}" \
  org.opencontainers.image.licenses="${LICENSES}"
