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

{{/* dict "root" $ "role" .Values.postgresql.app: postgres://user[:password]@host:port/db[?params] */}}
{{- define "eventline.postgresUrl" -}}
{{- $pg := .root.Values.postgresql }}
{{- $auth := include "eventline.escape" .role.username }}
{{- if .role.password }}
{{- $auth = printf "%s:%s" $auth (include "eventline.escape" .role.password) }}
{{- end }}
{{- $url := printf "postgres://%s@%s:%d/%s" $auth $pg.host (int $pg.port) $pg.database }}
{{- if $pg.params }}
{{- $url = printf "%s?%s" $url $pg.params }}
{{- end }}
{{- $url }}
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
