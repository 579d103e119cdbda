"""The same query through the gateway and directly with pyvo, against the local DaCHS.

The gateway runs as its own process (`esap-graphql serve`) on the test
catalogue with the result cache off (ESAP_CACHE_TTL=0), so every GraphQL
request reaches DaCHS. Gateway and pyvo requests alternate, so drift in
DaCHS's speed affects both alike. Prints median and p95 of each and the
ratio of the medians (target: gateway / pyvo <= 1.10).

    .venv/bin/python benchmarks/gateway_vs_pyvo.py [--repeat 200] [--warmup 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pyvo
from gateway_process import running_gateway

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "tests" / "data" / "dachs-catalogue.yaml"
DACHS = "http://localhost:8080"

ROW_FIELDS = (
    "id title target ra dec fov dataproductType calibrationLevel collection "
    "sizeBytes accessUrl accessFormat"
)
QUERY = (
    "query($id: ID!, $ra: Float!, $dec: Float!, $r: Float!) { dataset(id: $id) { "
    "query(params: {ra: $ra, dec: $dec, radius: $r}, pageSize: 10000) { "
    f"status totalCount rows {{ {ROW_FIELDS} }} error {{ message }} }} }} }}"
)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def compare(
    name: str,
    gateway: Callable[[], int],
    direct: Callable[[], int],
    *,
    repeat: int,
    warmup: int,
) -> dict[str, Any]:
    rows_g, rows_d = gateway(), direct()
    if rows_g != rows_d:
        raise AssertionError(f"{name}: gateway returned {rows_g} rows, pyvo {rows_d}")
    for _ in range(warmup):
        gateway()
        direct()
    times_g: list[float] = []
    times_d: list[float] = []
    for i in range(repeat):
        # alternate which goes first, so neither always meets a warmer DaCHS
        pair = ((gateway, times_g), (direct, times_d))
        for func, sink in pair if i % 2 == 0 else reversed(pair):
            start = time.perf_counter()
            func()
            sink.append((time.perf_counter() - start) * 1000)
    med_g, med_d = statistics.median(times_g), statistics.median(times_d)
    return {
        "name": name,
        "rows": rows_g,
        "gateway_p50": med_g,
        "gateway_p95": p95(times_g),
        "pyvo_p50": med_d,
        "pyvo_p95": p95(times_d),
        "ratio": med_g / med_d,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    with tempfile.TemporaryDirectory() as tmp:
        gateway_env = {"ESAP_DATA_DIR": tmp, "ESAP_CACHE_TTL": "0"}
        with running_gateway(config=CATALOGUE, env=gateway_env) as url:
            client = httpx.Client(base_url=url, timeout=60)
            tap = pyvo.dal.TAPService(f"{DACHS}/tap")
            scs = pyvo.dal.SCSService(f"{DACHS}/esaptest/q/cone/scs.xml")

            def graphql(dataset: str, ra: float, dec: float, r: float) -> int:
                variables = {"id": dataset, "ra": ra, "dec": dec, "r": r}
                body = client.post("/graphql", json={"query": QUERY, "variables": variables})
                result = body.json()["data"]["dataset"]["query"]
                if result["error"] is not None:
                    raise RuntimeError(result["error"]["message"])
                return len(result["rows"])

            def adql(r: float) -> str:
                return (
                    "SELECT * FROM ivoa.obscore WHERE CONTAINS(POINT('ICRS', s_ra, s_dec), "
                    f"CIRCLE('ICRS', 200.0, 50.0, {r!r})) = 1"
                )

            cases = [
                (
                    "TAP ivoa.obscore (200, 50) r=2",
                    lambda: graphql("esap-obscore", 200.0, 50.0, 2.0),
                    lambda: len(tap.run_sync(adql(2.0), maxrec=10_000)),
                ),
                (
                    "TAP ivoa.obscore (200, 50) r=0.5",
                    lambda: graphql("esap-obscore", 200.0, 50.0, 0.5),
                    lambda: len(tap.run_sync(adql(0.5), maxrec=10_000)),
                ),
                (
                    "SCS esaptest.sources (200, 50) r=2",
                    lambda: graphql("esap-sources", 200.0, 50.0, 2.0),
                    lambda: len(
                        scs.search(pos=(200.0, 50.0), radius=2.0, verbosity=3, maxrec=10_000)
                    ),
                ),
            ]
            results = [
                compare(name, g, d, repeat=args.repeat, warmup=args.warmup) for name, g, d in cases
            ]

    print(f"repetitions: {args.repeat} per side (after {args.warmup} warm-up pairs)")
    print(
        "| query | rows | gateway p50 | gateway p95 | pyvo p50 | pyvo p95 | gateway / pyvo (p50) |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['name']} | {r['rows']} | {r['gateway_p50']:.1f} ms | {r['gateway_p95']:.1f} ms "
            f"| {r['pyvo_p50']:.1f} ms | {r['pyvo_p95']:.1f} ms | {r['ratio']:.2f} |"
        )


if __name__ == "__main__":
    main()
