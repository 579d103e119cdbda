"""The VO registry, registry services as datasets, and DataLink links of records."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Sequence

from esap_graphql.domain.archives import Dataset
from esap_graphql.domain.datalink import DataLink, link_request
from esap_graphql.domain.errors import EsapError, UsageError
from esap_graphql.domain.outcomes import QueryOutcome
from esap_graphql.domain.records import Record
from esap_graphql.domain.registry import (
    RegistryResource,
    RegistrySource,
    ServiceType,
    registry_query,
)
from esap_graphql.resolvers.context import RequestContext
from esap_graphql.resolvers.multi_query import ParsedQuery
from esap_graphql.services.datalink import DataLinkLoaders
from esap_graphql.services.loaders import Loaders
from esap_graphql.services.multi_query import ExtraDatasets
from esap_graphql.services.registry import RegistrySearchOutcome

# The DataLink loaders of each request, kept beside (and dropped with) its query loaders.
_LINK_LOADERS: weakref.WeakKeyDictionary[Loaders, DataLinkLoaders] = weakref.WeakKeyDictionary()


async def search(
    ctx: RequestContext,
    keyword: str | None,
    service_type: ServiceType | None,
    waveband: str | None,
    source: RegistrySource,
    limit: int,
) -> RegistrySearchOutcome:
    """Services matching a search; raise ``InvalidParameter`` for a refused one."""
    service = ctx.process.registry
    query = registry_query(
        keyword, service_type, waveband, limit=limit, max_limit=service.max_results
    )
    return await service.search(query, source)


async def resource(ctx: RequestContext, ivoid: str) -> RegistryResource:
    """A listed resource; raise ``UnknownRegistryService`` or another ``EsapError``."""
    return await ctx.process.registry.resource(ivoid)


async def query_service(
    ctx: RequestContext, ivoid: str, service_type: ServiceType | None, query: ParsedQuery
) -> QueryOutcome:
    """Query a listed service like a configured dataset; every failure is the outcome's error."""
    if isinstance(query, UsageError):
        return ctx.process.queries.refused(ivoid, query)
    try:
        chosen = await ctx.process.registry.dataset(ivoid, service_type)
    except EsapError as exc:
        return ctx.process.queries.refused(ivoid, exc)
    return await ctx.loaders.query(chosen.dataset, *query)


def extra_datasets(ctx: RequestContext, ivoids: Sequence[str] | None) -> ExtraDatasets | None:
    """Registry services to add to a multi-query, by identifier."""
    if not ivoids:
        return None
    service = ctx.process.registry

    async def dataset(ivoid: str) -> Dataset:
        return (await service.dataset(ivoid)).dataset

    return {i: functools.partial(dataset, i) for i in dict.fromkeys(ivoids)}


def _link_loaders(ctx: RequestContext) -> DataLinkLoaders:
    loaders = _LINK_LOADERS.get(ctx.loaders)
    if loaders is None:
        loaders = _LINK_LOADERS[ctx.loaders] = DataLinkLoaders(ctx.process.datalinks)
    return loaders


async def record_links(ctx: RequestContext, record: Record) -> tuple[DataLink, ...]:
    """A record's DataLink links (none when it offers no DataLink); raise ``EsapError``."""
    request = link_request(record.access_url, record.access_format, record.fields, record.datalink)
    if request is None:
        return ()
    return await _link_loaders(ctx).load(request)
