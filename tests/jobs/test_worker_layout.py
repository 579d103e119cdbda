"""The worker package: importable from queue/, never shadowing the stdlib ``queue``, and
free of the GraphQL layers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()

PROBE = """
import json, sys, queue
import esap_worker.worker, esap_worker.tasks
print(json.dumps({
    "queue": queue.__file__,
    "worker": esap_worker.worker.__file__,
    "loaded": sorted(m for m in sys.modules if m.startswith(("esap_graphql", "strawberry"))),
}))
"""


def test_worker_imports_no_schema_resolvers_or_strawberry() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(found["queue"]).resolve().parent == STDLIB
    assert Path(found["worker"]).resolve() == ROOT / "queue" / "esap_worker" / "worker.py"
    loaded: list[str] = found["loaded"]
    assert "esap_graphql.services.job_execution" in loaded  # the check sees our modules
    forbidden = [
        m
        for m in loaded
        if m.startswith(("esap_graphql.schema", "esap_graphql.resolvers", "strawberry"))
    ]
    assert forbidden == []


def test_queue_folder_is_not_a_package() -> None:
    assert not (ROOT / "queue" / "__init__.py").exists()
    assert (ROOT / "queue" / "esap_worker" / "__init__.py").exists()


def test_worker_command_needs_redis(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESAP_")}
    env["ESAP_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "esap_graphql", "worker"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "ESAP_REDIS_URL is not set" in result.stderr
