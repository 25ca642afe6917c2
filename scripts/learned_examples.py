"""Write the learned models' examples from the development sets (never the held-out set).

    python scripts/learned_examples.py

- knowledge/crisis_examples.yaml: the crisis model (bot/matching/crisis_model.py) learns from
  it how residents put emergencies into words, and how harmless messages that sound alarming
  differ from them;
- knowledge/route_examples.yaml: the router (bot/matching/route_model.py) learns from it how
  residents describe the needs each place answers.
They come from the development sets in bench/data (SOURCES): sets written from public
descriptions, by people who did not see the rules or the keywords. bench/data/heldout.yaml is
never read here, so it still measures the result. Maintainers may add messages to the files by
hand; running this again replaces them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.knowledge.loader import load_knowledge  # noqa: E402

# The development sets (bench/quality.py scores the same ones).
SOURCES = ["labelled.yaml", "dev_fresh.yaml", "dev_crisis.yaml", "dev_more.yaml",
           "dev_crisis2.yaml", "dev_crisis3.yaml", "dev_ordinary3.yaml", "dev_lookalike3.yaml",
           "dev_crisis4.yaml", "dev_ordinary4.yaml", "dev_lookalike4.yaml", "dev_crisis5.yaml",
           "dev_english5.yaml", "dev_ordinary5.yaml", "dev_lookalike5.yaml", "dev_crisis6.yaml",
           "dev_english6.yaml", "dev_ordinary6.yaml", "dev_lookalike6.yaml", "dev_lookalike7.yaml",
           "dev_lookalike8.yaml", "dev_family7.yaml", "dev_crisis9.yaml", "dev_lookalike9.yaml",
           "dev_ordinary9.yaml", "dev_crisis10.yaml", "dev_lookalike10.yaml",
           "dev_ordinary10.yaml", "dev_short11.yaml", "dev_mixed12.yaml"]
HELD_OUT = "heldout.yaml"
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

CRISIS_HEADER = """\
# yaml-language-server: $schema=schema/crisis_examples.schema.json
# Messages residents wrote, each under the crisis rule it is, or under `none` when it is no
# emergency. The learned safety net under the rules in crisis.yaml learns from them how
# emergencies are put into words, so a message the rules miss can still get a safety line.
# Written by scripts/learned_examples.py from the development sets in bench/data (never from the
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


ROUTE_HEADER = """\
# yaml-language-server: $schema=schema/route_examples.schema.json
# Messages residents wrote, each under a place that answers it; a message several places answer
# stands under each of them. The learned router learns from them how residents describe a need
# in their own words, beside the keywords in services/. Written by scripts/learned_examples.py
# from the development sets in bench/data (never from the held-out set, which measures the
# result). You may add messages by hand, under the id of the service that answers them.
"""


def main() -> int:
    crisis: dict[str, list[str]] = {}
    route: dict[str, list[str]] = {}
    services = set(load_knowledge(ROOT / "knowledge").services)  # a set may name others
    for name in SOURCES:
        assert name != HELD_OUT, "the held-out set measures the result; never learn from it"
        for item in yaml.safe_load((ROOT / "bench" / "data" / name).read_text(encoding="utf-8")):
            add(crisis, rule_of(item), item["text"])
            if item.get("crisis"):
                continue  # the crisis layer answers these, before any routing
            for service_id in item.get("expect") or []:
                if service_id in services:
                    add(route, service_id, item["text"])
    write("crisis_examples.yaml", CRISIS_HEADER,
          {k: crisis[k] for k in sorted(crisis, key=lambda k: (k == "none", k))})
    write("route_examples.yaml", ROUTE_HEADER, {k: route[k] for k in sorted(route)})
    return 0


def add(examples: dict[str, list[str]], label: str, text: str) -> None:
    messages = examples.setdefault(label, [])
    if text not in messages:
        messages.append(text)


def write(name: str, header: str, examples: dict[str, list[str]]) -> None:
    body = yaml.safe_dump({"examples": examples}, allow_unicode=True, sort_keys=False, width=100)
    out = ROOT / "knowledge" / name
    out.write_text(header + body, encoding="utf-8")
    total = sum(len(v) for v in examples.values())
    print(f"wrote {out.relative_to(ROOT)}: {total} messages under {len(examples)} labels")


if __name__ == "__main__":
    sys.exit(main())
