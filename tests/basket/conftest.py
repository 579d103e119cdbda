"""A gateway with sign-in on, over SQLite or a fresh PostgreSQL database, and its users."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings, parse_catalogue
from esap_graphql.context import ProcessContext
from esap_graphql.domain.archives import Catalogue
from esap_graphql.factory import gateway_context
from tests.oidc_issuer import AUDIENCE, Issuer, running_issuer
from tests.support import ONE_TAP_DATASET

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"

CATALOGUE_YAML = (
    ONE_TAP_DATASET
    + """      - id: lotss-dr2
        name: LoTSS DR2
        protocol: scs
        access_url: https://vo.astron.nl/lotss_dr2/q/src_cone/scs.xml
"""
)


def catalogue(*, without: str | None = None) -> Catalogue:
    """The test catalogue, optionally with one dataset taken out of the configuration."""
    text = CATALOGUE_YAML
    if without == "lotss-dr2":
        text = text.split("      - id: lotss-dr2")[0]
    return parse_catalogue(text, source="basket-test-catalogue")


@pytest.fixture(scope="session")
def issuer() -> Iterator[Issuer]:
    """One real OIDC issuer (discovery + JWKS over HTTP) for the session."""
    with running_issuer() as running:
        yield running


async def create_postgres_database() -> str:
    """A new, empty database on the local server; its SQLAlchemy URL. Fails if PG is down."""
    name = f"esap_basket_{uuid.uuid4().hex[:12]}"
    try:
        conn = await asyncpg.connect(POSTGRES_ADMIN, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_ADMIN}: {exc}")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def drop_postgres_database(url: str) -> None:
    """Drop a database made by ``create_postgres_database``."""
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(POSTGRES_ADMIN, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def temporary_database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """SQLite in tmp_path, or a PostgreSQL database created here and dropped after."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'basket.sqlite3'}"
        return
    url = await create_postgres_database()
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database: SQLite, or a fresh PostgreSQL database."""
    async with temporary_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def auth_settings(tmp_path: Path, issuer: Issuer, database_url: str) -> Settings:
    """Sign-in on (the test issuer), small limits so tests can reach them."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        oidc_issuer=issuer.url,
        oidc_audience=AUDIENCE,
        basket_max_items_per_call=50,
        basket_max_record_bytes=1_000,
        basket_max_items=200,
    )


@dataclass
class Gateway:
    """The app's client, the issuer, and the process context behind them."""

    client: httpx.AsyncClient
    issuer: Issuer
    process: ProcessContext

    def headers(self, user: str) -> dict[str, str]:
        """The Authorization header of a signed-in user."""
        return self.issuer.bearer(user)


@pytest.fixture
async def gateway(auth_settings: Settings, issuer: Issuer) -> AsyncIterator[Gateway]:
    """The gateway with sign-in on, running its lifespan, reached over ASGI."""
    ctx = await gateway_context(auth_settings, catalogue=catalogue())
    app = create_app(auth_settings, process=ctx)
    try:
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
            ) as client,
        ):
            yield Gateway(client=client, issuer=issuer, process=ctx)
    finally:
        await ctx.aclose()
