"""The slurmrestd client on answers of API versions the test cluster (22.05, v0.0.38) does not
serve: v0.0.39 and v0.0.40 documents built as their OpenAPI descriptions define them,
replayed through httpx's MockTransport; and the failures a live server rarely shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from esap_graphql.connectors.slurm import (
    SlurmRestClient,
    newest_supported,
    status_of,
    submission_body,
)
from esap_graphql.domain.batch import (
    BatchAuthenticationFailed,
    BatchRejected,
    BatchSubmission,
    BatchUnreachable,
    UnknownBatchJob,
)
from esap_graphql.domain.uws import ExecutionPhase

P = ExecutionPhase
JOB = BatchSubmission(
    name="esap-1",
    script="#!/bin/bash\ntrue\n",
    working_directory="/staging/1",
    stdout_path="/staging/1/stdout.txt",
    stderr_path="/staging/1/stderr.txt",
    environment={"PATH": "/bin", "ESAP_BASKET": "/staging/1/input/basket.vot"},
    time_limit_minutes=10,
    partition="batch",
)


def client(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> SlurmRestClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return SlurmRestClient(
        http=http,
        base_url="http://slurm.test:6820/",
        user="esap",
        token=lambda: "the-token",
        timeout=5,
        **kw,
    )


def test_the_newest_supported_version_is_chosen() -> None:
    paths = [f"/slurm/v0.0.{n}/ping" for n in (38, 39, 40, 41)] + ["/slurmdb/v0.0.40/ping"]
    assert newest_supported(paths) == "v0.0.40"
    assert newest_supported(["/slurm/v0.0.36/ping"]) is None


def test_submissions_take_each_versions_shape() -> None:
    old = submission_body(JOB, "v0.0.38")
    assert old["script"] == JOB.script
    assert old["job"]["environment"] == {
        "PATH": "/bin",
        "ESAP_BASKET": JOB.environment["ESAP_BASKET"],
    }
    assert old["job"]["time_limit"] == 10
    assert (old["job"]["partition"], old["job"]["standard_error"]) == ("batch", JOB.stderr_path)
    new = submission_body(JOB, "v0.0.40")
    assert "script" not in new
    assert new["job"]["script"] == JOB.script
    assert new["job"]["environment"] == [
        "PATH=/bin",
        f"ESAP_BASKET={JOB.environment['ESAP_BASKET']}",
    ]
    assert new["job"]["time_limit"] == {"set": True, "infinite": False, "number": 10}
    assert "argv" not in old["job"]  # slurmrestd 22.05 dies on it


def test_v0_0_40_job_records_read_as_statuses() -> None:
    running = status_of("7", {"job_id": 7, "job_state": ["RUNNING"]})
    assert (running.state, running.phase) == ("RUNNING", P.EXECUTING)
    finishing = status_of("7", {"job_id": 7, "job_state": ["COMPLETED", "COMPLETING"]})
    assert finishing.phase is P.EXECUTING
    failed = status_of(
        "7",
        {
            "job_id": 7,
            "job_state": ["FAILED"],
            "state_reason": "NonZeroExitCode",
            "exit_code": {
                "status": ["EXITED"],
                "return_code": {"set": True, "infinite": False, "number": 3},
                "signal": {"id": {"set": False, "infinite": False, "number": 0}, "name": ""},
            },
        },
    )
    assert (failed.phase, failed.exit_code, failed.signal, failed.reason) == (
        P.ERROR,
        3,
        None,
        "NonZeroExitCode",
    )
    killed = status_of(
        "7",
        {
            "job_id": 7,
            "job_state": ["CANCELLED"],
            "exit_code": {
                "status": ["SIGNALED"],
                "return_code": {"set": False, "infinite": False, "number": 0},
                "signal": {"id": {"set": True, "infinite": False, "number": 9}, "name": "KILL"},
            },
        },
    )
    assert (killed.phase, killed.exit_code, killed.signal) == (P.ABORTED, None, 9)
    # v0.0.39: a state name, and the exit code as a {set, number} wait status
    old = status_of(
        "7", {"job_id": 7, "job_state": "TIMEOUT", "exit_code": {"set": True, "number": 15}}
    )
    assert (old.phase, old.signal) == (P.ERROR, 15)


async def test_the_client_speaks_v0_0_40_when_the_server_serves_it() -> None:
    seen: list[tuple[str, str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        seen.append((request.method, request.url.path, body))
        assert request.headers["X-SLURM-USER-NAME"] == "esap"
        assert request.headers["X-SLURM-USER-TOKEN"] == "the-token"
        if request.url.path == "/openapi/v3":
            paths = {f"/slurm/v0.0.{n}/ping": {} for n in (39, 40, 41)}
            return httpx.Response(200, json={"paths": paths})
        if request.url.path.endswith("/job/submit"):
            return httpx.Response(200, json={"job_id": 42, "errors": [], "warnings": []})
        return httpx.Response(
            200, json={"jobs": [{"job_id": 42, "job_state": ["PENDING"]}], "errors": []}
        )

    slurm = client(handler)
    assert await slurm.submit(JOB) == "42"
    status = await slurm.status("42")
    assert (status.state, status.phase) == ("PENDING", P.QUEUED)
    assert [(m, p) for m, p, _ in seen] == [
        ("GET", "/openapi/v3"),
        ("POST", "/slurm/v0.0.40/job/submit"),
        ("GET", "/slurm/v0.0.40/job/42"),
    ]
    assert seen[1][2]["job"]["environment"][0] == "PATH=/bin"


async def test_failures_become_typed_errors() -> None:
    def answer(response: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
        return lambda request: response

    version = {"version": "v0.0.38"}
    with pytest.raises(BatchAuthenticationFailed, match="HTTP 401 for user 'esap'"):
        await client(answer(httpx.Response(401, text="Authentication failure")), **version).status(
            "1"
        )
    with pytest.raises(BatchUnreachable, match="HTTP 502 with an answer that is not JSON"):
        await client(
            answer(httpx.Response(502, text="<html>bad gateway</html>")), **version
        ).status("1")
    with pytest.raises(BatchUnreachable, match="HTTP 500 without a reason"):
        await client(answer(httpx.Response(500, json={"errors": []})), **version).status("1")
    refused = {
        "errors": [
            {
                "error_number": 2072,
                "error": "Requested node configuration is not available",
                "description": "x" * 2000 + "\x1b[1m",
            }
        ]
    }
    with pytest.raises(BatchRejected) as rejected:
        await client(answer(httpx.Response(500, json=refused)), **version).submit(JOB)
    assert len(rejected.value.reason) <= 500
    assert "\x1b" not in rejected.value.reason
    gone = {"errors": [{"error_number": 2017, "error": "Invalid job id specified"}], "jobs": []}
    with pytest.raises(UnknownBatchJob):
        await client(answer(httpx.Response(500, json=gone)), **version).status("5")
    with pytest.raises(UnknownBatchJob):  # an answer about another job
        await client(answer(httpx.Response(200, json={"jobs": [{"job_id": 6}]})), **version).status(
            "5"
        )

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(BatchUnreachable, match="no answer within 5 s"):
        await client(slow, **version).status("1")
    with pytest.raises(BatchUnreachable, match=r"serves API versions v0\.0\.36"):
        await client(
            answer(httpx.Response(200, json={"paths": {"/slurm/v0.0.36/ping": {}}}))
        ).submit(JOB)
