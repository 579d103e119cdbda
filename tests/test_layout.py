"""The stdlib ``queue`` is never shadowed: not in pytest, not from the repository root, not under
uvicorn. (The direction of imports is import-linter's contract: tests/test_layers.py.)"""

from __future__ import annotations

import queue
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()


def test_import_queue_in_pytest_is_the_stdlib() -> None:
    assert queue.__file__ is not None
    assert Path(queue.__file__).resolve().parent == STDLIB
    assert hasattr(queue, "SimpleQueue")


def test_import_queue_from_the_repo_root_is_the_stdlib() -> None:
    # `python -c` puts the current directory first on sys.path
    result = subprocess.run(
        [sys.executable, "-c", "import queue; print(queue.__file__)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert Path(result.stdout.strip()).resolve().parent == STDLIB


def test_import_queue_under_uvicorn_from_the_repo_root_is_the_stdlib() -> None:
    # the uvicorn command puts its --app-dir (default: the current directory) first on sys.path
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.uvicorn_queue_probe:app", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=2).json()
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()[1].decode()
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert Path(answer["queue"]).resolve().parent == STDLIB
    assert answer["simple"] is True
