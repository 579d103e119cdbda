"""Multi-queries."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from esap_graphql.context import RequestContext
from esap_graphql.services.dataset_query import QueryOutcome
from esap_graphql.services.loaders import Loaders
from esap_graphql.services.multi_query import ExtraDatasets, MultiQueryOutcome


async def multi_query(
    ctx: RequestContext,
    dataset_ids: Sequence[str] | None,
    raw_params: Mapping[str, Any],
    page: int,
    page_size: int,
    extra: ExtraDatasets | None = None,
) -> MultiQueryOutcome:
    """Every dataset's outcome; raise ``UsageError`` for a refused selection."""
    return await ctx.process.multi_queries.run(
        ctx.loaders, dataset_ids, raw_params, page, page_size, extra
    )


@dataclass
class OutcomeStream:
    """Outcomes as they arrive, and the time since the stream started."""

    outcomes: AsyncIterator[QueryOutcome]
    started: float = field(default_factory=time.perf_counter)

    def elapsed_ms(self) -> float:
        """Milliseconds since the stream started."""
        return (time.perf_counter() - self.started) * 1000


def multi_query_stream(
    ctx: RequestContext,
    dataset_ids: Sequence[str] | None,
    raw_params: Mapping[str, Any],
    page: int,
    page_size: int,
    extra: ExtraDatasets | None = None,
) -> tuple[int, OutcomeStream]:
    """How many datasets will answer, and their outcomes as they arrive."""
    service = ctx.process.multi_queries
    chosen = service.selection(dataset_ids, extra)
    # a WebSocket connection outlives one subscription: give each its own loaders
    loaders = Loaders(ctx.process.queries)
    return len(chosen), OutcomeStream(
        service.stream(loaders, chosen, raw_params, page, page_size, extra)
    )
