"""Jobs: what a job is, its results, its error summary, phase events and job failures.

Failure hierarchy (raised by job types, classified once by ``classify``)::

    EsapError
     +-- JobFailure              a job could not finish; kind says what to tell the user
          +-- JobUsageError      the parameters are wrong; rerunning will fail again -> fatal
          +-- JobTransientError  the archive or the network let us down; retry later -> transient
          +-- JobFatalError      a bug or a state we cannot recover from -> fatal
          +-- JobAbortedRemotely the remote system stopped the work -> ABORTED, fatal
     +-- UsageError
          +-- UnknownJob, UnknownJobType, InvalidJobParameters, TooManyJobs
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from esap_graphql.domain.errors import ArchiveError, EsapError, UsageError
from esap_graphql.domain.uws import ExecutionPhase


def utc_now() -> datetime:
    """Now, in UTC, to the millisecond (what the database keeps)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class ErrorType(enum.Enum):
    """UWS error types: may a retry work (transient) or not (fatal)."""

    TRANSIENT = "transient"
    FATAL = "fatal"


class FailureKind(enum.Enum):
    """How a job failure is classified, once, before it becomes a UWS error type."""

    USAGE = "usage"
    TRANSIENT = "transient"
    FATAL = "fatal"

    @property
    def error_type(self) -> ErrorType:
        """The UWS error type reported for this kind (usage errors are fatal for UWS)."""
        return ErrorType.TRANSIENT if self is FailureKind.TRANSIENT else ErrorType.FATAL


@dataclass(frozen=True, slots=True)
class JobResult:
    """One result file of a job; ``name`` is unique within the job and safe as a file name."""

    name: str
    mime_type: str
    size: int


@dataclass(frozen=True, slots=True)
class JobError:
    """The error summary of a job that ended in ERROR (or was aborted by the server)."""

    type: ErrorType
    code: str
    message: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """A UWS job; ``parameters`` are JSON values, validated by the job's type."""

    id: str
    owner: str
    type: str
    phase: ExecutionPhase
    parameters: Mapping[str, Any]
    creation_time: datetime
    execution_duration: int
    destruction_time: datetime
    run_id: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    quote: datetime | None = None
    results: tuple[JobResult, ...] = ()
    error: JobError | None = None
    attempts: int = 0
    worker: str | None = None

    def with_changes(self, **changes: Any) -> Job:
        """A copy with some attributes changed."""
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class PhaseEvent:
    """A job changed phase (or was deleted: ``deleted`` is then true)."""

    job_id: str
    owner: str
    phase: ExecutionPhase
    at: datetime
    deleted: bool = False

    def to_json(self) -> dict[str, Any]:
        """The event as JSON-safe values (the Redis bus sends it so)."""
        return {
            "job": self.job_id,
            "owner": self.owner,
            "phase": self.phase.value,
            "at": self.at.isoformat(),
            "deleted": self.deleted,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PhaseEvent:
        """The event from ``to_json`` values."""
        return cls(
            job_id=str(data["job"]),
            owner=str(data["owner"]),
            phase=ExecutionPhase(data["phase"]),
            at=datetime.fromisoformat(str(data["at"])),
            deleted=bool(data.get("deleted", False)),
        )


@dataclass(frozen=True, slots=True)
class JobFilter:
    """Which jobs of an owner to list (UWS PHASE / AFTER / LAST)."""

    phases: frozenset[ExecutionPhase] = field(default_factory=frozenset)
    after: datetime | None = None
    last: int | None = None


class JobFailure(EsapError):
    """A job could not finish; ``kind`` classifies it."""

    code = "job_failure"
    kind = FailureKind.FATAL


class JobUsageError(JobFailure):
    """The job's parameters cannot work (bad ADQL, unknown column...)."""

    code = "usage_error"
    kind = FailureKind.USAGE


class JobTransientError(JobFailure):
    """Something outside us failed; the same job may work later."""

    code = "transient_error"
    kind = FailureKind.TRANSIENT


class JobFatalError(JobFailure):
    """The job failed for a reason a retry will not fix."""

    code = "fatal_error"
    kind = FailureKind.FATAL


class JobAbortedRemotely(JobFailure):
    """The system doing the job's work stopped it (e.g. a batch job cancelled on the cluster
    by its administrators): the job ends ABORTED, not ERROR, with this as its summary."""

    code = "aborted_remotely"
    kind = FailureKind.FATAL


class ExecutionDurationExceeded(JobFailure):
    """The job ran longer than its execution duration and was stopped."""

    code = "execution_duration_exceeded"
    kind = FailureKind.FATAL

    def __init__(self, seconds: int) -> None:
        super().__init__(
            f"the job ran longer than its execution duration of {seconds} s and was aborted; "
            "raise the execution duration or narrow the job"
        )


class WorkerLost(JobFailure):
    """The worker process running the job stopped (killed, crashed, lost its host)."""

    code = "worker_lost"
    kind = FailureKind.TRANSIENT

    def __init__(self, worker: str | None, attempts: int) -> None:
        super().__init__(
            f"the worker running this job ({worker or 'unknown'}) stopped without finishing it "
            f"(killed or crashed), {attempts} time(s); giving up. Run the job again."
        )


def classify(exc: BaseException) -> JobError:
    """The UWS error summary for any exception a job raised: the single classification."""
    if isinstance(exc, JobFailure):
        kind, code, message, detail = exc.kind, exc.code, exc.message, exc.detail
    elif isinstance(exc, UsageError):
        kind, code, message, detail = FailureKind.USAGE, exc.code, exc.message, exc.detail
    elif isinstance(exc, ArchiveError):
        kind, code, message, detail = FailureKind.TRANSIENT, exc.code, exc.message, exc.detail
    elif isinstance(exc, TimeoutError):
        kind, code = FailureKind.TRANSIENT, "timeout"
        message, detail = "a remote service did not answer in time; try again later", None
    else:
        kind, code = FailureKind.FATAL, "internal_error"
        message = "the job failed because of an internal error; the operators have the details"
        detail = f"{type(exc).__name__}: {exc}"
    return JobError(type=kind.error_type, code=code, message=message, detail=detail)


class UnknownJob(UsageError):
    """No job with this id belongs to the caller."""

    code = "unknown_job"

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job with id {job_id!r}")
        self.job_id = job_id


class UnknownJobType(UsageError):
    """No worker type has this name."""

    code = "unknown_job_type"

    def __init__(self, type_name: str, known: tuple[str, ...]) -> None:
        super().__init__(f"no job type {type_name!r}; known types: {', '.join(known)}")
        self.type_name = type_name
        self.known = known


class InvalidJobParameters(UsageError):
    """The parameters do not fit the job type."""

    code = "invalid_job_parameters"

    def __init__(self, type_name: str, problems: tuple[str, ...]) -> None:
        super().__init__(f"invalid parameters for {type_name}: {'; '.join(problems)}")
        self.type_name = type_name
        self.problems = problems


class TooManyJobs(UsageError):
    """The caller already has as many unfinished jobs as allowed."""

    code = "too_many_jobs"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"you already have {limit} unfinished jobs, the most allowed; "
            "wait for some to finish or delete some"
        )
        self.limit = limit
