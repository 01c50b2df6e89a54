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
{{- end }}
