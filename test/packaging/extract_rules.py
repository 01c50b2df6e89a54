"""Writes the rules of a rendered PrometheusRule as a Prometheus rules file (check.sh runs it).

    python3 extract_rules.py RENDERED.yaml... OUT.rules.yaml

The chart ships its alerts as a PrometheusRule (templates/prometheusrule.yaml);
its `spec` is exactly a rules file's content (`groups:`). Written out, promtool
checks (`promtool check rules`) and unit-tests (`promtool test rules`) what the
chart renders, not a copy of it. Fails unless exactly one PrometheusRule is found.
"""

from __future__ import annotations

import sys

import yaml


def main() -> int:
    *sources, out = sys.argv[1:]
    rules = []
    for path in sources:
        with open(path, encoding="utf-8") as handle:
            rules += [d for d in yaml.safe_load_all(handle) if d and d.get("kind") == "PrometheusRule"]
    if len(rules) != 1:
        print(f"FAILED: want one PrometheusRule in {' '.join(sources)}, found {len(rules)}")
        return 1
    with open(out, "w", encoding="utf-8") as handle:
        yaml.safe_dump(rules[0]["spec"], handle, sort_keys=False, width=1000)
    alerts = [r.get("alert") for g in rules[0]["spec"]["groups"] for r in g["rules"] if "alert" in r]
    print(f"ok: {out}: {len(alerts)} alerts of PrometheusRule/{rules[0]['metadata']['name']}: {', '.join(alerts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
