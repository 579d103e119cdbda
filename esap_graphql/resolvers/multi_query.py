"""Multi-queries."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from esap_graphql.domain.errors import UsageError
from esap_graphql.domain.outcomes import MultiQueryOutcome, QueryOutcome
from esap_graphql.domain.query import Page, QueryParams
from esap_graphql.resolvers.context import RequestContext
from esap_graphql.services.multi_query import ExtraDatasets

#: Validated parameters and page, or why the client's values were refused.
ParsedQuery = tuple[QueryParams, Page] | UsageError


async def multi_query(
    ctx: RequestContext,
    dataset_ids: Sequence[str] | None,
    query: ParsedQuery,
    extra: ExtraDatasets | None = None,
) -> MultiQueryOutcome:
    """Every dataset's outcome; raise ``UsageError`` for a refused selection."""
    service = ctx.process.multi_queries
    if isinstance(query, UsageError):
        return service.refused(dataset_ids, query, extra)
    return await service.run(ctx.loaders, dataset_ids, *query, extra)


@dataclass
class OutcomeStream:
    """Outcomes as they arrive, and the time since the stream started."""

    total: int
    outcomes: AsyncIterator[QueryOutcome]
    started: float = field(default_factory=time.perf_counter)

    def elapsed_ms(self) -> float:
        """Milliseconds since the stream started."""
        return (time.perf_counter() - self.started) * 1000


async def _each(outcomes: tuple[QueryOutcome, ...]) -> AsyncIterator[QueryOutcome]:
    for outcome in outcomes:
        yield outcome


def multi_query_stream(
    ctx: RequestContext,
    dataset_ids: Sequence[str] | None,
    query: ParsedQuery,
    extra: ExtraDatasets | None = None,
) -> OutcomeStream:
    """How many datasets will answer, and their outcomes as they arrive; raise
    ``UsageError`` for a refused selection."""
    service = ctx.process.multi_queries
    chosen = service.selection(dataset_ids, extra)
    if isinstance(query, UsageError):
        return OutcomeStream(len(chosen), _each(service.refused(chosen, query).results))
    return OutcomeStream(len(chosen), service.stream(chosen, *query, extra))
