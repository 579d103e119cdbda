"""Basket calls: take the basket service from the context, call it once for the caller."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from esap_graphql.domain.archives import Archive, Dataset
from esap_graphql.domain.basket import (
    AddOutcome,
    Basket,
    BasketSummary,
    ExportFormat,
    NewBasketItem,
    check_basket_name,
    export_path,
)
from esap_graphql.domain.errors import UsageError
from esap_graphql.resolvers.context import RequestContext


async def add(
    ctx: RequestContext, items: Sequence[NewBasketItem], basket: str | None
) -> AddOutcome | UsageError:
    """Add records to one of the caller's baskets, or the usage error that stopped it."""
    try:
        return await ctx.process.baskets.add(ctx.user, items, basket)
    except UsageError as exc:
        return exc


async def remove(ctx: RequestContext, ids: Sequence[str]) -> list[str] | UsageError:
    """Remove the caller's items by id; the ids actually removed."""
    try:
        return await ctx.process.baskets.remove(ctx.user, ids)
    except UsageError as exc:
        return exc


async def clear(ctx: RequestContext, basket: str | None) -> tuple[str, int] | UsageError:
    """Empty one of the caller's baskets: its name and how many items went."""
    try:
        name = check_basket_name(basket)
        return name, await ctx.process.baskets.clear(ctx.user, name)
    except UsageError as exc:
        return exc


async def delete(ctx: RequestContext, basket: str) -> bool | UsageError:
    """Delete one of the caller's baskets; whether it existed."""
    try:
        return await ctx.process.baskets.delete(ctx.user, basket)
    except UsageError as exc:
        return exc


async def basket(ctx: RequestContext, name: str | None) -> Basket:
    """One of the caller's baskets with its items (raises on an invalid name)."""
    return await ctx.process.baskets.basket(ctx.user, name)


async def baskets(ctx: RequestContext) -> list[BasketSummary]:
    """The caller's baskets."""
    return await ctx.process.baskets.baskets(ctx.user)


def table(ctx: RequestContext, basket: Basket) -> dict[str, Any]:
    """A basket's items as one {columns, rows} value."""
    return ctx.process.baskets.table(basket)


def dataset(ctx: RequestContext, dataset_id: str) -> Dataset | None:
    """The configured dataset of an item, or None once it has left the configuration."""
    return ctx.process.catalogue.dataset(dataset_id)


def archive(ctx: RequestContext, archive_id: str) -> Archive | None:
    """The configured archive of an item, or None once it has left the configuration."""
    return ctx.process.catalogue.archive(archive_id)


def export_url(ctx: RequestContext, name: str, fmt: ExportFormat) -> str:
    """The absolute URL a basket is exported at: the public URL if set, else the request's."""
    return ctx.base_url + export_path(name, fmt)
