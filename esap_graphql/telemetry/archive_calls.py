"""Archive requests as operators see them: which dataset a request serves, how long it took,
what came back, how many bytes.

The dataset query service names the dataset it is querying (``querying``); the HTTP
transport of every archive client (``ObservedTransport``) reads that name, so connectors need
not pass it down. A request outside a dataset query (a registry, DataLink) carries its
service's key instead.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar

import httpx

from esap_graphql.telemetry import tracing
from esap_graphql.telemetry.metrics import Metrics

_DATASET: ContextVar[str | None] = ContextVar("esap_archive_dataset", default=None)

#: Wraps the transport of one archive service's client (given the service's key).
TransportWrapper = Callable[[httpx.AsyncBaseTransport, str], httpx.AsyncBaseTransport]


@contextlib.contextmanager
def querying(dataset_id: str) -> Iterator[None]:
    """Archive requests made within the block (and tasks it starts) serve ``dataset_id``."""
    token = _DATASET.set(dataset_id)
    try:
        yield
    finally:
        _DATASET.reset(token)


def dataset_queried() -> str | None:
    """The dataset the current archive request serves, if known."""
    return _DATASET.get()


class _CountedStream(httpx.AsyncByteStream):
    """An answer's body, counted as it is read; reported once, when it is closed."""

    def __init__(self, inner: httpx.AsyncByteStream, done: Callable[[int], None]) -> None:
        self._inner = inner
        self._done: Callable[[int], None] | None = done
        self.size = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self.size += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            done, self._done = self._done, None
            if done is not None:
                done(self.size)


class ObservedTransport(httpx.AsyncBaseTransport):
    """Reports each request to ``metrics`` (dataset, status or error, time to the last byte
    read, bytes received) and, with tracing on, records its span."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, metrics: Metrics, service: str) -> None:
        self._inner = inner
        self._metrics = metrics
        self._service = service

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        label = _DATASET.get() or self._service
        span = tracing.start_span(
            f"{request.method} {request.url.host}",
            {
                "http.request.method": request.method,
                "url.full": str(request.url),
                "esap.dataset": label,
            },
        )
        start = time.perf_counter()
        try:
            response = await self._inner.handle_async_request(request)
        except Exception as exc:
            self._metrics.archive_request(label, type(exc).__name__, time.perf_counter() - start, 0)
            if span is not None:
                span.record_exception(exc)
                span.set_attribute("error.type", type(exc).__name__)
                span.end()
            raise
        status = str(response.status_code)

        def done(size: int) -> None:
            self._metrics.archive_request(label, status, time.perf_counter() - start, size)
            if span is not None:
                span.set_attribute("http.response.status_code", response.status_code)
                span.set_attribute("http.response.body.size", size)
                span.end()

        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _CountedStream(response.stream, done)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def observing(metrics: Metrics) -> TransportWrapper:
    """The wrapper that reports every archive request to ``metrics``."""

    def wrap(transport: httpx.AsyncBaseTransport, service: str) -> httpx.AsyncBaseTransport:
        return ObservedTransport(transport, metrics=metrics, service=service)

    return wrap
