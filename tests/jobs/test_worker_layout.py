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


def test_the_arq_internals_the_worker_overrides_are_there() -> None:
    # WakeableWorker replaces Worker.main and Worker.start_jobs and reads worker state that
    # arq does not document; pyproject pins arq to the minor release this was written for,
    # and this fails first if that pin is ever widened past a change.
    import inspect

    import arq
    from arq.worker import Worker

    assert arq.VERSION.startswith("0.28.")
    assert list(inspect.signature(Worker.start_jobs).parameters) == ["self", "job_ids"]
    assert inspect.iscoroutinefunction(Worker.main)
    assert inspect.iscoroutinefunction(Worker._poll_iteration)
    assert callable(Worker._release_sem_dec_counter_on_complete)
    # WakeableWorker.run_job replaces arq's (test_worker_claims compares what both leave in
    # Redis) and reads its per-job state and counters
    assert list(inspect.signature(Worker.run_job).parameters) == ["self", "job_id", "score"]
    assert inspect.iscoroutinefunction(Worker.close)
    from esap_worker.worker import create_worker

    from esap_graphql.config import Settings

    worker = create_worker(Settings(redis_url="redis://127.0.0.1:6379/9"))  # does not connect
    assert isinstance(worker, Worker)
    for name in (
        *("job_counter", "max_jobs", "sem", "tasks", "in_progress_timeout_s", "queue_name"),
        *("job_tasks", "aborting_tasks", "jobs_complete", "jobs_failed", "jobs_retried"),
        *("functions", "job_timeout_s", "max_tries", "on_job_start", "on_job_end"),
        *("after_job_end", "keep_result_s", "keep_result_forever", "cron_jobs"),
    ):
        assert hasattr(worker, name), name
