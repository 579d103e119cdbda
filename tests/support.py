"""Fakes and helpers shared by the tests: in-memory connectors, GraphQL calls, DaCHS facts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.errors import EsapError
from esap_graphql.domain.query import QueryParams
from esap_graphql.domain.records import (
    Capability,
    ColumnInfo,
    NativeRow,
    Record,
    ResultSet,
    TableInfo,
)

DATA = Path(__file__).parent / "data"
DACHS_CATALOGUE = DATA / "dachs-catalogue.yaml"
DACHS_URL = "http://localhost:8080"
TAP_URL = f"{DACHS_URL}/tap"
SCS_URL = f"{DACHS_URL}/esaptest/q/cone/scs.xml"
SIA_URL = f"{DACHS_URL}/__system__/siap2/sitewide/siap2.xml"
# No Sesame mirror (the discard port refuses connections): tests never resolve names over
# the internet; those that resolve names use the stand-in (tests/recorded_apis.py).
#: A catalogue of one TAP dataset on a host no test reaches, for tests that query nothing.
ONE_TAP_DATASET = """
archives:
  - id: astron
    name: ASTRON
    datasets:
      - id: apertif-dr1
        name: Apertif DR1
        protocol: tap
        access_url: https://vo.astron.nl/tap
        table: ivoa.obscore
"""
NO_SESAME = "http://127.0.0.1:9/sesame"


def make_records(n: int, *, prefix: str = "rec") -> tuple[Record, ...]:
    """n records with native columns id/ra/dec, positions spread over the sky."""
    columns: dict[str, list[Any]] = {
        "id": [f"{prefix}-{i}" for i in range(n)],
        "ra": [(i * 7.5) % 360 for i in range(n)],
        "dec": [((i * 3.1) % 180) - 90 for i in range(n)],
    }
    return tuple(
        Record(
            id=columns["id"][i],
            title=f"{prefix} {i}",
            ra=columns["ra"][i],
            dec=columns["dec"][i],
            fields=NativeRow(columns, i),
        )
        for i in range(n)
    )


@dataclass
class InMemoryConnector:
    """A connector answering from memory; counts calls, can delay or fail per dataset."""

    records: dict[str, tuple[Record, ...]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    failures: dict[str, EsapError] = field(default_factory=dict)
    calls: list[tuple[str, QueryParams]] = field(default_factory=list)
    on_query: Callable[[Dataset, QueryParams], None] | None = None

    def native_query(self, dataset: Dataset, params: QueryParams, *, limit: int) -> str:
        return f"memory:{dataset.id}?{sorted(params.given().items())}&limit={limit}"

    async def query(
        self, dataset: Dataset, params: QueryParams, *, limit: int, timeout: float
    ) -> ResultSet:
        self.calls.append((dataset.id, params))
        if self.on_query is not None:
            self.on_query(dataset, params)
        delay = self.delays.get(dataset.id, 0.0)
        if delay:
            await asyncio.sleep(delay)
        if dataset.id in self.failures:
            raise self.failures[dataset.id]
        records = self.records.get(dataset.id, ())
        return ResultSet(
            records=records[:limit],
            native_query=self.native_query(dataset, params, limit=limit),
            columns=(ColumnInfo("id"), ColumnInfo("ra", unit="deg"), ColumnInfo("dec", unit="deg")),
            overflow=len(records) > limit,
        )

    async def tables(self, dataset: Dataset, *, timeout: float) -> tuple[TableInfo, ...]:
        return (TableInfo(name=dataset.id, columns=(ColumnInfo("id"),)),)

    async def capabilities(self, dataset: Dataset, *, timeout: float) -> tuple[Capability, ...]:
        return (Capability(standard_id="ivo://test/memory", access_url=dataset.access_url),)


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST a GraphQL document; return the whole JSON answer (data and errors)."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def graphql_data(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST a GraphQL document that must succeed; return its data."""
    body = await graphql(client, query, variables, headers=headers)
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def ids(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The ids of GraphQL rows, sorted."""
    return sorted(str(r["id"]) for r in rows)
