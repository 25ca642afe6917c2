"""Realistic synthetic knowledge bases and questions, for measuring speed at scale.

The real knowledge base has 78 services; a province-wide social map has thousands. This
writes knowledge directories of any size that look like the real one: Dutch need words
combined into keywords and multi-word phrases, descriptions, example questions, several
districts with postcodes, and the real areas, themes, texts and crisis rules copied from
`knowledge/`. Questions are drawn the way residents write: a few need words, filler,
sometimes a typo or a neighbourhood.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SERVICES_PER_FILE = 500
ROUTE_EXAMPLES_PER_PLACE = 200

NEEDS = """
schulden geldzorgen huur rekeningen deurwaarder belasting toeslagen uitkering bijstand budget
eenzaam alleen contact ontmoeten koffie buurthuis samen eten wandelen vrijwilliger maatje
huisarts dokter fysiotherapie apotheek medicijnen tandarts verpleging thuiszorg wijkverpleging
dementie geheugen vergeetachtig mantelzorg zorgen overbelast respijt dagbesteding logeren
opvoeden kinderen puber baby consultatiebureau school pesten jongeren hangjongeren sport
taal lezen schrijven rekenen computer digid smartphone formulier brieven post internet
wonen woning verhuizen schimmel lekkage huisbaas overlast geluid buren afval grofvuil
lantaarnpaal stoep parkeren fiets melding gemeente paspoort rijbewijs verhuizing inschrijven
depressief somber angstig stress burnout slapen verslaving alcohol drugs gokken rouw
sporten bewegen fitness zwemmen yoga afvallen gezond eten koken voeding diabetes hart
werk solliciteren stage vrijwilligerswerk opleiding inburgering nieuwkomer statushouder
juridisch advocaat ontslag contract boete scheiding alimentatie huurcommissie politie aangifte
""".split()
SUFFIXES = ["hulp", "spreekuur", "loket", "groep", "punt", "advies", "cafe", "training"]
PLACES = ["Centrum", "Noord", "West", "Oost", "Zuid", "Haven", "Park", "Dorp", "Veld", "Hof"]
FILLER = ["ik", "heb", "zoek", "mijn", "een", "wie", "kan", "helpen", "met", "graag", "hoe",
          "moet", "ik", "nu", "waar", "kan", "ik", "terecht", "voor"]


def _service(rng: random.Random, number: int, districts: list[str]) -> dict:
    needs = rng.sample(NEEDS, 6)
    name = f"{needs[0].capitalize()}{rng.choice(SUFFIXES)} {rng.choice(PLACES)} {number}"
    phrases = [f"{needs[i]} {needs[i + 1]}" for i in range(0, 4, 2)]
    return {
        "id": f"dienst-{number}",
        "name": name,
        "description": {
            "nl": f"Helpt bewoners met {needs[0]}, {needs[1]} en {needs[2]}.",
            "en": f"Helps residents with {needs[0]} and {needs[1]}.",
        },
        "themes": [rng.choice(["gezondheid", "hulpvragen", "leefstijl", "ontmoeten", "wijk"])],
        "areas": [rng.choice(districts)],
        "audience": ["iedereen"],
        "keywords": {"nl": needs + phrases, "en": needs[:2]},
        "examples": {"nl": [f"ik zoek hulp bij {needs[0]} en {needs[1]}", needs[0],
                            f"wie weet iets over {phrases[1]}"]},
        "contact": {"phone": f"030-{1000000 + number:07d}"[:11]},
        "opening_hours": {"walk_in": "Mo-Fr 09:00-17:00; PH off"},
        "sources": ["https://example.org/synthetisch"],
        "checked": "2025-01",
    }


def write_knowledge(target: Path, services: int, seed: int = 7) -> Path:
    """A knowledge directory with `services` synthetic services plus the real fixed files."""
    rng = random.Random(seed)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT / "knowledge", target, ignore=shutil.ignore_patterns("services"))
    # The crisis rules and the areas' front doors name real services: keep those few.
    doors = {door for area in yaml.safe_load((ROOT / "knowledge" / "areas.yaml").read_text())[
        "areas"] for door in area.get("front_doors", [])}
    crisis = yaml.safe_load((ROOT / "knowledge" / "crisis.yaml").read_text())
    needed = doors | {sid for rule in crisis["crisis"] for sid in rule["services"]}
    real = [s for s in _all_real_services() if s["id"] in needed]
    districts = ["oost", "zuid", "utrecht"]
    directory = target / "services"
    directory.mkdir()
    (directory / "vast.yaml").write_text(
        yaml.safe_dump({"services": real}, allow_unicode=True), encoding="utf-8")
    # The router's examples, for the real services kept (the others are not there), at most
    # ROUTE_EXAMPLES_PER_PLACE each: a message costs the router the same (its words, its
    # places) however many examples it learned from, and fitting on all 8,000 took half a
    # minute of every run.
    routes = target / "route_examples.yaml"
    kept = {s["id"] for s in real}
    examples = yaml.safe_load(routes.read_text(encoding="utf-8"))["examples"]
    routes.write_text(yaml.safe_dump(
        {"examples": {k: v[:ROUTE_EXAMPLES_PER_PLACE] for k, v in examples.items() if k in kept}},
        allow_unicode=True,
    ), encoding="utf-8")
    generated = [_service(rng, n, districts) for n in range(services - len(real))]
    for start in range(0, len(generated), SERVICES_PER_FILE):
        part = generated[start : start + SERVICES_PER_FILE]
        (directory / f"synthetisch-{start // SERVICES_PER_FILE:03d}.yaml").write_text(
            yaml.safe_dump({"services": part}, allow_unicode=True), encoding="utf-8")
    return target


def _all_real_services() -> list[dict]:
    services = []
    for path in sorted((ROOT / "knowledge" / "services").glob("*.yaml")):
        services.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["services"])
    return services


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def questions(count: int, seed: int = 11) -> list[str]:
    """Resident-like questions: need words in filler, 1 in 5 with a typo, some with a place."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        words = rng.sample(FILLER, rng.randint(1, 5)) + rng.sample(NEEDS, rng.randint(1, 3))
        rng.shuffle(words)
        if rng.random() < 0.2:
            i = rng.randrange(len(words))
            words[i] = _typo(rng, words[i])
        if rng.random() < 0.15:
            words += ["ik", "woon", "in", rng.choice(["lunetten", "oudwijk", "hoograven"])]
        out.append(" ".join(words))
    return out
