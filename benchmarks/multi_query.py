"""Multi-query wall time against N archives that each answer after a latency L.

Each "archive" is a route of a stand-in archive (benchmarks/latency_archive.py,
its own process on plain asyncio) that waits L seconds, then answers with the
local DaCHS TAP service's reply to the query, recorded once beforehand: N
routes behave as N independent archives instead of queueing on one DaCHS, and
cost the 2-core machine almost nothing but their latency. The gateway runs as
its own process (`esap-graphql serve`), as in production.

For N = 1, 10, 50 it prints the gateway's multi-query wall time, the ideal
(L), the same N queries run one after another with pyvo (as in a notebook),
and a repeated multi-query answered from the gateway's cache. The first
multi-query after start-up (new connections to every archive) is reported
apart.

    .venv/bin/python benchmarks/multi_query.py [--latency 0.3] [--repeat 5] [--sizes 1,10,50]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pyvo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway_process import free_port, running_gateway  # noqa: E402

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


@contextlib.contextmanager
def latency_archive(
    body: Path, latency: float, content_type: str = "application/x-votable+xml"
) -> Iterator[str]:
    """The stand-in archive process; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "latency_archive.py"),
            "--port",
            str(port),
            "--delay",
            str(latency),
            "--body",
            str(body),
            "--content-type",
            content_type,
        ]
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{url}/count", timeout=1)
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the stand-in archive did not start")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def served(url: str) -> int:
    return int(httpx.get(f"{url}/count", timeout=5).text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="1,10,50")
    args = parser.parse_args()
    latency = args.latency
    sizes = [int(s) for s in args.sizes.split(",")]
    dachs = pyvo.dal.TAPService("http://localhost:8080/tap")
    direct = statistics.median(timed(lambda: dachs.run_sync(adql(2.0))) for _ in range(5))
    answer = httpx.post(
        "http://localhost:8080/tap/sync",
        data={"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": adql(2.0), "MAXREC": "10000"},
        timeout=60,
    )
    answer.raise_for_status()
    print(
        f"latency L = {latency * 1000:.0f} ms; one direct DaCHS query with pyvo: "
        f"{direct * 1000:.1f} ms; the recorded answer: {len(answer.content) / 1000:.0f} kB"
    )
    print(
        f"{'N':>3} {'first':>8} {'gateway p50':>12} {'gateway max':>12} {'p50 / L':>8} "
        f"{'pyvo serial':>12} {'speed-up':>9} {'cached p50':>11} {'cold/cached':>12}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "answer.vot"
        body.write_bytes(answer.content)
        with latency_archive(body, latency) as archive_url:
            for n in sizes:
                path = Path(tmp) / f"catalogue-{n}.yaml"
                path.write_text(catalogue(archive_url, n), encoding="utf-8")
                gateway_env = {
                    "ESAP_DATA_DIR": str(Path(tmp) / f"data-{n}"),
                    "ESAP_CACHE_TTL": "300",
                }
                with (
                    running_gateway(config=path, env=gateway_env) as url,
                    httpx.Client(base_url=url, timeout=120) as http,
                ):
                    ids = [f"ds-{i}" for i in range(n)]
                    cold: list[float] = []
                    warm: list[float] = []
                    # a new radius each round: a cold cache; round 0 also opens the connections
                    for radius in [2.0 + k * 1e-9 for k in range(args.repeat + 1)]:
                        request = {"query": QUERY, "variables": {"d": ids, "r": radius}}
                        before = served(archive_url)
                        start = time.perf_counter()
                        result = http.post("/graphql", json=request).json()
                        cold.append(time.perf_counter() - start)
                        results = result["data"]["multiQuery"]["results"]
                        assert all(r["status"] == "OK" for r in results), results
                        assert served(archive_url) - before == n
                        start = time.perf_counter()
                        result = http.post("/graphql", json=request).json()
                        warm.append(time.perf_counter() - start)
                        assert all(r["fromCache"] for r in result["data"]["multiQuery"]["results"])
                started = time.perf_counter()
                for i in range(n):
                    pyvo.dal.TAPService(f"{archive_url}/a{i}/tap").run_sync(adql(2.0), maxrec=10000)
                serial = time.perf_counter() - started
                first, cold, warm = cold[0], cold[1:], warm[1:]
                p50, w50 = statistics.median(cold), statistics.median(warm)
                print(
                    f"{n:>3} {first * 1000:>6.0f}ms {p50 * 1000:>10.0f}ms "
                    f"{max(cold) * 1000:>10.0f}ms "
                    f"{p50 / latency:>8.2f} {serial * 1000:>10.0f}ms {serial / p50:>8.1f}x "
                    f"{w50 * 1000:>9.1f}ms {p50 / w50:>11.0f}x"
                )


if __name__ == "__main__":
    main()
