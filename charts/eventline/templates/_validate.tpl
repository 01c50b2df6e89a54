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
{{- if .Values.backup.enabled }}
{{- $b := .Values.backup }}
{{- range $name, $value := dict "backup.database.host" $b.database.host "backup.database.dataPath" $b.database.dataPath "backup.database.tlsSecret" $b.database.tlsSecret }}
{{- if not $value }}
{{- fail (printf "backup.enabled needs %s: pgBackRest reaches the data directory through its TLS server on the database host" $name) }}
{{- end }}
{{- end }}
{{- if eq $b.repository.type "s3" }}
{{- range $name, $value := dict "backup.repository.s3.bucket" $b.repository.s3.bucket "backup.repository.s3.endpoint" $b.repository.s3.endpoint "backup.repository.s3.region" $b.repository.s3.region "backup.repository.s3.existingSecret" $b.repository.s3.existingSecret }}
{{- if not $value }}
{{- fail (printf "backup.repository.type s3 needs %s" $name) }}
{{- end }}
{{- end }}
{{- else if not $b.repository.posix.existingClaim }}
{{- fail "backup.repository.type posix needs backup.repository.posix.existingClaim" }}
{{- end }}
{{- if not $b.schedules }}
{{- fail "backup.enabled needs at least one entry in backup.schedules" }}
{{- end }}
{{- end }}
{{- include "eventline.validateConnections" . }}
{{- include "eventline.validatePersonalData" . }}
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

{{/*
The key-encryption keys (personalData; README.md, "Personal data"). Their format is checked here rather
than by a pattern in values.schema.json, whose message would print the value: no message here shows a
key, only where it is and, once its format is right, its id (which names the key and is not secret).
Last of the checks: an install without a KEK is refused, and any other mistake is named first.
*/}}
{{- define "eventline.validatePersonalData" -}}
{{- $pd := .Values.personalData }}
{{- $format := "^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_-]{43}=?$" }}
{{- $expected := "expected <id>:<base64 of 32 random bytes> (an id of 1 to 32 letters, digits, _ or -), e.g. primary:$(openssl rand -base64 32); the value is not shown" }}
{{- if .Values.existingSecret }}
{{- if or $pd.kek $pd.previousKeks }}
{{- fail (printf "personalData.kek and personalData.previousKeks are not used with existingSecret: put them in Secret %s as PERSONAL_DATA_KEK and PERSONAL_DATA_PREVIOUS_KEKS (comma-separated)" .Values.existingSecret) }}
{{- end }}
{{- else }}
{{- if and $pd.previousKeks (not $pd.kek) }}
{{- fail "personalData.previousKeks needs personalData.kek, the key-encryption key they are being rotated to" }}
{{- end }}
{{- $ids := dict }}
{{- with $pd.kek }}
{{- if not (regexMatch $format (trim .)) }}
{{- fail (printf "personalData.kek is malformed: %s" $expected) }}
{{- end }}
{{- $_ := set $ids (first (splitList ":" (trim .))) "personalData.kek" }}
{{- end }}
{{- range $index, $previous := $pd.previousKeks }}
{{- $place := printf "personalData.previousKeks[%d]" $index }}
{{- if not (regexMatch $format (trim $previous)) }}
{{- fail (printf "%s is malformed: %s" $place $expected) }}
{{- end }}
{{- $id := first (splitList ":" (trim $previous)) }}
{{- if hasKey $ids $id }}
{{- fail (printf "%s has the id %q, as %s has: each key-encryption key needs an id of its own (a wrapped key names the id it was wrapped under), so a rotation gives the new key a new id" $place $id (get $ids $id)) }}
{{- end }}
{{- $_ := set $ids $id $place }}
{{- end }}
{{- if and $pd.kekRequired (not $pd.kek) }}
{{- fail "personalData.kek is empty: without a key-encryption key the gateway refuses every command holding personal data (docs/privacy.md). Give one, <id>:<base64 of 32 random bytes> (e.g. primary:$(openssl rand -base64 32)), or existingSecret with PERSONAL_DATA_KEK; or set personalData.kekRequired=false to install without" }}
{{- end }}
{{- end }}
{{- end }}
