"""Dataset queries."""

from __future__ import annotations

from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.errors import UsageError
from esap_graphql.domain.outcomes import QueryOutcome
from esap_graphql.domain.query import Page, QueryParams
from esap_graphql.domain.records import Record
from esap_graphql.resolvers.context import RequestContext


def page(ctx: RequestContext, number: int, size: int) -> Page:
    """A validated page request; raise ``InvalidParameter``."""
    return ctx.process.queries.page(number, size)


async def query_dataset(
    ctx: RequestContext, dataset: Dataset, params: QueryParams, page: Page
) -> QueryOutcome:
    """One dataset query, deduplicated within the request by the query loader."""
    return await ctx.loaders.query(dataset, params, page)


def refused(ctx: RequestContext, dataset_id: str, error: UsageError) -> QueryOutcome:
    """The outcome of a query whose parameters were refused."""
    return ctx.process.queries.refused(dataset_id, error)


def other_page(
    ctx: RequestContext, outcome: QueryOutcome, number: int | None, size: int | None
) -> tuple[Record, ...]:
    """Another page of records already fetched (no new archive request); raise
    ``InvalidParameter``."""
    if number is None and size is None:
        return outcome.rows
    wanted = page(ctx, number if number is not None else 1, size or outcome.page.size)
    return outcome.result.records[wanted.slice()] if outcome.result is not None else ()
