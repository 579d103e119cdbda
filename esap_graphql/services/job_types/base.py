"""What a worker type is: parameters it accepts and the coroutine that does the work."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ValidationError

from esap_graphql.connectors.tap_jobs import TapJobClient
from esap_graphql.domain.analysis import Facility
from esap_graphql.domain.jobs import InvalidJobParameters, Job, JobResult
from esap_graphql.domain.uws import ExecutionPhase
from esap_graphql.services.analysis_runtime import AnalysisRuntime
from esap_graphql.services.basket import BasketService
from esap_graphql.services.batch_backend import BatchBackend
from esap_graphql.services.dataset_query import DatasetQueryService
from esap_graphql.services.multi_query import MultiQueryService
from esap_graphql.storage.result_files import ResultFiles


class RemotePhases(Protocol):
    """What a job whose start is decided remotely tells the gateway, and asks it."""

    async def report(self, phase: ExecutionPhase) -> None:
        """Record and push the phase the remote system reports (QUEUED, EXECUTING or
        SUSPENDED)."""
        ...

    async def stopped(self) -> bool:
        """True when the job was aborted or deleted (when ``run`` is cancelled for that, the
        remote work must stop; when its worker shuts down, it runs on for the next attempt)."""
        ...


@dataclass(frozen=True, kw_only=True)
class JobContext:
    """What job code may use; built by the in-process runner and by arq workers alike."""

    queries: DatasetQueryService
    multi_queries: MultiQueryService
    baskets: BasketService
    results: ResultFiles
    tap_jobs: TapJobClient
    """Asynchronous jobs on archives' own TAP services."""
    remote_timeout: float
    """Seconds one call to a remote service (not the whole job) may take."""
    remote_poll_interval: float
    """Seconds between two looks at a remote asynchronous job."""
    max_result_bytes: int
    """Largest result file a job may fetch from a remote service."""
    analysis: AnalysisRuntime | None = None
    """Analysis facilities, workflows and their connectors (for analysis.* and batch.*)."""
    batch: Callable[[Facility], BatchBackend] | None = None
    """The back-end of a batch facility (for batch.*)."""
    remote: RemotePhases | None = None
    """For a type that ``starts_remotely``: its job's phases as the remote system reports
    them. Set per job by the executor; None otherwise."""


class JobType(ABC):
    """A worker type: subclass it, set ``name``, ``description`` and ``Parameters``, implement
    ``run``, and add the class to ``JOB_TYPES`` in ``services/job_types/__init__.py``."""

    name: ClassVar[str]
    description: ClassVar[str]
    Parameters: ClassVar[type[BaseModel]]
    starts_remotely: ClassVar[bool] = False
    """True when another system (a batch scheduler) decides when the work starts: the job
    then stays QUEUED when a worker takes it, and ``run`` reports EXECUTING through
    ``ctx.remote`` once the remote side runs it."""

    @classmethod
    def validate(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The normalised parameters (JSON values); raise ``InvalidJobParameters``."""
        try:
            model = cls.Parameters.model_validate(dict(raw))
        except ValidationError as exc:
            problems = tuple(
                f"{'.'.join(str(p) for p in err['loc']) or 'parameters'}: {err['msg']}"
                for err in exc.errors()
            )
            raise InvalidJobParameters(cls.name, problems) from exc
        return model.model_dump(mode="json", exclude_none=True, by_alias=True)

    @abstractmethod
    async def run(self, job: Job, ctx: JobContext) -> list[JobResult]:
        """Do the work; return the results written with ``ctx.results``.

        Raise a ``JobFailure`` subclass (or let domain errors through) on failure. The task is
        cancelled on abort and when the execution duration runs out: clean up remote state
        in ``except asyncio.CancelledError`` / ``finally``, then re-raise.
        """
