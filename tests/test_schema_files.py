"""The JSON Schemas an editor uses match the loader, and the shipped knowledge satisfies them."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from bot.cli import write_schemas
from bot.knowledge.loader import DEFAULT_DIRECTORY

FILES = {
    "areas.yaml": "areas",
    "themes.yaml": "themes",
    "audiences.yaml": "audiences",
    "synonyms.yaml": "synonyms",
    "crisis.yaml": "crisis",
    "crisis_examples.yaml": "crisis_examples",
    "route_examples.yaml": "route_examples",
    "about.yaml": "about",
    "texts/nl.yaml": "texts",
    "texts/en.yaml": "texts",
}


def test_committed_schemas_are_up_to_date(tmp_path):
    for generated in write_schemas(tmp_path):
        committed = DEFAULT_DIRECTORY / "schema" / generated.name
        assert committed.exists(), f"run: python run_bot.py schema ({generated.name} missing)"
        assert json.loads(committed.read_text()) == json.loads(generated.read_text()), (
            f"{generated.name} is out of date: run python run_bot.py schema"
        )


@pytest.mark.parametrize(
    ("path", "kind"),
    [*FILES.items(), *((f"services/{p.name}", "services")
                       for p in sorted((DEFAULT_DIRECTORY / "services").glob("*.yaml")))],
)
def test_shipped_knowledge_validates_against_its_schema(path, kind):
    schema = json.loads((DEFAULT_DIRECTORY / "schema" / f"{kind}.schema.json").read_text())
    data = yaml.safe_load((DEFAULT_DIRECTORY / path).read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    first_line = (DEFAULT_DIRECTORY / path).read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# yaml-language-server: $schema="), "editor hint missing"


def test_schema_rejects_a_typo_like_the_loader_does():
    schema = json.loads((DEFAULT_DIRECTORY / "schema" / "services.schema.json").read_text())
    bad = {"services": [{"id": "x", "name": "X", "keywrods": {}}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
