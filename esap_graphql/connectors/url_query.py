"""What the URL-parameter protocols (SCS, SIA) share: one GET with the query in the URL, a
VOTable answer read off the event loop, the answer's columns as the dataset's one table, and
the endpoint itself as the capability."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from esap_graphql.connectors.http import ServiceClients
from esap_graphql.connectors.params import url_with
from esap_graphql.connectors.votable import read_votable_answer
from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.query import QueryParams
from esap_graphql.domain.records import Capability, ResultSet, TableInfo

#: HTTP query parameters, in order.
UrlQuery = Sequence[tuple[str, str]]


class UrlQueryConnector:
    """A connector whose protocol is a GET with parameters; subclasses say which parameters."""

    def __init__(self, *, http: httpx.AsyncClient | ServiceClients) -> None:
        self._clients = http if isinstance(http, ServiceClients) else ServiceClients.sharing(http)

    def parameters(self, dataset: Dataset, params: QueryParams, *, limit: int) -> UrlQuery:
        """The HTTP parameters of a query; raise ``UsageError``."""
        raise NotImplementedError

    def metadata_query(self, dataset: Dataset) -> UrlQuery:
        """The parameters of a query that returns no rows, only the answer's columns."""
        raise NotImplementedError

    def results_class(self, dataset: Dataset) -> Any:
        """pyvo's results class that judges the answer (its status, its errors)."""
        raise NotImplementedError

    def standard_id(self, dataset: Dataset) -> str:
        """The IVOA standard the endpoint implements."""
        raise NotImplementedError

    def native_query(self, dataset: Dataset, params: QueryParams, *, limit: int) -> str:
        """The query URL, as an expert would paste it into a browser."""
        return url_with(dataset.access_url, dict(self.parameters(dataset, params, limit=limit)))

    async def query(
        self, dataset: Dataset, params: QueryParams, *, limit: int, timeout: float
    ) -> ResultSet:
        """Run the query; at most ``limit`` records."""
        return await self._run(
            dataset, self.parameters(dataset, params, limit=limit), limit=limit, timeout=timeout
        )

    async def tables(self, dataset: Dataset, *, timeout: float) -> tuple[TableInfo, ...]:
        """The answer's columns, from a query that returns none of the rows."""
        result = await self._run(dataset, self.metadata_query(dataset), limit=0, timeout=timeout)
        return (
            TableInfo(
                name=dataset.id, description=dataset.description or None, columns=result.columns
            ),
        )

    async def capabilities(self, dataset: Dataset, *, timeout: float) -> tuple[Capability, ...]:
        """These protocols define no VOSI endpoint: the query endpoint itself."""
        return (
            Capability(
                standard_id=self.standard_id(dataset), access_url=dataset.access_url, role="std"
            ),
        )

    async def _run(
        self, dataset: Dataset, query: UrlQuery, *, limit: int, timeout: float
    ) -> ResultSet:
        parameters = dict(query)
        async with self._clients.answer(
            dataset.service_key, "GET", dataset.access_url, params=parameters, timeout=timeout
        ) as body:
            return await read_votable_answer(
                body,
                url=dataset.access_url,
                native_query=url_with(dataset.access_url, parameters),
                field_map=dataset.field_map,
                limit=limit,
                results_class=self.results_class(dataset),
            )
