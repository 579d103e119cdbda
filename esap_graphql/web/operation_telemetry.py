"""A strawberry extension reporting each GraphQL operation: its metrics (name, type, time,
errors) and, with tracing on, its span."""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from esap_graphql.telemetry.metrics import Metrics
from esap_graphql.telemetry.tracing import operation_span


class OperationTelemetry(SchemaExtension):
    """Times the operation from parsing to the answer and counts the errors it returns."""

    def __init__(self, *, metrics: Metrics, traced: bool) -> None:
        self._metrics = metrics
        self._traced = traced

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        start = time.perf_counter()
        # an invalid document ends the operation with an exception thrown in here
        try:
            if not self._traced:
                yield
            else:
                with operation_span() as span:
                    try:
                        yield
                    finally:
                        name = context.operation_name  # known once the document is parsed
                        if name:
                            span.update_name(f"graphql {name}")
                            span.set_attribute("graphql.operation.name", name)
                        span.set_attribute("graphql.operation.type", self._kind())
                        span.set_attribute("graphql.errors", self._errors())
        finally:
            self._metrics.operation(
                context.operation_name or "anonymous",
                self._kind(),
                time.perf_counter() - start,
                self._errors(),
            )

    def _kind(self) -> str:
        document = self.execution_context.graphql_document
        if document is not None and len(document.definitions) == 1:
            only = document.definitions[0]
            if isinstance(only, OperationDefinitionNode):  # the common case, without a search
                return only.operation.value
        try:
            return self.execution_context.operation_type.value
        except Exception:  # no document, or no such operation in it
            return "unknown"

    def _errors(self) -> int:
        context = self.execution_context
        if context.pre_execution_errors:
            return len(context.pre_execution_errors)
        result = context.result
        return len(result.errors or ()) if result is not None else 0
