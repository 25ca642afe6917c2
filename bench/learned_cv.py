"""How the learned models' settings were chosen: 5-fold cross-validation on the development sets.

    python bench/learned_cv.py router   # the router's weight beside the keywords
    python bench/learned_cv.py crisis   # how rules and the crisis model decide together
    python bench/learned_cv.py answer   # both together, scored as bench/quality.py scores them

Every development message is scored by a model fitted without it (and without the rest of its
fold), so the numbers say how the models do on messages they never saw. The held-out set
(bench/data/heldout.yaml) is never read here: it measures the settings, it does not choose them.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import learned_examples  # noqa: E402

from bench.quality import (  # noqa: E402
    Item,
    Score,
    as_answered,
    load_items,
    pct,
    print_misses,
    print_side_by_side,
)
from bot.knowledge.loader import load_knowledge  # noqa: E402
from bot.knowledge.model import KnowledgeBase  # noqa: E402
from bot.matching import crisis_model, route_model  # noqa: E402
from bot.matching.crisis import TRUST, CrisisDetector, Trust  # noqa: E402
from bot.matching.crisis_model import CrisisModel, Opinion, crisis_examples  # noqa: E402
from bot.matching.learned import Example, TextClassifier  # noqa: E402
from bot.matching.matcher import MIN_SCORE, Matcher, need_of, with_chances  # noqa: E402
from bot.matching.profile import Profile  # noqa: E402
from bot.matching.route_model import Router, route_examples  # noqa: E402

FOLDS = 5
DATA = [ROOT / "bench" / "data" / name for name in learned_examples.SOURCES]


def folds_of(keys: list[str], seed: int) -> dict[str, int]:
    shuffled = sorted(set(keys))
    random.Random(seed).shuffle(shuffled)
    return {key: i % FOLDS for i, key in enumerate(shuffled)}


def fitted_router(examples: list[Example]) -> Router:
    """The router as the bot fits it (route_model.router_for), on these examples only."""
    return Router(TextClassifier(examples, route_model.REGULARISATION, route_model.BALANCED),
                  examples)


def router(kb: KnowledgeBase, items: list[Item], weights: list[float]) -> None:
    matcher = Matcher(kb)
    items = [i for i in items if not i.crisis and any(e in kb.services for e in i.expect)]
    fold = folds_of([i.text for i in items], seed=1)
    examples = route_examples(kb)  # what the router learns from, with the services' own
    right = {w: [0, 0] for w in weights}
    for k in range(FOLDS):
        model = fitted_router([e for e in examples if fold.get(e[0]) != k])
        for item in (i for i in items if fold[i.text] == k):
            chances = model.chances(item.text)
            profile, place_words = matcher.read_profile(item.text, Profile(area=item.area))
            found = matcher.relevance(item.text, place_words)
            for w in weights:
                candidates = with_chances(found, chances, w)
                ranked = [r.service.id for r in matcher.rank(candidates, profile)
                          if r.score >= MIN_SCORE]
                rank = next((n for n, s in enumerate(ranked) if s in item.expect), None)
                right[w][0] += rank == 0
                right[w][1] += rank is not None and rank < 3
    print(f"router: {len(items)} ordinary messages with a place, {FOLDS}-fold")
    for w, (top1, top3) in right.items():
        print(f"  weight {w:>4g}: top-1 {100 * top1 / len(items):5.1f} %  "
              f"top-3 {100 * top3 / len(items):5.1f} %")


# line, sure alone, confirm, doubt, lead: the Trust settings tried (2: never)
CRISIS_GRID = list(
    itertools.product([0.5, 0.7], [0.9, 0.95, 2.0], [0.9, 2.0], [0.5, 0.6], [0.7, 2.0])
)


def crisis(kb: KnowledgeBase, items: list[Item], grid=CRISIS_GRID) -> None:
    rules = CrisisDetector(kb)
    matcher = Matcher(kb)
    examples = crisis_examples(kb)  # what the model learns from, with the services' own
    fold = folds_of([i.text for i in items], seed=7)
    # opinions[gate][text]: the model's opinion when it judges only the messages the gate lets
    # through (at least m words it learned; the bot's also not only everyday ones, no label)
    gates = {
        "1 word": lambda classifier: CrisisModel(classifier, min_words=1),
        "2 words": lambda classifier: CrisisModel(classifier, min_words=2),
        "3 words": lambda classifier: CrisisModel(classifier, min_words=3),
        "2, not everyday (bot)": lambda classifier: CrisisModel.of(kb, classifier),
    }
    opinions: dict[str, dict[str, Opinion | None]] = {gate: {} for gate in gates}
    for k in range(FOLDS):
        classifier = TextClassifier([e for e in examples if fold.get(e[0]) != k],
                                    crisis_model.REGULARISATION, crisis_model.BALANCED)
        for gate, model_of in gates.items():
            model = model_of(classifier)
            for item in (i for i in items if fold[i.text] == k):
                opinions[gate][item.text] = model.assess(item.text)
    opinion = opinions["2, not everyday (bot)"]
    rows = []
    for item in items:
        hit = rules.detect(item.text)
        profile, place_words = matcher.read_profile(item.text, Profile(area=item.area))
        found = matcher.relevance(item.text, place_words)
        ranked = [r.service.id for r in matcher.rank(found, profile) if r.score >= MIN_SCORE]
        rows.append((item, hit, opinion[item.text], rules.calmed(hit, item.text), ranked,
                     need_of(found)))

    def score(*setting: float) -> tuple[float, ...]:
        trust = Trust(*setting)
        top1 = n = found = emergencies = alarms = lines = harmless = 0
        for item, hit, said, calmed, ranked, need in rows:
            decided = rules.combine(hit, said, calmed, trust)
            order, fired, certain = as_answered(ranked, decided, need, trust)
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

    print(f"crisis: {len(rows)} messages, {FOLDS}-fold; line, sure alone, confirm, doubt, "
          "lead -> top-1, recall, false alarms, safety lines on harmless messages")
    never = 2.0

    def show(label: str, numbers: tuple[float, ...]) -> None:
        print(f"  {label:<24} " + " ".join(f"{x:5.1f}" for x in numbers))

    show("rules alone", score(never, never, never, 0, never))
    for setting in grid:
        show(" ".join(f"{x:g}" for x in setting), score(*setting))
    print("the model judging only messages of at least m different words it learned (not "
          "only everyday words), with the bot's trust -> the same four figures")
    default = Trust()
    for gate in gates:
        rows[:] = [(item, hit, opinions[gate][item.text], *rest)
                   for item, hit, _, *rest in rows]
        show(gate, score(*(getattr(default, f) for f in default.__dataclass_fields__)))


ANSWER_GRID = list(itertools.product([0.6, 0.7, 0.8], [24.0, 32.0, 48.0], [0.95, 0.98]))


def answer(kb: KnowledgeBase, items: list[Item], misses: int) -> None:
    """The whole answer, as bench/quality.py scores it, with both models fitted without the
    message: the closest development can come to what the held-out set will say."""
    rules = CrisisDetector(kb)
    matcher = Matcher(kb)
    fold = folds_of([i.text for i in items], seed=3)
    routes, dangers = route_examples(kb), crisis_examples(kb)
    score = Score("cross-validated")
    rows = []  # what each message gives, to score other trust settings after (ANSWER_GRID)
    for k in range(FOLDS):
        router = fitted_router([e for e in routes if fold.get(e[0]) != k])
        model = CrisisModel.of(kb, TextClassifier([e for e in dangers if fold.get(e[0]) != k],
                                                  crisis_model.REGULARISATION,
                                                  crisis_model.BALANCED))
        for item in (i for i in items if fold[i.text] == k):
            profile, place_words = matcher.read_profile(item.text, Profile(area=item.area))
            found = with_chances(matcher.relevance(item.text, place_words),
                                 router.chances(item.text))
            ranked = [r.service.id for r in matcher.rank(found, profile) if r.score >= MIN_SCORE]
            hit = rules.detect(item.text)
            opinion, calmed = model.assess(item.text), rules.calmed(hit, item.text)
            decided = rules.combine(hit, opinion, calmed)
            score.add(item, *as_answered(ranked, decided, need_of(found)))
            rows.append((item, ranked, hit, opinion, calmed, need_of(found)))
    print_side_by_side({"development, 5-fold": score})
    print("\nother trust settings: lead, weak_need, sure_alone -> top-1, top-3, recall, "
          "false alarms, safety lines on ordinary messages")
    for lead, weak_need, sure_alone in ANSWER_GRID:
        trust = replace(TRUST, lead=lead, weak_need=weak_need, sure_alone=sure_alone)
        other = Score("setting")
        for item, ranked, hit, opinion, calmed, need in rows:
            decided = rules.combine(hit, opinion, calmed, trust)
            other.add(item, *as_answered(ranked, decided, need, trust))
        print(f"  {lead:4} {weak_need:4} {sure_alone:5}   {pct(other.top1, other.n):>7} "
              f"{pct(other.top3, other.n):>7} {pct(other.crisis_hits, other.crisis_n):>7} "
              f"{pct(other.false_alarms, other.benign_n):>7} "
              f"{pct(other.safety_lines, other.benign_n):>7}")
    print_misses(score, misses)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=["router", "crisis", "answer"])
    parser.add_argument("--misses", type=int, default=40,
                        help="answer: how many misses of each kind to list")
    args = parser.parse_args()
    kb = load_knowledge(ROOT / "knowledge")
    items = load_items(DATA)
    if args.model == "router":
        router(kb, items, [0, 16, 32, 48, 64, 80, 96])
    elif args.model == "answer":
        answer(kb, items, args.misses)
    else:
        crisis(kb, items)
    return 0


if __name__ == "__main__":
    sys.exit(main())
