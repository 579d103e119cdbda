"""query.tap and query.multi against the local DaCHS archive (its own async TAP/UWS service)."""

from __future__ import annotations

import asyncio
import io
import logging
import re

import httpx
import pytest
from astropy.table import Table

from tests.jobs.test_graphql import create, wait_final
from tests.support import graphql_data

pytestmark = pytest.mark.dachs

SLOW_ADQL = (
    "SELECT COUNT(*) AS n FROM esaptest.sources AS a, esaptest.sources AS b, "
    "(SELECT TOP 30 id FROM esaptest.sources) AS c WHERE a.ra < b.ra"
)


def remote_job_url(caplog: pytest.LogCaptureFixture, job_id: str) -> str:
    for record in caplog.records:
        found = re.match(rf"job {job_id}: remote TAP job (\S+)", record.getMessage())
        if found:
            return found.group(1)
    raise AssertionError("the remote job URL was not logged")


async def test_tap_job_stores_the_archive_votable(
    dachs: str, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="esap_graphql.services.job_types.tap")
    created = await create(
        client,
        "query.tap",
        {
            "dataset": "esap-sources-tap",
            "query": "SELECT TOP 7 id, ra, dec FROM esaptest.sources ORDER BY id",
        },
    )
    assert created["__typename"] == "Job", created
    job = await wait_final(client, created["id"])
    assert job["phase"] == "COMPLETED", job["error"]
    [result] = job["results"]
    assert (result["name"], result["mimeType"]) == ("result.vot", "application/x-votable+xml")
    body = (await client.get(result["url"])).content
    table = Table.read(io.BytesIO(body), format="votable")
    assert len(table) == 7
    assert list(table.colnames) == ["id", "ra", "dec"]
    # the archive's job was cleaned up once its result was ours
    remote = remote_job_url(caplog, created["id"])
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await http.get(remote)).status_code == 404


async def test_bad_adql_ends_in_a_fatal_error_with_the_archive_message(
    dachs: str, client: httpx.AsyncClient
) -> None:
    created = await create(
        client, "query.tap", {"dataset": "esap-obscore", "query": "SELECT nothing FROM nowhere"}
    )
    job = await wait_final(client, created["id"])
    assert job["phase"] == "ERROR"
    assert job["error"]["type"] == "FATAL"
    assert job["error"]["message"].startswith("the archive rejected the query")
    assert "nowhere" in job["error"]["message"].lower()


async def test_tap_job_needs_a_tap_dataset(dachs: str, client: httpx.AsyncClient) -> None:
    scs = await create(client, "query.tap", {"dataset": "esap-sources", "query": "SELECT 1"})
    job = await wait_final(client, scs["id"])
    assert job["phase"] == "ERROR"
    assert "not TAP" in job["error"]["message"]
    missing = await create(client, "query.tap", {"dataset": "nope", "query": "SELECT 1"})
    job = await wait_final(client, missing["id"])
    assert job["phase"] == "ERROR"
    assert "no dataset" in job["error"]["message"]


async def test_abort_propagates_to_the_archive_job(
    dachs: str, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="esap_graphql.services.job_types.tap")
    created = await create(client, "query.tap", {"dataset": "esap-sources-tap", "query": SLOW_ADQL})
    async with asyncio.timeout(30):
        while not any(created["id"] in r.getMessage() for r in caplog.records):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    remote = remote_job_url(caplog, created["id"])
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await http.get(f"{remote}/phase")).text.strip() in {"QUEUED", "EXECUTING"}
        aborted = await graphql_data(
            client,
            "mutation($id: ID!) { abortJob(id: $id) { ... on Job { phase } } }",
            {"id": created["id"]},
        )
        assert aborted["abortJob"]["phase"] == "ABORTED"
        async with asyncio.timeout(30):
            while True:
                answer = await http.get(f"{remote}/phase")
                if answer.status_code == 404 or answer.text.strip() == "ABORTED":
                    break
                await asyncio.sleep(0.1)


async def test_multi_query_job_over_tap_and_cone_search(
    dachs: str, client: httpx.AsyncClient
) -> None:
    created = await create(
        client,
        "query.multi",
        {"datasets": ["esap-sources-tap", "esap-sources"], "ra": 200, "dec": 50, "radius": 0.5},
    )
    job = await wait_final(client, created["id"])
    assert job["phase"] == "COMPLETED", job["error"]
    urls = {r["name"]: r["url"] for r in job["results"]}
    summary = (await client.get(urls["datasets.json"])).json()
    assert [s["status"] for s in summary] == ["ok", "ok"]
    table = Table.read(io.BytesIO((await client.get(urls["rows.vot"])).content), format="votable")
    counts = {
        ds: int((table["dataset"] == ds).sum()) for ds in ("esap-sources-tap", "esap-sources")
    }
    # 20 sources lie in this cone (deploy/dachs/README.md); both protocols find them
    assert counts == {"esap-sources-tap": 20, "esap-sources": 20}
    assert [s["rows"] for s in summary] == [20, 20]
