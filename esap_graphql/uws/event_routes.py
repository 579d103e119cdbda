"""Server-sent events of job phases, for clients without a GraphQL WebSocket library."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from esap_graphql.domain.jobs import PhaseEvent
from esap_graphql.uws import xml
from esap_graphql.uws.requests import caller, guard, job_service, read_job


def _sse_event(event: PhaseEvent) -> str:
    data = {
        "jobId": event.job_id,
        "phase": event.phase.value,
        "at": xml.format_time(event.at),
        "deleted": event.deleted,
    }
    return f"event: phase\ndata: {json.dumps(data)}\n\n"


def _sse(stream: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@guard
async def job_events(request: Request) -> Response:
    """Server-sent events: the job's phase now, then each change until it ends."""
    user = await caller(request)
    job = await read_job(request, user)  # 404 before the stream starts

    async def stream() -> AsyncIterator[str]:
        async for event in job_service(request).watch_job(user, job.id):
            yield _sse_event(event)

    return _sse(stream())


@guard
async def my_events(request: Request) -> Response:
    """Server-sent events: every phase change of every job of the caller. The first line, a
    comment, says the subscription is in place."""
    user = await caller(request)

    async def stream() -> AsyncIterator[str]:
        async with job_service(request).events(user) as events:
            yield ": listening\n\n"
            async for event in events:
                yield _sse_event(event)

    return _sse(stream())
