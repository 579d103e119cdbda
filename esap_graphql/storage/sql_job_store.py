"""Jobs in SQLite or PostgreSQL (SQLAlchemy Core); every phase change is one conditional
``UPDATE ... WHERE phase IN (the move's sources) RETURNING *``.

The statements of a job's life (count, insert, get, compare-and-set) are built once and
reused with bound parameters: building and cache-keying a new statement object per call cost
more CPU than the database round trip."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from esap_graphql.domain.jobs import ErrorType, Job, JobError, JobFilter, JobResult, UnknownJob
from esap_graphql.domain.uws import ExecutionPhase, IllegalPhaseTransition, Move
from esap_graphql.storage.job_store import UNFINISHED
from esap_graphql.storage.job_tables import JobRow, JobWorkerRow

_UNFINISHED = tuple(p.value for p in UNFINISHED)


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


def to_row_values(job: Job) -> dict[str, Any]:
    """The column values of a job's row."""
    return _to_row_values(
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


def _phase_in(phases: Iterable[str]) -> Any:
    # ``phase = a OR phase = b``: ``IN`` with a list is an "expanding" parameter that
    # SQLAlchemy renders anew at every execution
    return or_(*(_T.c.phase == p for p in sorted(phases)))


_INSERT = _T.insert()
_GET = select(_T).where(_T.c.id == bindparam("job_id"))
_COUNT_UNFINISHED = (
    select(func.count())
    .select_from(_T)
    .where(_T.c.owner == bindparam("owner"), _phase_in(_UNFINISHED))
)
#: ``INSERT INTO jobs SELECT <the job> WHERE (<the owner's unfinished jobs>) < :limit``
_INSERT_UNDER_LIMIT = _T.insert().from_select(
    [c.name for c in _T.c],
    select(*(bindparam(c.name, type_=c.type) for c in _T.c)).where(
        _COUNT_UNFINISHED.scalar_subquery() < bindparam("limit")
    ),
)


@functools.cache
def _compare_and_set(phases: frozenset[str], attempts: bool) -> Any:
    """``UPDATE jobs SET <the parameters not named below> WHERE id = :job_id AND phase IN
    phases [AND attempts = :expect_attempts] RETURNING *``, built once per move."""
    conditions = [_T.c.id == bindparam("job_id"), _phase_in(phases)]
    if attempts:
        conditions.append(_T.c.attempts == bindparam("expect_attempts"))
    return update(_T).where(*conditions).returning(*_T.c)


class SqlJobStore:
    """Jobs in the gateway's database (SQLite or PostgreSQL)."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self._engine = engine
        # SQLite has one writer at a time and makes a blocked connection sleep and retry;
        # queueing this process's writes here is much faster than letting them collide.
        self._sqlite_writes = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        # Every statement here stands alone (a compare-and-set is one UPDATE), so on
        # PostgreSQL it runs in autocommit: no BEGIN and COMMIT round trips around it.
        self._single = (
            engine
            if self._sqlite_writes is not None
            else engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        if self._sqlite_writes is None:
            async with self._single.connect() as conn:
                yield conn
            return
        async with self._sqlite_writes, self._engine.begin() as conn:
            yield conn

    async def add(self, job: Job, *, max_unfinished: int | None = None) -> bool:
        # a Core insert: the ORM unit of work costs more than the write itself here
        values = to_row_values(job)
        async with self._write() as conn:
            if max_unfinished is None:
                await conn.execute(_INSERT, values)
                return True
            values["limit"] = max_unfinished
            result = await conn.execute(_INSERT_UNDER_LIMIT, values)
        return bool(result.rowcount)

    async def get(self, job_id: str) -> Job | None:
        async with self._single.connect() as conn:
            row = (await conn.execute(_GET, {"job_id": job_id})).first()
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
        async with self._single.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [from_row(r) for r in rows]

    async def count_unfinished(self, owner: str) -> int:
        async with self._single.connect() as conn:
            return int((await conn.execute(_COUNT_UNFINISHED, {"owner": owner})).scalar_one())

    async def _conditional_update(
        self,
        job_id: str,
        phases: frozenset[str],
        expect_attempts: int | None,
        values: dict[str, Any],
    ) -> Job | None:
        statement = _compare_and_set(phases, expect_attempts is not None)
        parameters = {**values, "job_id": job_id}
        if expect_attempts is not None:
            parameters["expect_attempts"] = expect_attempts
        async with self._write() as conn:
            row = (await conn.execute(statement, parameters)).first()
        return from_row(row) if row is not None else None

    async def apply(
        self, job_id: str, move: Move, *, expect_attempts: int | None = None, **changes: Any
    ) -> Job:
        job = await self._conditional_update(
            job_id,
            frozenset(p.value for p in move.sources),
            expect_attempts,
            _to_row_values({"phase": move.to, **changes}),
        )
        if job is None:
            current = await self.get(job_id)
            if current is None:
                raise UnknownJob(job_id)
            raise IllegalPhaseTransition(job_id, current.phase, move.to)
        return job

    async def update(
        self, job_id: str, *, only_in: Iterable[ExecutionPhase], **changes: Any
    ) -> Job:
        job = await self._conditional_update(
            job_id, frozenset(p.value for p in only_in), None, _to_row_values(changes)
        )
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
        async with self._single.connect() as conn:
            rows = (await conn.execute(select(_T).where(_T.c.destruction_time <= now))).all()
        return [from_row(r) for r in rows]

    async def in_phase(self, phase: ExecutionPhase) -> list[Job]:
        async with self._single.connect() as conn:
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

    async def live_workers(self, alive_since: datetime) -> int:
        workers = JobWorkerRow.__table__  # type: ignore[attr-defined]
        query = select(func.count()).select_from(workers).where(workers.c.heartbeat >= alive_since)
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def orphaned(self, alive_since: datetime) -> list[Job]:
        workers = JobWorkerRow.__table__  # type: ignore[attr-defined]
        alive = select(workers.c.id).where(workers.c.heartbeat >= alive_since)
        executing = _T.c.phase == ExecutionPhase.EXECUTING.value
        taken = (_T.c.phase == ExecutionPhase.QUEUED.value) & _T.c.worker.is_not(None)
        query = select(_T).where(
            executing | taken,
            (executing & _T.c.worker.is_(None)) | (_T.c.worker.not_in(alive)),
        )
        async with self._single.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [from_row(r) for r in rows]
