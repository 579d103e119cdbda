"""The local Rucio server the data lake tests and benchmark talk to.

``scripts/setup-rucio.sh`` installs it (PyPI ``rucio`` in its own virtualenv)
and bootstraps its PostgreSQL database; ``RucioServer.start`` runs its Flask
REST API under gunicorn on a free loopback port, and ``seed`` registers the test
data through the real API (the project's own ``rucio-clients``): two scopes, two
storage elements (a local directory read over ``file``, and a WebDAV/https
front), files with real checksums and replicas on both, and a dataset holding
files. Seeding is idempotent: the database outlives a test session.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".cache" / "rucio-server-venv"
HOME = ROOT / ".cache" / "rucio-home"
#: Machine-wide like the server's database (every checkout of the project shares both),
#: so that the PFNs registered once stay true whichever checkout runs the tests.
RSE_DIR = Path(os.environ.get("ESAP_RUCIO_RSE_DIR", "/var/tmp/esap-rucio/rse"))

ACCOUNT = "root"
USERNAME = "esap"
PASSWORD = "esap-rucio-test"  # the throw-away test server's bootstrap identity

DISK_RSE = "ESAP_LOCAL_DISK"
WEB_RSE = "ESAP_WEB"
WEB_PREFIX = "https://rucio-data.localhost:8443/lake"


@dataclass(frozen=True, slots=True)
class SeedFile:
    """A file registered in the test data lake, with its bytes on the disk RSE."""

    scope: str
    name: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def adler32(self) -> str:
        return f"{zlib.adler32(self.content) & 0xFFFFFFFF:08x}"

    @property
    def md5(self) -> str:
        return hashlib.md5(self.content).hexdigest()

    @property
    def path(self) -> Path:
        """Where the disk RSE keeps it (lfn2pfn ``identity``: prefix/scope/name)."""
        return RSE_DIR / self.scope / self.name


def _content(label: str, repeat: int) -> bytes:
    return (f"{label}\n" * repeat).encode()


#: What ``seed`` registers; the tests assert against these.
LOFAR_FILES: tuple[SeedFile, ...] = tuple(
    SeedFile("lofar", f"L700123_SB{sb:03d}_uv.MS.tar", _content(f"LOFAR L700123 SB{sb:03d}", 40))
    for sb in range(6)
)
APERTIF_FILES: tuple[SeedFile, ...] = (
    SeedFile("apertif", "WSRTA190101_B000_cube.fits", _content("Apertif cube B000", 64)),
    SeedFile("apertif", "WSRTA190101_B001_cube.fits", _content("Apertif cube B001", 64)),
    SeedFile("apertif", "WSRTA190101_B000_image.fits", _content("Apertif image B000", 16)),
)
SEED_FILES = LOFAR_FILES + APERTIF_FILES
#: A dataset DID in scope lofar holding the first three LOFAR files.
LOFAR_DATASET = "L700123_SAP000"
SCOPES = ("apertif", "lofar")


def server_environment() -> dict[str, str]:
    """The environment the server runs in: its own config, never /opt/rucio."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUCIO_")}
    env["RUCIO_HOME"] = str(HOME)
    env["RUCIO_CONFIG"] = str(HOME / "etc" / "rucio.cfg")
    return env


class RucioServer:
    """A Rucio REST server under gunicorn on 127.0.0.1."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log

    @classmethod
    def start(cls, *, port: int | None = None, wait: float = 60.0) -> RucioServer:
        """Start gunicorn and wait until ``/ping`` answers; raise ``RuntimeError``."""
        gunicorn = VENV / "bin" / "gunicorn"
        if not gunicorn.exists():
            raise RuntimeError(f"{gunicorn} is missing: run scripts/setup-rucio.sh")
        port = port or free_port()
        log = HOME / "log" / f"gunicorn-{port}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    str(gunicorn),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "1",
                    "--threads",
                    "8",
                    "--timeout",
                    "60",
                    "--no-control-socket",
                    "rucio.web.rest.flaskapi.v1.main:application",
                ],
                env=server_environment(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = cls(process, f"http://127.0.0.1:{port}", log)
        deadline = time.monotonic() + wait
        while True:
            try:
                if httpx.get(f"{server.url}/ping", timeout=2).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the Rucio server did not start on {server.url}:\n{tail}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop gunicorn at once (its master and worker share a process group)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # quick shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)


def client(url: str, *, username: str = USERNAME, password: str = PASSWORD) -> Any:
    """A rucio-clients ``Client`` for the test server, as root."""
    from rucio.client import Client

    return Client(
        rucio_host=url,
        auth_host=url,
        account=ACCOUNT,
        auth_type="userpass",
        creds={"username": username, "password": password},
        timeout=30,
    )


def _ignore_existing(call: Callable[[], object]) -> None:
    from rucio.common.exception import (
        DataIdentifierAlreadyExists,
        Duplicate,
        DuplicateContent,
        FileAlreadyExists,
        RSEProtocolPriorityError,
    )

    with contextlib.suppress(
        Duplicate,
        DataIdentifierAlreadyExists,
        DuplicateContent,
        FileAlreadyExists,
        RSEProtocolPriorityError,
    ):
        call()


def _protocol(scheme: str, hostname: str, port: int, prefix: str, impl: str) -> dict[str, Any]:
    priorities = {"read": 1, "write": 1, "delete": 1}
    return {
        "scheme": scheme,
        "hostname": hostname,
        "port": port,
        "prefix": prefix,
        "impl": impl,
        "domains": {"lan": priorities, "wan": priorities},
    }


def ensure_rses(rucio: Any) -> None:
    """The disk RSE (posix ``file`` over RSE_DIR) and the web RSE (WebDAV over https)."""
    web = urlsplit(WEB_PREFIX)
    wanted = {
        DISK_RSE: _protocol(
            "file", "localhost", 0, f"{RSE_DIR}/", "rucio.rse.protocols.posix.Default"
        ),
        WEB_RSE: _protocol(
            "https",
            web.hostname or "",
            web.port or 443,
            f"{web.path}/",
            "rucio.rse.protocols.webdav.Default",
        ),
    }
    existing = {r["rse"] for r in rucio.list_rses()}
    for rse, protocol in wanted.items():
        if rse not in existing:
            _ignore_existing(lambda rse=rse: rucio.add_rse(rse))
            _ignore_existing(lambda rse=rse, protocol=protocol: rucio.add_protocol(rse, protocol))


def register_files(rucio: Any, files: Iterable[SeedFile], *, rses: tuple[str, ...]) -> None:
    """Write the files under RSE_DIR and register a replica of each on every RSE."""
    files = tuple(files)
    for f in files:
        f.path.parent.mkdir(parents=True, exist_ok=True)
        if not f.path.exists() or f.path.read_bytes() != f.content:
            f.path.write_bytes(f.content)
    for rse in rses:
        described = [
            {"scope": f.scope, "name": f.name, "bytes": f.size, "adler32": f.adler32, "md5": f.md5}
            for f in files
        ]
        _ignore_existing(lambda rse=rse, described=described: rucio.add_replicas(rse, described))


def seed(url: str) -> None:
    """Register the test data through the API; a second call changes nothing."""
    rucio = client(url)
    have = set(rucio.list_scopes())
    for scope in SCOPES:
        if scope not in have:
            _ignore_existing(lambda scope=scope: rucio.add_scope(ACCOUNT, scope))
    ensure_rses(rucio)
    register_files(rucio, SEED_FILES, rses=(DISK_RSE, WEB_RSE))
    _ignore_existing(lambda: rucio.add_dataset("lofar", LOFAR_DATASET))
    _ignore_existing(
        lambda: rucio.attach_dids(
            "lofar", LOFAR_DATASET, [{"scope": f.scope, "name": f.name} for f in LOFAR_FILES[:3]]
        )
    )
