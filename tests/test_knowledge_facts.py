"""The knowledge base holds the researched facts, and only those: nothing invented.

A resident who calls a number the bot gave must reach the place the bot named. These tests
compare every phone number, e-mail address, street address and link in `knowledge/` with the
researched facts in `../shared/knowledge-facts/kb_facts.yaml`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.knowledge.formats import phone_digits
from bot.knowledge.model import KnowledgeBase
from bot.matching.text import fold

FACTS = Path(__file__).resolve().parents[2] / "shared" / "knowledge-facts" / "kb_facts.yaml"
NOT_PLACES = {"meterkastkaart-utrecht-oost", "wijkpact-samen-oost"}

pytestmark = pytest.mark.skipif(
    not FACTS.exists(), reason=f"the researched facts are not beside this clone ({FACTS})"
)


@pytest.fixture(scope="module")
def facts() -> dict[str, dict]:
    return {entry["id"]: entry for entry in yaml.safe_load(FACTS.read_text(encoding="utf-8"))}


def _numbers(text: str) -> set[str]:
    """Every phone number written in a facts field ('113 of 0800-0113 (bron 2019)')."""
    without_notes = re.sub(r"\([^)]*[a-z][^)]*\)", " ", str(text), flags=re.IGNORECASE)
    parts = re.split(r"\bof\b|;", without_notes)
    return {phone_digits(part) for part in parts if len(phone_digits(part)) >= 3}


def test_every_researched_service_is_in_the_knowledge_with_its_sources(kb: KnowledgeBase, facts):
    for service_id, fact in facts.items():
        if service_id in NOT_PLACES:
            continue
        assert service_id in kb.services, f"{service_id} from the facts is missing"
        service = kb.services[service_id]
        assert set(fact["sources"]) - set(service.sources) <= {
            s for s in fact["sources"] if "issuu.com./" in s  # fixed typo in one source URL
        }, f"{service_id} lost sources"
        assert service.checked, service_id


def test_every_phone_number_comes_from_the_facts_of_that_service(kb: KnowledgeBase, facts):
    for service in kb.services.values():
        known = _numbers(facts[service.id].get("phone", ""))
        for phone in service.contact.phones:
            assert phone_digits(phone) in known, (
                f"{service.file}:{service.line}: {service.id} phone {phone!r} is not in the facts"
            )


def test_every_email_address_and_website_comes_from_the_facts(kb: KnowledgeBase, facts):
    for service in kb.services.values():
        fact = facts[service.id]
        contact = service.contact
        if contact.email:
            assert contact.email in str(fact.get("email", "")), service.id
        if contact.address:
            street = contact.address.split(",")[0]
            assert fold(street) in fold(str(fact.get("address", ""))), (
                f"{service.id}: address {contact.address!r} is not in the facts"
            )
        if contact.website:
            known = {fact.get("website"), *fact["sources"]}
            assert contact.website in known, f"{service.id}: website {contact.website!r}"


def test_services_the_facts_give_no_phone_have_none(kb: KnowledgeBase, facts):
    invented = [s.id for s in kb.services.values() if s.contact.phones and not facts[s.id].get("phone")]
    assert invented == []


def test_emergency_lines_carry_their_real_numbers(kb: KnowledgeBase):
    numbers = {sid: {phone_digits(p) for p in kb.services[sid].contact.phones}
               for sid in ("alarmnummer-112", "zelfmoordpreventie-113", "veilig-thuis-utrecht",
                           "de-kindertelefoon")}
    assert numbers == {
        "alarmnummer-112": {"112"},
        "zelfmoordpreventie-113": {"113", "08000113"},
        "veilig-thuis-utrecht": {"08002000"},
        "de-kindertelefoon": {"08000432"},
    }


FACTS_README = FACTS.parent / "README.md"
NEW_SERVICES_FROM = "buurtbemiddeling-utrecht"  # the 28 entries added to the facts on 2026-12-01


def _fact_text(fact: dict) -> str:
    """Everything the facts say about one service, plus the facts README's remarks on it."""
    text = " ".join(str(v) for k, v in fact.items() if k not in {"sources", "themes"})
    readme = FACTS_README.read_text(encoding="utf-8") if FACTS_README.exists() else ""
    names = {fact["id"], fact["name"].split(" (")[0]}
    return text + " " + " ".join(
        line for line in readme.splitlines() if any(n.lower() in line.lower() for n in names)
    )


def _times(text: str) -> set[tuple[int, int]]:
    """Clock times as (hour, minute): '8.30', '08:30', and whole hours written as '11'."""
    text = text.replace("24/7", " ")  # 'always' names no time of day
    found = {(int(h), int(m)) for h, m in re.findall(r"\b(\d{1,2})[.:](\d{2})\b", text)}
    whole = re.findall(r"(?<![\d.:,/])(\d{1,2})(?![\d.:,/])", text)
    return found | {(int(h), 0) for h in whole if int(h) <= 24}


def _amounts(text: str) -> set[str]:
    return {a.replace(".", ",") for a in re.findall(r"€ ?(\d+(?:[.,]\d+)?)", text)}


def test_the_28_new_services_are_in_the_knowledge_106_in_all(kb: KnowledgeBase, facts):
    ids = list(facts)
    new = ids[ids.index(NEW_SERVICES_FROM):]
    assert len(new) == 28 and all(service_id in kb.services for service_id in new)
    assert len(kb.services) == len(set(facts) - NOT_PLACES) == 106


def test_every_opening_time_comes_from_the_facts_of_that_service(kb: KnowledgeBase, facts):
    for service in kb.services.values():
        known = _times(_fact_text(facts[service.id]))
        shown = " ".join([*service.opening_hours.values(), *service.opening_hours_note.values()])
        assert _times(shown) <= known, (service.id, sorted(_times(shown) - known))


def test_every_amount_of_money_comes_from_the_facts_of_that_service(kb: KnowledgeBase, facts):
    for service in kb.services.values():
        known = _amounts(_fact_text(facts[service.id]))
        shown = " ".join([*service.cost.values(), *service.description.values()])
        assert _amounts(shown) <= known, (service.id, _amounts(shown) - known)


def test_checked_is_the_date_of_the_sources(kb: KnowledgeBase, facts):
    for service_id in list(facts)[list(facts).index(NEW_SERVICES_FROM):]:
        service = kb.services[service_id]
        dated = str(facts[service_id]["seen_on_source_dated"])
        assert service.checked == "onbekend" or service.checked in dated, (service_id, dated)
