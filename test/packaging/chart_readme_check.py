"""Checks that charts/eventline/README.md documents every value (check.sh runs it).

    python3 chart_readme_check.py [charts/eventline]

Every leaf of values.yaml (a scalar, a list, or an empty map) must start a
row of the README's tables, as `path` in backticks, written one of the ways the
tables use: the full path (`gateway.ingress.className`), a documented parent
(`gateway.resources` covers its requests and limits; `probes.liveness.*` its
fields), the per-service form (`<service>.pdb.enabled` for gateway, relay and
projector), or a sibling list (`postgresql.app.username` / `.password`). It
also checks the reverse for the README's own value names, so a renamed value
does not leave stale documentation behind.
"""

from __future__ import annotations

import os
import re
import sys

import yaml

SERVICES = ("gateway", "relay", "projector")


def leaves(values: object, prefix: str = "") -> list[str]:
    if isinstance(values, dict) and values:
        found: list[str] = []
        for key, value in values.items():
            found += leaves(value, f"{prefix}.{key}" if prefix else str(key))
        return found
    return [prefix]


def documented(path: str, readme: str) -> bool:
    parts = path.split(".")
    candidates = []
    for depth in range(len(parts), 0, -1):
        head = ".".join(parts[:depth])
        candidates += [f"`{head}`", f"`{head}.*`"]
        if parts[0] in SERVICES:
            generic = ".".join(["<service>"] + parts[1:depth])
            candidates += [f"`{generic}`", f"`{generic}.*`"]
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    if any(row.startswith(f"| {candidate}") for row in rows for candidate in candidates):
        return True
    parent, leaf = ".".join(parts[:-1]), parts[-1]
    forms = [parent] + ([".".join(["<service>"] + parts[1:-1])] if parts[0] in SERVICES else [])
    return any(row.startswith(f"| `{form}.") and f"`.{leaf}`" in row for row in rows for form in forms)


def main() -> int:
    chart = sys.argv[1] if len(sys.argv) > 1 else "charts/eventline"
    with open(os.path.join(chart, "values.yaml"), encoding="utf-8") as handle:
        values = yaml.safe_load(handle)
    with open(os.path.join(chart, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()

    errors = [f"value {path} is not documented" for path in leaves(values) if not documented(path, readme)]

    known = set()
    for path in leaves(values):
        parts = path.split(".")
        for depth in range(1, len(parts) + 1):
            known.add(".".join(parts[:depth]))
            if parts[0] in SERVICES:
                known.add(".".join(["<service>"] + parts[1:depth]))
    for name in re.findall(r"^\| `([a-zA-Z<>][\w<>.]*?)(?:\.\*)?`", readme, re.MULTILINE):
        if name not in known:
            errors.append(f"the README documents {name}, which values.yaml does not have")

    for error in errors:
        print(f"FAILED: {chart}/README.md: {error}")
    if errors:
        return 1
    print(f"ok: {chart}/README.md documents all {len(leaves(values))} values of values.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
