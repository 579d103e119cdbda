"""`esap-graphql migrate` creates the basket tables in the configured database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from esap_graphql.cli import main
from esap_graphql.storage.database import create_engine, migrate
from tests.basket.conftest import temporary_database


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_migrate_command(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with temporary_database(kind, tmp_path) as url:
        monkeypatch.setenv("ESAP_DATABASE_URL", url)
        monkeypatch.setenv("ESAP_DATA_DIR", str(tmp_path / "data"))
        # The command runs its own event loop: give it a thread of its own.
        assert await asyncio.to_thread(main, ["migrate"]) == 0
        assert "up to date" in capsys.readouterr().out
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                names = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
                result = await conn.execute(sa.text("select version_num from alembic_version"))
                heads = set(result.scalars().all())
        finally:
            await engine.dispose()
    assert {"basket", "basket_item"} <= set(names)
    assert "0002_basket" in heads


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_processes_starting_together_migrate_one_at_a_time(kind: str, tmp_path: Path) -> None:
    # as `serve --workers 4` starts: four engines (four processes' pools) on one new database
    async with temporary_database(kind, tmp_path) as url:
        engines = [create_engine(url) for _ in range(4)]
        try:
            outcomes = await asyncio.gather(*(migrate(e) for e in engines), return_exceptions=True)
            async with engines[0].connect() as conn:
                result = await conn.execute(sa.text("select version_num from alembic_version"))
                heads = set(result.scalars().all())
        finally:
            for engine in engines:
                await engine.dispose()
    assert [o for o in outcomes if o is not None] == []
    assert {"0002_basket", "0003_jobs"} <= heads
