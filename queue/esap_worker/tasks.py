"""The arq task every job runs through, and the worker's start-up and shut-down.

Everything the worker holds is built by the same factory as the gateway's; the worker imports
no web framework (an import-linter contract in pyproject.toml holds that).
"""

from __future__ import annotations

import logging
from typing import Any

from esap_graphql.config import Settings
from esap_graphql.context import JobWorker
from esap_graphql.factory import Factory
from esap_graphql.services.job_types import JOB_TYPES
from esap_graphql.telemetry import tracing

logger = logging.getLogger(__name__)

#: Key of the worker's objects in arq's ctx dict.
STATE = "esap"


async def startup(ctx: dict[str, Any]) -> None:
    """arq on_startup: connect to the database and Redis, start heartbeats and maintenance."""
    settings: Settings = ctx["settings"]
    factory = Factory(settings)
    try:
        worker = await factory.job_worker()
    except BaseException:
        await factory.aclose()
        raise
    ctx[STATE] = worker
    logger.info(
        "esap worker %s ready: job types %s",
        worker.executor.worker_id,
        ", ".join(sorted(JOB_TYPES)),
    )


async def shutdown(ctx: dict[str, Any]) -> None:
    """arq on_shutdown."""
    worker: JobWorker | None = ctx.get(STATE)
    if worker is not None:
        await worker.aclose()


async def run_job(
    ctx: dict[str, Any],
    job_id: str,
    attempt: int,
    job_type: str | None = None,
    trace: dict[str, str] | None = None,
) -> None:
    """Run one attempt of one job (the only arq function), in the trace that started it;
    ``job_type`` is absent from messages queued by an older gateway."""
    worker: JobWorker = ctx[STATE]
    with tracing.continued(trace):
        await worker.executor.execute(job_id, attempt, job_type)
