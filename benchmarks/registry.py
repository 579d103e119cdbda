"""Registry keyword search over 10,000 harvested records, on SQLite and PostgreSQL.

Fills the harvested-record store with synthetic VOResource records (titles,
descriptions and subjects drawn from an astronomy vocabulary, one to three
capabilities, one or two wavebands), then times searches through the
registry service (the path of ``registry(source: HARVESTED)``: store query
and mapping to domain records) and through the app over ASGI (the GraphQL
answer received). Target: under 50 ms per search. PostgreSQL runs in a
database created for the run and dropped after.

    .venv/bin/python benchmarks/registry.py [--records 10000] [--runs 21]
                                            [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
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
from esap_graphql.config import Settings  # noqa: E402
from esap_graphql.domain.registry import (  # noqa: E402
    RegistryCapability,
    RegistryResource,
    RegistrySource,
    ServiceType,
    registry_query,
)
from esap_graphql.factory import Factory  # noqa: E402

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
CATALOGUE = "archives: []\n"
# a small vocabulary: every common word is in most records, the hard case for an index
_VOCABULARY = """survey catalogue images spectra radio optical infrared x-ray galaxies stars
quasars clusters pulsars supernovae nebulae photometry astrometry redshift variability lensing
transients emission absorption continuum polarisation interferometry deep wide field southern
northern galactic extragalactic plane halo bulge disk cosmology dust gas"""
WORDS = tuple(_VOCABULARY.split())
RARE = ("lofar", "apertif", "gaia", "euclid", "chandra", "herschel", "alma", "vlass")
STANDARDS = {
    ServiceType.TAP: "ivo://ivoa.net/std/TAP",
    ServiceType.SCS: "ivo://ivoa.net/std/ConeSearch",
    ServiceType.SIA2: "ivo://ivoa.net/std/SIA#query-2.0",
    ServiceType.SSA: "ivo://ivoa.net/std/SSA",
}
BANDS = ("radio", "millimeter", "infrared", "optical", "uv", "x-ray", "gamma-ray")
SEARCHES: tuple[tuple[str, str | None, ServiceType | None, str | None], ...] = (
    ("common word", "galaxies", None, None),
    ("rare word", "lofar", None, None),
    ("two words", "radio survey", None, None),
    ("word + type + band", "catalogue", ServiceType.TAP, "optical"),
    ("type only", None, ServiceType.SCS, None),
    ("no match", "zzzzzz", None, None),
)
QUERY = """query($k: String, $t: ServiceType, $w: String) {
  registry(keyword: $k, serviceType: $t, waveband: $w, source: HARVESTED) {
    services { ivoid title publisher wavebands capabilities { standardId accessUrl } } } }"""


def make_resources(count: int) -> list[RegistryResource]:
    rng = random.Random(20240501)
    resources = []
    for n in range(count):
        words = rng.sample(WORDS, 12)
        if rng.random() < 0.02:
            words.append(rng.choice(RARE))
        kinds = rng.sample(list(STANDARDS), rng.randint(1, 3))
        authority = f"org{n % 300}.test"
        resources.append(
            RegistryResource(
                ivoid=f"ivo://{authority}/res/{n}",
                title=" ".join(w.capitalize() for w in words[:4]) + f" {n}",
                description=" ".join(words) + ". " + " ".join(rng.sample(WORDS, 20)) + ".",
                publisher=f"Organisation {n % 300}",
                subjects=tuple(rng.sample(WORDS, 3)),
                wavebands=tuple(rng.sample(BANDS, rng.randint(1, 2))),
                capabilities=tuple(
                    RegistryCapability(
                        STANDARDS[k], f"https://{authority}/{k.value}/{n}", "vs:ParamHTTP", "std"
                    )
                    for k in kinds
                ),
                source=f"https://{authority}/oai",
            )
        )
    return resources


async def measure(kind: str, url: str | None, records: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        catalogue = Path(tmp) / "catalogue.yaml"
        catalogue.write_text(CATALOGUE)
        settings = Settings(config=catalogue, data_dir=Path(tmp), database_url=url, regtap_url="")
        factory = Factory(settings)
        process = await factory.process_context()
        try:
            store = await factory.registry_store()
            started = time.perf_counter()
            resources = make_resources(records)
            for i in range(0, len(resources), 1000):
                chunk = resources[i : i + 1000]
                await store.put(chunk, [None] * len(chunk))
            await store.optimize()  # as the end of a harvest does
            print(
                f"{kind}: stored {await store.count()} records in "
                f"{time.perf_counter() - started:.1f} s"
            )
            service = process.registry
            async with (
                LifespanManager(create_app(settings, process=process)) as manager,
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
                ) as client,
            ):
                # warm up: SQLAlchemy compiles each statement shape once, the schema its document
                for _, keyword, service_type, band in SEARCHES:
                    await service.search(
                        registry_query(keyword, service_type, band), RegistrySource.HARVESTED
                    )
                for label, keyword, service_type, band in SEARCHES:
                    query = registry_query(keyword, service_type, band)
                    found = 0
                    service_ms = []
                    cpu0 = time.process_time()
                    for _ in range(runs):
                        t0 = time.perf_counter()
                        outcome = await service.search(query, RegistrySource.HARVESTED)
                        service_ms.append((time.perf_counter() - t0) * 1000)
                        found = len(outcome.resources)
                    cpu_ms = (time.process_time() - cpu0) * 1000 / runs
                    variables = {
                        "k": keyword,
                        "t": service_type.name if service_type else None,
                        "w": band,
                    }
                    app_ms = []
                    await client.post("/graphql", json={"query": QUERY, "variables": variables})
                    for _ in range(runs):
                        t0 = time.perf_counter()
                        response = await client.post(
                            "/graphql", json={"query": QUERY, "variables": variables}
                        )
                        app_ms.append((time.perf_counter() - t0) * 1000)
                        assert response.status_code == 200
                        answer = response.json()["data"]["registry"]["services"]
                        assert len(answer) == found
                    print(
                        f"  {label:20s} {found:3d} found | service median "
                        f"{statistics.median(service_ms):5.1f} ms, best {min(service_ms):5.1f}, "
                        f"gateway CPU {cpu_ms:5.1f} ms | GraphQL median "
                        f"{statistics.median(app_ms):5.1f} ms, best {min(app_ms):5.1f}"
                    )
        finally:
            await process.aclose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} on {os.cpu_count()} CPUs; {args.runs} runs per search")
    if args.only != "postgres":
        await measure("SQLite", None, args.records, args.runs)
    if args.only != "sqlite":
        name = f"esap_registry_bench_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(POSTGRES_ADMIN, timeout=10)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        try:
            await measure(
                "PostgreSQL",
                f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}",
                args.records,
                args.runs,
            )
        finally:
            conn = await asyncpg.connect(POSTGRES_ADMIN, timeout=10)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
