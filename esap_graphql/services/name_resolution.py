"""Target names to positions: one lookup per name, remembered (found or not) for a while.

A found name is kept for ``ttl`` seconds, a name no resolver knows for
``not_found_ttl`` (usually shorter: catalogues grow). Failures to reach any
resolver are never kept. Callers asking for the same name at the same time
share one lookup.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from esap_graphql.domain.names import NameNotResolved, ResolvedName, normalise_name


class NameSource(Protocol):
    """Where positions come from (Sesame, or a table in tests and benchmarks)."""

    async def lookup(self, name: str) -> ResolvedName | None:
        """The position of ``name``; None when unknown; raise ``ArchiveError`` when unreachable."""
        ...


@dataclass
class InMemoryNameSource:
    """Names from a table; counts lookups."""

    positions: Mapping[str, tuple[float, float]]
    resolver: str = "memory"
    lookups: int = 0

    async def lookup(self, name: str) -> ResolvedName | None:
        """The table's position for ``name``."""
        self.lookups += 1
        found = self.positions.get(name)
        if found is None:
            return None
        return ResolvedName(name=name, ra=found[0], dec=found[1], resolver=self.resolver)


@dataclass(frozen=True, slots=True)
class NameLookup:
    """The answer for a name: its position, or None when no resolver knows it."""

    name: str
    resolved: ResolvedName | None
    from_cache: bool


class NameResolutionService:
    """Resolves names through a ``NameSource``, with a bounded two-TTL cache."""

    def __init__(
        self,
        *,
        source: NameSource,
        ttl: float,
        not_found_ttl: float,
        size: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._ttl = ttl
        self._not_found_ttl = not_found_ttl
        self._size = size
        self._clock = clock
        self._done: OrderedDict[str, tuple[float, ResolvedName | None]] = OrderedDict()
        self._pending: dict[str, asyncio.Future[ResolvedName | None]] = {}

    def _cached(self, key: str) -> tuple[bool, ResolvedName | None]:
        hit = self._done.get(key)
        if hit is None:
            return False, None
        expires, value = hit
        if expires <= self._clock():
            del self._done[key]
            return False, None
        self._done.move_to_end(key)
        return True, value

    def _store(self, key: str, value: ResolvedName | None) -> None:
        ttl = self._ttl if value is not None else self._not_found_ttl
        if ttl <= 0 or self._size <= 0:
            return
        self._done[key] = (self._clock() + ttl, value)
        self._done.move_to_end(key)
        while len(self._done) > self._size:
            self._done.popitem(last=False)

    async def lookup(self, name: str, *, parameter: str = "name") -> NameLookup:
        """The answer for ``name``; raise ``InvalidParameter`` for an unusable name and
        ``ArchiveError`` when no resolver could be asked."""
        key = normalise_name(name, parameter=parameter)
        while True:
            hit, value = self._cached(key)
            if hit:
                return NameLookup(key, value, from_cache=True)
            pending = self._pending.get(key)
            if pending is None:
                break
            try:
                return NameLookup(key, await asyncio.shield(pending), from_cache=True)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not pending.cancelled() or (task is not None and task.cancelling()):
                    raise
                # the caller looking it up went away, not this one: look again
        future: asyncio.Future[ResolvedName | None] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            value = await self._source.lookup(key)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # delivered to sharers; retrieved here for the owner
            raise
        finally:
            self._pending.pop(key, None)
        future.set_result(value)
        self._store(key, value)
        return NameLookup(key, value, from_cache=False)

    async def resolve(self, name: str, *, parameter: str = "name") -> ResolvedName:
        """The position of ``name``; raise ``NameNotResolved`` when no resolver knows it."""
        found = await self.lookup(name, parameter=parameter)
        if found.resolved is None:
            raise NameNotResolved(found.name)
        return found.resolved
