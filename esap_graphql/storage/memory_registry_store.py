"""The registry store in memory, for tests and for running without a database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from esap_graphql.domain.registry import RegistryQuery, RegistryResource, matches
from esap_graphql.storage.registry_store import HarvestState


class MemoryRegistryStore:
    """The store in memory, for tests and for running without a database."""

    def __init__(self) -> None:
        self._records: dict[str, RegistryResource] = {}
        self._states: dict[str, HarvestState] = {}

    async def put(
        self, resources: Sequence[RegistryResource], datestamps: Sequence[datetime | None]
    ) -> None:
        """Insert or replace records."""
        for resource in resources:
            self._records[resource.ivoid.lower()] = resource

    async def delete(self, ivoids: Iterable[str]) -> None:
        """Forget records."""
        for ivoid in ivoids:
            self._records.pop(ivoid.lower(), None)

    async def search(self, query: RegistryQuery) -> list[RegistryResource]:
        """Records matching the search, by title."""
        found = sorted(
            (r for r in self._records.values() if matches(r, query)),
            key=lambda r: (r.title, r.ivoid.lower()),
        )
        return found[: query.limit]

    async def get(self, ivoid: str) -> RegistryResource | None:
        """The record with this identifier, or None."""
        return self._records.get(ivoid.strip().lower())

    async def count(self) -> int:
        """Records held."""
        return len(self._records)

    async def optimize(self) -> None:
        """Nothing to do in memory."""

    async def harvest_state(self, source: str) -> HarvestState | None:
        """The last successful harvest of a registry, or None."""
        return self._states.get(source)

    async def save_harvest_state(self, state: HarvestState) -> None:
        """Record a successful harvest."""
        self._states[state.source] = state
