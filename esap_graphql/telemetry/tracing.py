"""OpenTelemetry traces, on when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (``start_tracing``).

Off, every helper here is a check of one module global: no span, no context object.
On, spans go to the OTLP/HTTP exporter (configured by the standard ``OTEL_*`` variables);
a caller's W3C ``traceparent`` is the parent of a request's spans, and jobs carry the
``traceparent`` of the request that started them in their queue message.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

_tracer: trace.Tracer | None = None
_provider: TracerProvider | None = None


def wanted() -> bool:
    """Whether the environment asks for traces."""
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def enabled() -> bool:
    """Whether spans are being recorded."""
    return _tracer is not None


def start_tracing(service: str, *, exporter: SpanExporter | None = None) -> None:
    """Record spans from now on, sent by ``exporter`` (default: OTLP over HTTP, from the
    ``OTEL_*`` environment) in batches; a test passes an in-memory exporter, sent at once."""
    global _tracer, _provider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    if _provider is not None:
        stop_tracing()
    provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)})
    )
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    _provider = provider
    _tracer = provider.get_tracer("esap_graphql")


def stop_tracing() -> None:
    """Send what is left and stop recording."""
    global _tracer, _provider
    provider, _provider, _tracer = _provider, None, None
    if provider is not None:
        provider.shutdown()


def flush() -> None:
    """Send the spans ended so far."""
    if _provider is not None:
        _provider.force_flush()


@contextlib.contextmanager
def span(name: str, attributes: Mapping[str, str | int] | None = None) -> Iterator[Any]:
    """A span around the block (the current span's child), or nothing when tracing is off."""
    if _tracer is None:
        yield None
        return
    with _tracer.start_as_current_span(name, attributes=attributes) as current:
        yield current


@contextlib.contextmanager
def operation_span() -> Iterator[trace.Span]:
    """The span of one GraphQL operation (tracing is on; named once the operation is known)."""
    assert _tracer is not None
    with _tracer.start_as_current_span("graphql") as current:
        yield current


def carrier() -> dict[str, str]:
    """The current span's W3C context (``traceparent``) for a message; empty when off."""
    if _tracer is None:
        return {}
    out: dict[str, str] = {}
    propagate.inject(out)
    return out


@contextlib.contextmanager
def continued(headers: Mapping[str, str] | None) -> Iterator[None]:
    """The block runs in the trace that ``headers`` (or a message's carrier) name."""
    if _tracer is None or not headers:
        yield
        return
    token = otel_context.attach(propagate.extract(headers))
    try:
        yield
    finally:
        otel_context.detach(token)


def instrument_database(engine: Any) -> None:
    """A span for each SQL statement run on this (sync) SQLAlchemy engine, from now on.

    SQLAlchemy's own events rather than opentelemetry-instrumentation-sqlalchemy, which
    patches ``create_engine`` for the whole process with the tracer of its first call.
    """
    from sqlalchemy import event

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        current = start_span(
            f"SQL {statement.split(None, 1)[0].upper() if statement else ''}",
            {"db.system": engine.dialect.name, "db.statement": statement[:1000]},
        )
        if current is not None:
            conn.info.setdefault("esap_spans", []).append(current)

    def after(conn: Any, *args: Any) -> None:
        spans = conn.info.get("esap_spans")
        if spans:
            spans.pop().end()

    def failed(context: Any) -> None:
        spans = context.connection.info.get("esap_spans") if context.connection else None
        if spans:
            current = spans.pop()
            current.set_attribute("error.type", type(context.original_exception).__name__)
            current.end()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", failed)


def start_span(name: str, attributes: Mapping[str, str | int]) -> trace.Span | None:
    """A span (the current span's child) the caller ends itself, or none when off."""
    if _tracer is None:
        return None
    return _tracer.start_span(name, attributes=attributes)


def current_trace_id() -> str | None:
    """The id of the current trace (32 hex digits), when tracing is on and a span is open."""
    if _tracer is None:
        return None
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
