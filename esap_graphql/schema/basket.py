"""The basket: its items, the mutations that change it, their typed errors, and the caller."""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import Enum
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from esap_graphql.domain import basket as domain
from esap_graphql.domain.errors import UsageError
from esap_graphql.resolvers import basket as resolve
from esap_graphql.schema.archives import Archive, Dataset
from esap_graphql.schema.context import Info
from esap_graphql.schema.errors import Error, InvalidParameter, UnknownDataset, from_domain, maps


@strawberry.enum(description="File formats a basket is exported in.")
class ExportFormat(Enum):
    VOTABLE = strawberry.enum_value(
        "votable", description="IVOA VOTable (TOPCAT, Aladin, pyvo, astropy)."
    )
    CSV = strawberry.enum_value("csv", description="Comma-separated values with a header row.")
    JSON = strawberry.enum_value("json", description="A JSON document: {basket, count, items}.")


@maps(domain.InvalidBasketName)
@strawberry.type(description="The basket name is not valid (1-64 characters of A-Z a-z 0-9 _ . -).")
class InvalidBasketName(Error):
    name: str = strawberry.field(description="The name that was given.")

    @classmethod
    def from_domain(cls, exc: domain.InvalidBasketName) -> InvalidBasketName:
        return cls(code=exc.code, message=exc.message, name=exc.name)


@maps(domain.TooManyItems)
@strawberry.type(description="More items or ids in one call than the gateway accepts.")
class TooManyItems(Error):
    given: int = strawberry.field(description="How many were sent.")
    limit: int = strawberry.field(description="The most one call may carry.")

    @classmethod
    def from_domain(cls, exc: domain.TooManyItems) -> TooManyItems:
        return cls(code=exc.code, message=exc.message, given=exc.given, limit=exc.limit)


@maps(domain.RecordTooLarge)
@strawberry.type(description="An item's native record is larger, as JSON, than the gateway keeps.")
class RecordTooLarge(Error):
    record_id: str = strawberry.field(description="The record id of the offending item.")
    size: int = strawberry.field(description="The record's size as JSON, in bytes.")
    limit: int = strawberry.field(description="The largest size allowed, in bytes.")

    @classmethod
    def from_domain(cls, exc: domain.RecordTooLarge) -> RecordTooLarge:
        return cls(
            code=exc.code,
            message=exc.message,
            record_id=exc.record_id,
            size=exc.size,
            limit=exc.limit,
        )


@maps(domain.BasketFull)
@strawberry.type(description="The basket would hold more items than the gateway allows.")
class BasketFull(Error):
    name: str = strawberry.field(description="The basket's name.")
    limit: int = strawberry.field(description="The most items one basket holds.")

    @classmethod
    def from_domain(cls, exc: domain.BasketFull) -> BasketFull:
        return cls(code=exc.code, message=exc.message, name=exc.name, limit=exc.limit)


@strawberry.input(
    description="A result record to put in a basket: a typed reference, not the data."
)
class BasketItemInput:
    dataset: strawberry.ID = strawberry.field(description="Id of the dataset the record came from.")
    record_id: str = strawberry.field(
        description="Identifier of the record in its archive (publisher DID where known)."
    )
    title: str | None = strawberry.field(default=None, description="Title of the data product.")
    access_url: str | None = strawberry.field(
        default=None, description="URL to retrieve the data product."
    )
    access_format: str | None = strawberry.field(
        default=None, description="MIME type of the data product."
    )
    size_bytes: float | None = strawberry.field(
        default=None, description="Size of the data product in bytes (a Float: sizes exceed 2^31)."
    )
    ra: float | None = strawberry.field(default=None, description="Right ascension, ICRS degrees.")
    dec: float | None = strawberry.field(default=None, description="Declination, ICRS degrees.")
    record: JSON | None = strawberry.field(
        default=None, description="The native record (a JSON object), kept as it is."
    )

    def to_domain(self) -> domain.NewBasketItem:
        size = self.size_bytes
        return domain.NewBasketItem(
            dataset_id=str(self.dataset),
            record_id=self.record_id,
            title=self.title,
            access_url=self.access_url,
            access_format=self.access_format,
            size_bytes=size,
            ra=self.ra,
            dec=self.dec,
            record=self.record if self.record is not None else {},
        )


# Items are domain BasketItem objects served as they are: strawberry reads plain
# attributes by name, so a basket of ten thousand items costs no copying.
@strawberry.type(description="A result record kept in a basket: a typed reference to it.")
class BasketItem:
    id: strawberry.ID = strawberry.field(description="Item id (to remove it).")
    basket: str = strawberry.field(description="Name of the basket holding the item.")
    archive_id: str = strawberry.field(description="Id of the archive the record came from.")
    dataset_id: strawberry.ID = strawberry.field(
        description="Id of the dataset the record came from (kept when the dataset is gone)."
    )
    record_id: str = strawberry.field(description="Identifier of the record in its archive.")
    title: str | None = strawberry.field(description="Title of the data product.")
    access_url: str | None = strawberry.field(description="URL to retrieve the data product.")
    access_format: str | None = strawberry.field(description="MIME type of the data product.")
    size_bytes: float | None = strawberry.field(
        description="Size of the data product in bytes (a Float: sizes exceed 2^31)."
    )
    ra: float | None = strawberry.field(description="Right ascension, ICRS degrees.")
    dec: float | None = strawberry.field(description="Declination, ICRS degrees.")
    added_at: datetime = strawberry.field(description="When the item was added (UTC).")
    dataset_available: bool = strawberry.field(
        description="False when the item's dataset has left the configuration."
    )
    record: JSON = strawberry.field(description="The native record, as it was added.")

    @strawberry.field(
        description="The dataset the record came from; null when it has left the configuration."
    )
    def dataset(self, info: Info) -> Dataset | None:
        found = resolve.dataset(info.context, self.dataset_id)
        return Dataset.from_domain(found) if found is not None else None

    @strawberry.field(
        description="The archive the record came from; null when it has left the configuration."
    )
    def archive(self, info: Info) -> Archive | None:
        found = resolve.archive(info.context, self.archive_id)
        return Archive.from_domain(found) if found is not None else None


@strawberry.type(description="A named basket of the caller: record references to analyse later.")
class Basket:
    name: str = strawberry.field(description="The basket's name; 'default' for the default one.")
    _summary: strawberry.Private[domain.BasketSummary | None] = None
    _loaded: strawberry.Private[domain.Basket | None] = None
    _loading: strawberry.Private[asyncio.Future[domain.Basket] | None] = None

    @classmethod
    def from_domain(cls, basket: domain.Basket) -> Basket:
        return cls(name=basket.name, _loaded=basket)

    @classmethod
    def from_summary(cls, summary: domain.BasketSummary) -> Basket:
        return cls(name=summary.name, _summary=summary)

    async def _basket(self, info: Info) -> domain.Basket:
        # Several fields may need the items: read them once per Basket object.
        if self._loaded is None:
            if self._loading is None:
                self._loading = asyncio.ensure_future(resolve.basket(info.context, self.name))
            self._loaded = await self._loading
        return self._loaded

    @strawberry.field(description="True for the basket used when no name is given.")
    def is_default(self) -> bool:
        return self.name == domain.DEFAULT_BASKET

    @strawberry.field(description="Number of items.")
    async def count(self, info: Info) -> int:
        if self._loaded is None and self._summary is not None:
            return self._summary.count
        return (await self._basket(info)).count

    @strawberry.field(description="When the basket was created; null while it was never used.")
    async def created_at(self, info: Info) -> datetime | None:
        if self._loaded is None and self._summary is not None:
            return self._summary.created_at
        return (await self._basket(info)).created_at

    @strawberry.field(description="The items, oldest first.")
    async def items(
        self,
        info: Info,
        offset: Annotated[
            int, strawberry.argument(description="Items to skip from the start.")
        ] = 0,
        limit: Annotated[
            int | None, strawberry.argument(description="Most items to return; all when null.")
        ] = None,
    ) -> list[BasketItem]:
        items = (await self._basket(info)).items
        start = max(offset, 0)
        end = None if limit is None else start + max(limit, 0)
        return list(items[start:end])  # type: ignore[arg-type]

    @strawberry.field(
        description="The items as one table, {columns: [...], rows: [[...]]}, with the columns "
        "of the exports: the fast form for large baskets."
    )
    async def table(self, info: Info) -> JSON:
        return cast(JSON, resolve.table(info.context, await self._basket(info)))

    @strawberry.field(
        description="A stable URL the basket is downloaded from (send the same bearer token as "
        "to /graphql when sign-in is on)."
    )
    def export_url(
        self,
        info: Info,
        format: Annotated[ExportFormat, strawberry.argument(description="The file format.")],
    ) -> str:
        return resolve.export_url(info.context, self.name, domain.ExportFormat(format.value))


@strawberry.type(description="Records were put in a basket.")
class BasketItemsAdded:
    added: int = strawberry.field(description="How many items are new (the rest were there).")
    items: list[BasketItem] = strawberry.field(
        description="The basket's items for the records given, new or already there."
    )
    basket: Basket = strawberry.field(description="The basket, as it is now.")


@strawberry.type(description="Items were removed.")
class BasketItemsRemoved:
    removed: int = strawberry.field(description="How many items were removed.")
    ids: list[strawberry.ID] = strawberry.field(
        description="Ids of the items removed; ids not in the caller's baskets are ignored."
    )


@strawberry.type(description="A basket was emptied.")
class BasketCleared:
    removed: int = strawberry.field(description="How many items were removed.")
    basket: Basket = strawberry.field(description="The basket, now empty.")


@strawberry.type(description="A basket was deleted with its items.")
class BasketDeleted:
    name: str = strawberry.field(description="The basket's name.")
    existed: bool = strawberry.field(description="False when there was no such basket.")


AddToBasketResult = Annotated[
    BasketItemsAdded
    | UnknownDataset
    | InvalidParameter
    | InvalidBasketName
    | TooManyItems
    | RecordTooLarge
    | BasketFull,
    strawberry.union("AddToBasketResult", description="The records added, or why none were."),
]
RemoveFromBasketResult = Annotated[
    BasketItemsRemoved | TooManyItems,
    strawberry.union("RemoveFromBasketResult", description="The items removed, or why none were."),
]
ClearBasketResult = Annotated[
    BasketCleared | InvalidBasketName,
    strawberry.union("ClearBasketResult", description="The emptied basket, or why it was not."),
]
DeleteBasketResult = Annotated[
    BasketDeleted | InvalidBasketName,
    strawberry.union("DeleteBasketResult", description="The deletion, or why it did not happen."),
]

_BASKET_ARG = strawberry.argument(description="Basket name; the default basket when null.")


@strawberry.type
class BasketQuery:
    @strawberry.field(
        description="One of the caller's baskets (the default one unless named); empty when "
        "nothing was added to it yet."
    )
    async def basket(self, info: Info, name: Annotated[str | None, _BASKET_ARG] = None) -> Basket:
        return Basket.from_domain(await resolve.basket(info.context, name))

    @strawberry.field(description="The caller's baskets by name; the default one is always there.")
    async def baskets(self, info: Info) -> list[Basket]:
        return [Basket.from_summary(s) for s in await resolve.baskets(info.context)]


@strawberry.type
class BasketMutation:
    @strawberry.mutation(
        description="Put result records in a basket (created on first use). A record already in "
        "the basket (same dataset and record id) stays one item."
    )
    async def add_to_basket(
        self,
        info: Info,
        items: Annotated[
            list[BasketItemInput], strawberry.argument(description="The records to add.")
        ],
        basket: Annotated[str | None, _BASKET_ARG] = None,
    ) -> AddToBasketResult:
        outcome = await resolve.add(info.context, [i.to_domain() for i in items], basket)
        if isinstance(outcome, UsageError):
            return from_domain(outcome)  # type: ignore[no-any-return]
        return BasketItemsAdded(
            added=outcome.added,
            items=list(outcome.items),  # type: ignore[arg-type]
            basket=Basket(name=outcome.basket),
        )

    @strawberry.mutation(description="Remove items, by id, from the caller's baskets.")
    async def remove_from_basket(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="Ids of the items to remove.")
        ],
    ) -> RemoveFromBasketResult:
        outcome = await resolve.remove(info.context, [str(i) for i in ids])
        if isinstance(outcome, UsageError):
            return from_domain(outcome)  # type: ignore[no-any-return]
        return BasketItemsRemoved(removed=len(outcome), ids=[strawberry.ID(i) for i in outcome])

    @strawberry.mutation(
        description="Remove every item of one basket (the default one unless named)."
    )
    async def clear_basket(
        self, info: Info, basket: Annotated[str | None, _BASKET_ARG] = None
    ) -> ClearBasketResult:
        outcome = await resolve.clear(info.context, basket)
        if isinstance(outcome, UsageError):
            return from_domain(outcome)  # type: ignore[no-any-return]
        name, removed = outcome
        return BasketCleared(removed=removed, basket=Basket(name=name))

    @strawberry.mutation(description="Delete a named basket with its items.")
    async def delete_basket(
        self,
        info: Info,
        basket: Annotated[str, strawberry.argument(description="The basket's name.")],
    ) -> DeleteBasketResult:
        outcome = await resolve.delete(info.context, basket)
        if isinstance(outcome, UsageError):
            return from_domain(outcome)  # type: ignore[no-any-return]
        return BasketDeleted(name=basket, existed=outcome)
