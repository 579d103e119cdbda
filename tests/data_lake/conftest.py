"""The real Rucio server (once per session) and gateways whose catalogue holds it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.factory import gateway_context
from tests.rucio_server import PASSWORD, USERNAME, RucioServer, seed
from tests.support import DACHS_CATALOGUE

#: The environment variables the test catalogue names for the Rucio credentials.
CREDENTIALS = {"ESAP_TEST_RUCIO_USER": USERNAME, "ESAP_TEST_RUCIO_PASSWORD": PASSWORD}

OpenGateway = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture(scope="session")
def rucio_server() -> Iterator[str]:
    """The URL of the local Rucio server, seeded; fails (never skips) when it cannot run."""
    try:
        server = RucioServer.start()
    except RuntimeError as exc:
        pytest.fail(f"{exc}\n(run scripts/setup-rucio.sh)")
    try:
        seed(server.url)
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def rucio_credentials(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The credentials, in the environment the gateway reads them from."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ESAP_TEST_RUCIO_WRONG_PASSWORD", "not-the-password")
    return CREDENTIALS


def data_lake_archive(rucio_url: str) -> dict[str, Any]:
    """The catalogue entry of the local data lake: a good dataset and a misconfigured one."""
    rucio = {
        "account": "root",
        "username_env": "ESAP_TEST_RUCIO_USER",
        "password_env": "ESAP_TEST_RUCIO_PASSWORD",
        "default_scope": "lofar",
    }
    return {
        "id": "test-lake",
        "name": "ESAP test data lake (local Rucio)",
        "datasets": [
            {
                "id": "rucio-lake",
                "name": "Files of the test data lake",
                "protocol": "rucio",
                "access_url": rucio_url,
                "rucio": rucio,
            },
            {
                "id": "rucio-wrong-password",
                "name": "The test data lake with a wrong password",
                "protocol": "rucio",
                "access_url": rucio_url,
                "multi_query": False,
                "rucio": {**rucio, "password_env": "ESAP_TEST_RUCIO_WRONG_PASSWORD"},
            },
        ],
    }


@pytest.fixture
async def open_lake_gateway(
    tmp_path: Path, rucio_server: str, rucio_credentials: dict[str, str]
) -> AsyncIterator[OpenGateway]:
    """Open a gateway over the DaCHS test catalogue plus the data lake archive."""
    async with contextlib.AsyncExitStack() as stack:

        async def open_(**overrides: Any) -> httpx.AsyncClient:
            raw = yaml.safe_load(DACHS_CATALOGUE.read_text(encoding="utf-8"))
            raw["archives"].append(data_lake_archive(rucio_server))
            config = tmp_path / "catalogue.yaml"
            config.write_text(yaml.safe_dump(raw), encoding="utf-8")
            settings = Settings(
                config=config, data_dir=tmp_path / "data", query_timeout=20, **overrides
            )
            process = await gateway_context(settings)
            stack.push_async_callback(process.aclose)
            manager = await stack.enter_async_context(
                LifespanManager(create_app(settings, process=process))
            )
            return await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
                )
            )

        yield open_
