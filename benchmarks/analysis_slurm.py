"""Slurm submission to RUNNING: through a ``batch.slurm`` job of the gateway against
``sbatch`` directly.

- gateway: a GraphQL client sends ``createJob(type: "batch.slurm", run: true)`` over HTTP to
  an ``esap-graphql serve`` process (in-process runner) and waits for the EXECUTING event on
  its ``myJobs`` subscription (graphql-transport-ws). Between the two the gateway stages the
  (empty) basket, submits through slurmrestd and looks at the job every
  ``ESAP_JOB_REMOTE_POLL_INTERVAL`` seconds until Slurm says RUNNING.
- direct: ``sbatch`` (as the cluster user, ``runuser``) and ``squeue`` every ``--interval``
  seconds until it says RUNNING: what a script watching its own job does.

Both poll at the same interval; rounds alternate, and each starts on an idle cluster (Slurm's
own scheduling delay, 0.1 to 1.5 s here, is in both). The job is ``sleep 1``.

    .venv/bin/python benchmarks/analysis_slurm.py [--rounds 15] [--interval 0.1]

Needs the test cluster (``scripts/setup-slurm.sh``) and root (for ``scontrol token`` and
``runuser``). ``measure()`` is what a wider analysis benchmark calls.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import grp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from gateway_process import running_gateway
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

REST_URL = "http://127.0.0.1:6820"
JOB_USER = "esapjob"
PARTITION = "esap"
STAGING_ROOT = Path("/var/lib/esap-slurm/staging")
TOKEN_ENV = "ESAP_BENCH_SLURM_JWT"
CREATE = (
    'mutation { createJob(type: "batch.slurm", run: true, parameters: '
    '{facility: "bench-slurm", command: ["sleep", "1"]}) { ... on Job { id } ... on Error '
    "{ message } } }"
)


def command(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


def catalogue(staging: Path, version: str) -> str:
    return f"""
archives:
  - id: none
    name: No archive
    datasets:
      - {{id: none-ds, name: None, protocol: tap, access_url: "http://none.test/tap",
          table: ivoa.obscore}}
facilities:
  - id: bench-slurm
    name: The test cluster
    kind: slurm
    url: {REST_URL}
    slurm:
      rest_url: {REST_URL}
      api_version: {version}
      jwt_env: {TOKEN_ENV}
      user: {JOB_USER}
      partition: {PARTITION}
      staging_dir: {staging}
"""


async def idle_cluster() -> None:
    """Wait until no job is left on the cluster (each round starts alike)."""
    while True:
        if not (await asyncio.to_thread(command, "squeue", "-h", "-o", "%i")).strip():
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)


async def direct_round(interval: float) -> float:
    """Seconds from ``sbatch`` to ``squeue`` saying RUNNING."""
    start = time.perf_counter()
    out = await asyncio.to_thread(
        command, "runuser", "-u", JOB_USER, "--", "sbatch", "--parsable", "-p", PARTITION,
        "-D", "/tmp", "-o", "/dev/null", "--wrap", "sleep 1",
    )  # fmt: skip
    job_id = out.strip().split(";")[0]
    while True:
        state = await asyncio.to_thread(command, "squeue", "-h", "-j", job_id, "-o", "%T")
        if state.strip() in ("RUNNING", "COMPLETING", "COMPLETED", ""):
            return time.perf_counter() - start
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def phase_events(base: str) -> AsyncIterator[dict[str, dict[str, float]]]:
    """job id -> phase -> arrival time (perf_counter), filled by a ``myJobs`` subscription."""
    seen: dict[str, dict[str, float]] = {}
    ready = asyncio.Event()
    transport = WebsocketsTransport(
        url=base.replace("http", "ws", 1) + "/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:

        async def listen() -> None:
            request = GraphQLRequest("subscription { myJobs { jobId phase } }")
            generator = session.subscribe(request)
            ready.set()
            async for event in generator:
                item = event["myJobs"]
                seen.setdefault(item["jobId"], {})[item["phase"]] = time.perf_counter()

        task = asyncio.create_task(listen())
        await ready.wait()
        await asyncio.sleep(0.3)  # the subscription is registered server-side
        try:
            yield seen
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def gateway_round(
    http: httpx.AsyncClient, seen: dict[str, dict[str, float]]
) -> tuple[float, str]:
    """Seconds from createJob to the EXECUTING event, and the job's final phase."""
    start = time.perf_counter()
    body = (await http.post("/graphql", json={"query": CREATE})).json()
    job_id = body["data"]["createJob"].get("id")
    if job_id is None:
        raise RuntimeError(f"createJob failed: {body}")
    async with asyncio.timeout(120):
        while "EXECUTING" not in seen.get(job_id, {}):
            if {"ERROR", "ABORTED"} & set(seen.get(job_id, {})):
                raise RuntimeError(f"job {job_id} failed: {seen[job_id]}")
            await asyncio.sleep(0.005)
        latency = seen[job_id]["EXECUTING"] - start
        while True:
            if {"COMPLETED", "ERROR", "ABORTED"} & set(seen[job_id]):
                break
            await asyncio.sleep(0.05)
    final = next(p for p in ("COMPLETED", "ERROR", "ABORTED") if p in seen[job_id])
    return latency, final


async def measure(rounds: int = 15, interval: float = 0.1) -> dict[str, Any]:
    """Median and p90 seconds to RUNNING of both paths, and their ratio."""
    version_doc = command("scontrol", "token", f"username={JOB_USER}", "lifespan=7200")
    token = version_doc.strip().removeprefix("SLURM_JWT=")
    headers = {"X-SLURM-USER-NAME": JOB_USER, "X-SLURM-USER-TOKEN": token}
    async with httpx.AsyncClient(timeout=10) as http:
        paths = (await http.get(f"{REST_URL}/openapi/v3", headers=headers)).json()["paths"]
    version = max(
        (p.split("/")[2] for p in paths if p.startswith("/slurm/v0.0.")),
        key=lambda v: int(v.rsplit(".", 1)[1]),
    )
    staging = STAGING_ROOT / f"bench-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    os.chown(staging, -1, grp.getgrnam("esapslurm").gr_gid)
    os.chmod(staging, 0o2770)
    direct: list[float] = []
    ours: list[float] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "catalogue.yaml"
            config.write_text(catalogue(staging, version))
            env = {
                TOKEN_ENV: token,
                "ESAP_DATA_DIR": str(Path(tmp) / "data"),
                "ESAP_JOB_REMOTE_POLL_INTERVAL": str(interval),
                "ESAP_LOG_LEVEL": "WARNING",
            }
            with running_gateway(config=config, env=env, log=Path(tmp) / "gateway.log") as base:
                async with (
                    httpx.AsyncClient(base_url=base, timeout=30) as http,
                    phase_events(base) as seen,
                ):
                    await idle_cluster()
                    await gateway_round(http, seen)  # warm-up: imports, first connections
                    await idle_cluster()
                    await direct_round(interval)
                    for _ in range(rounds):
                        await idle_cluster()
                        direct.append(await direct_round(interval))
                        await idle_cluster()
                        latency, final = await gateway_round(http, seen)
                        if final != "COMPLETED":
                            raise RuntimeError(f"a benchmark job ended {final}")
                        ours.append(latency)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    def summary(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {
            "median": statistics.median(values),
            "p90": ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))],
            "min": ordered[0],
        }

    result = {"rounds": rounds, "interval": interval, "direct": summary(direct)}
    result["gateway"] = summary(ours)
    result["ratio"] = result["gateway"]["median"] / result["direct"]["median"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between looks")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (scontrol token, runuser)")
    result = asyncio.run(measure(args.rounds, args.interval))
    print(
        f"Slurm submission to RUNNING, {args.rounds} rounds each, polling every {args.interval} s"
    )
    for name in ("direct", "gateway"):
        s = result[name]
        label = "sbatch + squeue" if name == "direct" else "batch.slurm, EXECUTING pushed"
        print(
            f"  {label:32} median {s['median'] * 1000:7.0f} ms   p90 {s['p90'] * 1000:7.0f} ms"
            f"   min {s['min'] * 1000:7.0f} ms"
        )
    verdict = "meets" if result["ratio"] <= 1.1 else "misses"
    print(f"  ratio of medians {result['ratio']:.2f} ({verdict} the 1.1 target)")


if __name__ == "__main__":
    main()
