"""Unit tests of scripts/packaging/kube_for_podman.py (the step `make pods` runs
between `helm template` and `podman kube play`):

    python3 test/packaging/test_kube_for_podman.py   (unittest; `-m unittest` would find the
    standard library's own `test` package first)

Each test feeds a small rendered manifest and checks what podman 4.3 would be
given, what is left out, and what pods.sh is told (the plan).
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import stat
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "packaging"))

import kube_for_podman as k  # noqa: E402

CONFIG_MAP = """
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {LOG_LEVEL: info}
"""
DASHBOARD = """
apiVersion: v1
kind: ConfigMap
metadata: {name: dashboard}
data: {board.json: '{}'}
"""
SECRET = """
apiVersion: v1
kind: Secret
metadata: {name: creds}
type: Opaque
data: {TOKEN: c2VjcmV0}
stringData: {DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db'}
"""
DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: app-gateway}
spec:
  replicas: 1
  strategy: {type: RollingUpdate}
  template:
    metadata: {labels: {app: gateway}}
    spec:
      terminationGracePeriodSeconds: 30
      securityContext: {runAsUser: 10001, fsGroup: 10001}
      containers:
        - name: gateway
          image: eventline:0.1.0
          ports:
            - {name: http, containerPort: 3100}
            - {name: ops, containerPort: 9200}
          envFrom: [{configMapRef: {name: settings}}]
          env:
            - name: DATABASE_URL
              valueFrom: {secretKeyRef: {name: creds, key: DATABASE_URL}}
          startupProbe: {httpGet: {path: /health, port: http}, periodSeconds: 2, failureThreshold: 60}
          livenessProbe: {httpGet: {path: /health, port: http}, periodSeconds: 10, timeoutSeconds: 3}
          readinessProbe: {httpGet: {path: /ready, port: ops}, periodSeconds: 5}
          lifecycle: {preStop: {exec: {command: [sleep, '5']}}}
          resources: {requests: {cpu: 250m}, limits: {memory: 512Mi}}
          volumeMounts: [{name: tmp, mountPath: /tmp}]
      volumes:
        - name: tmp
          emptyDir: {sizeLimit: 64Mi}
"""
JOB = """
apiVersion: batch/v1
kind: Job
metadata:
  name: app-migrations
  annotations: {helm.sh/hook: pre-install}
spec:
  backoffLimit: 2
  activeDeadlineSeconds: 600
  template:
    metadata: {labels: {app: migrations}}
    spec:
      restartPolicy: OnFailure
      initContainers:
        - name: migrate
          image: eventline:0.1.0
          args: [dist/services/cli/main.js, migrate]
          volumeMounts: [{name: tmp, mountPath: /tmp}]
      containers:
        - name: schemas
          image: eventline:0.1.0
          args: [dist/services/cli/main.js, schemas, register]
          envFrom: [{configMapRef: {name: settings}}]
          volumeMounts: [{name: tmp, mountPath: /tmp}]
      volumes:
        - name: tmp
          emptyDir: {}
"""
OTHERS = """
apiVersion: v1
kind: Service
metadata: {name: app-gateway}
spec: {ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: app-gateway}
spec: {podSelector: {}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: app-gateway}
spec: {maxReplicas: 3}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: odd}
"""


def read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def documents(*parts: str) -> list[dict]:
    return k.load("\n---\n".join(textwrap.dedent(p) for p in parts))


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


class JobBecomesAPod(unittest.TestCase):
    def setUp(self) -> None:
        self.result, self.conv = k.convert(documents(CONFIG_MAP, JOB))
        self.pod = by_kind(self.result["jobs"], "Pod")[0]

    def test_the_pod_template_runs_once_as_a_pod(self) -> None:
        self.assertEqual(self.pod["metadata"]["name"], "app-migrations")
        self.assertEqual(self.pod["metadata"]["labels"], {"app": "migrations"})
        self.assertEqual(self.pod["spec"]["restartPolicy"], "Never")
        self.assertEqual([c["name"] for c in self.pod["spec"]["initContainers"]], ["migrate"])
        self.assertEqual([c["name"] for c in self.pod["spec"]["containers"]], ["schemas"])
        self.assertFalse(by_kind(self.result["jobs"], "Job"))

    def test_the_configmap_it_reads_travels_with_it(self) -> None:
        self.assertEqual([d["metadata"]["name"] for d in by_kind(self.result["jobs"], "ConfigMap")], ["settings"])

    def test_the_change_is_printed_and_job_limits_noted(self) -> None:
        self.assertTrue(any("Job app-migrations -> Pod app-migrations" in c for c in self.conv.changes))
        self.assertTrue(any("restartPolicy OnFailure -> Never" in c for c in self.conv.changes))
        self.assertTrue(any("backoffLimit" in n for n in self.conv.unenforced))

    def test_the_plan_names_its_containers_and_deadline(self) -> None:
        self.assertEqual(
            self.result["plan"]["jobs"],
            [{"pod": "app-migrations", "initContainers": ["migrate"], "containers": ["schemas"], "deadlineSeconds": 600}],
        )


class Secrets(unittest.TestCase):
    def test_a_secret_leaves_the_file_as_a_json_map_of_base64_values(self) -> None:
        result, conv = k.convert(documents(SECRET, CONFIG_MAP, DEPLOYMENT))
        self.assertFalse(by_kind(result["workloads"], "Secret"))
        values = result["secrets"]["creds"]
        self.assertEqual(base64.b64decode(values["TOKEN"]), b"secret")
        self.assertEqual(base64.b64decode(values["DATABASE_URL"]), b"postgres://u:p@127.0.0.1:5432/db")
        self.assertEqual(result["plan"]["secrets"], ["creds"])
        self.assertTrue(any("podman secret create creds" in c for c in conv.changes))

    def test_secret_key_refs_are_left_as_they_are(self) -> None:
        result, _ = k.convert(documents(SECRET, CONFIG_MAP, DEPLOYMENT))
        env = by_kind(result["workloads"], "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["env"]
        self.assertEqual(env[0]["valueFrom"]["secretKeyRef"], {"name": "creds", "key": "DATABASE_URL"})


class Deployments(unittest.TestCase):
    def convert(self, host_network: bool = False):
        result, conv = k.convert(documents(CONFIG_MAP, DEPLOYMENT), host_network=host_network)
        return by_kind(result["workloads"], "Deployment")[0], result, conv

    def test_liveness_http_get_becomes_the_images_health_check_on_a_numeric_port(self) -> None:
        deployment, _, conv = self.convert()
        probe = deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]
        self.assertEqual(probe["exec"]["command"], ["node", k.HEALTHCHECK, "/health", "3100"])
        self.assertNotIn("httpGet", probe)
        self.assertEqual((probe["periodSeconds"], probe["timeoutSeconds"]), (10, 3))
        self.assertTrue(any("livenessProbe httpGet /health on port http" in c for c in conv.changes))

    def test_readiness_is_left_for_pods_sh_with_its_port_resolved(self) -> None:
        deployment, result, _ = self.convert()
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(container["readinessProbe"]["httpGet"], {"path": "/ready", "port": "ops"})
        workload = result["plan"]["workloads"][0]
        self.assertEqual(workload["pods"], ["app-gateway-pod-0"])
        self.assertEqual(workload["terminationGracePeriodSeconds"], 30)
        self.assertEqual(workload["containers"][0]["readiness"], {"path": "/ready", "port": 9200})
        self.assertEqual(workload["containers"][0]["ports"], [3100, 9200])
        self.assertEqual(workload["containers"][0]["startupWindowSeconds"], 120)

    def test_each_pods_empty_dir_gets_a_volume_of_its_own(self) -> None:
        deployment, result, _ = self.convert()
        spec = deployment["spec"]["template"]["spec"]
        self.assertEqual(spec["volumes"], [{"name": "app-gateway-tmp", "emptyDir": {"sizeLimit": "64Mi"}}])
        self.assertEqual(spec["containers"][0]["volumeMounts"], [{"name": "app-gateway-tmp", "mountPath": "/tmp"}])
        self.assertEqual(result["plan"]["volumes"], ["app-gateway-tmp"])

    def test_without_host_network_ports_and_network_stay(self) -> None:
        deployment, _, _ = self.convert()
        spec = deployment["spec"]["template"]["spec"]
        self.assertNotIn("hostNetwork", spec)
        self.assertEqual(len(spec["containers"][0]["ports"]), 2)

    def test_host_network_drops_the_ports_podman_would_publish(self) -> None:
        deployment, _, conv = self.convert(host_network=True)
        spec = deployment["spec"]["template"]["spec"]
        self.assertIs(spec["hostNetwork"], True)
        self.assertNotIn("ports", spec["containers"][0])
        # Resolved before the ports went.
        self.assertEqual(spec["containers"][0]["livenessProbe"]["exec"]["command"][-1], "3100")
        self.assertTrue(any("ports (http 3100, ops 9200) left out" in c for c in conv.changes))

    def test_more_than_one_replica_on_the_host_network_is_refused(self) -> None:
        twice = DEPLOYMENT.replace("replicas: 1", "replicas: 2")
        with self.assertRaisesRegex(ValueError, "2 replicas on the host network"):
            k.convert(documents(CONFIG_MAP, twice), host_network=True)
        result, _ = k.convert(documents(CONFIG_MAP, twice))
        self.assertEqual(result["plan"]["workloads"][0]["pods"], ["app-gateway-pod-0", "app-gateway-pod-1"])

    def test_a_probe_on_an_undeclared_port_is_an_error(self) -> None:
        broken = DEPLOYMENT.replace("port: ops}", "port: metrics}")
        with self.assertRaisesRegex(ValueError, "port 'metrics' is not a port of container gateway"):
            k.convert(documents(CONFIG_MAP, broken))

    def test_what_podman_leaves_unenforced_is_noted(self) -> None:
        _, _, conv = self.convert()
        notes = " ".join(conv.unenforced)
        for text in ("preStop", "terminationGracePeriodSeconds", "readiness and startup probes", "sizeLimit", "fsGroup"):
            self.assertIn(text, notes)

    def test_the_input_is_not_modified(self) -> None:
        docs = documents(CONFIG_MAP, DEPLOYMENT)
        before = json.dumps(docs, sort_keys=True)
        k.convert(docs, host_network=True)
        self.assertEqual(json.dumps(docs, sort_keys=True), before)


class LeftOut(unittest.TestCase):
    def test_kinds_podman_skips_and_unread_configmaps_are_named(self) -> None:
        result, conv = k.convert(documents(CONFIG_MAP, DASHBOARD, DEPLOYMENT, OTHERS))
        kinds = {d["kind"] for d in result["workloads"] + result["jobs"]}
        self.assertEqual(kinds, {"ConfigMap", "Deployment"})
        self.assertEqual([d["metadata"]["name"] for d in by_kind(result["workloads"], "ConfigMap")], ["settings"])
        changes = "\n".join(conv.changes)
        self.assertIn("Service app-gateway: left out", changes)
        self.assertIn("NetworkPolicy app-gateway: left out (podman enforces no NetworkPolicy)", changes)
        self.assertIn("HorizontalPodAutoscaler app-gateway: left out", changes)
        self.assertIn("Widget odd: left out (podman kube play 4.3 takes", changes)
        self.assertIn("ConfigMap dashboard: left out (no pod reads it)", changes)

    def test_a_pod_reading_a_configmap_the_chart_lacks_is_an_error(self) -> None:
        with self.assertRaisesRegex(ValueError, "ConfigMap settings"):
            k.convert(documents(DEPLOYMENT))


class CommandLine(unittest.TestCase):
    def test_it_writes_the_files_and_prints_each_change_and_answers_plan_queries(self) -> None:
        with tempfile.TemporaryDirectory() as out:
            rendered = os.path.join(out, "rendered.yaml")
            with open(rendered, "w", encoding="utf-8") as handle:
                handle.write("\n---\n".join(textwrap.dedent(p) for p in (SECRET, CONFIG_MAP, DEPLOYMENT, JOB, OTHERS)))
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                self.assertEqual(k.main([rendered, "--out", out, "--host-network"]), 0)
            text = printed.getvalue()
            self.assertIn("changed: Job app-migrations -> Pod app-migrations", text)
            self.assertIn("not enforced by podman 4.3", text)
            jobs = k.load(read(os.path.join(out, "jobs.yaml")))
            workloads = k.load(read(os.path.join(out, "workloads.yaml")))
            self.assertEqual([d["kind"] for d in jobs], ["ConfigMap", "Pod"])
            self.assertEqual([d["kind"] for d in workloads], ["ConfigMap", "Deployment"])
            secret = os.path.join(out, "secrets", "creds.json")
            self.assertEqual(stat.S_IMODE(os.stat(secret).st_mode), 0o600)
            self.assertEqual(set(json.loads(read(secret))), {"TOKEN", "DATABASE_URL"})

            def query(name: str) -> list[str]:
                answer = io.StringIO()
                with contextlib.redirect_stdout(answer):
                    self.assertEqual(k.main(["--plan", os.path.join(out, "plan.json"), name]), 0)
                return answer.getvalue().splitlines()

            self.assertEqual(query("readiness"), ["app-gateway-pod-0 gateway /ready 9200"])
            self.assertEqual(query("grace"), ["app-gateway-pod-0 30"])
            self.assertEqual(query("job-containers"), ["app-migrations-schemas"])
            self.assertEqual(query("ports"), ["3100", "9200"])
            self.assertEqual(query("volumes"), ["app-gateway-tmp", "app-migrations-tmp"])

    def test_an_error_is_one_line_and_exit_1(self) -> None:
        with tempfile.TemporaryDirectory() as out:
            rendered = os.path.join(out, "rendered.yaml")
            with open(rendered, "w", encoding="utf-8") as handle:
                handle.write(textwrap.dedent(DEPLOYMENT))
            printed = io.StringIO()
            with contextlib.redirect_stderr(printed):
                self.assertEqual(k.main([rendered, "--out", out]), 1)
            self.assertEqual(len(printed.getvalue().splitlines()), 1)


if __name__ == "__main__":
    unittest.main()
