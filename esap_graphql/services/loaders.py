"""Per-request data loaders: every distinct dataset query in a document runs once."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import dataclass

from aiodataloader import DataLoader

from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.outcomes import QueryOutcome
from esap_graphql.domain.query import Page, QueryParams
from esap_graphql.services.dataset_query import DatasetQueryService

QueryKey = tuple[str, tuple[object, ...], int, int]


@dataclass(frozen=True, slots=True)
class _Running:
    """A dataset query under way, wrapped so the loader hands it over unawaited."""

    task: asyncio.Task[QueryOutcome]


class Loaders:
    """The loaders of one GraphQL request (or one subscription): a new set each, so nothing
    leaks between requests."""

    def __init__(self, queries: DatasetQueryService) -> None:
        self._queries = queries
        self._pending: dict[Hashable, tuple[Dataset, QueryParams, Page]] = {}
        self._query_loader: DataLoader[QueryKey, _Running] = DataLoader(self._load_queries)

    async def _load_queries(self, keys: list[QueryKey]) -> list[_Running]:
        # aiodataloader has already dropped duplicate keys; pages of the same
        # query share one upstream request through the service's in-flight cache.
        # The batch hands back running tasks, not finished outcomes, so that each
        # caller wakes when its own dataset answers rather than when the slowest does.
        work = [self._pending.pop(key) for key in keys]
        return [
            _Running(asyncio.create_task(self._queries.run(ds, params, page)))
            for ds, params, page in work
        ]

    async def query(self, dataset: Dataset, params: QueryParams, page: Page) -> QueryOutcome:
        """The outcome of one dataset query (validated parameters and page)."""
        key: QueryKey = (dataset.id, params.cache_key(), page.number, page.size)
        self._pending.setdefault(key, (dataset, params, page))
        running: _Running = await self._query_loader.load(key)
        return await running.task
