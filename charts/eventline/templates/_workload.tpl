{{/*
One deployable: its Deployment, and the env it reads.
dict "root" $ "component" "gateway" "ports" (list (dict "name" "http" "port" 3000 "env" "PORT") ...) "probePort" "http"
  "databaseUrlKey" "DATABASE_URL" "redis" true "auth" true "pool" true "readModels" true "env" (list)
  "uses" (list "postgresql" "redis") "personalData" true
(ports: its container ports, each set in the env variable named; probePort: the port name the probes ask;
databaseUrlKey: the Secret key that becomes its DATABASE_URL; env: more {name, value} entries;
uses: the dependencies whose TLS and credentials it gets, eventline.connections; personalData: it gets
the key-encryption keys, PERSONAL_DATA_KEK and PERSONAL_DATA_PREVIOUS_KEKS: the gateway only)
*/}}
{{- define "eventline.deployment" -}}
{{- $root := .root }}
{{- $values := index $root.Values .component }}
{{- $connections := include "eventline.connections" (dict "root" $root "uses" .uses) | fromYaml }}
{{- $autoscaling := and (hasKey $values "autoscaling") $values.autoscaling.enabled }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "eventline.componentName" . }}
  labels:
    {{- include "eventline.componentLabels" . | nindent 4 }}
spec:
  {{- if not $autoscaling }}
  replicas: {{ $values.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "eventline.componentSelectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "eventline.componentSelectorLabels" . | nindent 8 }}
        {{- with $values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
        {{- if not $root.Values.existingSecret }}
        {{- $secretValues := list $root.Values.postgresql $root.Values.redis $root.Values.auth }}
        {{- if .personalData }}
        {{- /* A new key-encryption key restarts the pods that read it (a rotation needs that), and only them. */}}
        {{- $secretValues = append $secretValues $root.Values.personalData }}
        {{- end }}
        checksum/secret: {{ toJson $secretValues | sha256sum }}
        {{- end }}
        {{- with $values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "eventline.serviceAccountName" $root }}
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ $values.terminationGracePeriodSeconds }}
      containers:
        - name: {{ .component }}
          image: {{ include "eventline.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          # The image's entrypoint is `tini -- node`; the argument picks the deployable.
          args:
            - dist/services/{{ .component }}/main.js
          ports:
            {{- range .ports }}
            - name: {{ .name }}
              containerPort: {{ .port }}
              protocol: TCP
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ include "eventline.configMapName" $root }}
          env:
            {{- range .ports }}
            - name: {{ .env }}
              value: {{ .port | quote }}
            {{- end }}
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: {{ include "eventline.secretName" $root }}
                  key: {{ .databaseUrlKey }}
            # What the pod's grace period leaves after the preStop sleep, less 2 s for the exit to land.
            - name: SHUTDOWN_GRACE_MS
              value: {{ mul (max 1 (sub (sub (int $values.terminationGracePeriodSeconds) (int $values.preStopSleepSeconds)) 2)) 1000 | quote }}
            # Within the startup probe's window, less 10 s: past it the process exits 1 with the reason, not killed mid-wait.
            - name: STARTUP_TIMEOUT_MS
              value: {{ mul (max 0 (sub (mul (int $root.Values.probes.startup.periodSeconds) (int $root.Values.probes.startup.failureThreshold)) 10)) 1000 | quote }}
            {{- if .pool }}
            - name: DB_POOL_SIZE
              value: {{ $values.dbPoolSize | quote }}
            {{- end }}
            {{- if .redis }}
            - name: REDIS_URL
              valueFrom:
                secretKeyRef:
                  name: {{ include "eventline.secretName" $root }}
                  key: REDIS_URL
            {{- end }}
            {{- if .readModels }}
            - name: READ_DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: {{ include "eventline.secretName" $root }}
                  key: READ_DATABASE_URL
                  optional: true
            {{- end }}
            {{- if .auth }}
            - name: ADMIN_TOKEN
              valueFrom:
                secretKeyRef:
                  name: {{ include "eventline.secretName" $root }}
                  key: ADMIN_TOKEN
                  optional: true
            - name: JWT_SECRET
              valueFrom:
                secretKeyRef:
                  name: {{ include "eventline.secretName" $root }}
                  key: JWT_SECRET
                  optional: true
            {{- end }}
            {{- if .personalData }}
            # The key-encryption key of personal data (docs/privacy.md). Required unless
            # personalData.kekRequired=false: a Secret without it keeps the pod from starting.
            - name: PERSONAL_DATA_KEK
              valueFrom:
                secretKeyRef:
                  name: {{ include "eventline.secretName" $root }}
                  key: PERSONAL_DATA_KEK
                  {{- if not $root.Values.personalData.kekRequired }}
                  optional: true
                  {{- end }}
            - name: PERSONAL_DATA_PREVIOUS_KEKS
              valueFrom:
                secretKeyRef:
                  name: {{ include "eventline.secretName" $root }}
                  key: PERSONAL_DATA_PREVIOUS_KEKS
                  optional: true
            {{- end }}
            {{- /* An extraEnv entry replaces the chart's own of its name (NODE_OPTIONS, say) rather than following it. */}}
            {{- $replaced := list }}
            {{- range $values.extraEnv }}{{ $replaced = append $replaced .name }}{{ end }}
            {{- range (concat $connections.env .env) }}
            {{- if not (has .name $replaced) }}
            - name: {{ .name }}
              value: {{ .value | quote }}
            {{- end }}
            {{- end }}
            {{- with $values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          startupProbe:
            httpGet:
              path: /health
              port: {{ .probePort }}
            periodSeconds: {{ $root.Values.probes.startup.periodSeconds }}
            timeoutSeconds: {{ $root.Values.probes.startup.timeoutSeconds }}
            failureThreshold: {{ $root.Values.probes.startup.failureThreshold }}
          livenessProbe:
            httpGet:
              path: /health
              port: {{ .probePort }}
            periodSeconds: {{ $root.Values.probes.liveness.periodSeconds }}
            timeoutSeconds: {{ $root.Values.probes.liveness.timeoutSeconds }}
            failureThreshold: {{ $root.Values.probes.liveness.failureThreshold }}
          readinessProbe:
            httpGet:
              path: /ready
              port: {{ .probePort }}
            periodSeconds: {{ $root.Values.probes.readiness.periodSeconds }}
            timeoutSeconds: {{ $root.Values.probes.readiness.timeoutSeconds }}
            failureThreshold: {{ $root.Values.probes.readiness.failureThreshold }}
          {{- if gt (int $values.preStopSleepSeconds) 0 }}
          lifecycle:
            preStop:
              exec:
                command: ["sleep", {{ $values.preStopSleepSeconds | quote }}]
          {{- end }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          {{- include "eventline.containerSecurity" $root | nindent 10 }}
            {{- with (include "eventline.secretVolumeMounts" (dict "root" $root "mounts" $connections.mounts)) }}
            {{- . | nindent 12 }}
            {{- end }}
      volumes:
        {{- include "eventline.tmpVolume" $root | nindent 8 }}
        {{- with (include "eventline.secretVolumes" (dict "root" $root "mounts" $connections.mounts)) }}
        {{- . | nindent 8 }}
        {{- end }}
      {{- with (include "eventline.topologySpread" .) }}
      topologySpreadConstraints:
        {{- . | trim | nindent 8 }}
      {{- end }}
      {{- with $values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}

{{/*
dict "root" $ "component" "gateway" "type" "ClusterIP" "ports" (list (dict "name" "http" "port" 80) ...):
a Service of the component, each port to the container port of its name. "nameSuffix" "-ops" names it
<component name>-ops; "metrics" true labels it for the ServiceMonitor (it must have the ops port).
*/}}
{{- define "eventline.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "eventline.componentName" (dict "root" .root "component" (printf "%s%s" .component (.nameSuffix | default ""))) }}
  labels:
    {{- include "eventline.componentLabels" . | nindent 4 }}
    {{- if .metrics }}
    eventline.dev/metrics: "true"
    {{- end }}
  {{- with .annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .type }}
  selector:
    {{- include "eventline.componentSelectorLabels" . | nindent 4 }}
  ports:
    {{- range .ports }}
    - name: {{ .name }}
      port: {{ .port }}
      targetPort: {{ .name }}
      protocol: TCP
    {{- end }}
{{- end }}

{{- define "eventline.hpa" -}}
{{- $values := index .root.Values .component }}
{{- if $values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "eventline.componentName" . }}
  labels:
    {{- include "eventline.componentLabels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "eventline.componentName" . }}
  minReplicas: {{ $values.autoscaling.minReplicas }}
  maxReplicas: {{ $values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $values.autoscaling.targetCPUUtilizationPercentage }}
    {{- if gt (int $values.autoscaling.targetMemoryUtilizationPercentage) 0 }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ $values.autoscaling.targetMemoryUtilizationPercentage }}
    {{- end }}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
      policies:
        - type: Pods
          value: 1
          periodSeconds: 60
{{- end }}
{{- end }}

{{- define "eventline.pdb" -}}
{{- $values := index .root.Values .component }}
{{- if $values.pdb.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "eventline.componentName" . }}
  labels:
    {{- include "eventline.componentLabels" . | nindent 4 }}
spec:
  maxUnavailable: {{ $values.pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "eventline.componentSelectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}
