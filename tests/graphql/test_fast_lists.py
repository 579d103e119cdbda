"""The one-pass list completion gives exactly graphql-core's own answers and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from esap_graphql.config import Settings, parse_catalogue
from esap_graphql.context import ProcessContext
from esap_graphql.domain.archives import Protocol
from esap_graphql.domain.records import NativeRow, Record
from esap_graphql.domain.users import LOCAL_USER
from esap_graphql.factory import gateway_context
from esap_graphql.resolvers.context import RequestContext
from esap_graphql.schema import build_schema
from esap_graphql.services.loaders import Loaders
from tests.support import InMemoryConnector, make_records

CATALOGUE = parse_catalogue(
    """
archives:
  - id: a
    name: A
    datasets:
      - {id: many, name: Many, protocol: scs, access_url: "http://many.test/scs"}
      - {id: odd, name: Odd, protocol: scs, access_url: "http://odd.test/scs"}
      - {id: edge, name: Edge, protocol: scs, access_url: "http://edge.test/scs"}
""",
    source="test",
)


def odd_records() -> tuple[Record, ...]:
    columns: dict[str, list[Any]] = {"x": [1, None, "ü"]}
    return (
        Record(id="a", title=None, ra=1.5, size_bytes=3_000_000_000, fields=NativeRow(columns, 0)),
        Record(id="b", dataproduct_type="image", calibration_level=2, fields=NativeRow(columns, 1)),
        Record(id=None, title="no id", fields=NativeRow(columns, 2)),  # type: ignore[arg-type]
    )


def edge_records() -> tuple[Record, ...]:
    """Values of the right Python type that GraphQL still refuses or converts."""
    return (
        Record(id="inf", ra=float("inf"), dec=float("-inf"), fov=float("nan")),
        Record(id="big", calibration_level=2**40, size_bytes=2**70),
        Record(id="ints", size_bytes=2**53, fov=-(2**53) - 1),  # type: ignore[arg-type]
        Record(id="types", title=7, target=True, ra=3, dec=True),  # type: ignore[arg-type]
        Record(id="fine", ra=1.25, calibration_level=-(2**31), title="ok"),
    )


@pytest.fixture
async def process(tmp_path: Path) -> AsyncIterator[ProcessContext]:
    connector = InMemoryConnector(
        records={"many": make_records(50), "odd": odd_records(), "edge": edge_records()}
    )
    ctx = await gateway_context(
        Settings(data_dir=tmp_path), catalogue=CATALOGUE, connectors={Protocol.SCS: connector}
    )
    yield ctx
    await ctx.aclose()


def request_context(process: ProcessContext) -> RequestContext:
    return RequestContext(
        process=process,
        request=None,  # type: ignore[arg-type]
        response=None,
        user=LOCAL_USER,
        loaders=Loaders(process.queries),
    )


DOCUMENTS = [
    "rows { id }",
    "rows { id ra dec title target fov dataproductType calibrationLevel collection sizeBytes "
    "accessUrl accessFormat thumbnailUrl fields }",
    "rows { __typename i: id id ra ...F } fragment F on Record { dec title }",
    "rows { id ... on Record { fields } ra @skip(if: true) dec @include(if: true) }",
    "rows(page: 2, pageSize: 7) { id title }",
    "first: rows(page: 1, pageSize: 2) { id } second: rows { id, title }",
]


@pytest.mark.parametrize("selection", DOCUMENTS)
@pytest.mark.parametrize("dataset", ["many", "odd", "edge"])
async def test_fast_and_standard_execution_agree(
    process: ProcessContext, selection: str, dataset: str
) -> None:
    body, _, fragment = selection.partition(" fragment ")
    document = (
        f'{{ dataset(id: "{dataset}") {{ query(params: {{ra: 1, dec: 1, radius: 1}}, '
        f"pageSize: 20) {{ {body} }} }} }}" + (f" fragment {fragment}" if fragment else "")
    )
    answers = []
    for fast in (True, False):
        result = await build_schema(fast_lists=fast).execute(
            document, context_value=request_context(process)
        )
        errors = [(e.message, e.path) for e in result.errors or []]
        answers.append((result.data, errors))
    assert answers[0] == answers[1]
    data, errors = answers[0]
    assert data is not None
    if dataset == "edge":
        pass  # which values GraphQL refuses: test_values_graphql_refuses_take_the_full_path
    elif dataset == "odd" and "page: 2" not in body:
        # the record without an id breaks Record.id's non-null contract in both paths
        assert [path[-2:] for _, path in errors] in ([[2, "id"]], [[2, "i"]])
    else:
        assert errors == []


async def test_values_graphql_refuses_take_the_full_path(process: ProcessContext) -> None:
    document = (
        '{ dataset(id: "edge") { query(params: {ra: 1, dec: 1, radius: 1}) '
        "{ rows { id ra dec fov calibrationLevel sizeBytes title target } } } }"
    )
    result = await build_schema().execute(document, context_value=request_context(process))
    refused = sorted(tuple(e.path[-2:]) for e in result.errors or [])
    # NaN and infinities are no Float, 2**40 is no 32-bit Int
    assert refused == [(0, "dec"), (0, "fov"), (0, "ra"), (1, "calibrationLevel"), (2, "fov")]
    assert result.data is not None
    rows = result.data["dataset"]["query"]["rows"]
    # the fields are nullable: each refused value is null, its row stays
    assert (rows[0]["id"], rows[0]["ra"], rows[0]["dec"], rows[0]["fov"]) == (
        "inf",
        None,
        None,
        None,
    )
    assert (rows[1]["calibrationLevel"], rows[1]["sizeBytes"]) == (None, float(2**70))
    # 2**53 is an exact Float; one past -2**53 is not, and graphql-core refuses it
    assert (rows[2]["sizeBytes"], rows[2]["fov"]) == (float(2**53), None)
    assert rows[3] == {
        "id": "types",
        "ra": 3.0,
        "dec": 1.0,
        "fov": None,
        "calibrationLevel": None,
        "sizeBytes": None,
        "title": "7",
        "target": "true",
    }
    assert rows[4]["ra"] == 1.25
    assert rows[4]["calibrationLevel"] == -(2**31)


@pytest.mark.parametrize("selection", DOCUMENTS)
@pytest.mark.parametrize("datasets", ['"many", "edge", "many"', '"many", "odd", "edge", "odd"'])
async def test_a_plan_kept_for_every_dataset_of_a_multi_query_agrees(
    process: ProcessContext, selection: str, datasets: str
) -> None:
    """Each dataset's rows share one selection, planned once per operation: the answers
    are still graphql-core's own, dataset by dataset, alias by alias."""
    body, _, fragment = selection.partition(" fragment ")
    document = (
        f"{{ multiQuery(datasets: [{datasets}], params: {{ra: 1, dec: 1, radius: 1}}, "
        f"pageSize: 20) {{ results {{ datasetId {body} }} again: results {{ {body} }} }} }}"
        + (f" fragment {fragment}" if fragment else "")
    )
    answers = []
    for fast in (True, False):
        result = await build_schema(fast_lists=fast).execute(
            document, context_value=request_context(process)
        )
        errors = sorted((e.message, tuple(e.path or ())) for e in result.errors or [])
        answers.append((result.data, errors))
    assert answers[0] == answers[1]
    if "odd" not in datasets:
        # (odd's record without an id nulls the whole answer, in both paths)
        assert answers[0][0] is not None
