"""The registry store: where harvested VO registry records live, and how far each harvest got.

The interface; ``sql_registry_store`` and ``memory_registry_store`` implement it. A record is
kept once per IVOA identifier (compared case-insensitively, as the identifiers are); a keyword
search follows ``domain.registry.matches``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from esap_graphql.domain.registry import RegistryQuery, RegistryResource


@dataclass(frozen=True, slots=True)
class HarvestState:
    """The last successful harvest of one registry: when, and the ``from`` of the next one."""

    source: str
    harvested_from: datetime | None
    last_harvest: datetime
    records: int


class RegistryStore(Protocol):
    """Keeps harvested records and answers searches over them."""

    async def put(
        self, resources: Sequence[RegistryResource], datestamps: Sequence[datetime | None]
    ) -> None:
        """Insert or replace records (by identifier)."""
        ...

    async def delete(self, ivoids: Iterable[str]) -> None:
        """Forget records (deleted at their registry)."""
        ...

    async def search(self, query: RegistryQuery) -> list[RegistryResource]:
        """Records matching a search, at most ``query.limit``, by title."""
        ...

    async def get(self, ivoid: str) -> RegistryResource | None:
        """The record with this identifier, or None."""
        ...

    async def count(self) -> int:
        """Records held."""
        ...

    async def optimize(self) -> None:
        """Refresh the query planner's statistics (after a harvest changed many records)."""
        ...

    async def harvest_state(self, source: str) -> HarvestState | None:
        """The last successful harvest of a registry, or None."""
        ...

    async def save_harvest_state(self, state: HarvestState) -> None:
        """Record a successful harvest."""
        ...
