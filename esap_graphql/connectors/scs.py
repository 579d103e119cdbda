"""Simple Cone Search (SCS 1.03): RA, DEC, SR in degrees, VOTable answer."""

from __future__ import annotations

import asyncio

import httpx
from pyvo.dal.scs import SCSResults

from esap_graphql.connectors.http import ServiceClients, fetch
from esap_graphql.connectors.params import refuse, require_cone, url_with
from esap_graphql.connectors.votable import votable_to_result
from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.query import QueryParams
from esap_graphql.domain.records import Capability, ResultSet, TableInfo

_SUPPORTED = {"ra", "dec", "radius"}


def scs_parameters(dataset: Dataset, params: QueryParams, *, limit: int) -> dict[str, str]:
    """The HTTP parameters of the cone search (VERB=3: every column)."""
    refuse(dataset, params, supported=_SUPPORTED)
    ra, dec, radius = require_cone(dataset, params)
    return {"RA": repr(ra), "DEC": repr(dec), "SR": repr(radius), "VERB": "3", "MAXREC": str(limit)}


class ScsConnector:
    """Queries cone search services."""

    def __init__(self, *, http: httpx.AsyncClient | ServiceClients) -> None:
        self._clients = http if isinstance(http, ServiceClients) else ServiceClients.sharing(http)

    def native_query(self, dataset: Dataset, params: QueryParams, *, limit: int) -> str:
        """The cone search URL."""
        return url_with(dataset.access_url, scs_parameters(dataset, params, limit=limit))

    async def query(
        self, dataset: Dataset, params: QueryParams, *, limit: int, timeout: float
    ) -> ResultSet:
        """Run the cone search; at most ``limit`` records."""
        query = scs_parameters(dataset, params, limit=limit)
        body = await fetch(
            self._clients.for_service(dataset.service_key),
            "GET",
            dataset.access_url,
            params=query,
            timeout=timeout,
        )
        return await asyncio.to_thread(
            votable_to_result,
            body,
            url=dataset.access_url,
            native_query=url_with(dataset.access_url, query),
            field_map=dataset.field_map,
            limit=limit,
            results_class=SCSResults,
        )

    async def tables(self, dataset: Dataset, *, timeout: float) -> tuple[TableInfo, ...]:
        """The answer's columns, from a metadata query (SR=0, VERB=3)."""
        query = {"RA": "0", "DEC": "0", "SR": "0", "VERB": "3"}
        body = await fetch(
            self._clients.for_service(dataset.service_key),
            "GET",
            dataset.access_url,
            params=query,
            timeout=timeout,
        )
        result = await asyncio.to_thread(
            votable_to_result,
            body,
            url=dataset.access_url,
            native_query=url_with(dataset.access_url, query),
            field_map=dataset.field_map,
            limit=0,
            results_class=SCSResults,
        )
        return (
            TableInfo(
                name=dataset.id, description=dataset.description or None, columns=result.columns
            ),
        )

    async def capabilities(self, dataset: Dataset, *, timeout: float) -> tuple[Capability, ...]:
        """SCS 1.03 defines no VOSI endpoint: the cone search itself."""
        return (
            Capability(
                standard_id="ivo://ivoa.net/std/ConeSearch",
                access_url=dataset.access_url,
                role="std",
            ),
        )
