"""``batch.slurm`` run by real ``esap-graphql worker`` processes (arq on Redis) against the real
cluster: phases reach a GraphQL client through the Redis event bus, and a worker killed while
its Slurm job runs is replaced by one that follows the same Slurm job to the end."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import GraphQLRequest

from esap_graphql.config import Settings
from tests.batch.conftest import SlurmCluster, squeue
from tests.batch.support import ARCHIVES_YAML, analysis_yaml, eventually
from tests.jobs.conftest import (  # noqa: F401 - redis_prefix and workers are fixtures
    REDIS_URL,
    WorkerProcess,
    job_settings,
    live_server,
    redis_prefix,
    start_worker,
    workers,
    ws_session,
)

pytestmark = pytest.mark.redis


@pytest.fixture
def settings(tmp_path: Path, redis_prefix: str, slurm_cluster: SlurmCluster) -> Settings:  # noqa: F811
    config = tmp_path / "catalogue.yaml"
    config.write_text(
        ARCHIVES_YAML + analysis_yaml(slurm_cluster.staging, api_version=slurm_cluster.version)
    )
    return job_settings(
        tmp_path,
        config=config,
        redis_url=REDIS_URL,
        redis_prefix=redis_prefix,
        job_worker_timeout=2.0,
        job_remote_poll_interval=0.1,
    )


async def graphql(base: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables or {}})
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_a_worker_killed_while_its_slurm_job_runs_is_replaced_without_resubmitting(
    settings: Settings,
    workers: list[WorkerProcess],  # noqa: F811
    tmp_path: Path,
    slurm_cluster: SlurmCluster,
) -> None:
    first = start_worker(workers, settings, tmp_path)
    with live_server(settings) as base:
        created = await graphql(
            base,
            'mutation { createJob(type: "batch.slurm", parameters: {facility: "test-slurm", '
            'script: "#!/bin/bash\\nsleep 8\\necho survived"}) { ... on Job { id } } }',
        )
        job_id = created["createJob"]["id"]
        phases: list[str] = []
        request = GraphQLRequest(
            "subscription($id: ID!) { jobPhase(id: $id) { phase } }", variable_values={"id": job_id}
        )
        async with ws_session(base) as session:

            async def follow() -> None:
                async for event in session.subscribe(request):
                    phases.append(event["jobPhase"]["phase"])

            async with asyncio.timeout(120):
                following = asyncio.create_task(follow())
                await eventually(lambda: phases == ["PENDING"])
                await graphql(
                    base, "mutation($id: ID!) { startJob(id: $id) { __typename } }", {"id": job_id}
                )
                await eventually(lambda: phases[-1:] == ["EXECUTING"])
                [(remote_id, state)] = squeue(f"esap-{job_id}")
                assert state == "RUNNING"
                first.kill()
                start_worker(workers, settings, tmp_path)
                await following
        job = (
            await graphql(
                base,
                "query($id: ID!) { job(id: $id) { phase attempts error { message } "
                "results { name url } } }",
                {"id": job_id},
            )
        )["job"]
        assert job["phase"] == "COMPLETED", job["error"]
        assert job["attempts"] == 2
        # the lost worker's job went back to the queue, the new worker found it running
        assert phases == ["PENDING", "QUEUED", "EXECUTING", "QUEUED", "EXECUTING", "COMPLETED"]
        stdout = next(r["url"] for r in job["results"] if r["name"] == "stdout.txt")
        async with httpx.AsyncClient(timeout=10) as http:
            assert (await http.get(stdout)).text == "survived\n"
    shown = squeue(f"esap-{job_id}")
    assert all(found == remote_id for found, _ in shown), "a second Slurm job was submitted"
