"""Analysis: a launch to a running JupyterHub server against JupyterHub's own REST API called
directly, and reading a 10,000-item basket with the notebook client.

Everything is real: JupyterHub from PyPI with configurable-http-proxy from npm
(scripts/setup-jupyterhub.sh), started on loopback ports with the dummy authenticator and the
local-process spawner, as the tests start it; the gateway as an ``esap-graphql serve`` process
in single-user mode, the hub as its facility.

- launch: ``launchAnalysis`` over HTTP until the ``jobPhase`` subscription says COMPLETED (the
  job starts the named server, waits until it is ready, copies a git workflow and esap.json into
  it), against ``POST /hub/api/users/<u>/servers/<s>`` followed by the hub's progress stream
  until it says ready. The server is stopped before every round of either.
- read: ``connect(...).table()`` of a basket of 10,000 items, as a notebook would.

    .venv/bin/python benchmarks/analysis.py [--rounds 5] [--items 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets
from gateway_process import running_gateway

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from esap_graphql.client import connect  # noqa: E402
from tests.analysis.hub import (  # noqa: E402
    RunningHub,
    make_git_workflow,
    notebook,
    running_jupyterhub,
)
from tests.support import ONE_TAP_DATASET  # noqa: E402

USER = SERVER = "esap"
CATALOGUE = (
    ONE_TAP_DATASET
    + """facilities:
  - id: hub
    name: Benchmark hub
    kind: jupyterhub
    url: {hub}
    jupyterhub: {{api_token_env: ESAP_BENCH_HUB_TOKEN, single_user_name: {user},
                  server_name: {server}}}
workflows:
  - id: wf
    name: Benchmark workflow
    facility_kinds: [jupyterhub]
    source: {{type: git, repository: {repository}, ref: main, path: notebooks/look.ipynb}}
"""
)
LAUNCH = """mutation { launchAnalysis(facility: "hub", workflow: "wf", basket: "bench")
  { ... on Job { id } ... on Error { message } } }"""


async def direct_start(hub: RunningHub) -> float:
    """Seconds from POST .../servers/<s> until the progress stream says ready."""
    started = time.perf_counter()
    async with httpx.AsyncClient(headers=hub.headers, timeout=120) as http:
        api = f"{hub.url}/hub/api/users/{USER}/servers/{SERVER}"
        response = await http.post(api, json={})
        assert response.status_code in (201, 202), response.text
        async with http.stream("GET", api + "/progress") as events:
            async for line in events.aiter_lines():
                if line.startswith("data:") and json.loads(line[5:]).get("ready"):
                    return time.perf_counter() - started
    raise RuntimeError("the progress stream ended without ready")


async def gateway_launch(gateway: str) -> float:
    """Seconds from launchAnalysis until the jobPhase subscription says COMPLETED."""
    started = time.perf_counter()
    async with (
        httpx.AsyncClient(timeout=120) as http,
        websockets.connect(
            gateway.replace("http://", "ws://") + "/graphql",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        ) as ws,
    ):
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        await ws.recv()
        body = (await http.post(f"{gateway}/graphql", json={"query": LAUNCH})).json()
        job_id = body["data"]["launchAnalysis"]["id"]
        query = "subscription ($id: ID!) { jobPhase(id: $id) { phase } }"
        payload = {"query": query, "variables": {"id": job_id}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        while True:
            message = json.loads(await ws.recv())
            if message["type"] != "next":
                raise RuntimeError(f"unexpected {message}")
            phase = message["payload"]["data"]["jobPhase"]["phase"]
            if phase == "COMPLETED":
                return time.perf_counter() - started
            if phase in ("ERROR", "ABORTED"):
                raise RuntimeError(f"the launch ended in {phase}")


def fill(gateway: str, items: int) -> None:
    add = """mutation ($items: [BasketItemInput!]!) {
      addToBasket(basket: "big", items: $items) { __typename } }"""
    with httpx.Client(timeout=120) as http:
        for start in range(0, items, 500):
            batch = [
                {
                    "dataset": "apertif-dr1",
                    "recordId": f"ivo://astron.nl/apertif?{i}",
                    "title": f"cube {i}",
                    "accessUrl": f"https://vo.astron.nl/getproduct/{i}.fits",
                    "accessFormat": "image/fits",
                    "sizeBytes": 2_000_000 + i,
                    "ra": (i * 0.01) % 360,
                    "dec": ((i * 0.007) % 180) - 90,
                    "record": {"obs_id": str(i), "freq": 1.4e9},
                }
                for i in range(start, min(start + 500, items))
            ]
            response = http.post(
                f"{gateway}/graphql", json={"query": add, "variables": {"items": batch}}
            )
            assert response.json()["data"]["addToBasket"]["__typename"] == "BasketItemsAdded"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="esap-bench-analysis-") as tmp:
        work = Path(tmp)
        repository = make_git_workflow(work / "wf", notebook("print('hello')"))
        hub_started = time.perf_counter()
        with running_jupyterhub(work / "hub") as hub:
            print(f"JupyterHub up in {time.perf_counter() - hub_started:.1f} s at {hub.url}")
            config = work / "catalogue.yaml"
            config.write_text(
                CATALOGUE.format(hub=hub.url, user=USER, server=SERVER, repository=repository)
            )
            env = {"ESAP_DATA_DIR": str(work / "data"), "ESAP_BENCH_HUB_TOKEN": hub.token}
            with running_gateway(config=config, env=env, log=work / "gateway.log") as gateway:
                hub.api("POST", f"/users/{USER}")  # both compete on an existing user
                direct: list[float] = []
                launched: list[float] = []
                for _ in range(args.rounds):
                    hub.stop_server(USER, SERVER)
                    direct.append(asyncio.run(direct_start(hub)))
                    hub.stop_server(USER, SERVER)
                    launched.append(asyncio.run(gateway_launch(gateway)))
                hub.stop_server(USER, SERVER)
                d, g = statistics.median(direct), statistics.median(launched)
                print(f"\nlaunch to a running server ({args.rounds} rounds, stopped before each)")
                print(
                    f"  JupyterHub REST API directly: median {d * 1000:.0f} ms, "
                    f"best {min(direct) * 1000:.0f} ms"
                )
                print(
                    f"  launchAnalysis (job, copy, esap.json): median {g * 1000:.0f} ms, "
                    f"best {min(launched) * 1000:.0f} ms"
                )
                print(f"  ratio (median): {g / d:.2f}  (target <= 1.1)")

                fill(gateway, args.items)
                times: list[float] = []
                cpu: list[float] = []
                with connect(gateway, basket="big") as basket:
                    for _ in range(args.rounds * 2):
                        started, used = time.perf_counter(), time.process_time()
                        table = basket.table()
                        times.append(time.perf_counter() - started)
                        cpu.append(time.process_time() - used)
                assert len(table) == args.items
                print(f"\nnotebook client: {args.items} items into an astropy Table")
                print(
                    f"  median {statistics.median(times) * 1000:.0f} ms, "
                    f"best {min(times) * 1000:.0f} ms  (target < 300 ms)"
                )
                print(
                    f"  of which the notebook's own CPU (parse, Table): median "
                    f"{statistics.median(cpu) * 1000:.0f} ms; load average now "
                    f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
                )


if __name__ == "__main__":
    main()
