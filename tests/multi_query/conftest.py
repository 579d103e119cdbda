"""A gateway whose datasets sit behind a fault-injecting proxy in front of the real DaCHS."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from esap_graphql.app import create_app
from esap_graphql.config import Settings, parse_catalogue
from esap_graphql.factory import gateway_context
from tests.servers import DachsProxy, serve_in_thread

# route name -> (protocol, DaCHS path, extra YAML)
ROUTES = {
    "images": ("tap", "tap", "table: ivoa.obscore\n        collection: esaptest-images"),
    "cubes": ("tap", "tap", "table: ivoa.obscore\n        collection: esaptest-cubes"),
    "sources": ("scs", "esaptest/q/cone/scs.xml", ""),
    "sia": ("sia", "__system__/siap2/sitewide/siap2.xml", ""),
    "slow": ("tap", "tap", "table: ivoa.obscore\n        collection: esaptest-images"),
    "failing": ("tap", "tap", "table: ivoa.obscore"),
    "garbage": ("scs", "esaptest/q/cone/scs.xml", ""),
}


def proxy_catalogue(base: str, *, timeout: float = 3.0) -> str:
    """Catalogue YAML: one dataset per proxy route, ids as the route names. The "slow" route
    times out after ``timeout`` seconds; the others have room for a loaded machine (the tests
    of them are about answers and bounds, not about time)."""
    entries = []
    for route, (protocol, path, extra) in ROUTES.items():
        entries.append(
            f"""      - id: {route}
        name: {route} via proxy
        protocol: {protocol}
        access_url: {base}/{route}/{path}
        timeout: {timeout if route == "slow" else max(timeout, 30.0)}
        {extra}"""
        )
    return "archives:\n  - id: proxied\n    name: Proxied DaCHS\n    datasets:\n" + "\n".join(
        entries
    )


@pytest.fixture
def proxy(dachs: str) -> Iterator[tuple[DachsProxy, str]]:
    """The proxy and its base URL."""
    faults = DachsProxy()
    with serve_in_thread(faults.app()) as base:
        yield faults, base


@pytest.fixture
def proxied_settings(tmp_path: Path) -> Settings:
    """Settings with the cache on and a small per-service bound."""
    return Settings(data_dir=tmp_path / "data", cache_ttl=60, per_service_concurrency=2)


@pytest.fixture
async def proxied_client(
    proxy: tuple[DachsProxy, str], proxied_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a gateway configured with the proxied datasets."""
    _, base = proxy
    catalogue = parse_catalogue(proxy_catalogue(base), source="proxy-catalogue")
    ctx = await gateway_context(proxied_settings, catalogue=catalogue)
    app = create_app(proxied_settings, process=ctx)
    try:
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app),
                base_url="http://localhost",
                timeout=60,
            ) as client,
        ):
            yield client
    finally:
        await ctx.aclose()
