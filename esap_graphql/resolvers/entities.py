"""Entity lookups for the federation subgraph: what a supergraph router asks by key.

Each takes the ids of one entity type from one ``_entities`` call and returns what
the caller may see, by id; ids the caller may not see are simply absent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from esap_graphql.domain.archives import Archive, Dataset
from esap_graphql.domain.basket import BasketItem
from esap_graphql.domain.jobs import Job
from esap_graphql.resolvers import jobs as resolve_jobs
from esap_graphql.resolvers.context import RequestContext


def archives(ctx: RequestContext, ids: Sequence[str]) -> dict[str, Archive]:
    """Archives of the catalogue."""
    catalogue = ctx.process.catalogue
    return {a.id: a for a in map(catalogue.archive, ids) if a is not None}


def datasets(ctx: RequestContext, ids: Sequence[str]) -> dict[str, Dataset]:
    """Datasets of the catalogue."""
    catalogue = ctx.process.catalogue
    return {d.id: d for d in map(catalogue.dataset, ids) if d is not None}


async def jobs(ctx: RequestContext, ids: Sequence[str]) -> dict[str, Job]:
    """The caller's jobs."""
    wanted = list(dict.fromkeys(ids))
    found = await asyncio.gather(*(resolve_jobs.job(ctx, i) for i in wanted))
    return {job.id: job for job in found if job is not None}


async def basket_items(ctx: RequestContext, ids: Sequence[str]) -> dict[str, BasketItem]:
    """The caller's basket items, from any of their baskets."""
    return await ctx.process.baskets.items(ctx.user, ids)
