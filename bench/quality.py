"""Answer quality on labelled resident messages: Routewijzer against two obvious baselines.

    python bench/quality.py [--data bench/data/labelled.yaml] [--misses N]

Prints top-1 / top-3 accuracy, mean reciprocal rank, crisis recall and false-alarm rate, and
the average number of clarifying questions, for Routewijzer, a naive rapidfuzz matcher and
BM25, all on the same knowledge base; then the messages Routewijzer gets wrong.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rank_bm25 import BM25Okapi  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from bot.dialogue.engine import Engine  # noqa: E402
from bot.dialogue.types import Event  # noqa: E402
from bot.knowledge.loader import load_knowledge  # noqa: E402
from bot.knowledge.model import KnowledgeBase  # noqa: E402
from bot.matching.crisis import CrisisDetector  # noqa: E402
from bot.matching.matcher import Matcher  # noqa: E402
from bot.matching.profile import Profile  # noqa: E402

DEFAULT_DATA = ROOT / "bench" / "data" / "labelled.yaml"


@dataclass
class Item:
    text: str
    expect: list[str]
    crisis: bool = False
    area: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class Score:
    name: str
    top1: int = 0
    top3: int = 0
    rr: float = 0.0
    n: int = 0
    crisis_hits: int = 0
    crisis_n: int = 0
    false_alarms: int = 0
    benign_n: int = 0
    questions: int = 0
    misses: list[tuple[Item, list[str]]] = field(default_factory=list)
    by_tag: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add(self, item: Item, ranking: list[str], fired: bool) -> None:
        if item.crisis:
            self.crisis_n += 1
            self.crisis_hits += fired
        else:
            self.benign_n += 1
            self.false_alarms += fired
        if not item.expect:
            return  # a harmless look-alike no service fits: it only measures false alarms
        self.n += 1
        rank = next((i for i, sid in enumerate(ranking) if sid in item.expect), None)
        if rank == 0:
            self.top1 += 1
        else:
            self.misses.append((item, ranking[:3]))
        if rank is not None and rank < 3:
            self.top3 += 1
        self.rr += 1 / (rank + 1) if rank is not None else 0.0
        for tag in item.tags:
            seen, right = self.by_tag.get(tag, (0, 0))
            self.by_tag[tag] = (seen + 1, right + (rank == 0))


def load_items(path: Path) -> list[Item]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Item(r["text"], list(r["expect"]), bool(r.get("crisis")), r.get("area"),
                 list(r.get("tags") or [])) for r in raw]


# ---------------------------------------------------------------------- systems


def routewijzer(kb: KnowledgeBase) -> tuple[Score, object]:
    matcher = Matcher(kb)
    crisis = CrisisDetector(kb)

    def rank(item: Item) -> tuple[list[str], bool]:
        hit = crisis.detect(item.text)
        ranked = [r.service.id for r in matcher.match(item.text, Profile(area=item.area))]
        if hit:
            ranked = list(hit.service_ids) + [s for s in ranked if s not in hit.service_ids]
        return ranked, hit is not None

    return Score("Routewijzer"), rank


def naive_fuzzy(kb: KnowledgeBase) -> tuple[Score, object]:
    """What a developer would write first: WRatio over every keyword."""
    choices: list[str] = []
    owners: list[str] = []
    for service in kb.services.values():
        for words in service.keywords.values():
            for word in words:
                choices.append(word)
                owners.append(service.id)

    def rank(item: Item) -> tuple[list[str], bool]:
        found = process.extract(item.text, choices, scorer=fuzz.WRatio, limit=60)
        ranking: list[str] = []
        for _, _, index in found:
            if owners[index] not in ranking:
                ranking.append(owners[index])
        return ranking, bool(ranking) and kb.services[ranking[0]].urgent

    return Score("rapidfuzz WRatio"), rank


def bm25(kb: KnowledgeBase) -> tuple[Score, object]:
    """BM25 over each service's name, description and keywords."""
    ids = list(kb.services)

    def words(text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())

    corpus = []
    for service in kb.services.values():
        text = " ".join([service.name, *service.description.values(),
                         *(k for ks in service.keywords.values() for k in ks)])
        corpus.append(words(text))
    index = BM25Okapi(corpus)

    def rank(item: Item) -> tuple[list[str], bool]:
        scores = index.get_scores(words(item.text))
        order = sorted(range(len(ids)), key=lambda i: -scores[i])
        ranking = [ids[i] for i in order if scores[i] > 0]
        return ranking, bool(ranking) and kb.services[ranking[0]].urgent

    return Score("BM25 (rank_bm25)"), rank


def clarifying_questions(kb: KnowledgeBase, items: list[Item]) -> float:
    """How many questions the conversation asks before answering, answered as residents would."""
    engine = Engine(kb)
    total = 0
    for item in items:
        state = engine.handle(None, Event.start(item.area or "")).state
        outcome = engine.handle(state, Event.text(item.text))
        asked = 0
        while outcome.tag == "question" and asked < 5:
            asked += 1
            step = outcome.state.step
            answer = {"area": f"a:{item.area}" if item.area else "x:area",
                      "area_confirm": "a:utrecht", "audience": "x:audience",
                      "urgency": "u:0"}[step]
            outcome = engine.handle(outcome.state, Event.button(answer))
        total += asked
    return total / len(items) if items else 0.0


# ---------------------------------------------------------------------- report


def evaluate(kb: KnowledgeBase, items: list[Item]) -> list[Score]:
    results = []
    for system in (routewijzer, naive_fuzzy, bm25):
        score, rank = system(kb)
        for item in items:
            ranking, fired = rank(item)
            score.add(item, ranking, fired)
        results.append(score)
    results[0].questions = clarifying_questions(kb, items)
    return results


def pct(part: float, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "   n/a"


def print_table(scores: list[Score], out=sys.stdout) -> None:
    out.write(f"{'system':<20} {'top-1':>8} {'top-3':>8} {'MRR':>6} {'crisis recall':>14} "
              f"{'false alarms':>13}\n")
    for s in scores:
        out.write(f"{s.name:<20} {pct(s.top1, s.n):>8} {pct(s.top3, s.n):>8} "
                  f"{s.rr / s.n if s.n else 0:6.3f} {pct(s.crisis_hits, s.crisis_n):>14} "
                  f"{pct(s.false_alarms, s.benign_n):>13}\n")
    first = scores[0]
    out.write(f"\n{first.n} messages ({first.crisis_n} emergencies, {first.benign_n} other); "
              f"Routewijzer asks {first.questions:.2f} clarifying questions on average.\n")
    out.write("Baselines have no crisis layer: for them 'crisis recall' is an emergency line "
              "ranked first, a 'false alarm' an emergency line first for an ordinary message.\n")
    tags = sorted(first.by_tag.items(), key=lambda kv: -kv[1][0])
    out.write("\nRoutewijzer top-1 by kind of message: " + ", ".join(
        f"{tag} {pct(right, seen).strip()} ({seen})" for tag, (seen, right) in tags) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--misses", type=int, default=50, help="how many misses to list")
    args = parser.parse_args(argv)
    kb = load_knowledge(args.knowledge)
    items = load_items(args.data)
    scores = evaluate(kb, items)
    print_table(scores)
    misses = scores[0].misses
    if misses and args.misses:
        print(f"\nRoutewijzer misses ({len(misses)}; expected -> got top 3):")
        for item, got in misses[: args.misses]:
            area = f" [{item.area}]" if item.area else ""
            print(f"  {item.text!r}{area}\n      expected {', '.join(item.expect)} -> "
                  f"{', '.join(got) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
