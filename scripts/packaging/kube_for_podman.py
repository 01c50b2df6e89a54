"""Turns `helm template` output into what `podman kube play` 4.3 runs as it is.

    python3 kube_for_podman.py RENDERED.yaml --out DIR [--host-network]
    python3 kube_for_podman.py --plan DIR/plan.json QUERY   (one line per answer, for pods.sh)

Writes, under DIR:
  jobs.yaml       every Job as a Pod (restartPolicy Never), with the ConfigMaps it reads
  workloads.yaml  every Deployment, with the ConfigMaps they read
  secrets/<name>.json  every Secret, in the form podman's secretKeyRef lookup reads
  plan.json       what pods.sh needs: pod and container names, each container's
                  readiness probe (path and numeric port), each pod's grace period,
                  the volumes and secrets to remove afterwards
and prints one line per change, then what podman 4.3 leaves unenforced.

Only what podman 4.3.1 cannot take as it is changes (read from its source,
pkg/domain/infra/abi/play.go and pkg/specgen/generate/kube/):
- a Job is skipped without an error: its pod template becomes a Pod;
- a Secret in the file is stored as YAML, while secretKeyRef reads a JSON map of
  base64 values ("secret ... is not valid JSON"): Secrets leave the file and are
  written as such maps, for `podman secret create`;
- a livenessProbe's httpGet becomes `curl -f http://localhost:<port>` (no curl
  in the image, and a named port reads as 0): it becomes an exec of the image's
  own health check, node /app/scripts/packaging/healthcheck.mjs <path> <port>,
  so `podman healthcheck run` works;
- an emptyDir becomes a named volume called after the pod's volume, so every
  pod's `tmp` would be one shared volume: each is renamed <pod>-<volume>;
- kinds podman skips (Service, NetworkPolicy, PodDisruptionBudget,
  HorizontalPodAutoscaler, ServiceAccount, ServiceMonitor, Ingress, ...) and
  ConfigMaps no pod reads are left out, each named;
- with --host-network, pods get hostNetwork: true (no Services or cluster DNS
  here; the services reach the machine's 127.0.0.1 and are reached there), and
  their containers' ports go: podman publishes every containerPort as a host
  port, which a host-network pod refuses ("PortMappings can only be used with
  Bridge or slirp4netns networking").
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import os
import sys
from typing import Any

import yaml

HEALTHCHECK = "/app/scripts/packaging/healthcheck.mjs"
SKIPPED_KINDS = {
    "Service": "no Services here: pods reach each other and are reached on the host network",
    "NetworkPolicy": "podman enforces no NetworkPolicy",
    "PodDisruptionBudget": "no evictions here",
    "HorizontalPodAutoscaler": "no autoscaling here",
    "ServiceAccount": "no Kubernetes API here",
    "ServiceMonitor": "no Prometheus Operator here",
    "PrometheusRule": "no Prometheus Operator here",
    "Ingress": "no ingress controller here",
}


class Conversion:
    def __init__(self) -> None:
        self.changes: list[str] = []
        self.unenforced: list[str] = []

    def change(self, text: str) -> None:
        self.changes.append(text)

    def note(self, text: str) -> None:
        if text not in self.unenforced:
            self.unenforced.append(text)


def load(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if isinstance(doc, dict) and doc.get("kind")]


def secret_as_podman_json(secret: dict[str, Any]) -> dict[str, str]:
    """podman 4.3's secretKeyRef reads json.Unmarshal into map[string][]byte: base64 values."""
    values: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        values[key] = value
    for key, value in (secret.get("stringData") or {}).items():
        values[key] = base64.b64encode(str(value).encode()).decode()
    return values


def named_port(container: dict[str, Any], port: Any, where: str) -> int:
    if isinstance(port, int):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    for declared in container.get("ports") or []:
        if declared.get("name") == port:
            return int(declared["containerPort"])
    raise ValueError(f"{where}: port {port!r} is not a port of container {container.get('name')}")


def http_probe(container: dict[str, Any], probe_name: str, where: str) -> dict[str, Any] | None:
    probe = container.get(probe_name)
    if not probe or "httpGet" not in probe:
        return None
    get = probe["httpGet"]
    return {"path": get.get("path", "/"), "port": named_port(container, get.get("port"), where)}


def convert_pod_spec(pod_name: str, spec: dict[str, Any], host_network: bool, conv: Conversion, where: str) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    if host_network and not spec.get("hostNetwork"):
        spec["hostNetwork"] = True
        conv.change(f"{where}: hostNetwork: true (no Services or cluster DNS; 127.0.0.1 is the machine's)")
    renamed: dict[str, str] = {}
    for volume in spec.get("volumes") or []:
        if "emptyDir" in volume:
            new = f"{pod_name}-{volume['name']}"
            renamed[volume["name"]] = new
            conv.change(f"{where}: emptyDir {volume['name']} named {new} (podman names the volume after it, shared by every pod otherwise)")
            if volume["emptyDir"].get("sizeLimit"):
                conv.note("emptyDir sizeLimit")
            volume["name"] = new
    for kind in ("initContainers", "containers"):
        for container in spec.get(kind) or []:
            for mount in container.get("volumeMounts") or []:
                if mount.get("name") in renamed:
                    mount["name"] = renamed[mount["name"]]
            cwhere = f"{where}/{container['name']}"
            liveness = container.get("livenessProbe")
            if liveness and "httpGet" in liveness:
                target = http_probe(container, "livenessProbe", cwhere)
                assert target is not None
                probe = {k: v for k, v in liveness.items() if k != "httpGet"}
                probe["exec"] = {"command": ["node", HEALTHCHECK, target["path"], str(target["port"])]}
                container["livenessProbe"] = probe
                conv.change(
                    f"{cwhere}: livenessProbe httpGet {target['path']} on port {liveness['httpGet'].get('port')} "
                    f"-> exec node healthcheck.mjs {target['path']} {target['port']} (podman would run curl, which the image lacks)"
                )
            if host_network and container.get("ports"):
                listed = ", ".join(f"{p.get('name', '?')} {p['containerPort']}" for p in container["ports"])
                del container["ports"]
                conv.change(
                    f"{cwhere}: ports ({listed}) left out (podman 4.3 publishes every containerPort as a host port, "
                    "which the host network refuses; there the process's own port is the host's)"
                )
            if container.get("readinessProbe") or container.get("startupProbe"):
                conv.note("readiness and startup probes (pods.sh polls the readiness path itself)")
            if container.get("lifecycle"):
                conv.note("lifecycle hooks such as preStop (pods.sh sends SIGTERM at once)")
            if (container.get("resources") or {}).get("requests"):
                conv.note("resource requests (limits are applied)")
    if spec.get("terminationGracePeriodSeconds") is not None:
        conv.note("terminationGracePeriodSeconds (pods.sh stops each pod with it as podman's timeout)")
    for field, text in (
        ("topologySpreadConstraints", "topology spread constraints"),
        ("affinity", "affinity"),
        ("nodeSelector", "node selectors"),
        ("tolerations", "tolerations"),
    ):
        if spec.get(field):
            conv.note(f"{text} (one machine)")
    if (spec.get("securityContext") or {}).get("fsGroup") is not None:
        conv.note("fsGroup (volumes keep the image's ownership)")
    return spec


def plan_containers(spec: dict[str, Any], where: str) -> list[dict[str, Any]]:
    result = []
    for container in spec.get("containers") or []:
        startup = container.get("startupProbe") or {}
        result.append(
            {
                "name": container["name"],
                "ports": [int(p["containerPort"]) for p in container.get("ports") or []],
                "readiness": http_probe(container, "readinessProbe", f"{where}/{container['name']}"),
                # How long the chart lets it come up: the startup probe's window.
                "startupWindowSeconds": startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3)
                if startup
                else 120,
            }
        )
    return result


def config_maps_read(spec: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for kind in ("initContainers", "containers"):
        for container in spec.get(kind) or []:
            for source in container.get("envFrom") or []:
                if "configMapRef" in source:
                    names.add(source["configMapRef"]["name"])
            for env in container.get("env") or []:
                ref = (env.get("valueFrom") or {}).get("configMapKeyRef")
                if ref:
                    names.add(ref["name"])
    for volume in spec.get("volumes") or []:
        if "configMap" in volume:
            names.add(volume["configMap"]["name"])
    return names


def convert(documents: list[dict[str, Any]], host_network: bool = False) -> tuple[dict[str, Any], Conversion]:
    """Returns ({"jobs": [...], "workloads": [...], "config_maps": {...}, "secrets": {...}, "plan": {...}}, conversion)."""
    conv = Conversion()
    jobs: list[dict[str, Any]] = []
    workloads: list[dict[str, Any]] = []
    config_maps: dict[str, dict[str, Any]] = {}
    secrets: dict[str, dict[str, str]] = {}
    plan: dict[str, Any] = {"jobs": [], "workloads": [], "secrets": [], "volumes": []}
    left_out: dict[str, list[str]] = {}

    for doc in documents:
        kind, name = doc["kind"], doc.get("metadata", {}).get("name", "?")
        if kind == "ConfigMap":
            config_maps[name] = doc
        elif kind == "Secret":
            secrets[name] = secret_as_podman_json(doc)
            conv.change(f"Secret {name}: out of the file, to `podman secret create {name}` as a JSON map of base64 values")
        elif kind == "Job":
            template = doc["spec"]["template"]
            pod_spec = convert_pod_spec(name, template["spec"], host_network, conv, f"Job {name}")
            if pod_spec.get("restartPolicy") != "Never":
                conv.change(f"Job {name}: restartPolicy {pod_spec.get('restartPolicy')} -> Never")
                pod_spec["restartPolicy"] = "Never"
            metadata = {"name": name, "labels": dict(template.get("metadata", {}).get("labels") or {})}
            if template.get("metadata", {}).get("annotations"):
                metadata["annotations"] = dict(template["metadata"]["annotations"])
            jobs.append({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod_spec})
            conv.change(f"Job {name} -> Pod {name} (its pod template, restartPolicy Never; podman skips Jobs)")
            for field in ("backoffLimit", "activeDeadlineSeconds"):
                if field in doc["spec"]:
                    conv.note(f"Job {field} (pods.sh runs the pod once, with its own deadline)")
            plan["jobs"].append(
                {
                    "pod": name,
                    "initContainers": [c["name"] for c in pod_spec.get("initContainers") or []],
                    "containers": [c["name"] for c in pod_spec.get("containers") or []],
                    "deadlineSeconds": doc["spec"].get("activeDeadlineSeconds"),
                }
            )
            plan["volumes"] += [v["name"] for v in pod_spec.get("volumes") or [] if "emptyDir" in v]
        elif kind == "Deployment":
            replicas = doc["spec"].get("replicas", 1)
            template = doc["spec"]["template"]
            pod_names = [f"{name}-pod-{i}" for i in range(replicas)]
            if replicas > 1 and host_network:
                raise ValueError(f"Deployment {name}: {replicas} replicas on the host network would share one port; render it with 1")
            new = copy.deepcopy(doc)
            # podman names a Deployment's pods <name>-pod-<i>; the volume follows the Deployment.
            new["spec"]["template"]["spec"] = convert_pod_spec(name, template["spec"], host_network, conv, f"Deployment {name}")
            workloads.append(new)
            plan["workloads"].append(
                {
                    "deployment": name,
                    "pods": pod_names,
                    "containers": plan_containers(template["spec"], f"Deployment {name}"),
                    "terminationGracePeriodSeconds": template["spec"].get("terminationGracePeriodSeconds", 30),
                }
            )
            plan["volumes"] += [v["name"] for v in new["spec"]["template"]["spec"].get("volumes") or [] if "emptyDir" in v]
            if doc["spec"].get("strategy"):
                conv.note("Deployment rollout strategy (pods are played once)")
        else:
            left_out.setdefault(kind, []).append(name)

    for kind, names in left_out.items():
        reason = SKIPPED_KINDS.get(kind, "podman kube play 4.3 takes Pods, Deployments, ConfigMaps and PVCs")
        conv.change(f"{kind} {', '.join(names)}: left out ({reason})")

    read_by_jobs = set().union(*[config_maps_read(p["spec"]) for p in jobs]) if jobs else set()
    read_by_workloads = (
        set().union(*[config_maps_read(d["spec"]["template"]["spec"]) for d in workloads]) if workloads else set()
    )
    for name in sorted(config_maps):
        if name not in read_by_jobs | read_by_workloads:
            conv.change(f"ConfigMap {name}: left out (no pod reads it)")
    for name in sorted((read_by_jobs | read_by_workloads) - set(config_maps)):
        raise ValueError(f"a pod reads ConfigMap {name}, which the rendered chart does not contain")

    plan["secrets"] = sorted(secrets)
    return (
        {
            "jobs": [config_maps[n] for n in sorted(read_by_jobs)] + jobs,
            "workloads": [config_maps[n] for n in sorted(read_by_workloads)] + workloads,
            "secrets": secrets,
            "plan": plan,
        },
        conv,
    )


def dump(documents: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False)


PLAN_QUERIES = {
    "job-pods": lambda plan: [job["pod"] for job in plan["jobs"]],
    "job-containers": lambda plan: [f"{job['pod']}-{name}" for job in plan["jobs"] for name in job["containers"]],
    "job-deadline": lambda plan: [str(job["deadlineSeconds"] or 600) for job in plan["jobs"]][:1],
    "workload-pods": lambda plan: [pod for w in plan["workloads"] for pod in w["pods"]],
    "readiness": lambda plan: [
        f"{pod} {c['name']} {c['readiness']['path']} {c['readiness']['port']}"
        for w in plan["workloads"]
        for pod in w["pods"]
        for c in w["containers"]
        if c["readiness"]
    ],
    "grace": lambda plan: [f"{pod} {w['terminationGracePeriodSeconds']}" for w in plan["workloads"] for pod in w["pods"]],
    "ports": lambda plan: [str(port) for w in plan["workloads"] for c in w["containers"] for port in c["ports"]],
    "startup-window": lambda plan: [str(max([c["startupWindowSeconds"] for w in plan["workloads"] for c in w["containers"]] or [120]))],
    "gateway-port": lambda plan: [
        str(c["readiness"]["port"]) for w in plan["workloads"] if w["deployment"].endswith("-gateway") for c in w["containers"]
    ],
    "volumes": lambda plan: plan["volumes"],
    "secrets": lambda plan: plan["secrets"],
}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--plan"]:
        if len(argv) != 3 or argv[2] not in PLAN_QUERIES:
            print(f"usage: kube_for_podman.py --plan PLAN.json <{'|'.join(PLAN_QUERIES)}>", file=sys.stderr)
            return 2
        with open(argv[1], encoding="utf-8") as handle:
            for line in PLAN_QUERIES[argv[2]](json.load(handle)):
                print(line)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rendered")
    parser.add_argument("--out", required=True)
    parser.add_argument("--host-network", action="store_true")
    args = parser.parse_args(argv)
    with open(args.rendered, encoding="utf-8") as handle:
        documents = load(handle.read())
    try:
        result, conv = convert(documents, host_network=args.host_network)
    except ValueError as error:
        print(f"kube_for_podman: {error}", file=sys.stderr)
        return 1
    os.makedirs(os.path.join(args.out, "secrets"), exist_ok=True)
    with open(os.path.join(args.out, "jobs.yaml"), "w", encoding="utf-8") as handle:
        handle.write(dump(result["jobs"]))
    with open(os.path.join(args.out, "workloads.yaml"), "w", encoding="utf-8") as handle:
        handle.write(dump(result["workloads"]))
    for name, values in result["secrets"].items():
        path = os.path.join(args.out, "secrets", f"{name}.json")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
            json.dump(values, handle)
    with open(os.path.join(args.out, "plan.json"), "w", encoding="utf-8") as handle:
        json.dump(result["plan"], handle, indent=2)
    print(f"converted {args.rendered} for podman kube play 4.3 ({len(conv.changes)} changes):")
    for line in conv.changes:
        print(f"  changed: {line}")
    if conv.unenforced:
        print("  not enforced by podman 4.3 (kept in the YAML, or done by pods.sh): " + "; ".join(conv.unenforced))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
