"""The UWS 1.1 REST interface to jobs at /uws: its routes. Parameter names are case-insensitive
(DALI); handlers parse the request, call the job service once, and render XML or text."""

from __future__ import annotations

from starlette.routing import Route

from esap_graphql.uws.attribute_routes import (
    destruction,
    error,
    execution_duration,
    owner,
    parameters,
    quote,
    result_file,
    results,
)
from esap_graphql.uws.event_routes import job_events, my_events
from esap_graphql.uws.job_routes import create_job, delete_job, get_job, list_jobs, phase, post_job

ROUTES = [
    Route("/uws/jobs", list_jobs, methods=["GET"]),
    Route("/uws/jobs", create_job, methods=["POST"]),
    Route("/uws/jobs/{job_id}", get_job, methods=["GET"]),
    Route("/uws/jobs/{job_id}", delete_job, methods=["DELETE"]),
    Route("/uws/jobs/{job_id}", post_job, methods=["POST"]),
    Route("/uws/jobs/{job_id}/phase", phase, methods=["GET", "POST"]),
    Route("/uws/jobs/{job_id}/executionduration", execution_duration, methods=["GET", "POST"]),
    Route("/uws/jobs/{job_id}/destruction", destruction, methods=["GET", "POST"]),
    Route("/uws/jobs/{job_id}/quote", quote, methods=["GET"]),
    Route("/uws/jobs/{job_id}/owner", owner, methods=["GET"]),
    Route("/uws/jobs/{job_id}/error", error, methods=["GET"]),
    Route("/uws/jobs/{job_id}/parameters", parameters, methods=["GET", "POST"]),
    Route("/uws/jobs/{job_id}/results", results, methods=["GET"]),
    Route("/uws/jobs/{job_id}/results/{name}", result_file, methods=["GET"]),
    Route("/uws/jobs/{job_id}/events", job_events, methods=["GET"]),
    Route("/uws/events", my_events, methods=["GET"]),
]
