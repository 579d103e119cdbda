"""Proof against the real thing: @apollo/composition composes our subgraph with a second one,
@apollo/gateway serves the supergraph, and queries join fields of both services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.federation.conftest import HARNESS, ROOT, Supergraph, run_node

pytestmark = pytest.mark.dachs


def ask(supergraph: Supergraph, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = httpx.post(
        supergraph.gateway, json={"query": query, "variables": variables or {}}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_committed_subgraph_composes_with_a_second_subgraph(tmp_path: Path) -> None:
    out = tmp_path / "supergraph.graphql"
    result = run_node("compose.mjs", "--out", out, f"esap={ROOT / 'schema.subgraph.graphql'}",
                      "publications")  # fmt: skip
    assert result.returncode == 0, result.stderr
    supergraph = out.read_text(encoding="utf-8")
    assert '@join__type(graph: ESAP, key: "id", resolvable: true)' in supergraph
    assert '@join__type(graph: PUBLICATIONS, key: "id")' in supergraph
    assert "citationCount: Int! @join__field(graph: PUBLICATIONS)" in supergraph


def test_composition_fails_when_a_field_both_resolve_is_not_shareable(tmp_path: Path) -> None:
    # Only @shareable lets both services answer Dataset.name: without it, composition refuses.
    sdl = (ROOT / "schema.subgraph.graphql").read_text(encoding="utf-8")
    dataset, _rest = sdl.split("type Dataset @key", 1)[1].split("\n}", 1)
    unshared = sdl.replace(dataset, dataset.replace("name: String! @shareable", "name: String!"))
    assert unshared != sdl
    (tmp_path / "esap.graphql").write_text(unshared, encoding="utf-8")
    result = run_node("compose.mjs", f"esap={tmp_path / 'esap.graphql'}", "publications")
    assert result.returncode == 1
    assert "INVALID_FIELD_SHARING" in result.stderr
    assert "Dataset.name" in result.stderr


def test_the_supergraph_was_composed_from_the_live_subgraph(supergraph: Supergraph) -> None:
    assert f'url: "{supergraph.esap}"' in supergraph.sdl
    assert f'url: "{supergraph.publications}"' in supergraph.sdl


def test_their_root_field_joins_our_fields(supergraph: Supergraph) -> None:
    body = ask(
        supergraph,
        """{ featuredDatasets { id name citationCount protocol
        archive { id name } publications { year } } }""",
    )
    assert "errors" not in body, body
    featured = {d["id"]: d for d in body["data"]["featuredDatasets"]}
    assert list(featured) == ["esap-sources", "dead-tap", "esap-images"]
    sources = featured["esap-sources"]
    assert sources["citationCount"] == 2  # theirs
    assert sources["protocol"] == "SCS"  # ours, through _entities
    assert sources["archive"] == {"id": "esap-test", "name": "ESAP test archive (local DaCHS)"}
    assert [p["year"] for p in sources["publications"]] == [2025, 2024]


def test_our_root_field_joins_their_fields(supergraph: Supergraph, dachs: str) -> None:
    body = ask(
        supergraph,
        """{ dataset(id: "esap-sources") { name citationCount
        publications { bibcode }
        query(params: {ra: 150.1, dec: 2.2, radius: 0.05}, pageSize: 3) {
          status totalCount rows { id ra dec } error { __typename } } } }""",
    )
    assert "errors" not in body, body
    dataset = body["data"]["dataset"]
    assert dataset["citationCount"] == 2
    assert {p["bibcode"] for p in dataset["publications"]} == {
        "2024A&A...681A..12S",
        "2025MNRAS.530..101K",
    }
    assert dataset["query"]["status"] == "OK"
    assert dataset["query"]["error"] is None
    assert len(dataset["query"]["rows"]) == min(3, dataset["query"]["totalCount"])


def test_a_dead_archive_answers_with_its_typed_error_through_the_gateway(
    supergraph: Supergraph,
) -> None:
    body = ask(
        supergraph,
        """{ publications { title datasets { id citationCount
        query(params: {ra: 10, dec: 10, radius: 1}) { status rows { id }
          error { __typename code message ... on ArchiveUnreachable { url } } } } } }""",
    )
    assert "errors" not in body, body  # errors as data: nothing failed at the GraphQL level
    (went_away,) = [p for p in body["data"]["publications"] if p["title"].startswith("An archive")]
    (dead,) = went_away["datasets"]
    assert dead["id"] == "dead-tap"
    assert dead["citationCount"] == 1
    assert dead["query"]["status"] == "ERROR"
    assert dead["query"]["rows"] == []
    error = dead["query"]["error"]
    assert error["__typename"] == "ArchiveUnreachable"
    assert error["code"] == "archive_unreachable"
    assert error["url"].startswith("http://127.0.0.1:9/tap")


def test_mutations_and_entity_types_pass_through(supergraph: Supergraph) -> None:
    created = ask(
        supergraph,
        """mutation { createJob(type: "test.sleep",
        parameters: {seconds: 0}) { __typename ... on Job { id phase } } }""",
    )
    assert created["data"]["createJob"]["__typename"] == "Job"
    job_id = created["data"]["createJob"]["id"]
    found = ask(supergraph, "query($id: ID!) { job(id: $id) { id type } }", {"id": job_id})
    assert found["data"]["job"] == {"id": job_id, "type": "test.sleep"}


def test_inaccessible_parts_are_not_in_the_supergraph_api(supergraph: Supergraph) -> None:
    refused = httpx.post(supergraph.gateway, json={"query": "{ me { id } }"}, timeout=30)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"] == 'Cannot query field "me" on type "Query".'
    viewer = ask(supergraph, '{ __type(name: "Viewer") { name } }')
    assert viewer["data"]["__type"] is None
    # ... while direct clients of the subgraph still have them
    direct = httpx.post(supergraph.esap, json={"query": "{ me { id singleUser } }"}, timeout=30)
    assert direct.json() == {"data": {"me": {"id": "local", "singleUser": True}}}


def test_the_harness_lock_file_pins_what_it_runs() -> None:
    lock = (HARNESS / "package-lock.json").read_text(encoding="utf-8")
    for package in ("@apollo/composition", "@apollo/gateway", "@apollo/subgraph"):
        assert f'"node_modules/{package}"' in lock
