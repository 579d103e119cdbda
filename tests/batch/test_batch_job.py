"""``batch.slurm`` over the in-memory Slurm API (one seam swapped): staging, phases pushed as
the remote job moves, results, failures, abort, retries. The same job type against the real
cluster is in ``test_slurm_cluster.py``."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from astropy.io.votable import parse_single_table

from esap_graphql.connectors.slurm import InMemorySlurm
from esap_graphql.domain.jobs import ErrorType, InvalidJobParameters
from esap_graphql.domain.users import LOCAL_USER
from esap_graphql.domain.uws import ExecutionPhase
from esap_graphql.services.batch_workspace import Workspace
from tests.batch.support import (
    PhaseLog,
    Runtime,
    analysis_catalogue,
    eventually,
    job_runtime,
    memory_backends,
    until,
)

P = ExecutionPhase
SCRIPT = "#!/bin/bash\necho hi\n"


@pytest.fixture
def slurm() -> InMemorySlurm:
    return InMemorySlurm()


@pytest.fixture
async def rt(tmp_path: Path, slurm: InMemorySlurm) -> AsyncIterator[Runtime]:
    staging = tmp_path / "staging"
    staging.mkdir()
    async with job_runtime(
        tmp_path,
        staging,
        batch=memory_backends(slurm),
        catalogue=analysis_catalogue(staging),
    ) as runtime:
        yield runtime


async def submitted(slurm: InMemorySlurm, count: int = 1) -> str:
    """The id of the ``count``-th job submitted to the fake cluster (bounded wait)."""
    await eventually(lambda: len(slurm.jobs) >= count)
    return list(slurm.jobs)[count - 1]


async def polled(slurm: InMemorySlurm, times: int) -> None:
    """Wait until the job type has looked at the cluster ``times`` more times."""
    target = slurm.calls + times
    await eventually(lambda: slurm.calls >= target)


async def test_a_job_stays_queued_while_slurm_has_it_pending_and_runs_when_it_runs(
    rt: Runtime, slurm: InMemorySlurm
) -> None:
    async with PhaseLog(rt.bus) as log:
        job = await rt.service.create(
            LOCAL_USER,
            "batch.slurm",
            {"facility": "test-slurm", "script": SCRIPT, "environment": {"COLOUR": "blue"}},
            run=True,
            execution_duration=90,
        )
        remote = await submitted(slurm)
        await polled(slurm, 3)
        assert (await rt.store.get(job.id)).phase is P.QUEUED  # type: ignore[union-attr]
        slurm.set_state(remote, "RUNNING")
        running = await until(rt.store, job.id, P.EXECUTING)
        assert running.start_time is not None
        slurm.finish(
            remote,
            stdout=b"hello\n",
            stderr=b"a warning\n",
            files={"plots/sky map.png": b"\x89PNG", "table.vot": b"<VOTABLE/>"},
            output_dir=str(rt.staging / job.id / "output"),
        )
        done = await until(rt.store, job.id, P.COMPLETED, P.ERROR)
        await log.until_ended(job.id)
    assert done.phase is P.COMPLETED, done.error
    assert log.phases(job.id) == ["QUEUED", "EXECUTING", "COMPLETED"]
    results = {r.name: r for r in done.results}
    assert set(results) == {"stdout.txt", "stderr.txt", "plots_sky_map.png", "table.vot"}
    assert rt.results.path(job.id, "stdout.txt").read_bytes() == b"hello\n"
    assert rt.results.path(job.id, "stderr.txt").read_bytes() == b"a warning\n"
    assert rt.results.path(job.id, "plots_sky_map.png").read_bytes() == b"\x89PNG"
    assert (results["table.vot"].mime_type, results["table.vot"].size) == (
        "application/x-votable+xml",
        10,
    )
    assert results["plots_sky_map.png"].mime_type == "image/png"
    sent = slurm.jobs[remote].submission
    assert sent.script == SCRIPT
    assert sent.partition == "esap"
    assert sent.time_limit_minutes == 2  # 90 s, rounded up
    assert sent.working_directory == str(rt.staging / job.id)
    assert sent.environment["COLOUR"] == "blue"
    assert sent.environment["ESAP_JOB_ID"] == job.id
    assert sent.environment["ESAP_BASKET"] == str(rt.staging / job.id / "input" / "basket.vot")
    assert not (rt.staging / job.id).exists(), "the workspace is removed once results are in"


async def test_the_basket_is_staged_as_a_votable_before_submission(
    rt: Runtime, slurm: InMemorySlurm
) -> None:
    job = await rt.service.create(
        LOCAL_USER, "batch.slurm", {"facility": "test-slurm", "script": SCRIPT}, run=True
    )
    remote = await submitted(slurm)
    staged = Path(slurm.jobs[remote].submission.environment["ESAP_BASKET"])
    table = parse_single_table(staged).to_table()
    assert sorted(table["record_id"]) == [
        "ivo://astron.nl/apertif?230101001",
        "ivo://astron.nl/apertif?230101002",
    ]
    workspace = rt.staging / job.id
    assert os.stat(workspace).st_mode & 0o7777 == 0o2770  # the job user's group may write
    assert os.stat(workspace / "output").st_mode & 0o7777 == 0o2770
    slurm.finish(remote)
    await until(rt.store, job.id, P.COMPLETED)


async def test_a_failing_script_ends_in_error_with_the_tail_of_its_stderr(
    rt: Runtime, slurm: InMemorySlurm
) -> None:
    job = await rt.service.create(
        LOCAL_USER, "batch.slurm", {"facility": "test-slurm", "script": SCRIPT}, run=True
    )
    remote = await submitted(slurm)
    slurm.set_state(remote, "RUNNING")
    await until(rt.store, job.id, P.EXECUTING)
    noise = b"".join(b"progress %d\n" % i for i in range(500))
    token = b"eyJhbGciOiJIUzI1NiJ9.eyJzdW4iOiJlc2FwIn0.c2lnbmF0dXJl"
    slurm.finish(
        remote,
        state="FAILED",
        exit_code=3,
        stderr=noise + b"Traceback (most recent call last):\n  token " + token + b"\n"
        b"ValueError: no sources in the basket\n",
    )
    final = await until(rt.store, job.id, P.ERROR, P.COMPLETED)
    assert final.phase is P.ERROR
    assert final.error is not None
    assert final.error.type is ErrorType.FATAL
    assert "state FAILED, exit code 3" in final.error.message
    assert final.error.message.endswith("ValueError: no sources in the basket")
    assert "progress 10\n" not in final.error.message  # only the tail
    assert token.decode() not in final.error.message


async def test_abort_cancels_the_job_on_the_cluster(rt: Runtime, slurm: InMemorySlurm) -> None:
    job = await rt.service.create(
        LOCAL_USER, "batch.slurm", {"facility": "test-slurm", "script": SCRIPT}, run=True
    )
    remote = await submitted(slurm)
    await polled(slurm, 1)
    aborted = await rt.service.abort(LOCAL_USER, job.id)
    assert aborted.phase is P.ABORTED
    await eventually(lambda: remote in slurm.cancelled)
    assert slurm.jobs[remote].states == ["CANCELLED"]
    assert (await rt.store.get(job.id)).phase is P.ABORTED  # type: ignore[union-attr]


async def test_a_job_cancelled_on_the_cluster_ends_aborted(
    rt: Runtime, slurm: InMemorySlurm
) -> None:
    job = await rt.service.create(
        LOCAL_USER, "batch.slurm", {"facility": "test-slurm", "script": SCRIPT}, run=True
    )
    remote = await submitted(slurm)
    slurm.set_state(remote, "RUNNING")
    await until(rt.store, job.id, P.EXECUTING)
    slurm.finish(remote, state="CANCELLED", stderr=b"slurmstepd: *** JOB CANCELLED ***\n")
    final = await until(rt.store, job.id, P.ABORTED, P.ERROR, P.COMPLETED)
    assert final.phase is P.ABORTED
    assert final.error is not None
    assert final.error.code == "aborted_remotely"
    assert "JOB CANCELLED" in final.error.message


async def test_a_node_failure_is_a_transient_error(rt: Runtime, slurm: InMemorySlurm) -> None:
    job = await rt.service.create(
        LOCAL_USER, "batch.slurm", {"facility": "test-slurm", "script": SCRIPT}, run=True
    )
    remote = await submitted(slurm)
    slurm.finish(remote, state="NODE_FAIL")
    final = await until(rt.store, job.id, P.ERROR, P.COMPLETED)
    assert final.error is not None
    assert final.error.type is ErrorType.TRANSIENT
    assert "NODE_FAIL" in final.error.message


async def test_suspension_is_pushed_and_a_job_seen_only_when_done_still_executed(
    rt: Runtime, slurm: InMemorySlurm
) -> None:
    async with PhaseLog(rt.bus) as log:
        first = await rt.service.create(
            LOCAL_USER, "batch.slurm", {"facility": "test-slurm", "script": SCRIPT}, run=True
        )
        remote = await submitted(slurm)
        slurm.set_state(remote, "SUSPENDED")
        await until(rt.store, first.id, P.SUSPENDED)
        slurm.set_state(remote, "RUNNING")
        await until(rt.store, first.id, P.EXECUTING)
        slurm.finish(remote)
        await until(rt.store, first.id, P.COMPLETED)
        # a job that ran and ended between two looks still passes through EXECUTING
        second = await rt.service.create(
            LOCAL_USER, "batch.slurm", {"facility": "test-slurm", "script": SCRIPT}, run=True
        )
        other = await submitted(slurm, 2)
        slurm.finish(other)
        await until(rt.store, second.id, P.COMPLETED, P.ERROR)
        await log.until_ended(first.id)
        await log.until_ended(second.id)
    assert log.phases(first.id) == ["QUEUED", "EXECUTING", "SUSPENDED", "EXECUTING", "COMPLETED"]
    assert log.phases(second.id) == ["QUEUED", "EXECUTING", "COMPLETED"]


async def test_a_refused_submission_ends_in_error_with_slurms_reason(
    rt: Runtime, slurm: InMemorySlurm
) -> None:
    slurm.reject_with = "Invalid partition name specified"
    job = await rt.service.create(
        LOCAL_USER, "batch.slurm", {"facility": "test-slurm", "script": SCRIPT}, run=True
    )
    final = await until(rt.store, job.id, P.ERROR, P.COMPLETED)
    assert final.error is not None
    assert final.error.type is ErrorType.FATAL
    assert final.error.message == (
        "Slurm (in memory) refused the job: Invalid partition name specified"
    )


async def test_an_unreachable_cluster_is_a_transient_error(
    rt: Runtime, slurm: InMemorySlurm
) -> None:
    slurm.unreachable = True
    job = await rt.service.create(
        LOCAL_USER, "batch.slurm", {"facility": "test-slurm", "script": SCRIPT}, run=True
    )
    final = await until(rt.store, job.id, P.ERROR, P.COMPLETED)
    assert final.error is not None
    assert final.error.type is ErrorType.TRANSIENT
    assert "unreachable" in final.error.message


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"facility": "nowhere", "script": SCRIPT}, "no analysis facility with id 'nowhere'"),
        ({"facility": "test-hub", "script": SCRIPT}, "is a jupyterhub facility"),
        ({"facility": "test-slurm", "workflow": "nothing"}, "no workflow with id 'nothing'"),
    ],
)
async def test_unknown_or_unsuitable_facilities_and_workflows_are_usage_errors(
    rt: Runtime, slurm: InMemorySlurm, parameters: dict[str, str], message: str
) -> None:
    job = await rt.service.create(LOCAL_USER, "batch.slurm", parameters, run=True)
    final = await until(rt.store, job.id, P.ERROR, P.COMPLETED)
    assert final.error is not None
    assert message in final.error.message
    assert slurm.jobs == {}


@pytest.mark.parametrize(
    ("parameters", "problem"),
    [
        ({"facility": "test-slurm"}, "exactly one of workflow, script and command"),
        (
            {"facility": "test-slurm", "script": SCRIPT, "command": ["true"]},
            "exactly one of workflow, script and command",
        ),
        ({"facility": "test-slurm", "script": "echo no interpreter"}, "interpreter line"),
        ({"facility": "test-slurm", "command": "unclosed 'quote"}, "not a command line"),
        (
            {"facility": "test-slurm", "command": ["true"], "environment": {"SLURM_X": "1"}},
            "not an environment variable you may set",
        ),
        ({"facility": "test-slurm", "command": ["true"], "basket": "../x"}, "basket"),
    ],
)
async def test_bad_parameters_are_refused_when_the_job_is_created(
    rt: Runtime, parameters: dict[str, object], problem: str
) -> None:
    with pytest.raises(InvalidJobParameters, match=r"invalid parameters for batch\.slurm") as info:
        await rt.service.create(LOCAL_USER, "batch.slurm", parameters)
    assert problem in info.value.message


async def test_uws_string_parameters_are_read(rt: Runtime, slurm: InMemorySlurm) -> None:
    job = await rt.service.create(
        LOCAL_USER,
        "batch.slurm",
        {"facility": "test-slurm", "command": "python3 -c 'print(1)'", "environment": '{"A":"b"}'},
        run=True,
    )
    remote = await submitted(slurm)
    sent = slurm.jobs[remote].submission
    assert sent.script == "#!/bin/bash\nexec python3 -c 'print(1)'\n"
    assert sent.environment["A"] == "b"
    slurm.finish(remote)
    await until(rt.store, job.id, P.COMPLETED)


async def test_a_catalogue_workflow_with_arguments_runs_its_staged_script(
    rt: Runtime, slurm: InMemorySlurm
) -> None:
    job = await rt.service.create(
        LOCAL_USER,
        "batch.slurm",
        {"facility": "test-slurm", "workflow": "count-rows"},
        run=True,
    )
    remote = await submitted(slurm)
    sent = slurm.jobs[remote].submission
    staged = rt.staging / job.id / "input" / "workflow"
    assert sent.script == f"#!/bin/bash\nexec {staged} rows:\n"
    assert staged.read_text().startswith("#!/usr/bin/env python3\n")
    assert os.access(staged, os.X_OK)
    slurm.finish(remote)
    await until(rt.store, job.id, P.COMPLETED)


async def test_a_container_workflow_runs_its_command_in_the_container(
    rt: Runtime, slurm: InMemorySlurm
) -> None:
    job = await rt.service.create(
        LOCAL_USER,
        "batch.slurm",
        {"facility": "test-slurm", "workflow": "container-echo"},
        run=True,
    )
    remote = await submitted(slurm)
    assert slurm.jobs[remote].submission.script == (
        "#!/bin/bash\nexec apptainer exec docker://alpine:3 echo hello\n"
    )
    slurm.finish(remote)
    await until(rt.store, job.id, P.COMPLETED)


async def test_outputs_are_read_as_regular_files_only(rt: Runtime, slurm: InMemorySlurm) -> None:
    secret = rt.staging.parent / "gateway-secret.txt"
    secret.write_text("not for the job")
    job = await rt.service.create(
        LOCAL_USER, "batch.slurm", {"facility": "test-slurm", "script": SCRIPT}, run=True
    )
    remote = await submitted(slurm)
    workspace = Workspace(staging_dir=rt.staging, job_id=job.id)
    slurm.finish(
        remote, stdout=b"out", files={"kept.txt": b"kept"}, output_dir=str(workspace.output_dir)
    )
    (workspace.output_dir / "link.txt").symlink_to(secret)
    (workspace.output_dir / "linked-dir").symlink_to(rt.staging.parent)
    final = await until(rt.store, job.id, P.COMPLETED, P.ERROR)
    assert {r.name for r in final.results} == {"stdout.txt", "stderr.txt", "kept.txt"}


async def test_a_symlinked_stdout_is_not_followed(rt: Runtime, slurm: InMemorySlurm) -> None:
    secret = rt.staging.parent / "gateway-secret.txt"
    secret.write_text("not for the job")
    job = await rt.service.create(
        LOCAL_USER, "batch.slurm", {"facility": "test-slurm", "script": SCRIPT}, run=True
    )
    remote = await submitted(slurm)
    slurm.finish(remote)
    stdout = rt.staging / job.id / "stdout.txt"
    stdout.unlink()
    stdout.symlink_to(secret)
    final = await until(rt.store, job.id, P.COMPLETED, P.ERROR)
    assert final.phase is P.ERROR
    assert final.error is not None
    assert "stdout.txt is a symbolic link" in final.error.message
    assert not rt.results.path(job.id, "stdout.txt").exists()


async def test_a_retried_attempt_follows_the_same_remote_job(
    rt: Runtime, slurm: InMemorySlurm
) -> None:
    job = await rt.service.create(
        LOCAL_USER, "batch.slurm", {"facility": "test-slurm", "script": SCRIPT}, run=True
    )
    remote = await submitted(slurm)
    await polled(slurm, 1)
    await rt.queue.aclose()  # the worker shuts down: the job is left to the next attempt
    assert slurm.cancelled == [], "a worker shutting down must not cancel the cluster's job"
    left = await rt.store.get(job.id)
    assert left is not None
    assert (left.phase, left.attempts, left.worker) == (P.QUEUED, 1, "w-batch")
    await rt.maintenance.tick()  # w-batch sends no heartbeat: its job is recovered
    slurm.set_state(remote, "RUNNING")
    await until(rt.store, job.id, P.EXECUTING)
    slurm.finish(remote, stdout=b"once\n")
    final = await until(rt.store, job.id, P.COMPLETED, P.ERROR)
    assert final.phase is P.COMPLETED, final.error
    assert final.attempts == 2
    assert list(slurm.jobs) == [remote], "the retry submitted a second job"
    assert rt.results.path(job.id, "stdout.txt").read_bytes() == b"once\n"
