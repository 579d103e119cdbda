"""Browsing a Rucio data lake beyond queries: its scopes, bounded and cached.

Searching data identifiers is an ordinary dataset query (the Rucio connector
behind ``DatasetQueryService``), so it pages, caches, times out and joins
multi-queries like any other. What only a data lake has, the list of its
scopes, is served here with the same timeout and cache rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from esap_graphql.domain.archives import Catalogue, Dataset
from esap_graphql.domain.archives import Protocol as DatasetProtocol
from esap_graphql.domain.errors import ArchiveTimeout, InvalidParameter, UnknownDataset
from esap_graphql.services.result_cache import ResultCache


@runtime_checkable
class ScopeBrowser(Protocol):
    """Lists the scopes of a data lake dataset (the Rucio connector does)."""

    async def scopes(self, dataset: Dataset, *, timeout: float) -> tuple[str, ...]:
        """Every scope, sorted; raise ``ArchiveError``."""
        ...


class DataLakeService:
    """Scopes of the Rucio datasets of the catalogue."""

    def __init__(
        self,
        *,
        catalogue: Catalogue,
        browser: ScopeBrowser | None,
        timeout: float,
        cache: ResultCache[tuple[str, ...]],
    ) -> None:
        self._catalogue = catalogue
        self._browser = browser
        self._timeout = timeout
        self._cache = cache

    @classmethod
    def over(
        cls,
        connectors: Mapping[DatasetProtocol, object],
        *,
        catalogue: Catalogue,
        timeout: float,
        cache_ttl: float,
    ) -> DataLakeService:
        """The service over the Rucio connector among ``connectors``, if there is one."""
        found = connectors.get(DatasetProtocol.RUCIO)
        return cls(
            catalogue=catalogue,
            browser=found if isinstance(found, ScopeBrowser) else None,
            timeout=timeout,
            cache=ResultCache[tuple[str, ...]](ttl=cache_ttl, size=64),
        )

    def data_lake(self, dataset_id: str) -> Dataset:
        """The Rucio dataset with this id; raise ``UnknownDataset`` or ``InvalidParameter``."""
        dataset = self._catalogue.dataset(dataset_id)
        if dataset is None:
            raise UnknownDataset(dataset_id)
        if dataset.protocol is not DatasetProtocol.RUCIO or dataset.rucio is None:
            raise InvalidParameter(
                "dataset",
                f"dataset {dataset_id!r} ({dataset.protocol.value}) is not a Rucio data lake",
            )
        return dataset

    async def scopes(self, dataset: Dataset) -> tuple[tuple[str, ...], bool]:
        """The dataset's scopes and whether they came from the cache; raise ``EsapError``."""
        browser = self._browser
        if browser is None:
            raise InvalidParameter("dataset", "this gateway has no Rucio connector")
        timeout = dataset.timeout or self._timeout

        async def fetch() -> tuple[str, ...]:
            try:
                async with asyncio.timeout(timeout):
                    return await browser.scopes(dataset, timeout=timeout)
            except TimeoutError as exc:
                raise ArchiveTimeout(dataset.access_url, timeout) from exc

        return await self._cache.get_or_compute(("scopes", dataset.id), fetch)
