"""Multi-query wall time against N archives that each answer after a latency L.

Each "archive" is a route of a local proxy (tests/servers.py) that waits L
seconds, then answers with the local DaCHS TAP service's reply to the query
(recorded once beforehand, so that N routes behave as N independent archives
instead of queueing on one DaCHS on a 2-core machine). The gateway runs as
its own process (`esap-graphql serve`), as in production.

For N = 1, 10, 50 it prints the gateway's multi-query wall time, the ideal
(L), the same N queries run one after another with pyvo (as in a notebook),
and a repeated multi-query answered from the gateway's cache.

    .venv/bin/python benchmarks/multi_query.py [--latency 0.3] [--repeat 5] [--sizes 1,10,50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pyvo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway_process import running_gateway  # noqa: E402

from tests.servers import DachsProxy, Fault, serve_in_thread  # noqa: E402

QUERY = """query($d: [ID!], $r: Float) {
  multiQuery(datasets: $d, params: {ra: 200, dec: 50, radius: $r}, pageSize: 20) {
    elapsedMs results { status totalCount fromCache rows { id ra dec accessUrl } } } }"""


def adql(radius: float) -> str:
    return (
        "SELECT * FROM ivoa.obscore WHERE CONTAINS(POINT('ICRS', s_ra, s_dec), "
        f"CIRCLE('ICRS', 200.0, 50.0, {radius!r})) = 1 AND obs_collection = 'esaptest-images'"
    )


def catalogue(base: str, n: int) -> str:
    lines = ["archives:"]
    for i in range(n):
        lines += [
            f"  - id: archive-{i}",
            f"    name: Archive {i}",
            "    datasets:",
            f"      - id: ds-{i}",
            f"        name: Dataset {i}",
            "        protocol: tap",
            f"        access_url: {base}/a{i}/tap",
            "        table: ivoa.obscore",
            "        collection: esaptest-images",
        ]
    return "\n".join(lines) + "\n"


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="1,10,50")
    args = parser.parse_args()
    latency = args.latency
    sizes = [int(s) for s in args.sizes.split(",")]
    proxy = DachsProxy(replay=True)
    direct = statistics.median(
        timed(lambda: pyvo.dal.TAPService("http://localhost:8080/tap").run_sync(adql(2.0)))
        for _ in range(5)
    )
    print(
        f"latency L = {latency * 1000:.0f} ms; "
        f"one direct DaCHS query with pyvo: {direct * 1000:.1f} ms"
    )
    print(
        f"{'N':>3} {'gateway p50':>12} {'gateway max':>12} {'p50 / L':>8} "
        f"{'pyvo serial':>12} {'speed-up':>9} {'cached p50':>11} {'cold/cached':>12}"
    )
    with serve_in_thread(proxy.app()) as proxy_url:
        radii = [2.0 + k * 1e-9 for k in range(args.repeat)]
        for radius in radii:  # record DaCHS's answers (no latency yet)
            pyvo.dal.TAPService(f"{proxy_url}/record/tap").run_sync(adql(radius), maxrec=10000)
        for i in range(max(sizes)):
            proxy.faults[f"a{i}"] = Fault(delay=latency)
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "catalogue.yaml"
                path.write_text(catalogue(proxy_url, n), encoding="utf-8")
                gateway_env = {"ESAP_DATA_DIR": str(Path(tmp) / "data"), "ESAP_CACHE_TTL": "300"}
                with running_gateway(config=path, env=gateway_env) as url:
                    ids = [f"ds-{i}" for i in range(n)]
                    cold: list[float] = []
                    warm: list[float] = []
                    with httpx.Client(base_url=url, timeout=120) as http:
                        for radius in radii:  # a new radius: a cold cache every round
                            request = {"query": QUERY, "variables": {"d": ids, "r": radius}}
                            proxy.requests.clear()
                            start = time.perf_counter()
                            body = http.post("/graphql", json=request).json()
                            cold.append(time.perf_counter() - start)
                            results = body["data"]["multiQuery"]["results"]
                            assert all(r["status"] == "OK" for r in results), results
                            assert len(proxy.requests) == n, (len(proxy.requests), n)
                            start = time.perf_counter()
                            body = http.post("/graphql", json=request).json()
                            warm.append(time.perf_counter() - start)
                            assert all(
                                r["fromCache"] for r in body["data"]["multiQuery"]["results"]
                            )
            started = time.perf_counter()
            for i in range(n):
                pyvo.dal.TAPService(f"{proxy_url}/a{i}/tap").run_sync(adql(2.0), maxrec=10000)
            serial = time.perf_counter() - started
            p50, w50 = statistics.median(cold), statistics.median(warm)
            print(
                f"{n:>3} {p50 * 1000:>10.0f}ms {max(cold) * 1000:>10.0f}ms {p50 / latency:>8.2f} "
                f"{serial * 1000:>10.0f}ms {serial / p50:>8.1f}x "
                f"{w50 * 1000:>9.1f}ms {p50 / w50:>11.0f}x"
            )


if __name__ == "__main__":
    main()
