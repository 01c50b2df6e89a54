# The commands of README "Quick start" and CONTRACTS §1. Each target is a thin
# wrapper over scripts/, so CI, developers and the tests run the same thing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Every target runs on the Node.js of .nvmrc, installed under .run/toolchain/ from
# the npm registry when the machine's own node is another major.
NODE_BIN := $(shell bash scripts/toolchain/node.sh)
ifeq ($(NODE_BIN),)
$(error no Node.js $(shell cat .nvmrc): scripts/toolchain/node.sh failed, see its message above)
endif
export PATH := $(NODE_BIN):$(PATH)

.PHONY: help up down status logs test test-unit test-int lint format build bench chaos soak asyncapi

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

up: build ## install what is missing, start the infrastructure, migrate, start the services; returns once all are healthy
	@bash scripts/stack/stack.sh up
	@bash scripts/stack/with-env.sh node dist/services/cli/main.js migrate
	@bash scripts/stack/with-env.sh node dist/services/cli/main.js topology apply
	@bash scripts/stack/with-env.sh node dist/services/cli/main.js schemas register
	@bash scripts/stack/services.sh up

down: ## stop exactly what `make up` started
	@bash scripts/stack/services.sh down
	@bash scripts/stack/stack.sh down

status: ## each component, its address and health
	@bash scripts/stack/stack.sh status
	@bash scripts/stack/services.sh status

logs: ## follow the logs of everything `make up` started
	@bash scripts/stack/stack.sh logs

test: build ## the whole suite against real components (services run as built in dist/)
	@node scripts/test/run.mjs

test-unit: node_modules/.package-lock.json ## unit tests only (nothing needs to run)
	@node scripts/test/run.mjs --selectProjects unit

test-int: build ## integration tests only
	@node scripts/test/run.mjs --selectProjects integration

lint: node_modules/.package-lock.json ## eslint, prettier and the TypeScript compiler (no emit)
	@npx eslint --max-warnings 0 .
	@npx prettier --check --log-level warn .
	@npx tsc -p tsconfig.json --noEmit

format: node_modules/.package-lock.json ## apply prettier's formatting and eslint's safe fixes
	@npx prettier --write --log-level warn .
	@npx eslint --fix .

build: dist/.built ## compile to dist/ (only when a source changed)

asyncapi: build ## write docs/asyncapi.yaml, the AsyncAPI document of the topics (no topic prefix), from topology/ and schemas/
	@KAFKA_TOPIC_PREFIX= node dist/services/cli/main.js asyncapi > docs/asyncapi.yaml.tmp
	@mv docs/asyncapi.yaml.tmp docs/asyncapi.yaml

dist/.built: node_modules/.package-lock.json tsconfig.json tsconfig.build.json $(shell find services bench -name '*.ts' -not -name '*.test.ts' 2>/dev/null)
	@npx tsc -p tsconfig.build.json
	@touch $@

QUICK ?= 0
SCENARIOS ?=
PROFILE ?= 0
bench: node_modules/.package-lock.json ## the benchmarks: a table, and JSON under bench/results/ (QUICK=1: smoke run; SCENARIOS="gateway relay": only those; PROFILE=1: services under --cpu-prof, PROFILE=perf: the machine under perf record, see docs/profiles.md)
	@bash scripts/stack/stack.sh up
	@npx tsc -p tsconfig.build.json
	@QUICK=$(QUICK) $(if $(filter 1,$(PROFILE)),BENCH_CPU_PROF=$(CURDIR)/bench/profiles) $(if $(filter perf,$(PROFILE)),bash scripts/bench/perf-record.sh) node dist/bench/run.js $(SCENARIOS)

# Faults with figures (docs/reliability.md): every scenario runs infrastructure of its own where it
# stops a component, beside the shared stack (which must be up); SHORT=1 is CI's short form.
SHORT ?= 0
chaos: build ## the fault scenarios: a table, and JSON under bench/results/chaos/ (SCENARIOS="pgbouncer broker-outage": only those; SHORT=1: CI's short form)
	@bash scripts/stack/stack.sh up
	@CHAOS_SHORT=$(SHORT) node dist/bench/chaos/run.js $(SCENARIOS)

soak: build ## 30 minutes at 300 commands/s with queries: RSS slope and p99 drift judged (SOAK_MINUTES, SOAK_RATE)
	@bash scripts/stack/stack.sh up
	@node dist/bench/chaos/run.js soak

# Containers (docker where an engine answers, podman otherwise; scripts/packaging/).
.PHONY: image pods compose backup
image: ## build the Dockerfile into eventline:<version>, check it runs read-only as uid 10001, print its size
	@bash scripts/packaging/image.sh
pods: ## run the chart's Deployments and migration Job as pods (podman kube play) against `make up`'s stack, end to end
	@bash scripts/packaging/pods.sh
compose: ## run docker-compose.yml's own services (podman-compose) against `make up`'s stack, end to end
	@bash scripts/packaging/compose.sh

backup: ## a pgBackRest backup (TYPE=full, default, or incr) of the archiving cluster of scripts/backup/ (started if not running); docs/recovery.md
	@bash scripts/backup/backup.sh up >/dev/null
	@bash scripts/backup/backup.sh $(or $(TYPE),full)
