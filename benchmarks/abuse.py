"""Hostile archives against a real gateway process: time to refuse, and its memory.

The gateway runs as its own ``esap-graphql serve`` process over a catalogue of
the hostile archives of ``tests/security/hostile.py`` (served from this
process, so their own buffers do not count). For each abuse class the script
prints the time until the gateway answers (a refusal, a typed error, or the
finished job) and the gateway's resident memory before, at its peak (VmHWM,
reset before each class through ``/proc/<pid>/clear_refs``) and one second
after. The gateway's limits are set small enough to show: a 16 MiB cap per
answer and a 64 MiB budget for all answers in flight.

    .venv/bin/python benchmarks/abuse.py [--huge-mib 256]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from gateway_process import gateway_process

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.security.hostile import HostileArchive, catalogue, hostile_archive  # noqa: E402

MIB = 1024**2
ANSWER_CAP = 16 * MIB
ANSWER_BUDGET = 64 * MIB
NAMES = ("ok", "huge", "bomb", "drip", "away", "metadata-result", "canary-result", "huge-result")
QUERY = """query($id: ID!) { dataset(id: $id) { query(params: {}) {
    status totalCount error { __typename code message } } } }"""
JOB = """mutation($p: JSON!) { createJob(type: "query.tap", run: true, parameters: $p) {
    ... on Job { id } ... on Error { message } } }"""
JOB_STATE = """query($id: ID!) { job(id: $id) {
    phase results { name size } error { code message } } }"""


@dataclass
class Memory:
    """Resident memory of a process, read from /proc."""

    pid: int

    def _field(self, name: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
        raise KeyError(name)

    def rss(self) -> int:
        return self._field("VmRSS")

    def reset_peak(self) -> None:
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def peak(self) -> int:
        return self._field("VmHWM")


async def graphql(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> Any:
    answer = await client.post("/graphql", json={"query": query, "variables": variables})
    body = answer.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body["data"]


async def query(client: httpx.AsyncClient, dataset: str) -> str:
    result = (await graphql(client, QUERY, {"id": dataset}))["dataset"]["query"]
    error = result["error"]
    if error is None:
        return f"{result['status']}, {result['totalCount']} rows"
    return f"{error['__typename']} ({error['code']}): {error['message'][:70]}"


async def job(client: httpx.AsyncClient, dataset: str) -> str:
    parameters = {"dataset": dataset, "query": "SELECT * FROM ivoa.obscore"}
    job_id = (await graphql(client, JOB, {"p": parameters}))["createJob"]["id"]
    while True:
        state = (await graphql(client, JOB_STATE, {"id": job_id}))["job"]
        if state["phase"] in {"COMPLETED", "ERROR", "ABORTED"}:
            break
        await asyncio.sleep(0.05)
    if state["phase"] == "COMPLETED":
        sizes = ", ".join(f"{r['name']} {r['size'] / MIB:.0f} MiB" for r in state["results"])
        return f"COMPLETED ({sizes})"
    return f"{state['phase']} ({state['error']['code']}): {state['error']['message'][:60]}"


async def concurrently(client: httpx.AsyncClient, dataset: str, n: int) -> str:
    answers = await asyncio.gather(*(query(client, dataset) for _ in range(n)))
    kinds = sorted({a.split(":")[0] for a in answers})
    counts = (f"{sum(a.startswith(k) for a in answers)} x {k}" for k in kinds)
    return f"{n} answers: " + "; ".join(counts)


async def good_query_times(client: httpx.AsyncClient, n: int = 21) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        await query(client, "ok")
        times.append(time.perf_counter() - started)
    return sorted(times)


async def good_while_dripping(client: httpx.AsyncClient, drips: int) -> str:
    """A good query's latency while ``drips`` queries hang on a drip-fed answer."""
    quiet = await good_query_times(client)
    hanging = [asyncio.create_task(query(client, "drip")) for _ in range(drips)]
    await asyncio.sleep(0.5)
    busy = await good_query_times(client)
    ended = await asyncio.gather(*hanging)
    return (
        f"good query p50 {busy[10] * 1000:.1f} ms (alone {quiet[10] * 1000:.1f} ms), "
        f"max {busy[-1] * 1000:.1f} ms; drips ended: {ended[0][:40]}"
    )


async def main(huge_mib: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, hostile_archive() as archive:
        archive.huge_bytes = huge_mib * MIB
        archive.bomb()  # built before the clock starts: compressing 512 MiB takes seconds
        config = Path(tmp) / "hostile.yaml"
        config.write_text(catalogue(archive, *NAMES))
        env = {
            "ESAP_DATA_DIR": tmp,
            "ESAP_CACHE_TTL": "0",
            "ESAP_MAX_ANSWER_BYTES": str(ANSWER_CAP),
            "ESAP_ANSWER_BUDGET_BYTES": str(ANSWER_BUDGET),
            "ESAP_JOB_REMOTE_POLL_INTERVAL": "0.05",
            "ESAP_LOG_LEVEL": "WARNING",
        }
        with gateway_process(config=config, env=env) as (url, pid):
            async with httpx.AsyncClient(base_url=url, timeout=120) as client:
                await run_classes(client, Memory(pid), archive, huge_mib)


async def run_classes(
    client: httpx.AsyncClient, memory: Memory, archive: HostileArchive, huge_mib: int
) -> None:
    await query(client, "ok")  # warm: imports, connection pools, parse caches
    classes: list[tuple[str, Callable[[], Awaitable[str]]]] = [
        (f"answer of {huge_mib} MiB (cap 16 MiB)", lambda: query(client, "huge")),
        ("gzip bomb, 512 MiB decoded (cap 16 MiB)", lambda: query(client, "bomb")),
        (
            f"8 concurrent answers of {huge_mib} MiB (budget 64 MiB)",
            lambda: concurrently(client, "huge", 8),
        ),
        ("redirect to another host", lambda: query(client, "away")),
        ("async job result on 169.254.169.254", lambda: job(client, "metadata-result")),
        ("async job result on another port", lambda: job(client, "canary-result")),
        (f"async job result of {huge_mib} MiB (to disk)", lambda: job(client, "huge-result")),
        ("10 drip-fed answers (8 s timeout)", lambda: good_while_dripping(client, 10)),
    ]
    print(f"{'abuse class':48} {'answered in':>12} {'RSS before':>11} {'peak':>8} {'after':>8}")
    for name, run in classes:
        before = memory.rss()
        memory.reset_peak()
        started = time.perf_counter()
        outcome = await run()
        elapsed = time.perf_counter() - started
        await asyncio.sleep(1)
        print(
            f"{name:48} {elapsed * 1000:9.0f} ms {before / MIB:8.0f} MiB "
            f"{memory.peak() / MIB:5.0f} MiB {memory.rss() / MIB:5.0f} MiB"
        )
        print(f"    {outcome}")
    print(f"canary requests: {len(archive.canary.hits)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--huge-mib", type=int, default=256, help="size of the huge answers")
    asyncio.run(main(parser.parse_args().huge_mib))
