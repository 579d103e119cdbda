"""Simple Image Access: SIA 2.0 (ObsCore-shaped answers), and SIA 1.0 where that is all."""

from __future__ import annotations

import asyncio

import httpx
from pyvo.dal.sia import SIAResults
from pyvo.dal.sia2 import SIA2Results

from esap_graphql.connectors.http import ServiceClients, fetch
from esap_graphql.connectors.params import fixed_collection, refuse, require_cone, url_with
from esap_graphql.connectors.votable import votable_to_result
from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.query import QueryParams
from esap_graphql.domain.records import Capability, ResultSet, TableInfo

_SIA1_SUPPORTED = {"ra", "dec", "radius"}


def sia_parameters(dataset: Dataset, params: QueryParams, *, limit: int) -> list[tuple[str, str]]:
    """The HTTP parameters of the image search."""
    if dataset.sia_version == 1:
        refuse(dataset, params, supported=_SIA1_SUPPORTED)
        ra, dec, radius = require_cone(dataset, params)
        return [
            ("POS", f"{ra!r},{dec!r}"),
            ("SIZE", repr(2 * radius)),
            ("FORMAT", "ALL"),
            ("VERB", "3"),
            ("MAXREC", str(limit)),
        ]
    query: list[tuple[str, str]] = []
    if params.has_cone:
        query.append(("POS", f"CIRCLE {params.ra!r} {params.dec!r} {params.radius!r}"))
    collection = fixed_collection(dataset, params)
    if collection is not None:
        query.append(("COLLECTION", collection))
    if params.target is not None:
        query.append(("TARGET", params.target))
    if params.calibration_level is not None:
        query.append(("CALIB", str(params.calibration_level)))
    if params.dataproduct_type is not None:
        query.append(("DPTYPE", params.dataproduct_type))
    query.append(("MAXREC", str(limit)))
    return query


class SiaConnector:
    """Queries image access services."""

    def __init__(self, *, http: httpx.AsyncClient | ServiceClients) -> None:
        self._clients = http if isinstance(http, ServiceClients) else ServiceClients.sharing(http)

    def native_query(self, dataset: Dataset, params: QueryParams, *, limit: int) -> str:
        """The image search URL."""
        return url_with(dataset.access_url, dict(sia_parameters(dataset, params, limit=limit)))

    async def _run(
        self, dataset: Dataset, query: list[tuple[str, str]], *, limit: int, timeout: float
    ) -> ResultSet:
        body = await fetch(
            self._clients.for_service(dataset.service_key),
            "GET",
            dataset.access_url,
            params=dict(query),
            timeout=timeout,
        )
        return await asyncio.to_thread(
            votable_to_result,
            body,
            url=dataset.access_url,
            native_query=url_with(dataset.access_url, dict(query)),
            field_map=dataset.field_map,
            limit=limit,
            results_class=SIAResults if dataset.sia_version == 1 else SIA2Results,
        )

    async def query(
        self, dataset: Dataset, params: QueryParams, *, limit: int, timeout: float
    ) -> ResultSet:
        """Run the image search; at most ``limit`` records."""
        return await self._run(
            dataset, sia_parameters(dataset, params, limit=limit), limit=limit, timeout=timeout
        )

    async def tables(self, dataset: Dataset, *, timeout: float) -> tuple[TableInfo, ...]:
        """The answer's columns, from a metadata query (MAXREC=0, or FORMAT=METADATA for SIA 1)."""
        query = [("FORMAT", "METADATA")] if dataset.sia_version == 1 else [("MAXREC", "0")]
        result = await self._run(dataset, query, limit=0, timeout=timeout)
        return (
            TableInfo(
                name=dataset.id, description=dataset.description or None, columns=result.columns
            ),
        )

    async def capabilities(self, dataset: Dataset, *, timeout: float) -> tuple[Capability, ...]:
        """The image search endpoint, by SIA version (the protocol has no common VOSI path)."""
        standard = "ivo://ivoa.net/std/SIA" + ("" if dataset.sia_version == 1 else "#query-2.0")
        return (Capability(standard_id=standard, access_url=dataset.access_url, role="std"),)
