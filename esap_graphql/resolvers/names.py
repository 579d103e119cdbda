"""Target name resolution."""

from __future__ import annotations

from esap_graphql.resolvers.context import RequestContext
from esap_graphql.services.name_resolution import NameLookup


async def resolve_name(ctx: RequestContext, name: str) -> NameLookup:
    """The position of ``name`` (None when unknown); raise ``EsapError`` when it cannot be asked."""
    return await ctx.process.names.lookup(name)
