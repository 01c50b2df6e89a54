"""Checks docker-compose.yml without Docker (scripts/packaging/check.sh runs it).

    python3 compose_check.py [docker-compose.yml]

Parses the file as YAML (merge keys resolved, as Compose does) and checks what
`docker compose up` relies on: the infrastructure and Eventline services exist
with the pinned images; every long-running service has a healthcheck; the
one-shots (migrate, topology) run the right CLI commands and do not restart;
depends_on waits for healthy infrastructure and for the one-shots to complete;
each service connects with its own PostgreSQL role (docs/contracts.md §2, §9) and
listens where docs/contracts.md §2 says (the gateway's ops port too); postgres gets every password its init script
(scripts/stack/docker-postgres-init.sh) requires; the gateway, and no other service, gets a key-encryption key of
personal data (PERSONAL_DATA_*), a well-formed one (`<id>:<base64 of 32 bytes>`, docs/privacy.md). The profile `secured`: none of those services is in a
profile (a plain `docker compose up` runs what it always did); each one-shot and app has a counterpart
`secured-<name>` in profile `secured` only, running the same command from the same image, whose
environment holds no credential (no password, secret or token variable, no URL with a password), whose
every *_FILE variable names /run/secrets/<secret> of a secret it mounts and the file defines, which reaches
Kafka by SSL or SASL_SSL, the registry by https and Redis by rediss, and whose host ports differ from the
default services'; secured-gateway reads its key-encryption key from a file (PERSONAL_DATA_KEK_FILE), and no
other secured service gets one. It does not start anything: whether the images build and the stack comes up is only
proven on a machine with Docker.
"""

from __future__ import annotations

import base64
import os
import re
import sys

import yaml

INFRA_IMAGES = {
    "postgres": "postgres:15-alpine",
    "redis": "redis:7-alpine",
    "kafka": "apache/kafka:4.4.0",
    "schema-registry": "apicurio/apicurio-registry:3.3.3",
}
LONG_RUNNING = ["postgres", "redis", "kafka", "schema-registry", "gateway", "relay", "projector"]
ONE_SHOTS = {
    "migrate": ["node dist/services/cli/main.js migrate"],
    "topology": ["node dist/services/cli/main.js topology apply", "node dist/services/cli/main.js schemas register"],
}
# service -> (the process's command, its port variable and port, its database role or None)
APPS = {
    "gateway": ("dist/services/gateway/main.js", "PORT", 3000, "eventline_app"),
    "relay": ("dist/services/relay/main.js", "RELAY_PORT", 9101, "eventline_relay_app"),
    "projector": ("dist/services/projector/main.js", "PROJECTOR_PORT", 9102, "eventline_projector_app"),
}
# service -> (its ops port variable and port) where the ops port is not its one port (docs/contracts.md §2, §7)
OPS_PORTS = {"gateway": ("GATEWAY_OPS_PORT", 9100)}
# service -> {dependency: condition}
DEPENDS = {
    "migrate": {"postgres": "service_healthy"},
    "topology": {"kafka": "service_healthy", "schema-registry": "service_healthy"},
    "gateway": {"migrate": "service_completed_successfully", "redis": "service_healthy"},
    "relay": {"migrate": "service_completed_successfully", "topology": "service_completed_successfully"},
    "projector": {"migrate": "service_completed_successfully", "topology": "service_completed_successfully"},
}


# The profile `secured`: each default one-shot and app has a counterpart there.
SECURED = {f"secured-{name}": name for name in list(ONE_SHOTS) + list(APPS)}
CREDENTIAL_NAME = re.compile(r"(PASSWORD|PASSPHRASE|SECRET|TOKEN|CREDENTIALS?|API_?KEY|PRIVATE_KEY|KEKS?)$")
# The key-encryption key of personal data: the gateway's alone (it seals and opens personal data), in the format
# services/privacy/key-encryption.ts reads.
KEK_VARIABLE = re.compile(r"^PERSONAL_DATA_(PREVIOUS_)?KEKS?(_FILE)?$")
KEK_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,32}:([A-Za-z0-9+/_-]{43}=?)$")
URL_WITH_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/?#@\s]*:[^/?#@\s]+@", re.IGNORECASE)
# The secure scheme or protocol each secured variable must have, after ${VAR:-default} takes its default.
SECURE_SETTINGS = {
    "KAFKA_SECURITY_PROTOCOL": ("SSL", "SASL_SSL"),
    "SCHEMA_REGISTRY_URL": ("https://",),
    "REDIS_URL": ("rediss://",),
}


def with_defaults(value: object) -> str:
    """A Compose value as it reads with no variable set: ${VAR:-default} and ${VAR-default} become default."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}", r"\1", str(value))


def environment_of(service: dict) -> dict:
    environment = service.get("environment", {}) or {}
    if isinstance(environment, list):
        environment = dict(entry.split("=", 1) for entry in environment)
    return environment


def kek_errors(name: str, service: dict, owner: str) -> list[str]:
    """A key-encryption key given to a service other than the gateway (owner: the gateway's service name)."""
    if name == owner:
        return []
    return [
        f"{name}: {variable} gives it a key-encryption key of personal data; only {owner} seals and opens personal data"
        for variable in environment_of(service)
        if KEK_VARIABLE.match(variable)
    ]


def well_formed_kek(value: object) -> bool:
    match = KEK_FORMAT.match(str(value).strip())
    if not match:
        return False
    text = match.group(1).replace("-", "+").replace("_", "/")
    return len(base64.b64decode(text + "=" * (-len(text) % 4))) == 32


def host_ports(service: dict) -> set[str]:
    return {str(port).rsplit(":", 1)[0] for port in service.get("ports", [])}


def check_secured(compose: dict) -> list[str]:
    errors: list[str] = []
    services = compose.get("services", {})
    defined = compose.get("secrets", {}) or {}
    default_ports = set()
    for name in list(INFRA_IMAGES) + list(ONE_SHOTS) + list(APPS):
        if services[name].get("profiles"):
            errors.append(f"{name}: in profiles {services[name]['profiles']}; a plain `docker compose up` would not run it")
        default_ports |= host_ports(services[name])
    for name, original in SECURED.items():
        service = services.get(name)
        if service is None:
            errors.append(f"{name} is missing: the profile `secured` has no counterpart of {original}")
            continue
        if service.get("profiles") != ["secured"]:
            errors.append(f"{name}: profiles is {service.get('profiles')}, want [secured]: it must not start by default")
        for key in ("image", "entrypoint", "command"):
            if service.get(key) != services[original].get(key):
                errors.append(f"{name}: {key} is {service.get(key)!r}, {original}'s is {services[original].get(key)!r}")
        mounted = {entry if isinstance(entry, str) else entry.get("source") for entry in service.get("secrets", [])}
        for secret in sorted(mounted):
            if not (defined.get(secret) or {}).get("file"):
                errors.append(f"{name}: mounts secret {secret}, which the top-level secrets do not define as a file")
        environment = environment_of(service)
        errors += kek_errors(name, service, "secured-gateway")
        for variable, value in environment.items():
            if variable.endswith("_FILE"):
                secret = str(value).removeprefix("/run/secrets/")
                if not str(value).startswith("/run/secrets/") or secret not in mounted:
                    errors.append(f"{name}: {variable} is {value}, not /run/secrets/<a secret it mounts>")
            elif CREDENTIAL_NAME.search(variable):
                errors.append(f"{name}: {variable} is a literal credential; give it as a secret and {variable}_FILE")
            elif URL_WITH_PASSWORD.search(str(value)):
                errors.append(f"{name}: {variable} is a URL with a password in it; give it as a secret and {variable}_FILE")
            wanted = SECURE_SETTINGS.get(variable)
            if wanted and not with_defaults(value).startswith(wanted):
                errors.append(f"{name}: {variable} is {value}, want {' or '.join(wanted)}")
        for variable in ("KAFKA_SECURITY_PROTOCOL", "SCHEMA_REGISTRY_URL"):
            if original in ("topology", "relay", "projector") and variable not in environment:
                errors.append(f"{name}: {variable} is not set")
        if original in ("gateway", "projector") and "REDIS_URL" not in environment:
            errors.append(f"{name}: REDIS_URL is not set")
        if original == "gateway" and "PERSONAL_DATA_KEK_FILE" not in environment:
            errors.append(f"{name}: PERSONAL_DATA_KEK_FILE is not set: without a key-encryption key it refuses personal data")
        clash = host_ports(service) & default_ports
        if clash:
            errors.append(f"{name}: host ports {sorted(clash)} are the default services' too")
    return errors


def as_text(command) -> str:
    return " ".join(command) if isinstance(command, list) else str(command or "")


def check(path: str) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        compose = yaml.safe_load(handle)
    errors: list[str] = []
    services = compose.get("services", {})

    for name in list(INFRA_IMAGES) + list(ONE_SHOTS) + list(APPS):
        if name not in services:
            errors.append(f"service {name} is missing")
    if errors:
        return errors

    for name, image in INFRA_IMAGES.items():
        if services[name].get("image") != image:
            errors.append(f"{name}: image is {services[name].get('image')}, want {image}")

    for name in LONG_RUNNING:
        test = services[name].get("healthcheck", {}).get("test")
        if not test or test == ["NONE"]:
            errors.append(f"{name}: no healthcheck")

    for name in list(ONE_SHOTS) + list(APPS):
        service = services[name]
        build = service.get("build")
        context = build.get("context") if isinstance(build, dict) else build
        if context not in (".", "./"):
            errors.append(f"{name}: not built from ./Dockerfile (build context {context!r})")
        if service.get("image") != services["gateway"].get("image"):
            errors.append(f"{name}: image {service.get('image')} differs from the gateway's: one image runs every service")

    for name, commands in ONE_SHOTS.items():
        service = services[name]
        text = as_text(service.get("entrypoint")) + " " + as_text(service.get("command"))
        if not service.get("entrypoint"):
            text = "node " + as_text(service.get("command"))
        position = 0
        for command in commands:
            found = text.find(command, position)
            if found < 0:
                errors.append(f"{name}: does not run `{command}` (in order); it runs `{text.strip()}`")
                break
            position = found + len(command)
        if str(service.get("restart", "no")) != "no":
            errors.append(f"{name}: a one-shot must not restart (restart: {service.get('restart')})")

    for name, (entry, port_var, port, role) in APPS.items():
        service = services[name]
        environment = service.get("environment", {})
        if as_text(service.get("command")) != entry:
            errors.append(f"{name}: command is {service.get('command')}, want [{entry}]")
        if str(environment.get(port_var)) != str(port):
            errors.append(f"{name}: {port_var} is {environment.get(port_var)}, want {port}")
        if f"127.0.0.1:{port}:{port}" not in service.get("ports", []):
            errors.append(f"{name}: port {port} is not published on 127.0.0.1:{port}")
        if name in OPS_PORTS:
            ops_var, ops_port = OPS_PORTS[name]
            if str(environment.get(ops_var)) != str(ops_port):
                errors.append(f"{name}: {ops_var} is {environment.get(ops_var)}, want {ops_port}")
            if f"127.0.0.1:{ops_port}:{ops_port}" not in service.get("ports", []):
                errors.append(f"{name}: its ops port {ops_port} (/metrics) is not published on 127.0.0.1:{ops_port}")
        url = str(environment.get("DATABASE_URL", ""))
        if not url.startswith(f"postgres://{role}:"):
            errors.append(f"{name}: DATABASE_URL connects as {url.split('://')[-1].split(':')[0]!r}, want {role}")
        test = as_text(service.get("healthcheck", {}).get("test"))
        if "/ready" not in test or str(port) not in test:
            errors.append(f"{name}: its healthcheck does not ask /ready on port {port}")

    admin_url = str(services["migrate"].get("environment", {}).get("ADMIN_DATABASE_URL", ""))
    if not admin_url.startswith("postgres://eventline_admin:"):
        errors.append("migrate: ADMIN_DATABASE_URL does not connect as eventline_admin")
    token = str(services["gateway"].get("environment", {}).get("ADMIN_TOKEN", ""))
    if len(token) < 32:
        errors.append("gateway: ADMIN_TOKEN is shorter than the 32 characters the gateway requires")
    # The value is never printed: a development key, but the check would print a real one as readily.
    kek = services["gateway"].get("environment", {}).get("PERSONAL_DATA_KEK")
    if kek is None:
        errors.append("gateway: PERSONAL_DATA_KEK is not set: without a key-encryption key it refuses personal data")
    elif not well_formed_kek(kek):
        errors.append("gateway: PERSONAL_DATA_KEK is not <id>:<base64 of 32 bytes> (the value is not shown)")
    for name in list(ONE_SHOTS) + list(APPS):
        errors += kek_errors(name, services[name], "gateway")

    for name, wanted in DEPENDS.items():
        depends = services[name].get("depends_on", {})
        if isinstance(depends, list):
            errors.append(f"{name}: depends_on is a list; it needs conditions {wanted}")
            continue
        for dependency, condition in wanted.items():
            actual = depends.get(dependency, {}).get("condition")
            if actual != condition:
                errors.append(f"{name}: depends_on {dependency} has condition {actual}, want {condition}")

    postgres_mounts = " ".join(services["postgres"].get("volumes", []))
    if "docker-postgres-init.sh:/docker-entrypoint-initdb.d/" not in postgres_mounts:
        errors.append("postgres: the role-provisioning init script is not mounted")
    init_script = os.path.join(os.path.dirname(os.path.abspath(path)), "scripts/stack/docker-postgres-init.sh")
    with open(init_script, encoding="utf-8") as handle:
        required = re.findall(r"\$\{([A-Z_]+):\?\}", handle.read())
    postgres_env = services["postgres"].get("environment", {})
    for variable in required:
        if variable not in postgres_env:
            errors.append(f"postgres: {variable} is not set, and docker-postgres-init.sh requires it")
    return errors + check_secured(compose)


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "docker-compose.yml"
    errors = check(path)
    for error in errors:
        print(f"FAILED: {path}: {error}")
    if errors:
        return 1
    print(f"ok: {path}: services, images, healthchecks, one-shots, roles, depends_on and the gateway's key-encryption key as required; profile secured: every secret a file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
