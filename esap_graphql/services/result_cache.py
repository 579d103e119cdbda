"""A short-lived, size-bounded cache of archive answers, with in-flight sharing.

Two callers that ask the same thing at the same time share one upstream
request; callers within the TTL get the stored answer. Failures are never
stored, so the next caller tries the archive again. Beneath the process's own
answers, an optional shared tier (Redis, ``storage.shared_results``) holds
them for every gateway process.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class SharedResults(Protocol[T]):
    """Answers shared between processes; a failure to read is a miss."""

    async def get(self, key: Hashable) -> T | None:
        """The stored answer, if any."""

    async def put(self, key: Hashable, value: T) -> None:
        """Store an answer for the cache's TTL."""


class ResultCache(Generic[T]):
    """TTL + LRU cache of awaitable results keyed by any hashable key."""

    def __init__(
        self,
        *,
        ttl: float,
        size: int,
        clock: Callable[[], float] = time.monotonic,
        shared: SharedResults[T] | None = None,
    ) -> None:
        self._ttl = ttl
        self._shared = shared if ttl > 0 else None
        self._size = size
        self._clock = clock
        self._done: OrderedDict[Hashable, tuple[float, T]] = OrderedDict()
        self._pending: dict[Hashable, asyncio.Future[T]] = {}

    def __len__(self) -> int:
        return len(self._done)

    def clear(self) -> None:
        """Forget every stored answer."""
        self._done.clear()

    async def get_or_compute(
        self, key: Hashable, compute: Callable[[], Awaitable[T]]
    ) -> tuple[T, bool]:
        """The value for ``key`` and whether it came from the cache (or a shared flight)."""
        while True:
            now = self._clock()
            hit = self._done.get(key)
            if hit is not None:
                expires, value = hit
                if expires > now:
                    self._done.move_to_end(key)
                    return value, True
                del self._done[key]
            pending = self._pending.get(key)
            if pending is None:
                break
            try:
                return await asyncio.shield(pending), True
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not pending.cancelled() or (task is not None and task.cancelling()):
                    raise
                # The caller computing it was cancelled (its client went away):
                # no reason to fail this caller too; look again, compute if need be.
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        shared_hit = False
        try:
            stored = await self._shared.get(key) if self._shared is not None else None
            if stored is not None:
                value, shared_hit = stored, True
            else:
                value = await compute()
                if self._shared is not None:
                    await self._shared.put(key, value)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            # the exception is delivered to sharers; mark it retrieved for the owner
            future.exception()
            raise
        finally:
            self._pending.pop(key, None)
        future.set_result(value)
        if self._ttl > 0 and self._size > 0:
            self._done[key] = (self._clock() + self._ttl, value)
            self._done.move_to_end(key)
            while len(self._done) > self._size:
                self._done.popitem(last=False)
        return value, shared_hit
