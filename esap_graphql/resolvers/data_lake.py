"""Rucio data lake lookups."""

from __future__ import annotations

from esap_graphql.domain.archives import Dataset
from esap_graphql.resolvers.context import RequestContext


def data_lake(ctx: RequestContext, dataset_id: str) -> Dataset | None:
    """The Rucio dataset with this id; None when no dataset has it; raise for another protocol."""
    if ctx.process.catalogue.dataset(dataset_id) is None:
        return None
    return ctx.process.data_lake.data_lake(dataset_id)


async def scopes(ctx: RequestContext, dataset: Dataset) -> tuple[str, ...]:
    """The data lake's scopes (cached); raise ``ArchiveError``."""
    names, _cached = await ctx.process.data_lake.scopes(dataset)
    return names
