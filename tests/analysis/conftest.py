"""A gateway over the analysis test catalogue (archives, facilities and workflows in one file)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.context import ProcessContext
from esap_graphql.factory import gateway_context
from tests.analysis.hub import RunningHub, running_jupyterhub
from tests.oidc_issuer import AUDIENCE, Issuer, running_issuer
from tests.support import DATA

ANALYSIS_CATALOGUE = DATA / "analysis-catalogue.yaml"


@pytest.fixture
def analysis_settings(tmp_path: Path) -> Settings:
    """Single-user mode over the analysis catalogue, SQLite in tmp_path."""
    return Settings(config=ANALYSIS_CATALOGUE, data_dir=tmp_path / "data")


@pytest.fixture
async def analysis_client(analysis_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway over ASGI, lifespan running."""
    ctx = await gateway_context(analysis_settings)
    app = create_app(analysis_settings, process=ctx)
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


@pytest.fixture(scope="session")
def issuer() -> Iterator[Issuer]:
    """One real OIDC issuer (discovery + JWKS over HTTP) for the session."""
    with running_issuer() as running:
        yield running


@pytest.fixture
def signed_in_settings(tmp_path: Path, issuer: Issuer) -> Settings:
    """Sign-in on (the test issuer) over the analysis catalogue."""
    return Settings(
        config=ANALYSIS_CATALOGUE,
        data_dir=tmp_path / "data",
        oidc_issuer=issuer.url,
        oidc_audience=AUDIENCE,
    )


@dataclass
class SignedInGateway:
    """A gateway with sign-in on: its client, issuer and process context."""

    client: httpx.AsyncClient
    issuer: Issuer
    process: ProcessContext

    def user_id(self, subject: str) -> str:
        """The gateway's id of a user of the test issuer."""
        return f"{self.issuer.url}|{subject}"


@pytest.fixture
async def signed_in(signed_in_settings: Settings, issuer: Issuer) -> AsyncIterator[SignedInGateway]:
    """The gateway with sign-in on, lifespan running, reached over ASGI."""
    ctx = await gateway_context(signed_in_settings)
    app = create_app(signed_in_settings, process=ctx)
    try:
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
            ) as client,
        ):
            yield SignedInGateway(client=client, issuer=issuer, process=ctx)
    finally:
        await ctx.aclose()


@pytest.fixture(scope="session")
def jupyterhub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    """One real JupyterHub for the session (scripts/setup-jupyterhub.sh installs its proxy)."""
    with running_jupyterhub(tmp_path_factory.mktemp("jupyterhub")) as hub:
        yield hub
