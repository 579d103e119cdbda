"""Job latency, throughput and bursts on arq: createJob -> EXECUTING event, job end -> COMPLETED
event (alone, and beside a paced load of jobs from another client), jobs per second through
GraphQL and through the service, CPU per job, and bursts of
queued jobs with and without a CPU hog beside them; then the floor (bare PostgreSQL and Redis).

Everything is real and separate: PostgreSQL (a database made for the run) or SQLite, Redis
(db 10 here), the gateway as an ``esap-graphql serve`` process, workers as ``esap-graphql
worker`` processes, and a GraphQL client that creates jobs over HTTP and hears their phases
over a graphql-transport-ws subscription (``myJobs``). The job is ``test.sleep`` with
seconds = 0: trivial work, so the figures are the machinery's.

    .venv/bin/python benchmarks/jobs.py [--jobs 1000] [--workers 4] [--bursts 500 2000]
        [--repeat 2] [--database-url URL | --sqlite] [--load-rate 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import redis
import websockets
from gateway_process import free_port, gateway_process
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = "redis://127.0.0.1:6379/10"
GRAPHQL_TRANSPORT_WS: Any = "graphql-transport-ws"
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
    """The gateway and ``workers`` worker processes; yields the gateway URL and the process
    ids, the gateway's first, when all are up."""
    started: list[subprocess.Popen[bytes]] = []
    with gateway_process(env=env, log=logs / "gateway.log", port=port) as (base, gateway):
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
            yield base, [gateway, *(process.pid for process in started)]
        finally:
            for process in started:
                process.terminate()
            for process in started:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


@contextlib.asynccontextmanager
async def events(base: str) -> AsyncIterator[asyncio.Queue[tuple[float, float, dict[str, Any]]]]:
    """Every myJobs event with its arrival time (perf_counter, wall clock)."""
    queue: asyncio.Queue[tuple[float, float, dict[str, Any]]] = asyncio.Queue()
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


@contextlib.asynccontextmanager
async def lean_events(
    base: str,
) -> AsyncIterator[asyncio.Queue[tuple[float, float, dict[str, Any]]]]:
    """As ``events``, on a bare graphql-transport-ws exchange (the websockets library and
    ``json``): the load generator's own CPU stays small beside the system it measures."""
    queue: asyncio.Queue[tuple[float, float, dict[str, Any]]] = asyncio.Queue()
    async with websockets.connect(
        base.replace("http", "ws", 1) + "/graphql", subprotocols=[GRAPHQL_TRANSPORT_WS]
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        query = "subscription { myJobs { jobId phase } }"
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))

        async def listen() -> None:
            async for message in socket:
                event = json.loads(message)
                if event["type"] == "next":
                    queue.put_nowait(
                        (time.perf_counter(), time.time(), event["payload"]["data"]["myJobs"])
                    )

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.5)  # the server registers the subscription
        try:
            yield queue
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class LeanCreator:
    """``createJob`` over kept-alive HTTP/1.1 connections written by hand (one request at a
    time on each), for the same reason as ``lean_events``."""

    def __init__(self, base: str, connections: int) -> None:
        self._host, port = base.removeprefix("http://").split(":")
        self._port = int(port)
        body = json.dumps({"query": CREATE}).encode()
        self._request = (
            f"POST /graphql HTTP/1.1\r\nHost: {self._host}:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        self._count = connections
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]]
        self._idle = asyncio.Queue()

    async def __aenter__(self) -> LeanCreator:
        for _ in range(self._count):
            self._idle.put_nowait(await asyncio.open_connection(self._host, self._port))
        return self

    async def __aexit__(self, *_: object) -> None:
        while not self._idle.empty():
            self._idle.get_nowait()[1].close()

    async def create(self) -> str:
        reader, writer = connection = await self._idle.get()
        writer.write(self._request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        body = json.loads(await reader.readexactly(length))
        self._idle.put_nowait(connection)
        job_id: str = body["data"]["createJob"]["id"]
        return job_id


async def lean_throughput(
    base: str, jobs: int, pids: list[int], concurrency: int = 32
) -> tuple[float, dict[str, float]]:
    """As ``throughput``, with the lean load generator (``LeanCreator``, ``lean_events``)."""
    async with LeanCreator(base, concurrency) as creator, lean_events(base) as queue:
        return await completion_rate(creator.create, queue, jobs, pids)


async def completion_rate(
    create: Callable[[], Awaitable[str]],
    queue: asyncio.Queue[tuple[float, float, dict[str, Any]]],
    jobs: int,
    pids: list[int],
) -> tuple[float, dict[str, float]]:
    """Create ``jobs`` jobs at once (``create`` bounds how many are in flight) and hear their
    COMPLETED events on ``queue``: jobs per second from the first creation to the last event,
    and the CPU milliseconds per job of each process meanwhile (``cpu_per_job``)."""
    done = set[str]()
    cpu = cpu_per_job(pids, jobs)
    started = time.perf_counter()
    creating = asyncio.gather(*(create() for _ in range(jobs)))
    last = started
    while len(done) < jobs:
        arrived, _, event = await queue.get()
        if event["phase"] == "COMPLETED":
            done.add(event["jobId"])
            last = arrived
    await creating
    return jobs / (last - started), cpu()


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
            if job["endTime"] is not None:  # a load job still running
                ends[job["id"]] = datetime.fromisoformat(job["endTime"]).timestamp()
    # under a background load, jobs(last: N) lists load jobs too: only the probes count
    probes = [j for j in received_completed if j in ends]
    to_completed = [(received_completed[j] - ends[j]) * 1000 for j in probes]
    return to_executing, to_completed


async def paced_load(base: str, rate: float, seconds: float) -> None:
    """Create jobs through GraphQL at ``rate`` per second for ``seconds`` (run as its own
    process by ``background_load``, so that its work does not delay the probe's client)."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        started = time.perf_counter()
        tasks: set[asyncio.Task[str]] = set()
        sent = 0
        while (elapsed := time.perf_counter() - started) < seconds:
            due = sent / rate
            if due > elapsed:
                await asyncio.sleep(due - elapsed)
            task = asyncio.create_task(create(http))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
        await asyncio.gather(*tasks)


@contextlib.contextmanager
def background_load(base: str, rate: float) -> Iterator[None]:
    """Another process creating jobs at ``rate`` per second until the block ends."""
    command = [sys.executable, __file__, "--paced-load", base, str(rate), "3600"]
    process = subprocess.Popen(command, cwd=ROOT / "benchmarks")
    try:
        time.sleep(2)  # the load reaches its pace
        yield
    finally:
        process.terminate()
        process.wait(timeout=20)


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL server process alive now (this machine's server)."""
    total = 0.0
    for process in psutil.process_iter(["name", "cpu_times"]):
        if process.info["name"] == "postgres" and process.info["cpu_times"] is not None:
            total += process.info["cpu_times"].user + process.info["cpu_times"].system
    return total


def cpu_per_job(pids: list[int], jobs: int) -> Callable[[], dict[str, float]]:
    """Start counting CPU time: this process, the gateway, the workers, Redis, PostgreSQL;
    the returned function gives each one's milliseconds per job since then."""
    client = redis.Redis.from_url(REDIS_URL)

    def now() -> list[float]:
        return [
            time.process_time(),
            cpu_seconds(pids[0]),
            sum(cpu_seconds(pid) for pid in pids[1:]),
            redis_cpu_seconds(client),
            postgres_cpu_seconds(),
        ]

    before = now()

    def since() -> dict[str, float]:
        names = ("client", "gateway", "workers", "redis", "postgres")
        return {
            name: (b - a) * 1000 / jobs for name, a, b in zip(names, before, now(), strict=True)
        }

    return since


async def throughput(
    base: str, jobs: int, pids: list[int], concurrency: int = 32
) -> tuple[float, dict[str, float]]:
    """Jobs per second, from the first createJob to the last COMPLETED event, and the CPU
    milliseconds per job of each process meanwhile (``cpu_per_job``)."""
    async with (
        httpx.AsyncClient(
            base_url=base, timeout=60, limits=httpx.Limits(max_connections=concurrency)
        ) as http,
        events(base) as queue,
    ):
        semaphore = asyncio.Semaphore(concurrency)

        async def one() -> str:
            async with semaphore:
                return await create(http)

        return await completion_rate(one, queue, jobs, pids)


async def in_process_gateway(env: dict[str, str]) -> Any:
    """A gateway's process context in this process (the benchmark acting as the gateway)."""
    from esap_graphql.config import Settings
    from esap_graphql.factory import gateway_context

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return await gateway_context(Settings())
    finally:
        os.environ.clear()
        os.environ.update(saved)


def redis_cpu_seconds(client: redis.Redis) -> float:
    """CPU time the Redis server has used so far."""
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def worker_throughput(
    env: dict[str, str], jobs: int, worker_pids: list[int], concurrency: int = 64
) -> dict[str, float]:
    """Jobs per second the workers get through when jobs are submitted straight to the job
    service (this process acting as the gateway, without HTTP and GraphQL in the way); the CPU
    milliseconds per job of this process, of all the workers and of Redis meanwhile; and
    create -> EXECUTING event (heard back through Redis) under that load, p50 and p99."""
    from esap_graphql.domain.users import LOCAL_USER
    from esap_graphql.domain.uws import ExecutionPhase

    process = await in_process_gateway(env)
    service = process.jobs
    client = redis.Redis.from_url(REDIS_URL)
    sent: dict[str, float] = {}
    to_executing: list[float] = []
    try:
        async with process.jobs.events(LOCAL_USER) as subscription:
            semaphore = asyncio.Semaphore(concurrency)

            async def one() -> None:
                async with semaphore:
                    began = time.perf_counter()
                    job = await service.create(LOCAL_USER, "test.sleep", {}, run=True)
                    sent[job.id] = began

            started = time.perf_counter()
            cpu_before = (
                time.process_time(),
                sum(map(cpu_seconds, worker_pids)),
                redis_cpu_seconds(client),
            )
            creator = asyncio.gather(*(one() for _ in range(jobs)))
            done = 0
            executing: dict[str, float] = {}
            async for event in subscription:
                if event.phase is ExecutionPhase.EXECUTING:
                    executing[event.job_id] = time.perf_counter()
                elif event.phase is ExecutionPhase.COMPLETED:
                    done += 1
                    if done == jobs:
                        break
            elapsed = time.perf_counter() - started
            submitter = (time.process_time() - cpu_before[0]) * 1000 / jobs
            workers = (sum(map(cpu_seconds, worker_pids)) - cpu_before[1]) * 1000 / jobs
            redis_cpu = (redis_cpu_seconds(client) - cpu_before[2]) * 1000 / jobs
            await creator
            # an EXECUTING event can arrive before create() has returned the job's id
            to_executing = [(executing[j] - sent[j]) * 1000 for j in sent if j in executing]
    finally:
        client.close()
        await process.aclose()
    return {
        "rate": jobs / elapsed,
        "submitter": submitter,
        "workers": workers,
        "redis": redis_cpu,
        "exec_p50": statistics.median(to_executing),
        "exec_p99": percentile(to_executing, 99),
    }


@contextlib.contextmanager
def cpu_hog(on: bool) -> Iterator[None]:
    """A process that spins on one core while the block runs (when ``on``)."""
    if not on:
        yield
        return
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        hog.kill()
        hog.wait()


async def burst(
    env: dict[str, str], size: int, worker_pids: list[int], clients: int = 16
) -> dict[str, float]:
    """``size`` jobs created by ``clients`` concurrent callers of the service as fast as they
    go; the time until the last one ended, the largest gap between two endings (a stall shows
    there), the longest a job waited QUEUED, how many jobs ran more than once, and the CPU
    milliseconds per job of this process (the gateway here) and of the workers."""
    from sqlalchemy import select

    from esap_graphql.domain.users import LOCAL_USER
    from esap_graphql.domain.uws import ExecutionPhase
    from esap_graphql.storage.database import create_engine, database_url
    from esap_graphql.storage.job_tables import JobRow

    process = await in_process_gateway(env)
    service = process.jobs
    ids: list[str] = []
    ends: list[float] = []
    try:
        async with service.events(LOCAL_USER) as subscription:
            started = time.perf_counter()
            cpu_before = time.process_time(), sum(map(cpu_seconds, worker_pids))

            async def caller(count: int) -> None:
                for _ in range(count):
                    ids.append((await service.create(LOCAL_USER, "test.sleep", {}, run=True)).id)

            async def callers() -> float:
                await asyncio.gather(*(caller(size // clients) for _ in range(clients)))
                return time.perf_counter() - started

            creating = asyncio.ensure_future(callers())
            total = size // clients * clients
            async for event in subscription:
                if event.phase is ExecutionPhase.COMPLETED:
                    ends.append(time.perf_counter() - started)
                    if len(ends) == total:
                        break
            created = await creating
            submitter = (time.process_time() - cpu_before[0]) * 1000 / total
            workers = (sum(map(cpu_seconds, worker_pids)) - cpu_before[1]) * 1000 / total
    finally:
        await process.aclose()
    table = JobRow.__table__  # type: ignore[attr-defined]
    engine = create_engine(database_url(env.get("ESAP_DATABASE_URL"), Path(env["ESAP_DATA_DIR"])))
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(table.c.creation_time, table.c.start_time, table.c.attempts).where(
                        table.c.id.in_(ids)
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    waits = [(r.start_time - r.creation_time).total_seconds() for r in rows]
    gaps = [b - a for a, b in zip([0.0, *ends], ends, strict=False)]
    return {
        "jobs": total,
        "created": created,
        "ended": ends[-1],
        "gap": max(gaps),
        "wait": max(waits),
        "reruns": sum(1 for r in rows if r.attempts > 1),
        "submitter": submitter,
        "workers": workers,
    }


async def floor_postgres(url: str, jobs: int, concurrency: int = 16) -> tuple[float, float]:
    """Bare asyncpg, no gateway: per job one INSERT and two compare-and-set UPDATEs (the
    durable writes of a job's life), ``concurrency`` at once; jobs/s and client CPU ms/job."""
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    try:
        await pool.execute(
            "CREATE TABLE IF NOT EXISTS floor_jobs (id text primary key, phase text)"
        )
        await pool.execute("TRUNCATE floor_jobs")
        semaphore = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with semaphore, pool.acquire() as conn:
                await conn.execute("INSERT INTO floor_jobs VALUES ($1, 'QUEUED')", str(i))
                await conn.execute(
                    "UPDATE floor_jobs SET phase='EXECUTING' WHERE id=$1 AND phase='QUEUED'",
                    str(i),
                )
                await conn.execute(
                    "UPDATE floor_jobs SET phase='COMPLETED' WHERE id=$1 AND phase='EXECUTING'",
                    str(i),
                )

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(i) for i in range(jobs)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        await pool.execute("DROP TABLE floor_jobs")
    finally:
        await pool.close()
    return jobs / elapsed, cpu * 1000 / jobs


async def floor_redis(jobs: int, concurrency: int = 16) -> tuple[float, float, float]:
    """Bare Redis, no gateway: the Redis round trips of one job's life here (the enqueue
    script, the claim script, arq's two pipelines and three phase events), ``concurrency``
    jobs at once from one process; jobs/s, client and Redis CPU ms per job."""
    from arq.connections import ArqRedis

    from esap_graphql.messaging.arq_queue import CLAIM_SCRIPT, ENQUEUE_SCRIPT

    client = ArqRedis.from_url(REDIS_URL)
    sync = redis.Redis.from_url(REDIS_URL)
    enqueue, claim = client.register_script(ENQUEUE_SCRIPT), client.register_script(CLAIM_SCRIPT)
    prefix = f"floor-{os.getpid()}"
    semaphore = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with semaphore:
            key = f"{prefix}:job:{i}"
            await enqueue(
                keys=[
                    key,
                    f"{prefix}:result:{i}",
                    f"{prefix}:queue",
                    f"{prefix}:ready",
                    f"{prefix}:retry:{i}",
                ],
                args=[b"{}", 60_000, str(i), 0, str(i), 10_000],
            )
            await client.publish(f"{prefix}:events", b"{}")
            await claim(keys=[f"{prefix}:queue"], args=[1, 1, f"{prefix}:progress:", 60_000])
            async with client.pipeline(transaction=True) as pipe:
                pipe.get(key).incr(f"{prefix}:retry:{i}").expire(f"{prefix}:retry:{i}", 60)
                await pipe.execute()
            await client.publish(f"{prefix}:events", b"{}")
            async with client.pipeline(transaction=True) as pipe:
                pipe.delete(f"{prefix}:progress:{i}", key, f"{prefix}:retry:{i}")
                await pipe.execute()
            await client.publish(f"{prefix}:events", b"{}")

    try:
        started, cpu, server = time.perf_counter(), time.process_time(), redis_cpu_seconds(sync)
        await asyncio.gather(*(one(i) for i in range(jobs)))
        elapsed = time.perf_counter() - started
        cpu, server = time.process_time() - cpu, redis_cpu_seconds(sync) - server
    finally:
        for key in sync.scan_iter(f"{prefix}*"):
            sync.delete(key)
        sync.close()
        await client.aclose()
    return jobs / elapsed, cpu * 1000 / jobs, server * 1000 / jobs


ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@contextlib.contextmanager
def bench_database(url: str | None, sqlite: bool) -> Iterator[str | None]:
    """The database URL of the run: SQLite (None), the given one, or a PostgreSQL database
    made for the run and dropped afterwards."""
    if sqlite or url:
        yield url
        return
    name = f"esap_bench_jobs_{os.getpid()}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run(args: argparse.Namespace) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    with bench_database(args.database_url, args.sqlite) as url:
        print(
            f"# {args.jobs} trivial jobs (test.sleep, 0 s), {args.workers} worker processes "
            f"of {args.concurrency} slots; database: {'PostgreSQL' if url else 'SQLite'}; "
            f"{os.cpu_count()} CPUs, load average before: {os.getloadavg()[0]:.1f}"
        )
        with tempfile.TemporaryDirectory() as tmp:
            prefix = f"bench-{os.getpid()}"
            env = dict(
                os.environ,
                ESAP_DATA_DIR=str(Path(tmp) / "data"),
                ESAP_REDIS_URL=REDIS_URL,
                ESAP_REDIS_PREFIX=prefix,
                ESAP_JOB_MAX_UNFINISHED=str(10 * max(args.jobs, *args.bursts)),
                ESAP_JOB_CONCURRENCY=str(args.concurrency),
                ESAP_LOG_LEVEL="WARNING",
            )
            if url:
                env["ESAP_DATABASE_URL"] = url
            try:
                with processes(env, args.workers, free_port(), Path(tmp)) as (base, pids):
                    worker_pids = pids[1:]
                    if not args.bursts_only:
                        executing, completed = asyncio.run(latency(base, args.latency_jobs))
                        print(
                            f"one job at a time: createJob->EXECUTING p50 "
                            f"{statistics.median(executing):.1f} ms p99 "
                            f"{percentile(executing, 99):.1f} ms | end->COMPLETED p50 "
                            f"{statistics.median(completed):.1f} ms p99 "
                            f"{percentile(completed, 99):.1f} ms",
                            flush=True,
                        )
                        with background_load(base, args.load_rate):
                            loaded, _ = asyncio.run(latency(base, args.latency_jobs))
                        print(
                            f"one job at a time beside {args.load_rate:.0f} jobs/s created by "
                            f"another client: createJob->EXECUTING p50 "
                            f"{statistics.median(loaded):.1f} ms p99 "
                            f"{percentile(loaded, 99):.1f} ms",
                            flush=True,
                        )
                        rate, cpu = asyncio.run(throughput(base, args.jobs, pids))
                        print(
                            f"through GraphQL: {rate:.0f} jobs/s; CPU per job: "
                            + ", ".join(f"{name} {ms:.2f} ms" for name, ms in cpu.items())
                            + f"; all {sum(cpu.values()):.2f} ms, so at most "
                            f"{os.cpu_count() or 1} CPUs / {sum(cpu.values()):.2f} ms = "
                            f"{1000 * (os.cpu_count() or 1) / sum(cpu.values()):.0f} jobs/s",
                            flush=True,
                        )
                        rate, cpu = asyncio.run(lean_throughput(base, args.jobs, pids))
                        print(
                            f"through GraphQL, lean load generator: {rate:.0f} jobs/s; CPU per "
                            "job: "
                            + ", ".join(f"{name} {ms:.2f} ms" for name, ms in cpu.items())
                            + f"; all but the client {sum(cpu.values()) - cpu['client']:.2f} ms",
                            flush=True,
                        )
                        direct = asyncio.run(worker_throughput(env, args.jobs, worker_pids))
                        print(
                            f"through the service: {direct['rate']:.0f} jobs/s; create->EXECUTING "
                            f"under that load p50 {direct['exec_p50']:.1f} ms p99 "
                            f"{direct['exec_p99']:.1f} ms; CPU per job: submitter "
                            f"{direct['submitter']:.1f} ms, workers {direct['workers']:.1f} ms, "
                            f"Redis {direct['redis']:.2f} ms",
                            flush=True,
                        )
                    for hog in (False, True):
                        with cpu_hog(hog):
                            for size in args.bursts:
                                for _ in range(args.repeat):
                                    b = asyncio.run(burst(env, size, worker_pids))
                                    print(
                                        f"burst of {b['jobs']:.0f}{' + CPU hog' if hog else ''}:"
                                        f" created in {b['created']:.1f} s, all ended at "
                                        f"{b['ended']:.1f} s ({b['jobs'] / b['ended']:.0f} "
                                        f"jobs/s), largest gap between endings "
                                        f"{b['gap']:.2f} s, longest QUEUED {b['wait']:.1f} s, "
                                        f"run twice: {b['reruns']:.0f}; CPU per job: "
                                        f"submitter {b['submitter']:.1f} ms, workers "
                                        f"{b['workers']:.1f} ms",
                                        flush=True,
                                    )
            finally:
                for pattern in (f"{prefix}*", "arq:*"):
                    for key in client.scan_iter(pattern):
                        client.delete(key)
        if url:
            pg_rate, pg_cpu = asyncio.run(floor_postgres(url, args.jobs))
            print(
                f"floor, bare asyncpg (INSERT + 2 UPDATEs per job, 16 at once): "
                f"{pg_rate:.0f} jobs/s, client CPU {pg_cpu:.2f} ms/job"
            )
    redis_rate, redis_client, redis_server = asyncio.run(floor_redis(args.jobs))
    print(
        f"floor, bare Redis (a job's 9 round trips, 16 at once): {redis_rate:.0f} jobs/s, "
        f"client CPU {redis_client:.2f} ms/job, Redis CPU {redis_server:.2f} ms/job"
    )
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--latency-jobs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=10, help="jobs per worker at once")
    parser.add_argument("--bursts", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--repeat", type=int, default=2, help="times each burst is sent")
    parser.add_argument("--bursts-only", action="store_true", help="skip latency and rates")
    parser.add_argument("--database-url", help="default: a PostgreSQL database for the run")
    parser.add_argument("--sqlite", action="store_true", help="the embedded SQLite instead")
    parser.add_argument(
        "--load-rate", type=float, default=50, help="jobs/s of the load beside the probe"
    )
    parser.add_argument("--paced-load", nargs=3, help=argparse.SUPPRESS)  # BASE RATE SECONDS
    args = parser.parse_args()
    if args.paced_load:
        base, rate, seconds = args.paced_load
        asyncio.run(paced_load(base, float(rate), float(seconds)))
        return
    run(args)


if __name__ == "__main__":
    main()
