"""Baskets in SQLite or PostgreSQL (sqlmodel / SQLAlchemy Core).

Rows never leave this module: every method returns domain objects. Every method that changes
data runs in a transaction of its own, and the first statement of each writes, so SQLite takes
its write lock up front (waiting on the busy timeout) instead of failing on a lock upgrade.
Adding a record twice is an insert-or-ignore on the (basket, dataset, record id) key, which
PostgreSQL and SQLite both do atomically, so concurrent adds neither fail nor duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel, col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from esap_graphql.domain.basket import (
    AddOutcome,
    Basket,
    BasketFull,
    BasketItem,
    BasketSummary,
    NewBasketItem,
)
from esap_graphql.json_encoding import loads
from esap_graphql.storage.basket_tables import BasketItemRow, BasketRow

# Rows per SELECT of existing items: keeps bound parameters well under every driver's limit.
_CHUNK = 500


def _utc(value: datetime) -> datetime:
    # SQLite keeps no zone: every stored time is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _chunks(items: Sequence[NewBasketItem]) -> Iterator[Sequence[NewBasketItem]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


_ITEM_TABLE: sa.Table = SQLModel.metadata.tables["basket_item"]
_BASKET_TABLE: sa.Table = SQLModel.metadata.tables["basket"]
_ITEM_COLUMNS = tuple(
    _ITEM_TABLE.c[name]
    for name in (
        "id",
        "archive_id",
        "dataset_id",
        "record_id",
        "title",
        "access_url",
        "access_format",
        "size_bytes",
        "ra",
        "dec",
        "record",
        "added_at",
    )
)


def _to_items(rows: Sequence[Sequence[Any]], basket: str) -> list[BasketItem]:
    # One JSON parse for every record of the page: ten thousand json.loads calls cost
    # more than the query.
    records: list[Any] = loads("[" + ",".join(row[10] for row in rows) + "]")
    # Items added in one call share their time: make each distinct one aware once
    # (datetime.replace cost 2 µs an item).
    aware: dict[datetime, datetime] = {}
    items = []
    for (id_, archive, dataset, record_id, title, url, fmt, size, ra, dec, _, added), record in zip(
        rows, records, strict=True
    ):
        when = aware.get(added)
        if when is None:
            when = aware[added] = _utc(added)
        items.append(
            BasketItem(
                id=str(id_),
                basket=basket,
                archive_id=archive,
                dataset_id=dataset,
                record_id=record_id,
                title=title,
                access_url=url,
                access_format=fmt,
                size_bytes=size,
                ra=ra,
                dec=dec,
                record=record,
                added_at=when,
            )
        )
    return items


class SqlBasketStore:
    """Baskets in SQLite or PostgreSQL, through sqlmodel."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self._engine = engine
        dialect = engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"baskets need SQLite or PostgreSQL, not {dialect}")
        self._insert_row = sqlite.insert if dialect == "sqlite" else postgresql.insert
        # SQLite has one writer at a time, and a blocked connection sleeps and retries;
        # taking turns in this process first is faster than colliding in the database.
        self._sqlite_writes = asyncio.Lock() if dialect == "sqlite" else None

    def _session(self) -> AsyncSession:
        return AsyncSession(self._engine, expire_on_commit=False)

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction of its own, for one change."""
        async with contextlib.AsyncExitStack() as stack:
            if self._sqlite_writes is not None:
                await stack.enter_async_context(self._sqlite_writes)
            session = await stack.enter_async_context(self._session())
            await stack.enter_async_context(session.begin())
            yield session

    async def add(
        self, user_id: str, basket: str, items: Sequence[NewBasketItem], *, max_items: int
    ) -> AddOutcome:
        now = datetime.now(UTC)
        async with self._write() as session:
            basket_id = await self._basket_id(session, user_id, basket, now)
            connection = await session.connection()
            fresh = await self._insert(connection, basket_id, basket, items, now)
            if fresh:
                count = (
                    await session.exec(
                        select(func.count()).where(BasketItemRow.basket_id == basket_id)
                    )
                ).one()
                if count > max_items:
                    raise BasketFull(basket, max_items)  # rolls the whole call back
            inserted = {(i.dataset_id, i.record_id) for i in fresh}
            present = [item for item in items if item.key not in inserted]
            found = fresh + await self._existing(connection, basket_id, basket, present)
        found.sort(key=lambda i: int(i.id))
        return AddOutcome(basket=basket, items=tuple(found), added=len(fresh))

    async def _basket_id(
        self, session: AsyncSession, user_id: str, basket: str, now: datetime
    ) -> int:
        """The basket's row id, creating the basket; its row is locked until the end of the
        transaction (FOR UPDATE on PostgreSQL; SQLite already holds its write lock), so adds to
        one basket take turns and the size limit holds under concurrent adds."""
        await session.exec(
            self._insert_row(BasketRow)
            .values(user_id=user_id, name=basket, created_at=now)
            .on_conflict_do_nothing(index_elements=["user_id", "name"])
        )
        found = await session.exec(
            select(BasketRow.id)
            .where(BasketRow.user_id == user_id, BasketRow.name == basket)
            .with_for_update()
        )
        basket_id = found.one()
        assert basket_id is not None
        return basket_id

    async def _insert(
        self,
        connection: AsyncConnection,
        basket_id: int,
        basket: str,
        items: Sequence[NewBasketItem],
        now: datetime,
    ) -> list[BasketItem]:
        """Insert the items not yet in the basket; the items inserted."""
        # One statement, many parameter sets: SQLAlchemy compiles it once and sends
        # the rows in batched multi-row INSERTs ("insertmanyvalues").
        result = await connection.execute(
            self._insert_row(_ITEM_TABLE)
            .on_conflict_do_nothing(index_elements=["basket_id", "dataset_id", "record_id"])
            .returning(*_ITEM_COLUMNS),
            [
                {
                    "basket_id": basket_id,
                    "archive_id": item.archive_id,
                    "dataset_id": item.dataset_id,
                    "record_id": item.record_id,
                    "title": item.title,
                    "access_url": item.access_url,
                    "access_format": item.access_format,
                    "size_bytes": item.size_bytes,
                    "ra": item.ra,
                    "dec": item.dec,
                    "record": item.record_json,
                    "added_at": now,
                }
                for item in items
            ],
        )
        return _to_items(result.all(), basket)

    async def _existing(
        self,
        connection: AsyncConnection,
        basket_id: int,
        basket: str,
        items: Sequence[NewBasketItem],
    ) -> list[BasketItem]:
        """The stored items for records that were in the basket already."""
        found: list[BasketItem] = []
        for chunk in _chunks(items):
            keys = [(i.dataset_id, i.record_id) for i in chunk]
            rows = await connection.execute(
                sa.select(*_ITEM_COLUMNS)
                .where(
                    _ITEM_TABLE.c.basket_id == basket_id,
                    sa.tuple_(_ITEM_TABLE.c.dataset_id, _ITEM_TABLE.c.record_id).in_(keys),
                )
                .order_by(_ITEM_TABLE.c.id)
            )
            found.extend(_to_items(rows.all(), basket))
        return found

    async def remove(self, user_id: str, ids: Sequence[str]) -> list[str]:
        numbers = sorted({int(i) for i in ids if i.isdigit() and len(i) < 19})
        if not numbers:
            return []
        owned = select(BasketRow.id).where(BasketRow.user_id == user_id)
        async with self._write() as session:
            result = await session.exec(
                delete(BasketItemRow)
                .where(
                    col(BasketItemRow.id).in_(numbers),
                    col(BasketItemRow.basket_id).in_(owned.scalar_subquery()),
                )
                .returning(col(BasketItemRow.id))
            )
            return [str(row[0]) for row in result.all()]

    async def clear(self, user_id: str, basket: str) -> int:
        async with self._write() as session:
            result = await session.exec(delete(BasketItemRow).where(self._owned(user_id, basket)))
            return int(result.rowcount)

    async def delete(self, user_id: str, basket: str) -> bool:
        async with self._write() as session:
            await session.exec(delete(BasketItemRow).where(self._owned(user_id, basket)))
            result = await session.exec(
                delete(BasketRow).where(
                    col(BasketRow.user_id) == user_id, col(BasketRow.name) == basket
                )
            )
            return bool(result.rowcount)

    @staticmethod
    def _owned(user_id: str, basket: str) -> sa.ColumnElement[bool]:
        owned = select(BasketRow.id).where(BasketRow.user_id == user_id, BasketRow.name == basket)
        return col(BasketItemRow.basket_id).in_(owned.scalar_subquery())

    async def get(self, user_id: str, basket: str) -> Basket | None:
        async with self._session() as session, session.begin():
            head = (
                await session.exec(
                    select(BasketRow.id, BasketRow.created_at).where(
                        BasketRow.user_id == user_id, BasketRow.name == basket
                    )
                )
            ).first()
            if head is None:
                return None
            connection = await session.connection()
            rows = await connection.execute(
                sa.select(*_ITEM_COLUMNS)
                .where(_ITEM_TABLE.c.basket_id == head[0])
                .order_by(_ITEM_TABLE.c.id)
            )
            items = tuple(_to_items(rows.all(), basket))
        return Basket(name=basket, items=items, created_at=_utc(head[1]))

    async def list(self, user_id: str) -> list[BasketSummary]:
        async with self._session() as session, session.begin():
            rows = await session.exec(
                select(
                    BasketRow.name,
                    BasketRow.created_at,
                    func.count(col(BasketItemRow.id)),
                    func.max(BasketItemRow.added_at),
                )
                .select_from(BasketRow)
                .join(
                    BasketItemRow,
                    col(BasketItemRow.basket_id) == col(BasketRow.id),
                    isouter=True,
                )
                .where(BasketRow.user_id == user_id)
                .group_by(col(BasketRow.id), col(BasketRow.name), col(BasketRow.created_at))
                .order_by(col(BasketRow.name))
            )
            return [
                BasketSummary(
                    name=name,
                    count=int(count),
                    created_at=_utc(created),
                    updated_at=_utc(latest) if latest is not None else None,
                )
                for name, created, count, latest in rows
            ]

    async def items(self, user_id: str, ids: Sequence[str]) -> Sequence[BasketItem]:
        wanted = sorted({int(i) for i in ids if i.isdecimal() and len(i) < 19})
        found: list[BasketItem] = []
        async with self._session() as session, session.begin():
            connection = await session.connection()
            for start in range(0, len(wanted), _CHUNK):
                rows = await connection.execute(
                    sa.select(*_ITEM_COLUMNS, _BASKET_TABLE.c.name)
                    .join(_BASKET_TABLE, _BASKET_TABLE.c.id == _ITEM_TABLE.c.basket_id)
                    .where(
                        _BASKET_TABLE.c.user_id == user_id,
                        _ITEM_TABLE.c.id.in_(wanted[start : start + _CHUNK]),
                    )
                )
                by_basket: dict[str, list[Sequence[Any]]] = {}
                for row in rows.all():
                    by_basket.setdefault(row[-1], []).append(row[:-1])
                for basket, basket_rows in by_basket.items():
                    found += _to_items(basket_rows, basket)
        return sorted(found, key=lambda i: int(i.id))
