"""Answer quality on labelled resident messages: Routewijzer against two obvious baselines.

    python bench/quality.py [--misses N] [--data FILE ...]

Two sets, side by side:
- development: bench/data/labelled.yaml and the dev_*.yaml sets (scripts/learned_examples.py
  lists them), which may be used to find what the bot does not understand yet, and which the
  learned models learn from;
- held-out: bench/data/heldout.yaml, written fresh before the crisis rules it tests and never used
  to choose a keyword, phrase or weight. Every held-out miss is printed.

Per set: top-1 / top-3 accuracy, mean reciprocal rank, crisis recall (the emergency reply or the
safety line), false alarms (the emergency reply for an ordinary message), safety lines shown with an
ordinary message, and top-1 per kind of message and per kind of emergency.
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
sys.path.insert(0, str(ROOT / "scripts"))

import learned_examples  # noqa: E402
from rank_bm25 import BM25Okapi  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from bot.dialogue import buttons  # noqa: E402
from bot.dialogue.engine import Engine  # noqa: E402
from bot.dialogue.types import Event  # noqa: E402
from bot.knowledge.loader import load_knowledge  # noqa: E402
from bot.knowledge.model import KnowledgeBase  # noqa: E402
from bot.matching.crisis import TRUST, CrisisDetector, CrisisHit, Trust  # noqa: E402
from bot.matching.matcher import MIN_SCORE, Matcher, need_of  # noqa: E402
from bot.matching.profile import Profile  # noqa: E402

DATA = ROOT / "bench" / "data"
DEFAULT_SETS = {
    "development": [DATA / name for name in learned_examples.SOURCES],
    "held-out": [DATA / "heldout.yaml"],
}
# Residents' own languages: one set each, written before the bot had any vocabulary in them.
LANGUAGE_SETS = {lang: DATA / f"lang_{lang}.yaml" for lang in ("tr", "ar", "pl", "uk")}


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
    safety_lines: int = 0
    benign_n: int = 0
    questions: float = 0.0
    long_first: float = 0.0  # share of first replies longer than a phone screen
    dead_ends: float = 0.0  # share of replies without a next step
    misses: list[tuple[Item, list[str]]] = field(default_factory=list)
    crisis_misses: list[tuple[Item, list[str]]] = field(default_factory=list)
    alarms: list[tuple[Item, list[str]]] = field(default_factory=list)
    by_tag: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add(self, item: Item, ranking: list[str], fired: bool, certain: bool) -> None:
        """`fired`: the emergency reply or a safety line; `certain`: the emergency reply."""
        if item.crisis:
            self.crisis_n += 1
            self.crisis_hits += fired
            if not fired:
                self.crisis_misses.append((item, ranking[:3]))
            kind = next((t for t in item.tags if t.startswith("crisis-")), "crisis")
            seen, right = self.by_tag.get(f"recall {kind}", (0, 0))
            self.by_tag[f"recall {kind}"] = (seen + 1, right + fired)
        else:
            self.benign_n += 1
            self.false_alarms += certain
            self.safety_lines += fired and not certain
            if certain:
                self.alarms.append((item, ranking[:3]))
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


def load_items(paths: list[Path]) -> list[Item]:
    items = []
    for path in paths:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        items += [Item(r["text"], list(r["expect"]), bool(r.get("crisis")), r.get("area"),
                       list(r.get("tags") or [])) for r in raw]
    return items


# ---------------------------------------------------------------------- systems


def routewijzer(kb: KnowledgeBase) -> tuple[Score, object]:
    matcher = Matcher(kb, learned=True)
    crisis = CrisisDetector(kb, learned=True)

    def rank(item: Item) -> tuple[list[str], bool, bool]:
        profile, place_words = matcher.read_profile(item.text, Profile(area=item.area))
        found = matcher.relevance(item.text, place_words)
        ranked = [r.service.id for r in matcher.rank(found, profile) if r.score >= MIN_SCORE]
        return as_answered(ranked, crisis.detect(item.text), need_of(found))

    return Score("Routewijzer"), rank


def as_answered(
    ranked: list[str], hit: CrisisHit | None, need: float, trust: Trust = TRUST
) -> tuple[list[str], bool, bool]:
    """The places in the order the resident sees them, whether an emergency line is shown,
    and whether it is the emergency reply (not a safety line beside the need's answer)."""
    if hit is None:
        return ranked, False, False
    lines = list(hit.service_ids)
    if hit.certain or not ranked:  # the emergency reply (also a safety net with no need)
        return lines + [s for s in ranked if s not in lines], True, True
    if hit.leads(need, trust):  # the safety line first, then the need's answer
        return lines + [s for s in ranked if s not in lines], True, False
    # the need's answer, and the safety line with its number beside it
    order = ranked[:1] + [s for s in lines if s != ranked[0]]
    return order + [s for s in ranked[1:] if s not in lines], True, False


def naive_fuzzy(kb: KnowledgeBase) -> tuple[Score, object]:
    """What a developer would write first: WRatio over every keyword."""
    choices: list[str] = []
    owners: list[str] = []
    for service in kb.services.values():
        for words in service.keywords.values():
            for word in words:
                choices.append(word)
                owners.append(service.id)

    def rank(item: Item) -> tuple[list[str], bool, bool]:
        found = process.extract(item.text, choices, scorer=fuzz.WRatio, limit=60)
        ranking: list[str] = []
        for _, _, index in found:
            if owners[index] not in ranking:
                ranking.append(owners[index])
        fired = bool(ranking) and kb.services[ranking[0]].urgent
        return ranking, fired, fired

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

    def rank(item: Item) -> tuple[list[str], bool, bool]:
        scores = index.get_scores(words(item.text))
        order = sorted(range(len(ids)), key=lambda i: -scores[i])
        ranking = [ids[i] for i in order if scores[i] > 0]
        fired = bool(ranking) and kb.services[ranking[0]].urgent
        return ranking, fired, fired

    return Score("BM25 (rank_bm25)"), rank


PHONE_SCREEN = 700  # characters: a first reply longer than this does not fit one phone screen


def conversation(kb: KnowledgeBase, items: list[Item]) -> tuple[float, float, float]:
    """The conversation as residents have it: (questions asked per message, share of first
    replies longer than a phone screen, share of replies without a next step). Questions are
    answered as the resident would: their district if known, otherwise "weet ik niet"."""
    engine = Engine(kb)
    questions = long_first = dead_ends = replies = 0
    for item in items:
        state = engine.handle(None, Event.start(item.area or "")).state
        outcome = engine.handle(state, Event.text(item.text))
        long_first += any(len(r.text) > PHONE_SCREEN for r in outcome.replies)
        asked = 0
        while True:
            replies += 1
            dead_ends += not outcome.replies or not outcome.replies[-1].buttons
            if outcome.tag != "question" or asked >= 5:
                break
            asked += 1
            step = outcome.state.step
            value = item.area if step == "area" and item.area else buttons.SKIP
            outcome = engine.handle(outcome.state, Event.button(buttons.answer(step, value)))
        questions += asked
    n = len(items) or 1
    return questions / n, long_first / n, dead_ends / (replies or 1)


# ---------------------------------------------------------------------- report


def evaluate(kb: KnowledgeBase, items: list[Item], baselines: bool = True) -> list[Score]:
    results = []
    for system in (routewijzer, naive_fuzzy, bm25) if baselines else (routewijzer,):
        score, rank = system(kb)
        for item in items:
            ranking, fired, certain = rank(item)
            score.add(item, ranking, fired, certain)
        results.append(score)
    first = results[0]
    first.questions, first.long_first, first.dead_ends = conversation(kb, items)
    return results


def pct(part: float, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "   n/a"


def print_table(scores: list[Score], out=sys.stdout) -> None:
    out.write(f"{'system':<20} {'top-1':>8} {'top-3':>8} {'MRR':>6} {'crisis recall':>14} "
              f"{'false alarms':>13} {'safety lines':>13}\n")
    for s in scores:
        out.write(f"{s.name:<20} {pct(s.top1, s.n):>8} {pct(s.top3, s.n):>8} "
                  f"{s.rr / s.n if s.n else 0:6.3f} {pct(s.crisis_hits, s.crisis_n):>14} "
                  f"{pct(s.false_alarms, s.benign_n):>13} {pct(s.safety_lines, s.benign_n):>13}\n")
    first = scores[0]
    out.write(f"\n{first.n} messages with an expected place, {first.crisis_n} emergencies, "
              f"{first.benign_n} other; Routewijzer asks {first.questions:.2f} clarifying "
              "questions on average.\n")


def print_side_by_side(named: dict[str, Score], out=sys.stdout) -> None:
    """Routewijzer on each set in one table, then top-1 (and crisis recall) per kind."""
    names = list(named)
    out.write(f"\n{'Routewijzer':<28}" + "".join(f"{n:>16}" for n in names) + "\n")
    rows = [
        ("messages", lambda s: str(s.n + (s.crisis_n + s.benign_n - s.n))),
        ("top-1", lambda s: pct(s.top1, s.n)),
        ("top-3", lambda s: pct(s.top3, s.n)),
        ("MRR", lambda s: f"{s.rr / s.n if s.n else 0:.3f}"),
        ("crisis recall", lambda s: pct(s.crisis_hits, s.crisis_n)),
        ("false alarms", lambda s: pct(s.false_alarms, s.benign_n)),
        ("safety line, ordinary need", lambda s: pct(s.safety_lines, s.benign_n)),
        ("questions per message", lambda s: f"{s.questions:.2f}"),
        (f"first replies > {PHONE_SCREEN} chars", lambda s: f"{100 * s.long_first:.1f} %"),
        ("replies without a next step", lambda s: f"{100 * s.dead_ends:.1f} %"),
    ]
    for label, value in rows:
        out.write(f"{label:<28}" + "".join(f"{value(named[n]):>16}" for n in names) + "\n")
    tags = sorted({t for s in named.values() for t in s.by_tag},
                  key=lambda t: (t.startswith("recall"), t))
    out.write("\nper kind (top-1; 'recall crisis-*': emergency reply or safety line)\n")
    for tag in tags:
        cells = []
        for n in names:
            seen, right = named[n].by_tag.get(tag, (0, 0))
            cells.append(f"{pct(right, seen).strip()} ({seen})" if seen else "-")
        out.write(f"  {tag:<26}" + "".join(f"{c:>16}" for c in cells) + "\n")


def print_misses(score: Score, limit: int | None, out=sys.stdout) -> None:
    """Emergencies missed first (the worst error), then false alarms, then wrong first places."""
    groups = [
        ("emergencies missed", score.crisis_misses),
        ("false alarms (emergency reply for an ordinary message)", score.alarms),
        ("wrong first place", score.misses),
    ]
    for title, rows in groups:
        if not rows:
            continue
        shown = rows if limit is None else rows[:limit]
        out.write(f"\n  {title} ({len(rows)}; expected -> got top 3):\n")
        for item, got in shown:
            area = f" [{item.area}]" if item.area else ""
            out.write(f"    {item.text!r}{area}\n        expected {', '.join(item.expect) or '-'}"
                      f" -> {', '.join(got) or 'nothing'}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+",
                        help="score these files as one set instead of the two default sets")
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--languages", action="store_true",
                        help="only the per-language sets (bench/data/lang_*.yaml)")
    parser.add_argument("--misses", type=int, default=30,
                        help="how many development misses of each kind to list "
                             "(held-out misses are always all listed)")
    args = parser.parse_args(argv)
    kb = load_knowledge(args.knowledge)
    if args.languages:
        return languages_report(kb, args.misses)
    sets = {"given": args.data} if args.data else DEFAULT_SETS
    named: dict[str, Score] = {}
    for name, paths in sets.items():
        items = load_items(paths)
        print(f"\n== {name}: {', '.join(p.name for p in paths)}")
        scores = evaluate(kb, items)
        print_table(scores)
        named[name] = scores[0]
    print("\nBaselines have no crisis layer: for them 'crisis recall' is an emergency line "
          "ranked first, a 'false alarm' an emergency line first for an ordinary message.")
    print_side_by_side(named)
    for name, score in named.items():
        held_out = name == "held-out"
        print(f"\n== Routewijzer misses on {name}"
              + (" (all of them)" if held_out else f" (at most {args.misses} of each kind)"))
        print_misses(score, None if held_out else args.misses)
    languages_report(kb, args.misses)
    return 0


def languages_report(kb: KnowledgeBase, misses: int, out=sys.stdout) -> int:
    """Top-1, top-3 and crisis recall per resident language, then each language's misses."""
    scores = {}
    for lang, path in LANGUAGE_SETS.items():
        if path.exists():
            scores[lang] = evaluate(kb, load_items([path]), baselines=False)[0]
    out.write(f"\n== per language ({', '.join(p.name for p in LANGUAGE_SETS.values())})\n")
    out.write(f"{'language':<10} {'n':>4} {'top-1':>8} {'top-3':>8} {'crisis recall':>14} "
              f"{'false alarms':>13}\n")
    for lang, s in scores.items():
        out.write(f"{lang:<10} {s.n:>4} {pct(s.top1, s.n):>8} {pct(s.top3, s.n):>8} "
                  f"{pct(s.crisis_hits, s.crisis_n):>14} {pct(s.false_alarms, s.benign_n):>13}\n")
    for lang, s in scores.items():
        out.write(f"\n== Routewijzer misses in {lang}\n")
        print_misses(s, misses, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
