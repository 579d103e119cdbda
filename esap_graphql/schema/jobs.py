"""Asynchronous jobs: types, root fields, typed errors and phase subscriptions."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from esap_graphql.domain import jobs as domain
from esap_graphql.domain import uws
from esap_graphql.domain.errors import UsageError
from esap_graphql.resolvers import jobs as resolve
from esap_graphql.schema.context import Info
from esap_graphql.schema.errors import Error, from_domain, maps


@strawberry.enum(description="The execution phase of a job (IVOA UWS 1.1).")
class ExecutionPhase(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Created, not yet asked to run.")
    QUEUED = strawberry.enum_value("QUEUED", description="Accepted to run; waiting for a worker.")
    EXECUTING = strawberry.enum_value("EXECUTING", description="A worker is running it.")
    COMPLETED = strawberry.enum_value("COMPLETED", description="Finished; results are ready.")
    ERROR = strawberry.enum_value("ERROR", description="Failed; see the job's error.")
    ABORTED = strawberry.enum_value(
        "ABORTED", description="Stopped by its owner or by the server (execution duration)."
    )
    UNKNOWN = strawberry.enum_value("UNKNOWN", description="The state cannot be determined.")
    HELD = strawberry.enum_value("HELD", description="Held by the server; will not run by itself.")
    SUSPENDED = strawberry.enum_value("SUSPENDED", description="Paused by the server.")
    ARCHIVED = strawberry.enum_value(
        "ARCHIVED", description="Past its destruction time; results are gone."
    )

    @classmethod
    def from_domain(cls, phase: uws.ExecutionPhase) -> ExecutionPhase:
        """The schema phase of a domain phase."""
        return cls(phase.value)

    def to_domain(self) -> uws.ExecutionPhase:
        """The domain phase."""
        return uws.ExecutionPhase(self.value)


@strawberry.enum(description="Whether a failed job may succeed if run again (UWS error type).")
class JobErrorType(Enum):
    TRANSIENT = strawberry.enum_value(
        "transient", description="A service was unavailable or slow: try again later."
    )
    FATAL = strawberry.enum_value(
        "fatal", description="The job cannot succeed as it is: change it before running again."
    )


@strawberry.type(description="A result file of a job.")
class JobResult:
    name: str = strawberry.field(description="Result name, unique within the job.")
    url: str = strawberry.field(description="Where to download it (served by the gateway).")
    mime_type: str = strawberry.field(description="MIME type of the file.")
    size: float = strawberry.field(description="Size in bytes (a Float: sizes exceed 2^31).")


@strawberry.type(name="JobError", description="Why a job ended in ERROR (or was aborted).")
class JobErrorSummary:
    type: JobErrorType = strawberry.field(description="Transient (retry later) or fatal.")
    code: str = strawberry.field(description="Stable machine-readable code.")
    message: str = strawberry.field(description="What happened, for a person to act on.")


@strawberry.type(description="An asynchronous job (an IVOA UWS job) of the caller.")
class Job:
    id: strawberry.ID = strawberry.field(description="Job id.")
    type: str = strawberry.field(description="Worker type, e.g. query.tap.")
    phase: ExecutionPhase = strawberry.field(description="Current execution phase.")
    run_id: str | None = strawberry.field(description="The client's own label for the job.")
    owner: str = strawberry.field(description="Id of the user the job belongs to.")
    parameters: JSON = strawberry.field(description="Parameters, as validated by the worker type.")
    creation_time: datetime = strawberry.field(description="When the job was created.")
    start_time: datetime | None = strawberry.field(description="When execution started.")
    end_time: datetime | None = strawberry.field(description="When execution ended.")
    execution_duration: int = strawberry.field(
        description="Seconds the job may run before the server aborts it."
    )
    destruction: datetime = strawberry.field(
        description="When the job and its results will be deleted."
    )
    attempts: int = strawberry.field(
        description="Times execution was started (more than 1 after a lost worker)."
    )
    results: list[JobResult] = strawberry.field(description="Result files (when COMPLETED).")
    error: JobErrorSummary | None = strawberry.field(description="Error summary, if it failed.")

    @classmethod
    def from_domain(cls, job: domain.Job, base_url: str) -> Job:
        """The schema job of a domain job; ``base_url`` roots the result links."""
        return cls(
            id=strawberry.ID(job.id),
            type=job.type,
            phase=ExecutionPhase.from_domain(job.phase),
            run_id=job.run_id,
            owner=job.owner,
            parameters=cast(JSON, dict(job.parameters)),
            creation_time=job.creation_time,
            start_time=job.start_time,
            end_time=job.end_time,
            execution_duration=job.execution_duration,
            destruction=job.destruction_time,
            attempts=job.attempts,
            results=[
                JobResult(
                    name=r.name,
                    url=f"{base_url}/uws/jobs/{job.id}/results/{r.name}",
                    mime_type=r.mime_type,
                    size=float(r.size),
                )
                for r in job.results
            ],
            error=JobErrorSummary(
                type=JobErrorType(job.error.type.value),
                code=job.error.code,
                message=job.error.message,
            )
            if job.error
            else None,
        )


@strawberry.type(description="A worker type: what kind of work a job does.")
class JobType:
    name: str = strawberry.field(description="The name to pass as createJob's type.")
    description: str = strawberry.field(description="What it does and its parameters.")
    parameters: JSON = strawberry.field(description="JSON Schema of the parameters it accepts.")


@strawberry.type(description="A job changed phase (or was deleted).")
class PhaseChange:
    job_id: strawberry.ID = strawberry.field(description="The job's id.")
    phase: ExecutionPhase = strawberry.field(description="The phase it is now in.")
    at: datetime = strawberry.field(description="When the change was announced.")
    deleted: bool = strawberry.field(description="True when the job was deleted.")

    @classmethod
    def from_domain(cls, event: domain.PhaseEvent) -> PhaseChange:
        """The schema event of a domain event."""
        return cls(
            job_id=strawberry.ID(event.job_id),
            phase=ExecutionPhase.from_domain(event.phase),
            at=event.at,
            deleted=event.deleted,
        )


@maps(domain.UnknownJob)
@strawberry.type(description="No job with this id belongs to the caller.")
class UnknownJob(Error):
    job_id: str = strawberry.field(description="The id that was asked for.")

    @classmethod
    def from_domain(cls, exc: domain.UnknownJob) -> UnknownJob:
        return cls(code=exc.code, message=exc.message, job_id=exc.job_id)


@maps(domain.UnknownJobType)
@strawberry.type(description="No worker type has this name.")
class UnknownJobType(Error):
    type: str = strawberry.field(description="The type that was asked for.")
    known: list[str] = strawberry.field(description="The worker types there are.")

    @classmethod
    def from_domain(cls, exc: domain.UnknownJobType) -> UnknownJobType:
        return cls(code=exc.code, message=exc.message, type=exc.type_name, known=list(exc.known))


@maps(domain.InvalidJobParameters)
@strawberry.type(description="The parameters do not fit the worker type.")
class InvalidJobParameters(Error):
    type: str = strawberry.field(description="The worker type.")
    problems: list[str] = strawberry.field(description="Each problem: 'parameter: reason'.")

    @classmethod
    def from_domain(cls, exc: domain.InvalidJobParameters) -> InvalidJobParameters:
        return cls(
            code=exc.code, message=exc.message, type=exc.type_name, problems=list(exc.problems)
        )


@maps(uws.IllegalPhaseTransition)
@strawberry.type(description="UWS does not allow the job to move from its phase to the one asked.")
class IllegalPhaseTransition(Error):
    job_id: str = strawberry.field(description="The job.")
    current: ExecutionPhase = strawberry.field(description="Its phase.")
    requested: ExecutionPhase = strawberry.field(description="The phase asked for.")

    @classmethod
    def from_domain(cls, exc: uws.IllegalPhaseTransition) -> IllegalPhaseTransition:
        return cls(
            code=exc.code,
            message=exc.message,
            job_id=exc.job_id,
            current=ExecutionPhase.from_domain(exc.current),
            requested=ExecutionPhase.from_domain(exc.requested),
        )


@maps(domain.TooManyJobs)
@strawberry.type(description="The caller has as many unfinished jobs as allowed.")
class TooManyJobs(Error):
    limit: int = strawberry.field(description="The most unfinished jobs a user may have.")

    @classmethod
    def from_domain(cls, exc: domain.TooManyJobs) -> TooManyJobs:
        return cls(code=exc.code, message=exc.message, limit=exc.limit)


@strawberry.type(description="A job was deleted, with its results.")
class DeletedJob:
    id: strawberry.ID = strawberry.field(description="The deleted job's id.")


CreateJobPayload = Annotated[
    Job | UnknownJobType | InvalidJobParameters | TooManyJobs,
    strawberry.union("CreateJobPayload", description="The new job, or why it was refused."),
]
JobActionPayload = Annotated[
    Job | UnknownJob | IllegalPhaseTransition,
    strawberry.union("JobActionPayload", description="The job after the change, or why not."),
]
DeleteJobPayload = Annotated[
    DeletedJob | UnknownJob | IllegalPhaseTransition,
    strawberry.union("DeleteJobPayload", description="The deleted job, or why not."),
]


def _job_or_error(info: Info, outcome: domain.Job | UsageError) -> Any:
    if isinstance(outcome, UsageError):
        return from_domain(outcome)
    return Job.from_domain(outcome, info.context.base_url)


JobId = Annotated[strawberry.ID, strawberry.argument(description="Job id.")]


@strawberry.type
class JobQuery:
    @strawberry.field(description="One of the caller's jobs; null when there is none.")
    async def job(self, info: Info, id: JobId) -> Job | None:
        found = await resolve.job(info.context, id)
        return Job.from_domain(found, info.context.base_url) if found else None

    @strawberry.field(description="The caller's jobs, newest first.")
    async def jobs(
        self,
        info: Info,
        phases: Annotated[
            list[ExecutionPhase] | None,
            strawberry.argument(description="Only jobs in one of these phases (UWS PHASE)."),
        ] = None,
        after: Annotated[
            datetime | None,
            strawberry.argument(description="Only jobs created after this instant (UWS AFTER)."),
        ] = None,
        last: Annotated[
            int | None, strawberry.argument(description="At most this many, newest (UWS LAST).")
        ] = None,
    ) -> list[Job]:
        wanted = [p.to_domain() for p in phases] if phases else None
        found = await resolve.jobs(info.context, wanted, after, last)
        base = info.context.base_url
        return [Job.from_domain(j, base) for j in found]

    @strawberry.field(description="The worker types jobs can be created with.")
    def job_types(self, info: Info) -> list[JobType]:
        return [
            JobType(
                name=t.name,
                description=t.description,
                parameters=cast(JSON, t.Parameters.model_json_schema()),
            )
            for t in resolve.job_types(info.context)
        ]


@strawberry.type
class JobMutation:
    @strawberry.mutation(description="Create a job; with run: true it is queued at once.")
    async def create_job(
        self,
        info: Info,
        type: Annotated[str, strawberry.argument(description="Worker type, e.g. query.tap.")],
        parameters: Annotated[
            JSON | None,
            strawberry.argument(description="Parameters of the worker type (a JSON object)."),
        ] = None,
        run: Annotated[
            bool, strawberry.argument(description="Queue the job now (else it stays PENDING).")
        ] = False,
        run_id: Annotated[
            str | None, strawberry.argument(description="The client's own label for the job.")
        ] = None,
        execution_duration: Annotated[
            int | None,
            strawberry.argument(description="Seconds it may run (default and maximum: server's)."),
        ] = None,
    ) -> CreateJobPayload:
        outcome = await resolve.create(
            info.context,
            type,
            cast(dict[str, Any], parameters) if parameters is not None else {},
            run=run,
            run_id=run_id,
            execution_duration=execution_duration,
        )
        return cast(CreateJobPayload, _job_or_error(info, outcome))

    @strawberry.mutation(description="Queue a PENDING job (UWS PHASE=RUN).")
    async def start_job(self, info: Info, id: JobId) -> JobActionPayload:
        return cast(JobActionPayload, _job_or_error(info, await resolve.start(info.context, id)))

    @strawberry.mutation(description="Abort a job; a running one is stopped (UWS PHASE=ABORT).")
    async def abort_job(self, info: Info, id: JobId) -> JobActionPayload:
        return cast(JobActionPayload, _job_or_error(info, await resolve.abort(info.context, id)))

    @strawberry.mutation(description="Delete a job and its results, aborting it if it runs.")
    async def delete_job(self, info: Info, id: JobId) -> DeleteJobPayload:
        outcome = await resolve.delete(info.context, id)
        if isinstance(outcome, UsageError):
            return cast(DeleteJobPayload, from_domain(outcome))
        return DeletedJob(id=strawberry.ID(outcome.id))


@strawberry.type
class JobSubscription:
    @strawberry.subscription(
        description="The job's phase now, then every change, until it ends (or is deleted)."
    )
    async def job_phase(self, info: Info, id: JobId) -> AsyncGenerator[PhaseChange, None]:
        async for event in resolve.watch_job(info.context, id):
            yield PhaseChange.from_domain(event)

    @strawberry.subscription(description="Every phase change of every job of the caller.")
    async def my_jobs(self, info: Info) -> AsyncGenerator[PhaseChange, None]:
        async for event in resolve.watch_mine(info.context):
            yield PhaseChange.from_domain(event)
