"""Checks what the chart does with the key-encryption keys of personal data (scripts/packaging/check.sh runs it).

    helm template ... -f VALUES --show-only templates/secret.yaml | python3 kek_check.py secret VALUES
    helm template ... -f VALUES --show-only <NOTES.txt through tpl> | python3 kek_check.py notes VALUES

secret: the chart's Secret holds personalData.kek as PERSONAL_DATA_KEK and personalData.previousKeks,
comma-separated, as PERSONAL_DATA_PREVIOUS_KEKS: what the gateway reads (services/privacy/key-encryption.ts).
notes: the notes `helm install` prints (rendered as a `text` field, since `helm template` skips NOTES.txt)
name the id of every key and show none of the keys themselves. No key is printed in any message.
"""

from __future__ import annotations

import sys

import yaml


def main() -> int:
    mode, values_path = sys.argv[1], sys.argv[2]
    with open(values_path, encoding="utf-8") as handle:
        values = yaml.safe_load(handle)["personalData"]
    keys = [values["kek"]] + list(values.get("previousKeks") or [])
    ids = [key.split(":", 1)[0] for key in keys]
    rendered = yaml.safe_load(sys.stdin)
    errors = []
    if mode == "secret":
        data = rendered.get("stringData") or {}
        if data.get("PERSONAL_DATA_KEK") != values["kek"]:
            errors.append("the Secret's PERSONAL_DATA_KEK is not personalData.kek")
        previous = ",".join(keys[1:]) or None
        if data.get("PERSONAL_DATA_PREVIOUS_KEKS") != previous:
            errors.append("the Secret's PERSONAL_DATA_PREVIOUS_KEKS is not personalData.previousKeks, comma-separated")
        done = f"the chart's Secret holds the keys {ids} as PERSONAL_DATA_KEK and PERSONAL_DATA_PREVIOUS_KEKS"
    elif mode == "notes":
        notes = rendered["text"]
        shown = [key.split(":", 1)[0] for key in keys if key.split(":", 1)[1] in notes]
        if shown:
            errors.append(f"the notes show the key of id {shown}")
        unnamed = [name for name in ids if f'"{name}"' not in notes]
        if unnamed:
            errors.append(f"the notes do not name the id {unnamed}")
        done = f"the notes name the ids {ids} and show no key"
    else:
        print(f"usage: {sys.argv[0]} secret|notes VALUES", file=sys.stderr)
        return 2
    for error in errors:
        print(f"FAILED: {values_path}: {error}")
    if errors:
        return 1
    print(f"ok: {values_path}: {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
