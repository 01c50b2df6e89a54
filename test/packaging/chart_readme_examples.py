"""Writes out the values examples of a section of the chart's README (check.sh renders each).

    python3 chart_readme_examples.py charts/eventline/README.md "Secured connections" OUT_DIR

Every ```yaml block between the `## <section>` heading and the next heading of
the same or a higher level becomes OUT_DIR/NN-<subheading>.yaml, named after
the `###` heading above it, and must parse as a YAML mapping. check.sh then
renders each with `helm template -f` and validates what it renders, so an
example that the schema refuses, or that renders a credential in the clear,
fails CI instead of a reader's install. Exits 1 when the section has no
example or one does not parse.
"""

from __future__ import annotations

import os
import re
import sys

import yaml


def examples(readme: str, section: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    inside, level, subheading, block = False, 0, section, None
    for line in readme.splitlines():
        heading = re.match(r"^(#+)\s+(.*?)\s*$", line) if block is None else None
        if heading:
            depth, title = len(heading.group(1)), heading.group(2)
            if title == section:
                inside, level, subheading = True, depth, title
            elif inside and depth <= level:
                break
            elif inside:
                subheading = title
            continue
        if not inside:
            continue
        if block is None and line.strip() == "```yaml":
            block = []
        elif block is not None and line.strip() == "```":
            found.append((subheading, "\n".join(block) + "\n"))
            block = None
        elif block is not None:
            block.append(line)
    return found


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "example"


def main() -> int:
    path, section, out = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(path, encoding="utf-8") as handle:
        found = examples(handle.read(), section)
    if not found:
        print(f"FAILED: {path}: no ```yaml example under the heading {section!r}")
        return 1
    os.makedirs(out, exist_ok=True)
    status = 0
    for number, (title, text) in enumerate(found, 1):
        target = os.path.join(out, f"{number:02d}-{slug(title)}.yaml")
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError as error:
            print(f"FAILED: {path}: the example under {title!r} is not YAML: {error}")
            status = 1
            continue
        if not isinstance(parsed, dict):
            print(f"FAILED: {path}: the example under {title!r} is not a mapping of values")
            status = 1
            continue
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"example {os.path.basename(target)}: {title}")
    return status


if __name__ == "__main__":
    sys.exit(main())
