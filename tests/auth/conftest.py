"""A real OIDC issuer, and a gateway with sign-in on in front of it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.factory import gateway_context
from tests.oidc_issuer import AUDIENCE, Issuer, running_issuer
from tests.support import DACHS_CATALOGUE


@pytest.fixture(scope="session")
def issuer() -> Iterator[Issuer]:
    """One issuer serving discovery and JWKS over HTTP for the whole session."""
    with running_issuer() as running:
        yield running


@pytest.fixture
def auth_settings(tmp_path: Path, issuer: Issuer) -> Settings:
    """Sign-in on; keys found through the issuer's discovery document."""
    return Settings(
        config=DACHS_CATALOGUE,
        data_dir=tmp_path / "data",
        oidc_issuer=issuer.url,
        oidc_audience=AUDIENCE,
    )


@pytest.fixture
async def auth_client(auth_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the gateway with sign-in on, over ASGI with the lifespan running."""
    ctx = await gateway_context(auth_settings)
    app = create_app(auth_settings, process=ctx)
    try:
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
            ) as client,
        ):
            yield client
    finally:
        await ctx.aclose()
