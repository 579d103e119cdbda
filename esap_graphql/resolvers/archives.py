"""Archive and dataset lookups."""

from __future__ import annotations

from esap_graphql.domain.archives import Archive, Dataset, Protocol
from esap_graphql.domain.records import Capability, TableInfo
from esap_graphql.resolvers.context import RequestContext


def archives(ctx: RequestContext) -> tuple[Archive, ...]:
    """Every configured archive."""
    return ctx.process.catalogue.archives


def archive(ctx: RequestContext, archive_id: str) -> Archive | None:
    """One archive, or None."""
    return ctx.process.catalogue.archive(archive_id)


def archive_of(ctx: RequestContext, dataset: Dataset) -> Archive:
    """The archive a dataset belongs to."""
    found = ctx.process.catalogue.archive(dataset.archive_id)
    assert found is not None  # the catalogue is built archive by archive
    return found


def datasets(
    ctx: RequestContext, protocol: Protocol | None, multi_query: bool | None
) -> list[Dataset]:
    """Datasets, optionally filtered by protocol and multi-query membership."""
    return [
        d
        for d in ctx.process.catalogue.datasets
        if (protocol is None or d.protocol is protocol)
        and (multi_query is None or d.multi_query is multi_query)
    ]


def dataset(ctx: RequestContext, dataset_id: str) -> Dataset | None:
    """One dataset, or None."""
    return ctx.process.catalogue.dataset(dataset_id)


async def dataset_tables(
    ctx: RequestContext, dataset: Dataset, name: str | None
) -> tuple[TableInfo, ...]:
    """The dataset's tables (all, or the one named)."""
    return await ctx.process.queries.tables(dataset, name=name)


async def dataset_capabilities(ctx: RequestContext, dataset: Dataset) -> tuple[Capability, ...]:
    """The services the dataset's endpoint offers."""
    return await ctx.process.queries.capabilities(dataset)
