"""Basket writes and reads on SQLite and PostgreSQL.

Adds 10,000 items to one basket in calls of 100 (the service path a GraphQL
``addToBasket`` takes, each call its own transaction), then reads the basket back:
through the service (store read and mapping to domain objects) and through the app
(``{ basket { items { ... } } }`` over ASGI, until the JSON answer is received; the
client's parse of it is not counted). PostgreSQL runs in a
database created for the run and dropped after.

    .venv/bin/python benchmarks/basket.py [--items 10000] [--batch 100] [--reads 7]
                                          [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from asgi_lifespan import LifespanManager

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from esap_graphql.app import create_app  # noqa: E402
from esap_graphql.config import Settings, parse_catalogue  # noqa: E402
from esap_graphql.domain.basket import NewBasketItem  # noqa: E402
from esap_graphql.domain.users import LOCAL_USER  # noqa: E402
from esap_graphql.factory import gateway_context  # noqa: E402
from tests.support import ONE_TAP_DATASET  # noqa: E402

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
CATALOGUE = ONE_TAP_DATASET
QUERIES = {
    "items": """{ basket { count items { id datasetId recordId title accessUrl accessFormat
  sizeBytes ra dec record addedAt } } }""",
    "table": "{ basket { count table } }",
}


def items(start: int, n: int) -> list[NewBasketItem]:
    """Items shaped like ObsCore rows: a title, a URL, a position and a small native record."""
    return [
        NewBasketItem(
            dataset_id="apertif-dr1",
            record_id=f"ivo://astron.nl/apertif?{i:08d}",
            title=f"Apertif cube {i}",
            access_url=f"https://vo.astron.nl/getproduct/apertif/{i:08d}.fits",
            access_format="image/fits",
            size_bytes=2_000_000_000 + i,
            ra=(i * 0.037) % 360,
            dec=((i * 0.011) % 180) - 90,
            record={
                "obs_id": f"{i:08d}",
                "s_ra": (i * 0.037) % 360,
                "em_min": 0.21,
                "beam": i % 40,
            },
        )
        for i in range(start, start + n)
    ]


async def run(label: str, url: str, data_dir: Path, args: argparse.Namespace) -> None:
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        basket_max_items_per_call=args.batch,
        basket_max_items=args.items,
    )
    ctx = await gateway_context(settings, catalogue=parse_catalogue(CATALOGUE, source="benchmark"))
    try:
        started = time.perf_counter()
        for start in range(0, args.items, args.batch):
            outcome = await ctx.baskets.add(LOCAL_USER, items(start, args.batch))
            assert outcome.added == args.batch
        write_s = time.perf_counter() - started
        # as `esap-graphql serve` does after start-up: keep what lives as long as the
        # process out of the cyclic collector's walks
        gc.collect()
        gc.freeze()

        service_ms = []
        for _ in range(args.reads):
            t0 = time.perf_counter()
            basket = await ctx.baskets.basket(LOCAL_USER)
            service_ms.append((time.perf_counter() - t0) * 1000)
            assert basket.count == args.items

        app = create_app(settings, process=ctx)
        graphql_ms: dict[str, list[float]] = {name: [] for name in QUERIES}
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app),
                base_url="http://localhost",
                timeout=120,
            ) as client,
        ):
            for name, query in QUERIES.items():
                for _ in range(args.reads):
                    t0 = time.perf_counter()
                    response = await client.post("/graphql", json={"query": query})
                    graphql_ms[name].append((time.perf_counter() - t0) * 1000)
                    # the client's own JSON parse is not the gateway's time
                    body = response.json()
                    assert body["data"]["basket"]["count"] == args.items, body
    finally:
        await ctx.aclose()
    print(
        f"{label}: write {args.items / write_s:.0f} items/s ({write_s:.2f} s, "
        f"{write_s / (args.items / args.batch) * 1000:.1f} ms per call of {args.batch})"
    )
    reads = {"service": service_ms, **{f"GraphQL {n}": ms for n, ms in graphql_ms.items()}}
    for name, ms in reads.items():
        print(
            f"  read {args.items} items via {name:14s} median {statistics.median(ms):6.1f} ms"
            f"  best {min(ms):6.1f} ms"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--reads", type=int, default=7)
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="one database only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        if args.only != "postgres":
            sqlite_url = f"sqlite+aiosqlite:///{data_dir / 'bench.sqlite3'}"
            await run("SQLite", sqlite_url, data_dir, args)
        if args.only == "sqlite":
            return
        name = f"esap_basket_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(POSTGRES_ADMIN)
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            await run(
                "PostgreSQL",
                f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}",
                data_dir,
                args,
            )
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
