"""Multi-query: one request over many datasets, all at once or as a live stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from enum import Enum
from typing import Annotated

import strawberry

from esap_graphql.domain.errors import UsageError
from esap_graphql.resolvers import multi_query as resolve
from esap_graphql.resolvers.registry import extra_datasets
from esap_graphql.schema.context import Info
from esap_graphql.schema.errors import Error, from_domain
from esap_graphql.schema.results import QueryParamsInput, QueryResult, parse_query

_DATASETS = strawberry.argument(
    description="Dataset ids to query; default: every dataset marked multi_query."
)
_PARAMS = strawberry.argument(description="The query parameters, the same for every dataset.")
_REGISTRY = strawberry.argument(
    description="IVOA identifiers of services from the VO registry to query too "
    "(see `registry`); with `datasets: []`, only these."
)
_PAGE = strawberry.argument(description="Page of each dataset's records, from 1.")
_PAGE_SIZE = strawberry.argument(description="Records per page and dataset.")


@strawberry.type(description="The outcome of a multi-query: one result per dataset.")
class MultiQueryResult:
    results: list[QueryResult] = strawberry.field(
        description="One result per dataset, in the order asked for (its own status and error)."
    )
    elapsed_ms: float = strawberry.field(
        description="Milliseconds until the slowest dataset answered or timed out."
    )
    error: Error | None = strawberry.field(
        description="Why the multi-query as a whole was refused (e.g. too many datasets)."
    )


@strawberry.enum(description="What a multi-query stream event carries.")
class MultiQueryEventKind(Enum):
    RESULT = strawberry.enum_value("result", description="One dataset's result has arrived.")
    DONE = strawberry.enum_value("done", description="Every dataset has answered; the summary.")


@strawberry.type(description="Totals of a finished multi-query.")
class MultiQuerySummary:
    datasets: int = strawberry.field(description="Datasets queried.")
    succeeded: int = strawberry.field(
        description="Datasets that answered with records (ok or overflow)."
    )
    failed: int = strawberry.field(description="Datasets that failed or timed out.")
    total_count: int = strawberry.field(description="Records matched over all datasets.")
    elapsed_ms: float = strawberry.field(description="Milliseconds from start to the last answer.")


@strawberry.type(description="One event of a streamed multi-query.")
class MultiQueryEvent:
    kind: MultiQueryEventKind = strawberry.field(description="RESULT or DONE.")
    result: QueryResult | None = strawberry.field(description="The dataset result (RESULT events).")
    completed: int = strawberry.field(description="Datasets answered so far.")
    total: int = strawberry.field(description="Datasets in the multi-query.")
    summary: MultiQuerySummary | None = strawberry.field(description="Totals (the DONE event).")
    error: Error | None = strawberry.field(
        description="Why the multi-query as a whole was refused; the stream then ends."
    )


@strawberry.type
class MultiQueryQuery:
    @strawberry.field(
        description="Query many datasets at once with the same parameters; every dataset "
        "answers on its own, and a slow or failing archive costs only its own result."
    )
    async def multi_query(
        self,
        info: Info,
        params: Annotated[QueryParamsInput, _PARAMS],
        datasets: Annotated[list[strawberry.ID] | None, _DATASETS] = None,
        page: Annotated[int, _PAGE] = 1,
        page_size: Annotated[int, _PAGE_SIZE] = 20,
        registry_services: Annotated[list[str] | None, _REGISTRY] = None,
    ) -> MultiQueryResult:
        try:
            outcome = await resolve.multi_query(
                info.context,
                datasets,
                parse_query(info, params, page, page_size),
                extra_datasets(info.context, registry_services),
            )
        except UsageError as exc:
            return MultiQueryResult(results=[], elapsed_ms=0.0, error=from_domain(exc))
        return MultiQueryResult(
            results=[QueryResult.from_outcome(o) for o in outcome.results],
            elapsed_ms=round(outcome.elapsed_ms, 3),
            error=None,
        )


@strawberry.type
class MultiQuerySubscription:
    @strawberry.subscription(
        description="Run a multi-query and receive each dataset's result as soon as it is "
        "in (fastest first), then a DONE event with the totals."
    )
    async def multi_query_stream(
        self,
        info: Info,
        params: Annotated[QueryParamsInput, _PARAMS],
        datasets: Annotated[list[strawberry.ID] | None, _DATASETS] = None,
        page: Annotated[int, _PAGE] = 1,
        page_size: Annotated[int, _PAGE_SIZE] = 20,
        registry_services: Annotated[list[str] | None, _REGISTRY] = None,
    ) -> AsyncGenerator[MultiQueryEvent, None]:
        try:
            stream = resolve.multi_query_stream(
                info.context,
                datasets,
                parse_query(info, params, page, page_size),
                extra_datasets(info.context, registry_services),
            )
        except UsageError as exc:
            yield MultiQueryEvent(
                kind=MultiQueryEventKind.DONE,
                result=None,
                completed=0,
                total=0,
                summary=None,
                error=from_domain(exc),
            )
            return
        total = stream.total
        completed = succeeded = records = 0
        async for outcome in stream.outcomes:
            completed += 1
            if outcome.error is None:
                succeeded += 1
                records += outcome.total_count or 0
            yield MultiQueryEvent(
                kind=MultiQueryEventKind.RESULT,
                result=QueryResult.from_outcome(outcome),
                completed=completed,
                total=total,
                summary=None,
                error=None,
            )
        yield MultiQueryEvent(
            kind=MultiQueryEventKind.DONE,
            result=None,
            completed=completed,
            total=total,
            summary=MultiQuerySummary(
                datasets=total,
                succeeded=succeeded,
                failed=completed - succeeded,
                total_count=records,
                elapsed_ms=round(stream.elapsed_ms(), 3),
            ),
            error=None,
        )
