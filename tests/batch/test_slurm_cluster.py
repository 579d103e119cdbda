"""``batch.slurm`` and the slurmrestd client against the real one-node cluster
(scripts/setup-slurm.sh: Debian's Slurm 22.05, munge, slurmrestd with JWT on 127.0.0.1:6820).

Jobs run as the cluster user ``esapjob`` in a staging directory of this session; a job's
phases are followed through the GraphQL subscription of a real uvicorn server, or through the
event bus of the in-process runner.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import GraphQLRequest

from esap_graphql.connectors.slurm import SlurmRestClient, token_from_env
from esap_graphql.domain.batch import (
    BatchAuthenticationFailed,
    BatchRejected,
    BatchStatus,
    BatchSubmission,
    BatchUnreachable,
    UnknownBatchJob,
)
from esap_graphql.domain.jobs import ErrorType
from esap_graphql.domain.users import LOCAL_USER
from esap_graphql.domain.uws import ExecutionPhase
from tests.batch.conftest import TOKEN_ENV, SlurmCluster, run, squeue
from tests.batch.support import (
    ARCHIVES_YAML,
    PhaseLog,
    Runtime,
    analysis_catalogue,
    analysis_yaml,
    eventually,
    job_runtime,
    until,
)
from tests.jobs.conftest import job_settings, live_server, ws_session

P = ExecutionPhase


@pytest.fixture
async def rt(tmp_path: Path, slurm_cluster: SlurmCluster) -> AsyncIterator[Runtime]:
    """The in-process job runtime with the real ``batch.slurm`` over the test cluster."""
    async with job_runtime(
        tmp_path,
        slurm_cluster.staging,
        batch=None,
        catalogue=analysis_catalogue(slurm_cluster.staging, api_version=slurm_cluster.version),
        poll_interval=0.1,
    ) as runtime:
        yield runtime


@pytest.fixture
async def client(slurm_cluster: SlurmCluster) -> AsyncIterator[SlurmRestClient]:
    async with httpx.AsyncClient() as http:
        yield SlurmRestClient(
            http=http,
            base_url=slurm_cluster.rest_url,
            user=slurm_cluster.user,
            token=token_from_env(TOKEN_ENV),
            timeout=10,
        )


def submission(cluster: SlurmCluster, name: str, script: str, **extra: Any) -> BatchSubmission:
    workdir = cluster.staging
    return BatchSubmission(
        name=name,
        script=script,
        working_directory=str(workdir),
        stdout_path=str(workdir / f"{name}.out"),
        stderr_path=str(workdir / f"{name}.err"),
        environment={"PATH": "/usr/bin:/bin", "GREETING": "hello there"},
        **extra,
    )


# ---------------------------------------------------------------- the REST client


async def ended(client: SlurmRestClient, job_id: str) -> BatchStatus:
    """The job's status once it has ended (bounded wait)."""
    async with asyncio.timeout(60):
        while True:
            status = await client.status(job_id)
            if status.phase.is_final:
                return status
            await asyncio.sleep(0.2)


async def test_the_client_detects_the_version_submits_follows_and_reads_exit_codes(
    client: SlurmRestClient, slurm_cluster: SlurmCluster
) -> None:
    assert await client.version() == "v0.0.38"  # Debian bookworm's Slurm 22.05
    assert "v0.0.38" in await client.served_versions()
    job_id = await client.submit(
        submission(
            slurm_cluster,
            "client-exit",
            '#!/bin/bash\necho "$GREETING from $(id -un)"\nexit 3\n',
            time_limit_minutes=1,
        )
    )
    status = await ended(client, job_id)
    assert (status.state, status.phase, status.exit_code) == ("FAILED", P.ERROR, 3)
    assert status.reason == "NonZeroExitCode"
    out = (slurm_cluster.staging / "client-exit.out").read_text()
    assert out == f"hello there from {slurm_cluster.user}\n"


async def test_the_client_cancels_a_job(
    client: SlurmRestClient, slurm_cluster: SlurmCluster
) -> None:
    job_id = await client.submit(
        submission(slurm_cluster, "client-cancel", "#!/bin/bash\nsleep 300\n")
    )
    await client.cancel(job_id)
    status = await ended(client, job_id)
    assert (status.state, status.phase) == ("CANCELLED", P.ABORTED)
    await client.cancel(job_id)  # cancelling an ended job changes nothing and is no error


async def test_the_client_reports_slurms_refusals_as_typed_errors(
    client: SlurmRestClient, slurm_cluster: SlurmCluster
) -> None:
    with pytest.raises(UnknownBatchJob):
        await client.status("999999")
    with pytest.raises(UnknownBatchJob):
        await client.cancel("999999")
    with pytest.raises(UnknownBatchJob):  # never reaches the URL
        await client.status("1/../../ping")
    bad = submission(slurm_cluster, "client-bad", "#!/bin/bash\ntrue\n", partition="nowhere")
    with pytest.raises(BatchRejected) as refused:
        await client.submit(bad)
    assert refused.value.reason == "Invalid partition name specified"


async def test_the_client_reports_credentials_and_reachability_problems(
    slurm_cluster: SlurmCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with httpx.AsyncClient() as http:

        def client(token_env: str, url: str = slurm_cluster.rest_url) -> SlurmRestClient:
            return SlurmRestClient(
                http=http,
                base_url=url,
                user=slurm_cluster.user,
                token=token_from_env(token_env),
                timeout=5,
                version="v0.0.38",
            )

        monkeypatch.delenv("ESAP_TEST_NO_TOKEN", raising=False)
        with pytest.raises(BatchAuthenticationFailed, match=r"ESAP_TEST_NO_TOKEN .* not set"):
            await client("ESAP_TEST_NO_TOKEN").status("1")
        # a token signed with another key: slurmctld hangs up on the submission
        monkeypatch.setenv("ESAP_TEST_FORGED", "eyJhbGciOiJIUzI1NiJ9.eyJzdW4iOiJlc2FwIn0.Zm9v")
        forged = submission(slurm_cluster, "client-forged", "#!/bin/bash\ntrue\n")
        with pytest.raises(BatchAuthenticationFailed, match="token has expired or is not its own"):
            await client("ESAP_TEST_FORGED").submit(forged)
        with pytest.raises(BatchUnreachable, match="ConnectError"):
            await client(TOKEN_ENV, "http://127.0.0.1:9").status("1")
        unserved = SlurmRestClient(
            http=http,
            base_url=slurm_cluster.rest_url,
            user=slurm_cluster.user,
            token=token_from_env(TOKEN_ENV),
            timeout=5,
            version="v0.0.99",
        )
        with pytest.raises(BatchUnreachable, match=r"does not serve /slurm/v0\.0\.99/"):
            await unserved.status("1")


# ---------------------------------------------------------------- batch.slurm


async def graphql(base: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables or {}})
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def hold_the_node() -> str:
    """A job of the cluster user that takes the whole node, so the next one waits; its id."""
    out = run(
        "runuser",
        "-u",
        "esapjob",
        "--",
        "sbatch",
        "--parsable",
        "--exclusive",
        "-p",
        "esap",
        "-J",
        "esap-test-blocker",
        "-D",
        "/tmp",
        "-o",
        "/dev/null",
        "--wrap",
        "sleep 300",
    )
    return out.strip().split(";")[0]


async def test_a_workflow_runs_with_its_phases_pushed_and_outputs_as_results(
    tmp_path: Path, slurm_cluster: SlurmCluster
) -> None:
    config = tmp_path / "catalogue.yaml"
    config.write_text(
        ARCHIVES_YAML + analysis_yaml(slurm_cluster.staging, api_version=slurm_cluster.version)
    )
    settings = job_settings(tmp_path, config=config, job_remote_poll_interval=0.1)
    blocker = hold_the_node()
    try:
        with live_server(settings) as base:
            await graphql(
                base,
                "mutation { addToBasket(items: ["
                '{dataset: "apertif-dr1", recordId: "r1", title: "one"},'
                '{dataset: "apertif-dr1", recordId: "r2", title: "two"}]) { __typename } }',
            )
            created = await graphql(
                base,
                'mutation { createJob(type: "batch.slurm", parameters: '
                '{facility: "test-slurm", workflow: "count-rows"}) { ... on Job { id phase } } }',
            )
            job_id = created["createJob"]["id"]
            phases: list[str] = []
            async with ws_session(base) as session:
                subscription = GraphQLRequest(
                    "subscription($id: ID!) { jobPhase(id: $id) { phase } }",
                    variable_values={"id": job_id},
                )

                async def follow() -> None:
                    async for event in session.subscribe(subscription):
                        phases.append(event["jobPhase"]["phase"])

                async with asyncio.timeout(120):
                    following = asyncio.create_task(follow())
                    await eventually(lambda: phases == ["PENDING"])
                    await graphql(
                        base,
                        "mutation($id: ID!) { startJob(id: $id) { __typename } }",
                        {"id": job_id},
                    )
                    # Slurm keeps it pending while the node is taken: ours stays QUEUED
                    await eventually(lambda: squeue(f"esap-{job_id}") != [])
                    assert [state for _, state in squeue(f"esap-{job_id}")] == ["PENDING"]
                    await asyncio.sleep(1.0)  # many looks at the cluster (every 0.1 s)
                    assert phases == ["PENDING", "QUEUED"]
                    run("scancel", blocker)
                    await following
            data = await graphql(
                base,
                "query($id: ID!) { job(id: $id) { phase error { message } "
                "results { name mimeType url } } }",
                {"id": job_id},
            )
            job = data["job"]
            assert job["phase"] == "COMPLETED", job["error"]
            assert phases == ["PENDING", "QUEUED", "EXECUTING", "COMPLETED"]
            urls = {r["name"]: r["url"] for r in job["results"]}
            assert set(urls) == {"stdout.txt", "stderr.txt", "count.txt"}
            async with httpx.AsyncClient(timeout=10) as http:
                assert (await http.get(urls["count.txt"])).text == "rows: 2\n"
                assert (await http.get(urls["stdout.txt"])).text == "counted 2\n"
                assert (await http.get(urls["stderr.txt"])).text == ""
    finally:
        await asyncio.to_thread(subprocess.run, ["scancel", blocker], check=False, timeout=30)
    assert not (slurm_cluster.staging / job_id).exists()


async def test_abort_cancels_the_job_on_the_cluster(rt: Runtime) -> None:
    job = await rt.service.create(
        LOCAL_USER,
        "batch.slurm",
        {"facility": "test-slurm", "script": "#!/bin/bash\necho started\nsleep 300\n"},
        run=True,
    )
    await until(rt.store, job.id, P.EXECUTING, P.ERROR, timeout=60)
    [(remote_id, state)] = squeue(f"esap-{job.id}")
    assert state == "RUNNING"
    aborted = await rt.service.abort(LOCAL_USER, job.id)
    assert aborted.phase is P.ABORTED
    await eventually(lambda: squeue(f"esap-{job.id}") == [], timeout=60)
    shown = run("scontrol", "show", "job", remote_id)
    assert "JobState=CANCELLED" in shown
    assert (await rt.store.get(job.id)).phase is P.ABORTED  # type: ignore[union-attr]


async def test_a_failing_script_ends_in_error_with_its_stderr(rt: Runtime) -> None:
    async with PhaseLog(rt.bus) as log:
        job = await rt.service.create(
            LOCAL_USER,
            "batch.slurm",
            {
                "facility": "test-slurm",
                "command": [
                    "python3",
                    "-c",
                    "import sys; print('reading the basket', flush=True); "
                    "sys.exit('ValueError: the basket has no images')",
                ],
            },
            run=True,
        )
        final = await until(rt.store, job.id, P.ERROR, P.COMPLETED, timeout=60)
        await eventually(lambda: log.phases(job.id)[-1:] == [final.phase.value])
    assert final.phase is P.ERROR
    assert final.error is not None
    assert final.error.type is ErrorType.FATAL
    assert "the workflow failed on test-slurm (state FAILED, exit code 1" in final.error.message
    assert final.error.message.endswith("ValueError: the basket has no images")
    assert log.phases(job.id) in (["QUEUED", "EXECUTING", "ERROR"], ["QUEUED", "ERROR"])


async def test_a_submission_slurm_refuses_ends_in_error_with_its_reason(
    tmp_path: Path, slurm_cluster: SlurmCluster
) -> None:
    catalogue = analysis_catalogue(
        slurm_cluster.staging, api_version=slurm_cluster.version, partition="nowhere"
    )
    async with job_runtime(
        tmp_path, slurm_cluster.staging, batch=None, catalogue=catalogue
    ) as runtime:
        job = await runtime.service.create(
            LOCAL_USER, "batch.slurm", {"facility": "test-slurm", "command": ["true"]}, run=True
        )
        final = await until(runtime.store, job.id, P.ERROR, P.COMPLETED, timeout=60)
    assert final.error is not None
    assert final.error.message == (
        "Slurm at http://127.0.0.1:6820 refused the job: Invalid partition name specified"
    )


async def test_a_job_runs_as_the_facility_user(rt: Runtime) -> None:
    job = await rt.service.create(
        LOCAL_USER,
        "batch.slurm",
        {"facility": "test-slurm", "command": ["id", "-un"]},
        run=True,
    )
    final = await until(rt.store, job.id, P.COMPLETED, P.ERROR, timeout=60)
    assert final.phase is P.COMPLETED, final.error
    assert rt.results.path(job.id, "stdout.txt").read_text() == "esapjob\n"
