{{/*
Eventline's alerting rules: the `groups` of a Prometheus rules file, thresholds
from metrics.prometheusRule.alerts. prometheusrule.yaml ships them as a
PrometheusRule's spec; scripts/packaging/check.sh renders that, writes its spec
out as a rules file and runs `promtool check rules` and `promtool test rules`
(test/packaging/alerts_test.yaml) on it, so the tests exercise what the chart
ships. Metric names and labels are the services' own (docs/operability.md,
"Metrics and their labels"); every selector is limited to the release's
namespace. Each alert's runbook_url is its section of docs/operability.md.
*/}}
{{- define "eventline.alertRules" -}}
{{- $rule := .Values.metrics.prometheusRule }}
{{- $a := $rule.alerts }}
{{- $ns := printf "namespace=%q" .Release.Namespace }}
{{- $runbook := $rule.runbookUrl }}
{{- $common := $rule.alertLabels }}
groups:
  - name: eventline
    rules:
      - alert: EventlineProjectionLagHigh
        expr: max by (namespace, projection) (eventline_projector_lag_seconds{ {{- $ns -}} }) > {{ $a.projectionLag.seconds }}
        for: {{ $a.projectionLag.for }}
        labels:
          severity: {{ $a.projectionLag.severity }}
          {{- with $common }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `Projection {{ $labels.projection }} is {{ $value | humanizeDuration }} behind its topic` | quote }}
          description: >-
            {{`With records waiting, the last event the read model {{ $labels.projection }} in {{ $labels.namespace }}
            applied is {{ $value | humanizeDuration }} old`}} (threshold {{ $a.projectionLag.seconds }} s): queries answer
            from an old state and X-Min-Position waits time out with 504.
          runbook_url: {{ $runbook }}#eventlineprojectionlaghigh
      - alert: EventlinePartitionStalled
        expr: >-
          (
            eventline_projector_lag_messages{ {{- $ns -}} } > 0
            and changes(eventline_projector_lag_messages{ {{- $ns -}} }[{{ $a.partitionStalled.after }}]) == 0
            and eventline_projector_lag_messages{ {{- $ns -}} } offset {{ $a.partitionStalled.after }}
          )
          unless on (namespace, projection, topic, partition)
            changes(eventline_projector_lag_messages{ {{- $ns -}} }[{{ $a.partitionStalled.after }}]) > 0
        for: {{ $a.partitionStalled.for }}
        labels:
          severity: {{ $a.partitionStalled.severity }}
          {{- with $common }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `Projection {{ $labels.projection }} applies nothing on {{ $labels.topic }} partition {{ $labels.partition }}` | quote }}
          description: >-
            {{`{{ $value }} records wait on {{ $labels.topic }} partition {{ $labels.partition }} for projection
            {{ $labels.projection }} ({{ $labels.pod }}), and no batch has been applied there`}} for {{ $a.partitionStalled.after }}:
            a handler that blocks, a dependency that stays away or a consumer that stopped fetching.
          runbook_url: {{ $runbook }}#eventlinepartitionstalled
      - alert: EventlineOutboxOldestAgeHigh
        expr: max by (namespace) (eventline_relay_outbox_oldest_age_seconds{ {{- $ns -}} }) > {{ $a.outboxOldestAge.seconds }}
        for: {{ $a.outboxOldestAge.for }}
        labels:
          severity: {{ $a.outboxOldestAge.severity }}
          {{- with $common }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `The oldest outbox row in {{ $labels.namespace }} waits for {{ $value | humanizeDuration }}` | quote }}
          description: >-
            {{`Committed events have not reached Kafka for {{ $value | humanizeDuration }}`}} (threshold
            {{ $a.outboxOldestAge.seconds }} s): the relay is down, cannot reach Kafka or the registry, or a halted tenant's
            rows are waiting. Nothing is lost; projections and downstream consumers fall behind.
          runbook_url: {{ $runbook }}#eventlineoutboxoldestagehigh
      - alert: EventlineTenantsHalted
        expr: max by (namespace) (eventline_relay_halted_tenants{ {{- $ns -}} }) > {{ $a.haltedTenants.count }}
        for: {{ $a.haltedTenants.for }}
        labels:
          severity: {{ $a.haltedTenants.severity }}
          {{- with $common }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `{{ $value }} tenant(s) halted by the relay in {{ $labels.namespace }}` | quote }}
          description: >-
            {{`The relay stopped publishing {{ $value }} tenant(s) at an event it cannot encode`}}; their events stay in
            the outbox until the cause is fixed and the tenant is resumed. Other tenants are unaffected.
          runbook_url: {{ $runbook }}#eventlinetenantshalted
      - alert: EventlineRelayStoreBehindKafka
        expr: max by (namespace) (eventline_relay_store_behind_kafka_records{ {{- $ns -}} }) > 0
        for: {{ $a.storeBehindKafka.for }}
        labels:
          severity: {{ $a.storeBehindKafka.severity }}
          {{- with $common }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `The event store is behind Kafka in {{ $labels.namespace }}: the relay is not publishing` | quote }}
          description: >-
            {{`The newest record of {{ $value }} partition(s) names an event the store does not hold`}} (a restore to an
            earlier point?). The relay publishes nothing until an operator chooses a new topic generation or accepts
            the report (docs/recovery.md); events wait in the outbox.
          runbook_url: {{ $runbook }}#eventlinerelaystorebehindkafka
      - alert: EventlineCircuitBreakerOpen
        expr: max by (namespace, component, dependency) (circuit_breaker_state{ {{- $ns -}} }) > 0
        for: {{ $a.circuitBreakerOpen.for }}
        labels:
          severity: {{ $a.circuitBreakerOpen.severity }}
          {{- with $common }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `The {{ $labels.component }}'s circuit breaker for {{ $labels.dependency }} is open` | quote }}
          description: >-
            {{`A {{ $labels.component }} pod has found {{ $labels.dependency }} away`}} for {{ $a.circuitBreakerOpen.for }}
            (its breaker open or half-open, never closed): calls to it fail at once, with a trial call every 1 to 10 s.
          runbook_url: {{ $runbook }}#eventlinecircuitbreakeropen
      - alert: EventlineDeadLettersGrowing
        expr: >-
          sum by (namespace, projection) (
              (eventline_projector_dead_letters_total{ {{- $ns -}} } unless eventline_projector_dead_letters_total{ {{- $ns -}} } offset {{ $a.deadLetters.window }})
            or
              increase(eventline_projector_dead_letters_total{ {{- $ns -}} }[{{ $a.deadLetters.window }}])
          ) > {{ $a.deadLetters.count }}
        for: {{ $a.deadLetters.for }}
        labels:
          severity: {{ $a.deadLetters.severity }}
          {{- with $common }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `Projection {{ $labels.projection }} parked {{ $value | humanize }} event(s) on its dead-letter topic` | quote }}
          description: >-
            {{`{{ $value | humanize }} event(s) of projection {{ $labels.projection }}`}} failed every retry in the last
            {{ $a.deadLetters.window }} and were parked; the read model lacks them until they are replayed.
          runbook_url: {{ $runbook }}#eventlinedeadlettersgrowing
      - alert: EventlineGatewayErrorRateHigh
        expr: >-
          sum by (namespace) (rate(http_requests_total{ {{- $ns -}}, component="gateway", status_code=~"5.."}[{{ $a.gatewayErrors.window }}]))
            /
          sum by (namespace) (rate(http_requests_total{ {{- $ns -}}, component="gateway"}[{{ $a.gatewayErrors.window }}]))
            > {{ $a.gatewayErrors.ratio }}
        for: {{ $a.gatewayErrors.for }}
        labels:
          severity: {{ $a.gatewayErrors.severity }}
          {{- with $common }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `{{ $value | humanizePercentage }} of the gateway's requests in {{ $labels.namespace }} answer 5xx` | quote }}
          description: >-
            {{`{{ $value | humanizePercentage }} of requests`}} answered 5xx over {{ $a.gatewayErrors.window }} (threshold
            {{ $a.gatewayErrors.ratio }}): a dependency is away (503 with Retry-After) or the gateway fails.
          runbook_url: {{ $runbook }}#eventlinegatewayerrorratehigh
      {{- if .Values.backup.enabled }}
      - alert: EventlineBackupTooOld
        expr: >-
          time() - max by (namespace) (eventline_backup_last_completed_timestamp_seconds{ {{- $ns -}} }) > {{ $a.backupTooOld.seconds }}
          or
          (
            time() - max by (namespace) (process_start_time_seconds{ {{- $ns -}}, component="backup-exporter"}) > {{ $a.backupTooOld.seconds }}
            unless on (namespace) max by (namespace) (eventline_backup_last_completed_timestamp_seconds{ {{- $ns -}} })
          )
        for: {{ $a.backupTooOld.for }}
        labels:
          severity: {{ $a.backupTooOld.severity }}
          {{- with $common }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `No backup of the event store in {{ $labels.namespace }} has completed for {{ $value | humanizeDuration }}` | quote }}
          description: >-
            {{`The newest backup (full, differential or incremental) that completed without error ended {{ $value | humanizeDuration }} ago,
            or none has completed since the backup exporter started that long ago`}} (threshold {{ $a.backupTooOld.seconds }} s):
            a restore would lose more than the schedule promises, or depend on WAL alone.
          runbook_url: {{ $runbook }}#eventlinebackuptooold
      - alert: EventlineFullBackupTooOld
        expr: time() - max by (namespace) (eventline_backup_last_completed_timestamp_seconds{ {{- $ns -}}, type="full"}) > {{ $a.fullBackupTooOld.seconds }}
        for: {{ $a.fullBackupTooOld.for }}
        labels:
          severity: {{ $a.fullBackupTooOld.severity }}
          {{- with $common }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `The newest full backup in {{ $labels.namespace }} is {{ $value | humanizeDuration }} old` | quote }}
          description: >-
            {{`The newest full backup that completed ended {{ $value | humanizeDuration }} ago`}} (threshold
            {{ $a.fullBackupTooOld.seconds }} s): incremental backups keep building on it, and a restore replays ever more of them.
          runbook_url: {{ $runbook }}#eventlinefullbackuptooold
      - alert: EventlineBackupRepositoryUnreadable
        expr: max by (namespace) (eventline_backup_info_failed{ {{- $ns -}} }) > 0
        for: {{ $a.backupRepositoryUnreadable.for }}
        labels:
          severity: {{ $a.backupRepositoryUnreadable.severity }}
          {{- with $common }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `The backup exporter in {{ $labels.namespace }} cannot read the pgBackRest repository` | quote }}
          description: >-
            `pgbackrest info` has failed for {{ $a.backupRepositoryUnreadable.for }}: the backup metrics are stale, and the backups
            themselves may fail the same way (repository, credentials, stanza).
          runbook_url: {{ $runbook }}#eventlinebackuprepositoryunreadable
      - alert: EventlineWalArchiveStale
        expr: >-
          time() - max by (namespace) (eventline_backup_wal_archived_timestamp_seconds{ {{- $ns -}} }) > {{ $a.walArchiveStale.seconds }}
          and on (namespace)
          sum by (namespace) (increase(eventline_relay_events_published_total{ {{- $ns -}} }[{{ $a.walArchiveStale.window }}])) > 0
        for: {{ $a.walArchiveStale.for }}
        labels:
          severity: {{ $a.walArchiveStale.severity }}
          {{- with $common }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        annotations:
          summary: {{ `No WAL has reached the backup repository in {{ $labels.namespace }} for {{ $value | humanizeDuration }}` | quote }}
          description: >-
            {{`The newest archived WAL segment reached the repository {{ $value | humanizeDuration }} ago`}} (threshold
            {{ $a.walArchiveStale.seconds }} s) while events were being written: everything committed since is lost if the
            database is, whatever the last backup.
          runbook_url: {{ $runbook }}#eventlinewalarchivestale
      {{- end }}
      {{- with $rule.extraRules }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
{{- end }}
