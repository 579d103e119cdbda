"""The one-pass list completion gives exactly graphql-core's own answers and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from esap_graphql.config import Settings, parse_catalogue
from esap_graphql.context import ProcessContext, RequestContext
from esap_graphql.domain.archives import Protocol
from esap_graphql.domain.records import NativeRow, Record
from esap_graphql.domain.users import LOCAL_USER
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


@pytest.fixture
async def process(tmp_path: Path) -> AsyncIterator[ProcessContext]:
    connector = InMemoryConnector(records={"many": make_records(50), "odd": odd_records()})
    ctx = await ProcessContext.create(
        Settings(data_dir=tmp_path), catalogue=CATALOGUE, connectors={Protocol.SCS: connector}
    )
    yield ctx
    await ctx.aclose()


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
@pytest.mark.parametrize("dataset", ["many", "odd"])
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
        context = RequestContext(
            process=process,
            request=None,  # type: ignore[arg-type]
            response=None,
            user=LOCAL_USER,
            loaders=Loaders(process.queries),
        )
        result = await build_schema(fast_lists=fast).execute(document, context_value=context)
        errors = [(e.message, e.path) for e in result.errors or []]
        answers.append((result.data, errors))
    assert answers[0] == answers[1]
    data, errors = answers[0]
    assert data is not None
    if dataset == "odd" and "page: 2" not in body:
        # the record without an id breaks Record.id's non-null contract in both paths
        assert [path[-2:] for _, path in errors] in ([[2, "id"]], [[2, "i"]])
    else:
        assert errors == []
