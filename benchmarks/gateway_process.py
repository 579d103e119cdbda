"""The gateway as its own `esap-graphql serve` process, as the benchmarks run it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_gateway(**options: Any) -> Iterator[str]:
    """As ``gateway_process`` (the same keywords), yielding the gateway's URL only."""
    with gateway_process(**options) as (url, _):
        yield url


@contextlib.contextmanager
def gateway_process(
    *,
    config: Path | None = None,
    env: Mapping[str, str] = {},
    log: Path | None = None,
    port: int | None = None,
    startup_timeout: float = 60,
    args: Sequence[str] = (),
) -> Iterator[tuple[str, int]]:
    """Start the gateway, wait until /health answers, yield its URL and process id, stop it
    on exit. ``env`` is added to this process's environment; ``log`` receives its output
    (discarded otherwise)."""
    port = port or free_port()
    command = [sys.executable, "-m", "esap_graphql", "serve", "--port", str(port)]
    if config is not None:
        command += ["--config", str(config)]
    command += list(args)
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(log.open("wb")) if log is not None else subprocess.DEVNULL
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + startup_timeout
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the gateway did not start (log: {log})")
                time.sleep(0.1)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def gateway_cpu(port: str) -> float:
    """CPU seconds (user + system) used so far by the gateway process serving on ``port``
    (by its threads alive now, when the kernel counts them in nanoseconds)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if b"serve" in command and port.encode() in command:
            # nanoseconds on the CPU of each thread (the scheduler's count), where the
            # kernel keeps it: /proc's utime + stime come in 10 ms ticks, too coarse for a
            # multi-query of 50 datasets (about 75 ms)
            with contextlib.suppress(OSError, ValueError):
                return (
                    sum(
                        int((task / "schedstat").read_text().split()[0])
                        for task in (proc / "task").iterdir()
                    )
                    / 1e9
                )
            ticks = int(stat[11]) + int(stat[12])  # utime, stime
            return ticks / os.sysconf("SC_CLK_TCK")
    raise RuntimeError(f"no gateway process on port {port}")
