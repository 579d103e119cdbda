"""Durable job state: a ``JobStore`` interface, its SQL implementation and an in-memory one.

Phase changes are compare-and-set (``UPDATE ... WHERE phase IN (allowed sources)``) so that a
gateway, several workers and a reaper can race on one job and exactly one of them wins.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from esap_graphql.domain.jobs import (
    ErrorType,
    Job,
    JobError,
    JobFilter,
    JobResult,
    UnknownJob,
)
from esap_graphql.domain.uws import (
    FINAL_PHASES,
    ExecutionPhase,
    IllegalPhaseTransition,
    sources_of,
)
from esap_graphql.storage.job_tables import JobRow, JobWorkerRow

_UNFINISHED = tuple(
    p.value for p in ExecutionPhase if p not in FINAL_PHASES and p is not ExecutionPhase.UNKNOWN
)


class JobStore(Protocol):
    """Where jobs live between requests, workers and restarts."""

    async def add(self, job: Job) -> None:
        """Store a new job."""

    async def get(self, job_id: str) -> Job | None:
        """The job, or None."""

    async def find(self, owner: str, where: JobFilter) -> list[Job]:
        """The owner's jobs, newest first."""

    async def count_unfinished(self, owner: str) -> int:
        """How many of the owner's jobs are not in a final phase."""

    async def transition(
        self,
        job_id: str,
        to: ExecutionPhase,
        *,
        only_from: Iterable[ExecutionPhase] | None = None,
        expect_attempts: int | None = None,
        **changes: Any,
    ) -> Job:
        """Move the job to ``to`` (and apply ``changes``) if its phase allows it.

        ``only_from`` narrows the allowed source phases; ``expect_attempts`` requires that
        attempt count. Raise ``UnknownJob`` or ``IllegalPhaseTransition``.
        """

    async def update(
        self,
        job_id: str,
        *,
        only_in: Iterable[ExecutionPhase],
        expect_attempts: int | None = None,
        **changes: Any,
    ) -> Job:
        """Change attributes other than the phase while the job is in one of ``only_in``
        (and, if given, has made ``expect_attempts`` attempts)."""

    async def delete(self, job_id: str) -> bool:
        """Forget the job; False when there was none."""

    async def expired(self, now: datetime) -> list[Job]:
        """Jobs whose destruction time has passed."""

    async def in_phase(self, phase: ExecutionPhase) -> list[Job]:
        """Every job in this phase (recovery after a restart)."""

    async def heartbeat(self, worker: str, at: datetime) -> None:
        """Record that the worker is alive."""

    async def remove_worker(self, worker: str) -> None:
        """The worker stopped cleanly."""

    async def orphaned(self, alive_since: datetime) -> list[Job]:
        """EXECUTING jobs whose worker has not sent a heartbeat since ``alive_since``, and
        QUEUED ones such a worker had taken (a job waiting for a remote start)."""


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _to_row_values(changes: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "results":
            values["results"] = json.dumps(
                [{"name": r.name, "mime_type": r.mime_type, "size": r.size} for r in value]
            )
        elif key == "error":
            error: JobError | None = value
            values["error_type"] = error.type.value if error else None
            values["error_code"] = error.code if error else None
            values["error_message"] = error.message if error else None
            values["error_detail"] = error.detail if error else None
        elif key == "parameters":
            values["parameters"] = json.dumps(value)
        elif key == "phase":
            values["phase"] = value.value
        else:
            values[key] = value
    return values


def to_row(job: Job) -> JobRow:
    """The table row of a job."""
    values = _to_row_values(
        {
            "id": job.id,
            "owner": job.owner,
            "type": job.type,
            "phase": job.phase,
            "parameters": dict(job.parameters),
            "run_id": job.run_id,
            "creation_time": job.creation_time,
            "start_time": job.start_time,
            "end_time": job.end_time,
            "quote": job.quote,
            "execution_duration": job.execution_duration,
            "destruction_time": job.destruction_time,
            "results": job.results,
            "error": job.error,
            "attempts": job.attempts,
            "worker": job.worker,
        }
    )
    return JobRow(**values)


def from_row(row: Any) -> Job:
    """The domain job of a row (an ORM row or a result row with the same columns)."""
    error = None
    if row.error_type is not None:
        error = JobError(
            type=ErrorType(row.error_type),
            code=row.error_code or "error",
            message=row.error_message or "",
            detail=row.error_detail,
        )
    creation = _aware(row.creation_time)
    destruction = _aware(row.destruction_time)
    assert creation is not None
    assert destruction is not None
    return Job(
        id=row.id,
        owner=row.owner,
        type=row.type,
        phase=ExecutionPhase(row.phase),
        parameters=json.loads(row.parameters),
        run_id=row.run_id,
        creation_time=creation,
        start_time=_aware(row.start_time),
        end_time=_aware(row.end_time),
        quote=_aware(row.quote),
        execution_duration=row.execution_duration,
        destruction_time=destruction,
        results=tuple(
            JobResult(name=r["name"], mime_type=r["mime_type"], size=int(r["size"]))
            for r in json.loads(row.results)
        ),
        error=error,
        attempts=row.attempts,
        worker=row.worker,
    )


_T = JobRow.__table__  # type: ignore[attr-defined]


class SqlJobStore:
    """Jobs in the gateway's database (SQLite or PostgreSQL)."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self._engine = engine
        # SQLite has one writer at a time and makes a blocked connection sleep and retry;
        # queueing this process's writes here is much faster than letting them collide.
        self._sqlite_writes = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        if self._sqlite_writes is None:
            async with self._engine.begin() as conn:
                yield conn
            return
        async with self._sqlite_writes, self._engine.begin() as conn:
            yield conn

    async def add(self, job: Job) -> None:
        # a Core insert: the ORM unit of work costs more than the write itself here
        values = to_row(job).model_dump()
        async with self._write() as conn:
            await conn.execute(_T.insert().values(**values))

    async def get(self, job_id: str) -> Job | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(_T).where(_T.c.id == job_id))).first()
        return from_row(row) if row is not None else None

    async def find(self, owner: str, where: JobFilter) -> list[Job]:
        query = select(_T).where(_T.c.owner == owner)
        if where.phases:
            query = query.where(_T.c.phase.in_([p.value for p in where.phases]))
        else:
            query = query.where(_T.c.phase != ExecutionPhase.ARCHIVED.value)
        if where.after is not None:
            query = query.where(_T.c.creation_time > where.after)
        query = query.order_by(_T.c.creation_time.desc(), _T.c.id.desc())
        if where.last is not None:
            query = query.limit(where.last)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [from_row(r) for r in rows]

    async def count_unfinished(self, owner: str) -> int:
        query = select(func.count()).where(_T.c.owner == owner, _T.c.phase.in_(_UNFINISHED))
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def _conditional_update(
        self, job_id: str, conditions: list[Any], values: dict[str, Any]
    ) -> Job | None:
        statement = (
            update(_T).where(_T.c.id == job_id, *conditions).values(**values).returning(*_T.c)
        )
        async with self._write() as conn:
            row = (await conn.execute(statement)).first()
        return from_row(row) if row is not None else None

    async def transition(
        self,
        job_id: str,
        to: ExecutionPhase,
        *,
        only_from: Iterable[ExecutionPhase] | None = None,
        expect_attempts: int | None = None,
        **changes: Any,
    ) -> Job:
        allowed = sources_of(to)
        if only_from is not None:
            allowed &= frozenset(only_from)
        conditions: list[Any] = [_T.c.phase.in_([p.value for p in allowed])]
        if expect_attempts is not None:
            conditions.append(_T.c.attempts == expect_attempts)
        job = await self._conditional_update(
            job_id, conditions, _to_row_values({"phase": to, **changes})
        )
        if job is None:
            current = await self.get(job_id)
            if current is None:
                raise UnknownJob(job_id)
            raise IllegalPhaseTransition(job_id, current.phase, to)
        return job

    async def update(
        self,
        job_id: str,
        *,
        only_in: Iterable[ExecutionPhase],
        expect_attempts: int | None = None,
        **changes: Any,
    ) -> Job:
        conditions: list[Any] = [_T.c.phase.in_([p.value for p in only_in])]
        if expect_attempts is not None:
            conditions.append(_T.c.attempts == expect_attempts)
        job = await self._conditional_update(job_id, conditions, _to_row_values(changes))
        if job is None:
            current = await self.get(job_id)
            if current is None:
                raise UnknownJob(job_id)
            raise IllegalPhaseTransition(job_id, current.phase, current.phase)
        return job

    async def delete(self, job_id: str) -> bool:
        async with self._write() as conn:
            result = await conn.execute(delete(_T).where(_T.c.id == job_id))
        return bool(result.rowcount)

    async def expired(self, now: datetime) -> list[Job]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(_T).where(_T.c.destruction_time <= now))).all()
        return [from_row(r) for r in rows]

    async def in_phase(self, phase: ExecutionPhase) -> list[Job]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(_T).where(_T.c.phase == phase.value))).all()
        return [from_row(r) for r in rows]

    async def heartbeat(self, worker: str, at: datetime) -> None:
        workers = JobWorkerRow.__table__  # type: ignore[attr-defined]
        async with self._write() as conn:
            result = await conn.execute(
                update(workers).where(workers.c.id == worker).values(heartbeat=at)
            )
            if not result.rowcount:
                await conn.execute(workers.insert().values(id=worker, heartbeat=at))

    async def remove_worker(self, worker: str) -> None:
        workers = JobWorkerRow.__table__  # type: ignore[attr-defined]
        async with self._write() as conn:
            await conn.execute(delete(workers).where(workers.c.id == worker))

    async def orphaned(self, alive_since: datetime) -> list[Job]:
        workers = JobWorkerRow.__table__  # type: ignore[attr-defined]
        alive = select(workers.c.id).where(workers.c.heartbeat >= alive_since)
        executing = _T.c.phase == ExecutionPhase.EXECUTING.value
        taken = (_T.c.phase == ExecutionPhase.QUEUED.value) & _T.c.worker.is_not(None)
        query = select(_T).where(
            executing | taken,
            (executing & _T.c.worker.is_(None)) | (_T.c.worker.not_in(alive)),
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [from_row(r) for r in rows]


class InMemoryJobStore:
    """Jobs in a dict: the test double of ``SqlJobStore`` (same rules, no database)."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.workers: dict[str, datetime] = {}

    async def add(self, job: Job) -> None:
        self.jobs[job.id] = job

    async def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    async def find(self, owner: str, where: JobFilter) -> list[Job]:
        found = [
            j
            for j in self.jobs.values()
            if j.owner == owner
            and (
                j.phase in where.phases if where.phases else j.phase is not ExecutionPhase.ARCHIVED
            )
            and (where.after is None or j.creation_time > where.after)
        ]
        found.sort(key=lambda j: (j.creation_time, j.id), reverse=True)
        return found[: where.last] if where.last is not None else found

    async def count_unfinished(self, owner: str) -> int:
        return sum(
            1 for j in self.jobs.values() if j.owner == owner and j.phase.value in _UNFINISHED
        )

    async def transition(
        self,
        job_id: str,
        to: ExecutionPhase,
        *,
        only_from: Iterable[ExecutionPhase] | None = None,
        expect_attempts: int | None = None,
        **changes: Any,
    ) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise UnknownJob(job_id)
        allowed = sources_of(to)
        if only_from is not None:
            allowed &= frozenset(only_from)
        if job.phase not in allowed or (
            expect_attempts is not None and job.attempts != expect_attempts
        ):
            raise IllegalPhaseTransition(job_id, job.phase, to)
        job = self.jobs[job_id] = job.with_changes(phase=to, **changes)
        return job

    async def update(
        self,
        job_id: str,
        *,
        only_in: Iterable[ExecutionPhase],
        expect_attempts: int | None = None,
        **changes: Any,
    ) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise UnknownJob(job_id)
        if job.phase not in frozenset(only_in) or (
            expect_attempts is not None and job.attempts != expect_attempts
        ):
            raise IllegalPhaseTransition(job_id, job.phase, job.phase)
        job = self.jobs[job_id] = job.with_changes(**changes)
        return job

    async def delete(self, job_id: str) -> bool:
        return self.jobs.pop(job_id, None) is not None

    async def expired(self, now: datetime) -> list[Job]:
        return [j for j in self.jobs.values() if j.destruction_time <= now]

    async def in_phase(self, phase: ExecutionPhase) -> list[Job]:
        return [j for j in self.jobs.values() if j.phase is phase]

    async def heartbeat(self, worker: str, at: datetime) -> None:
        self.workers[worker] = at

    async def remove_worker(self, worker: str) -> None:
        self.workers.pop(worker, None)

    async def orphaned(self, alive_since: datetime) -> list[Job]:
        return [
            j
            for j in self.jobs.values()
            if (
                j.phase is ExecutionPhase.EXECUTING
                or (j.phase is ExecutionPhase.QUEUED and j.worker is not None)
            )
            and (
                j.worker is None
                or j.worker not in self.workers
                or self.workers[j.worker] < alive_since
            )
        ]
