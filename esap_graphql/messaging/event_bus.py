"""Job phase events: an ``EventBus`` interface, in memory (one process) and on Redis pub/sub.

Events are published per owner (one channel each); a subscriber to one job listens on its
owner's channel and filters. A subscription is an async context manager so that the
subscriber is registered *before* the caller reads the current state: no event is lost
between "read the job" and "wait for its next phase".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Protocol

import redis.asyncio as redis

from esap_graphql.domain.jobs import PhaseEvent

logger = logging.getLogger(__name__)


class EventSubscription(Protocol):
    """Events for one owner, in publication order."""

    def __aiter__(self) -> AsyncIterator[PhaseEvent]:
        """Iterate over events as they arrive."""
        ...


class EventBus(Protocol):
    """Publishes phase events and hands them to subscribers."""

    async def publish(self, event: PhaseEvent) -> None:
        """Send the event to every current subscriber of its owner."""

    def subscribe(self, owner: str) -> contextlib.AbstractAsyncContextManager[EventSubscription]:
        """Listen to the owner's events while the context is open."""
        ...

    async def aclose(self) -> None:
        """Release connections."""


class _QueueSubscription:
    def __init__(self, queue: asyncio.Queue[PhaseEvent]) -> None:
        self._queue = queue

    async def __aiter__(self) -> AsyncIterator[PhaseEvent]:
        while True:
            yield await self._queue.get()


class InMemoryEventBus:
    """Subscribers are queues in this process; the bus of the in-process runner."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[PhaseEvent]]] = {}

    async def publish(self, event: PhaseEvent) -> None:
        for queue in self._subscribers.get(event.owner, ()):
            queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def subscribe(self, owner: str) -> AsyncIterator[EventSubscription]:
        queue: asyncio.Queue[PhaseEvent] = asyncio.Queue()
        self._subscribers.setdefault(owner, set()).add(queue)
        try:
            yield _QueueSubscription(queue)
        finally:
            subscribers = self._subscribers.get(owner)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._subscribers[owner]

    async def aclose(self) -> None:
        self._subscribers.clear()


class RedisEventBus:
    """Events on Redis pub/sub, so that gateways hear what workers on other hosts publish.

    One pub/sub connection per process reads every owner channel it has subscribers for and
    fans out to in-process queues; publishing uses the shared connection pool.
    """

    def __init__(self, *, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._local = InMemoryEventBus()
        self._pubsub: redis.client.PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._counts: dict[str, int] = {}
        self._lock = asyncio.Lock()

    def _channel(self, owner: str) -> str:
        return f"{self._prefix}:events:{owner}"

    async def publish(self, event: PhaseEvent) -> None:
        payload = json.dumps(event.to_json())
        async with asyncio.timeout(5):
            await self._client.publish(self._channel(event.owner), payload)

    async def _read(self, pubsub: redis.client.PubSub) -> None:
        while True:
            try:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("job event bus: reading from Redis failed; retrying")
                await asyncio.sleep(1)
                continue
            if message is None or message.get("type") != "message":
                continue
            try:
                event = PhaseEvent.from_json(json.loads(message["data"]))
            except (ValueError, KeyError, TypeError):
                logger.warning("job event bus: ignoring malformed event %r", message["data"])
                continue
            await self._local.publish(event)

    async def _ensure_pubsub(self) -> redis.client.PubSub:
        if self._pubsub is None:
            self._pubsub = self._client.pubsub()
        return self._pubsub

    @contextlib.asynccontextmanager
    async def subscribe(self, owner: str) -> AsyncIterator[EventSubscription]:
        channel = self._channel(owner)
        async with self._local.subscribe(owner) as subscription:
            async with self._lock:
                pubsub = await self._ensure_pubsub()
                if self._counts.get(channel, 0) == 0:
                    async with asyncio.timeout(5):
                        await pubsub.subscribe(channel)
                self._counts[channel] = self._counts.get(channel, 0) + 1
                if self._reader is None or self._reader.done():
                    self._reader = asyncio.create_task(self._read(pubsub))
            try:
                yield subscription
            finally:
                async with self._lock:
                    self._counts[channel] -= 1
                    if self._counts[channel] == 0:
                        del self._counts[channel]
                        with contextlib.suppress(Exception):
                            async with asyncio.timeout(5):
                                await pubsub.unsubscribe(channel)

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._local.aclose()
