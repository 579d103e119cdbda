"""What operators and orchestrators ask: /health (alive), /ready (able to serve) and
/metrics (Prometheus)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from esap_graphql.context import ProcessContext


async def health(request: Request) -> JSONResponse:
    """Liveness and a summary of what is configured."""
    process: ProcessContext = request.state.process
    return JSONResponse(
        {
            "status": "ok",
            "archives": len(process.catalogue.archives),
            "datasets": len(process.catalogue.datasets),
        }
    )


async def ready(request: Request) -> JSONResponse:
    """200 when the database, Redis and job workers answer and the catalogue is loaded; 503
    with what is not ready otherwise."""
    process: ProcessContext = request.state.process
    problems = await process.readiness() if process.readiness is not None else {}
    if problems:
        return JSONResponse({"status": "not ready", "problems": problems}, status_code=503)
    return JSONResponse({"status": "ready"})


async def metrics(request: Request) -> Response:
    """The Prometheus exposition of this process (of the host in multi-process mode)."""
    process: ProcessContext = request.state.process
    if process.render_metrics is None:
        return Response("metrics are off (ESAP_METRICS=false)\n", status_code=404)
    body, content_type = process.render_metrics()
    return Response(body, media_type=content_type)


ROUTES = [
    Route("/health", health),
    Route("/ready", ready),
    Route("/metrics", metrics),
]
