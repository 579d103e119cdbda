"""Per-request data loaders: every distinct dataset query in a document runs once."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Mapping
from typing import Any

from aiodataloader import DataLoader

from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.errors import UsageError
from esap_graphql.domain.query import Page, QueryParams
from esap_graphql.services.dataset_query import DatasetQueryService, QueryOutcome

QueryKey = tuple[str, tuple[object, ...], int, int]


class Loaders:
    """The loaders of one GraphQL request: a new set per request, so nothing leaks between users."""

    def __init__(self, queries: DatasetQueryService) -> None:
        self._queries = queries
        self._pending: dict[Hashable, tuple[Dataset, QueryParams, Page]] = {}
        self._query_loader: DataLoader[QueryKey, QueryOutcome] = DataLoader(self._load_queries)

    async def _load_queries(self, keys: list[QueryKey]) -> list[QueryOutcome]:
        # aiodataloader has already dropped duplicate keys; pages of the same
        # query share one upstream request through the service's in-flight cache.
        work = [self._pending.pop(key) for key in keys]
        return list(
            await asyncio.gather(
                *(self._queries.run(ds, params, page) for ds, params, page in work)
            )
        )

    async def query(
        self, dataset: Dataset, raw_params: Mapping[str, Any], page: int, page_size: int
    ) -> QueryOutcome:
        """The outcome of one dataset query; invalid input gives an outcome with its error."""
        try:
            params, checked_page = self._queries.prepare(dataset, raw_params, page, page_size)
        except UsageError as exc:
            return self._queries.failed(dataset, exc)
        key: QueryKey = (dataset.id, params.cache_key(), checked_page.number, checked_page.size)
        self._pending.setdefault(key, (dataset, params, checked_page))
        outcome: QueryOutcome = await self._query_loader.load(key)
        return outcome
