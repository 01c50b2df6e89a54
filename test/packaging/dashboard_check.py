"""Checks the Grafana dashboard of the chart (scripts/packaging/check.sh runs it).

    python3 dashboard_check.py [charts/eventline/dashboards/eventline.json] [services/]

- It is JSON with a uid, a title and panels whose ids are unique, each
  non-row panel with at least one PromQL target on the ${datasource} variable.
- It has a panel for each metric operators need (REQUIRED below: issue #7's
  list and the query cache).
- Every metric it queries is registered somewhere in services/ (a `name:
  '<metric>'` in the TypeScript), or is one of prom-client's default process
  metrics: a renamed metric otherwise leaves an empty panel nobody notices.
- No query selects or groups on `service` or an `exported_` label: `service`
  is the Kubernetes Service Prometheus sets on each target, and the services'
  own labels are `component` and `dependency` (docs/operability.md, "No label
  Prometheus sets on a target").
"""

from __future__ import annotations

import json
import os
import re
import sys

# Issue #7's list and the query cache's, each metric by its name in services/ (docs/operability.md has the table).
REQUIRED = [
    "http_requests_total",
    "http_request_duration_seconds",
    "commands_total",
    "circuit_breaker_state",
    "db_pool_size",
    "db_pool_available",
    "db_pool_waiting",
    "eventline_relay_outbox_backlog_rows",
    "eventline_relay_outbox_oldest_age_seconds",
    "eventline_relay_commit_to_ack_seconds",
    "eventline_relay_events_published_total",
    "eventline_projector_lag_messages",
    "eventline_projector_lag_seconds",
    "eventline_projector_events_applied_total",
    "eventline_projector_dead_letters_total",
    "quota_rejections_total",
    "query_cache_requests_total",
    "process_resident_memory_bytes",
]
DEFAULT_METRIC_PREFIXES = ("process_", "nodejs_")
METRIC = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{")
SUFFIXES = ("_bucket", "_sum", "_count")
# `service` as a matcher ({service="gateway"}) or a grouping label (by (service, pod)), or any exported_ label.
TARGET_LABEL_USE = re.compile(r"[{,(]\s*service\s*(?:[=!]~?|[,)])|\bexported_\w+")


def registered_metrics(services_dir: str) -> set[str]:
    names: set[str] = set()
    for directory, _, files in os.walk(services_dir):
        for file in files:
            if file.endswith(".ts") and not file.endswith(".test.ts"):
                with open(os.path.join(directory, file), encoding="utf-8") as handle:
                    names.update(re.findall(r"name:\s*'([a-z_:][a-z0-9_:]*)'", handle.read()))
    return names


def base_name(metric: str) -> str:
    for suffix in SUFFIXES:
        if metric.endswith(suffix):
            return metric[: -len(suffix)]
    return metric


def check(dashboard_path: str, services_dir: str) -> list[str]:
    errors: list[str] = []
    try:
        with open(dashboard_path, encoding="utf-8") as handle:
            dashboard = json.load(handle)
    except ValueError as error:
        return [f"not JSON: {error}"]
    for key in ("uid", "title", "panels"):
        if not dashboard.get(key):
            errors.append(f"no {key}")
    panels = dashboard.get("panels", [])
    ids = [panel.get("id") for panel in panels]
    if len(ids) != len(set(ids)):
        errors.append("panel ids are not unique")

    used: set[str] = set()
    for panel in panels:
        if panel.get("type") == "row":
            continue
        targets = [target.get("expr", "") for target in panel.get("targets", [])]
        if not any(targets):
            errors.append(f"panel {panel.get('title')!r} has no query")
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            errors.append(f"panel {panel.get('title')!r} does not use the ${{datasource}} variable")
        for expr in targets:
            used.update(base_name(metric) for metric in METRIC.findall(expr))
            clash = TARGET_LABEL_USE.search(expr)
            if clash:
                errors.append(
                    f"panel {panel.get('title')!r} uses {clash.group(0).strip('{,( ')!r}: Prometheus' target label"
                    " (or what it renames an app label to), not the services' component or dependency"
                )

    for metric in REQUIRED:
        if metric not in used:
            errors.append(f"no panel shows {metric}")

    registered = registered_metrics(services_dir)
    for metric in sorted(used):
        if metric not in registered and not metric.startswith(DEFAULT_METRIC_PREFIXES):
            errors.append(f"queries {metric}, which no service in {services_dir} registers")
    return errors


def main() -> int:
    dashboard = sys.argv[1] if len(sys.argv) > 1 else "charts/eventline/dashboards/eventline.json"
    services_dir = sys.argv[2] if len(sys.argv) > 2 else "services"
    errors = check(dashboard, services_dir)
    for error in errors:
        print(f"FAILED: {dashboard}: {error}")
    if errors:
        return 1
    print(f"ok: {dashboard}: JSON, every panel queried, the required metrics covered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
