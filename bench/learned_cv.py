"""How the learned models' settings were chosen: 5-fold cross-validation on the development sets.

    python bench/learned_cv.py router   # the router's weight beside the keywords
    python bench/learned_cv.py crisis   # how rules and the crisis model decide together

Every development message is scored by a model fitted without it (and without the rest of its
fold), so the numbers say how the models do on messages they never saw. The held-out set
(bench/data/heldout.yaml) is never read here: it measures the settings, it does not choose them.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import learned_examples  # noqa: E402

from bench.quality import Item, load_items  # noqa: E402
from bot.knowledge.loader import load_knowledge  # noqa: E402
from bot.knowledge.model import KnowledgeBase  # noqa: E402
from bot.matching.crisis import CrisisDetector  # noqa: E402
from bot.matching.learned import TextClassifier  # noqa: E402
from bot.matching.matcher import MIN_SCORE, ROUTER_ALONE, ROUTER_PLACES, Candidate, Matcher  # noqa: E402
from bot.matching.profile import Profile  # noqa: E402

FOLDS = 5
DATA = [ROOT / "bench" / "data" / name for name in learned_examples.SOURCES]


def folds_of(keys: list[str], seed: int) -> dict[str, int]:
    shuffled = sorted(set(keys))
    random.Random(seed).shuffle(shuffled)
    return {key: i % FOLDS for i, key in enumerate(shuffled)}


def profile_for(matcher: Matcher, item: Item) -> tuple[Profile, frozenset[str]]:
    """The profile Matcher.match would build from the message (district, audience)."""
    mention = matcher.profiles.area(item.text)
    area = item.area or (mention.area_id if mention and mention.certain else None)
    words = mention.words if mention else frozenset()
    return Profile(area, matcher.profiles.audience(item.text)), words


def router(kb: KnowledgeBase, items: list[Item], weights: list[float]) -> None:
    matcher = Matcher(kb)
    items = [i for i in items if not i.crisis and any(e in kb.services for e in i.expect)]
    fold = folds_of([i.text for i in items], seed=1)
    own = [(e, s.id) for s in kb.services.values() for es in s.examples.values() for e in es]
    right = {w: [0, 0] for w in weights}
    for k in range(FOLDS):
        labelled = list(own)
        for item in items:
            if fold[item.text] != k:
                labelled += [(item.text, e) for e in item.expect if e in kb.services]
        counts: dict[str, int] = defaultdict(int)
        for text, _ in set(labelled):
            counts[text] += 1
        model = TextClassifier(
            [(t, s, 1.0 / counts[t]) for t, s in sorted(set(labelled))], 10.0, False
        )
        for item in (i for i in items if fold[i.text] == k):
            chances = sorted(model.probabilities(item.text).items(), key=lambda kv: -kv[1])
            profile, place_words = profile_for(matcher, item)
            found = {c.service_id: c for c in matcher.relevance(item.text, place_words)}
            for w in weights:
                scores = {sid: c.score for sid, c in found.items()}
                for sid, chance in chances[:ROUTER_PLACES]:
                    if sid in scores or chance >= ROUTER_ALONE:
                        scores[sid] = scores.get(sid, 0.0) + w * chance
                candidates = [Candidate(s, v, found[s].hits if s in found else ())
                              for s, v in scores.items()]
                ranked = [r.service.id for r in matcher.rank(candidates, profile)
                          if r.score >= MIN_SCORE]
                rank = next((n for n, s in enumerate(ranked) if s in item.expect), None)
                right[w][0] += rank == 0
                right[w][1] += rank is not None and rank < 3
    print(f"router: {len(items)} ordinary messages with a place, {FOLDS}-fold")
    for w, (top1, top3) in right.items():
        print(f"  weight {w:>4g}: top-1 {100 * top1 / len(items):5.1f} %  "
              f"top-3 {100 * top3 / len(items):5.1f} %")


def crisis(kb: KnowledgeBase, items: list[Item]) -> None:
    rules = CrisisDetector(kb)
    matcher = Matcher(kb)
    raw = [r for path in DATA for r in yaml.safe_load(path.read_text(encoding="utf-8"))]
    label = {r["text"]: learned_examples.rule_of(r) for r in raw}
    fold = folds_of(list(label), seed=7)
    ordinary = [e for s in kb.services.values() if not s.urgent
                for es in s.examples.values() for e in es]
    opinion: dict[str, tuple[float, str]] = {}
    for k in range(FOLDS):
        examples = [(t, lab, 1.0) for t, lab in label.items() if fold[t] != k]
        examples += [(e, "none", 1.0) for e in ordinary]
        model = TextClassifier(examples, 4.0, True)
        for text in (t for t in label if fold[t] == k):
            p = model.probabilities(text)
            kinds = [r for r in p if r != "none"]
            opinion[text] = (1.0 - p.get("none", 0.0), max(kinds, key=p.__getitem__))
    services = {rule.id: rule.services for rule in kb.crisis}
    rows = [(item, rules.detect(item.text), opinion[item.text],
             [r.service.id for r in matcher.match(item.text, Profile(area=item.area))])
            for item in items]

    def score(doubt, confirm, line, sure):
        top1 = n = found = emergencies = alarms = lines = harmless = 0
        for item, hit, (chance, kind), ranked in rows:
            decided = None
            if hit is not None:
                certain = hit.certain
                if certain and chance < doubt:
                    certain = False
                elif not certain and chance >= confirm:
                    certain = True
                decided = (hit.service_ids, certain)
            elif chance >= line:
                decided = (services[kind], chance >= sure)
            order, fired, certain = ranked, False, False
            if decided is not None:
                lines_, certain = decided
                certain = certain or not ranked
                order = (list(lines_) + ranked) if certain else ranked[:1] + list(lines_)
                fired = True
            if item.crisis:
                emergencies += 1
                found += fired
            else:
                harmless += 1
                alarms += certain
                lines += fired and not certain
            if item.expect:
                n += 1
                top1 += bool(order) and order[0] in item.expect
        return (100 * top1 / n, 100 * found / emergencies, 100 * alarms / harmless,
                100 * lines / harmless)

    print(f"crisis: {len(rows)} messages, {FOLDS}-fold; doubt confirm line sure -> "
          "top-1, recall, false alarms, safety lines on harmless messages")
    never = 2.0

    def show(label: str, numbers: tuple[float, ...]) -> None:
        print(f"  {label:<24} " + " ".join(f"{x:5.1f}" for x in numbers))

    show("rules alone", score(0, never, never, never))
    for setting in itertools.product([0.3, 0.5, 0.6], [0.9, never], [0.5, 0.7], [0.95, never]):
        show(" ".join(f"{x:g}" for x in setting), score(*setting))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=["router", "crisis"])
    args = parser.parse_args()
    kb = load_knowledge(ROOT / "knowledge")
    items = load_items(DATA)
    if args.model == "router":
        router(kb, items, [0, 16, 24, 32, 40, 48, 64])
    else:
        crisis(kb, items)
    return 0


if __name__ == "__main__":
    sys.exit(main())
