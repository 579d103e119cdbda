"""Multi-query: the same parameters sent to many datasets at once.

Every dataset runs concurrently (bounded per service and globally by the
query service), each with its own timeout, and every outcome stands on its
own: one archive's failure, slowness or garbage never changes another's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence

from esap_graphql.domain.archives import Catalogue, Dataset
from esap_graphql.domain.errors import EsapError, InvalidParameter, UnknownDataset, UsageError
from esap_graphql.domain.outcomes import MultiQueryOutcome, QueryOutcome
from esap_graphql.domain.query import Page, QueryParams
from esap_graphql.services.dataset_query import DatasetQueryService
from esap_graphql.services.loaders import Loaders

#: Datasets found elsewhere than the catalogue (the VO registry), by id: how to get each.
ExtraDatasets = Mapping[str, Callable[[], Awaitable[Dataset]]]


class MultiQueryService:
    """Fans one query out over many datasets."""

    def __init__(
        self, *, catalogue: Catalogue, queries: DatasetQueryService, max_datasets: int
    ) -> None:
        self._catalogue = catalogue
        self._queries = queries
        self._max_datasets = max_datasets

    def selection(
        self, dataset_ids: Sequence[str] | None, extra: ExtraDatasets | None = None
    ) -> list[str]:
        """The dataset ids to query: those given (duplicates dropped) or every multi-query one,
        then the extra (registry) ones."""
        if dataset_ids is None:
            chosen = [d.id for d in self._catalogue.datasets if d.multi_query]
            if not extra:
                return chosen
        else:
            chosen = list(dict.fromkeys(dataset_ids))
        chosen.extend(i for i in (extra or {}) if i not in chosen)
        if len(chosen) > self._max_datasets:
            raise InvalidParameter(
                "datasets", f"at most {self._max_datasets} datasets in one multi-query"
            )
        return chosen

    async def _one(
        self,
        loaders: Loaders,
        dataset_id: str,
        params: QueryParams,
        page: Page,
        extra: ExtraDatasets | None = None,
    ) -> QueryOutcome:
        dataset: Dataset | None = self._catalogue.dataset(dataset_id)
        if dataset is None and extra and dataset_id in extra:
            try:
                dataset = await extra[dataset_id]()
            except EsapError as exc:
                return self._queries.refused(dataset_id, exc)
        if dataset is None:
            return self._queries.refused(dataset_id, UnknownDataset(dataset_id))
        return await loaders.query(dataset, params, page)

    async def run(
        self,
        loaders: Loaders,
        dataset_ids: Sequence[str] | None,
        params: QueryParams,
        page: Page,
        extra: ExtraDatasets | None = None,
    ) -> MultiQueryOutcome:
        """All outcomes at once, after the slowest dataset has answered or timed out."""
        started = time.perf_counter()
        chosen = self.selection(dataset_ids, extra)
        results = await asyncio.gather(
            *(self._one(loaders, ds, params, page, extra) for ds in chosen)
        )
        return MultiQueryOutcome(
            results=tuple(results), elapsed_ms=(time.perf_counter() - started) * 1000
        )

    def refused(
        self,
        dataset_ids: Sequence[str] | None,
        error: UsageError,
        extra: ExtraDatasets | None = None,
    ) -> MultiQueryOutcome:
        """Every dataset's outcome when the query itself was refused (invalid parameters)."""
        chosen = self.selection(dataset_ids, extra)
        return MultiQueryOutcome(
            results=tuple(self._queries.refused(ds, error) for ds in chosen), elapsed_ms=0.0
        )

    async def stream(
        self,
        dataset_ids: Sequence[str] | None,
        params: QueryParams,
        page: Page,
        extra: ExtraDatasets | None = None,
    ) -> AsyncIterator[QueryOutcome]:
        """Each dataset's outcome as soon as it is in, fastest first.

        A stream is a request of its own (a WebSocket connection outlives one subscription),
        so it gets loaders of its own.
        """
        chosen = self.selection(dataset_ids, extra)
        loaders = Loaders(self._queries)
        tasks = [asyncio.create_task(self._one(loaders, ds, params, page, extra)) for ds in chosen]
        try:
            for next_done in asyncio.as_completed(tasks):
                yield await next_done
        finally:
            # a client that unsubscribes early stops the work it no longer wants
            for task in tasks:
                task.cancel()
