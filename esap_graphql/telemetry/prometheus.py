"""Metrics for Prometheus (prometheus-client), in one process or several.

With ``PROMETHEUS_MULTIPROC_DIR`` set (an empty directory shared by every process of one
host: uvicorn's workers, arq workers), each process writes its values to files there and
``render`` adds them up, so a scrape of any one process sees the whole host.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

#: Operation names are chosen by clients: past this many, the others count as "other".
MAX_OPERATION_NAMES = 200

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def multiprocess_dir() -> str | None:
    """The directory of multi-process mode, when set."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class PrometheusMetrics:
    """The ``Metrics`` of this process, exposed by ``render``."""

    def __init__(self) -> None:
        self._registry = registry = CollectorRegistry(auto_describe=True)
        self._names: set[str] = set()
        # the labelled series of each (operation, type) seen, looked up once
        self._operation_children: dict[tuple[str, str], tuple[Any, Any, Any]] = {}
        self._operations = Counter(
            "esap_graphql_operations",
            "GraphQL operations by operation name and type.",
            ["operation", "type"],
            registry=registry,
        )
        self._operation_errors = Counter(
            "esap_graphql_operation_errors",
            "GraphQL errors returned, by operation name and type.",
            ["operation", "type"],
            registry=registry,
        )
        self._operation_seconds = Histogram(
            "esap_graphql_operation_seconds",
            "Time to answer a GraphQL operation.",
            ["operation", "type"],
            buckets=_LATENCY,
            registry=registry,
        )
        self._archive_seconds = Histogram(
            "esap_archive_request_seconds",
            "HTTP requests to archives by dataset and status, and their time to the last byte.",
            ["dataset", "status"],
            buckets=_LATENCY,
            registry=registry,
        )
        self._archive_bytes = Counter(
            "esap_archive_received_bytes",
            "Bytes received from archives (as sent: compressed answers compressed).",
            ["dataset"],
            registry=registry,
        )
        self._cache = Counter(
            "esap_result_cache_lookups",
            "Result-cache lookups by result (hit or miss).",
            ["result"],
            registry=registry,
        )
        self._cache_hit = self._cache.labels("hit")
        self._cache_miss = self._cache.labels("miss")
        self._job_phases = Counter(
            "esap_job_phase_changes",
            "Jobs reaching a phase, by job type and phase.",
            ["type", "phase"],
            registry=registry,
        )
        self._jobs_waiting = Gauge(
            "esap_jobs",
            "Jobs not yet final by type and phase (QUEUED: the queue's depth), as last counted.",
            ["type", "phase"],
            multiprocess_mode="mostrecent",
            registry=registry,
        )
        self._heartbeats = Counter(
            "esap_worker_heartbeats", "Heartbeats sent by job executors.", registry=registry
        )
        self._last_heartbeat = Gauge(
            "esap_worker_last_heartbeat_timestamp_seconds",
            "When a job executor last sent a heartbeat (Unix time).",
            multiprocess_mode="max",
            registry=registry,
        )
        self._basket_writes = Counter(
            "esap_basket_writes",
            "Basket changes by operation (add, remove, clear, delete).",
            ["operation"],
            registry=registry,
        )
        self._basket_items = Counter(
            "esap_basket_written_items",
            "Basket items added or removed by operation.",
            ["operation"],
            registry=registry,
        )
        self._answer_bytes = Gauge(
            "esap_archive_answer_bytes_in_flight",
            "Bytes of archive answers held in memory now.",
            multiprocess_mode="livesum",
            registry=registry,
        )
        self._seen_waiting: set[tuple[str, str]] = set()

    def operation(self, name: str, kind: str, seconds: float, errors: int) -> None:
        children = self._operation_children.get((name, kind))
        if children is None:
            if name not in self._names and len(self._names) >= MAX_OPERATION_NAMES:
                name = "other"
            self._names.add(name)
            children = self._operation_children.setdefault(
                (name, kind),
                (
                    self._operations.labels(name, kind),
                    self._operation_seconds.labels(name, kind),
                    self._operation_errors.labels(name, kind),
                ),
            )
        count, latency, failed = children
        count.inc()
        latency.observe(seconds)
        if errors:
            failed.inc(errors)

    def archive_request(self, dataset: str, status: str, seconds: float, size: int) -> None:
        self._archive_seconds.labels(dataset, status).observe(seconds)
        if size:
            self._archive_bytes.labels(dataset).inc(size)

    def cache(self, *, hit: bool) -> None:
        (self._cache_hit if hit else self._cache_miss).inc()

    def job_phase(self, job_type: str, phase: str) -> None:
        self._job_phases.labels(job_type, phase).inc()

    def jobs_waiting(self, counts: dict[tuple[str, str], int]) -> None:
        for key in self._seen_waiting - counts.keys():
            self._jobs_waiting.labels(*key).set(0)
        for key, count in counts.items():
            self._jobs_waiting.labels(*key).set(count)
        self._seen_waiting |= counts.keys()

    def heartbeat(self, at: float) -> None:
        self._heartbeats.inc()
        self._last_heartbeat.set(at)

    def basket_write(self, operation: str, items: int) -> None:
        self._basket_writes.labels(operation).inc()
        self._basket_items.labels(operation).inc(items)

    def answer_bytes(self, held: int) -> None:
        self._answer_bytes.set(held)

    def render(self) -> tuple[bytes, str]:
        """The exposition text (of every process of the host in multi-process mode) and its
        content type."""
        if multiprocess_dir() is None:
            return generate_latest(self._registry), CONTENT_TYPE_LATEST
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
