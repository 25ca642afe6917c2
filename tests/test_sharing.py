"""Sharing: deep links and their QR codes, the printed Meterkastkaart, and HSDS open data."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
import uuid
from datetime import date
from pathlib import Path

import pytest
import segno
import yaml

from bot.cli import main
from bot.dialogue.payload import PayloadError, Preset, parse_payload, validate_payload
from bot.knowledge.loader import DEFAULT_DIRECTORY, load_knowledge
from bot.knowledge.model import Area, KnowledgeBase, Service
from bot.sharing import browser
from bot.sharing.card import build_card, render_card, select_places
from bot.sharing.hsds import export_hsds, import_hsds, split_address, weekly_schedules
from bot.sharing.links import make_link
from bot.sharing.spreadsheet import COLUMNS, export_csv

BOT = "routewijzer_test_bot"
TODAY = date.today()


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdin=io.StringIO(""), stdout=out)
    return code, out.getvalue()


# ---------------------------------------------------------------------- a small knowledge base


def _service(service_id: str, name: str, **fields) -> dict:
    """A valid service; `fields` replace or add to the defaults."""
    return {
        "id": service_id,
        "name": name,
        "description": {"nl": f"Beschrijving van {name}.", "en": f"About {name}."},
        "themes": ["hulpvragen"],
        "areas": ["utrecht"],
        "audience": ["iedereen"],
        "keywords": {"nl": [f"{service_id} een", f"{service_id} twee", f"{service_id} drie"]},
        "examples": {"nl": [f"ik zoek {service_id}", f"waar is {service_id}", service_id]},
        "sources": ["https://example.org/bron"],
        "checked": str(TODAY.year),
        **fields,
    }


# The card's places for Oost, chosen to exercise every selection rule (see select_places).
CARD_SERVICES = [
    _service("kaart-wijk-een", "Wijkplek Een", areas=["oost"], card=1,
             contact={"phone": "030-1111111", "address": "Proefstraat 1, 3581 AA Utrecht"}),
    _service("kaart-stad", "Stadsplek", card=1, checked="2015",
             contact={"phone": ["030-2222222", "0800-2222"]}),
    _service("kaart-landelijk", "Landelijke lijn", areas=["nederland"], card=1,
             checked="onbekend", contact={"phone": "0800-3333"}),
    _service("kaart-wijk-twee", "Wijkplek Twee", areas=["oost"], card=2,
             contact={"website": "https://www.example.org/wijk/"}),
    _service("kaart-vol", "Wijkplek Vol", areas=["oost"], card=2,
             contact={"phone": "030-4444444"}),
    _service("kaart-wijk-drie", "Wijkplek Drie", areas=["oost"], card=3,
             themes=["hulpvragen", "ontmoeten"], contact={"address": "Plein 3, Utrecht"},
             opening_hours={"walk_in": "Mo-Fr 09:00-12:00,13:00-17:00; PH off",
                            "phone": "Mo-Fr 09:00-12:00; PH off"},
             opening_hours_note={"nl": "Inloop op werkdagen", "en": "Drop in on weekdays"},
             cost={"nl": "Gratis", "en": "Free"}, urgent=True),
    # Reached only through another place: nothing of its own to print.
    _service("kaart-onbereikbaar", "Plek zonder contact", areas=["oost"], card=1,
             themes=["ontmoeten"], front_door="kaart-wijk-een"),
    _service("kaart-zuid", "Zuidplek", areas=["zuid"], card=1, contact={"phone": "030-5555555"}),
    _service("geen-kaart", "Gewone plek", areas=["oost"], contact={"phone": "030-6666666"},
             notes="Alleen voor beheerders."),
]


def _needed_ids(directory: Path) -> list[str]:
    """Services the other knowledge files refer to: emergency lines and front doors."""
    crisis = yaml.safe_load((directory / "crisis.yaml").read_text(encoding="utf-8"))
    areas = yaml.safe_load((directory / "areas.yaml").read_text(encoding="utf-8"))
    ids = list(crisis.get("required_services") or [])
    ids += [s for rule in crisis.get("crisis") or [] for s in rule.get("services") or []]
    ids += [s for area in areas["areas"] for s in area.get("front_doors") or []]
    return list(dict.fromkeys(ids))


def make_knowledge(target: Path, services: list[dict]) -> Path:
    """The real areas, themes, crisis rules and texts, with only `services` (plus stubs)."""
    shutil.copytree(DEFAULT_DIRECTORY, target)
    for old in (target / "services").glob("*.yaml"):
        old.unlink()
    stubs = [
        _service(sid, f"Lijn {index}", contact={"phone": f"0800-{index:04d}"})
        for index, sid in enumerate(_needed_ids(target), start=1)
    ]
    (target / "services" / "proef.yaml").write_text(
        yaml.safe_dump({"services": stubs + services}, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    return target


@pytest.fixture
def card_knowledge(tmp_path: Path) -> Path:
    return make_knowledge(tmp_path / "knowledge", CARD_SERVICES)


@pytest.fixture
def card_kb(card_knowledge: Path) -> KnowledgeBase:
    return load_knowledge(card_knowledge)


# ---------------------------------------------------------------------- payloads and links


@pytest.mark.parametrize(
    ("payload", "canonical"),
    [
        ("oost", "oost"),
        ("zuid-gezondheid", "zuid-gezondheid"),
        ("gezondheid-zuid", "zuid-gezondheid"),
        ("Oost_Gezondheid", "oost-gezondheid"),
        ("wijk", "wijk"),
    ],
)
def test_valid_payloads_become_one_canonical_link(kb, payload, canonical):
    link = make_link(kb, BOT, payload)
    assert link.payload == canonical
    assert link.url == f"https://t.me/{BOT}?start={canonical}"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("mars", "'mars' is not an area or theme id"),
        ("oost-mars", "'mars' in 'oost-mars' is not an area or theme id"),
        ("oost-zuid", "names two areas"),
        ("gezondheid-wijk", "names two themes"),
        ("", "empty"),
        ("oost gezondheid", "not a Telegram deep-link payload"),
        ("oost!", "not a Telegram deep-link payload"),
        ("oost-" + "x" * 61, "not a Telegram deep-link payload"),
        ("---", "names no area or theme"),
    ],
)
def test_bad_payloads_are_refused_with_the_valid_ids(kb, payload, reason):
    with pytest.raises(PayloadError) as caught:
        validate_payload(kb, payload)
    message = str(caught.value)
    assert reason in message
    assert all(area in message for area in kb.areas)
    assert all(theme in message for theme in kb.themes)


def test_the_engine_reads_the_same_grammar_leniently(kb):
    assert parse_payload(kb, "zuid-gezondheid") == Preset("zuid", "gezondheid")
    assert parse_payload(kb, "oost-mars") == Preset("oost", None)
    assert parse_payload(kb, "onzin") == Preset()


def test_ids_with_hyphens_are_matched_whole(kb):
    wider = dataclasses.replace(
        kb, areas={**kb.areas, "noord-oost": Area("noord-oost", {"nl": "Noordoost"}, "district")}
    )
    assert validate_payload(wider, "noord-oost-gezondheid") == Preset("noord-oost", "gezondheid")
    assert parse_payload(wider, "noord-oost") == Preset("noord-oost", None)


def test_link_command_prints_the_link_and_writes_segnos_qr_code(tmp_path):
    code, out = run("link", "zuid-gezondheid", "--bot-username", BOT, "--out-dir", str(tmp_path))
    url = f"https://t.me/{BOT}?start=zuid-gezondheid"
    assert code == 0 and out.splitlines()[0] == url
    svg = tmp_path / "routewijzer-zuid-gezondheid.svg"
    png = tmp_path / "routewijzer-zuid-gezondheid.png"
    expected = io.BytesIO()
    segno.make(url, error="m", micro=False).save(expected, kind="svg", scale=10, title=url)
    assert svg.read_bytes() == expected.getvalue()
    assert png.read_bytes().startswith(b"\x89PNG")


def test_link_command_refuses_a_bad_payload_naming_the_valid_ids(tmp_path):
    code, out = run("link", "oost-mars", "--bot-username", BOT, "--out-dir", str(tmp_path))
    assert code == 2
    assert "'mars'" in out and "Valid areas: oost, zuid" in out and "gezondheid" in out
    assert list(tmp_path.iterdir()) == []


def test_link_command_needs_a_real_bot_username(monkeypatch, tmp_path):
    monkeypatch.delenv("ROUTEWIJZER_BOT_USERNAME", raising=False)
    code, out = run("link", "oost", "--out-dir", str(tmp_path))
    assert code == 2 and "ROUTEWIJZER_BOT_USERNAME" in out
    monkeypatch.setenv("ROUTEWIJZER_BOT_USERNAME", "Routewijzer Utrecht")
    code, out = run("link", "oost", "--out-dir", str(tmp_path))
    assert code == 2 and "not a Telegram bot username" in out
    monkeypatch.setenv("ROUTEWIJZER_BOT_USERNAME", f"@{BOT}")
    code, out = run("link", "oost", "--out-dir", str(tmp_path))
    assert code == 0 and out.startswith(f"https://t.me/{BOT}?start=oost")


# ---------------------------------------------------------------------- the card's content


def ids(services: list[Service]) -> list[str]:
    return [s.id for s in services]


def test_card_places_follow_priority_district_and_room(card_kb):
    selection = select_places(card_kb, "oost")
    assert {t: ids(s) for t, s in selection.by_theme.items()} == {
        "hulpvragen": ["kaart-wijk-een", "kaart-stad", "kaart-landelijk", "kaart-wijk-twee"],
        "ontmoeten": ["kaart-wijk-drie"],  # its first theme was full
    }
    assert ids(selection.no_room) == ["kaart-vol"]
    assert ids(selection.unreachable) == ["kaart-onbereikbaar"]
    assert ids(selection.ranked) == [
        "kaart-wijk-een", "kaart-stad", "kaart-landelijk", "kaart-wijk-twee", "kaart-wijk-drie",
    ]


def test_card_shows_every_listed_place_with_its_contact_and_age(card_kb):
    link = make_link(card_kb, BOT, "oost")
    card = build_card(card_kb, "oost", "nl", link, TODAY)
    html = render_card(card_kb, card, TODAY)
    for service_id in card.service_ids:
        service = card_kb.services[service_id]
        assert f'data-service="{service_id}"' in html
        assert service.name in html
        for phone in service.contact.phones:
            assert phone in html
    assert "Proefstraat 1, 3581 AA Utrecht" in html and "Plein 3, Utrecht" in html
    assert "030-2222222 / 0800-2222" in html
    assert "example.org/wijk" in html  # no phone: the website instead
    assert "gegevens uit 2015" in html and "datum gegevens onbekend" in html
    assert "kaart-zuid" not in html and "geen-kaart" not in html and "kaart-vol" not in html
    assert card.service_ids[: len(card_kb.emergency_services)] == list(card_kb.emergency_services)


def test_card_qr_code_is_segnos_code_for_the_district_link(card_kb):
    link = make_link(card_kb, BOT, "oost")
    html = render_card(card_kb, build_card(card_kb, "oost", "nl", link, TODAY), TODAY)
    url = f"https://t.me/{BOT}?start=oost"
    assert link.url == url
    expected = segno.make(url, error="m", micro=False).svg_inline(
        omitsize=True, title=url, svgclass="qr"
    )
    assert expected in html
    assert f'data-link="{url}"' in html and f"t.me/{BOT}?start=oost" in html


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_card_sentences_come_from_the_knowledge_texts(card_kb, lang):
    link = make_link(card_kb, BOT, "oost")
    html = render_card(card_kb, build_card(card_kb, "oost", lang, link, TODAY), TODAY)
    texts = card_kb.texts[lang]
    area = card_kb.areas["oost"].label(lang)
    assert texts["card_print_title"].format(area=area) in html
    assert texts["card_print_emergency"] in html
    assert f'<html lang="{lang}">' in html


def test_card_command_writes_html_and_names_what_is_left_off(card_knowledge, tmp_path):
    out_file = tmp_path / "kaart.html"
    code, out = run("--knowledge", str(card_knowledge), "card", "--area", "oost",
                    "--out", str(out_file), "--bot-username", BOT)
    assert code == 0, out
    assert out_file.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "kaart-vol" in out and "kaart-onbereikbaar" in out
    code, out = run("--knowledge", str(card_knowledge), "card", "--area", "mars",
                    "--out", str(out_file), "--bot-username", BOT)
    assert code == 2 and "oost" in out


# ---------------------------------------------------------------------- the card in a browser

needs_browser = pytest.mark.skipif(
    browser.find_browser() is None,
    reason=f"no Chromium-like browser on PATH ({', '.join(browser.BROWSER_NAMES)})",
)
A5_POINTS = (419.5, 595.3)


def print_and_check(kb: KnowledgeBase, area: str, directory: Path, lang: str = "nl"):
    from pypdf import PdfReader  # the test extra; only needed with a browser

    card = build_card(kb, area, lang, make_link(kb, BOT, area), TODAY)
    html_file, pdf_file = directory / f"{area}.html", directory / f"{area}.pdf"
    html_file.write_text(render_card(kb, card, TODAY), encoding="utf-8")
    found = browser.find_browser()
    browser.print_pdf(found, html_file, pdf_file)
    pdf = PdfReader(pdf_file)
    return card, pdf, browser.check_layout(found, html_file)


def assert_two_a5_pages(pdf) -> None:
    assert len(pdf.pages) == 2
    for page in pdf.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert size == pytest.approx(A5_POINTS, abs=1.5)


@needs_browser
def test_card_prints_on_two_a5_pages_without_overflow(card_kb, tmp_path):
    _, pdf, layout = print_and_check(card_kb, "oost", tmp_path)
    assert_two_a5_pages(pdf)
    assert layout.checked and layout.fits, layout
    assert layout.left_off == ()
    front = pdf.pages[0].extract_text()
    assert "Hulp in Utrecht Oost" in front and "Bij nood" in front


@needs_browser
def test_a_too_full_card_leaves_off_the_least_important_places(tmp_path):
    themes = ["gezondheid", "hulpvragen", "leefstijl", "ontmoeten", "wijk"]
    crowded = [
        _service(f"vol-{theme}-{n}", f"Een plek met een flink lange naam nummer {n} voor {theme}",
                 areas=["oost"], themes=[theme], card=1 + n % 3, checked="2016",
                 contact={"phone": "030-1234567",
                          "address": f"Een heel lange straatnaam {n} (achteringang), Utrecht"})
        for theme in themes
        for n in range(4)
    ]
    kb = load_knowledge(make_knowledge(tmp_path / "knowledge", crowded))
    card, pdf, layout = print_and_check(kb, "oost", tmp_path)
    assert_two_a5_pages(pdf)
    assert layout.checked and layout.fits, layout
    assert layout.left_off, "twenty long places cannot all fit on two A5 pages at 12pt"
    rank = {p.service_id: p.rank for s in card.sections for p in s.places}
    printed = set(rank) - set(layout.left_off)
    assert min(rank[s] for s in layout.left_off) > max(rank[s] for s in printed)


@needs_browser
def test_the_real_cards_fit(kb, tmp_path):
    for district in kb.districts():
        for lang in kb.languages:
            _, pdf, layout = print_and_check(kb, district.id, tmp_path, lang)
            assert_two_a5_pages(pdf)
            assert layout.checked and layout.fits, (district.id, lang, layout)


@needs_browser
def test_card_command_prints_a_pdf(card_knowledge, tmp_path):
    code, out = run("--knowledge", str(card_knowledge), "card", "--area", "oost", "--lang", "en",
                    "--out", str(tmp_path / "card.html"), "--pdf", str(tmp_path / "card.pdf"),
                    "--bot-username", BOT)
    assert code == 0, out
    assert "2 A5 pages" in out and (tmp_path / "card.pdf").exists()


# ---------------------------------------------------------------------- open data

# HSDS 3.0 field names per table (openreferral/specification, schema/*.json).
HSDS_FIELDS = {
    "organizations": {"id", "name", "alternate_name", "description", "email", "website",
                      "tax_status", "tax_id", "year_incorporated", "legal_status", "logo", "uri",
                      "parent_organization_id"},
    "services": {"id", "organization_id", "program_id", "name", "alternate_name", "description",
                 "url", "email", "status", "interpretation_services", "application_process",
                 "fees_description", "wait_time", "fees", "accreditations",
                 "eligibility_description", "minimum_age", "maximum_age", "assured_date",
                 "assurer_email", "licenses", "alert", "last_modified"},
    "locations": {"id", "location_type", "url", "organization_id", "name", "alternate_name",
                  "description", "transportation", "latitude", "longitude",
                  "external_identifier", "external_identifier_type"},
    "addresses": {"id", "location_id", "attention", "address_1", "address_2", "city", "region",
                  "state_province", "postal_code", "country", "address_type"},
    "service_at_locations": {"id", "service_id", "location_id", "description"},
    "phones": {"id", "location_id", "service_id", "organization_id", "contact_id",
               "service_at_location_id", "number", "extension", "type", "description"},
    "schedules": {"id", "service_id", "location_id", "service_at_location_id", "valid_from",
                  "valid_to", "dtstart", "timezone", "until", "count", "wkst", "freq", "interval",
                  "byday", "byweekno", "bymonthday", "byyearday", "description", "opens_at",
                  "closes_at", "schedule_link", "attending_type", "notes"},
    "service_areas": {"id", "service_id", "service_at_location_id", "name", "description",
                      "extent", "extent_type", "uri"},
    "languages": {"id", "service_id", "location_id", "phone_id", "name", "code", "note"},
    "taxonomies": {"id", "name", "description", "uri", "version"},
    "taxonomy_terms": {"id", "code", "name", "description", "parent_id", "taxonomy", "language",
                       "taxonomy_id", "term_uri"},
    "attributes": {"id", "link_id", "taxonomy_term_id", "link_type", "link_entity", "value",
                   "label"},
}
FOREIGN_KEYS = [
    ("services", "organization_id", "organizations"),
    ("locations", "organization_id", "organizations"),
    ("addresses", "location_id", "locations"),
    ("service_at_locations", "service_id", "services"),
    ("service_at_locations", "location_id", "locations"),
    ("phones", "service_id", "services"),
    ("schedules", "service_id", "services"),
    ("service_areas", "service_id", "services"),
    ("taxonomy_terms", "taxonomy_id", "taxonomies"),
    ("attributes", "taxonomy_term_id", "taxonomy_terms"),
    ("attributes", "link_id", "services"),
]


def read_tables(directory: Path) -> dict[str, list[dict]]:
    return {t: json.loads((directory / f"{t}.json").read_text("utf-8")) for t in HSDS_FIELDS}


def test_hsds_export_uses_hsds_tables_fields_and_uuids(card_kb, tmp_path):
    export_hsds(card_kb, tmp_path)
    tables = read_tables(tmp_path)
    for table, rows in tables.items():
        for row in rows:
            assert set(row) <= HSDS_FIELDS[table], (table, set(row) - HSDS_FIELDS[table])
            uuid.UUID(row["id"])
        assert len({row["id"] for row in rows}) == len(rows), table
    for table, key, target in FOREIGN_KEYS:
        known = {row["id"] for row in tables[target]}
        assert all(row[key] in known for row in tables[table] if key in row), (table, key)
    assert len(tables["services"]) == len(card_kb.services)
    assert all(s["status"] == "active" and s["name"] for s in tables["services"])
    assert tables["languages"] == []


def test_hsds_export_is_the_same_every_time(card_kb, tmp_path):
    export_hsds(card_kb, tmp_path / "a")
    export_hsds(card_kb, tmp_path / "b")
    assert read_tables(tmp_path / "a") == read_tables(tmp_path / "b")


def same_services(before: KnowledgeBase, after: KnowledgeBase) -> None:
    """The same services, except maintainers' notes: open data never carries those."""

    def comparable(service: Service) -> Service:
        return dataclasses.replace(service, file="", line=0, notes=None)

    assert set(after.services) == set(before.services)
    for service_id, service in before.services.items():
        assert comparable(after.services[service_id]) == comparable(service), service_id


@pytest.mark.parametrize("which", ["fixture", "real"])
def test_hsds_export_then_import_gives_the_same_services(which, card_knowledge, tmp_path):
    source = card_knowledge if which == "fixture" else tmp_path / "real"
    if which == "real":
        shutil.copytree(DEFAULT_DIRECTORY, source)
    before = load_knowledge(source)
    code, out = run("--knowledge", str(source), "export", "--format", "hsds",
                    "--out", str(tmp_path / "hsds"))
    assert code == 0, out
    shutil.rmtree(source / "services")
    code, out = run("import", "--format", "hsds", "--in", str(tmp_path / "hsds"),
                    "--out", str(source / "services"))
    assert code == 0, out
    same_services(before, load_knowledge(source))


@pytest.mark.parametrize("fmt", ["hsds", "csv"])
def test_exports_carry_no_maintainers_notes(fmt, tmp_path):
    kb = load_knowledge(DEFAULT_DIRECTORY)
    code, out = run("export", "--format", fmt, "--out", str(tmp_path))
    assert code == 0, out
    if fmt == "hsds":  # every text value of every row, as a reader of the JSON gets it
        exported = "\n".join(str(value) for path in tmp_path.iterdir()
                             for row in json.loads(path.read_text("utf-8")) for value in row.values())
    else:
        exported = "\n".join(path.read_text("utf-8-sig") for path in tmp_path.iterdir())
    noted = [s for s in kb.services.values() if s.notes]
    assert len(noted) > 50
    leaked = [s.id for s in noted if s.notes[:60] in exported or s.notes[-60:] in exported]
    assert leaked == []


def test_import_does_not_overwrite_without_force(card_knowledge, tmp_path):
    export_hsds(load_knowledge(card_knowledge), tmp_path / "hsds")
    import_hsds(tmp_path / "hsds", tmp_path / "services")
    code, out = run("import", "--format", "hsds", "--in", str(tmp_path / "hsds"),
                    "--out", str(tmp_path / "services"))
    assert code == 2 and "--force" in out
    code, out = run("import", "--format", "hsds", "--in", str(tmp_path / "nothing"),
                    "--out", str(tmp_path / "services"))
    assert code == 2 and "services.json" in out


@pytest.mark.parametrize(
    "address",
    ["Stadsplateau 1, 3521 AZ Utrecht", "Proefstraat 1, Utrecht", "Voorterrein Diakonessenhuis",
     "Spoedzorgcentrum, Burgemeester Fockema Andreaelaan 60", "In De Musketon, Lunetten"],
)
def test_addresses_split_into_hsds_parts_and_join_back_exactly(address):
    from bot.sharing.hsds import join_address

    parts = split_address(address)
    assert join_address(parts) == address
    if address.endswith("3521 AZ Utrecht"):
        assert parts == {"address_1": "Stadsplateau 1", "postal_code": "3521 AZ", "city": "Utrecht"}


def test_opening_hours_become_weekly_schedules():
    assert weekly_schedules("Mo-Fr 09:00-12:00,13:00-17:00; PH off") == [
        {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "12:00"},
        {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": "13:00", "closes_at": "17:00"},
    ]
    # A later rule replaces an earlier one for its days, as in OpenStreetMap.
    assert weekly_schedules("Mo-Fr 09:00-17:00; We 09:00-12:00") == [
        {"freq": "WEEKLY", "byday": "MO,TU,TH,FR", "opens_at": "09:00", "closes_at": "17:00"},
        {"freq": "WEEKLY", "byday": "WE", "opens_at": "09:00", "closes_at": "12:00"},
    ]
    assert weekly_schedules("24/7")[0]["byday"] == "MO,TU,WE,TH,FR,SA,SU"


def test_csv_export_opens_in_excel_one_row_per_service(card_kb, tmp_path):
    path = export_csv(card_kb, tmp_path / "services.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file, delimiter=";"))
    assert list(rows[0]) == list(COLUMNS)
    assert [r["id"] for r in rows] == list(card_kb.services)
    row = next(r for r in rows if r["id"] == "kaart-stad")
    assert row["phone"] == "030-2222222\n0800-2222"
    assert row["themes"] == card_kb.themes["hulpvragen"].name["nl"]
    assert row["checked"] == "2015" and row["sources"] == "https://example.org/bron"
    code, out = run("--knowledge", str(DEFAULT_DIRECTORY), "export", "--format", "csv",
                    "--out", str(tmp_path / "team"))
    assert code == 0, out
    assert (tmp_path / "team" / "routewijzer-services.csv").exists()
