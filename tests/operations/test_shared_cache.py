"""The result cache shared by gateway processes through Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
import redis.asyncio as aredis
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.domain.datalink import ServiceDescriptor
from esap_graphql.domain.records import ColumnInfo, NativeRow, Record, ResultSet
from esap_graphql.storage.shared_results import RedisResults, decode, encode
from tests.jobs.conftest import REDIS_URL, job_settings
from tests.operations.test_metrics import sample
from tests.queries.gateway_queries import run_query

CONE = {"ra": 150.0, "dec": 2.0, "radius": 1.0}


@asynccontextmanager
async def gateway(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
        ) as http,
    ):
        yield http


@pytest.mark.redis
@pytest.mark.dachs
async def test_a_query_answered_by_one_gateway_is_a_cache_hit_on_another(
    dachs: str, tmp_path: Path, redis_prefix: str
) -> None:
    settings = job_settings(tmp_path, redis_url=REDIS_URL, redis_prefix=redis_prefix)
    async with gateway(settings) as first, gateway(settings) as second:
        asked = await run_query(first, "esap-sources", CONE, size=500)
        answered = await run_query(second, "esap-sources", CONE, size=500)
        assert asked["fromCache"] is False
        assert answered["fromCache"] is True
        assert answered["rows"] == asked["rows"]
        assert answered["totalCount"] == asked["totalCount"] > 0
        assert answered["nativeQuery"] == asked["nativeQuery"]
        page = (await second.get("/metrics")).text
        # the second gateway never asked the archive
        assert "esap_archive_request_seconds_count" not in page.replace("# ", "#")
        assert sample(page, "esap_result_cache_lookups_total", result="hit") == 1


def test_results_survive_the_encoding() -> None:
    columns = {
        "id": np.array(["a", "b", "c"]),
        "mag": np.array([1.5, np.float32(2.25), 3.0]),
        "n": np.array([1, 2, 3], dtype=np.int64),
    }
    link = ServiceDescriptor(access_url="http://archive.example/dl", id_column="id")
    records = tuple(
        Record(
            id=str(columns["id"][i]),
            ra=10.0 + i,
            dec=-5.0,
            calibration_level=2,
            fields=NativeRow(columns, i),
            datalink=link if i else None,
        )
        for i in range(3)
    )
    result = ResultSet(
        records=records,
        native_query="SELECT 1",
        columns=(ColumnInfo(name="mag", unit="mag", datatype="double"),),
        overflow=True,
    )
    back = decode(encode(result))
    assert back == result  # records compare by value; datalink apart
    assert [r.datalink for r in back.records] == [None, link, link]
    assert [dict(r.fields) for r in back.records] == [
        {"id": "a", "mag": 1.5, "n": 1},
        {"id": "b", "mag": 2.25, "n": 2},
        {"id": "c", "mag": 3.0, "n": 3},
    ]


async def test_redis_away_is_a_miss_not_a_failure() -> None:
    client = aredis.Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.5)
    try:
        results = RedisResults(client=client, prefix="esap-test", ttl=60)
        assert await results.get(("d", 1)) is None
        await results.put(("d", 1), ResultSet(records=(), native_query="q"))
    finally:
        await client.aclose()


@pytest.mark.redis
async def test_entries_expire_after_the_ttl(redis_prefix: str) -> None:
    client = aredis.Redis.from_url(REDIS_URL)
    try:
        results = RedisResults(client=client, prefix=redis_prefix, ttl=30)
        await results.put(("d", 1), ResultSet(records=(), native_query="q"))
        keys = [k async for k in client.scan_iter(f"{redis_prefix}:results:*")]
        assert len(keys) == 1
        assert 0 < await client.pttl(keys[0]) <= 30_000
        assert await results.get(("d", 1)) == ResultSet(records=(), native_query="q")
    finally:
        await client.aclose()
