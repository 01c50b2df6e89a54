{{/* pgBackRest's settings for the repository, as PGBACKREST_* variables: the backup exporter and jobs alike. */}}
{{- define "eventline.pgbackrestRepositoryEnv" -}}
{{- $r := .Values.backup.repository -}}
- name: PGBACKREST_REPO1_TYPE
  value: {{ $r.type | quote }}
- name: PGBACKREST_REPO1_PATH
  value: {{ $r.path | quote }}
{{- if eq $r.type "s3" }}
- name: PGBACKREST_REPO1_S3_BUCKET
  value: {{ $r.s3.bucket | quote }}
- name: PGBACKREST_REPO1_S3_ENDPOINT
  value: {{ $r.s3.endpoint | quote }}
- name: PGBACKREST_REPO1_S3_REGION
  value: {{ $r.s3.region | quote }}
- name: PGBACKREST_REPO1_S3_URI_STYLE
  value: {{ $r.s3.uriStyle | quote }}
- name: PGBACKREST_REPO1_S3_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $r.s3.existingSecret }}
      key: {{ $r.s3.keyKey }}
- name: PGBACKREST_REPO1_S3_KEY_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $r.s3.existingSecret }}
      key: {{ $r.s3.keySecretKey }}
{{- end }}
# The root filesystem is read-only: pgBackRest's lock files go to /tmp; it logs to the console only
# (--log-level-file=off, given as an option: a variable named *_FILE would be taken for a file's path).
- name: PGBACKREST_LOCK_PATH
  value: /tmp/pgbackrest
- name: PGBACKREST_LOG_PATH
  value: /tmp
{{- end }}

{{- define "eventline.pgbackrestRepositoryMounts" -}}
{{- if eq .Values.backup.repository.type "posix" }}
- name: backup-repository
  mountPath: {{ .Values.backup.repository.path }}
{{- end }}
{{- end }}

{{- define "eventline.pgbackrestRepositoryVolumes" -}}
{{- if eq .Values.backup.repository.type "posix" }}
- name: backup-repository
  persistentVolumeClaim:
    claimName: {{ .Values.backup.repository.posix.existingClaim }}
{{- end }}
{{- end }}

{{/*
A backup job's container: pgBackRest (the image's entrypoint is `tini -- node`), the repository's settings, and
the database's: its data directory reached through pgBackRest's TLS server on the database host, with the client
certificate of backup.database.tlsSecret.
*/}}
{{- define "eventline.pgbackrestContainer" -}}
{{- $b := .Values.backup }}
{{- $tls := "/etc/eventline/secrets/backup-tls" -}}
image: {{ include "eventline.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
command: [tini, --, pgbackrest]
env:
  - name: PGBACKREST_STANZA
    value: {{ $b.stanza | quote }}
  {{- include "eventline.pgbackrestRepositoryEnv" . | nindent 2 }}
  - name: PGBACKREST_REPO1_RETENTION_FULL
    value: {{ $b.retentionFull | quote }}
  - name: PGBACKREST_START_FAST
    value: "y"
  - name: PGBACKREST_LOG_LEVEL_CONSOLE
    value: info
  - name: PGBACKREST_PG1_HOST
    value: {{ $b.database.host | quote }}
  - name: PGBACKREST_PG1_HOST_TYPE
    value: tls
  - name: PGBACKREST_PG1_HOST_PORT
    value: {{ $b.database.tlsPort | quote }}
  - name: PGBACKREST_PG1_HOST_CA_FILE
    value: {{ $tls }}/ca.crt
  - name: PGBACKREST_PG1_HOST_CERT_FILE
    value: {{ $tls }}/tls.crt
  - name: PGBACKREST_PG1_HOST_KEY_FILE
    value: {{ $tls }}/tls.key
  - name: PGBACKREST_PG1_PATH
    value: {{ $b.database.dataPath | quote }}
  - name: PGBACKREST_PG1_PORT
    value: {{ $b.database.port | quote }}
resources:
  {{- toYaml $b.job.resources | nindent 2 }}
{{ include "eventline.containerSecurity" . }}
  - name: backup-tls
    mountPath: {{ $tls }}
    readOnly: true
  {{- with include "eventline.pgbackrestRepositoryMounts" . }}
  {{- . | nindent 2 }}
  {{- end }}
{{- end }}
