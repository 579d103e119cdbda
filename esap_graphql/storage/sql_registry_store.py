"""The registry store in the gateway's database (SQLite or PostgreSQL).

Keyword search goes through a word index (``registry_word``: one row per distinct word of a
record's title, description and subjects): each keyword word must begin one of the record's
words, which is a range scan of the index (byte order: the column has the C collation on
PostgreSQL), so 10,000 records are searched without reading their text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from esap_graphql.domain.registry import (
    RegistryCapability,
    RegistryQuery,
    RegistryResource,
    keyword_tokens,
    words_of,
)
from esap_graphql.storage.registry_store import HarvestState
from esap_graphql.storage.registry_tables import (
    RegistryHarvestRow,
    RegistryResourceRow,
    RegistryWordRow,
)

# Rows per statement: well under every driver's bound-parameter limit.
_CHUNK = 200
_WORD_CHUNK = 5000
# above every character: "word < token + _TOP" is "word starts with token" in byte order
_TOP = "\U0010ffff"
# a token matching at most this many words drives a search (see _keyword_filter)
_DRIVING_KEYS = 2000


def search_text(resource: RegistryResource) -> str:
    """The lower-cased text a keyword search looks in."""
    return "\n".join((resource.title, resource.description, *resource.subjects)).lower()


def _capabilities_json(capabilities: Sequence[RegistryCapability]) -> str:
    return json.dumps(
        [
            [c.standard_id, c.access_url, c.interface_type, c.role, c.description]
            for c in capabilities
        ]
    )


def to_row(resource: RegistryResource, datestamp: datetime | None) -> dict[str, Any]:
    """The column values of a record."""
    return {
        "key": resource.ivoid.lower(),
        "ivoid": resource.ivoid,
        "source": resource.source,
        "title": resource.title,
        "description": resource.description,
        "publisher": resource.publisher,
        "short_name": resource.short_name,
        "resource_type": resource.resource_type,
        "subjects": json.dumps(list(resource.subjects)),
        "wavebands": " " + " ".join(w.lower() for w in resource.wavebands) + " ",
        "service_types": " " + " ".join(t.value for t in resource.service_types()) + " ",
        "capabilities": _capabilities_json(resource.capabilities),
        "updated": resource.updated,
        "datestamp": datestamp,
        "search_text": search_text(resource),
    }


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes: they were stored as UTC
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def from_row(row: RegistryResourceRow) -> RegistryResource:
    """A stored record as the domain's."""
    return RegistryResource(
        ivoid=row.ivoid,
        title=row.title,
        description=row.description,
        publisher=row.publisher,
        short_name=row.short_name,
        resource_type=row.resource_type,
        subjects=tuple(json.loads(row.subjects)),
        wavebands=tuple(row.wavebands.split()),
        capabilities=tuple(RegistryCapability(*c) for c in json.loads(row.capabilities)),
        updated=_aware(row.updated),
        source=row.source,
    )


class SqlRegistryStore:
    """The store in the gateway's database (SQLite or PostgreSQL)."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self._engine = engine

    async def put(
        self, resources: Sequence[RegistryResource], datestamps: Sequence[datetime | None]
    ) -> None:
        """Insert or replace records, in one transaction."""
        rows = {r.ivoid.lower(): to_row(r, d) for r, d in zip(resources, datestamps, strict=True)}
        if not rows:
            return
        table = RegistryResourceRow.__table__  # type: ignore[attr-defined]
        words = RegistryWordRow.__table__  # type: ignore[attr-defined]
        keys = list(rows)
        async with self._engine.begin() as conn:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                await conn.execute(sa.delete(table).where(table.c.key.in_(chunk)))
                await conn.execute(sa.delete(words).where(words.c.key.in_(chunk)))
                await conn.execute(sa.insert(table), [rows[k] for k in chunk])
                index = [
                    {"word": word, "key": key}
                    for key in chunk
                    for word in sorted(words_of(rows[key]["search_text"]))
                ]
                for at in range(0, len(index), _WORD_CHUNK):
                    await conn.execute(sa.insert(words), index[at : at + _WORD_CHUNK])

    async def delete(self, ivoids: Iterable[str]) -> None:
        """Forget records."""
        keys = list(dict.fromkeys(i.lower() for i in ivoids))
        table = RegistryResourceRow.__table__  # type: ignore[attr-defined]
        words = RegistryWordRow.__table__  # type: ignore[attr-defined]
        async with self._engine.begin() as conn:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                await conn.execute(sa.delete(table).where(table.c.key.in_(chunk)))
                await conn.execute(sa.delete(words).where(words.c.key.in_(chunk)))

    async def search(self, query: RegistryQuery) -> list[RegistryResource]:
        """Records matching every keyword, the service type and the waveband."""
        tokens = keyword_tokens(query)
        if query.keywords and not tokens:
            return []
        statement = select(RegistryResourceRow)
        async with AsyncSession(self._engine) as session:
            if tokens:
                statement = await self._keyword_filter(session, statement, tokens)
            if query.service_type is not None:
                statement = statement.where(
                    col(RegistryResourceRow.service_types).contains(
                        f" {query.service_type.value} ", autoescape=True
                    )
                )
            if query.waveband is not None:
                statement = statement.where(
                    col(RegistryResourceRow.wavebands).contains(
                        f" {query.waveband} ", autoescape=True
                    )
                )
            statement = statement.order_by(
                col(RegistryResourceRow.title), col(RegistryResourceRow.key)
            ).limit(query.limit)
            rows = (await session.exec(statement)).all()
        return [from_row(r) for r in rows]

    @staticmethod
    async def _keyword_filter(
        session: AsyncSession, statement: Any, tokens: tuple[str, ...]
    ) -> Any:
        """``statement`` restricted to records having a word that begins with each token.

        Which plan is fast depends on how many records a token matches, and the
        databases guess that badly for prefixes: so count first (an index-only
        range count per token). When some token is rare, its few keys drive the
        search; when every token is common, the records are walked in title
        order and each is checked against the word index, which stops as soon
        as a page is full.
        """

        def prefix(word: Any, token: str) -> Any:
            return sa.and_(word.word >= token, word.word < token + _TOP)

        # counted only up to the threshold (a common word costs no more than a rare one),
        # every token in one round trip
        capped = [
            select(sa.func.count())
            .select_from(
                select(sa.literal(1))
                .select_from(RegistryWordRow)
                .where(prefix(RegistryWordRow, token))
                .limit(_DRIVING_KEYS + 1)
                .subquery()
            )
            .scalar_subquery()
            for token in tokens
        ]
        row = (await session.exec(select(*capped))).one()
        values = (row,) if len(tokens) == 1 else tuple(row)
        counts = dict(zip(tokens, (int(v) for v in values), strict=True))
        rarest = min(tokens, key=counts.__getitem__)
        for token in tokens:
            word = sa.orm.aliased(RegistryWordRow)
            if token == rarest and counts[token] <= _DRIVING_KEYS:
                keys = select(col(RegistryWordRow.key)).where(prefix(RegistryWordRow, token))
                statement = statement.where(col(RegistryResourceRow.key).in_(keys))
            else:
                statement = statement.where(
                    sa.exists().where(
                        col(word.key) == col(RegistryResourceRow.key), prefix(word, token)
                    )
                )
        return statement

    async def get(self, ivoid: str) -> RegistryResource | None:
        """The record with this identifier, or None."""
        async with AsyncSession(self._engine) as session:
            row = await session.get(RegistryResourceRow, ivoid.strip().lower())
        return from_row(row) if row is not None else None

    async def optimize(self) -> None:
        """Refresh the planner's statistics of the registry tables (and on PostgreSQL the
        visibility map, so that the word index is read without visiting the table)."""
        async with self._engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            command = "VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"
            for table in ("registry_resource", "registry_word"):
                await autocommit.execute(sa.text(f"{command} {table}"))

    async def count(self) -> int:
        """Records held."""
        async with AsyncSession(self._engine) as session:
            result = await session.exec(select(sa.func.count()).select_from(RegistryResourceRow))
            return int(result.one())

    async def harvest_state(self, source: str) -> HarvestState | None:
        """The last successful harvest of a registry, or None."""
        async with AsyncSession(self._engine) as session:
            row = await session.get(RegistryHarvestRow, source)
        if row is None:
            return None
        last = _aware(row.last_harvest)
        assert last is not None
        return HarvestState(
            source=row.source,
            harvested_from=_aware(row.harvested_from),
            last_harvest=last,
            records=row.records,
        )

    async def save_harvest_state(self, state: HarvestState) -> None:
        """Record a successful harvest."""
        async with AsyncSession(self._engine) as session:
            row = await session.get(RegistryHarvestRow, state.source)
            if row is None:
                row = RegistryHarvestRow(source=state.source, last_harvest=state.last_harvest)
            row.harvested_from = state.harvested_from
            row.last_harvest = state.last_harvest
            row.records = state.records
            session.add(row)
            await session.commit()
