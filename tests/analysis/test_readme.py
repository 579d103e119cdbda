"""The README's analysis examples hold: its catalogue validates, its GraphQL operations validate
against the schema, and the hub role it tells admins to configure is the one the tests use."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import parse, validate

from esap_graphql.config.analysis import parse_analysis_catalogue
from esap_graphql.domain.analysis import FacilityKind
from esap_graphql.schema import build_schema
from tests.analysis.hub import GATEWAY_SCOPES

README = Path(__file__).resolve().parents[2] / "README.md"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Analysis: facilities, workflows, launches")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section(), flags=re.S)


def test_the_catalogue_example_validates() -> None:
    [example] = blocks("yaml")
    catalogue = parse_analysis_catalogue(example, source="README")
    kinds = [f.kind for f in catalogue.facilities]
    assert kinds == [FacilityKind.JUPYTERHUB, FacilityKind.BINDERHUB, FacilityKind.SLURM]
    assert [w.id for w in catalogue.workflows] == ["lofar-imaging", "ossr-spectra", "count-rows"]


def test_the_graphql_examples_validate() -> None:
    schema = build_schema()._schema
    [example] = blocks("graphql")
    operations = re.split(r"\n(?=mutation |\{ )", example.strip())
    assert len(operations) == 2
    for operation in operations:
        assert validate(schema, parse(operation)) == []


def test_the_hub_role_is_the_tested_one() -> None:
    [config, *_] = blocks("python")
    assert f'"scopes": {GATEWAY_SCOPES!r}'.replace("'", '"') in config
    assert "allow_named_servers = True" in config
