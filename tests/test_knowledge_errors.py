"""A maintainer's mistake gives one clear line with file, line and field; never a traceback."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from datetime import date

import pytest

from bot.cli import main
from bot.knowledge.loader import load_knowledge
from bot.knowledge.yaml_source import KnowledgeError
from tests.conftest import ROOT

# A complete, valid service. Each test below breaks exactly one thing in it.
GOOD_SERVICE = """\
services:
  - id: proef-plek
    name: Proefplek
    description:
      nl: Een plek om te testen.
      en: A place to test.
    themes: [hulpvragen]
    areas: [oost]
    audience: [iedereen]
    keywords:
      nl: [proefwoord, testwoord, oefenwoord]
    examples:
      nl: [ik zoek de proefplek voor mijn proefwoord, testwoord, "oefenwoord, waar moet ik heen"]
    contact:
      phone: 030-1234567
      website: https://example.org/proef
    opening_hours:
      phone: "Mo-Fr 09:00-17:00; PH off"
    sources: [https://example.org/bron]
    checked: "2024-05"
"""


def problems_for(directory) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(directory)
    return [str(p) for p in caught.value.problems]


def write_service(directory, text: str) -> None:
    (directory / "services" / "proef.yaml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("030-1234567", "030-12", "proef.yaml:15: proef-plek.contact.phone: '030-12' is not a valid Dutch phone number"),
        ("https://example.org/proef", "http://example.org/proef", "proef.yaml:16: proef-plek.contact.website: 'http://example.org/proef' must start with https://"),
        ('"Mo-Fr 09:00-17:00; PH off"', '"maandag tot vrijdag"', "proef.yaml:18: proef-plek.opening_hours.phone: 'maandag tot vrijdag' is not in opening_hours format"),
        ('    opening_hours:\n      phone: "Mo-Fr 09:00-17:00; PH off"', '    opening_hours: "Mo-Fr 09:00-17:00"', "proef.yaml:17: proef-plek.opening_hours: should be a block of 'key: value' lines (say for which way in: on the next lines write '  phone:"),
        ("      en: A place to test.\n", "", "proef.yaml:5: proef-plek.description.en: is missing"),
        ("    contact:\n      phone: 030-1234567\n      website: https://example.org/proef\n", "", "proef.yaml:2: proef-plek.contact: gives residents no way in (no phone, address, website or e-mail) (add what a source gives, or name the service they go through as `front_door: buurtteams-utrecht`"),
        ("    contact:\n      phone: 030-1234567\n      website: https://example.org/proef\n", "    front_door: buurtteam-utrecht\n", "proef.yaml:2: proef-plek.front_door: unknown service 'buurtteam-utrecht' (did you mean 'buurtteams-utrecht'?)"),
        ("    contact:\n      phone: 030-1234567\n      website: https://example.org/proef\n", "    front_door: thuis-in-oost\n", "proef.yaml:2: proef-plek.front_door: 'thuis-in-oost' has no phone, address, website or e-mail itself"),
        ("themes: [hulpvragen]", "themes: [hulpvragn]", "proef.yaml:2: proef-plek.themes: unknown theme 'hulpvragn' (did you mean 'hulpvragen'?)"),
        ("areas: [oost]", "areas: [oostt]", "proef.yaml:2: proef-plek.areas: unknown area 'oostt' (did you mean 'oost'?)"),
        ("audience: [iedereen]", "audience: [bejaarden]", "proef.yaml:2: proef-plek.audience: unknown audience 'bejaarden'"),
        ("    keywords:", "    keywrods:", "proef.yaml:10: proef-plek.keywrods: unknown field (did you mean 'keywords'?)"),
        ('checked: "2024-05"', 'checked: "mei 2024"', "proef.yaml:20: proef-plek.checked: 'mei 2024' is not a date"),
        ("id: proef-plek", "id: Proef Plek", "proef.yaml:2: services[1].id: 'Proef Plek' is not allowed here"),
        ("    name: Proefplek\n", "", "proef.yaml:2: proef-plek.name: is missing"),
        ("areas: [oost]", "areas: oost", "proef.yaml:8: proef-plek.areas: should be a list"),
    ],
    ids=["phone", "http-link", "opening-hours", "hours-without-way-in", "english-missing", "no-way-in",
         "front-door-typo", "front-door-without-way-in", "theme-typo", "area-typo", "audience", "field-typo",
         "checked-date", "id-format", "missing-name", "wrong-type"],
)
def test_each_service_mistake_names_file_line_and_field(knowledge_copy, old, new, expected):
    directory = knowledge_copy()
    assert old in GOOD_SERVICE
    write_service(directory, GOOD_SERVICE.replace(old, new))
    found = problems_for(directory)
    assert any(expected in p for p in found), found
    assert all(p.startswith("knowledge/") for p in found), found


def test_a_valid_new_service_loads(knowledge_copy):
    directory = knowledge_copy()
    write_service(directory, GOOD_SERVICE)
    assert "proef-plek" in load_knowledge(directory).services


def test_duplicate_id_points_at_both_places(knowledge_copy):
    directory = knowledge_copy()
    write_service(directory, GOOD_SERVICE + GOOD_SERVICE.split("services:\n", 1)[1])
    found = problems_for(directory)
    assert any("proef.yaml:21: id: 'proef-plek' is used twice (also at knowledge/services/proef.yaml:2" in p
               for p in found), found


def test_yaml_syntax_error_gives_the_line(knowledge_copy):
    directory = knowledge_copy()
    write_service(directory, GOOD_SERVICE.replace("    name: Proefplek", "    name: Proef: plek: x"))
    found = problems_for(directory)
    assert any("proef.yaml:3: YAML syntax" in p for p in found), found


def test_front_door_pointing_to_missing_service(knowledge_copy):
    directory = knowledge_copy()
    areas = directory / "areas.yaml"
    areas.write_text(areas.read_text().replace("front_doors: [oost-voor-elkaar,",
                                               "front_doors: [oost-voor-elkar,"))
    found = problems_for(directory)
    assert any("areas.yaml: oost.front_doors: unknown service 'oost-voor-elkar' "
               "(did you mean 'oost-voor-elkaar'?)" in p for p in found), found


def test_people_naming_an_unknown_concept_is_refused_with_its_line(knowledge_copy):
    directory = knowledge_copy()
    crisis = directory / "crisis.yaml"
    text = crisis.read_text()
    line = text[: text.index("people: [")].count("\n") + 1
    crisis.write_text(text.replace("people: [huisgenoot,", "people: [huisgenot,"))
    found = problems_for(directory)
    assert any(f"crisis.yaml:{line}: people: unknown concept 'huisgenot' "
               "(did you mean 'huisgenoot'?)" in p for p in found), found


def test_knowledge_without_an_emergency_line_is_refused(knowledge_copy):
    directory = knowledge_copy()
    for path in (directory / "services").glob("*.yaml"):
        text = path.read_text()
        if "id: zelfmoordpreventie-113" in text:
            path.write_text(text.replace("id: zelfmoordpreventie-113", "id: zelfmoordpreventie-weg"))
    found = problems_for(directory)
    assert any("emergency line 'zelfmoordpreventie-113' is missing" in p for p in found), found


def test_texts_must_exist_in_every_language(knowledge_copy):
    directory = knowledge_copy()
    english = directory / "texts" / "en.yaml"
    english.write_text(english.read_text().replace("  ask_urgency:", "  ask_urgencyy:"))
    found = problems_for(directory)
    assert any("en.yaml: texts.ask_urgency: is missing" in p for p in found), found


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "proef.yaml: is empty"),
        ("services:\n  - id: caf\xe9\n".encode("latin-1"), "proef.yaml:2: is not UTF-8 text"),
        (b"services: !!python/object/apply:os.system ['true']\n", "proef.yaml:1: YAML syntax"),
        (b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
            b"%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n" % ((98 + i,) * 2 + (97 + i,) * 9)
            for i in range(20)), "too many YAML aliases"),
        (b"services: []\n" + b"# " + b"x" * 4_100_000 + b"\n", "more than the 4,000,000 allowed"),
    ],
    ids=["empty", "not-utf8", "python-tag", "alias-bomb", "huge"],
)
def test_hostile_or_broken_files_fail_fast_and_clearly(knowledge_copy, content, expected):
    directory = knowledge_copy()
    # The work done, not the wall clock, and compared with loading the intact knowledge on
    # the same machine at the same moment: a busy CI must pass, a file that makes the loader
    # work without end must not.
    started = time.process_time()
    load_knowledge(directory)
    intact = time.process_time() - started
    (directory / "services" / "proef.yaml").write_bytes(content)
    started = time.process_time()
    found = problems_for(directory)
    assert time.process_time() - started < 2 * intact + 0.5
    assert any(expected in p for p in found), found


def test_check_command_prints_errors_and_fails(knowledge_copy):
    directory = knowledge_copy()
    write_service(directory, GOOD_SERVICE.replace("030-1234567", "030-12"))
    out = io.StringIO()
    assert main(["--knowledge", str(directory), "check"], stdout=out) == 1
    assert "knowledge/services/proef.yaml:15: proef-plek.contact.phone: '030-12'" in out.getvalue()
    assert "Traceback" not in out.getvalue()


def test_check_reports_an_example_that_routes_elsewhere(knowledge_copy):
    directory = knowledge_copy()
    write_service(directory, GOOD_SERVICE.replace(
        "nl: [ik zoek de proefplek voor mijn proefwoord,", "nl: [ik heb schulden en een deurwaarder,"))
    out = io.StringIO()
    assert main(["--knowledge", str(directory), "check"], stdout=out) == 1
    assert ("proef-plek.examples.nl: 'ik heb schulden en een deurwaarder' routes to"
            in out.getvalue())


def test_check_refuses_a_service_residents_cannot_reach(knowledge_copy):
    directory = knowledge_copy()
    write_service(directory, GOOD_SERVICE.replace(
        "    contact:\n      phone: 030-1234567\n      website: https://example.org/proef\n", ""))
    out = io.StringIO()
    assert main(["--knowledge", str(directory), "check"], stdout=out) == 1
    assert ("knowledge/services/proef.yaml:2: proef-plek.contact: gives residents no way in"
            in out.getvalue())
    assert "front_door: buurtteams-utrecht" in out.getvalue()
    assert "Traceback" not in out.getvalue()


def test_check_warns_when_resident_text_talks_about_sources(knowledge_copy):
    directory = knowledge_copy()
    write_service(directory, GOOD_SERVICE.replace(
        "      en: A place to test.\n",
        "      en: A place to test.\n    cost:\n      nl: Gratis (zie buurtteams-utrecht)\n"
        "      en: Free (bron 2016)\n"))
    out = io.StringIO()
    assert main(["--knowledge", str(directory), "check"], stdout=out) == 0  # a warning, not an error
    assert "proef.yaml:2: proef-plek.cost.nl: residents would read '(zie'" in out.getvalue()
    assert "proef.yaml:2: proef-plek.cost.en: residents would read 'bron'" in out.getvalue()


def test_the_shipped_knowledge_has_no_source_talk_for_residents():
    out = io.StringIO()
    assert main(["check"], stdout=out) == 0
    assert "warning" not in out.getvalue()


def test_check_stale_lists_emergency_lines_first_then_the_oldest_with_their_sources(knowledge_copy):
    directory = knowledge_copy()
    write_service(directory, GOOD_SERVICE.replace('checked: "2024-05"', 'checked: "1999"'))
    out = io.StringIO()
    assert main(["--knowledge", str(directory), "check", "--stale"], stdout=out) == 0
    listed = [line.split()[1] for line in out.getvalue().splitlines()
              if line[:10].strip() and line.startswith(" ") and not line.strip().startswith("http")]
    kb = load_knowledge(directory)
    assert listed[: len(kb.emergency_services)] == sorted(
        kb.emergency_services, key=lambda s: (kb.services[s].checked_on or date.min, s))
    rest = listed[len(kb.emergency_services):]
    undated = [s for s in rest if kb.services[s].checked_on is None]
    assert rest[: len(undated)] == undated  # no date at all: the first to re-check
    assert rest[len(undated)] == "proef-plek"  # 1999: the oldest dated fact
    assert len(listed) == len(kb.services)
    assert "            https://example.org/bron" in out.getvalue()


@pytest.mark.parametrize("command", [["check"], ["chat"], ["match", "schulden"], ["link", "oost"],
                                     ["export", "--format", "csv", "--out", "uit"]],
                         ids=["check", "chat", "match", "link", "export"])
def test_knowledge_is_accepted_after_the_command_too(knowledge_copy, command):
    directory = knowledge_copy()
    write_service(directory, GOOD_SERVICE.replace("030-1234567", "030-12"))
    out = io.StringIO()
    code = main([*command, "--knowledge", str(directory)], stdin=io.StringIO(""), stdout=out)
    assert code != 0 and "proef.yaml:15: proef-plek.contact.phone" in out.getvalue()


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory"])
def test_a_yaml_that_is_a_pipe_device_or_directory_is_refused_not_read(knowledge_copy, kind):
    directory = knowledge_copy()
    target = directory / "services" / "proef.yaml"
    if kind == "fifo":
        os.mkfifo(target)  # reading it would wait for a writer for ever
    elif kind == "dev-zero":
        target.symlink_to("/dev/zero")  # reading it never ends
    else:
        target.mkdir()
    result = subprocess.run([sys.executable, "run_bot.py", "check", "--knowledge", str(directory)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "knowledge/services/proef.yaml: is not a regular file" in result.stdout


@pytest.mark.parametrize("name", ["themes.yaml", "areas.yaml", "services/proef.yaml",
                                  "texts/en.yaml"])
def test_a_file_of_only_comments_is_refused_as_empty(knowledge_copy, name):
    directory = knowledge_copy()
    (directory / name).write_text("# alles weggehaald\n---\n# nog een opmerking\n")
    out = io.StringIO()
    assert main(["check", "--knowledge", str(directory)], stdout=out) == 1
    assert f"knowledge/{name}: is empty: it holds only comments" in out.getvalue()
