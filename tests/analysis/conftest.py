"""A gateway over the analysis test catalogue (archives, facilities and workflows in one file)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.context import ProcessContext
from tests.support import DATA

ANALYSIS_CATALOGUE = DATA / "analysis-catalogue.yaml"


@pytest.fixture
def analysis_settings(tmp_path: Path) -> Settings:
    """Single-user mode over the analysis catalogue, SQLite in tmp_path."""
    return Settings(config=ANALYSIS_CATALOGUE, data_dir=tmp_path / "data")


@pytest.fixture
async def analysis_client(analysis_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway over ASGI, lifespan running."""
    ctx = await ProcessContext.create(analysis_settings)
    app = create_app(analysis_settings, process=ctx)
    try:
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://gateway.test"
            ) as client,
        ):
            yield client
    finally:
        await ctx.aclose()
