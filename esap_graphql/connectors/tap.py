"""Table Access Protocol: synchronous ADQL queries and VOSI table metadata."""

from __future__ import annotations

import asyncio
import io
import warnings

import httpx
from pyvo.dal.tap import TAPResults
from pyvo.io.vosi import parse_capabilities, parse_tables

from esap_graphql.connectors import adql
from esap_graphql.connectors.http import ServiceClients
from esap_graphql.connectors.params import fixed_collection
from esap_graphql.connectors.votable import read_votable_answer
from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.errors import MalformedResponse, UnsupportedParameter
from esap_graphql.domain.query import QueryParams, public_name
from esap_graphql.domain.records import Capability, ColumnInfo, ResultSet, TableInfo

# ObsCore column names, the default for each filter; a dataset's ``fields``
# mapping overrides them for tables of another shape.
_OBSCORE_FILTER_COLUMNS = {
    "ra": "s_ra",
    "dec": "s_dec",
    "target": "target_name",
    "collection": "obs_collection",
    "calibration_level": "calib_level",
    "dataproduct_type": "dataproduct_type",
}


def is_obscore(dataset: Dataset) -> bool:
    """True when the dataset's table has ObsCore's shape."""
    return (dataset.table or "").lower().endswith("obscore")


def _filter_column(dataset: Dataset, record_field: str) -> str:
    column = dataset.field_map.get(record_field)
    if column is not None:
        return column
    if is_obscore(dataset) or not dataset.field_map:
        return _OBSCORE_FILTER_COLUMNS[record_field]
    raise UnsupportedParameter(public_name(record_field), dataset.id, "tap")


def build_adql(dataset: Dataset, params: QueryParams) -> str:
    """The ADQL query for these parameters: only validated literals, never raw text."""
    assert dataset.table is not None  # checked when the catalogue was loaded
    conditions: list[str] = []
    if params.has_cone:
        assert params.ra is not None
        assert params.dec is not None
        assert params.radius is not None
        conditions.append(
            adql.cone_condition(
                _filter_column(dataset, "ra"),
                _filter_column(dataset, "dec"),
                params.ra,
                params.dec,
                params.radius,
            )
        )
    collection = fixed_collection(dataset, params)
    for record_field, value in (
        ("target", params.target),
        ("collection", collection),
        ("dataproduct_type", params.dataproduct_type),
    ):
        if value is not None:
            column = adql.identifier(_filter_column(dataset, record_field))
            literal = adql.string_literal(value, parameter=public_name(record_field))
            conditions.append(f"{column} = {literal}")
    if params.calibration_level is not None:
        column = adql.identifier(_filter_column(dataset, "calibration_level"))
        literal = adql.number_literal(
            params.calibration_level, parameter=public_name("calibration_level")
        )
        conditions.append(f"{column} = {literal}")
    return adql.select(dataset.table, conditions)


def _parse_tableset(content: bytes, url: str) -> tuple[TableInfo, ...]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tables_file = parse_tables(io.BytesIO(content))
    except Exception as exc:
        raise MalformedResponse(url, f"VOSI tables: {type(exc).__name__}: {exc}") from exc
    tables = []
    for table in tables_file.iter_tables():
        tables.append(
            TableInfo(
                name=str(table.name),
                description=_clean(table.description),
                columns=tuple(
                    ColumnInfo(
                        name=str(column.name),
                        description=_clean(column.description),
                        unit=column.unit or None,
                        ucd=column.ucd or None,
                        datatype=column.datatype.content if column.datatype is not None else None,
                    )
                    for column in table.columns
                ),
            )
        )
    return tuple(tables)


def _parse_capabilities(content: bytes, url: str) -> tuple[Capability, ...]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = parse_capabilities(io.BytesIO(content))
    except Exception as exc:
        raise MalformedResponse(url, f"VOSI capabilities: {type(exc).__name__}: {exc}") from exc
    found = []
    for capability in parsed:
        interfaces = list(capability.interfaces) or [None]
        for interface in interfaces:
            urls = list(interface.accessurls) if interface is not None else []
            found.append(
                Capability(
                    standard_id=str(capability.standardid),
                    access_url=str(urls[0].content) if urls else None,
                    role=getattr(interface, "role", None),
                )
            )
    return tuple(found)


def _clean(text: object) -> str | None:
    if text is None:
        return None
    cleaned = " ".join(str(text).split())
    return cleaned or None


class TapConnector:
    """Runs ADQL on a TAP service's sync endpoint and reads its VOSI tables."""

    def __init__(self, *, http: httpx.AsyncClient | ServiceClients) -> None:
        self._clients = http if isinstance(http, ServiceClients) else ServiceClients.sharing(http)

    def native_query(self, dataset: Dataset, params: QueryParams, *, limit: int) -> str:
        """The ADQL text sent (the row limit travels as MAXREC)."""
        return build_adql(dataset, params)

    async def query(
        self, dataset: Dataset, params: QueryParams, *, limit: int, timeout: float
    ) -> ResultSet:
        """Run the query synchronously on the service; at most ``limit`` records."""
        query = build_adql(dataset, params)
        return await self.run_adql(dataset, query, limit=limit, timeout=timeout)

    async def run_adql(
        self, dataset: Dataset, query: str, *, limit: int, timeout: float
    ) -> ResultSet:
        """Run an ADQL text as given (for jobs; ``query`` must come from a trusted builder
        or be the user's own ADQL, which the archive parses)."""
        url = dataset.access_url.rstrip("/") + "/sync"
        form = {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": query, "MAXREC": str(limit)}
        async with self._clients.answer(
            dataset.service_key, "POST", url, data=form, timeout=timeout
        ) as body:
            return await read_votable_answer(
                body,
                url=url,
                native_query=query,
                field_map=dataset.field_map,
                limit=limit,
                results_class=TAPResults,
            )

    async def tables(self, dataset: Dataset, *, timeout: float) -> tuple[TableInfo, ...]:
        """The service's tables from its VOSI ``/tables`` endpoint."""
        url = dataset.access_url.rstrip("/") + "/tables"
        async with self._clients.answer(dataset.service_key, "GET", url, timeout=timeout) as body:
            return await asyncio.to_thread(_parse_tableset, body, url)

    async def capabilities(self, dataset: Dataset, *, timeout: float) -> tuple[Capability, ...]:
        """The service's VOSI ``/capabilities``: TAP itself, tables, availability..."""
        url = dataset.access_url.rstrip("/") + "/capabilities"
        async with self._clients.answer(dataset.service_key, "GET", url, timeout=timeout) as body:
            return await asyncio.to_thread(_parse_capabilities, body, url)
