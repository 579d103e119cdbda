"""Run one dataset query: validate, bound by timeout and concurrency, cache, page."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from esap_graphql.connectors.base import Connector
from esap_graphql.domain.archives import Catalogue, Dataset, Protocol
from esap_graphql.domain.errors import (
    ArchiveError,
    ArchiveTimeout,
    EsapError,
    UnknownDataset,
)
from esap_graphql.domain.outcomes import QueryOutcome
from esap_graphql.domain.query import Page, QueryParams, validate_page
from esap_graphql.domain.records import Capability, ResultSet, TableInfo
from esap_graphql.services.result_cache import ResultCache
from esap_graphql.services.target_positions import TargetPositions
from esap_graphql.telemetry.archive_calls import querying
from esap_graphql.telemetry.metrics import NO_METRICS, Metrics
from esap_graphql.telemetry.tracing import span

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """Bounds on the work one query may cause."""

    timeout: float
    max_records: int
    max_page_size: int
    per_service_concurrency: int
    global_concurrency: int


class DatasetQueryService:
    """Queries datasets through their protocol's connector."""

    def __init__(
        self,
        *,
        catalogue: Catalogue,
        connectors: Mapping[Protocol, Connector],
        limits: QueryLimits,
        cache: ResultCache[ResultSet],
        targets: TargetPositions | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._catalogue = catalogue
        self._metrics = metrics
        self._targets = targets
        self._connectors = connectors
        self._limits = limits
        self._cache = cache
        self._global = asyncio.Semaphore(limits.global_concurrency)
        self._per_service: dict[str, asyncio.Semaphore] = {}

    @property
    def limits(self) -> QueryLimits:
        """The bounds in force."""
        return self._limits

    def dataset(self, dataset_id: str) -> Dataset:
        """The configured dataset; raise ``UnknownDataset``."""
        dataset = self._catalogue.dataset(dataset_id)
        if dataset is None:
            raise UnknownDataset(dataset_id)
        return dataset

    def _limit(self, dataset: Dataset) -> int:
        return min(dataset.max_records or self._limits.max_records, self._limits.max_records)

    def _timeout(self, dataset: Dataset) -> float:
        return dataset.timeout or self._limits.timeout

    def _service_semaphore(self, dataset: Dataset) -> asyncio.Semaphore:
        key = dataset.service_key
        sem = self._per_service.get(key)
        if sem is None:
            sem = self._per_service[key] = asyncio.Semaphore(self._limits.per_service_concurrency)
        return sem

    def native_query(self, dataset: Dataset, params: QueryParams) -> str:
        """The archive-side query for these parameters; raise ``UsageError``."""
        return self._connectors[dataset.protocol].native_query(
            dataset, params, limit=self._limit(dataset)
        )

    async def _fetch_uncached(self, dataset: Dataset, params: QueryParams) -> ResultSet:
        limit = self._limit(dataset)
        return await self._bounded(
            dataset,
            lambda connector, timeout: connector.query(
                dataset, params, limit=limit, timeout=timeout
            ),
        )

    async def fetch(self, dataset: Dataset, params: QueryParams) -> tuple[ResultSet, bool]:
        """All records (up to the limit) and whether they came from the cache."""
        key = (dataset.id, params.cache_key(), self._limit(dataset))
        result = await self._cache.get_or_compute(
            key, lambda: self._fetch_uncached(dataset, params)
        )
        self._metrics.cache(hit=result[1])
        return result

    async def run(self, dataset: Dataset, params: QueryParams, page: Page) -> QueryOutcome:
        """Query one dataset; every expected failure becomes the outcome's error."""
        started = time.perf_counter()
        native: str | None = None
        try:
            if self._targets is not None:
                # a target name becomes a cone for datasets that search by position only
                params = await self._targets.place(dataset, params)
            native = self.native_query(dataset, params)
            result, cached = await self.fetch(dataset, params)
        except EsapError as exc:
            if isinstance(exc, ArchiveError):
                logger.warning("dataset %s: %s", dataset.id, exc.message)
            return QueryOutcome(
                dataset_id=dataset.id,
                dataset=dataset,
                page=page,
                result=None,
                error=exc,
                elapsed_ms=(time.perf_counter() - started) * 1000,
                native_query=native,
            )
        return QueryOutcome(
            dataset_id=dataset.id,
            dataset=dataset,
            page=page,
            result=result,
            error=None,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            from_cache=cached,
            native_query=result.native_query,
        )

    def page(self, number: int, size: int) -> Page:
        """A validated page request; raise ``InvalidParameter``."""
        return validate_page(number, size, max_size=self._limits.max_page_size)

    def refused(self, dataset_id: str, error: EsapError, page: Page | None = None) -> QueryOutcome:
        """The outcome of a query refused before it reached the archive."""
        return QueryOutcome.refused(dataset_id, self._catalogue.dataset(dataset_id), error, page)

    async def _bounded(
        self, dataset: Dataset, call: Callable[[Connector, float], Awaitable[T]]
    ) -> T:
        """Run one call to the dataset's archive within its timeout and the concurrency
        bounds (its requests are reported as the dataset's)."""
        timeout = self._timeout(dataset)
        try:
            async with asyncio.timeout(timeout):
                async with self._global, self._service_semaphore(dataset):
                    with querying(dataset.id), span("archive " + dataset.id):
                        return await call(self._connectors[dataset.protocol], timeout)
        except TimeoutError as exc:
            raise ArchiveTimeout(dataset.access_url, timeout) from exc

    async def capabilities(self, dataset: Dataset) -> tuple[Capability, ...]:
        """The services the dataset's endpoint offers; raise ``ArchiveError``."""
        return await self._bounded(
            dataset, lambda connector, timeout: connector.capabilities(dataset, timeout=timeout)
        )

    async def tables(self, dataset: Dataset, *, name: str | None = None) -> tuple[TableInfo, ...]:
        """The dataset's tables and columns (or only the one named); raise ``ArchiveError``."""
        tables = await self._bounded(
            dataset, lambda connector, timeout: connector.tables(dataset, timeout=timeout)
        )
        if name is not None:
            return tuple(t for t in tables if t.name.lower() == name.lower())
        return tables
