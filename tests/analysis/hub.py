"""A real JupyterHub for the analysis tests and the benchmark: started once, on loopback ports,
with the DummyAuthenticator, SimpleLocalProcessSpawner (single-user servers run this venv),
named servers on, and the gateway registered as a service with a role, as a facility admin
would configure it (see the README)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import websockets

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
PROXY = ROOT / ".cache" / "jupyterhub" / "node_modules" / ".bin" / "configurable-http-proxy"
VENV_BIN = Path(sys.executable).parent
#: The role a facility admin gives the gateway's service (README: "What a JupyterHub admin
#: configures").
GATEWAY_SCOPES = ["admin:users", "servers", "access:servers"]

CONFIG = """
c = get_config()  # noqa
c.JupyterHub.bind_url = {public!r}
c.JupyterHub.hub_bind_url = {hub!r}
c.ConfigurableHTTPProxy.api_url = {proxy_api!r}
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.db_url = {db!r}
c.JupyterHub.cookie_secret_file = {cookie!r}
c.JupyterHub.pid_file = {pid!r}
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {home!r} + "/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = ["--ServerApp.allow_root=True"]
c.Spawner.default_url = "/tree"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.allow_named_servers = True
c.JupyterHub.cleanup_servers = True
c.JupyterHub.services = [{{"name": "esap-gateway", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [
    {{"name": "esap-gateway", "scopes": {scopes!r}, "services": ["esap-gateway"]}}
]
"""


@dataclass
class RunningHub:
    """A started hub: its public URL, the gateway's service token, the users' homes."""

    url: str
    token: str
    home: Path
    log: Path

    @property
    def headers(self) -> dict[str, str]:
        """The service's Authorization header."""
        return {"Authorization": f"token {self.token}"}

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call to the hub's REST API with the service token."""
        return httpx.request(
            method, f"{self.url}/hub/api{path}", headers=self.headers, timeout=30, **kwargs
        )

    def stop_server(self, user: str, server: str) -> None:
        """Stop a named server and wait until the hub says it is gone."""
        self.api("DELETE", f"/users/{user}/servers/{server}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            model = self.api("GET", f"/users/{user}").json()
            if server not in (model.get("servers") or {}):
                return
            time.sleep(0.1)
        raise AssertionError(f"server {server} of {user} did not stop")


@contextmanager
def running_jupyterhub(workdir: Path) -> Iterator[RunningHub]:
    """Start a hub under ``workdir``; stop it (and its servers) afterwards."""
    if not PROXY.exists():
        raise RuntimeError(f"{PROXY} is missing: run scripts/setup-jupyterhub.sh")
    workdir.mkdir(parents=True, exist_ok=True)
    home = workdir / "home"
    token = secrets.token_hex(32)
    public = f"http://127.0.0.1:{free_port()}"
    config = workdir / "jupyterhub_config.py"
    config.write_text(
        CONFIG.format(
            public=public,
            hub=f"http://127.0.0.1:{free_port()}",
            proxy_api=f"http://127.0.0.1:{free_port()}",
            proxy=str(PROXY),
            db=f"sqlite:///{workdir / 'jupyterhub.sqlite'}",
            cookie=str(workdir / "cookie_secret"),
            pid=str(workdir / "jupyterhub.pid"),
            home=str(home),
            singleuser=str(VENV_BIN / "jupyterhub-singleuser"),
            token=token,
            scopes=GATEWAY_SCOPES,
        )
    )
    log = workdir / "jupyterhub.log"
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(VENV_BIN / "jupyterhub"), "-f", str(config)],
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    hub = RunningHub(url=public, token=token, home=home, log=log)
    try:
        _wait_until_up(hub, process)
        yield hub
    finally:
        process.terminate()  # the hub stops its servers and its proxy (cleanup_servers)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_up(hub: RunningHub, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterHub exited: {hub.log.read_text()[-3000:]}")
        try:
            if hub.api("GET", "/").status_code == 200:  # through the proxy: both are up
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"JupyterHub did not start: {hub.log.read_text()[-3000:]}")


def make_git_workflow(path: Path, notebook: dict[str, Any]) -> str:
    """A git repository with a notebook and a helper file on branch main; its file:// URL."""
    (path / "notebooks").mkdir(parents=True)
    (path / "notebooks" / "look.ipynb").write_text(json.dumps(notebook))
    (path / "README.md").write_text("A workflow for the tests.\n")
    git = shutil.which("git")
    assert git is not None
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-q", "-m", "workflow"],
    ):
        subprocess.run([git, *args], cwd=path, env=env, check=True, timeout=60)
    return path.as_uri()


def notebook(*sources: str) -> dict[str, Any]:
    """A minimal nbformat 4 notebook with these code cells."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {
                "cell_type": "code",
                "id": uuid.uuid4().hex[:8],
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": source,
            }
            for source in sources
        ],
    }


async def run_in_kernel(
    hub: RunningHub, server_url: str, notebook_path: str, code: str, timeout: float = 120
) -> str:
    """Run ``code`` in a kernel of the user's server (a session on ``notebook_path``, so its
    working directory is the notebook's), over the kernel's websocket; its stdout."""
    base = f"{hub.url}{server_url}"
    async with httpx.AsyncClient(headers=hub.headers, timeout=60) as http:
        created = await http.post(
            f"{base}api/sessions",
            json={"path": notebook_path, "type": "notebook", "kernel": {"name": "python3"}},
        )
        assert created.status_code == 201, created.text
        kernel = created.json()["kernel"]["id"]
        try:
            return await _execute(hub, base, kernel, code, timeout)
        finally:
            await http.delete(f"{base}api/sessions/{created.json()['id']}")


async def _execute(hub: RunningHub, base: str, kernel: str, code: str, timeout: float) -> str:
    url = base.replace("http://", "ws://") + f"api/kernels/{kernel}/channels"
    session = uuid.uuid4().hex
    msg_id = uuid.uuid4().hex
    request = {
        "header": {
            "msg_id": msg_id,
            "username": "esap-test",
            "session": session,
            "msg_type": "execute_request",
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        "channel": "shell",
        "buffers": [],
    }
    output: list[str] = []
    replied = idle = False
    deadline = time.monotonic() + timeout
    async with websockets.connect(url, additional_headers=hub.headers, open_timeout=30) as ws:
        await ws.send(json.dumps(request))
        while time.monotonic() < deadline:
            message = json.loads(await ws.recv(decode=True))
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            if kind == "stream":
                output.append(message["content"]["text"])
            elif kind == "error":
                raise AssertionError("\n".join(message["content"]["traceback"]))
            elif kind == "execute_reply":
                assert message["content"]["status"] == "ok", message["content"]
                replied = True
            elif kind == "status" and message["content"]["execution_state"] == "idle":
                idle = True  # every output of the request has been sent before this
            if replied and idle:
                return "".join(output)
    raise AssertionError(f"no execute_reply within {timeout} s; output so far: {output}")
