"""Query results shared by every gateway process through Redis: one entry per query, its
records encoded by column (names once, values as rows) in compressed JSON, expiring after the
cache's TTL.

This is the tier under each process's own cache (``services.result_cache``): a repeated
query is answered from Redis whichever process takes it. Redis being slow or away costs a
query its shared answer, never the answer: every failure here counts as a miss.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import zlib
from collections.abc import Hashable
from typing import Any

import numpy as np
import orjson
import redis.asyncio as redis

from esap_graphql.domain.datalink import ServiceDescriptor
from esap_graphql.domain.records import (
    RECORD_FIELDS,
    ColumnInfo,
    NativeRow,
    Record,
    ResultSet,
    native_rows,
)

logger = logging.getLogger(__name__)

#: Seconds one Redis call may take before the cache counts as missing.
TIMEOUT = 1.0
_VERSION = 1  # in every key: a new encoding never reads an old one


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is np.ma.masked:
        return None
    raise TypeError(type(value).__name__)


def encode(result: ResultSet) -> bytes:
    """The result in compressed, column-wise JSON."""
    names = list(dict.fromkeys(name for record in result.records for name in record.fields))
    links = list(dict.fromkeys(r.datalink for r in result.records if r.datalink is not None))
    link_index = {link: i for i, link in enumerate(links)}
    data = {
        "q": result.native_query,
        "o": result.overflow,
        "c": [[c.name, c.description, c.unit, c.ucd, c.datatype] for c in result.columns],
        "n": names,
        "l": [[link.access_url, link.id_column] for link in links],
        "r": [
            [*(getattr(r, name) for name in RECORD_FIELDS), link_index.get(r.datalink)]  # type: ignore[arg-type]
            for r in result.records
        ],
        "f": native_rows(result.records, names),
    }
    return zlib.compress(orjson.dumps(data, default=_plain, option=orjson.OPT_SERIALIZE_NUMPY), 1)


def decode(raw: bytes) -> ResultSet:
    """The result ``encode`` wrote."""
    data = orjson.loads(zlib.decompress(raw))
    names: list[str] = data["n"]
    rows: list[list[Any]] = data["f"]
    columns: dict[str, list[Any]] = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    links = [ServiceDescriptor(access_url=url, id_column=column) for url, column in data["l"]]
    records = []
    for index, values in enumerate(data["r"]):
        record = Record(**dict(zip(RECORD_FIELDS, values, strict=False)))
        record.fields = NativeRow(columns, index)
        if values[-1] is not None:
            record.datalink = links[values[-1]]
        records.append(record)
    return ResultSet(
        records=tuple(records),
        native_query=data["q"],
        columns=tuple(ColumnInfo(*c) for c in data["c"]),
        overflow=data["o"],
    )


class RedisResults:
    """Query results in Redis under ``prefix``, each for ``ttl`` seconds."""

    def __init__(self, *, client: redis.Redis, prefix: str, ttl: float) -> None:
        self._client = client
        self._prefix = f"{prefix}:results:v{_VERSION}:"
        self._ttl_ms = max(1, int(ttl * 1000))

    def _key(self, key: Hashable) -> str:
        return self._prefix + hashlib.sha256(repr(key).encode()).hexdigest()

    async def get(self, key: Hashable) -> ResultSet | None:
        """The stored result, or None (also when Redis fails)."""
        try:
            async with asyncio.timeout(TIMEOUT):
                raw = await self._client.get(self._key(key))
            return decode(raw) if raw is not None else None
        except Exception as exc:  # a miss, not a failed query
            logger.warning("shared result cache: read failed (%s)", type(exc).__name__)
            return None

    async def put(self, key: Hashable, value: ResultSet) -> None:
        """Store the result (a failure is logged and forgotten)."""
        try:
            raw = encode(value)
            async with asyncio.timeout(TIMEOUT):
                await self._client.set(self._key(key), raw, px=self._ttl_ms)
        except Exception as exc:
            logger.warning("shared result cache: write failed (%s)", type(exc).__name__)
