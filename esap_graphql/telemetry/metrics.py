"""The ``Metrics`` interface every layer reports through, and its in-memory implementation.

The Prometheus implementation is in ``prometheus``; ``NO_METRICS`` costs one method call.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol


class Metrics(Protocol):
    """What the process counts and measures."""

    def operation(self, name: str, kind: str, seconds: float, errors: int) -> None:
        """A GraphQL operation ended (``kind``: query, mutation or subscription)."""

    def archive_request(self, dataset: str, status: str, seconds: float, size: int) -> None:
        """An HTTP request to an archive ended (``status``: the HTTP status, or the error's
        name when no answer came); ``size`` bytes were received."""

    def cache(self, *, hit: bool) -> None:
        """The result cache was asked."""

    def job_phase(self, job_type: str, phase: str) -> None:
        """A job reached ``phase``."""

    def jobs_waiting(self, counts: dict[tuple[str, str], int]) -> None:
        """Jobs now in each (type, phase) that is not final (QUEUED: the queue's depth)."""

    def heartbeat(self, at: float) -> None:
        """This process's job executor sent a heartbeat (Unix time)."""

    def basket_write(self, operation: str, items: int) -> None:
        """A basket changed (add, remove, clear or delete) by ``items`` items."""

    def answer_bytes(self, held: int) -> None:
        """Bytes of archive answers this process holds now."""


class NoMetrics:
    """Counts nothing."""

    def operation(self, name: str, kind: str, seconds: float, errors: int) -> None:
        pass

    def archive_request(self, dataset: str, status: str, seconds: float, size: int) -> None:
        pass

    def cache(self, *, hit: bool) -> None:
        pass

    def job_phase(self, job_type: str, phase: str) -> None:
        pass

    def jobs_waiting(self, counts: dict[tuple[str, str], int]) -> None:
        pass

    def heartbeat(self, at: float) -> None:
        pass

    def basket_write(self, operation: str, items: int) -> None:
        pass

    def answer_bytes(self, held: int) -> None:
        pass


NO_METRICS: Metrics = NoMetrics()


class InMemoryMetrics:
    """Keeps what it is told, for tests."""

    def __init__(self) -> None:
        self.operations: list[tuple[str, str, float, int]] = []
        self.archive_requests: list[tuple[str, str, float, int]] = []
        self.cache_lookups: Counter[bool] = Counter()
        self.job_phases: Counter[tuple[str, str]] = Counter()
        self.waiting: dict[tuple[str, str], int] = {}
        self.heartbeats: list[float] = []
        self.basket_writes: Counter[str] = Counter()
        self.answer_bytes_held: list[int] = []

    def operation(self, name: str, kind: str, seconds: float, errors: int) -> None:
        self.operations.append((name, kind, seconds, errors))

    def archive_request(self, dataset: str, status: str, seconds: float, size: int) -> None:
        self.archive_requests.append((dataset, status, seconds, size))

    def cache(self, *, hit: bool) -> None:
        self.cache_lookups[hit] += 1

    def job_phase(self, job_type: str, phase: str) -> None:
        self.job_phases[job_type, phase] += 1

    def jobs_waiting(self, counts: dict[tuple[str, str], int]) -> None:
        self.waiting = dict(counts)

    def heartbeat(self, at: float) -> None:
        self.heartbeats.append(at)

    def basket_write(self, operation: str, items: int) -> None:
        self.basket_writes[operation] += items

    def answer_bytes(self, held: int) -> None:
        self.answer_bytes_held.append(held)
