"""The real one-node Slurm cluster (scripts/setup-slurm.sh): checked once per session; a test
that needs it fails, never skips, when it is down."""

from __future__ import annotations

import grp
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REST_URL = "http://127.0.0.1:6820"
JOB_USER = "esapjob"
PARTITION = "esap"
STAGING_ROOT = Path("/var/lib/esap-slurm/staging")
STAGING_GROUP = "esapslurm"
TOKEN_ENV = "ESAP_TEST_SLURM_JWT"
SETUP_HINT = "run scripts/setup-slurm.sh (as root)"


@dataclass(frozen=True)
class SlurmCluster:
    """The test cluster as the tests use it."""

    rest_url: str
    version: str
    user: str
    partition: str
    token: str
    staging: Path
    """A directory of this session under the shared staging directory."""


def run(*command: str, timeout: float = 30) -> str:
    """A Slurm command's output; fails the test with its stderr when it fails."""
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"{' '.join(command)}: {exc}; {SETUP_HINT}")
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed: {result.stderr.strip()}; {SETUP_HINT}")
    return result.stdout


def mint_token(user: str = JOB_USER, lifespan: int = 4 * 3600) -> str:
    """A JWT for ``user`` from ``scontrol token`` (root may mint them for anyone)."""
    out = run("scontrol", "token", f"username={user}", f"lifespan={lifespan}")
    return out.strip().removeprefix("SLURM_JWT=")


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[SlurmCluster]:
    """The cluster after checking slurmctld, the node and an authenticated REST round trip."""
    if "is UP" not in run("scontrol", "ping"):
        pytest.fail(f"slurmctld is not up; {SETUP_HINT}")
    state = run("sinfo", "-h", "-p", PARTITION, "-o", "%T").split()
    if not any(s in ("idle", "mixed", "allocated") for s in state):
        pytest.fail(f"partition {PARTITION} has no usable node ({state}); {SETUP_HINT}")
    token = mint_token()
    headers = {"X-SLURM-USER-NAME": JOB_USER, "X-SLURM-USER-TOKEN": token}
    try:
        document = httpx.get(f"{REST_URL}/openapi/v3", headers=headers, timeout=10).json()
        versions = sorted(
            p.split("/")[2] for p in document["paths"] if p.startswith("/slurm/v0.0.")
        )
        version = max(versions, key=lambda v: int(v.rsplit(".", 1)[1]))
        ping = httpx.get(f"{REST_URL}/slurm/{version}/ping", headers=headers, timeout=10).json()
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        pytest.fail(f"slurmrestd at {REST_URL} does not answer as expected ({exc}); {SETUP_HINT}")
    if [p.get("ping") for p in ping.get("pings", [])] != ["UP"]:
        pytest.fail(f"slurmrestd ping: {ping.get('errors')}; {SETUP_HINT}")
    if not STAGING_ROOT.is_dir():
        pytest.fail(f"the staging directory {STAGING_ROOT} is missing; {SETUP_HINT}")
    staging = STAGING_ROOT / f"pytest-{uuid.uuid4().hex[:10]}"
    staging.mkdir()
    os.chown(staging, -1, grp.getgrnam(STAGING_GROUP).gr_gid)
    os.chmod(staging, 0o2770)
    with pytest.MonkeyPatch.context() as env:
        env.setenv(TOKEN_ENV, token)
        try:
            yield SlurmCluster(
                rest_url=REST_URL,
                version=version,
                user=JOB_USER,
                partition=PARTITION,
                token=token,
                staging=staging,
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def squeue(name: str) -> list[tuple[str, str]]:
    """(job id, state) of the cluster's jobs called ``name`` that squeue still lists."""
    out = run("squeue", "-h", "-n", name, "-o", "%i %T")
    return [tuple(line.split()) for line in out.splitlines() if line.strip()]  # type: ignore[misc]
