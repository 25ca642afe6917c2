"""Write knowledge/crisis_examples.yaml from the development sets (never the held-out set).

    python scripts/crisis_examples.py

The learned safety net under the crisis rules (bot/matching/crisis_model.py) learns from these
messages how residents put emergencies into words. They come from bench/data/labelled.yaml,
dev_fresh.yaml and dev_crisis.yaml: sets written from public descriptions, by people who did not
see the rules. bench/data/heldout.yaml is never read here, so it still measures the result.
Maintainers may add messages to the file by hand; running this again replaces it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["labelled.yaml", "dev_fresh.yaml", "dev_crisis.yaml"]
# The kind of emergency a set's tag names -> the crisis rule for it.
RULE_FOR_TAG = {
    "crisis-suicide": "zelfdoding",
    "crisis-medical": "levensgevaar",
    "crisis-violence": "huiselijk-geweld",
    "crisis-child": "kind-in-gevaar",
    "crisis-psychosis": "psychische-crisis",
    "crisis-sexual": "seksueel-geweld",
    "crisis-urgent-gp": "spoed-medisch",
}
# labelled.yaml has no kinds: the first emergency line it expects says which.
RULE_FOR_LINE = {
    "zelfmoordpreventie-113": "zelfdoding",
    "veilig-thuis-utrecht": "huiselijk-geweld",
    "de-kindertelefoon": "kind-in-gevaar",
    "spoedpost-huisartsen-utrecht-stad": "spoed-medisch",
    "centrum-seksueel-geweld-utrecht": "seksueel-geweld",
    "alarmnummer-112": "levensgevaar",
}

HEADER = """\
# yaml-language-server: $schema=schema/crisis_examples.schema.json
# Messages residents wrote, each under the crisis rule it is, or under `none` when it is no
# emergency. The learned safety net under the rules in crisis.yaml learns from them how
# emergencies are put into words, so a message the rules miss can still get a safety line.
# Written by scripts/crisis_examples.py from the development sets in bench/data (never from the
# held-out set, which measures the result). You may add messages by hand: put a real emergency
# under its rule, and a harmless message that sounds alarming under `none`.
"""


def rule_of(item: dict) -> str:
    if not item.get("crisis"):
        return "none"
    for tag in item.get("tags") or []:
        if tag in RULE_FOR_TAG:
            return RULE_FOR_TAG[tag]
    for line in item.get("expect") or []:
        if line in RULE_FOR_LINE:
            return RULE_FOR_LINE[line]
    return "levensgevaar"


def main() -> int:
    examples: dict[str, list[str]] = {}
    for name in SOURCES:
        for item in yaml.safe_load((ROOT / "bench" / "data" / name).read_text(encoding="utf-8")):
            messages = examples.setdefault(rule_of(item), [])
            if item["text"] not in messages:
                messages.append(item["text"])
    ordered = {k: examples[k] for k in sorted(examples, key=lambda k: (k == "none", k))}
    body = yaml.safe_dump({"examples": ordered}, allow_unicode=True, sort_keys=False, width=100)
    out = ROOT / "knowledge" / "crisis_examples.yaml"
    out.write_text(HEADER + body, encoding="utf-8")
    counts = ", ".join(f"{k} {len(v)}" for k, v in ordered.items())
    print(f"wrote {out.relative_to(ROOT)}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
