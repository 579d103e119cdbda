"""``test.sleep``: waits, then writes its parameters back as a JSON result.

A real worker type with no archive behind it: for checking a deployment end to end,
for the benchmark, and for tests of abort, execution duration and failure handling.
"""

from __future__ import annotations

import asyncio
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from esap_graphql.domain.jobs import (
    Job,
    JobFatalError,
    JobResult,
    JobTransientError,
    JobUsageError,
)
from esap_graphql.services.job_types.base import JobContext, JobType


class SleepParameters(BaseModel):
    """Parameters of ``test.sleep``."""

    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(default=0.0, ge=0, le=3600, description="How long to wait.")
    fail: Literal["usage", "transient", "fatal"] | None = Field(
        default=None, description="End in ERROR with a failure of this kind instead."
    )
    message: str | None = Field(default=None, max_length=1000, description="Echoed back.")


class SleepJob(JobType):
    """Sleeps ``seconds``, then writes ``echo.json`` (or fails as asked)."""

    name = "test.sleep"
    description = "Waits `seconds`, then returns its parameters as echo.json (for tests)."
    Parameters = SleepParameters

    async def run(self, job: Job, ctx: JobContext) -> list[JobResult]:
        params = SleepParameters.model_validate(dict(job.parameters))
        if params.seconds:
            await asyncio.sleep(params.seconds)
        failures = {"usage": JobUsageError, "transient": JobTransientError, "fatal": JobFatalError}
        if params.fail is not None:
            raise failures[params.fail](f"test.sleep failed on purpose ({params.fail})")
        body = json.dumps({"job": job.id, "parameters": dict(job.parameters)}).encode()
        return [await ctx.results.write(job.id, "echo.json", body, mime_type="application/json")]
