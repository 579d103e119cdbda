"""Basket storage: sqlmodel tables, the store interface, and its SQL and in-memory implementations.

Rows never leave this module: every method returns domain objects. Every method that changes
data runs in a transaction of its own, and the first statement of each writes, so SQLite takes
its write lock up front (waiting on the busy timeout) instead of failing on a lock upgrade.
Adding a record twice is an insert-or-ignore on the (basket, dataset, record id) key, which
PostgreSQL and SQLite both do atomically, so concurrent adds neither fail nor duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel, col, delete, func, select
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

# Rows per INSERT: keeps bound parameters (13 a row) well under every driver's limit.
_CHUNK = 500

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class BasketRow(SQLModel, table=True):
    """One named basket of one user."""

    __tablename__ = "basket"
    __table_args__ = (sa.UniqueConstraint("user_id", "name", name="uq_basket_user_name"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=_BIGINT)
    user_id: str = Field(sa_type=sa.Text(), nullable=False)
    name: str = Field(sa_type=sa.String(64), nullable=False)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)


class BasketItemRow(SQLModel, table=True):
    """One record reference in a basket."""

    __tablename__ = "basket_item"
    __table_args__ = (
        sa.UniqueConstraint("basket_id", "dataset_id", "record_id", name="uq_basket_item_record"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=_BIGINT)
    basket_id: int = Field(
        sa_column=sa.Column(_BIGINT, sa.ForeignKey("basket.id", ondelete="CASCADE"), nullable=False)
    )
    archive_id: str = Field(sa_type=sa.Text(), nullable=False)
    dataset_id: str = Field(sa_type=sa.Text(), nullable=False)
    record_id: str = Field(sa_type=sa.Text(), nullable=False)
    title: str | None = Field(default=None, sa_type=sa.Text())
    access_url: str | None = Field(default=None, sa_type=sa.Text())
    access_format: str | None = Field(default=None, sa_type=sa.Text())
    size_bytes: int | None = Field(default=None, sa_type=sa.BigInteger())
    ra: float | None = Field(default=None, sa_type=sa.Float())
    dec: float | None = Field(default=None, sa_type=sa.Float())
    record: str = Field(sa_type=sa.Text(), nullable=False)
    added_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)


class BasketStore(Protocol):
    """Where baskets live. Every method acts on one user's baskets only."""

    async def add(
        self, user_id: str, basket: str, items: Sequence[NewBasketItem], *, max_items: int
    ) -> AddOutcome:
        """Insert the items not already there (creating the basket); raise ``BasketFull``."""
        ...

    async def remove(self, user_id: str, ids: Sequence[str]) -> list[str]:
        """Delete the user's items with these ids; return the ids deleted."""
        ...

    async def clear(self, user_id: str, basket: str) -> int:
        """Delete every item of one basket; return how many."""
        ...

    async def delete(self, user_id: str, basket: str) -> bool:
        """Delete a basket and its items; return whether it existed."""
        ...

    async def get(self, user_id: str, basket: str) -> Basket | None:
        """One basket with its items (oldest first), or None when it was never created."""
        ...

    async def list(self, user_id: str) -> list[BasketSummary]:
        """The user's baskets, by name."""
        ...

    async def items(self, user_id: str, ids: Sequence[str]) -> Sequence[BasketItem]:
        """The user's items with these ids, from any basket, by id; unknown ids are left out."""
        ...


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
        self._insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
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
            await session.exec(
                self._insert(BasketRow)
                .values(user_id=user_id, name=basket, created_at=now)
                .on_conflict_do_nothing(index_elements=["user_id", "name"])
            )
            # FOR UPDATE (PostgreSQL; SQLite already holds its write lock): adds to one
            # basket take turns, so the size limit holds under concurrent adds.
            basket_id = (
                await session.exec(
                    select(BasketRow.id)
                    .where(BasketRow.user_id == user_id, BasketRow.name == basket)
                    .with_for_update()
                )
            ).one()
            connection = await session.connection()
            # One statement, many parameter sets: SQLAlchemy compiles it once and sends
            # the rows in batched multi-row INSERTs ("insertmanyvalues").
            result = await connection.execute(
                self._insert(_ITEM_TABLE)
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
                        "record": json.dumps(item.record, separators=(",", ":")),
                        "added_at": now,
                    }
                    for item in items
                ],
            )
            fresh = _to_items(result.all(), basket)
            added = len(fresh)
            if added:
                count = (
                    await session.exec(
                        select(func.count()).where(BasketItemRow.basket_id == basket_id)
                    )
                ).one()
                if count > max_items:
                    raise BasketFull(basket, max_items)  # rolls the whole call back
            # Records that were there already come back from a second query.
            found = fresh
            inserted = {(i.dataset_id, i.record_id) for i in fresh}
            present = [item for item in items if item.key not in inserted]
            for chunk in _chunks(present):
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
        found.sort(key=lambda i: int(i.id))
        return AddOutcome(basket=basket, items=tuple(found), added=added)

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


@dataclass
class _MemoryBasket:
    created_at: datetime
    items: dict[tuple[str, str], BasketItem] = field(default_factory=dict)


class InMemoryBasketStore:
    """Baskets in a dict: the store the service's unit tests run on."""

    def __init__(self) -> None:
        self._baskets: dict[tuple[str, str], _MemoryBasket] = {}
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()

    async def add(
        self, user_id: str, basket: str, items: Sequence[NewBasketItem], *, max_items: int
    ) -> AddOutcome:
        async with self._lock:
            now = datetime.now(UTC)
            existing = self._baskets.get((user_id, basket))
            target = existing or _MemoryBasket(created_at=now)
            fresh: dict[tuple[str, str], BasketItem] = {}
            for item in items:
                if item.key in target.items or item.key in fresh:
                    continue
                fresh[item.key] = BasketItem(
                    id=str(next(self._ids)),
                    basket=basket,
                    archive_id=item.archive_id,
                    dataset_id=item.dataset_id,
                    record_id=item.record_id,
                    title=item.title,
                    access_url=item.access_url,
                    access_format=item.access_format,
                    size_bytes=item.size_bytes,
                    ra=item.ra,
                    dec=item.dec,
                    record=json.loads(json.dumps(item.record)),
                    added_at=now,
                )
            if fresh and len(target.items) + len(fresh) > max_items:
                raise BasketFull(basket, max_items)
            target.items.update(fresh)
            self._baskets[(user_id, basket)] = target
            found = {target.items[i.key].id: target.items[i.key] for i in items}
            ordered = sorted(found.values(), key=lambda i: int(i.id))
            return AddOutcome(basket=basket, items=tuple(ordered), added=len(fresh))

    async def remove(self, user_id: str, ids: Sequence[str]) -> list[str]:
        wanted = set(ids)
        removed: list[str] = []
        async with self._lock:
            for (owner, _), stored in self._baskets.items():
                if owner != user_id:
                    continue
                for key, item in list(stored.items.items()):
                    if item.id in wanted:
                        del stored.items[key]
                        removed.append(item.id)
        return sorted(removed, key=int)

    async def clear(self, user_id: str, basket: str) -> int:
        async with self._lock:
            stored = self._baskets.get((user_id, basket))
            if stored is None:
                return 0
            count = len(stored.items)
            stored.items.clear()
            return count

    async def delete(self, user_id: str, basket: str) -> bool:
        async with self._lock:
            return self._baskets.pop((user_id, basket), None) is not None

    async def get(self, user_id: str, basket: str) -> Basket | None:
        stored = self._baskets.get((user_id, basket))
        if stored is None:
            return None
        items = sorted(stored.items.values(), key=lambda i: int(i.id))
        return Basket(name=basket, items=tuple(items), created_at=stored.created_at)

    async def list(self, user_id: str) -> list[BasketSummary]:
        return [
            BasketSummary(
                name=name,
                count=len(stored.items),
                created_at=stored.created_at,
                updated_at=max((i.added_at for i in stored.items.values()), default=None),
            )
            for (owner, name), stored in sorted(self._baskets.items())
            if owner == user_id
        ]

    async def items(self, user_id: str, ids: Sequence[str]) -> Sequence[BasketItem]:
        wanted = set(ids)
        return sorted(
            (
                item
                for (owner, _), stored in self._baskets.items()
                if owner == user_id
                for item in stored.items.values()
                if item.id in wanted
            ),
            key=lambda i: int(i.id),
        )
