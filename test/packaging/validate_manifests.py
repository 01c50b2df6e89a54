"""Validates rendered Helm manifests (scripts/packaging/check.sh runs it).

    python3 validate_manifests.py --k8s 1.28.0 --k8s 1.37.0 [--expect KIND ...]
        [--existing-secret NAME]... [--expect-failure TEXT] FILE...

Two kinds of check:
1. Schema: every object against the Kubernetes API's JSON schemas of each
   --k8s version, strict (an unknown field fails, as `kubectl apply
   --validate=strict` would). The schemas come from the kubernetes-validate
   package (PyPI), which ships them per Kubernetes version. Custom resources
   have no schema there: a PrometheusRule is checked against PROMETHEUS_RULE
   below (the fields of the Prometheus Operator's CRD, strict), a
   ServiceMonitor gets the reference checks only.
2. References, which no schema sees: Services, PDBs, NetworkPolicies and
   ServiceMonitors select pods or Services that exist; named ports exist;
   HPAs target an existing Deployment that leaves replicas to them; every
   Secret and ConfigMap a pod reads is rendered (or is --existing-secret);
   no container sets an env variable twice;
   every Deployment runs non-root on a read-only root filesystem with /tmp
   writable, probes /health and /ready, spreads its pods and has an `ops`
   port (/health, /ready, /metrics), which the ServiceMonitor scrapes and no
   Ingress, NodePort or LoadBalancer publishes; the hook Job runs migrate,
   topology apply and schemas register; the dashboard is JSON; every alert
   has a severity, a summary, a description and a runbook_url whose anchor is
   a heading of docs/operability.md (--runbooks).
3. Credentials: no env value or ConfigMap entry is a literal secret (a
   variable named for a password, secret, token or key, or a URL with a
   password in it): secrets arrive by secretKeyRef or as files (*_FILE);
   every file an env variable names (*_FILE, *_CA_FILE, KAFKA_SSL_CERT_FILE,
   ...) and every sslrootcert, sslcert and sslkey of a rendered PostgreSQL URL
   the container reads is held by a read-only volume mounted in that
   container (for a Secret volume with items, one of its items); and each
   container gets the TLS settings and credentials of the dependencies it
   talks to only (DEPENDENCIES); every secretKeyRef that is not optional
   names a key its Secret holds, where that Secret is rendered (else the pod
   would not start); the key-encryption keys of personal data
   (PERSONAL_DATA_KEK, PERSONAL_DATA_PREVIOUS_KEKS) reach the gateway, from
   the Secret, and no other container.

Prints one line per failure and exits 1 on any; with --expect-failure TEXT it
succeeds only when an error containing TEXT is reported (to prove that a broken
manifest is caught).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import yaml
from kubernetes_validate import utils as kv

CUSTOM_RESOURCES = {("monitoring.coreos.com/v1", "ServiceMonitor"), ("monitoring.coreos.com/v1", "PrometheusRule")}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The spec of monitoring.coreos.com/v1 PrometheusRule, as the Prometheus Operator's CRD declares it.
DURATION = {"type": "string", "pattern": r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"}
STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
PROMETHEUS_RULE = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "groups": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name"],
                        "properties": {
                            "name": {"type": "string", "minLength": 1},
                            "interval": DURATION,
                            "query_offset": DURATION,
                            "limit": {"type": "integer"},
                            "partial_response_strategy": {"type": "string"},
                            "labels": STRINGS,
                            "rules": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["expr"],
                                    "properties": {
                                        "alert": {"type": "string"},
                                        "record": {"type": "string"},
                                        "expr": {"type": ["string", "integer"]},
                                        "for": DURATION,
                                        "keep_firing_for": {**DURATION, "minLength": 1},
                                        "labels": STRINGS,
                                        "annotations": STRINGS,
                                    },
                                },
                            },
                        },
                    },
                }
            },
        }
    },
}


def heading_anchors(markdown_path: str) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file."""
    anchors = set()
    with open(markdown_path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                title = line.lstrip("#").strip().lower()
                anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def load(files: list[str]) -> list[dict]:
    objects = []
    for path in files:
        with open(path, encoding="utf-8") as handle:
            for document in yaml.safe_load_all(handle):
                if document:
                    document.setdefault("__file", path)
                    objects.append(document)
    return objects


def name_of(obj: dict) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def strip(obj: dict) -> dict:
    return {key: value for key, value in obj.items() if key != "__file"}


def schema_errors(objects: list[dict], versions: list[str]) -> list[str]:
    errors = []
    for obj in objects:
        if (obj.get("apiVersion"), obj.get("kind")) == ("monitoring.coreos.com/v1", "PrometheusRule"):
            for error in jsonschema.Draft7Validator(PROMETHEUS_RULE).iter_errors(strip(obj)):
                path = ".".join(str(part) for part in error.absolute_path)
                errors.append(f"{name_of(obj)}: PrometheusRule schema: {path}: {error.message}")
        if (obj.get("apiVersion"), obj.get("kind")) in CUSTOM_RESOURCES:
            continue
        for version in versions:
            try:
                kv.validate(strip(obj), version, strict=True)
            except kv.ValidationError as error:
                path = ".".join(str(part) for part in error.absolute_path)
                errors.append(f"{name_of(obj)}: Kubernetes {error.version} schema: {path}: {error.message}")
            except kv.SchemaNotFoundError:
                errors.append(
                    f"{name_of(obj)}: no Kubernetes {version} schema for {obj.get('apiVersion')} {obj.get('kind')}"
                )
    return errors


def matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def pod_template(obj: dict) -> dict:
    spec = obj.get("spec", {})
    if obj.get("kind") == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {})


def pod_spec(obj: dict) -> dict:
    return pod_template(obj).get("spec", {})


def pod_labels(obj: dict) -> dict:
    return pod_template(obj).get("metadata", {}).get("labels", {})


def containers(obj: dict) -> list[dict]:
    spec = pod_spec(obj)
    return spec.get("initContainers", []) + spec.get("containers", [])


# The dependencies whose TLS settings and credentials each container may get: the gateway talks to
# PostgreSQL and Redis, the relay to PostgreSQL, Kafka and the registry, the projector to all four;
# the hook Job's steps to one each. Keys: a Deployment's component, or a (Cron)Job container's name.
DEPENDENCIES = {
    "gateway": {"postgresql", "redis"},
    "relay": {"postgresql", "kafka", "registry"},
    "projector": {"postgresql", "kafka", "registry", "redis"},
    "migrate": {"postgresql"},
    "topology": {"kafka"},
    "schemas": {"registry"},
    # pgBackRest's: the backup exporter and the backup CronJobs' containers reach the repository and the
    # database host's pgBackRest server, none of the services' dependencies.
    "backup-exporter": set(),
    "stanza-create": set(),
    "backup": set(),
}
# Which dependency a security variable, or a file mounted under SECRET_DIR/<name>, belongs to.
SECURITY_VARIABLES = [
    (re.compile(r"^KAFKA_(SECURITY_PROTOCOL|SSL_|SASL_|OAUTH_)"), "kafka"),
    (re.compile(r"^SCHEMA_REGISTRY_(USERNAME|PASSWORD|BEARER_TOKEN|CA_FILE)"), "registry"),
    (re.compile(r"^REDIS_(USERNAME|PASSWORD|CA_FILE)"), "redis"),
]
SECRET_DIR = "/etc/eventline/secrets/"
MOUNT_PREFIXES = {"postgresql-": "postgresql", "kafka-": "kafka", "schema-registry-": "registry", "redis-": "redis"}
# A variable whose name says it holds a secret, unless it names a file (*_FILE).
CREDENTIAL_NAME = re.compile(r"(PASSWORD|PASSPHRASE|SECRET|TOKEN|CREDENTIALS?|API_?KEY|PRIVATE_KEY|KEKS?)$")
# The key-encryption keys of personal data (docs/privacy.md): the gateway seals and opens personal data, and it
# alone gets them, each from the Secret key of its own name.
KEK_VARIABLES = ("PERSONAL_DATA_KEK", "PERSONAL_DATA_PREVIOUS_KEKS")
KEK_VARIABLE = re.compile(r"^PERSONAL_DATA_(PREVIOUS_)?KEKS?(_FILE)?$")
KEK_OWNER = "gateway"
URL_WITH_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/?#@\s]*:[^/?#@\s]+@", re.IGNORECASE)
FILE_PARAMETERS = ("sslrootcert", "sslcert", "sslkey")


def literal_credential(name: str, value: object) -> str | None:
    """Why an env value or ConfigMap entry is a secret given in the clear, or None."""
    if name.endswith("_FILE") or value in (None, ""):
        return None
    if CREDENTIAL_NAME.search(name):
        return f"{name} is a literal credential; reference a Secret (secretKeyRef, or a mounted file and {name}_FILE)"
    if URL_WITH_PASSWORD.search(str(value)):
        return f"{name} is a URL with a password in it; keep it in a Secret (secretKeyRef)"
    return None


def file_holder(path: str, container: dict, volumes: dict[str, dict]) -> str | None:
    """What is wrong with a file a container is told to read, or None when a read-only mounted volume holds it."""
    for mount in container.get("volumeMounts", []):
        root = mount.get("mountPath", "").rstrip("/") + "/"
        if not path.startswith(root):
            continue
        volume = volumes.get(mount.get("name"), {})
        source = volume.get("secret") or volume.get("configMap") or volume.get("projected")
        if source is None:
            return f"{path} is on volume {mount.get('name')}, which is no Secret, ConfigMap or projected volume"
        if mount.get("readOnly") is not True:
            return f"{path} is on volume {mount.get('name')}, which is not mounted read-only"
        items = source.get("items")
        relative = path[len(root):]
        if items is not None and relative not in {item.get("path") for item in items}:
            return f"{path}: volume {mount.get('name')} has no item {relative!r}"
        return None
    return f"{path} is held by no volume mounted in the container"


def dependency_of(name: str) -> str | None:
    for pattern, dependency in SECURITY_VARIABLES:
        if pattern.search(name):
            return dependency
    return None


def reference_errors(objects: list[dict], existing_secrets: list[str], runbooks: str) -> list[str]:
    errors: list[str] = []
    by_kind: dict[str, list[dict]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
    deployments = by_kind.get("Deployment", [])
    workloads = deployments + by_kind.get("Job", []) + by_kind.get("CronJob", [])
    services = by_kind.get("Service", [])
    secrets = {obj["metadata"]["name"] for obj in by_kind.get("Secret", [])}
    secrets.update(existing_secrets)
    config_maps = {obj["metadata"]["name"] for obj in by_kind.get("ConfigMap", [])}
    secret_data = {
        obj["metadata"]["name"]: {
            **{key: base64.b64decode(value).decode("utf-8", "replace") for key, value in (obj.get("data") or {}).items()},
            **(obj.get("stringData") or {}),
        }
        for obj in by_kind.get("Secret", [])
    }

    def fail(obj: dict, message: str) -> None:
        errors.append(f"{name_of(obj)}: {message}")

    def pods_selected(selector: dict) -> list[dict]:
        return [d for d in deployments if matches(selector, pod_labels(d))]

    def port_names(deployment: dict) -> set[str]:
        return {p.get("name") for c in pod_spec(deployment).get("containers", []) for p in c.get("ports", [])}

    def credential_errors(workload: dict, container: dict, where: str) -> None:
        volumes = {volume["name"]: volume for volume in pod_spec(workload).get("volumes", [])}
        owner = (
            container["name"]
            if workload["kind"] in ("Job", "CronJob")
            else pod_labels(workload).get("app.kubernetes.io/component", container["name"])
        )
        allowed = DEPENDENCIES.get(owner)
        for env in container.get("env", []):
            name, value = env["name"], env.get("value")
            problem = literal_credential(name, value)
            if problem:
                fail(workload, f"{where}: env {problem}")
            if name.endswith("_FILE") and value:
                problem = file_holder(value, container, volumes)
                if problem:
                    fail(workload, f"{where}: env {name}: {problem}")
            dependency = dependency_of(name)
            if allowed is not None and dependency and dependency not in allowed:
                fail(workload, f"{where}: env {name} configures {dependency}, which {owner} does not talk to")
            if KEK_VARIABLE.match(name) and owner != KEK_OWNER:
                fail(
                    workload,
                    f"{where}: env {name} gives {owner} a key-encryption key of personal data; "
                    f"only the {KEK_OWNER} opens personal data",
                )
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            held = secret_data.get(ref.get("name")) if ref else None
            if held is not None and not ref.get("optional") and ref.get("key") not in held:
                fail(
                    workload,
                    f"{where}: env {name} reads key {ref.get('key')} of Secret {ref.get('name')}, which does not hold it "
                    "(and the reference is not optional): the pod would not start",
                )
            # A PostgreSQL URL from a rendered Secret: the files its TLS parameters name must be mounted here.
            url = secret_data.get(ref.get("name"), {}).get(ref.get("key")) if ref else None
            if isinstance(url, str) and url.startswith(("postgres://", "postgresql://")):
                for parameter, path in parse_qsl(urlsplit(url).query):
                    if parameter in FILE_PARAMETERS and path != "system":
                        problem = file_holder(path, container, volumes)
                        if problem:
                            fail(workload, f"{where}: {env['name']}'s {parameter}: {problem}")
        for mount in container.get("volumeMounts", []):
            path = mount.get("mountPath", "")
            if not path.startswith(SECRET_DIR):
                continue
            if mount.get("readOnly") is not True:
                fail(workload, f"{where}: {path} is not mounted read-only")
            leaf = path[len(SECRET_DIR):]
            dependency = next((dep for prefix, dep in MOUNT_PREFIXES.items() if leaf.startswith(prefix)), None)
            if allowed is not None and dependency and dependency not in allowed:
                fail(workload, f"{where}: mounts {path}, a credential of {dependency}, which {owner} does not talk to")

    for workload in workloads:
        spec = pod_spec(workload)
        security = spec.get("securityContext", {})
        if security.get("runAsNonRoot") is not True:
            fail(workload, "pod securityContext.runAsNonRoot is not true")
        tmp_volumes = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
        for container in containers(workload):
            where = f"container {container['name']}"
            context = container.get("securityContext", {})
            if context.get("readOnlyRootFilesystem") is not True:
                fail(workload, f"{where}: readOnlyRootFilesystem is not true")
            if context.get("allowPrivilegeEscalation") is not False:
                fail(workload, f"{where}: allowPrivilegeEscalation is not false")
            if "ALL" not in context.get("capabilities", {}).get("drop", []):
                fail(workload, f"{where}: capabilities do not drop ALL")
            if not any(m.get("mountPath") == "/tmp" and m.get("name") in tmp_volumes for m in container.get("volumeMounts", [])):
                fail(workload, f"{where}: no writable emptyDir at /tmp")
            if not container.get("resources", {}).get("requests"):
                fail(workload, f"{where}: no resource requests")
            for source in container.get("envFrom", []):
                ref = source.get("configMapRef") or source.get("secretRef") or {}
                pool = config_maps if "configMapRef" in source else secrets
                if ref.get("name") not in pool and not ref.get("optional"):
                    fail(workload, f"{where}: envFrom names {ref.get('name')}, which is not rendered")
            names = [env["name"] for env in container.get("env", [])]
            for name in sorted({name for name in names if names.count(name) > 1}):
                # Kubernetes keeps the last and warns; the chart means an extraEnv entry to replace its own.
                fail(workload, f"{where}: env {name} is set more than once")
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref.get("name") not in secrets:
                    fail(workload, f"{where}: env {env['name']} reads Secret {ref.get('name')}, which is not rendered")
                ref = env.get("valueFrom", {}).get("configMapKeyRef")
                if ref and ref.get("name") not in config_maps:
                    fail(workload, f"{where}: env {env['name']} reads ConfigMap {ref.get('name')}, which is not rendered")
            credential_errors(workload, container, where)

    for deployment in deployments:
        spec = pod_spec(deployment)
        selector = deployment["spec"].get("selector", {}).get("matchLabels", {})
        if not matches(selector, pod_labels(deployment)):
            fail(deployment, "spec.selector does not match the pod template's labels")
        if not spec.get("topologySpreadConstraints"):
            fail(deployment, "no topologySpreadConstraints")
        if pod_labels(deployment).get("app.kubernetes.io/component") == KEK_OWNER:
            for container in spec.get("containers", []):
                refs = {
                    env["name"]: env.get("valueFrom", {}).get("secretKeyRef") or {} for env in container.get("env", [])
                }
                for variable in KEK_VARIABLES:
                    if refs.get(variable, {}).get("key") != variable:
                        fail(
                            deployment,
                            f"container {container['name']}: env {variable} does not come from the Secret's key {variable} "
                            "(without a key-encryption key the gateway refuses personal data)",
                        )
        for container in spec.get("containers", []):
            probes = {
                kind: container.get(kind, {}).get("httpGet", {}).get("path")
                for kind in ("livenessProbe", "readinessProbe")
            }
            if probes != {"livenessProbe": "/health", "readinessProbe": "/ready"}:
                fail(deployment, f"container {container['name']}: probes are {probes}, want /health and /ready")
            if "ops" not in {p.get("name") for p in container.get("ports", [])}:
                fail(deployment, f"container {container['name']}: no port named ops (/health, /ready, /metrics)")
            for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
                port = container.get(kind, {}).get("httpGet", {}).get("port")
                if isinstance(port, str) and port not in port_names(deployment):
                    fail(deployment, f"container {container['name']}: {kind} port {port} is not a container port")

    for service in services:
        selected = pods_selected(service["spec"].get("selector", {}))
        if not selected:
            fail(service, "its selector matches no Deployment's pods")
        for port in service["spec"].get("ports", []):
            target = port.get("targetPort")
            if isinstance(target, str) and any(target not in port_names(d) for d in selected):
                fail(service, f"targetPort {target} is not a port of the pods it selects")
            if target == "ops" and service["spec"].get("type", "ClusterIP") != "ClusterIP":
                fail(service, f"a {service['spec']['type']} Service publishes the ops port (/metrics)")

    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        target = hpa["spec"]["scaleTargetRef"]
        found = [d for d in deployments if d["metadata"]["name"] == target["name"] and target["kind"] == "Deployment"]
        if not found:
            fail(hpa, f"scaleTargetRef {target['kind']}/{target['name']} is not rendered")
        elif "replicas" in found[0]["spec"]:
            fail(hpa, f"Deployment {target['name']} sets replicas, which fights the autoscaler")
        if hpa["spec"]["minReplicas"] > hpa["spec"]["maxReplicas"]:
            fail(hpa, "minReplicas exceeds maxReplicas")

    for pdb in by_kind.get("PodDisruptionBudget", []):
        if not pods_selected(pdb["spec"].get("selector", {}).get("matchLabels", {})):
            fail(pdb, "its selector matches no Deployment's pods")

    for policy in by_kind.get("NetworkPolicy", []):
        selected = pods_selected(policy["spec"].get("podSelector", {}).get("matchLabels", {}))
        if not selected:
            fail(policy, "its podSelector matches no Deployment's pods")
        for rule in policy["spec"].get("ingress", []):
            for port in rule.get("ports", []):
                if isinstance(port.get("port"), str) and any(port["port"] not in port_names(d) for d in selected):
                    fail(policy, f"ingress port {port['port']} is not a port of the pods it selects")

    service_names = {s["metadata"]["name"]: s for s in services}
    for ingress in by_kind.get("Ingress", []):
        for rule in ingress["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                backend = path["backend"]["service"]
                service = service_names.get(backend["name"])
                if service is None:
                    fail(ingress, f"backend Service {backend['name']} is not rendered")
                elif backend["port"].get("name") not in {p.get("name") for p in service["spec"]["ports"]}:
                    fail(ingress, f"backend port {backend['port']} is not a port of Service {backend['name']}")
                elif backend["port"].get("name") == "ops":
                    fail(ingress, f"publishes the ops port (/metrics) of Service {backend['name']}")

    for monitor in by_kind.get("ServiceMonitor", []):
        selector = monitor["spec"].get("selector", {}).get("matchLabels", {})
        selected = [s for s in services if matches(selector, s["metadata"].get("labels", {}))]
        if len(selected) < 3:
            fail(monitor, f"selects {len(selected)} Services, want the gateway's, relay's and projector's")
        for endpoint in monitor["spec"].get("endpoints", []):
            if any(endpoint.get("port") not in {p.get("name") for p in s["spec"]["ports"]} for s in selected):
                fail(monitor, f"endpoint port {endpoint.get('port')} is missing from a selected Service")
            if endpoint.get("path") != "/metrics":
                fail(monitor, "endpoint path is not /metrics")
            if endpoint.get("port") != "ops":
                fail(monitor, f"endpoint port is {endpoint.get('port')}, want ops: /metrics is served there only")

    anchors = heading_anchors(runbooks) if by_kind.get("PrometheusRule") else set()
    for rule_set in by_kind.get("PrometheusRule", []):
        for group in rule_set.get("spec", {}).get("groups", []):
            for rule in group.get("rules", []):
                if "alert" not in rule:
                    continue
                where = f"alert {rule['alert']}"
                if not rule.get("labels", {}).get("severity"):
                    fail(rule_set, f"{where}: no severity label")
                annotations = rule.get("annotations", {})
                for key in ("summary", "description", "runbook_url"):
                    if not annotations.get(key):
                        fail(rule_set, f"{where}: no {key} annotation")
                anchor = annotations.get("runbook_url", "").partition("#")[2]
                if annotations.get("runbook_url") and anchor not in anchors:
                    fail(rule_set, f"{where}: runbook_url anchor #{anchor} is no heading of {runbooks}")

    for job in by_kind.get("Job", []):
        hooks = set(job["metadata"].get("annotations", {}).get("helm.sh/hook", "").split(","))
        if not {"pre-install", "pre-upgrade"} <= hooks:
            fail(job, "is not a pre-install and pre-upgrade hook")
        commands = [" ".join(c.get("args", [])) for c in containers(job)]
        wanted = [
            "dist/services/cli/main.js migrate",
            "dist/services/cli/main.js topology apply",
            "dist/services/cli/main.js schemas register",
        ]
        if len(commands) != len(wanted) or not all(c.startswith(w) for c, w in zip(commands, wanted)):
            fail(job, f"runs {commands}, want {wanted} in that order")

    for config_map in by_kind.get("ConfigMap", []):
        for key, value in config_map.get("data", {}).items():
            problem = literal_credential(key, value)
            if problem and not key.endswith(".json"):
                fail(config_map, f"data {problem}")
            if key.endswith(".json"):
                try:
                    json.loads(value)
                except ValueError as error:
                    fail(config_map, f"{key} is not JSON: {error}")
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k8s", action="append", required=True, help="Kubernetes version(s) to validate against")
    parser.add_argument("--expect", action="append", default=[], help="a kind that must be rendered")
    parser.add_argument(
        "--existing-secret", action="append", default=[], help="a Secret the release expects to exist already"
    )
    parser.add_argument(
        "--runbooks",
        default=os.path.join(ROOT, "docs", "operability.md"),
        help="the Markdown file whose headings the alerts' runbook_url anchors name",
    )
    parser.add_argument(
        "--expect-failure", metavar="TEXT", help="succeed only if validation fails with an error containing TEXT"
    )
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    objects = load(args.files)
    errors = schema_errors(objects, args.k8s)
    errors += reference_errors(objects, args.existing_secret, args.runbooks)
    kinds = {obj["kind"] for obj in objects}
    errors += [f"no {kind} rendered" for kind in args.expect if kind not in kinds]

    label = args.files[0] if len(args.files) == 1 else os.path.commonpath(args.files) + "/"
    if args.expect_failure is not None:
        caught = [error for error in errors if args.expect_failure in error]
        if caught:
            print(f"ok: {label}: rejected as it should be ({caught[0]})")
            return 0
        print(f"FAILED: {label}: validation did not report {args.expect_failure!r} (it reported {errors or 'nothing'})")
        return 1
    for error in errors:
        print(f"FAILED: {label}: {error}")
    if errors:
        return 1
    print(f"ok: {label}: {len(objects)} objects valid against Kubernetes {', '.join(args.k8s)} (strict) and cross-checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
