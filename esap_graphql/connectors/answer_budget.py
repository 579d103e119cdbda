"""One budget for the bytes of archive answers a process holds at once."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

from esap_graphql.domain.errors import ArchiveError


class GatewayBusy(ArchiveError):
    """The process's budget for archive answers in flight stayed used up: try again soon."""

    code = "gateway_busy"

    def __init__(self, url: str, budget: int) -> None:
        super().__init__(
            f"the gateway is receiving more than {budget // 2**20} MiB from archives at once; "
            "try again in a moment",
            url=url,
        )


class AnswerBudget:
    """Bytes of archive answers held in memory at once, over the whole process.

    Answers take room as their bytes arrive. When there is none, the oldest answer holding
    bytes waits (the others make room for it); any other answer that holds bytes fails at once
    with ``GatewayBusy`` and gives them back; an answer that holds nothing yet waits a little
    for room (behind the oldest). So no two answers wait on each other while holding memory,
    and the oldest one always finishes.
    """

    def __init__(
        self, limit: int, *, wait: float = 5.0, observe: Callable[[int], None] | None = None
    ) -> None:
        self.limit = limit
        self._observe = observe  # told the bytes held after each change (a metric)
        self._wait = wait
        self._used = 0
        self._held: dict[int, int] = {}  # ticket -> bytes, in arrival order
        self._tickets = itertools.count()
        self._oldest_waiting = False
        self._freed = asyncio.Condition()

    @property
    def used(self) -> int:
        """Bytes held now."""
        return self._used

    def ticket(self) -> int:
        """A new answer's place in the order of arrival."""
        return next(self._tickets)

    def _fits(self, size: int) -> bool:
        return self._used + size <= self.limit

    async def take(self, ticket: int, size: int, url: str) -> None:
        """Hold ``size`` more bytes for answer ``ticket``; raise ``GatewayBusy`` when there is
        no room for it."""
        held = self._held.get(ticket, 0)
        if self._fits(size) and (held or not self._oldest_waiting):
            self._grant(ticket, size)
            return
        oldest = next(iter(self._held), ticket)
        if held and ticket != oldest:
            raise GatewayBusy(url, self.limit)
        try:
            async with self._freed, asyncio.timeout(self._wait):
                if held:
                    self._oldest_waiting = True
                    await self._freed.wait_for(lambda: self._fits(size))
                else:
                    await self._freed.wait_for(
                        lambda: self._fits(size) and not self._oldest_waiting
                    )
                self._grant(ticket, size)
        except TimeoutError:
            raise GatewayBusy(url, self.limit) from None
        finally:
            if held:
                self._oldest_waiting = False

    def _grant(self, ticket: int, size: int) -> None:
        self._used += size
        self._held[ticket] = self._held.get(ticket, 0) + size
        if self._observe is not None:
            self._observe(self._used)

    async def give_back(self, ticket: int) -> None:
        """Release everything answer ``ticket`` holds."""
        async with self._freed:
            self._used -= self._held.pop(ticket, 0)
            self._freed.notify_all()
        if self._observe is not None:
            self._observe(self._used)
