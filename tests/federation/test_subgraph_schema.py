"""schema.subgraph.graphql is the served subgraph, and the standalone schema is untouched by it."""

from __future__ import annotations

import re
import subprocess
import sys

from esap_graphql.schema import build_schema, schema_sdl
from esap_graphql.schema.subgraph import ENTITY_KEYS, build_subgraph_schema, subgraph_sdl
from tests.federation.conftest import ROOT

SUBGRAPH_FILE = ROOT / "schema.subgraph.graphql"
FEDERATION_WORDS = ("@key", "@shareable", "@inaccessible", "@link", "_entities", "_service", "_Any")


def test_subgraph_file_equals_served_subgraph() -> None:
    on_disk = SUBGRAPH_FILE.read_text(encoding="utf-8")
    assert on_disk == subgraph_sdl(), (
        "schema.subgraph.graphql is stale: run `esap-graphql export-schema --subgraph`"
    )


def test_building_the_subgraph_leaves_the_standalone_schema_as_it_is() -> None:
    build_subgraph_schema()
    standalone = schema_sdl()
    assert standalone == (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert not [word for word in FEDERATION_WORDS if word in standalone]
    # and the other way round: the standalone schema built first changes nothing either
    build_schema()
    assert subgraph_sdl() == SUBGRAPH_FILE.read_text(encoding="utf-8")


def test_entities_are_keyed_by_id() -> None:
    sdl = subgraph_sdl()
    keyed = set(re.findall(r'^type (\w+) @key\(fields: "id"', sdl, flags=re.MULTILINE))
    assert (
        keyed
        == {cls.__name__ for cls in ENTITY_KEYS}
        == {
            "Archive",
            "Dataset",
            "Job",
            "BasketItem",
        }
    )
    assert "union _Entity = Archive | Dataset | Job | BasketItem" in sdl
    assert re.search(r"^  _entities\(", sdl, flags=re.MULTILINE)
    assert "  _service: _Service!" in sdl


def test_shareable_and_inaccessible_are_where_they_belong() -> None:
    sdl = subgraph_sdl()
    link = re.search(
        r'@link\(url: "https://specs.apollo.dev/federation/v2\.\d+", import: (.*)\)', sdl
    )
    assert link is not None
    assert link.group(1) == '["@inaccessible", "@key", "@shareable"]'
    assert "  name: String! @shareable" in sdl  # Archive.name, Dataset.name
    assert "type Viewer @inaccessible {" in sdl
    assert "  me: Viewer! @inaccessible" in sdl
    # fields that reach archives or belong to a user are ours alone
    assert "@shareable" not in sdl.split("type Job @key", 1)[1].split("\n}", 1)[0]
    dataset = sdl.split("type Dataset @key", 1)[1].split("\n}", 1)[0]
    assert "query(" in dataset
    assert dataset.count("@shareable") == 7


def test_export_schema_subgraph_prints_the_file() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "esap_graphql", "export-schema", "--subgraph", "-o", "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout == SUBGRAPH_FILE.read_text(encoding="utf-8")
