"""The federation tests' peers: the Node harness (deploy/federation), a real esap-graphql
server, and @apollo/gateway serving the supergraph of both; each started once per session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port
from tests.support import DACHS_CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "deploy" / "federation"
PUBLICATIONS = ROOT / "tests" / "data" / "publications.json"


def node() -> str:
    """Node.js with the harness's packages installed; fails (never skips) otherwise."""
    found = shutil.which("node")
    if found is None or not (HARNESS / "node_modules" / "@apollo" / "gateway").is_dir():
        pytest.fail("the federation harness is not installed: run scripts/setup-deploy-tools.sh")
    return found


def run_node(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node(), *map(str, args)],
        cwd=HARNESS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass
class Supergraph:
    """The running supergraph: @apollo/gateway over esap-graphql and the publications service."""

    gateway: str
    publications: str
    esap: str
    sdl: str


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


@pytest.fixture(scope="session")
def esap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``esap-graphql serve`` over the DaCHS catalogue; its subgraph URL."""
    data = tmp_path_factory.mktemp("esap-federation")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESAP_")}
    env.update({"ESAP_DATA_DIR": str(data), "ESAP_QUERY_TIMEOUT": "20"})
    log = data / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "esap_graphql", "serve", "--config", str(DACHS_CATALOGUE),
             "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_for(f"http://127.0.0.1:{port}/health", process, log)
        yield f"http://127.0.0.1:{port}/subgraph/graphql"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def supergraph(esap_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supergraph]:
    """The harness: composes the running subgraph with publications, serves it with the gateway."""
    work = tmp_path_factory.mktemp("supergraph")
    sdl_file, log = work / "supergraph.graphql", work / "gateway.log"
    with log.open("wb") as err:
        process = subprocess.Popen(
            [node(), "gateway.mjs", "--esap", esap_server, "--data", str(PUBLICATIONS),
             "--supergraph", str(sdl_file)],
            cwd=HARNESS, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
        )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the harness prints one line once it serves
        assert line, f"the gateway harness stopped:\n{log.read_text()}"
        urls = json.loads(line)
        yield Supergraph(
            gateway=urls["gateway"],
            publications=urls["publications"],
            esap=esap_server,
            sdl=sdl_file.read_text(encoding="utf-8"),
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
