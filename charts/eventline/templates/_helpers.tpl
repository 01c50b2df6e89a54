{{/* Names */}}
{{- define "eventline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "eventline.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* A component's resource name: <fullname>-<component>, within 63 characters. */}}
{{- define "eventline.componentName" -}}
{{- printf "%s-%s" (include "eventline.fullname" .root | trunc (int (sub 62 (len .component))) | trimSuffix "-") .component }}
{{- end }}

{{- define "eventline.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels */}}
{{- define "eventline.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eventline.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "eventline.labels" -}}
helm.sh/chart: {{ include "eventline.chart" . }}
{{ include "eventline.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: eventline
{{- end }}

{{/* dict "root" $ "component" "gateway" */}}
{{- define "eventline.componentSelectorLabels" -}}
{{ include "eventline.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "eventline.componentLabels" -}}
{{ include "eventline.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The image reference: repository@digest, else repository:tag (tag defaults to appVersion). */}}
{{- define "eventline.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{- define "eventline.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "eventline.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding the connection URLs and tokens. */}}
{{- define "eventline.secretName" -}}
{{- default (include "eventline.fullname" .) .Values.existingSecret }}
{{- end }}

{{- define "eventline.configMapName" -}}
{{- include "eventline.fullname" . }}
{{- end }}

{{/*
A percent-encoded URL userinfo part. urlquery escapes for a query string, where
a space becomes "+"; in userinfo "+" is literal, so it becomes %20 (a literal
"+" was already escaped to %2B).
*/}}
{{- define "eventline.escape" -}}
{{- . | urlquery | replace "+" "%20" }}
{{- end }}

{{/*
dict "root" $ "role" .Values.postgresql.app: postgres://user[:password]@host:port/db[?params], then
postgresql.tls as libpq's parameters: sslmode, sslrootcert (the mounted CA, else "system" for
verify-ca and verify-full), sslcert and sslkey (the mounted client certificate).
*/}}
{{- define "eventline.postgresUrl" -}}
{{- $pg := .root.Values.postgresql }}
{{- /* "pooled": this connection may go through postgresql.pooler (no session state of its own). */}}
{{- $host := $pg.host }}
{{- $port := $pg.port }}
{{- $pooler := $pg.pooler | default dict }}
{{- if and .pooled $pooler.host }}
{{- $host = $pooler.host }}
{{- $port = $pooler.port | default 6432 }}
{{- end }}
{{- $auth := include "eventline.escape" .role.username }}
{{- if .role.password }}
{{- $auth = printf "%s:%s" $auth (include "eventline.escape" .role.password) }}
{{- end }}
{{- $url := printf "postgres://%s@%s:%d/%s" $auth $host (int $port) $pg.database }}
{{- $params := list }}
{{- with $pg.params }}
{{- $params = append $params . }}
{{- end }}
{{- $tls := $pg.tls | default dict }}
{{- with $tls.sslmode }}
{{- $dir := include "eventline.secretDir" $.root }}
{{- $params = append $params (printf "sslmode=%s" .) }}
{{- if ne . "disable" }}
{{- if $tls.caSecret }}
{{- $params = append $params (printf "sslrootcert=%s/postgresql-ca/ca.crt" $dir) }}
{{- else if has . (list "verify-ca" "verify-full") }}
{{- $params = append $params "sslrootcert=system" }}
{{- end }}
{{- if $tls.clientCertSecret }}
{{- $params = concat $params (list (printf "sslcert=%s/postgresql-client/tls.crt" $dir) (printf "sslkey=%s/postgresql-client/tls.key" $dir)) }}
{{- end }}
{{- end }}
{{- end }}
{{- if $params }}
{{- $url = printf "%s?%s" $url (join "&" $params) }}
{{- end }}
{{- $url }}
{{- end }}

{{/* Where the Secret keys the connection values reference are mounted, one directory per reference. */}}
{{- define "eventline.secretDir" -}}
/etc/eventline/secrets
{{- end }}

{{/*
dict "root" $ "uses" (list "postgresql" "kafka" "registry" "redis"): how a container reaches those
dependencies securely, as YAML {env: [EnvVar], mounts: [{name, secret, items: [{key, path}]}]}.
Every Secret key a value references (postgresql.tls, kafka.tls, kafka.sasl, schemaRegistry,
redis) becomes a file of a read-only Secret volume at <secretDir>/<name>/<path>, and env points
the *_FILE and *_CA_FILE variables at it; no secret is ever an env value. Settings equal to the
services' defaults are left out. PostgreSQL's TLS is in the URLs (eventline.postgresUrl): only its
files are here.
*/}}
{{- define "eventline.connections" -}}
{{- $v := .root.Values }}
{{- $dir := include "eventline.secretDir" .root }}
{{- $env := list }}
{{- $mounts := list }}
{{- if has "postgresql" .uses }}
{{- $tls := $v.postgresql.tls | default dict }}
{{- with $tls.caSecret }}
{{- $mounts = append $mounts (dict "name" "postgresql-ca" "secret" .name "items" (list (dict "key" .key "path" "ca.crt"))) }}
{{- end }}
{{- with $tls.clientCertSecret }}
{{- $mounts = append $mounts (dict "name" "postgresql-client" "secret" .name "items" (list (dict "key" (.certKey | default "tls.crt") "path" "tls.crt") (dict "key" (.keyKey | default "tls.key") "path" "tls.key"))) }}
{{- end }}
{{- end }}
{{- if has "kafka" .uses }}
{{- $k := $v.kafka }}
{{- $protocol := $k.securityProtocol | default "PLAINTEXT" }}
{{- if ne $protocol "PLAINTEXT" }}
{{- $env = append $env (dict "name" "KAFKA_SECURITY_PROTOCOL" "value" $protocol) }}
{{- end }}
{{- if has $protocol (list "SSL" "SASL_SSL") }}
{{- with $k.tls.caSecret }}
{{- $mounts = append $mounts (dict "name" "kafka-ca" "secret" .name "items" (list (dict "key" .key "path" "ca.crt"))) }}
{{- $env = append $env (dict "name" "KAFKA_SSL_CA_FILE" "value" (printf "%s/kafka-ca/ca.crt" $dir)) }}
{{- end }}
{{- with $k.tls.clientCertSecret }}
{{- $mounts = append $mounts (dict "name" "kafka-client" "secret" .name "items" (list (dict "key" (.certKey | default "tls.crt") "path" "tls.crt") (dict "key" (.keyKey | default "tls.key") "path" "tls.key"))) }}
{{- $env = concat $env (list (dict "name" "KAFKA_SSL_CERT_FILE" "value" (printf "%s/kafka-client/tls.crt" $dir)) (dict "name" "KAFKA_SSL_KEY_FILE" "value" (printf "%s/kafka-client/tls.key" $dir))) }}
{{- end }}
{{- with $k.tls.keyPasswordSecret }}
{{- $mounts = append $mounts (dict "name" "kafka-client-key-password" "secret" .name "items" (list (dict "key" .key "path" "password"))) }}
{{- $env = append $env (dict "name" "KAFKA_SSL_KEY_PASSWORD_FILE" "value" (printf "%s/kafka-client-key-password/password" $dir)) }}
{{- end }}
{{- if eq (toString $k.tls.verifyHostname) "false" }}
{{- $env = append $env (dict "name" "KAFKA_SSL_VERIFY_HOSTNAME" "value" "false") }}
{{- end }}
{{- end }}
{{- $sasl := $k.sasl }}
{{- if and (has $protocol (list "SASL_PLAINTEXT" "SASL_SSL")) $sasl.mechanism }}
{{- $env = append $env (dict "name" "KAFKA_SASL_MECHANISM" "value" $sasl.mechanism) }}
{{- if eq $sasl.mechanism "OAUTHBEARER" }}
{{- $oauth := $sasl.oauth }}
{{- $env = concat $env (list (dict "name" "KAFKA_OAUTH_TOKEN_URL" "value" $oauth.tokenUrl) (dict "name" "KAFKA_OAUTH_CLIENT_ID" "value" $oauth.clientId)) }}
{{- with $oauth.clientSecretSecret }}
{{- $mounts = append $mounts (dict "name" "kafka-oauth-client-secret" "secret" .name "items" (list (dict "key" .key "path" "client-secret"))) }}
{{- $env = append $env (dict "name" "KAFKA_OAUTH_CLIENT_SECRET_FILE" "value" (printf "%s/kafka-oauth-client-secret/client-secret" $dir)) }}
{{- end }}
{{- with $oauth.scope }}
{{- $env = append $env (dict "name" "KAFKA_OAUTH_SCOPE" "value" .) }}
{{- end }}
{{- with $oauth.audience }}
{{- $env = append $env (dict "name" "KAFKA_OAUTH_AUDIENCE" "value" .) }}
{{- end }}
{{- else }}
{{- with $sasl.username }}
{{- $env = append $env (dict "name" "KAFKA_SASL_USERNAME" "value" .) }}
{{- end }}
{{- with $sasl.usernameSecret }}
{{- $mounts = append $mounts (dict "name" "kafka-sasl-username" "secret" .name "items" (list (dict "key" .key "path" "username"))) }}
{{- $env = append $env (dict "name" "KAFKA_SASL_USERNAME_FILE" "value" (printf "%s/kafka-sasl-username/username" $dir)) }}
{{- end }}
{{- with $sasl.passwordSecret }}
{{- $mounts = append $mounts (dict "name" "kafka-sasl-password" "secret" .name "items" (list (dict "key" .key "path" "password"))) }}
{{- $env = append $env (dict "name" "KAFKA_SASL_PASSWORD_FILE" "value" (printf "%s/kafka-sasl-password/password" $dir)) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if has "registry" .uses }}
{{- $r := $v.schemaRegistry }}
{{- with $r.caSecret }}
{{- $mounts = append $mounts (dict "name" "schema-registry-ca" "secret" .name "items" (list (dict "key" .key "path" "ca.crt"))) }}
{{- $env = append $env (dict "name" "SCHEMA_REGISTRY_CA_FILE" "value" (printf "%s/schema-registry-ca/ca.crt" $dir)) }}
{{- end }}
{{- with $r.basicAuthSecret }}
{{- $mounts = append $mounts (dict "name" "schema-registry-basic-auth" "secret" .name "items" (list (dict "key" (.usernameKey | default "username") "path" "username") (dict "key" (.passwordKey | default "password") "path" "password"))) }}
{{- $env = concat $env (list (dict "name" "SCHEMA_REGISTRY_USERNAME_FILE" "value" (printf "%s/schema-registry-basic-auth/username" $dir)) (dict "name" "SCHEMA_REGISTRY_PASSWORD_FILE" "value" (printf "%s/schema-registry-basic-auth/password" $dir))) }}
{{- end }}
{{- with $r.bearerTokenSecret }}
{{- $mounts = append $mounts (dict "name" "schema-registry-token" "secret" .name "items" (list (dict "key" .key "path" "token"))) }}
{{- $env = append $env (dict "name" "SCHEMA_REGISTRY_BEARER_TOKEN_FILE" "value" (printf "%s/schema-registry-token/token" $dir)) }}
{{- end }}
{{- end }}
{{- if has "redis" .uses }}
{{- $redis := $v.redis }}
{{- with $redis.username }}
{{- $env = append $env (dict "name" "REDIS_USERNAME" "value" .) }}
{{- end }}
{{- with $redis.passwordSecret }}
{{- $mounts = append $mounts (dict "name" "redis-password" "secret" .name "items" (list (dict "key" .key "path" "password"))) }}
{{- $env = append $env (dict "name" "REDIS_PASSWORD_FILE" "value" (printf "%s/redis-password/password" $dir)) }}
{{- end }}
{{- with $redis.caSecret }}
{{- $mounts = append $mounts (dict "name" "redis-ca" "secret" .name "items" (list (dict "key" .key "path" "ca.crt"))) }}
{{- $env = append $env (dict "name" "REDIS_CA_FILE" "value" (printf "%s/redis-ca/ca.crt" $dir)) }}
{{- end }}
{{- end }}
{{- toYaml (dict "env" $env "mounts" $mounts) }}
{{- end }}

{{/* (the "mounts" of eventline.connections): a container's read-only mounts of them, as list items. */}}
{{- define "eventline.secretVolumeMounts" -}}
{{- range .mounts }}
- name: {{ .name }}
  mountPath: {{ printf "%s/%s" (include "eventline.secretDir" $.root) .name }}
  readOnly: true
{{- end }}
{{- end }}

{{/* (the "mounts" of eventline.connections): the pod's Secret volumes, as list items (files 0440: fsGroup reads them). */}}
{{- define "eventline.secretVolumes" -}}
{{- range .mounts }}
- name: {{ .name }}
  secret:
    secretName: {{ .secret }}
    defaultMode: 288
    items:
      {{- range .items }}
      - key: {{ .key | quote }}
        path: {{ .path }}
      {{- end }}
{{- end }}
{{- end }}

{{- define "eventline.redisUrl" -}}
{{- $redis := .Values.redis }}
{{- $auth := "" }}
{{- if $redis.password }}
{{- $auth = printf ":%s@" (include "eventline.escape" $redis.password) }}
{{- end }}
{{- printf "%s://%s%s:%d/%d" (ternary "rediss" "redis" $redis.tls) $auth $redis.host (int $redis.port) (int $redis.database) }}
{{- end }}

{{/*
The platform admin token: the value given, else the one already stored in the
release's Secret (so upgrades keep it), else a new random one.
*/}}
{{- define "eventline.adminToken" -}}
{{- if .Values.auth.adminToken }}
{{- .Values.auth.adminToken }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "eventline.fullname" .) }}
{{- if and $existing $existing.data (hasKey $existing.data "ADMIN_TOKEN") }}
{{- index $existing.data "ADMIN_TOKEN" | b64dec }}
{{- else }}
{{- randAlphaNum 48 }}
{{- end }}
{{- end }}
{{- end }}

{{/* Container securityContext and the /tmp volume mount every container gets. */}}
{{- define "eventline.containerSecurity" -}}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end }}

{{- define "eventline.tmpVolume" -}}
- name: tmp
  emptyDir:
    {{- if .Values.tmpVolume.sizeLimit }}
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
    {{- end }}
{{- end }}

{{/* dict "root" $ "component" "gateway": the component's topology spread constraints. */}}
{{- define "eventline.topologySpread" -}}
{{- $values := index .root.Values .component }}
{{- if $values.topologySpreadConstraints }}
{{- toYaml $values.topologySpreadConstraints }}
{{- else if .root.Values.topologySpread.enabled }}
{{- range .root.Values.topologySpread.topologyKeys }}
- maxSkew: {{ $.root.Values.topologySpread.maxSkew }}
  topologyKey: {{ . }}
  whenUnsatisfiable: {{ $.root.Values.topologySpread.whenUnsatisfiable }}
  labelSelector:
    matchLabels:
      {{- include "eventline.componentSelectorLabels" $ | nindent 6 }}
  matchLabelKeys:
    - pod-template-hash
{{- end }}
{{- end }}
{{- end }}
