"""Multi-query wall time against N archives that each answer after a latency L, and the
gateway's CPU per dataset answer.

Each "archive" is a route of a stand-in archive (benchmarks/latency_archive.py,
its own process on plain asyncio) that waits L seconds, then answers with the
local DaCHS TAP service's reply to the query (20 ObsCore rows), recorded once
beforehand in both VOTable serialisations, BINARY and TABLEDATA: N routes
behave as N independent archives instead of queueing on one DaCHS, and cost
the 2-core machine almost nothing but their latency. The gateway runs as its
own process (`esap-graphql serve`), as in production, one process for the
whole run.

It prints, side by side:

1. For N = 1, 10, 50, 200 (BINARY answers): the gateway's multi-query wall
   time as a ratio to L; the floor, the same N answers fetched over raw asyncio
   HTTP/1.1 and read by the gateway's reader in this process with no gateway at
   all; the same N queries one after another with pyvo (as in a notebook, up to
   ``--serial-max``); a repeated multi-query answered from the gateway's cache.
   The first multi-query of each size (new connections) is reported apart.
2. The gateway's CPU per dataset answer (its threads' CPU time, in nanoseconds,
   from /proc over cold multi-queries of ``--cpu-n`` datasets), for BINARY and
   TABLEDATA, with a breakdown measured in this process: reading the answer
   (``votable_to_result``), the HTTP exchange (``ServiceClients.fetch``, httpx,
   with the egress guard and the answer budget, against a zero-latency
   archive, on uvloop as in the gateway) beside a raw asyncio exchange (the
   floor), and the rest (GraphQL, the query service, uvicorn, the event loop)
   as the difference.
3. A multi-query over 10 VO + 10 REST/JSON datasets (issue 12).

    .venv/bin/python benchmarks/multi_query.py [--latency 0.3] [--repeat 5] \\
        [--sizes 1,10,50,200] [--cpu-n 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pyvo
import uvloop

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from gateway_process import free_port, gateway_cpu, running_gateway  # noqa: E402

QUERY = """query($d: [ID!], $r: Float) {
  multiQuery(datasets: $d, params: {ra: 200, dec: 50, radius: $r}, pageSize: 20) {
    elapsedMs results { status totalCount fromCache rows { id ra dec accessUrl } } } }"""

VOTABLE = "application/x-votable+xml"
#: What DaCHS is asked for to get each serialisation (the first that works).
_FORMATS = {
    "BINARY": ["votable"],
    "TABLEDATA": ["votabletd", "application/x-votable+xml;serialization=TABLEDATA"],
}


def adql(radius: float, top: int | None = None) -> str:
    return (
        f"SELECT {f'TOP {top} ' if top else ''}* FROM ivoa.obscore "
        "WHERE CONTAINS(POINT('ICRS', s_ra, s_dec), "
        f"CIRCLE('ICRS', 200.0, 50.0, {radius!r})) = 1 AND obs_collection = 'esaptest-images'"
    )


def _dataset(prefix: str, base: str, i: int, route: str) -> list[str]:
    return [
        f"  - id: {prefix}-{i}",
        f"    name: Archive {prefix} {i}",
        "    datasets:",
        f"      - id: {prefix}-{i}",
        f"        name: Dataset {prefix} {i}",
        "        protocol: tap",
        f"        access_url: {base}/{route}{i}/tap",
        "        table: ivoa.obscore",
        "        collection: esaptest-images",
    ]


def catalogue(base: str, n: int, rest: int = 0) -> str:
    """``n`` TAP datasets answering BINARY (ds-i) and ``n`` answering TABLEDATA (td-i), and
    ``rest`` REST/JSON ones (rest-i)."""
    from discovery import REST_HTTP

    lines = ["archives:"]
    for i in range(n):
        lines += _dataset("ds", base, i, "a")
        lines += _dataset("td", base, i, "t")
    for i in range(rest):
        lines += [
            f"  - id: rest-{i}",
            f"    name: REST archive {i}",
            "    datasets:",
            f"      - id: rest-{i}",
            f"        name: REST dataset {i}",
            "        protocol: http",
            f"        access_url: {base}/r{i}/altapi/dataproducts",
        ]
        lines += REST_HTTP.rstrip("\n").split("\n")
    return "\n".join(lines) + "\n"


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


@contextlib.contextmanager
def latency_archive(
    body: Path,
    latency: float,
    content_type: str = VOTABLE,
    routes: Sequence[tuple[str, Path, str]] = (),
) -> Iterator[str]:
    """The stand-in archive process; yields its base URL."""
    port = free_port()
    command = [
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
    for prefix, file, kind in routes:
        command += ["--route", prefix, str(file), kind]
    proc = subprocess.Popen(command)
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


def record_answers() -> tuple[dict[str, bytes], str]:
    """The archive's answer in each serialisation, and where it came from."""
    answers: dict[str, bytes] = {}
    with contextlib.suppress(httpx.HTTPError):
        for name, formats in _FORMATS.items():
            for response_format in formats:
                answer = httpx.post(
                    "http://localhost:8080/tap/sync",
                    data={
                        "REQUEST": "doQuery",
                        "LANG": "ADQL",
                        "QUERY": adql(2.0, top=20),
                        "MAXREC": "10000",
                        "RESPONSEFORMAT": response_format,
                    },
                    timeout=60,
                )
                if answer.status_code == 200 and f"<{name}>".encode() in answer.content:
                    answers[name] = answer.content
                    break
    if len(answers) == len(_FORMATS):
        return answers, "the local DaCHS (TOP 20 of the ObsCore cone)"
    # DaCHS is down: the recorded answer of the tests, in both serialisations
    recorded = (ROOT / "tests/data/votables/tap-obscore.xml").read_bytes()
    return {"BINARY": recorded, "TABLEDATA": as_tabledata(recorded)}, (
        "tests/data/votables/tap-obscore.xml (DaCHS unreachable; TABLEDATA by astropy)"
    )


def as_tabledata(content: bytes) -> bytes:
    """A VOTable re-serialised as TABLEDATA by astropy."""
    import io

    from astropy.io.votable import parse

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        votable = parse(io.BytesIO(content), verify="ignore")
        out = io.BytesIO()
        votable.to_xml(out, tabledata_format="tabledata")
    return out.getvalue()


# ---- in-process measurements (no gateway) ---------------------------------------------------


def read_cpu(body: bytes, rounds: int = 300) -> float:
    """CPU seconds to read one answer with the gateway's reader (header cache warm, as in a
    running gateway)."""
    from pyvo.dal.tap import TAPResults

    from esap_graphql.connectors.votable import votable_to_result

    def once() -> None:
        votable_to_result(
            body, url="http://x/tap/sync", native_query="", field_map={}, limit=10000,
            results_class=TAPResults,
        )  # fmt: skip

    once()
    start = time.process_time()
    for _ in range(rounds):
        once()
    return (time.process_time() - start) / rounds


_FORM = {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": adql(2.0), "MAXREC": "10000"}


async def _httpx_rounds(base: str, n: int, rounds: int) -> float:
    from esap_graphql.connectors.answer_budget import AnswerBudget
    from esap_graphql.connectors.egress import EgressPolicy
    from esap_graphql.connectors.http import ServiceClients

    clients = ServiceClients(
        timeout=httpx.Timeout(30, connect=10),
        per_service=4,
        headers={"User-Agent": "benchmark"},
        ssl_context=httpx.create_ssl_context(),
        policy=EgressPolicy(),
        budget=AnswerBudget(256 * 2**20),
    )
    urls = [f"{base}/a{i}/tap/sync" for i in range(n)]

    async def round_trip() -> None:
        await asyncio.gather(
            *(clients.fetch(url, "POST", url, data=_FORM, timeout=30) for url in urls)
        )

    try:
        await round_trip()  # connections opened
        start = time.process_time()
        for _ in range(rounds):
            await round_trip()
        return (time.process_time() - start) / (rounds * n)
    finally:
        await clients.aclose()


def _request_bytes(host: str, path: str) -> bytes:
    body = httpx.QueryParams(_FORM).__str__().encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip, deflate\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _raw_fetch(
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes
) -> bytes:
    reader, writer = connection
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return await reader.readexactly(length)


async def _raw_connections(
    base: str, n: int
) -> tuple[list[tuple[asyncio.StreamReader, asyncio.StreamWriter]], list[bytes]]:
    host, port = base.removeprefix("http://").split(":")
    connections = [await asyncio.open_connection(host, int(port)) for _ in range(n)]
    requests = [_request_bytes(f"{host}:{port}", f"/a{i}/tap/sync") for i in range(n)]
    return connections, requests


async def _raw_rounds(base: str, n: int, rounds: int) -> float:
    """CPU seconds per exchange of raw asyncio HTTP/1.1 on kept-alive connections."""
    connections, requests = await _raw_connections(base, n)
    try:
        await asyncio.gather(*map(_raw_fetch, connections, requests))
        start = time.process_time()
        for _ in range(rounds):
            await asyncio.gather(*map(_raw_fetch, connections, requests))
        return (time.process_time() - start) / (rounds * n)
    finally:
        for _, writer in connections:
            writer.close()


async def _floor(base: str, n: int, rounds: int) -> float:
    """Median wall time of fetching N answers with raw asyncio and reading each with the
    gateway's reader, with no gateway at all."""
    from pyvo.dal.tap import TAPResults

    from esap_graphql.connectors.votable import votable_to_result

    connections, requests = await _raw_connections(base, n)

    async def one(connection: Any, request: bytes) -> None:
        body = await _raw_fetch(connection, request)
        votable_to_result(
            body, url="http://x/tap/sync", native_query="", field_map={}, limit=10000,
            results_class=TAPResults,
        )  # fmt: skip

    times = []
    try:
        for _ in range(rounds + 1):
            start = time.perf_counter()
            await asyncio.gather(*map(one, connections, requests))
            times.append(time.perf_counter() - start)
        return statistics.median(times[1:])
    finally:
        for _, writer in connections:
            writer.close()


# ---- through the gateway --------------------------------------------------------------------


def cold_rounds(
    http: httpx.Client, archive_url: str, ids: list[str], repeat: int, port: str, seed: float
) -> tuple[list[float], list[float], list[float]]:
    """(cold wall times, cached wall times, gateway CPU per cold query), round 0 first."""
    cold: list[float] = []
    warm: list[float] = []
    cpu: list[float] = []
    # a new radius each round: a cold cache; round 0 also opens new connections
    for k in range(repeat + 1):
        request = {"query": QUERY, "variables": {"d": ids, "r": seed + k * 1e-9}}
        before = served(archive_url)
        used = gateway_cpu(port)
        start = time.perf_counter()
        result = http.post("/graphql", json=request).json()
        cold.append(time.perf_counter() - start)
        cpu.append(gateway_cpu(port) - used)
        results = result["data"]["multiQuery"]["results"]
        assert all(r["status"] == "OK" for r in results), results
        assert served(archive_url) - before == len(ids)
        start = time.perf_counter()
        result = http.post("/graphql", json=request).json()
        warm.append(time.perf_counter() - start)
        assert all(r["fromCache"] for r in result["data"]["multiQuery"]["results"])
    return cold, warm, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="1,10,50,200")
    parser.add_argument("--cpu-n", type=int, default=50, help="datasets per CPU measurement")
    parser.add_argument("--serial-max", type=int, default=10, help="largest N run with pyvo")
    parser.add_argument("--rest", type=int, default=10, help="VO + REST datasets of each kind")
    args = parser.parse_args()
    latency = args.latency
    sizes = [int(s) for s in args.sizes.split(",")]
    most = max([*sizes, args.cpu_n, args.rest])
    answers, source = record_answers()
    print(
        f"latency L = {latency * 1000:.0f} ms; answers from {source}: "
        + ", ".join(f"{k} {len(v) / 1000:.1f} kB" for k, v in answers.items())
        + f"; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    )
    from discovery import json_answer

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = {}
        for name, content in answers.items():
            files[name] = tmp / f"{name}.vot"
            files[name].write_bytes(content)
        rest_body = tmp / "rest.json"
        rest_body.write_bytes(json_answer(50))
        routes = [("/t", files["TABLEDATA"], VOTABLE), ("/r", rest_body, "application/json")]
        config = tmp / "catalogue.yaml"
        with (
            latency_archive(files["BINARY"], latency, routes=routes) as archive_url,
            latency_archive(files["BINARY"], 0.0, routes=routes) as instant_url,
        ):
            config.write_text(catalogue(archive_url, most, args.rest), encoding="utf-8")
            env = {
                "ESAP_DATA_DIR": str(tmp / "data"),
                "ESAP_CACHE_TTL": "300",
                "ESAP_CACHE_SIZE": str(4 * most + 64),
            }
            with (
                running_gateway(config=config, env=env) as url,
                httpx.Client(base_url=url, timeout=120) as http,
            ):
                port = url.rsplit(":", 1)[1]
                print("\n1. multi-query, BINARY answers (ratios to L)")
                print(
                    f"{'N':>4} {'first':>7} {'p50':>7} {'max':>7} {'p50/L':>6} {'target':>7} "
                    f"{'floor/L':>8} {'pyvo serial':>12} {'cached p50':>11} {'CPU/dataset':>12}"
                )
                targets = {10: 1.10, 50: 1.25, 200: 2.0}
                for n in sizes:
                    ids = [f"ds-{i}" for i in range(n)]
                    cold, warm, cpu = cold_rounds(
                        http, archive_url, ids, args.repeat, port, 2.0 + n * 1e-6
                    )
                    first, cold, warm, cpu = cold[0], cold[1:], warm[1:], cpu[1:]
                    p50 = statistics.median(cold)
                    floor = asyncio.run(_floor(archive_url, n, 3))
                    if n <= args.serial_max:
                        started = time.perf_counter()
                        for i in range(n):
                            service = pyvo.dal.TAPService(f"{archive_url}/a{i}/tap")
                            service.run_sync(adql(2.0), maxrec=10000)
                        serial = f"{(time.perf_counter() - started) * 1000:>10.0f}ms"
                    else:
                        serial = f"{'-':>12}"
                    target = f"<= {targets[n]:.2f}" if n in targets else ""
                    print(
                        f"{n:>4} {first * 1000:>5.0f}ms {p50 * 1000:>5.0f}ms "
                        f"{max(cold) * 1000:>5.0f}ms {p50 / latency:>6.2f} {target:>7} "
                        f"{floor / latency:>8.2f} {serial} "
                        f"{statistics.median(warm) * 1000:>9.1f}ms "
                        f"{statistics.fmean(cpu) / n * 1000:>10.2f}ms"
                    )

                n = args.cpu_n
                print(f"\n2. gateway CPU per dataset answer (cold multi-queries of {n})")
                totals = {}
                for name, prefix in (("BINARY", "ds"), ("TABLEDATA", "td")):
                    ids = [f"{prefix}-{i}" for i in range(n)]
                    _, _, cpu = cold_rounds(http, archive_url, ids, args.repeat, port, 5.0)
                    totals[name] = statistics.fmean(cpu[1:]) / n

                mixed = [f"ds-{i}" for i in range(args.rest)] + [
                    f"rest-{i}" for i in range(args.rest)
                ]
                cold, warm, cpu = cold_rounds(http, archive_url, mixed, args.repeat, port, 7.0)
                mixed_p50 = statistics.median(cold[1:])

            # the breakdown, in this process, against the zero-latency archive, on uvloop
            # as the gateway (uvicorn) runs
            exchange = uvloop.run(_httpx_rounds(instant_url, n, 10))
            raw = uvloop.run(_raw_rounds(instant_url, n, 10))
        print(
            f"{'answer':>10} {'total':>8} {'read':>8} {'HTTP':>8} {'rest':>8} {'target':>8}"
            f"   (HTTP: httpx + guard + budget; raw asyncio HTTP/1.1 {raw * 1000:.2f} ms)"
        )
        for name, total in totals.items():
            read = read_cpu(answers[name])
            print(
                f"{name:>10} {total * 1000:>6.2f}ms {read * 1000:>6.2f}ms "
                f"{exchange * 1000:>6.2f}ms {(total - read - exchange) * 1000:>6.2f}ms "
                f"{'<= 1.50':>8}"
            )
        print(
            f"\n3. multi-query over {args.rest} VO + {args.rest} REST/JSON datasets: "
            f"first {cold[0] * 1000:.0f} ms, cold p50 {mixed_p50 * 1000:.0f} ms "
            f"(max {max(cold[1:]) * 1000:.0f}), p50 / L = {mixed_p50 / latency:.2f} "
            f"(target <= 1.15); CPU {statistics.fmean(cpu[1:]) * 1000:.0f} ms per query"
        )


if __name__ == "__main__":
    main()
