"""The PostgreSQL pool keeps the connections it is configured to keep: a load above the
pool's size must not open and close a connection per statement."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from esap_graphql.config import Settings
from esap_graphql.factory import Factory
from tests.basket.conftest import temporary_database

pytestmark = pytest.mark.postgres


async def open_connections(engine: AsyncEngine) -> int:
    """Backends connected to the engine's database, not counting the one asking."""
    async with engine.connect() as conn:
        result = await conn.execute(
            sa.text(
                "select count(*) from pg_stat_activity "
                "where datname = current_database() and pid <> pg_backend_pid()"
            )
        )
        return int(result.scalar_one())


async def hold_at_once(engine: AsyncEngine, count: int) -> None:
    """Check ``count`` connections out together, run a statement on each, return them."""
    async with contextlib.AsyncExitStack() as stack:
        connections: list[AsyncConnection] = [
            await stack.enter_async_context(engine.connect()) for _ in range(count)
        ]
        await asyncio.gather(*(c.execute(sa.text("select 1")) for c in connections))


async def test_the_pool_keeps_its_size_and_closes_only_the_overflow(tmp_path: Path) -> None:
    async with temporary_database("postgres", tmp_path) as url:
        settings = Settings(
            data_dir=tmp_path / "data",
            database_url=url,
            database_pool_size=3,
            database_max_overflow=2,
        )
        factory = Factory(settings)
        try:
            engine = await factory.engine()
            await hold_at_once(engine, 5)  # the pool's 3 and the 2 of the overflow
            # the check asks on a pooled connection, so the pool holds 3 - 1 others
            assert await open_connections(engine) == 2
            for _ in range(3):
                await hold_at_once(engine, 3)
            assert await open_connections(engine) == 2  # the same 3, none opened anew
        finally:
            await factory.aclose()
