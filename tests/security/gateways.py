"""The gateway in-process with settings of a test's own (the limits under test)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings
from esap_graphql.connectors.base import Connector
from esap_graphql.domain.archives import Protocol
from esap_graphql.factory import gateway_context
from tests.support import DACHS_CATALOGUE, NO_SESAME


@contextlib.asynccontextmanager
async def gateway_client(
    data_dir: Path, *, connectors: dict[Protocol, Connector] | None = None, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """An ASGI client of the gateway over the DaCHS test catalogue, with ``overrides``
    (and ``connectors`` instead of the real ones, if given)."""
    settings = Settings(
        config=DACHS_CATALOGUE, data_dir=data_dir, sesame_urls=NO_SESAME, **overrides
    )
    process = await gateway_context(settings, connectors=connectors)
    try:
        async with (
            LifespanManager(create_app(settings, process=process)) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
            ) as client,
        ):
            yield client
    finally:
        await process.aclose()
