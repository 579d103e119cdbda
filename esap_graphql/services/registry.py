"""The VO registry: search RegTAP and the harvested records, and query a service found there.

Only a service some registry lists can be queried, and only at a URL the
egress check allows: the access URLs of registry records are untrusted input.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from esap_graphql.domain.errors import EsapError
from esap_graphql.domain.registry import (
    RegistryDataset,
    RegistryQuery,
    RegistryResource,
    RegistrySource,
    ServiceType,
    UnknownRegistryService,
    check_ivoid,
    dataset_for,
    matches,
)
from esap_graphql.storage.registry_store import RegistryStore

logger = logging.getLogger(__name__)

#: How a URL is checked before it is called (``connectors.egress.check_url``).
UrlCheck = Callable[[str], Awaitable[str]]


class RegistrySearcher(Protocol):
    """A searchable registry (RegTAP)."""

    async def search(self, query: RegistryQuery) -> tuple[RegistryResource, ...]:
        """The resources matching a search."""
        ...

    async def lookup(self, ivoid: str) -> RegistryResource | None:
        """The resource with this identifier, or None."""
        ...


class MemoryRegistrySearcher:
    """A registry searcher over a list of records (tests, offline use)."""

    def __init__(self, resources: tuple[RegistryResource, ...] = ()) -> None:
        self.resources = resources

    async def search(self, query: RegistryQuery) -> tuple[RegistryResource, ...]:
        """The records matching the search."""
        return tuple(r for r in self.resources if matches(r, query))[: query.limit]

    async def lookup(self, ivoid: str) -> RegistryResource | None:
        """The record with this identifier, or None."""
        return next((r for r in self.resources if r.ivoid.lower() == ivoid.lower()), None)


@dataclass(frozen=True, slots=True)
class RegistrySearchOutcome:
    """The services found, and the error of each source that failed."""

    resources: tuple[RegistryResource, ...]
    errors: tuple[EsapError, ...] = ()


class RegistryService:
    """Searches the registry sources and turns listed services into datasets."""

    def __init__(
        self,
        *,
        regtap: RegistrySearcher | None,
        store: RegistryStore,
        check_url: UrlCheck,
        max_results: int,
    ) -> None:
        self._regtap = regtap
        self._store = store
        self._check_url = check_url
        self.max_results = max_results

    async def search(
        self, query: RegistryQuery, source: RegistrySource = RegistrySource.ALL
    ) -> RegistrySearchOutcome:
        """Services from the harvested store and RegTAP (harvested first, each ivoid once).

        A source that fails costs only its own records: its error is reported
        beside the other source's services.
        """
        calls: list[Awaitable[tuple[RegistryResource, ...] | list[RegistryResource]]] = []
        if source is not RegistrySource.REGTAP:
            calls.append(self._store.search(query))
        if source is not RegistrySource.HARVESTED and self._regtap is not None:
            calls.append(self._regtap.search(query))
        answers = await asyncio.gather(*calls, return_exceptions=True)
        found: dict[str, RegistryResource] = {}
        errors: list[EsapError] = []
        for answer in answers:
            if isinstance(answer, EsapError):
                logger.warning("registry search: %s", answer.message)
                errors.append(answer)
                continue
            if isinstance(answer, BaseException):
                raise answer
            for resource in answer:
                found.setdefault(resource.ivoid.lower(), resource)
        return RegistrySearchOutcome(
            resources=tuple(found.values())[: query.limit], errors=tuple(errors)
        )

    async def resource(self, ivoid: str) -> RegistryResource:
        """The record of a listed resource; raise ``UnknownRegistryService`` or ``ArchiveError``."""
        checked = check_ivoid(ivoid)
        stored = await self._store.get(checked)
        if stored is not None:
            return stored
        if self._regtap is not None:
            found = await self._regtap.lookup(checked)
            if found is not None:
                return found
        raise UnknownRegistryService(checked)

    async def dataset(self, ivoid: str, service_type: ServiceType | None = None) -> RegistryDataset:
        """A listed service as a dataset, its URL allowed; raise ``EsapError``."""
        chosen = dataset_for(await self.resource(ivoid), service_type=service_type)
        await self._check_url(chosen.dataset.access_url)
        return chosen
