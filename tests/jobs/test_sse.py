"""Phase changes as server-sent events, over a real uvicorn server (for clients without a
GraphQL WebSocket library: curl, EventSource)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from tests.jobs.conftest import job_settings, live_server


async def test_job_events_stream_until_the_job_ends(tmp_path: Path) -> None:
    with live_server(job_settings(tmp_path)) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            created = await http.post(
                "/uws/jobs", data={"TYPE": "test.sleep", "seconds": "0.2", "PHASE": "RUN"}
            )
            job_id = created.headers["location"].rsplit("/", 1)[1]
            events: list[dict[str, Any]] = []
            async with asyncio.timeout(30):
                async with http.stream("GET", f"/uws/jobs/{job_id}/events") as response:
                    assert response.headers["content-type"].startswith("text/event-stream")
                    async for line in response.aiter_lines():
                        if line.startswith("data: "):
                            events.append(json.loads(line[6:]))
            assert {e["jobId"] for e in events} == {job_id}
            assert [e["phase"] for e in events][-1] == "COMPLETED"
            assert [e["phase"] for e in events] in (
                ["QUEUED", "EXECUTING", "COMPLETED"],
                ["EXECUTING", "COMPLETED"],
            )
            assert (await http.get("/uws/jobs/nope/events")).status_code == 404


async def test_my_events_stream_every_job(tmp_path: Path) -> None:
    with live_server(job_settings(tmp_path)) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            phases: list[tuple[str, str]] = []
            async with asyncio.timeout(30), http.stream("GET", "/uws/events") as response:
                lines = response.aiter_lines()
                assert await anext(lines) == ": listening"
                created = await http.post("/uws/jobs", data={"TYPE": "test.sleep", "PHASE": "RUN"})
                job_id = created.headers["location"].rsplit("/", 1)[1]
                async for line in lines:
                    if line.startswith("data: "):
                        event = json.loads(line[6:])
                        phases.append((event["jobId"], event["phase"]))
                        if event["phase"] == "COMPLETED":
                            break
            assert phases == [(job_id, "QUEUED"), (job_id, "EXECUTING"), (job_id, "COMPLETED")]
