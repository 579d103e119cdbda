"""The UWS 1.1 REST interface: driven like a VO client, read with pyvo's own UWS parser,
and validated against the UWS 1.1 XML schema (shipped with DaCHS)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import httpx
import pytest
from lxml import etree
from pyvo.io.uws import parse_job, parse_job_list

SCHEMATA = Path("/usr/lib/python3/dist-packages/gavo/resources/schemata")


class _LocalSchemata(etree.Resolver):
    """Serve xlink.xsd from disk: the machine has no internet."""

    def resolve(self, url: str | None, pubid: str | None, context: object) -> object:
        if url and url.endswith("xlink.xsd"):
            return self.resolve_filename(str(SCHEMATA / "xlink.xsd"), context)
        return None


@pytest.fixture(scope="module")
def uws_schema() -> etree.XMLSchema:
    """The UWS 1.1 schema; fails (never skips) when the DaCHS copy is missing."""
    path = SCHEMATA / "UWS.xsd"
    if not path.exists():
        pytest.fail(f"{path} is missing: install gavodachs2-server (scripts/setup-dachs.sh)")
    parser = etree.XMLParser()
    parser.resolvers.add(_LocalSchemata())
    return etree.XMLSchema(etree.parse(str(path), parser))


def assert_valid(schema: etree.XMLSchema, body: bytes) -> None:
    document = etree.fromstring(body)
    assert schema.validate(document), schema.error_log


async def create(client: httpx.AsyncClient, **form: str) -> str:
    response = await client.post("/uws/jobs", data=form)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("http://localhost/uws/jobs/")
    return location.rsplit("/", 1)[1]


async def wait_final(client: httpx.AsyncClient, job_id: str) -> bytes:
    async with asyncio.timeout(30):
        while True:
            response = await client.get(f"/uws/jobs/{job_id}", params={"WAIT": "5"})
            phase = parse_job(io.BytesIO(response.content)).phase
            if phase in {"COMPLETED", "ERROR", "ABORTED"}:
                return response.content


async def test_job_lifecycle_parses_with_pyvo_and_validates(
    client: httpx.AsyncClient, uws_schema: etree.XMLSchema
) -> None:
    job_id = await create(client, TYPE="test.sleep", seconds="0.01", message="hello", RUNID="r1")
    body = (await client.get(f"/uws/jobs/{job_id}")).content
    assert_valid(uws_schema, body)
    pending = parse_job(io.BytesIO(body))
    assert (pending.jobid, pending.phase, pending.runid) == (job_id, "PENDING", "r1")
    assert pending.ownerid == "local"
    params = {p.id_: p.content for p in pending.parameters}
    assert params == {"seconds": "0.01", "message": "hello"}

    assert (await client.get(f"/uws/jobs/{job_id}/phase")).text == "PENDING"
    run = await client.post(f"/uws/jobs/{job_id}/phase", data={"PHASE": "RUN"})
    assert run.status_code == 303
    body = await wait_final(client, job_id)
    assert_valid(uws_schema, body)
    done = parse_job(io.BytesIO(body))
    assert done.phase == "COMPLETED"
    assert done.starttime is not None
    assert done.endtime is not None
    [result] = done.results
    assert result.id_ == "echo.json"
    assert result.href == f"http://localhost/uws/jobs/{job_id}/results/echo.json"
    assert (await client.get(result.href)).json()["parameters"]["message"] == "hello"

    results = await client.get(f"/uws/jobs/{job_id}/results")
    assert b"echo.json" in results.content
    assert_valid(uws_schema, results.content)
    parameters = await client.get(f"/uws/jobs/{job_id}/parameters")
    assert_valid(uws_schema, parameters.content)
    assert (await client.get(f"/uws/jobs/{job_id}/owner")).text == "local"
    assert (await client.get(f"/uws/jobs/{job_id}/quote")).text == ""
    assert (await client.get(f"/uws/jobs/{job_id}/error")).status_code == 404


async def test_job_list_filters_parse_and_validate(
    client: httpx.AsyncClient, uws_schema: etree.XMLSchema
) -> None:
    first = await create(client, TYPE="test.sleep")
    second = await create(client, TYPE="test.sleep", PHASE="RUN")
    await wait_final(client, second)
    listing = await client.get("/uws/jobs")
    assert_valid(uws_schema, listing.content)
    refs = parse_job_list(io.BytesIO(listing.content))
    assert [r.jobid for r in refs] == [second, first]  # newest first
    pending = parse_job_list(io.BytesIO((await client.get("/uws/jobs?PHASE=PENDING")).content))
    assert [r.jobid for r in pending] == [first]
    assert [r.phase for r in pending] == ["PENDING"]
    last = parse_job_list(io.BytesIO((await client.get("/uws/jobs?LAST=1")).content))
    assert [r.jobid for r in last] == [second]
    created = parse_job(io.BytesIO((await client.get(f"/uws/jobs/{first}")).content))
    after = created.creationtime.isot + "Z"
    newer = parse_job_list(
        io.BytesIO((await client.get("/uws/jobs", params={"AFTER": after})).content)
    )
    assert [r.jobid for r in newer] == [second]


async def test_error_summary_and_error_resource(
    client: httpx.AsyncClient, uws_schema: etree.XMLSchema
) -> None:
    job_id = await create(client, TYPE="test.sleep", fail="fatal", PHASE="RUN")
    body = await wait_final(client, job_id)
    assert_valid(uws_schema, body)
    job = parse_job(io.BytesIO(body))
    assert job.phase == "ERROR"
    assert job.errorsummary.type_ == "fatal"
    assert "failed on purpose" in job.errorsummary.message.content
    error = await client.get(f"/uws/jobs/{job_id}/error")
    assert error.status_code == 200
    assert "failed on purpose" in error.text


async def test_abort_blocking_wait_and_delete(client: httpx.AsyncClient) -> None:
    job_id = await create(client, TYPE="test.sleep", seconds="30", PHASE="RUN")
    waited = await client.get(f"/uws/jobs/{job_id}", params={"WAIT": "10", "PHASE": "QUEUED"})
    assert parse_job(io.BytesIO(waited.content)).phase == "EXECUTING"

    async def abort_soon() -> None:
        await asyncio.sleep(0.2)
        await client.post(f"/uws/jobs/{job_id}/phase", data={"PHASE": "ABORT"})

    aborter = asyncio.create_task(abort_soon())
    blocked = await client.get(f"/uws/jobs/{job_id}", params={"WAIT": "20", "PHASE": "EXECUTING"})
    await aborter
    assert parse_job(io.BytesIO(blocked.content)).phase == "ABORTED"

    deleted = await client.post(f"/uws/jobs/{job_id}", data={"ACTION": "DELETE"})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "http://localhost/uws/jobs"
    assert (await client.get(f"/uws/jobs/{job_id}")).status_code == 404
    other = await create(client, TYPE="test.sleep")
    assert (await client.delete(f"/uws/jobs/{other}")).status_code == 303
    assert (await client.get(f"/uws/jobs/{other}/phase")).status_code == 404


async def test_execution_duration_and_destruction(client: httpx.AsyncClient) -> None:
    job_id = await create(client, TYPE="test.sleep")
    changed = await client.post(
        f"/uws/jobs/{job_id}/executionduration", data={"EXECUTIONDURATION": "42"}
    )
    assert changed.status_code == 303
    assert (await client.get(f"/uws/jobs/{job_id}/executionduration")).text == "42"
    when = "2030-01-01T00:00:00Z"
    await client.post(
        f"/uws/jobs/{job_id}/destruction", data={"DESTRUCTION": "2026-12-01T00:00:00Z"}
    )
    assert (await client.get(f"/uws/jobs/{job_id}/destruction")).text == "2026-12-01T00:00:00.000Z"
    # later than the server keeps jobs: shortened to its limit
    await client.post(f"/uws/jobs/{job_id}/destruction", data={"DESTRUCTION": when})
    assert (await client.get(f"/uws/jobs/{job_id}/destruction")).text < "2030"
    await client.post(f"/uws/jobs/{job_id}/phase", data={"PHASE": "RUN"})
    await wait_final(client, job_id)
    late = await client.post(
        f"/uws/jobs/{job_id}/executionduration", data={"EXECUTIONDURATION": "5"}
    )
    assert late.status_code == 400


async def test_bad_requests_are_400_or_404(client: httpx.AsyncClient) -> None:
    assert (await client.post("/uws/jobs", data={"seconds": "1"})).status_code == 400
    unknown_type = await client.post("/uws/jobs", data={"TYPE": "nope"})
    assert unknown_type.status_code == 400
    assert "nope" in unknown_type.text
    bad = await client.post("/uws/jobs", data={"TYPE": "test.sleep", "seconds": "-3"})
    assert bad.status_code == 400
    assert "seconds" in bad.text
    assert (await client.get("/uws/jobs/none-such")).status_code == 404
    assert (await client.get("/uws/jobs?PHASE=NOTAPHASE")).status_code == 400
    job_id = await create(client, TYPE="test.sleep")
    assert (await client.post(f"/uws/jobs/{job_id}/phase", data={"PHASE": "x"})).status_code == 400
    assert (await client.get(f"/uws/jobs/{job_id}/results/../../etc")).status_code == 404


async def test_parameters_change_while_pending_only(client: httpx.AsyncClient) -> None:
    job_id = await create(client, TYPE="test.sleep", seconds="5")
    changed = await client.post(f"/uws/jobs/{job_id}/parameters", data={"SECONDS": "0.01"})
    assert changed.status_code == 303
    job = parse_job(io.BytesIO((await client.get(f"/uws/jobs/{job_id}")).content))
    assert {p.id_: p.content for p in job.parameters} == {"seconds": "0.01"}
    invalid = await client.post(f"/uws/jobs/{job_id}/parameters", data={"seconds": "-1"})
    assert invalid.status_code == 400
    await client.post(f"/uws/jobs/{job_id}/phase", data={"PHASE": "RUN"})
    await wait_final(client, job_id)
    late = await client.post(f"/uws/jobs/{job_id}/parameters", data={"seconds": "1"})
    assert late.status_code == 400


async def test_parameter_names_are_case_insensitive(client: httpx.AsyncClient) -> None:
    job_id = await create(
        client, TYPE="query.multi", DATASETS="esap-obscore,esap-images", CALIBRATIONLEVEL="2"
    )
    job = parse_job(io.BytesIO((await client.get(f"/uws/jobs/{job_id}")).content))
    params = {p.id_: p.content for p in job.parameters}
    assert params["calibrationLevel"] == "2"
    assert params["datasets"] == '["esap-obscore", "esap-images"]'
