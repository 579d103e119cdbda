"""The worker package: importable from queue/, never shadowing the stdlib ``queue`` (what it
may import is import-linter's contract, tests/test_layers.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()


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
