"""Rucio data lake: server start, and search latency through the connector and GraphQL.

Starts the local Rucio server (scripts/setup-rucio.sh must have run), seeds the
test data and a scope ``esapbench`` of 1,000 files with two replicas each, then
times, as medians (p95) over ``--repeat`` runs:

Searches of 6 and 100 files, each with its replicas listed. (The test server has
no GeoIP database, and falls back on each replica it ranks after a few queries
of its config table: about 15 ms a file of its own time.)

1. rucio-clients alone (``list_dids`` then ``list_replicas``, one warm client):
   the server's own time plus the client's;
2. the connector (``RucioConnector.query``): warm (a pooled, authenticated
   client) and cold (a new connector: authentication included);
3. the whole GraphQL request in-process (ASGI), the result cache off, and a
   second page served from the cache.

    .venv/bin/python benchmarks/data_lake.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import yaml
from asgi_lifespan import LifespanManager

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from esap_graphql.app import create_app  # noqa: E402
from esap_graphql.config import Settings  # noqa: E402
from esap_graphql.connectors.rucio import RucioConnector  # noqa: E402
from esap_graphql.domain.archives import Dataset, Protocol  # noqa: E402
from esap_graphql.domain.data_lake import RucioSettings  # noqa: E402
from esap_graphql.domain.query import QueryParams  # noqa: E402
from esap_graphql.factory import gateway_context  # noqa: E402
from tests.rucio_server import (  # noqa: E402
    DISK_RSE,
    PASSWORD,
    USERNAME,
    WEB_RSE,
    RucioServer,
    SeedFile,
    client,
    register_files,
    seed,
)

BENCH_SCOPE = "esapbench"
BENCH_FILES = tuple(
    SeedFile(BENCH_SCOPE, f"bench_{i:05d}.fits", f"bench file {i}\n".encode()) for i in range(1000)
)
ENV = {"U": USERNAME, "P": PASSWORD}
SEARCHES = {
    "6 files": ("lofar", "L700123_SB*"),
    "100 files": (BENCH_SCOPE, "bench_000*"),
}


def timed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):7.1f} ms ({p95:.1f})"


async def repeat(times: int, run: Callable[[], Awaitable[Any]]) -> list[float]:
    samples = []
    await run()  # warm-up
    for _ in range(times):
        started = time.perf_counter()
        await run()
        samples.append(timed_ms(started))
    return samples


def lake(url: str) -> Dataset:
    return Dataset(
        id="lake",
        archive_id="bench",
        name="bench",
        protocol=Protocol.RUCIO,
        access_url=url,
        rucio=RucioSettings(auth_host=url, account="root", username_env="U", password_env="P"),
    )


def seed_bench(url: str) -> None:
    rucio = client(url)
    if BENCH_SCOPE not in rucio.list_scopes():
        rucio.add_scope("root", BENCH_SCOPE)
    for start in range(0, len(BENCH_FILES), 500):
        register_files(rucio, BENCH_FILES[start : start + 500], rses=(DISK_RSE, WEB_RSE))


async def main(times: int) -> None:
    started = time.perf_counter()
    server = RucioServer.start()
    print(f"Rucio server start (gunicorn until /ping answers): {timed_ms(started):.0f} ms")
    try:
        started = time.perf_counter()
        seed(server.url)
        print(f"seed the test data (idempotent, already there or not): {timed_ms(started):.0f} ms")
        started = time.perf_counter()
        seed_bench(server.url)
        print(f"seed {len(BENCH_FILES)} bench files: {timed_ms(started):.0f} ms\n")

        raw = client(server.url)
        connector = RucioConnector(environ=ENV)
        dataset = lake(server.url)
        rows: list[tuple[str, str, str]] = []
        for label, (scope, pattern) in SEARCHES.items():

            async def direct(scope: str = scope, pattern: str = pattern) -> None:
                def run() -> None:
                    dids = list(
                        raw.list_dids(scope, [{"name": pattern}], did_type="all", long=True)
                    )
                    files = [{"scope": d["scope"], "name": d["name"]} for d in dids]
                    for at in range(0, len(files), 500):
                        list(raw.list_replicas(files[at : at + 500]))

                await asyncio.to_thread(run)

            async def warm(scope: str = scope, pattern: str = pattern) -> None:
                params = QueryParams(collection=scope, target=pattern).validated()
                await connector.query(dataset, params, limit=10_000, timeout=30)

            async def cold(scope: str = scope, pattern: str = pattern) -> None:
                fresh = RucioConnector(environ=ENV)
                params = QueryParams(collection=scope, target=pattern).validated()
                await fresh.query(dataset, params, limit=10_000, timeout=30)
                await fresh.aclose()

            rows.append((label, "rucio-clients alone", summary(await repeat(times, direct))))
            rows.append((label, "connector, warm", summary(await repeat(times, warm))))
            rows.append((label, "connector, cold (auth)", summary(await repeat(times, cold))))
        await connector.aclose()

        with tempfile.TemporaryDirectory() as tmp:
            catalogue = Path(tmp) / "catalogue.yaml"
            catalogue.write_text(
                yaml.safe_dump(
                    {
                        "archives": [
                            {
                                "id": "bench",
                                "name": "bench",
                                "datasets": [
                                    {
                                        "id": "lake",
                                        "name": "lake",
                                        "protocol": "rucio",
                                        "access_url": server.url,
                                        "rucio": {
                                            "account": "root",
                                            "username_env": "ESAP_BENCH_RUCIO_USER",
                                            "password_env": "ESAP_BENCH_RUCIO_PASSWORD",
                                        },
                                    }
                                ],
                            }
                        ]
                    }
                )
            )
            os.environ["ESAP_BENCH_RUCIO_USER"] = USERNAME
            os.environ["ESAP_BENCH_RUCIO_PASSWORD"] = PASSWORD
            for cache_ttl, what in ((0.0, "GraphQL, cache off"), (300.0, "GraphQL, page 2 cached")):
                settings = Settings(
                    config=catalogue, data_dir=Path(tmp) / "data", cache_ttl=cache_ttl
                )
                process = await gateway_context(settings)
                app = create_app(settings, process=process)
                async with (
                    LifespanManager(app) as manager,
                    httpx.AsyncClient(
                        transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
                    ) as http,
                ):
                    for label, (scope, pattern) in SEARCHES.items():
                        document = {
                            "query": "query($p: QueryParamsInput!, $n: Int!) { dataset(id: "
                            '"lake") { query(params: $p, page: $n, pageSize: 50) { status '
                            "totalCount fromCache rows { id sizeBytes accessUrl fields } "
                            "error { message } } } }",
                            "variables": {
                                "p": {"collection": scope, "target": pattern},
                                "n": 2 if cache_ttl else 1,
                            },
                        }

                        async def request(document: dict[str, Any] = document) -> None:
                            answer = (await http.post("/graphql", json=document)).json()
                            result = answer["data"]["dataset"]["query"]
                            assert result["status"] in ("OK", "OVERFLOW"), result

                        rows.append((label, what, summary(await repeat(times, request))))
                await process.aclose()

        print("| search | path | median (p95) |")
        print("|---|---|---|")
        for label, path, figure in rows:
            print(f"| {label} | {path} | {figure} |")
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    asyncio.run(main(parser.parse_args().repeat))
