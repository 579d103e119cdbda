"""Job latency and throughput on arq: createJob -> EXECUTING event, job end -> COMPLETED event,
and jobs per second with 1 and 4 workers.

Everything is real and separate: Redis (db 10 here), the gateway as an ``esap-graphql serve``
process, workers as ``esap-graphql worker`` processes, and a GraphQL client that creates jobs
over HTTP and hears their phases over a graphql-transport-ws subscription (``myJobs``).
The job is ``test.sleep`` with seconds = 0: trivial work, so the figures are the machinery's.

    .venv/bin/python benchmarks/jobs.py [--jobs 500] [--workers 1 4] [--database-url URL]
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
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import redis
from gateway_process import free_port, running_gateway
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = "redis://127.0.0.1:6379/10"
CREATE = 'mutation { createJob(type: "test.sleep", run: true) { ... on Job { id } } }'


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def worker_count(env: dict[str, str]) -> int:
    """Workers with a heartbeat in the database (each sends one before taking jobs)."""
    from sqlalchemy import text

    from esap_graphql.storage.database import create_engine, database_url

    engine = create_engine(database_url(env.get("ESAP_DATABASE_URL"), Path(env["ESAP_DATA_DIR"])))
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text("SELECT count(*) FROM job_workers"))).scalar_one())
    except Exception:
        return 0
    finally:
        await engine.dispose()


@contextlib.contextmanager
def processes(
    env: dict[str, str], workers: int, port: int, logs: Path
) -> Iterator[tuple[str, list[int]]]:
    """The gateway and ``workers`` worker processes; yields the gateway URL and the workers'
    process ids when all are up."""
    started: list[subprocess.Popen[bytes]] = []
    with running_gateway(env=env, log=logs / "gateway.log", port=port) as base:
        try:
            deadline = time.monotonic() + 60
            for i in range(workers):
                log = logs / f"worker-{i}.log"
                started.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "esap_graphql", "worker"],
                        env=env,
                        stdout=log.open("wb"),
                        stderr=subprocess.STDOUT,
                    )
                )
                while asyncio.run(worker_count(env)) < i + 1:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"worker {i} did not start; see {log}")
                    time.sleep(0.05)
            yield base, [process.pid for process in started]
        finally:
            for process in started:
                process.terminate()
            for process in started:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


@contextlib.asynccontextmanager
async def events(base: str) -> AsyncIterator[asyncio.Queue[tuple[float, dict[str, Any]]]]:
    """Every myJobs event with its arrival time (perf_counter, wall clock)."""
    queue: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
    transport = WebsocketsTransport(
        url=base.replace("http", "ws", 1) + "/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    ready = asyncio.Event()

    async def listen() -> None:
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            subscription = session.subscribe(
                GraphQLRequest("subscription { myJobs { jobId phase } }")
            )
            ready.set()
            async for event in subscription:
                queue.put_nowait((time.perf_counter(), time.time(), event["myJobs"]))

    task = asyncio.create_task(listen())
    await ready.wait()
    await asyncio.sleep(0.5)  # the server registers the subscription
    try:
        yield queue  # type: ignore[misc]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def create(http: httpx.AsyncClient) -> str:
    body = (await http.post("/graphql", json={"query": CREATE})).json()
    job_id: str = body["data"]["createJob"]["id"]
    return job_id


async def latency(base: str, jobs: int) -> tuple[list[float], list[float]]:
    """One job at a time: createJob -> EXECUTING event, job end -> COMPLETED event (ms)."""
    to_executing: list[float] = []
    received_completed: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=base, timeout=30) as http, events(base) as queue:
        for _ in range(jobs):
            sent = time.perf_counter()
            job_id = await create(http)
            while True:
                arrived, wall, event = await queue.get()
                if event["jobId"] != job_id:
                    continue
                if event["phase"] == "EXECUTING":
                    to_executing.append((arrived - sent) * 1000)
                elif event["phase"] == "COMPLETED":
                    received_completed[job_id] = wall
                    break
        ends: dict[str, float] = {}
        listed = (
            await http.post(
                "/graphql", json={"query": f"{{ jobs(last: {jobs}) {{ id endTime }} }}"}
            )
        ).json()["data"]["jobs"]
        for job in listed:
            ends[job["id"]] = datetime.fromisoformat(job["endTime"]).timestamp()
    to_completed = [(received_completed[j] - ends[j]) * 1000 for j in received_completed]
    return to_executing, to_completed


async def throughput(base: str, jobs: int, concurrency: int = 32) -> float:
    """Jobs per second: from the first createJob to the last COMPLETED event."""
    async with (
        httpx.AsyncClient(
            base_url=base, timeout=60, limits=httpx.Limits(max_connections=concurrency)
        ) as http,
        events(base) as queue,
    ):
        pending = set[str]()
        done = set[str]()
        started = time.perf_counter()
        semaphore = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with semaphore:
                pending.add(await create(http))

        creator = asyncio.gather(*(one() for _ in range(jobs)))
        last = started
        while len(done) < jobs:
            arrived, _, event = await queue.get()
            if event["phase"] == "COMPLETED":
                done.add(event["jobId"])
                last = arrived
        await creator
        return jobs / (last - started)


async def worker_throughput(
    env: dict[str, str], jobs: int, worker_pids: list[int], concurrency: int = 64
) -> tuple[float, float, float]:
    """Jobs per second the workers get through when jobs are submitted straight to the job
    service (this process acting as the gateway, without HTTP and GraphQL in the way), and
    the CPU milliseconds per job of this process and of all the workers meanwhile."""
    from esap_graphql.config import Settings
    from esap_graphql.domain.users import LOCAL_USER
    from esap_graphql.domain.uws import ExecutionPhase
    from esap_graphql.factory import gateway_context

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        process = await gateway_context(Settings())
    finally:
        os.environ.clear()
        os.environ.update(saved)
    service = process.jobs
    try:
        async with process.jobs.events(LOCAL_USER) as subscription:
            semaphore = asyncio.Semaphore(concurrency)

            async def one() -> None:
                async with semaphore:
                    await service.create(LOCAL_USER, "test.sleep", {}, run=True)

            started = time.perf_counter()
            cpu_before = time.process_time(), sum(map(cpu_seconds, worker_pids))
            creator = asyncio.gather(*(one() for _ in range(jobs)))
            done = 0
            async for event in subscription:
                if event.phase is ExecutionPhase.COMPLETED:
                    done += 1
                    if done == jobs:
                        break
            elapsed = time.perf_counter() - started
            submitter = (time.process_time() - cpu_before[0]) * 1000 / jobs
            workers = (sum(map(cpu_seconds, worker_pids)) - cpu_before[1]) * 1000 / jobs
            await creator
    finally:
        await process.aclose()
    return jobs / elapsed, submitter, workers


def run(args: argparse.Namespace) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    print(
        f"# {args.jobs} trivial jobs (test.sleep, 0 s); database: {args.database_url or 'SQLite'}"
    )
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as tmp:
            prefix = f"bench-{os.getpid()}-{workers}"
            env = dict(
                os.environ,
                ESAP_DATA_DIR=str(Path(tmp) / "data"),
                ESAP_REDIS_URL=REDIS_URL,
                ESAP_REDIS_PREFIX=prefix,
                ESAP_JOB_MAX_UNFINISHED=str(10 * args.jobs),
                ESAP_JOB_CONCURRENCY=str(args.concurrency),
                ESAP_LOG_LEVEL="WARNING",
            )
            if args.database_url:
                env["ESAP_DATABASE_URL"] = args.database_url
            with processes(env, workers, free_port(), Path(tmp)) as (base, worker_pids):
                executing, completed = asyncio.run(latency(base, args.jobs))
                rate = asyncio.run(throughput(base, args.jobs))
                direct, submitter_cpu, workers_cpu = asyncio.run(
                    worker_throughput(env, args.jobs, worker_pids)
                )
            for pattern in (f"{prefix}*", "arq:*"):
                for key in client.scan_iter(pattern):
                    client.delete(key)
        print(
            f"workers={workers}  createJob->EXECUTING p50 {statistics.median(executing):.1f} ms "
            f"p99 {percentile(executing, 99):.1f} ms | end->COMPLETED p50 "
            f"{statistics.median(completed):.1f} ms p99 {percentile(completed, 99):.1f} ms | "
            f"{rate:.0f} jobs/s through GraphQL, {direct:.0f} jobs/s submitted to the service "
            f"(CPU per job: submitter {submitter_cpu:.1f} ms, workers {workers_cpu:.1f} ms)"
        )
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--concurrency", type=int, default=50, help="jobs per worker at once")
    parser.add_argument("--database-url", help="e.g. postgresql+asyncpg://postgres@127.0.0.1/x")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
