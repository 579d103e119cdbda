"""The README's data lake section holds: its catalogue entry loads, its GraphQL validates."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from graphql import parse, validate

from esap_graphql.config import parse_catalogue
from esap_graphql.domain.archives import Protocol
from esap_graphql.schema import build_schema

README = Path(__file__).resolve().parents[2] / "README.md"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## The Rucio data lake")
    return text[start : text.index("\n## ", start + 1)]


def block(language: str) -> str:
    (found,) = re.findall(rf"```{language}\n(.*?)```", section(), flags=re.S)
    return str(found)


def test_the_catalogue_example_loads() -> None:
    entry = textwrap.dedent(block("yaml"))
    text = "archives:\n  - id: escape\n    name: ESCAPE\n    datasets:\n" + textwrap.indent(
        entry, "      "
    )
    (dataset,) = parse_catalogue(text, source="README.md").datasets
    assert dataset.protocol is Protocol.RUCIO
    assert dataset.rucio is not None
    assert dataset.rucio.password_env == "ESAP_RUCIO_PASSWORD"
    assert dataset.rucio.schemes == ("https", "root")


def test_the_graphql_example_validates_against_the_schema() -> None:
    schema = build_schema()._schema
    assert validate(schema, parse(block("graphql"))) == []
