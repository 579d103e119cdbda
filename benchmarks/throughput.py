"""Requests per second and tail latency of the archive list, one gateway process and two.

    .venv/bin/python benchmarks/throughput.py [--duration 15] [--connections 32]

Runs ``esap-graphql serve`` (``--workers 1`` and ``--workers 2``) with the shipped catalogue
and drives it with ``wrk`` (Debian's package: ``apt-get install wrk``) posting
``{ archives { id name datasets { id name protocol } } }``. Prints req/s and the 50th, 90th
and 99th percentile latencies. Targets (issue 14): >= 1,500 req/s with p99 <= 30 ms for one
process, >= 2,500 req/s for two, at 32 connections on a 2-core machine.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gateway_process import running_gateway

QUERY = "{ archives { id name datasets { id name protocol } } }"
SCRIPT = (
    'wrk.method = "POST"\n'
    f'wrk.body = \'{{"query": "{QUERY}"}}\'\n'
    'wrk.headers["Content-Type"] = "application/json"\n'
)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, *, connections: int, duration: int, threads: int) -> dict[str, float]:
    """One wrk run: req/s and latency percentiles (ms)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(SCRIPT)
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{duration}s",
                "--latency",
                "-s",
                script.name,
                f"{url}/graphql",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "90", "99"):
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        figures[f"p{pct}"] = _ms(value, unit)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["non_2xx"] = float(errors.group(1)) if errors else 0.0
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if socket_errors:
        print(f"  wrk: socket errors {socket_errors.group(1)}")
    return figures


async def _cpu_per_request(metrics: bool, requests: int) -> float:
    """Microseconds of this process's CPU per request, the app called in-process (ASGI)."""
    import time

    import httpx
    from asgi_lifespan import LifespanManager

    from esap_graphql.app import create_app
    from esap_graphql.config import Settings

    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="esap-cpu-")), metrics=metrics)
    body = {"query": QUERY}
    async with (
        LifespanManager(create_app(settings)) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://localhost"
        ) as client,
    ):
        for _ in range(200):
            await client.post("/graphql", json=body)
        start = time.process_time()
        for _ in range(requests):
            await client.post("/graphql", json=body)
        return (time.process_time() - start) / requests * 1e6


def cpu_figures(requests: int = 3000, rounds: int = 3) -> None:
    """CPU per request with metrics on and off, alternating; the median of each. Unlike
    req/s, CPU time hardly moves with what else the machine runs."""
    import asyncio
    import statistics

    logging.getLogger().setLevel(logging.WARNING)
    runs: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(rounds):
        for metrics in (True, False):
            runs[metrics].append(asyncio.run(_cpu_per_request(metrics, requests)))
    for metrics, values in runs.items():
        print(
            f"in-process CPU per request (client included), metrics {'on' if metrics else 'off'}:"
            f" {statistics.median(values):.0f} us (runs: {', '.join(f'{v:.0f}' for v in values)})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--no-metrics", action="store_true", help="ESAP_METRICS=false")
    parser.add_argument(
        "--cpu", action="store_true", help="also CPU per request in-process, metrics on and off"
    )
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    print(f"cores: {os.cpu_count()}, load: {os.getloadavg()[0]:.2f}")
    env = {
        "ESAP_DATA_DIR": tempfile.mkdtemp(prefix="esap-throughput-"),
        "ESAP_LOG_LEVEL": "WARNING",
    }
    for workers in options.workers:
        with running_gateway(env=env, args=["--workers", str(workers)]) as url:
            run_wrk(url, connections=options.connections, duration=3, threads=options.threads)
            got = run_wrk(
                url,
                connections=options.connections,
                duration=options.duration,
                threads=options.threads,
            )
        print(
            f"workers={workers} connections={options.connections}: {got['rps']:,.0f} req/s, "
            f"p50 {got['p50']:.1f} ms, p90 {got['p90']:.1f} ms, p99 {got['p99']:.1f} ms, "
            f"non-2xx {got['non_2xx']:.0f}"
        )
    if options.cpu:
        cpu_figures()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
