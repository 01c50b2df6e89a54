"""Checks what a release states about itself: its version and licence (check.sh runs it).

    python3 release_check.py [RENDERED.yaml ...]

package.json's `version` is the release's version. It must also be the
chart's appVersion (Chart.yaml), which is the image tag the chart deploys by
default: values.yaml's image.tag must stay empty (meaning appVersion) or say
the same; the production example's image.tag and the image tags the READMEs'
install steps build, push and set must say it too; CHANGELOG.md must have an
Unreleased section and one for it. Given the chart's rendered manifests
(default values), every container image they run must carry the tag. And
LICENSE must hold the full text of the licence package.json names.
"""

from __future__ import annotations

import json
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHART = os.path.join(ROOT, "charts", "eventline")
# The licences whose text LICENSE may hold: SPDX id -> lines its full text has, in order.
LICENCES = {
    "Apache-2.0": [
        "Apache License",
        "Version 2.0, January 2004",
        "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
        "9. Accepting Warranty or Additional Liability.",
        "END OF TERMS AND CONDITIONS",
    ],
}
# Image tags written in prose: `eventline:1.2.3` and `image.tag=1.2.3`.
TAG_IN_TEXT = re.compile(r"eventline:(\d+\.\d+\.\d+[\w.+-]*)|image\.tag=(\d+\.\d+\.\d+[\w.+-]*)")


def read(*path: str) -> str:
    with open(os.path.join(ROOT, *path), encoding="utf-8") as handle:
        return handle.read()


def main() -> int:
    errors: list[str] = []
    package = json.loads(read("package.json"))
    version = package["version"]

    licence = package.get("license")
    if licence not in LICENCES:
        errors.append(f"package.json: license {licence!r}, want one of {sorted(LICENCES)} (this check knows their text)")
    elif not os.path.exists(os.path.join(ROOT, "LICENSE")):
        errors.append(f"LICENSE is missing; package.json says {licence}")
    else:
        lines = [line.strip() for line in read("LICENSE").splitlines()]
        at = 0
        for wanted in LICENCES[licence]:
            at = next((i for i in range(at, len(lines)) if lines[i].startswith(wanted)), -1)
            if at < 0:
                errors.append(f"LICENSE: not the full {licence} text (no line {wanted!r} in its place)")
                break

    chart = yaml.safe_load(read("charts", "eventline", "Chart.yaml"))
    if str(chart.get("appVersion")) != version:
        errors.append(f"charts/eventline/Chart.yaml: appVersion is {chart.get('appVersion')!r}, package.json says {version}")
    tag = yaml.safe_load(read("charts", "eventline", "values.yaml"))["image"]["tag"]
    if tag not in ("", version):
        errors.append(f"charts/eventline/values.yaml: image.tag is {tag!r}; leave it empty (appVersion) or say {version}")
    example = yaml.safe_load(read("charts", "eventline", "ci", "production-values.yaml"))["image"]["tag"]
    if str(example) != version:
        errors.append(f"charts/eventline/ci/production-values.yaml: image.tag is {example!r}, want {version}")

    for path in ("README.md", os.path.join("charts", "eventline", "README.md")):
        for number, line in enumerate(read(path).splitlines(), 1):
            for match in TAG_IN_TEXT.finditer(line):
                found = match.group(1) or match.group(2)
                if found != version:
                    errors.append(f"{path}:{number}: image tag {found}, want {version}")

    changelog = read("CHANGELOG.md")
    for heading in ("## [Unreleased]", f"## [{version}]"):
        if not re.search(rf"^{re.escape(heading)}", changelog, re.MULTILINE):
            errors.append(f"CHANGELOG.md: no section {heading!r}")

    images = 0
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as handle:
            for document in yaml.safe_load_all(handle):
                spec = (document or {}).get("spec", {}).get("template", {}).get("spec", {})
                for container in spec.get("initContainers", []) + spec.get("containers", []):
                    images += 1
                    if not container["image"].endswith(f":{version}"):
                        errors.append(f"{path}: {document['kind']}/{document['metadata']['name']} runs {container['image']}, want tag {version}")

    for error in errors:
        print(f"FAILED: {error}")
    if errors:
        return 1
    print(f"ok: version {version} in package.json, Chart.yaml appVersion, the image tags, the READMEs, CHANGELOG.md"
          + (f" and the {images} rendered containers" if images else "") + f"; LICENSE is the {licence} text")
    return 0


if __name__ == "__main__":
    sys.exit(main())
