"""The image's commands work as the image runs them, on this machine (no Docker engine here).

The runtime stage of the Dockerfile is read, not restated: its build-stage RUN is run
as written (a venv under a temporary root standing in for ``/``, the package built from
exactly the files the Dockerfile copies), then the ENTRYPOINT + CMD and the worker command
run with the stage's ENV and WORKDIR, as its USER (uid 10001 when the tests run as root),
on a root that uid cannot write to except the data, results and /tmp directories (as
with a read-only root filesystem), against the local PostgreSQL and Redis. The
HEALTHCHECK command decides when the gateway is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import dockerfile
import httpx
import pytest
import redis

from tests.deploy.tools import ROOT
from tests.servers import free_port
from tests.support import DACHS_CATALOGUE

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/9"
# Directories of the image that the stand-in root holds.
IMAGE_DIRS = ("/opt/esap", "/var/lib/esap", "/usr/local/bin", "/src", "/tmp/wheels")
DEBIAN_PYTHON = "/usr/bin/python3.11"


@dataclass
class Stage:
    """What the Dockerfile says about the build and runtime stages."""

    build_copies: list[str]
    build_run: list[str]
    build_workdir: str
    env: dict[str, str]
    workdir: str
    user: tuple[int, int]
    command: list[str]
    healthcheck: list[str]
    port: int


def read_dockerfile() -> Stage:
    instructions = dockerfile.parse_file(str(ROOT / "Dockerfile"))
    stages: list[list[Any]] = []
    for ins in instructions:
        if ins.cmd == "FROM":
            stages.append([])
        elif stages:
            stages[-1].append(ins)
    build, runtime = stages[0], stages[-1]

    def values(stage: list[Any], cmd: str) -> list[Any]:
        return [ins for ins in stage if ins.cmd == cmd]

    env: dict[str, str] = {}
    for ins in values(runtime, "ENV"):
        pairs = list(ins.value)
        env.update(zip(pairs[::2], pairs[1::2], strict=True))
    (user,) = values(runtime, "USER")
    uid, _, gid = user.value[0].partition(":")
    (entrypoint,) = values(runtime, "ENTRYPOINT")
    (cmd,) = values(runtime, "CMD")
    (healthcheck,) = values(runtime, "HEALTHCHECK")
    assert healthcheck.value[0] == "CMD", "HEALTHCHECK must be in exec form"
    (expose,) = values(runtime, "EXPOSE")
    copies = [
        ins.value[0]
        for ins in values(build, "COPY")
        if not any(f.startswith("--from") for f in ins.flags)
    ]
    return Stage(
        build_copies=[part for value in copies for part in value.split()],
        build_run=[ins.value[0] for ins in values(build, "RUN")],
        build_workdir=values(build, "WORKDIR")[-1].value[0],
        env=env,
        workdir=values(runtime, "WORKDIR")[-1].value[0],
        user=(int(uid), int(gid or uid)),
        command=[*entrypoint.value, *cmd.value],
        healthcheck=list(healthcheck.value[1:]),
        port=int(expose.value[0]),
    )


class StandInRoot:
    """A temporary directory standing in for the image's ``/``."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="esap-image-"))
        self.path.chmod(0o755)

    def map(self, text: str) -> str:
        """A value of the image with its paths moved under the stand-in root."""
        for directory in IMAGE_DIRS:
            text = text.replace(directory, f"{self.path}{directory}")
        return text

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def build_image_venv(stage: Stage, root: StandInRoot) -> None:
    """The build stage: its files copied, its RUN executed as written."""
    src = Path(root.map(stage.build_workdir))
    src.mkdir(parents=True)
    for name in stage.build_copies:
        if name in {".", "./"} or name.startswith("./"):
            continue
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
            )
        else:
            shutil.copy2(source, src / name)
    # The image's python:3.11 (in /usr/local/bin) is Debian's Python 3.11 here, which any
    # user may run (this test's own interpreter may sit in root's home).
    local_bin = Path(root.map("/usr/local/bin"))
    local_bin.mkdir(parents=True)
    (local_bin / "python").symlink_to(DEBIAN_PYTHON)
    env = {"PATH": f"{local_bin}:/usr/bin:/bin", "HOME": str(root.path)}
    env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})
    for command in stage.build_run:
        result = subprocess.run(
            ["/bin/sh", "-c", root.map(command)],
            cwd=src,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"


@dataclass
class Running:
    """The image's processes and what they were given."""

    stage: Stage
    root: StandInRoot
    env: dict[str, str]
    base_url: str
    gateway: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes]
    logs: Path
    as_user: tuple[int, int] | None


def as_image_user(stage: Stage) -> tuple[int, int] | None:
    """The USER of the image when we may switch to it (as root); None: we already are not root."""
    return stage.user if os.geteuid() == 0 else None


def start(command: list[str], env: dict[str, str], cwd: Path, user: tuple[int, int] | None,
          log: Path) -> subprocess.Popen[bytes]:  # fmt: skip
    executable = shutil.which(command[0], path=env["PATH"])
    assert executable is not None, f"{command[0]} is not on the image's PATH {env['PATH']}"
    with log.open("wb") as out:
        return subprocess.Popen(
            [executable, *command[1:]],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            **({"user": user[0], "group": user[1], "extra_groups": []} if user else {}),
        )


def healthy(stage: Stage, env: dict[str, str], cwd: Path, user: tuple[int, int] | None) -> bool:
    command = list(stage.healthcheck)
    command[0] = shutil.which(command[0], path=env["PATH"]) or command[0]
    result = subprocess.run(
        command,
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=10,
        check=False,
        **({"user": user[0], "group": user[1], "extra_groups": []} if user else {}),
    )
    return result.returncode == 0


async def create_database(name: str) -> None:
    try:
        conn = await asyncpg.connect(POSTGRES_ADMIN, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_ADMIN}: {exc}")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(POSTGRES_ADMIN, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    stage = read_dockerfile()
    root = StandInRoot()
    database = f"esap_image_{uuid.uuid4().hex[:10]}"
    prefix = f"esapimage-{uuid.uuid4().hex[:10]}"
    redis_client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=5)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        redis_client.ping()
        build_image_venv(stage, root)
        user = as_image_user(stage)
        workdir = Path(root.map(stage.workdir))
        # The image's writable places: its data directory, the results volume, /tmp.
        env = {key: root.map(value) for key, value in stage.env.items()}
        tmp = root.path / "tmp"
        results = workdir / "results"
        for writable in (Path(env["ESAP_DATA_DIR"]), results, tmp):
            writable.mkdir(parents=True, exist_ok=True)
            if user:
                os.chown(writable, *user)
        catalogue = root.path / "etc" / "esap" / "catalogue.yaml"
        catalogue.parent.mkdir(parents=True)
        shutil.copy(DACHS_CATALOGUE, catalogue)
        port = free_port()
        asyncio.run(create_database(database))
        env.update(
            {
                # what docker-compose.yml and the Helm chart set
                "ESAP_CONFIG": str(catalogue),
                "ESAP_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",
                "ESAP_REDIS_URL": REDIS_URL,
                "ESAP_JOB_RESULTS_DIR": str(results),
                # this test's own port, keys and scratch directory
                "ESAP_PORT": str(port),
                "ESAP_REDIS_PREFIX": prefix,
                "TMPDIR": str(tmp),
            }
        )
        logs = tmp_path_factory.mktemp("image-logs")
        gateway = start(stage.command, env, workdir, user, logs / "gateway.log")
        processes.append(gateway)
        deadline = time.monotonic() + 90
        while not healthy(stage, env, workdir, user):
            assert gateway.poll() is None, (logs / "gateway.log").read_text()
            assert time.monotonic() < deadline, (logs / "gateway.log").read_text()
            time.sleep(0.5)
        worker = start(["esap-graphql", "worker"], env, workdir, user, logs / "worker.log")
        processes.append(worker)
        yield Running(
            stage=stage,
            root=root,
            env=env,
            base_url=f"http://127.0.0.1:{port}",
            gateway=gateway,
            worker=worker,
            logs=logs,
            as_user=user,
        )
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        with contextlib.suppress(Exception):
            asyncio.run(drop_database(database))
        with contextlib.suppress(redis.RedisError):
            for key in redis_client.scan_iter(f"{prefix}*"):
                redis_client.delete(key)
        redis_client.close()
        root.remove()


@contextlib.asynccontextmanager
async def client(running: Running) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running.base_url, timeout=30) as http:
        yield http


def test_the_command_is_the_gateway_as_documented(running: Running) -> None:
    assert running.stage.command == ["esap-graphql", "serve", "--host", "0.0.0.0"]
    assert running.stage.port == 8000 == int(running.stage.env["ESAP_PORT"])
    assert running.stage.user[0] != 0
    if running.as_user:
        status = Path(f"/proc/{running.gateway.pid}/status").read_text()
        uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        assert uid_line.split()[1:] == [str(running.stage.user[0])] * 4


async def test_the_gateway_answers_graphql_and_the_subgraph(running: Running) -> None:
    async with client(running) as http:
        health = (await http.get("/health")).json()
        assert health == {"status": "ok", "archives": 2, "datasets": 7}
        answer = await http.post("/graphql", json={"query": "{ archives { id } }"})
        assert answer.json() == {"data": {"archives": [{"id": "esap-test"}, {"id": "broken"}]}}
        sdl = await http.post("/subgraph/graphql", json={"query": "{ _service { sdl } }"})
        # the web interface ships in the wheel
        page = await http.get("/archives", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert '<div id="root">' in page.text
    # The installed wheel serves the same subgraph as the source tree.
    expected = (ROOT / "schema.subgraph.graphql").read_text(encoding="utf-8")
    assert sdl.json()["data"]["_service"]["sdl"] + "\n" == expected


async def test_a_worker_started_the_same_way_runs_jobs(running: Running) -> None:
    create = """mutation { createJob(type: "test.sleep", run: true,
        parameters: {seconds: 0.1, message: "from the image"}) { ... on Job { id phase } } }"""
    query = "query($id: ID!) { job(id: $id) { phase results { name url } error { message } } }"
    async with client(running) as http:
        created = (await http.post("/graphql", json={"query": create})).json()
        job_id = created["data"]["createJob"]["id"]
        deadline = time.monotonic() + 60
        while True:
            answer = await http.post("/graphql", json={"query": query, "variables": {"id": job_id}})
            job = answer.json()["data"]["job"]
            if job["phase"] in ("COMPLETED", "ERROR", "ABORTED"):
                break
            assert running.worker.poll() is None, (running.logs / "worker.log").read_text()
            assert time.monotonic() < deadline, (running.logs / "worker.log").read_text()
            await asyncio.sleep(0.2)
        assert job["phase"] == "COMPLETED", job
        (result,) = job["results"]
        downloaded = await http.get(result["url"])
    assert downloaded.status_code == 200
    assert b"from the image" in downloaded.content
    log = (running.logs / "worker.log").read_text()
    assert "ready: job types" in log
    # The worker wrote the file, as the image's user, on the shared results directory.
    files = result_files(Path(running.env["ESAP_JOB_RESULTS_DIR"]))
    assert files
    if running.as_user:
        assert {p.stat().st_uid for p in files} == {running.stage.user[0]}


def result_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()]


def test_both_stop_cleanly_on_sigterm(running: Running) -> None:
    # what `docker stop` sends; the worker is stopped first, as compose stops dependants
    for process, name in ((running.worker, "worker"), (running.gateway, "gateway")):
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        log = (running.logs / f"{name}.log").read_text()
        assert "Traceback" not in log, log
        if name == "worker":
            assert code == 0, f"worker exited with {code}:\n{log}"
        else:
            # uvicorn shuts down, then ends by the signal it was sent (exit status 143)
            assert code in (0, -signal.SIGTERM), f"gateway exited with {code}:\n{log}"
            assert "Application shutdown complete." in log


def test_the_image_runs_no_shell_and_needs_no_test_tools(running: Running) -> None:
    # exec-form commands: signals reach esap-graphql itself, not a shell
    assert all("/bin/sh" not in part for part in running.stage.command)
    freeze = subprocess.run(
        [f"{running.root.map('/opt/esap')}/bin/python", "-m", "pip", "--version"],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert freeze.returncode != 0, "the runtime image keeps no pip"
    installed = subprocess.run(
        [f"{running.root.map('/opt/esap')}/bin/python", "-c",
         "import importlib.metadata as m; print(' '.join(d.metadata['Name'].lower() "
         "for d in m.distributions()))"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    names = set(installed.stdout.split())
    assert {"esap-graphql", "uvicorn", "asyncpg", "arq"} <= names
    assert not names & {"pytest", "mypy", "ruff", "playwright", "hypothesis"}, shlex.join(
        sorted(names & {"pytest", "mypy", "ruff", "playwright", "hypothesis"})
    )
