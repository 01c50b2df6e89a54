{{/* Checks across values that values.schema.json cannot express; each fails with one line naming the values. */}}
{{- define "eventline.validate" -}}
{{- /*
Kubernetes >= 1.28 (topologySpreadConstraints' matchLabelKeys, the schemas CI validates against). Checked here
rather than by Chart.yaml's kubeVersion: without a cluster and without --kube-version, helm assumes a version
compiled into it, v1.20.0 in a helm built by a plain `go install` (release builds set their client-go's), so
that exact version is taken to mean "not known" and lets `helm template` render; a cluster's own version, or
--kube-version, is checked.
*/}}
{{- $kube := .Capabilities.KubeVersion.Version }}
{{- if and (ne $kube "v1.20.0") (semverCompare "<1.28.0-0" $kube) }}
{{- fail (printf "Kubernetes %s is older than 1.28, the oldest this chart supports" $kube) }}
{{- end }}
{{- range $component := list "gateway" "projector" }}
{{- $autoscaling := (index $.Values $component).autoscaling }}
{{- if and $autoscaling.enabled (gt (int $autoscaling.minReplicas) (int $autoscaling.maxReplicas)) }}
{{- fail (printf "%s.autoscaling.minReplicas (%d) must not exceed %s.autoscaling.maxReplicas (%d)" $component (int $autoscaling.minReplicas) $component (int $autoscaling.maxReplicas)) }}
{{- end }}
{{- end }}
{{- range $component := list "gateway" "relay" "projector" }}
{{- $values := index $.Values $component }}
{{- if ge (int $values.preStopSleepSeconds) (int $values.terminationGracePeriodSeconds) }}
{{- fail (printf "%s.terminationGracePeriodSeconds (%d) must exceed %s.preStopSleepSeconds (%d)" $component (int $values.terminationGracePeriodSeconds) $component (int $values.preStopSleepSeconds)) }}
{{- end }}
{{- end }}
{{- if eq (int .Values.gateway.port) (int .Values.gateway.opsPort) }}
{{- fail (printf "gateway.port and gateway.opsPort must differ (both %d): /metrics must not be served on the API port" (int .Values.gateway.port)) }}
{{- end }}
{{- if and .Values.gateway.ingress.enabled (not .Values.gateway.ingress.hosts) }}
{{- fail "gateway.ingress.enabled needs at least one entry in gateway.ingress.hosts" }}
{{- end }}
{{- if and .Values.otel.enabled (not .Values.otel.endpoint) }}
{{- fail "otel.enabled needs otel.endpoint, the collector's OTLP/HTTP URL (e.g. http://otel-collector:4318)" }}
{{- end }}
{{- if and .Values.networkPolicy.enabled .Values.networkPolicy.restrictEgress (not .Values.networkPolicy.egress) }}
{{- fail "networkPolicy.restrictEgress needs networkPolicy.egress rules that reach PostgreSQL, Kafka, Redis and the schema registry" }}
{{- end }}
{{- include "eventline.validateConnections" . }}
{{- end }}

{{/*
The secured-connection values (README.md, "Secured connections"): what values.schema.json checks on its own
(enums, {name, key} references, what a SASL mechanism needs) is not repeated here; these are the rules
across values, and settings that would otherwise be ignored without a word.
*/}}
{{- define "eventline.validateConnections" -}}
{{- $pg := .Values.postgresql }}
{{- $k := .Values.kafka }}
{{- $registry := .Values.schemaRegistry }}
{{- $redis := .Values.redis }}
{{- if and $pg.tls.sslmode .Values.existingSecret }}
{{- fail (printf "postgresql.tls.sslmode (%s) is not used with existingSecret: write sslmode (and sslrootcert=/etc/eventline/secrets/postgresql-ca/ca.crt) in the Secret's URLs" $pg.tls.sslmode) }}
{{- end }}
{{- if and $pg.tls.sslmode (regexMatch "(^|&)ssl(mode|rootcert|cert|key)=" $pg.params) }}
{{- fail "postgresql.params sets an ssl* parameter and postgresql.tls.sslmode is set: give TLS in postgresql.tls only" }}
{{- end }}
{{- if eq $pg.tls.sslmode "disable" }}
{{- range $name := list "caSecret" "clientCertSecret" }}
{{- if index $pg.tls $name }}
{{- fail (printf "postgresql.tls.%s needs a postgresql.tls.sslmode other than disable" $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- $kafkaTls := has $k.securityProtocol (list "SSL" "SASL_SSL") }}
{{- range $name := list "caSecret" "clientCertSecret" "keyPasswordSecret" }}
{{- if and (index $k.tls $name) (not $kafkaTls) }}
{{- fail (printf "kafka.tls.%s needs kafka.securityProtocol SSL or SASL_SSL (it is %s)" $name $k.securityProtocol) }}
{{- end }}
{{- end }}
{{- if and (not $k.tls.verifyHostname) (not $kafkaTls) }}
{{- fail (printf "kafka.tls.verifyHostname=false needs kafka.securityProtocol SSL or SASL_SSL (it is %s)" $k.securityProtocol) }}
{{- end }}
{{- if and $k.tls.keyPasswordSecret (not $k.tls.clientCertSecret) }}
{{- fail "kafka.tls.keyPasswordSecret needs kafka.tls.clientCertSecret, the key it unlocks" }}
{{- end }}
{{- $mechanism := $k.sasl.mechanism }}
{{- if and $k.sasl.username $k.sasl.usernameSecret }}
{{- fail "set kafka.sasl.username or kafka.sasl.usernameSecret, not both" }}
{{- end }}
{{- if or (not $mechanism) (eq $mechanism "OAUTHBEARER") }}
{{- range $name := list "username" "usernameSecret" "passwordSecret" }}
{{- if index $k.sasl $name }}
{{- fail (printf "kafka.sasl.%s is used by kafka.sasl.mechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 only (it is %s)" $name ($mechanism | default "empty")) }}
{{- end }}
{{- end }}
{{- end }}
{{- if ne $mechanism "OAUTHBEARER" }}
{{- range $name, $value := $k.sasl.oauth }}
{{- if $value }}
{{- fail (printf "kafka.sasl.oauth.%s is used by kafka.sasl.mechanism OAUTHBEARER only (it is %s)" $name ($mechanism | default "empty")) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and $registry.basicAuthSecret $registry.bearerTokenSecret }}
{{- fail "set schemaRegistry.basicAuthSecret or schemaRegistry.bearerTokenSecret, not both" }}
{{- end }}
{{- if and $registry.caSecret (not (hasPrefix "https://" $registry.url)) }}
{{- fail (printf "schemaRegistry.caSecret needs an https:// schemaRegistry.url (it is %s)" $registry.url) }}
{{- end }}
{{- if and $redis.password $redis.passwordSecret }}
{{- fail "set redis.password or redis.passwordSecret, not both (prefer passwordSecret: it stays out of the URL)" }}
{{- end }}
{{- if and $redis.caSecret (not $redis.tls) (not .Values.existingSecret) }}
{{- fail "redis.caSecret needs redis.tls=true (a rediss:// URL)" }}
{{- end }}
{{- end }}
