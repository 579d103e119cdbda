"""``batch.slurm``: a workflow (a script, a command, or a container command) run on a batch
cluster with the owner's basket staged as its input.

``BatchJob`` holds everything that does not depend on the batch system: it stages the basket
(as VOTable) into the job's workspace on the staging filesystem shared with the cluster,
submits through a ``BatchBackend``, follows the remote job and reports its phases as they
change (our job is QUEUED while the batch system has it pending and EXECUTING once it runs:
``starts_remotely``), returns standard output, standard error and the files of ``output/``
as results, cancels the remote job when ours is aborted, and ends in ERROR with the tail of
standard error when the script fails. A batch system is one ``BatchBackend`` class, one
subclass here naming its facility kind (like ``SlurmBatchJob``), and the line of the factory
that builds the back-end of such a facility.

The script runs with this environment (batch systems pass the gateway's on to no job):
``ESAP_JOB_ID``, ``ESAP_BASKET`` (the staged VOTable), ``ESAP_OUTPUT_DIR`` (what it writes
there comes back), ``ESAP_WORKDIR`` (the job's directory, also its working directory),
``PATH``, ``LANG``, and the job's own ``environment`` parameter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from abc import abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from esap_graphql.domain.analysis import (
    CommandSource,
    Facility,
    FacilityKind,
    UnknownFacility,
)
from esap_graphql.domain.basket import ExportFormat
from esap_graphql.domain.batch import (
    BatchAuthenticationFailed,
    BatchError,
    BatchRejected,
    BatchStatus,
    BatchSubmission,
    BatchUnreachable,
    UnknownBatchJob,
    command_script,
    container_script,
    tail,
)
from esap_graphql.domain.errors import UsageError
from esap_graphql.domain.jobs import (
    Job,
    JobAbortedRemotely,
    JobFatalError,
    JobResult,
    JobTransientError,
    JobUsageError,
)
from esap_graphql.domain.users import User
from esap_graphql.domain.uws import ExecutionPhase
from esap_graphql.services.batch_backend import BatchBackend
from esap_graphql.services.batch_workspace import RemoteRecord, Workspace, WorkspaceError
from esap_graphql.services.job_types.base import JobContext, JobType
from esap_graphql.services.job_types.batch_parameters import BatchParameters

logger = logging.getLogger(__name__)

_P = ExecutionPhase
#: Longest seconds between two looks at a remote job (the interval grows to it).
MAX_POLL_INTERVAL = 5.0
#: Seconds after submission and after each phase change during which the remote job is
#: looked at every ``remote_poll_interval``: changes come in bursts (a job starts soon after
#: it is submitted, a short one ends soon after it starts); later the interval grows.
EAGER_SECONDS = 10.0
#: Seconds the batch system may stay unreachable while we follow a job before we give up.
LOST_CONTACT_SECONDS = 300.0
#: Bytes of standard error read for the error summary.
_STDERR_TAIL_BYTES = 64 * 1024
#: Remote states that mean the cluster failed the job, not its script: worth a retry.
_CLUSTER_FAILURES = frozenset({"NODE_FAIL", "BOOT_FAIL", "PREEMPTED", "LAUNCH_FAILED"})
_PATH = "/usr/local/bin:/usr/bin:/bin"


def _translated(where: str) -> contextlib.AbstractContextManager[None]:
    """Batch and workspace errors as job failures, classified once."""

    @contextlib.contextmanager
    def translate() -> Iterator[None]:
        try:
            yield
        except BatchRejected as exc:
            raise JobUsageError(f"{where} refused the job: {exc.reason}") from exc
        except BatchAuthenticationFailed as exc:
            raise JobFatalError(
                f"{where} refused the gateway's credentials; the operators must renew them",
                detail=exc.detail,
            ) from exc
        except BatchUnreachable as exc:
            raise JobTransientError(exc.message) from exc
        except BatchError as exc:
            raise JobTransientError(exc.message) from exc
        except WorkspaceError as exc:
            raise JobFatalError(f"the job's staging directory: {exc}") from exc

    return translate()


class BatchJob(JobType):
    """A workflow run on a batch facility of kind ``kind``; subclasses name the back-end."""

    kind: ClassVar[FacilityKind]
    starts_remotely = True
    Parameters = BatchParameters

    def backend(self, facility: Facility, ctx: JobContext) -> BatchBackend:
        """The back-end that runs jobs on this facility."""
        if ctx.batch is None:
            raise JobFatalError("this worker has no batch back-ends configured")
        return ctx.batch(facility)

    @abstractmethod
    def staging_dir(self, facility: Facility) -> Path:
        """The facility's staging directory (shared with its cluster)."""

    @abstractmethod
    def partition(self, facility: Facility) -> str | None:
        """Where on the facility jobs go (a Slurm partition), or the default."""

    # -------------------------------------------------------------- run

    async def run(self, job: Job, ctx: JobContext) -> list[JobResult]:
        params = BatchParameters.model_validate(dict(job.parameters))
        facility, source = self._resolve(params, ctx)
        backend = self.backend(facility, ctx)
        workspace = Workspace(staging_dir=self.staging_dir(facility), job_id=job.id)
        where = backend.where
        with _translated(where):
            remote_id = await self._reattach(workspace, facility, backend)
            if remote_id is None:
                remote_id = await self._submit(
                    job, params, facility, source, backend, workspace, ctx
                )
        logger.info("job %s: %s job %s", job.id, where, remote_id)
        try:
            with _translated(where):
                status = await self._follow(remote_id, backend, ctx)
        except asyncio.CancelledError:
            # aborted (or over time): the cluster must not run it on; but when this worker
            # merely shuts down, the job runs on and the next attempt follows it again
            if ctx.remote is None or await asyncio.shield(ctx.remote.stopped()):
                await asyncio.shield(self._cancel(job, remote_id, backend))
            raise
        except BaseException:
            await asyncio.shield(self._cancel(job, remote_id, backend))
            raise
        try:
            with _translated(where):
                return await self._results(job, status, facility, backend, workspace, ctx)
        finally:
            await workspace.remove()

    def _resolve(self, params: BatchParameters, ctx: JobContext) -> tuple[Facility, CommandSource]:
        if ctx.analysis is None:
            raise JobFatalError("this worker has no analysis catalogue configured")
        catalogue = ctx.analysis.catalogue
        try:
            if params.workflow is not None:
                facility, workflow = catalogue.launchable(params.facility, params.workflow)
                if not isinstance(workflow.source, CommandSource):
                    raise JobUsageError(f"workflow {workflow.id!r} is not a batch workflow")
                source = workflow.source
            else:
                found = catalogue.facility(params.facility)
                if found is None:
                    raise UnknownFacility(params.facility)
                facility = found
                source = CommandSource(script=params.script, command=tuple(params.command or ()))
        except UsageError as exc:
            raise JobUsageError(exc.message) from exc
        if facility.kind is not self.kind:
            raise JobUsageError(
                f"facility {facility.id!r} is a {facility.kind.value} facility; "
                f"{self.name} runs on {self.kind.value} facilities"
            )
        return facility, source

    async def _reattach(
        self, workspace: Workspace, facility: Facility, backend: BatchBackend
    ) -> str | None:
        """The remote job an earlier attempt of this job started, if the cluster knows it."""
        record = await workspace.load_record()
        if record is None or record.facility != facility.id:
            return None
        try:
            await backend.state(record.remote_id)
        except UnknownBatchJob:
            return None
        logger.info("job %s: following remote job %s again", workspace.root.name, record)
        return record.remote_id

    async def _submit(
        self,
        job: Job,
        params: BatchParameters,
        facility: Facility,
        source: CommandSource,
        backend: BatchBackend,
        workspace: Workspace,
        ctx: JobContext,
    ) -> str:
        await workspace.prepare()
        if source.container is not None:
            script = container_script(source.container, source.command)
        elif source.script is not None and source.command:
            staged = await workspace.write_script(source.script)
            script = command_script([str(staged), *source.command])
        elif source.script is not None:
            script = source.script
        else:
            script = command_script(source.command)
        await self._stage_basket(job, params.basket, workspace, ctx)
        environment = {
            "PATH": _PATH,
            "LANG": "C.UTF-8",
            **params.environment,
            "ESAP_JOB_ID": job.id,
            "ESAP_BASKET": str(workspace.basket),
            "ESAP_OUTPUT_DIR": str(workspace.output_dir),
            "ESAP_WORKDIR": str(workspace.root),
        }
        submission = BatchSubmission(
            name=f"esap-{job.id}",
            script=script,
            working_directory=str(workspace.root),
            stdout_path=str(workspace.stdout),
            stderr_path=str(workspace.stderr),
            environment=environment,
            # the remote time limit enforces the execution duration while it runs
            time_limit_minutes=math.ceil(job.execution_duration / 60)
            if job.execution_duration
            else None,
            partition=self.partition(facility),
        )
        remote_id = await backend.submit(submission)
        await workspace.save_record(RemoteRecord(facility=facility.id, remote_id=remote_id))
        return remote_id

    @staticmethod
    async def _stage_basket(job: Job, basket: str, workspace: Workspace, ctx: JobContext) -> None:
        if ctx.baskets is None:
            raise JobFatalError("this worker has no basket store configured")
        try:
            data = await ctx.baskets.export(User(id=job.owner), basket, ExportFormat.VOTABLE)
        except UsageError as exc:
            raise JobUsageError(exc.message) from exc
        await workspace.write_basket(data)

    async def _follow(self, remote_id: str, backend: BatchBackend, ctx: JobContext) -> BatchStatus:
        """Poll the remote job until it ends, reporting each phase change at once."""
        interval = ctx.remote_poll_interval
        changed = time.monotonic()
        reported: ExecutionPhase | None = None
        lost_since: float | None = None
        while True:
            try:
                status = await backend.state(remote_id)
                lost_since = None
            except UnknownBatchJob as exc:
                raise JobTransientError(
                    f"{backend.where} no longer knows job {remote_id}; it may have been purged "
                    "while the gateway was not looking"
                ) from exc
            except (BatchUnreachable, BatchRejected) as exc:
                # slurmrestd restarting, or slurmctld busy: the job runs on regardless
                now = time.monotonic()
                lost_since = lost_since or now
                if now - lost_since > LOST_CONTACT_SECONDS:
                    raise JobTransientError(
                        f"lost contact with {backend.where} for {LOST_CONTACT_SECONDS:g} s "
                        f"while following job {remote_id}: {exc.message}"
                    ) from exc
                logger.warning("job %s on %s: %s", remote_id, backend.where, exc.message)
            else:
                if status.phase.is_final:
                    return status
                if status.phase is not reported and status.phase is not _P.UNKNOWN:
                    await _report(ctx, status.phase)
                    reported = status.phase
                    changed = time.monotonic()
                    interval = ctx.remote_poll_interval
            await asyncio.sleep(interval)
            if time.monotonic() - changed > EAGER_SECONDS:
                interval = min(interval * 1.5, MAX_POLL_INTERVAL)

    async def _cancel(self, job: Job, remote_id: str, backend: BatchBackend) -> None:
        try:
            await backend.cancel(remote_id)
            logger.info("job %s: cancelled %s job %s", job.id, backend.where, remote_id)
        except UnknownBatchJob:
            pass
        except BatchError as exc:  # the job runs on until its time limit: say so loudly
            logger.error(
                "job %s: could not cancel %s job %s: %s",
                job.id,
                backend.where,
                remote_id,
                exc.message,
            )

    async def _results(
        self,
        job: Job,
        status: BatchStatus,
        facility: Facility,
        backend: BatchBackend,
        workspace: Workspace,
        ctx: JobContext,
    ) -> list[JobResult]:
        if status.phase is _P.COMPLETED:
            await _report(ctx, _P.EXECUTING)  # it ran, even if we never saw it running
            outputs = await backend.outputs(status.remote_id, workspace)
            results = [
                await _copy(job, outputs.stdout, "stdout.txt", "text/plain", workspace, ctx),
                await _copy(job, outputs.stderr, "stderr.txt", "text/plain", workspace, ctx),
            ]
            for output in outputs.files:
                results.append(
                    await _copy(job, output.path, output.name, output.mime_type, workspace, ctx)
                )
            return results
        stderr = tail(await workspace.read(workspace.stderr, _STDERR_TAIL_BYTES))
        ended = _describe(status)
        said = f"; standard error ends with:\n{stderr}" if stderr else "; no standard error"
        if status.phase is _P.ABORTED:
            raise JobAbortedRemotely(f"the job was cancelled on {backend.where} ({ended}){said}")
        if status.state.split(",")[0] in _CLUSTER_FAILURES:
            raise JobTransientError(f"{backend.where} failed the job ({ended}){said}")
        if status.state.startswith("TIMEOUT"):
            raise JobUsageError(
                f"the workflow ran past its time limit on {facility.id} ({ended}); raise the "
                f"job's execution duration{said}"
            )
        raise JobUsageError(f"the workflow failed on {facility.id} ({ended}){said}")


def _describe(status: BatchStatus) -> str:
    parts = [f"state {status.state}"]
    if status.signal:
        parts.append(f"signal {status.signal}")
    elif status.exit_code is not None:
        parts.append(f"exit code {status.exit_code}")
    if status.reason:
        parts.append(status.reason)
    return ", ".join(parts)


async def _report(ctx: JobContext, phase: ExecutionPhase) -> None:
    if ctx.remote is not None:
        await ctx.remote.report(phase)


async def _copy(
    job: Job, path: Path, name: str, mime_type: str, workspace: Workspace, ctx: JobContext
) -> JobResult:
    size = await workspace.copy(path, ctx.results.path(job.id, name))
    if size is None:  # the batch system wrote none (an empty stream may leave no file)
        return await ctx.results.write(job.id, name, b"", mime_type=mime_type)
    return JobResult(name=name, mime_type=mime_type, size=size)


class SlurmBatchJob(BatchJob):
    """Runs a workflow on a Slurm facility through slurmrestd."""

    name = "batch.slurm"
    kind = FacilityKind.SLURM
    description = (
        "Runs a workflow (`workflow` from the catalogue, or your own `script` or `command`) on "
        "the Slurm facility `facility`, with the basket `basket` staged as input ($ESAP_BASKET, "
        "VOTable); results are stdout.txt, stderr.txt and the files written to $ESAP_OUTPUT_DIR."
    )

    def staging_dir(self, facility: Facility) -> Path:
        assert facility.slurm is not None
        return Path(facility.slurm.staging_dir)

    def partition(self, facility: Facility) -> str | None:
        assert facility.slurm is not None
        return facility.slurm.partition
