"""Fixtures compose: settings -> process context -> app (lifespan running) -> client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.context import ProcessContext
from esap_graphql.factory import gateway_context
from tests.support import DACHS_CATALOGUE, DACHS_URL, NO_SESAME

# the stand-in for the REST/JSON archives and Sesame (session-scoped fixture recorded_apis)
pytest_plugins = ("tests.recorded_apis",)


@pytest.fixture(scope="session")
def dachs() -> str:
    """The local DaCHS base URL; fails (never skips) when it is not up."""
    try:
        response = httpx.get(f"{DACHS_URL}/tap/availability", timeout=5)
    except httpx.HTTPError as exc:
        pytest.fail(f"DaCHS is not running at {DACHS_URL} ({exc}); run scripts/setup-dachs.sh")
    assert response.status_code == 200, "DaCHS TAP availability endpoint failed"
    return DACHS_URL


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings over the DaCHS test catalogue, with a private SQLite database."""
    # no Sesame mirror: a test never resolves names over the internet (they use recorded_apis)
    return Settings(
        config=DACHS_CATALOGUE,
        data_dir=tmp_path / "data",
        query_timeout=20,
        sesame_urls=NO_SESAME,
    )


@pytest.fixture
async def process(settings: Settings) -> AsyncIterator[ProcessContext]:
    """The process context built from ``settings`` with the real connectors."""
    ctx = await gateway_context(settings)
    try:
        yield ctx
    finally:
        await ctx.aclose()


@pytest.fixture
async def app(settings: Settings, process: ProcessContext) -> AsyncIterator[Starlette]:
    """The application with its lifespan running."""
    application = create_app(settings, process=process)
    async with LifespanManager(application) as manager:
        yield manager.app  # type: ignore[misc]


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process over ASGI."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as http:
        yield http
