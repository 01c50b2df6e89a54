{{/* Checks across values that values.schema.json cannot express; each fails with one line naming the values. */}}
{{- define "eventline.validate" -}}
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
{{- end }}
