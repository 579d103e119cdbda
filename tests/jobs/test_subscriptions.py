"""Subscriptions over a real uvicorn server with a real graphql-transport-ws client, with the
in-process runner (no Redis): the README's one command."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import GraphQLRequest

from tests.jobs.conftest import collect_phases, job_settings, live_server, ws_session


async def post(base: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=20) as http:
        body: dict[str, Any] = (
            await http.post("/graphql", json={"query": query, "variables": variables or {}})
        ).json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_job_phase_contract_over_websocket(tmp_path: Path) -> None:
    settings = job_settings(tmp_path)
    assert settings.redis_url is None
    with live_server(settings) as base:
        created = await post(
            base,
            'mutation { createJob(type: "test.sleep", parameters: {seconds: 0.3}, run: true) '
            "{ ... on Job { id phase } } }",
        )
        job_id = created["createJob"]["id"]
        events: list[dict[str, Any]] = []
        query = GraphQLRequest(
            "subscription($id: ID!) { jobPhase(id: $id) { phase at } }",
            variable_values={"id": job_id},
        )
        async with ws_session(base) as session, asyncio.timeout(30):
            async for event in session.subscribe(query):
                events.append(event["jobPhase"])
        phases = [e["phase"] for e in events]
        # the first event is the phase at subscription time; each later one is a change
        assert phases[-1] == "COMPLETED"
        assert phases in (
            ["QUEUED", "EXECUTING", "COMPLETED"],
            ["EXECUTING", "COMPLETED"],
        )
        assert [e["at"] for e in events] == sorted(e["at"] for e in events)


async def test_subscription_to_a_finished_job_reports_it_and_ends(tmp_path: Path) -> None:
    with live_server(job_settings(tmp_path)) as base:
        created = await post(
            base, 'mutation { createJob(type: "test.sleep") { ... on Job { id } } }'
        )
        job_id = created["createJob"]["id"]
        await post(base, "mutation($id: ID!) { abortJob(id: $id) { __typename } }", {"id": job_id})
        async with ws_session(base) as session:
            assert await collect_phases(session, job_id) == ["ABORTED"]


async def test_my_jobs_in_process(tmp_path: Path) -> None:
    with live_server(job_settings(tmp_path)) as base:
        seen: list[tuple[str, str]] = []
        async with ws_session(base) as session, asyncio.timeout(30):
            subscription = session.subscribe(
                GraphQLRequest("subscription { myJobs { jobId phase } }")
            )
            first = asyncio.ensure_future(subscription.__anext__())
            await asyncio.sleep(0.3)
            created = await post(
                base,
                'mutation { createJob(type: "test.sleep", run: true) { ... on Job { id } } }',
            )
            job_id = created["createJob"]["id"]
            event = await first
            while True:
                seen.append((event["myJobs"]["jobId"], event["myJobs"]["phase"]))
                if seen[-1][1] == "COMPLETED":
                    break
                event = await subscription.__anext__()
            await subscription.aclose()
        assert seen == [(job_id, "QUEUED"), (job_id, "EXECUTING"), (job_id, "COMPLETED")]


async def test_subscription_to_an_unknown_job_is_an_error(tmp_path: Path) -> None:
    from gql.transport.exceptions import TransportQueryError

    with live_server(job_settings(tmp_path)) as base:
        async with ws_session(base) as session:
            with pytest.raises(TransportQueryError, match="no job with id 'no-such-job'"):
                await collect_phases(session, "no-such-job")
